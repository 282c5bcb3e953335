#pragma once

// The engine's inside, shared by runAction() and runPhasedAction(); not for callers.

#include "actions/action.h"
#include "actions/actioncontext.h"

#include <QJsonObject>
#include <QSqlDatabase>

#include <functional>
#include <optional>

namespace beacon::actions {

// A finished phase's record (public.action_phases), written in the phase's own transaction.
struct PhaseRecord {
    int seq = 0;
    QString name;
};

namespace detail {

// Where a phase record's carried holds the request's fingerprint (requestFingerprint()); not handed on.
inline constexpr const char *PhaseFingerprintKey = "request_fingerprint";

struct TransactionStep {
    std::function<DbError(ActionContext &)> body;
    // The step that ends the action: it writes the audit row, which COMMIT goes with.
    bool finishesAction = true;
    // For a phase: its record, written in the same transaction.
    std::optional<PhaseRecord> phase;
    // For a phase: what the phases before handed on, replaced by what this one hands on when it commits.
    QJsonObject *carried = nullptr;
};

// One transaction of an action, as runAction() describes it: READ COMMITTED, timeouts and the action id's
// queue, the earlier outcome of the same action id, the body, the phase record and the audit row, COMMIT;
// deadlocks and serialization failures retried; busy, denied and lost connections explained.
ActionResult runTransaction(const QSqlDatabase &db, const ActionRequest &request, const ActionHooks &hooks,
                            const TransactionStep &step);

// The refusal of an action id that was used before for another request (`earlierAction`, with
// `earlierParameters` as JSON text when known): a conflict, in words that say what it was.
DbError reusedIdConflict(const ActionRequest &request, const QString &earlierAction,
                         const QString &earlierParameters);

// The earlier outcome of this action id, if it is in the audit log.
DbError findApplied(const QSqlDatabase &db, const ActionRequest &request, ActionResult *result, bool *found);

} // namespace detail
} // namespace beacon::actions
