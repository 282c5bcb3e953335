#pragma once

#include "actions/action.h"
#include "actions/actioncontext.h"

#include <QJsonObject>
#include <QList>
#include <QSqlDatabase>

#include <functional>

namespace beacon::actions {

// One step of an action that must call another service, such as Stripe for a plan change. Exactly one of
// the two functions is set.
struct ActionPhase {
    QString name;
    // A step in this database: one transaction of its own, run and retried as runAction() runs an action
    // (lock in the global order, check on the locked rows, change). It reads what earlier phases handed on
    // in context.carried and adds what later ones need. The last phase must be one of these: it writes the
    // action's one audit row, with the before and after, and commits with it.
    std::function<DbError(ActionContext &)> inDatabase;
    // A step outside this database (the network call). It runs with no transaction open and no row locked,
    // and may only read and add to *carried. It must be safe to repeat: a run that stops after the call but
    // before its record is resumed by calling again, so give the other service an idempotency key made of
    // the action id and the phase name. Nothing secret goes into *carried: it is recorded.
    std::function<DbError(const ActionRequest &request, QJsonObject *carried)> outside;
};

// Runs an action in recorded phases, so that no row lock is ever held across a network call:
// - Each finished phase is recorded (public.action_phases) with what it hands on, in its own transaction.
// - The same action id run again resumes from the first unfinished phase, with what the finished ones
//   handed on; once the audit row is there, it reports the earlier outcome and runs nothing.
// - While one run is under way, another with the same action id is refused as busy instead of calling the
//   other service a second time.
// - A dry run runs the first phase, which holds the checks, and rolls it back; nothing is recorded.
// A phase after an outside call locks its rows again and checks them again: they may have changed in the
// meantime (pass what the first phase saw, such as the workspace version, in carried).
// Blocking, like runAction(): run it on a worker thread with its own connection.
ActionResult runPhasedAction(const QSqlDatabase &db, const ActionRequest &request,
                             const QList<ActionPhase> &phases, const ActionHooks &hooks = {});

} // namespace beacon::actions
