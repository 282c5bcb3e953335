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

DbError runExportsPurge(ActionContext &context)
{
    const ActionRequest &request = context.request();
    // Exports are locked on their own, outside the workspace order; SKIP LOCKED lets two purges share the
    // work instead of waiting on each other.
    StatementRows *purged = nullptr;
    if (DbError error = context.exec(
            purged,
            QStringLiteral(
                "WITH batch AS (SELECT id FROM public.exports WHERE purged_at IS NULL AND expires_at < "
                "now() - make_interval(days => CAST(:days AS integer)) ORDER BY id "
                "LIMIT CAST(:limit AS integer) FOR UPDATE SKIP LOCKED) "
                "UPDATE public.exports AS e SET status = 'purged', purged_at = now() FROM batch "
                "WHERE e.id = batch.id RETURNING e.id, e.workspace_id, e.size_bytes"),
            {{QStringLiteral("days"), request.olderThanDays}, {QStringLiteral("limit"), request.limit}},
            tr("Marking expired exports purged")))
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
    context.targetType = QStringLiteral("exports");
    context.targetId = QStringLiteral("expired>%1d").arg(request.olderThanDays);
    context.before =
        QJsonObject{{QStringLiteral("purged_at"), QJsonValue::Null}, {QStringLiteral("ids"), ids}};
    context.after =
        QJsonObject{{QStringLiteral("status"), QStringLiteral("purged")}, {QStringLiteral("ids"), ids}};
    context.preview = {{QStringLiteral("rows_affected"), ids.size()}, {QStringLiteral("bytes_freed"), bytes}};
    context.message =
        ids.isEmpty()
            ? tr("No export expired more than %1 days ago is left to purge.").arg(request.olderThanDays)
            : tr("%1 expired exports marked purged (%2 bytes).").arg(ids.size()).arg(bytes);
    return {};
}

} // namespace beacon::actions
