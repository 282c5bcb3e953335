#pragma once

#include "actions/action.h"
#include "actions/actioncontext.h"
#include "billing/stripeaccess.h"

#include <QSqlDatabase>

#include <optional>

namespace beacon::billing {

// Runs an admin action, reaching Stripe where the action must:
// - plan-change on a workspace whose subscription Stripe bills changes the subscription first, in recorded
//   phases (stripeplanchange.h); its dry run also asks Stripe what the change will cost. Without `stripe`
//   the engine refuses it with words, rather than change the plan behind Stripe's back.
// - billing-sync reads the subscription from Stripe just before it runs, unless the request has it already.
// - every other action, and plan-change elsewhere, is runAction() (exports-purge in batches).
// Blocking, and it waits for Stripe's answers on the calling thread: a worker thread or beaconctl.
actions::ActionResult runBilledAction(const QSqlDatabase &db, const actions::ActionRequest &request,
                                      const std::optional<StripeAccess> &stripe,
                                      const actions::ActionHooks &hooks = {});

// billing-sync's look at Stripe: the subscription the workspace's row names, as Stripe answers for it now,
// into request->stripeSubscription. A row that names none is left to the action to refuse in words.
DbError readSubscriptionForSync(const QSqlDatabase &db, const StripeAccess &access,
                                actions::ActionRequest *request);

} // namespace beacon::billing
