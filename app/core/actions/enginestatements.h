#pragma once

// The statements the engine sends on every action, as text, written once: the engine runs them from here,
// and beacon-bench builds its pgbench script from memberRoleStatements(), so that the baseline it measures
// against cannot drift from what the engine really sends.

#include <QList>
#include <QString>
#include <QStringList>

namespace beacon::actions {

namespace sql {

// Every action's transaction: READ COMMITTED, which the team-size trigger needs.
inline constexpr const char *Begin = "BEGIN ISOLATION LEVEL READ COMMITTED";
// $1 the lock timeout ("3000ms"), $2 the statement timeout, $3 the action id as text: the transaction's
// timeouts, and the queue for two runs of one action id at once.
QString timeoutsAndActionLock();
// $1 the action id: the earlier run of this action id, if it is in the audit log.
QString appliedLookup();
// $1 the workspace id: the workspace row as JSON and its version, locked.
QString workspaceLock();
// $1 the workspace id, $2 the user id: the membership row as JSON, locked.
QString membershipLock();
// $1 the new role, $2 the workspace id, $3 the user id: member-role's write, returning the row after it.
QString memberRoleWrite();

// The audit row's values, in the order the audit statements below number them.
const QStringList &auditValueNames();
// The audit row on its own: the values of auditValueNames() as $1 to $9, and `after` as $10.
QString auditInsert();
// An action's last write and the audit row in one statement, whose `after` is the write's RETURNING (one
// row, one jsonb column). The write keeps its own numbers, $1 to $writeValues, and the audit row's values
// follow it, so the write's text is used as it is and never renumbered: the statement takes the write's
// values, then those of auditValueNames(). The audit row is made only if the write touched a row, and a
// write that touched more fails on the scalar subquery: `after` is never silently null or one of several.
QString writeWithAudit(const QString &write, int writeValues);

} // namespace sql

// One statement an action sends: `command` (BEGIN, COMMIT), which takes no values, or `sql` with what each
// of its values is, by name ($1 is values[0]); the same name is the same value wherever it appears.
// Statements with the same `roundTrip` go to the server together (StatementCache::pipeline()).
struct EngineStatement {
    QString command;
    QString sql;
    QStringList values;
    int roundTrip = 0;
};

// What runAction() sends for member-role on a member who is not an owner, in order: the path beacon-bench
// measures. The names of the values: lock_timeout, statement_timeout, action_id, workspace, user, role, and
// the audit row's (auditValueNames()).
QList<EngineStatement> memberRoleStatements();

} // namespace beacon::actions
