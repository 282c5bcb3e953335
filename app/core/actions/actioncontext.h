#pragma once

#include "actions/action.h"
#include "db/statementcache.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QVariantList>

#include <functional>
#include <optional>

namespace beacon::actions {

// A test seam: called after each write an action makes, inside its transaction. An error returned here
// aborts the action as a failed statement would, which proves that nothing of it remains.
struct ActionHooks {
    std::function<DbError(int writeNumber)> afterWrite;
};

// What one attempt of an action works with and fills in. The action's function runs inside the engine's
// transaction: it locks what it touches in the global order, checks its preconditions on the locked rows,
// changes them, and describes the change here; the engine writes the audit row and commits.
//
// The global lock order, the same for every action so that two of them never wait on each other in a
// circle: workspaces by ascending id; then memberships, projects and files; then users by ascending id.
// Rows outside it (exports) are locked on their own, never together with these.
class ActionContext {
public:
    ActionContext(const QSqlDatabase &db, StatementCache &statements, const ActionRequest &request,
                  const ActionHooks &hooks)
        : m_db(db)
        , m_statements(statements)
        , m_request(request)
        , m_hooks(hooks)
    {}

    const ActionRequest &request() const { return m_request; }
    const QSqlDatabase &db() const { return m_db; }
    StatementCache &statements() { return m_statements; }

    // Runs one statement with these values bound to its $1, $2, ... ($1 is values[0]); `doing` says what,
    // for the error a person reads. *rows is set to its result, prepared once per connection
    // (StatementCache): read it before the same statement runs again.
    DbError exec(StatementRows *&rows, const QString &sql, const QVariantList &values, const QString &doing);
    // The same, for a statement that always yields one row (an aggregate), left positioned on it.
    DbError row(StatementRows *&rows, const QString &sql, const QVariantList &values, const QString &doing);
    // The same, for a statement that yields one JSON document (to_jsonb of a row, or an array of rows):
    // *found is false when it yields no row.
    DbError json(const QString &sql, const QVariantList &values, const QString &doing, QJsonValue *result,
                 bool *found = nullptr);
    // To call after every write: the test seam of ActionHooks.
    DbError wrote();
    bool hasWriteHook() const { return bool(m_hooks.afterWrite); }
    // The writes reported through wrote() so far.
    int writes() const { return m_writes; }

    // Locks the workspace row (the first lock of any action on a workspace), refuses a workspace that does
    // not exist, and stops with a conflict when the person saw another version of it. *row is the row, if
    // `row` is given.
    DbError lockWorkspace(qint64 id, QJsonObject *row);
    // The same, with `next` sent in the same round trip right after the lock, so that the lock order
    // holds: the next lock in the global order, or a read, when it does not need the workspace row. It runs
    // even when the workspace is then refused, which the rollback undoes. Its rows are where it says.
    DbError lockWorkspace(qint64 id, QJsonObject *row, const PipelinedStatement &next);
    // Locks several workspaces, in ascending id order whatever order they are given in.
    DbError lockWorkspaces(QList<qint64> ids, QList<QJsonObject> *rows);

    // The audit row's fields, filled by the action.
    QString targetType;
    QString targetId;
    std::optional<qint64> workspaceId;
    QJsonValue before;
    QJsonValue after;
    QJsonObject preview;
    QString message;
    // The action's last write, when nothing is left to check after it: the engine runs it in one statement
    // with the audit row, and when it is the action's only write sends COMMIT in the same round trip, so
    // that the rows locked are let go one round trip sooner. `sql` is an INSERT, UPDATE or DELETE that
    // returns exactly one row of one jsonb column, the row after the change, which becomes `after`. It takes
    // exactly `values`, as $1 to $n; the engine numbers the audit row's values after them
    // (sql::writeWithAudit()), and refuses a write whose count of values is not its own. The engine calls
    // wrote() for it.
    struct LastWrite {
        QString sql;
        QVariantList values;
        QString doing;
    };
    std::optional<LastWrite> lastWrite;
    // For an action run in phases (phasedaction.h): what the phases before handed on, and what this one
    // hands on to the next. Recorded with the phase, so that a resumed run gets it back.
    QJsonObject carried;

private:
    DbError checkLockedWorkspace(qint64 id, StatementRows *rows, QJsonObject *row) const;

    const QSqlDatabase &m_db;
    StatementCache &m_statements;
    const ActionRequest &m_request;
    const ActionHooks &m_hooks;
    int m_writes = 0;
};

// A row's JSON as the server sends it (to_jsonb(...)::text): an object or an array, or null for SQL NULL or
// anything else.
QJsonValue parseJson(const QVariant &text);

// A refusal on the data, in words that say what to do.
DbError refuse(const QString &message);

// How many members the workspace has (its row locked already by the caller).
DbError memberCount(ActionContext &context, qint64 workspace, qint64 *members);

// Where a plan change is billed (actions_planbilling.cpp). A workspace that names a Stripe subscription and
// moves between two plans with a Stripe price changes in Stripe first, in phases
// (billing/stripeplanchange.h); one without a subscription changes in the database alone. Every other case
// is refused with words: a subscription that is not active or trialing, a move from a subscription to a plan
// Stripe does not bill (free, enterprise), and a row whose plan and subscription disagree.
enum class PlanBilling { DatabaseOnly, ThroughStripe };

// plan-change's checks on the locked workspace, the same wherever the change is billed: the plan exists and
// is another, how it is billed (decidePlanBilling), the members fit it, and the storage fits it (or
// --allow-over-quota).
struct PlanChangeChecks {
    QJsonObject workspace;   // the locked row
    QJsonObject currentPlan; // public.plans rows
    QJsonObject newPlan;
    PlanBilling billing = PlanBilling::DatabaseOnly;
    qint64 members = 0;
    bool overQuota = false;
};
DbError checkPlanChange(ActionContext &context, PlanChangeChecks *checks);
DbError decidePlanBilling(const PlanChangeChecks &checks, PlanBilling *billing);
QJsonObject planChangePreview(const PlanChangeChecks &checks, bool readOnlyAfter);
QString planChangeSummary(const PlanChangeChecks &checks); // "from team to business (4 members of 100, …)"

// The phases of a plan change through Stripe that run in the database: the first checks on the locked row and
// hands on what the Stripe phases need; the last writes what Stripe answered, under the lock again, with the
// audit row.
DbError runPlanChangeStripeCheck(ActionContext &context);
DbError runPlanChangeStripeApply(ActionContext &context);

// The actions, one function each (actions_*.cpp).
DbError runPlanChange(ActionContext &context);
DbError runReadOnly(ActionContext &context);
DbError runQuotaRepair(ActionContext &context);
DbError runMemberAdd(ActionContext &context);
DbError runMemberRemove(ActionContext &context);
DbError runMemberRole(ActionContext &context);
DbError runUserMerge(ActionContext &context);
DbError runProjectDelete(ActionContext &context);
DbError runFileDelete(ActionContext &context);
DbError runExportsPurge(ActionContext &context);
DbError runBillingLink(ActionContext &context);
DbError runBillingSync(ActionContext &context);

} // namespace beacon::actions
