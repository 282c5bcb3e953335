#pragma once

#include <QUuid>

// What the phases of a plan change through Stripe hand on to each other (ActionPhase, context.carried), and
// so what is recorded with each phase: ids, amounts and moments, never the Stripe key.
namespace beacon::actions::planbilling {

// From the first phase, in the database.
inline constexpr char Version[] = "version";           // the workspace row's, as it was checked
inline constexpr char Subscription[] = "subscription"; // sub_…
inline constexpr char PlanBefore[] = "plan_before";
inline constexpr char PriceBefore[] = "price_before";
inline constexpr char PriceAfter[] = "price_after";
inline constexpr char OverQuota[] = "over_quota";
inline constexpr char ProrationBehavior[] = "proration_behavior"; // Stripe's name: create_prorations, …
inline constexpr char ProrationDate[] = "proration_date";         // Unix seconds
// From the preview at Stripe.
inline constexpr char Item[] = "subscription_item";           // si_…
inline constexpr char ProrationAmount[] = "proration_amount"; // in the currency's smallest unit
inline constexpr char Currency[] = "currency";
inline constexpr char AmountDue[] = "amount_due"; // the upcoming invoice's, with the change
inline constexpr char ChargedAt[] = "charged_at"; // Unix seconds: when that invoice is due
// From the update at Stripe.
inline constexpr char StripeRequestId[] = "stripe_request_id";
inline constexpr char StripeStatus[] = "stripe_status";
inline constexpr char StripePeriodEnd[] = "stripe_period_end"; // Unix seconds
inline constexpr char StripePrice[] = "stripe_price";

} // namespace beacon::actions::planbilling

namespace beacon::actions {

// The action id of the billing-sync that repairs a plan change whose last phase found the workspace changed
// after Stripe was: derived from the plan change's id, so that the words can name it and a rerun of the
// repair is recognised.
QUuid planChangeRepairId(const QUuid &planChangeId);

} // namespace beacon::actions
