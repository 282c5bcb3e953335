#pragma once

#include "stripelocal/stripestore.h"

#include <QProcessEnvironment>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>

namespace beacon::test {

// A workspace billed through Stripe, for the tests of plan-change through Stripe: the local store gets the
// Team (29.00) and Business (99.00) monthly prices under the plans' own price ids, a customer for workspace 1
// and its subscription on Team over [periodStart, periodEnd]; the database gets workspace 1 ("one") on the
// team plan naming both, active, with that period end. Returns the subscription's id, or an empty string
// (and a warning) when the row could not be written.
QString seedPayingTeamWorkspace(stripelocal::StripeStore &store, const QSqlDatabase &db, qint64 periodStart,
                                qint64 periodEnd);

// Makes `price` (a local server's) the Team plan's Stripe price in this database; false (and a warning) when
// it could not be written.
bool priceTeamPlanAs(const QSqlDatabase &db, const QString &price);

struct CtlRun {
    int exitCode = -1; // -1: did not start, crashed or was killed after two minutes
    QString out;
    QString err;
};

// Runs beaconctl ($BEACONCTL) with `arguments` and `environment` until it ends, keeping this thread's event
// loop running meanwhile: a local Stripe server on this thread answers it.
CtlRun runCtlServingEvents(const QStringList &arguments, const QProcessEnvironment &environment);

} // namespace beacon::test
