#pragma once

#include "db/dberror.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>

namespace beacon::stripelocal {

class StripeStore;

// A plan that bills through Stripe, as the demo database's plans table names it.
struct DemoPrice {
    QString priceId; // plans.stripe_price_id, kept as Stripe's price id
    QString planCode;
    QString planName;
    qint64 monthlyCents = 0;
};

// One workspace that has something to do with Stripe, as its row records it.
struct DemoWorkspaceBilling {
    qint64 id = 0;
    QString name;
    QString ownerEmail;
    QString plan;
    QString priceId; // the plan's; empty for free and enterprise
    qint64 monthlyCents = 0;
    QString customerId;
    QString subscriptionId;
    QString status;                       // "none" when the column is NULL
    qint64 periodEnd = 0;                 // whole Unix seconds, as Stripe counts; 0 when NULL
    QString subscriptionIdSeenByWebhooks; // for a live row without a subscription id: what billing_events saw
};

// What the demo's Stripe must hold: read from the database on whatever thread has the connection, then
// filled into the store on the server's thread (no SQL there).
struct DemoBilling {
    QList<DemoPrice> prices;
    QList<DemoWorkspaceBilling> workspaces;
};

// What fillDemoStripe() made, and where it planted the two disagreements that live only in Stripe.
struct DemoStripeSummary {
    int customers = 0;
    int subscriptions = 0;
    int invoices = 0;
    qint64 lostSubscriptionWorkspace = 0;  // planted in the database by plantLostSubscriptionId()
    qint64 duplicateCustomerWorkspace = 0; // a second Stripe customer names it
    qint64 statusDriftWorkspace = 0;       // past_due in Stripe, active in its row
};

// The planted disagreement that lives in the database: the first active paying workspace (by id, away from
// the seeder's own planted anomalies) forgets its subscription id, as a lost webhook would leave it. Run
// once, right after seeding, so that restarting the demo does not lose another one. `workspace` gets its id
// (0 when no workspace qualifies).
DbError plantLostSubscriptionId(const QSqlDatabase &db, qint64 *workspace = nullptr);

// Reads the plans with a Stripe price and every workspace whose row names a Stripe customer or subscription.
DbError readDemoBilling(const QSqlDatabase &db, DemoBilling *billing);

// Fills `store` so that Stripe agrees with the database except for three planted disagreements, one per
// kind (see demostripe.cpp for each rule). Deterministic: the same rows give the same objects and ids.
DemoStripeSummary fillDemoStripe(const DemoBilling &billing, StripeStore &store);

} // namespace beacon::stripelocal
