// The actions on memberships: add, remove, change of role, and the merge of a duplicate user into the one
// kept. Each locks the workspace row first: the backend's team-size trigger takes the same lock before it
// counts, so the count checked here cannot change before the commit.
#include "actions/actioncontext.h"
#include "actions/enginestatements.h"

#include <QCoreApplication>
#include <QJsonArray>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

namespace {

// The statement that locks the membership row of one user in one workspace; it yields to_jsonb of the row,
// or nothing when there is none.
PipelinedStatement membershipLock(qint64 workspace, qint64 user, StatementRows **rows)
{
    return {nullptr, sql::membershipLock(), {workspace, user}, tr("Locking the membership"), rows};
}

// The other owners of the workspace, locked, so that two removals of two owners cannot both see the other.
DbError countOtherOwners(ActionContext &context, qint64 workspace, qint64 user, qint64 *owners)
{
    StatementRows *query = nullptr;
    if (DbError error =
            context.exec(query,
                         QStringLiteral("SELECT user_id FROM public.memberships WHERE workspace_id = "
                                        "CAST($1 AS bigint) AND role = 'owner' AND user_id <> "
                                        "CAST($2 AS bigint) ORDER BY user_id FOR UPDATE"),
                         {workspace, user}, tr("Counting the owners")))
        return error;
    *owners = 0;
    while (query->next())
        ++*owners;
    return {};
}

// The user named by id or by e-mail (case-insensitive, as sign-in treats it).
DbError resolveUser(ActionContext &context, QJsonObject *user)
{
    const ActionRequest &request = context.request();
    StatementRows *query = nullptr;
    DbError error =
        request.userId ? context.exec(query,
                                      QStringLiteral("SELECT to_jsonb(u) FROM public.users AS u WHERE u.id = "
                                                     "CAST($1 AS bigint)"),
                                      {*request.userId}, tr("Finding the user"))
                       : context.exec(query,
                                      QStringLiteral("SELECT to_jsonb(u) FROM public.users AS u WHERE "
                                                     "lower(u.primary_email) = lower($1) ORDER BY u.id"),
                                      {request.userEmail.trimmed()}, tr("Finding the user"));
    if (error)
        return error;
    QList<QJsonObject> matches;
    while (query->next())
        matches.append(parseJson(query->value(0)).toObject());
    const QString named = request.userId ? QString::number(*request.userId) : request.userEmail.trimmed();
    if (matches.isEmpty())
        return refuse(tr("There is no user %1.").arg(named));
    if (matches.size() > 1) {
        QStringList ids;
        for (const QJsonObject &match : std::as_const(matches))
            ids.append(QString::number(qint64(match.value(QStringLiteral("id")).toDouble())));
        return refuse(tr("Several users have the e-mail %1 (ids %2). Name the user by id; merging the "
                         "duplicates (user-merge) may be due.")
                          .arg(named, ids.join(QStringLiteral(", "))));
    }
    *user = matches.first();
    if (!user->value(QStringLiteral("disabled_at")).isNull())
        return refuse(tr("User %1 is disabled (merged or closed); add the user it was merged into instead.")
                          .arg(qint64(user->value(QStringLiteral("id")).toDouble())));
    return {};
}

// Locks the workspace, then the user's membership of it, refusing when there is none. *lastOwner tells
// whether the user is its only owner; the other owners' memberships are locked too, so that two changes to
// two owners cannot each count on the other.
DbError lockMemberOf(ActionContext &context, qint64 workspace, qint64 user, QJsonObject *membership,
                     bool *lastOwner)
{
    // The membership is locked in the same round trip, after the workspace as the lock order has it: one
    // round trip less while the workspace row is held.
    StatementRows *rows = nullptr;
    if (DbError error = context.lockWorkspace(workspace, nullptr, membershipLock(workspace, user, &rows)))
        return error;
    if (!rows->next())
        return refuse(tr("User %1 is not a member of workspace %2.").arg(user).arg(workspace));
    *membership = parseJson(rows->value(0)).toObject();
    *lastOwner = false;
    if (membership->value(QStringLiteral("role")).toString() != QLatin1String("owner"))
        return {};
    qint64 others = 0;
    if (DbError error = countOtherOwners(context, workspace, user, &others))
        return error;
    *lastOwner = others == 0;
    return {};
}

PipelinedStatement memberCountStatement(qint64 workspace, StatementRows **rows)
{
    return {nullptr,
            QStringLiteral("SELECT count(*) FROM public.memberships WHERE workspace_id = CAST($1 AS bigint)"),
            {workspace},
            tr("Counting the members"),
            rows};
}

void describeMembership(ActionContext &context, qint64 workspace, qint64 user)
{
    context.targetType = QStringLiteral("membership");
    context.targetId = QStringLiteral("%1/%2").arg(workspace).arg(user);
    context.workspaceId = workspace;
}

} // namespace

