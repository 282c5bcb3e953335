// exports-purge: expired export archives marked purged, one batch per transaction and audit row.
#include "actions/actioncontext.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

// The exports a purge of $1 days may take: expired long enough and not purged. Written once, for the batch
// and for the look for more, which must agree on it; both take the days as $1.
static QString expiredExports()
{
    return QStringLiteral("SELECT id FROM public.exports WHERE purged_at IS NULL AND expires_at < "
                          "now() - make_interval(days => CAST($1 AS integer)) ");
}

DbError runExportsPurge(ActionContext &context)
{
    const ActionRequest &request = context.request();
    // Exports are locked on their own, outside the workspace order; SKIP LOCKED lets two purges share the
    // work instead of waiting on each other.
    StatementRows *purged = nullptr;
    if (DbError error = context.exec(
            purged,
            QStringLiteral("WITH batch AS (") + expiredExports() +
                QStringLiteral(
                    "ORDER BY id LIMIT CAST($2 AS integer) FOR UPDATE SKIP LOCKED) "
                    "UPDATE public.exports AS e SET status = 'purged', purged_at = now() FROM batch "
                    "WHERE e.id = batch.id RETURNING e.id, e.workspace_id, e.size_bytes"),
            {request.olderThanDays, request.limit}, tr("Marking expired exports purged")))
        return error;
    QJsonArray ids;
    qint64 bytes = 0;
    while (purged->next()) {
        ids.append(purged->value(0).toLongLong());
        bytes += purged->value(2).toLongLong();
    }
    if (!ids.isEmpty()) {
        if (DbError error = context.wrote())
            return error;
    }
    // Whether another batch would find anything, so that a purge whose count is a multiple of the batch
    // size stops here instead of recording one more, empty batch. Exports another purge holds are its work.
    StatementRows *left = nullptr;
    if (DbError error =
            context.exec(left, expiredExports() + QStringLiteral("LIMIT 1 FOR UPDATE SKIP LOCKED"),
                         {request.olderThanDays}, tr("Looking for more expired exports")))
        return error;
    const bool more = left->next();
    context.targetType = QStringLiteral("exports");
    context.targetId = QStringLiteral("expired>%1d").arg(request.olderThanDays);
    context.before =
        QJsonObject{{QStringLiteral("purged_at"), QJsonValue::Null}, {QStringLiteral("ids"), ids}};
    // "more" is kept in the audit row so that a rerun of an interrupted purge knows whether to go on.
    context.after = QJsonObject{{QStringLiteral("status"), QStringLiteral("purged")},
                                {QStringLiteral("ids"), ids},
                                {QStringLiteral("more"), more}};
    context.preview = {{QStringLiteral("rows_affected"), ids.size()},
                       {QStringLiteral("bytes_freed"), bytes},
                       {QStringLiteral("more"), more}};
    context.message =
        ids.isEmpty()
            ? tr("No export expired more than %1 days ago is left to purge.").arg(request.olderThanDays)
            : tr("%1 expired exports marked purged (%2 bytes).").arg(ids.size()).arg(bytes);
    return {};
}

} // namespace beacon::actions
