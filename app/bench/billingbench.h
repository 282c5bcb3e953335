#pragma once

#include "browsebench.h"

#include "db/connectionspec.h"
#include "db/dberror.h"

#include <QList>

namespace beacon::bench {

// Reconciliation of 10,000 workspaces of the large database against a local Stripe server filled with a
// customer and a subscription for each, through the same code as `beaconctl reconcile`; and the round trip
// of the Stripe call a plan change makes; then whole plan changes through Stripe (planchangebench.h), which
// move 60 team workspaces to business and back and leave their audit rows.
DbError runBillingBench(const ConnectionSpec &spec, QList<Figure> *figures);

} // namespace beacon::bench