DbError memberCount(ActionContext &context, qint64 workspace, qint64 *members)
{
    const PipelinedStatement count = memberCountStatement(workspace, nullptr);
    StatementRows *query = nullptr;
    if (DbError error = context.row(query, count.sql, count.values, count.doing))
        return error;
    *members = query->value(0).toLongLong();
    return {};
}

DbError runMemberAdd(ActionContext &context)
{
    const ActionRequest &request = context.request();
    const qint64 workspaceId = *request.workspaceId;
    QJsonObject workspace;
    if (DbError error = context.lockWorkspace(workspaceId, &workspace))
        return error;
    QJsonObject user;
    if (DbError error = resolveUser(context, &user))
        return error;
    const qint64 userId = qint64(user.value(QStringLiteral("id")).toDouble());
    // The user's membership (none, or the refusal says which), the member count and the plan's limit, in
    // one round trip: none needs another's answer.
    StatementRows *existing = nullptr;
    StatementRows *count = nullptr;
    StatementRows *limit = nullptr;
    if (DbError error = context.statements().pipeline(
            {membershipLock(workspaceId, userId, &existing),
             memberCountStatement(workspaceId, &count),
             {nullptr,
              QStringLiteral("SELECT max_members FROM public.plans WHERE code = $1"),
              {workspace.value(QStringLiteral("plan")).toString()},
              tr("Reading the plan"),
              &limit}}))
        return error;
    if (existing->next())
        return refuse(
            tr("User %1 is already a member of workspace %2 (as %3).")
                .arg(userId)
                .arg(workspaceId)
                .arg(parseJson(existing->value(0)).toObject().value(QStringLiteral("role")).toString()));
    if (!count->next() || !limit->next())
        return DbError::make(ErrorKind::Internal,
                             tr("Counting the members and reading the plan gave no answer."));
    const qint64 members = count->value(0).toLongLong();
    const qint64 maxMembers = limit->value(0).toLongLong();
    if (members >= maxMembers)
        return refuse(tr("The team is full: workspace %1 on the %2 plan has %3 of %4 seats. Remove a member "
                         "first, or move the workspace to a plan with more seats.")
                          .arg(workspaceId)
                          .arg(workspace.value(QStringLiteral("plan")).toString())
                          .arg(members)
                          .arg(maxMembers));
    QJsonValue after;
    // The team-size trigger checks again, under the same lock: a second guard, not the first.
    if (DbError error =
            context.json(QStringLiteral("INSERT INTO public.memberships (workspace_id, user_id, role) "
                                        "VALUES (CAST($1 AS bigint), CAST($2 AS bigint), $3) "
                                        "RETURNING to_jsonb(memberships.*)"),
                         {workspaceId, userId, request.role}, tr("Adding the member"), &after))
        return error;
    if (DbError error = context.wrote())
        return error;
    // The user was read without a lock (support may not lock users). A user-merge that disabled it meanwhile
    // held its row, so the insert's foreign key check waited for that commit, and this fresh read sees it. A
    // merge still to come waits for this commit instead (the check holds the row), then moves the membership.
    StatementRows *disabled = nullptr;
    if (DbError error =
            context.row(disabled,
                        QStringLiteral("SELECT disabled_at IS NOT NULL FROM public.users WHERE id = "
                                       "CAST($1 AS bigint)"),
                        {userId}, tr("Checking the user again")))
        return error;
    if (disabled->value(0).toBool())
        return refuse(
            tr("User %1 was disabled (merged or closed) a moment ago; add the user it was merged into "
               "instead.")
                .arg(userId));
    describeMembership(context, workspaceId, userId);
    context.before = QJsonValue::Null;
    context.after = after;
    context.preview = {{QStringLiteral("members_before"), members},
                       {QStringLiteral("members_after"), members + 1},
                       {QStringLiteral("max_members"), maxMembers}};
    context.message = tr("User %1 (%2) added to workspace %3 as %4; %5 of %6 seats used.")
                          .arg(userId)
                          .arg(user.value(QStringLiteral("primary_email")).toString())
                          .arg(workspaceId)
                          .arg(request.role)
                          .arg(members + 1)
                          .arg(maxMembers);
    return {};
}

