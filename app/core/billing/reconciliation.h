#pragma once

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace beacon::billing {

// A workspace's billing as Beacon's database records it.
struct WorkspaceBilling {
    qint64 id = 0;
    QString plan;
    QString stripeCustomerId;
    QString stripeSubscriptionId;
    QString subscriptionStatus; // empty when the column is NULL
    QDateTime currentPeriodEnd; // invalid when the column is NULL
};

// The parts of a Stripe customer that reconciliation compares.
struct StripeCustomer {
    QString id;
    qint64 workspaceId = 0; // metadata[workspace_id], 0 when absent or not a number
    QString email;
    qint64 created = 0; // Unix seconds
    bool deleted = false;
};

// The parts of a Stripe subscription that reconciliation compares (API 2023-08-16: the period is on the
// subscription; its first item carries the price).
struct StripeSubscription {
    QString id;
    QString customerId;
    qint64 workspaceId = 0; // metadata[workspace_id], else the customer's
    QString status;
    QString itemId;
    QString priceId;
    QDateTime currentPeriodEnd;
    bool cancelAtPeriodEnd = false;
};

StripeCustomer customerFromJson(const QJsonObject &customer);
StripeSubscription subscriptionFromJson(const QJsonObject &subscription);

enum class FindingKind {
    DuplicateCustomers,   // several Stripe customers name the same workspace (the checkout race)
    LostCustomerId,       // Stripe's customer names a workspace whose row has no id, or another one
    LostSubscriptionId,   // the same for a subscription
    OrphanCustomerId,     // the row names a customer Stripe does not know
    OrphanSubscriptionId, // the row names a subscription Stripe does not know
    StatusDrift,          // the subscription's status differs
    PlanDrift,            // the subscription's price is not the row's plan's price
    PeriodDrift,          // current_period_end differs
};

QString findingKindName(FindingKind kind);

// What the console can run for a finding without a person deciding first: record Stripe's id in the row
// (billing-link), or write Stripe's view of the subscription into it (billing-sync).
enum class FixAction { None, Link, Sync };

// One disagreement, with both sides' values and what a person can do about it.
struct Finding {
    FindingKind kind = FindingKind::StatusDrift;
    qint64 workspaceId = 0;
    QString databaseValue;
    QString stripeValue;
    QString suggestedFix; // a beaconctl command line, or words when only a person can decide
    QString explanation;  // what the disagreement means, in words
    // The suggested fix as an action: for Link, the id to record (one of the two is set).
    FixAction fixAction = FixAction::None;
    QString linkCustomerId;
    QString linkSubscriptionId;

    QJsonObject toJson() const;
};

// Compares the workspaces with what Stripe holds. `workspaces` must include every workspace the Stripe
// objects name (see workspaceIdsNamedBy()), or their findings are missed; `planOfPrice` maps a Stripe price
// id to Beacon's plan code. Findings come ordered by workspace, then kind. Duplicate customers are reported
// with every customer id and never with a fix that deletes one: a person decides.
QList<Finding> reconcile(const QList<WorkspaceBilling> &workspaces, const QList<StripeCustomer> &customers,
                         const QList<StripeSubscription> &subscriptions,
                         const QHash<QString, QString> &planOfPrice);

// The workspaces that Stripe's objects name in their metadata, for reading their rows.
QList<qint64> workspaceIdsNamedBy(const QList<StripeCustomer> &customers,
                                  const QList<StripeSubscription> &subscriptions);

} // namespace beacon::billing
