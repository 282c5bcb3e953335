#include "actions/actiontarget.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariantMap>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions::ActionTarget", text);
}

namespace {

// One value from a statement with bound values; *found is false when it yields no row.
DbError selectRow(const QSqlDatabase &db, const QString &sql, const QVariantMap &values, const QString &doing,
                  QSqlQuery *query, bool *found)
{
    *query = QSqlQuery(db);
    if (!query->prepare(sql))
        return DbError::fromSql(query->lastError(), doing);
    for (auto value = values.cbegin(); value != values.cend(); ++value)
        query->bindValue(QLatin1Char(':') + value.key(), value.value());
    if (!query->exec())
        return DbError::fromSql(query->lastError(), doing);
    *found = query->next();
    return {};
}

DbError userEmail(const QSqlDatabase &db, std::optional<qint64> id, QString *email)
{
    if (!id)
        return {};
    QSqlQuery query;
    bool found = false;
    if (DbError error = selectRow(db,
                                  QStringLiteral("SELECT primary_email FROM public.users WHERE id = "
                                                 "CAST(:id AS bigint)"),
                                  {{QStringLiteral("id"), *id}}, tr("Reading the user"), &query, &found))
        return error;
    if (found)
        *email = query.value(0).toString();
    return {};
}

} // namespace

DbError readActionTarget(const QSqlDatabase &db, const ActionRequest &request, ActionTarget *target)
{
    QSqlQuery query;
    bool found = false;
    std::optional<qint64> workspace = request.workspaceId;
    if (request.kind == ActionKind::ProjectDelete || request.kind == ActionKind::FileDelete) {
        const bool project = request.kind == ActionKind::ProjectDelete;
        const std::optional<qint64> id = project ? request.projectId : request.fileId;
        if (id) {
            // Two fixed statements, one per table.
            const QString sql = project
                                    ? QStringLiteral("SELECT workspace_id FROM public.projects WHERE id = "
                                                     "CAST(:id AS bigint)")
                                    : QStringLiteral("SELECT workspace_id FROM public.files WHERE id = "
                                                     "CAST(:id AS bigint)");
            if (DbError error = selectRow(db, sql, {{QStringLiteral("id"), *id}}, tr("Finding the workspace"),
                                          &query, &found))
                return error;
            if (found)
                workspace = query.value(0).toLongLong();
        }
    }
    if (request.kind == ActionKind::UserMerge || request.kind == ActionKind::ExportsPurge)
        workspace.reset();
    target->workspaceId = workspace;
    if (workspace) {
        if (DbError error =
                selectRow(db,
                          QStringLiteral("SELECT slug, name, plan, read_only, version FROM "
                                         "public.workspaces WHERE id = CAST(:id AS bigint)"),
                          {{QStringLiteral("id"), *workspace}}, tr("Reading the workspace"), &query, &found))
            return error;
        target->workspaceFound = found;
        if (found) {
            target->workspaceSlug = query.value(0).toString();
            target->workspaceName = query.value(1).toString();
            target->workspacePlan = query.value(2).toString();
            target->workspaceReadOnly = query.value(3).toBool();
            target->workspaceVersion = query.value(4).toLongLong();
        }
    }
    switch (request.kind) {
    case ActionKind::MemberAdd:
    case ActionKind::MemberRemove:
    case ActionKind::MemberRole:
        return userEmail(db, request.userId, &target->userEmail);
    case ActionKind::UserMerge:
        if (DbError error = userEmail(db, request.keepUserId, &target->keepUserEmail))
            return error;
        return userEmail(db, request.mergeUserId, &target->mergeUserEmail);
    case ActionKind::ExportsPurge:
        if (DbError error = selectRow(
                db,
                QStringLiteral("SELECT count(*), coalesce(sum(size_bytes), 0) FROM public.exports WHERE "
                               "purged_at IS NULL AND expires_at < now() - make_interval(days => CAST(:days "
                               "AS integer))"),
                {{QStringLiteral("days"), request.olderThanDays}}, tr("Counting the expired exports"), &query,
                &found))
            return error;
        if (found) {
            target->purgeableExports = query.value(0).toLongLong();
            target->purgeableBytes = query.value(1).toLongLong();
        }
        return {};
    default:
        return {};
    }
}

} // namespace beacon::actions
