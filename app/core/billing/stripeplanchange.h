#pragma once

#include "actions/action.h"
#include "actions/phasedaction.h"
#include "billing/stripeaccess.h"

#include <QList>

namespace beacon::billing {

// plan-change on a workspace that pays through Stripe, as recorded phases (runPhasedAction), so that no row
// is locked while Stripe answers:
//   1. check (database): lock the workspace, check seats and storage, hand on its version, subscription,
//      prices and the proration moment;
//   2. stripe-preview: read the subscription's item and what the change will be charged or credited;
//   3. stripe-update: POST the item's new price with the proration choice and moment, under the
//      Idempotency-Key "<action id>-stripe-update", so that a rerun is replayed by Stripe, not repeated;
//   4. apply (database): lock again, refuse with a conflict if the row moved on (Stripe is changed already:
//      the words name the billing-sync that repairs it), write the plan, status and period end Stripe
//      answered, with the one audit row (its after has the Stripe request id and the proration amount).
// Each Stripe phase waits for its answers on the calling thread: run it on a worker thread or in beaconctl.
QList<actions::ActionPhase> stripePlanChangePhases(const StripeAccess &access);

// A dry run of the same change: `result` is the first phase's dry run; this asks Stripe for the upcoming
// invoice with the new price at the proration moment, and adds what the customer will be charged or
// credited, and when, to its preview and message. Blocking, as above.
void addStripePreview(const StripeAccess &access, actions::ActionResult *result);

} // namespace beacon::billing
