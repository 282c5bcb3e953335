// Deleting a project (with its files) or one file, and giving their bytes back to the workspace's counter,
// in the same transaction: the backend's report found quotas left stale when these were two steps.
#include "actions/actioncontext.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

namespace {

// The workspace a project or file belongs to, read before any lock: the lock order starts with the
// workspace, and the row is checked again under it.
DbError owningWorkspace(ActionContext &context, const QString &table, qint64 id, qint64 *workspace)
{
    StatementRows *query = nullptr;
    // `table` is one of two fixed names of this file.
    if (DbError error = context.exec(
            query,
            QStringLiteral("SELECT workspace_id FROM public.%1 WHERE id = CAST($1 AS bigint)").arg(table),
            {id}, tr("Finding the workspace")))
        return error;
    if (!query->next())
        return refuse(table == QLatin1String("projects") ? tr("Project %1 does not exist.").arg(id)
                                                         : tr("File %1 does not exist.").arg(id));
    *workspace = query->value(0).toLongLong();
    return {};
}

// Takes the freed bytes off the workspace's counter. Never below zero: a counter that had drifted low is
// left at zero, and quota-repair sets it right.
DbError giveBackBytes(ActionContext &context, qint64 workspace, qint64 bytes, QJsonValue *after)
{
    if (DbError error =
            context.json(QStringLiteral("UPDATE public.workspaces SET storage_used_bytes = greatest(0, "
                                        "storage_used_bytes - CAST($1 AS bigint)) WHERE id = "
                                        "CAST($2 AS bigint) RETURNING to_jsonb(workspaces.*)"),
                         {bytes, workspace}, tr("Giving the bytes back to the workspace"), after))
        return error;
    return context.wrote();
}

qint64 storageOf(const QJsonValue &workspace)
{
    return qint64(workspace.toObject().value(QStringLiteral("storage_used_bytes")).toDouble());
}

} // namespace

DbError runProjectDelete(ActionContext &context)
{
    const qint64 projectId = *context.request().projectId;
    qint64 workspaceId = 0;
    if (DbError error = owningWorkspace(context, QStringLiteral("projects"), projectId, &workspaceId))
        return error;
    QJsonObject workspace;
    if (DbError error = context.lockWorkspace(workspaceId, &workspace))
        return error;
    // The project and its files are locked by the DELETEs themselves, not by SELECT ... FOR UPDATE: that
    // needs an UPDATE grant on projects and files, which support and admin do not hold (they may only
    // delete them, 0002_roles.sql). The workspace lock taken above already keeps other actions and uploads
    // out, and a project that went meanwhile is caught by its DELETE finding nothing.
    QJsonValue project;
    bool found = false;
    if (DbError error =
            context.json(QStringLiteral("SELECT to_jsonb(p) FROM public.projects AS p WHERE p.id = "
                                        "CAST($1 AS bigint) AND p.workspace_id = CAST($2 AS bigint)"),
                         {projectId, workspaceId}, tr("Finding the project"), &project, &found))
        return error;
    if (!found)
        return refuse(tr("Project %1 was deleted or moved a moment ago; look again.").arg(projectId));
    StatementRows *files = nullptr;
    if (DbError error = context.exec(
            files,
            QStringLiteral("WITH gone AS (DELETE FROM public.files WHERE project_id = CAST($1 AS bigint) "
                           "RETURNING *) SELECT to_jsonb(gone) FROM gone ORDER BY gone.id"),
            {projectId}, tr("Deleting the project's files")))
        return error;
    QJsonArray fileRows;
    qint64 bytes = 0;
    while (files->next()) {
        const QJsonObject file = QJsonDocument::fromJson(files->value(0).toString().toUtf8()).object();
        bytes += qint64(file.value(QStringLiteral("size_bytes")).toDouble());
        fileRows.append(file);
    }
    if (DbError error = context.wrote())
        return error;
    if (DbError error = context.json(
            QStringLiteral("DELETE FROM public.projects WHERE id = CAST($1 AS bigint) AND workspace_id = "
                           "CAST($2 AS bigint) RETURNING to_jsonb(projects.*)"),
            {projectId, workspaceId}, tr("Deleting the project"), &project, &found))
        return error;
    if (!found)
        return refuse(tr("Project %1 was deleted or moved a moment ago; look again.").arg(projectId));
    if (DbError error = context.wrote())
        return error;
    QJsonValue after;
    if (DbError error = giveBackBytes(context, workspaceId, bytes, &after))
        return error;

    context.targetType = QStringLiteral("project");
    context.targetId = QString::number(projectId);
    context.workspaceId = workspaceId;
    context.before = QJsonObject{{QStringLiteral("project"), project},
                                 {QStringLiteral("files"), fileRows},
                                 {QStringLiteral("storage_used_bytes"), storageOf(workspace)}};
    context.after = QJsonObject{{QStringLiteral("project"), QJsonValue::Null},
                                {QStringLiteral("files"), QJsonArray()},
                                {QStringLiteral("storage_used_bytes"), storageOf(after)}};
    context.preview = {{QStringLiteral("rows_affected"), fileRows.size() + 1},
                       {QStringLiteral("files"), fileRows.size()},
                       {QStringLiteral("bytes_freed"), bytes}};
    context.message = tr("Project %1 deleted with its %2 files; %3 bytes given back to workspace %4.")
                          .arg(projectId)
                          .arg(fileRows.size())
                          .arg(bytes)
                          .arg(workspaceId);
    return {};
}

DbError runFileDelete(ActionContext &context)
{
    const qint64 fileId = *context.request().fileId;
    qint64 workspaceId = 0;
    if (DbError error = owningWorkspace(context, QStringLiteral("files"), fileId, &workspaceId))
        return error;
    QJsonObject workspace;
    if (DbError error = context.lockWorkspace(workspaceId, &workspace))
        return error;
    // Locked by its DELETE, not by SELECT ... FOR UPDATE, which needs an UPDATE grant on files that support
    // and admin do not hold (see runProjectDelete).
    QJsonValue file;
    bool found = false;
    if (DbError error = context.json(
            QStringLiteral("WITH gone AS (DELETE FROM public.files WHERE id = CAST($1 AS bigint) AND "
                           "workspace_id = CAST($2 AS bigint) RETURNING *) SELECT to_jsonb(gone) FROM gone"),
            {fileId, workspaceId}, tr("Deleting the file"), &file, &found))
        return error;
    if (!found)
        return refuse(tr("File %1 was deleted a moment ago; look again.").arg(fileId));
    const qint64 bytes = qint64(file.toObject().value(QStringLiteral("size_bytes")).toDouble());
    if (DbError error = context.wrote())
        return error;
    QJsonValue after;
    if (DbError error = giveBackBytes(context, workspaceId, bytes, &after))
        return error;
    context.targetType = QStringLiteral("file");
    context.targetId = QString::number(fileId);
    context.workspaceId = workspaceId;
    context.before = QJsonObject{{QStringLiteral("file"), file},
                                 {QStringLiteral("storage_used_bytes"), storageOf(workspace)}};
    context.after = QJsonObject{{QStringLiteral("file"), QJsonValue::Null},
                                {QStringLiteral("storage_used_bytes"), storageOf(after)}};
    context.preview = {{QStringLiteral("rows_affected"), 1}, {QStringLiteral("bytes_freed"), bytes}};
    context.message =
        tr("File %1 deleted; %2 bytes given back to workspace %3.").arg(fileId).arg(bytes).arg(workspaceId);
    return {};
}

} // namespace beacon::actions
