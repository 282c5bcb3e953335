#pragma once

#include "billing/stripeaccess.h"
#include "db/dberror.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QStringList>

namespace beacon::cli {

struct BillingShowReport {
    DbError error;
    QJsonObject billing;     // what `beaconctl billing show --json` prints under "billing"
    QStringList lines;       // the same in words, a line each
    bool restricted = false; // a support login: the subscription's status and plan only
};

// A workspace's billing as Stripe sees it: the customer (e-mail, balance, delinquent, the default card's
// brand and last four), the subscription (status, price and plan, quantity, period end, cancel at period
// end, trial end), the last 12 invoices and the upcoming one, and where Stripe and the row disagree. A login
// that is neither finance nor admin sees the subscription's status and plan only: no amounts, no payment
// details. Runs its own event loop until Stripe has answered (beaconctl only).
BillingShowReport showBilling(const QSqlDatabase &db, const billing::StripeAccess &access, qint64 workspace);

} // namespace beacon::cli
