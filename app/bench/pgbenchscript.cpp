#include "pgbenchscript.h"

#include "actions/action.h"

#include <QCoreApplication>
#include <QSet>

namespace beacon::bench {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("beacon-bench", text);
}

// The variables the read before each transaction sets with \gset, under the names of the engine's values.
// Unlocked, unlike the engine's read of the membership: the lock is still taken, by the engine's own
// statement, in the transaction.
const QString ClientSideValues = QStringLiteral(
    "SELECT gen_random_uuid() AS action_id, to_jsonb(m) AS before, "
    "CASE m.role WHEN 'member' THEN 'admin' ELSE 'member' END AS role, "
    "m.workspace_id || '/' || m.user_id AS target_id FROM public.memberships AS m "
    "WHERE m.workspace_id = CAST(:workspace AS bigint) AND m.user_id = CAST(:user AS bigint) \\gset\n");

QStringList clientSideNames()
{
    return {QStringLiteral("action_id"), QStringLiteral("before"), QStringLiteral("role"),
            QStringLiteral("target_id")};
}

} // namespace

QString pgbenchStatement(const actions::EngineStatement &statement)
{
    if (!statement.command.isEmpty())
        return statement.command;
    QString out;
    const QString &sql = statement.sql;
    for (qsizetype i = 0; i < sql.size(); ++i) {
        qsizetype end = i + 1;
        while (sql.at(i) == QLatin1Char('$') && end < sql.size() && sql.at(end).isDigit())
            ++end;
        if (end == i + 1) {
            out += sql.at(i);
            continue;
        }
        // The engine's statements hold no $$ bodies, so every $n is a placeholder.
        const qsizetype n = sql.mid(i + 1, end - i - 1).toLongLong();
        out += QLatin1Char(':') + statement.values.value(n - 1, QStringLiteral("missing_value_%1").arg(n));
        i = end - 1;
    }
    return out;
}

QList<QPair<QString, QString>> pgbenchDefinitions(const QString &client)
{
    const actions::ActionRequest defaults;
    return {{QStringLiteral("lock_timeout"), QStringLiteral("%1ms").arg(defaults.lockTimeoutMs)},
            {QStringLiteral("statement_timeout"), QStringLiteral("%1ms").arg(defaults.statementTimeoutMs)},
            {QStringLiteral("actor"), QStringLiteral("beacon-bench")},
            {QStringLiteral("action"), actions::actionName(actions::ActionKind::MemberRole)},
            {QStringLiteral("target_type"), QStringLiteral("membership")},
            {QStringLiteral("reason"), QStringLiteral("beacon-bench: pgbench baseline")},
            {QStringLiteral("client"), client}};
}

DbError memberRoleScript(const QString &chooseTarget, QString *script)
{
    QSet<QString> known = {QStringLiteral("workspace"), QStringLiteral("user")};
    for (const QString &name : clientSideNames())
        known.insert(name);
    for (const auto &[name, value] : pgbenchDefinitions({}))
        known.insert(name);

    const QList<actions::EngineStatement> statements = actions::memberRoleStatements();
    QString out = QStringLiteral("-- beacon-bench: runAction(member-role) as pgbench runs it, made from "
                                 "actions::memberRoleStatements()\n");
    out += chooseTarget;
    if (!out.endsWith(QLatin1Char('\n')))
        out += QLatin1Char('\n');
    out += ClientSideValues;
    for (qsizetype i = 0; i < statements.size(); ++i) {
        const actions::EngineStatement &statement = statements.at(i);
        for (const QString &name : statement.values) {
            if (!known.contains(name))
                return DbError::make(
                    ErrorKind::Internal,
                    tr("The engine's member-role statements take a value named %1, which the "
                       "pgbench script has no source for; add it to app/bench/pgbenchscript.cpp.")
                        .arg(name),
                    statement.sql);
        }
        const bool first = i == 0 || statements.at(i - 1).roundTrip != statement.roundTrip;
        const bool last = i + 1 == statements.size() || statements.at(i + 1).roundTrip != statement.roundTrip;
        const bool pipelined = !(first && last);
        if (pipelined && first)
            out += QStringLiteral("\\startpipeline\n");
        out += pgbenchStatement(statement) + QStringLiteral(";\n");
        if (pipelined && last)
            out += QStringLiteral("\\endpipeline\n");
    }
    *script = out;
    return {};
}

} // namespace beacon::bench
