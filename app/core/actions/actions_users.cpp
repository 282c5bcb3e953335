// user-merge: a duplicate user's memberships move to the user kept, and the duplicate is disabled.
#include "actions/actioncontext.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

namespace {

QJsonArray rowsOf(StatementRows *query)
{
    QJsonArray rows;
    while (query->next())
        rows.append(QJsonDocument::fromJson(query->value(0).toString().toUtf8()).object());
    return rows;
}

DbError membershipsOf(ActionContext &context, qint64 user, const QString &lock, QJsonArray *rows)
{
    StatementRows *query = nullptr;
    if (DbError error =
            context.exec(query,
                         QStringLiteral("SELECT to_jsonb(m) FROM public.memberships AS m WHERE m.user_id "
                                        "= CAST($1 AS bigint) ORDER BY m.workspace_id ") +
                             lock,
                         {user}, tr("Reading the memberships")))
        return error;
    *rows = rowsOf(query);
    return {};
}

qint64 idOf(const QJsonValue &row, const char *field)
{
    return qint64(row.toObject().value(QLatin1String(field)).toDouble());
}

// Owner is the strongest role, viewer the weakest.
int strength(const QString &role)
{
    return int(memberRoles().size() - memberRoles().indexOf(role));
}

} // namespace

DbError runUserMerge(ActionContext &context)
{
    const ActionRequest &request = context.request();
    const qint64 keep = *request.keepUserId;
    const qint64 merge = *request.mergeUserId;

    // First every workspace either user belongs to, in id order (the global order starts there), then
    // their memberships, then the two users in id order. The kept user's memberships are locked too (the
    // stronger role is written to them), so their workspaces come first as well.
    QJsonArray unlockedMerge;
    if (DbError error = membershipsOf(context, merge, {}, &unlockedMerge))
        return error;
    QJsonArray unlockedKeep;
    if (DbError error = membershipsOf(context, keep, {}, &unlockedKeep))
        return error;
    QList<qint64> workspaceIds;
    for (const QJsonArray *rows : {&unlockedMerge, &unlockedKeep}) {
        for (const QJsonValue &row : *rows)
            workspaceIds.append(idOf(row, "workspace_id"));
    }
    QList<QJsonObject> workspaces;
    if (DbError error = context.lockWorkspaces(workspaceIds, &workspaces))
        return error;
    const QSet<qint64> locked(workspaceIds.cbegin(), workspaceIds.cend());
    const auto allLocked = [&locked](const QJsonArray &rows) -> DbError {
        for (const QJsonValue &row : rows) {
            if (!locked.contains(idOf(row, "workspace_id"))) {
                // Someone added one of the users to another workspace between the read and the locks:
                // start again, as after a serialization failure, so that every workspace is locked in order.
                DbError retry = DbError::make(
                    ErrorKind::Busy, tr("The users' memberships changed while they were being locked."));
                retry.sqlState = QStringLiteral("40001");
                return retry;
            }
        }
        return {};
    };
    QJsonArray mergeMemberships;
    if (DbError error = membershipsOf(context, merge, QStringLiteral("FOR UPDATE"), &mergeMemberships))
        return error;
    if (DbError retry = allLocked(mergeMemberships))
        return retry;
    QJsonArray keepMemberships;
    if (DbError error = membershipsOf(context, keep, QStringLiteral("FOR UPDATE"), &keepMemberships))
        return error;
    if (DbError retry = allLocked(keepMemberships))
        return retry;
    StatementRows *users = nullptr;
    if (DbError error =
            context.exec(users,
                         QStringLiteral("SELECT to_jsonb(u) FROM public.users AS u WHERE u.id IN "
                                        "(CAST($1 AS bigint), CAST($2 AS bigint)) ORDER BY u.id FOR UPDATE"),
                         {keep, merge}, tr("Locking the two users")))
        return error;
    // A member-add of the duplicate that committed while this waited for the users (its foreign key check
    // holds the user row) is missing from the list read above. With the users locked no new one can begin:
    // look once more.
    QJsonArray latest;
    if (DbError error = membershipsOf(context, merge, {}, &latest))
        return error;
    if (DbError retry = allLocked(latest))
        return retry;
    QJsonObject keepUser;
    QJsonObject mergeUser;
    for (const QJsonValue &row : rowsOf(users))
        (idOf(row, "id") == keep ? keepUser : mergeUser) = row.toObject();
    if (keepUser.isEmpty())
        return refuse(tr("There is no user %1 to keep.").arg(keep));
    if (mergeUser.isEmpty())
        return refuse(tr("There is no user %1 to merge.").arg(merge));
    if (!mergeUser.value(QStringLiteral("disabled_at")).isNull())
        return refuse(tr("User %1 is already disabled; it may have been merged before.").arg(merge));
    if (!keepUser.value(QStringLiteral("disabled_at")).isNull())
        return refuse(tr("User %1 is disabled; keep an active user.").arg(keep));

    QHash<qint64, QString> keepRoles;
    for (const QJsonValue &row : std::as_const(keepMemberships))
        keepRoles.insert(idOf(row, "workspace_id"), row.toObject().value(QStringLiteral("role")).toString());
    int moved = 0;
    int combined = 0;
    for (const QJsonValue &row : std::as_const(mergeMemberships)) {
        const qint64 workspace = idOf(row, "workspace_id");
        const QString role = row.toObject().value(QStringLiteral("role")).toString();
        StatementRows *change = nullptr;
        DbError error;
        if (keepRoles.contains(workspace)) {
            // Both are members: one membership remains, with the stronger of the two roles.
            ++combined;
            if (strength(role) > strength(keepRoles.value(workspace)))
                error = context.exec(
                    change,
                    QStringLiteral("UPDATE public.memberships SET role = $1 WHERE workspace_id = "
                                   "CAST($2 AS bigint) AND user_id = CAST($3 AS bigint)"),
                    {role, workspace, keep}, tr("Keeping the stronger role"));
            if (!error)
                error = context.exec(
                    change,
                    QStringLiteral("DELETE FROM public.memberships WHERE workspace_id = CAST($1 AS "
                                   "bigint) AND user_id = CAST($2 AS bigint)"),
                    {workspace, merge}, tr("Removing the duplicate's membership"));
        } else {
            ++moved;
            error = context.exec(
                change,
                QStringLiteral("UPDATE public.memberships SET user_id = CAST($1 AS bigint) WHERE "
                               "workspace_id = CAST($2 AS bigint) AND user_id = CAST($3 AS bigint)"),
                {keep, workspace, merge}, tr("Moving a membership"));
        }
        if (error)
            return error;
        if (DbError hook = context.wrote())
            return hook;
    }
    QJsonValue disabled;
    if (DbError error = context.json(QStringLiteral("UPDATE public.users SET disabled_at = now() WHERE id = "
                                                    "CAST($1 AS bigint) RETURNING to_jsonb(users.*)"),
                                     {merge}, tr("Disabling the duplicate"), &disabled))
        return error;
    if (DbError error = context.wrote())
        return error;
    QJsonArray keepAfter;
    if (DbError error = membershipsOf(context, keep, {}, &keepAfter))
        return error;

    context.targetType = QStringLiteral("user");
    context.targetId = QString::number(merge);
    context.before = QJsonObject{{QStringLiteral("kept_user"), keepUser},
                                 {QStringLiteral("merged_user"), mergeUser},
                                 {QStringLiteral("kept_memberships"), keepMemberships},
                                 {QStringLiteral("merged_memberships"), mergeMemberships}};
    context.after = QJsonObject{{QStringLiteral("merged_user"), disabled},
                                {QStringLiteral("kept_memberships"), keepAfter},
                                {QStringLiteral("merged_memberships"), QJsonArray()}};
    context.preview = {{QStringLiteral("memberships_moved"), moved},
                       {QStringLiteral("memberships_combined"), combined},
                       {QStringLiteral("workspaces_locked"), int(locked.size())}};
    context.message =
        tr("User %1 merged into user %2: %3 memberships moved, %4 combined (the stronger role kept); "
           "user %1 is disabled.")
            .arg(merge)
            .arg(keep)
            .arg(moved)
            .arg(combined);
    return {};
}

} // namespace beacon::actions
