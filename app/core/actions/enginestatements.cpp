#include "actions/enginestatements.h"

namespace beacon::actions {

namespace sql {

namespace {

const QString AuditColumns =
    QStringLiteral("INSERT INTO public.audit_log (actor, action, action_id, target_type, target_id, "
                   "workspace_id, reason, before, after, client) ");

// The audit row's values from $first on, in auditValueNames()' order, with `after` between `before` and
// `client`.
QString auditRow(int first, const QString &after)
{
    const auto p = [first](int offset) {
        return QStringLiteral("$%1").arg(first + offset);
    };
    return QStringLiteral("%1, %2, CAST(%3 AS uuid), %4, %5, CAST(%6 AS bigint), %7, CAST(%8 AS jsonb), %10, "
                          "CAST(%9 AS jsonb)")
        .arg(p(0), p(1), p(2), p(3), p(4), p(5), p(6), p(7), p(8), after);
}

} // namespace

QString timeoutsAndActionLock()
{
    return QStringLiteral("SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, "
                          "true), pg_advisory_xact_lock(hashtextextended($3, 0))");
}

QString appliedLookup()
{
    return QStringLiteral("SELECT action, before::text, after::text, reason, (client -> 'request')::text, "
                          "client ->> 'request_fingerprint' FROM public.audit_log WHERE action_id = "
                          "CAST($1 AS uuid)");
}

QString workspaceLock()
{
    return QStringLiteral("SELECT to_jsonb(w), w.version FROM public.workspaces AS w WHERE w.id = "
                          "CAST($1 AS bigint) FOR UPDATE");
}

QString membershipLock()
{
    return QStringLiteral("SELECT to_jsonb(m) FROM public.memberships AS m WHERE m.workspace_id = "
                          "CAST($1 AS bigint) AND m.user_id = CAST($2 AS bigint) FOR UPDATE");
}

QString memberRoleWrite()
{
    return QStringLiteral("UPDATE public.memberships SET role = $1 WHERE workspace_id = CAST($2 AS bigint) "
                          "AND user_id = CAST($3 AS bigint) RETURNING to_jsonb(memberships.*)");
}

const QStringList &auditValueNames()
{
    static const QStringList names = {
        QStringLiteral("actor"),       QStringLiteral("action"),    QStringLiteral("action_id"),
        QStringLiteral("target_type"), QStringLiteral("target_id"), QStringLiteral("workspace"),
        QStringLiteral("reason"),      QStringLiteral("before"),    QStringLiteral("client")};
    return names;
}

QString auditInsert()
{
    const int after = int(auditValueNames().size()) + 1;
    return AuditColumns + QStringLiteral("VALUES (") +
           auditRow(1, QStringLiteral("CAST($%1 AS jsonb)").arg(after)) + QLatin1Char(')');
}

QString writeWithAudit(const QString &write, int writeValues)
{
    return QStringLiteral("WITH written AS (") + write + QStringLiteral(") ") + AuditColumns +
           QStringLiteral("SELECT ") + auditRow(writeValues + 1, QStringLiteral("(SELECT * FROM written)")) +
           QStringLiteral(" WHERE EXISTS (SELECT FROM written) RETURNING after::text");
}

} // namespace sql

QList<EngineStatement> memberRoleStatements()
{
    const QString workspace = QStringLiteral("workspace");
    const QString user = QStringLiteral("user");
    const QString actionId = QStringLiteral("action_id");
    const QStringList writeValues = {QStringLiteral("role"), workspace, user};
    // The order of actionengine.cpp (beginAndFindApplied, writeAudit) and actions_members.cpp (lockMemberOf).
    return {
        {QString::fromLatin1(sql::Begin), {}, {}, 1},
        {{},
         sql::timeoutsAndActionLock(),
         {QStringLiteral("lock_timeout"), QStringLiteral("statement_timeout"), actionId},
         1},
        {{}, sql::appliedLookup(), {actionId}, 1},
        {{}, sql::workspaceLock(), {workspace}, 2},
        {{}, sql::membershipLock(), {workspace, user}, 2},
        {{},
         sql::writeWithAudit(sql::memberRoleWrite(), int(writeValues.size())),
         writeValues + sql::auditValueNames(),
         3},
        {QStringLiteral("COMMIT"), {}, {}, 3},
    };
}

} // namespace beacon::actions
