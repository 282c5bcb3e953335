#pragma once

#include "actions/action.h"
#include "actions/actioncontext.h"

#include <QSqlDatabase>

namespace beacon::actions {

// Runs one action as one short transaction on `db` (READ COMMITTED, which the team-size trigger needs):
// lock in the global order, check on the locked rows, change, write exactly one audit row with the before
// and after, commit. Any failure rolls everything back.
// - The same action id already in the audit log: nothing is done, and the original outcome is reported.
// - A deadlock or serialization failure is retried, a bounded number of times, with jittered backoff.
// - A lock not obtained within the request's lock timeout is reported as busy; a missing privilege as
//   denied, naming the roles that have it.
// - A dry run takes the same path through the checks and the change, then rolls back.
// Blocking: run it on a worker thread with its own connection. No row lock is ever held across anything but
// this database's own statements; an action that must call Stripe will do it between transactions.
ActionResult runAction(const QSqlDatabase &db, const ActionRequest &request, const ActionHooks &hooks = {});

// exports-purge as people run it: batch after batch until none is left, each its own runAction()
// with its own audit row. The first batch has the request's action id, each next one an id derived from it
// (UUID v5 of "batch-N" in the given id's namespace), so that a rerun with the same id walks past the batches
// an interrupted run committed and finishes the rest. The result carries every batch's before and after, the
// totals in its preview (rows_affected, bytes_freed, batches, earlier_batches), and the last batch's
// outcome; it is already applied only when every batch was. A failure names the batch and the given id.
// Any other action, and a dry run, is a single runAction().
ActionResult runActionInBatches(const QSqlDatabase &db, const ActionRequest &request);

} // namespace beacon::actions
