#pragma once

#include "browsebench.h"

#include "db/dberror.h"

#include <QList>
#include <QSqlDatabase>

namespace beacon::bench {

// plan-change through Stripe from end to end, as beaconctl and the console run it (billing::runBilledAction:
// two database phases, the subscription and upcoming-invoice reads, and the update), against a local Stripe
// server holding the workspaces' own subscription and price ids. Each workspace moves from team to business
// and back, so that the plans end as they began; the audit rows stay, as the actions bench's do.
// The baseline is the Stripe update's round trip alone (billingbench's POST rows): what the rest adds to it.
DbError runPlanChangeBench(const QSqlDatabase &db, double stripePostP50, double stripePostP99,
                           QList<Figure> *figures);

} // namespace beacon::bench