DbError runMemberRemove(ActionContext &context)
{
    const ActionRequest &request = context.request();
    const qint64 workspaceId = *request.workspaceId;
    const qint64 userId = *request.userId;
    QJsonObject membership;
    bool lastOwner = false;
    if (DbError error = lockMemberOf(context, workspaceId, userId, &membership, &lastOwner))
        return error;
    if (lastOwner)
        return refuse(
            tr("User %1 is the last owner of workspace %2 and cannot be removed. Make another member "
               "an owner first.")
                .arg(userId)
                .arg(workspaceId));
    qint64 members = 0;
    if (DbError error = memberCount(context, workspaceId, &members))
        return error;
    StatementRows *remove = nullptr;
    if (DbError error =
            context.exec(remove,
                         QStringLiteral("DELETE FROM public.memberships WHERE workspace_id = CAST($1 AS "
                                        "bigint) AND user_id = CAST($2 AS bigint)"),
                         {workspaceId, userId}, tr("Removing the member")))
        return error;
    if (DbError error = context.wrote())
        return error;
    describeMembership(context, workspaceId, userId);
    context.before = membership;
    context.after = QJsonValue::Null;
    context.preview = {{QStringLiteral("members_before"), members},
                       {QStringLiteral("members_after"), members - 1},
                       {QStringLiteral("rows_affected"), 1}};
    context.message = tr("User %1 removed from workspace %2; %3 members remain.")
                          .arg(userId)
                          .arg(workspaceId)
                          .arg(members - 1);
    return {};
}

DbError runMemberRole(ActionContext &context)
{
    const ActionRequest &request = context.request();
    const qint64 workspaceId = *request.workspaceId;
    if (!request.userId)
        return DbError::make(ErrorKind::Usage, tr("member-role needs the user's id (--user ID)."));
    const qint64 userId = *request.userId;
    QJsonObject membership;
    bool lastOwner = false;
    if (DbError error = lockMemberOf(context, workspaceId, userId, &membership, &lastOwner))
        return error;
    const QString role = membership.value(QStringLiteral("role")).toString();
    if (role == request.role)
        return refuse(tr("User %1 is already %2 of workspace %3.").arg(userId).arg(role).arg(workspaceId));
    if (lastOwner)
        return refuse(tr("User %1 is the last owner of workspace %2 and cannot be made %3. Make another "
                         "member an owner first.")
                          .arg(userId)
                          .arg(workspaceId)
                          .arg(request.role));
    // Nothing is left to check once the role is changed: the engine writes it with the audit row.
    context.lastWrite = {
        sql::memberRoleWrite(), {request.role, workspaceId, userId}, tr("Changing the role")};
    describeMembership(context, workspaceId, userId);
    context.before = membership;
    // A dry run reports what it would touch, as every other action's does.
    context.preview = {{QStringLiteral("rows_affected"), 1},
                       {QStringLiteral("role_before"), role},
                       {QStringLiteral("role_after"), request.role}};
    context.message = tr("User %1 is now %2 of workspace %3 (was %4).")
                          .arg(userId)
                          .arg(request.role)
                          .arg(workspaceId)
                          .arg(role);
    return {};
}

} // namespace beacon::actions
