#pragma once

#include "billing/billingreport.h"
#include "billing/stripeaccess.h"

#include <QSqlDatabase>

namespace beacon::cli {

using BillingShowReport = billing::WorkspaceBillingReport;

// A workspace's billing as Stripe sees it (billing::buildBillingReport says what it holds), gathered by the
// same WorkspaceBillingLoader as the console's Billing tab: the database side read on beaconctl's own
// connection, then Stripe asked. A login that is neither finance nor admin sees the subscription's status
// and plan only, and Stripe is asked for nothing else. Runs its own event loop until Stripe has answered
// (beaconctl only).
BillingShowReport showBilling(const QSqlDatabase &db, const billing::StripeAccess &access, qint64 workspace);

} // namespace beacon::cli
