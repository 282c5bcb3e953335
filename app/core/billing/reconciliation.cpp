#include "billing/reconciliation.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QSet>
#include <QTimeZone>

#include <algorithm>
#include <map>

namespace beacon::billing {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::billing::Reconciliation", text);
}

namespace {

qint64 workspaceIdOf(const QJsonObject &object)
{
    // Stripe's metadata values are strings; anything that is not a whole positive number names nothing.
    bool ok = false;
    const qint64 id = object.value(QStringLiteral("metadata"))
                          .toObject()
                          .value(QStringLiteral("workspace_id"))
                          .toString()
                          .toLongLong(&ok);
    return ok && id > 0 ? id : 0;
}

QDateTime fromUnixSeconds(const QJsonValue &value)
{
    if (!value.isDouble())
        return {};
    return QDateTime::fromSecsSinceEpoch(qint64(value.toDouble()), QTimeZone::utc());
}

QString idOf(const QJsonValue &value)
{
    // An expandable field is either the id or the object itself.
    return value.isObject() ? value.toObject().value(QStringLiteral("id")).toString() : value.toString();
}

QString shown(const QString &value)
{
    return value.isEmpty() ? tr("(none)") : value;
}

QString shown(const QDateTime &when)
{
    return when.isValid() ? when.toUTC().toString(Qt::ISODate) : tr("(none)");
}

// A subscription that still bills, or may again; a canceled one may be left without an id in the row.
bool isLive(const StripeSubscription &subscription)
{
    return subscription.status != QLatin1String("canceled") &&
           subscription.status != QLatin1String("incomplete_expired");
}

// A finding's suggested fix: a beaconctl command line and the same as an action, or only words.
struct SuggestedFix {
    QString text;
    FixAction action = FixAction::None;
    QString customerId;
    QString subscriptionId;
};

SuggestedFix words(const QString &text)
{
    return {text, FixAction::None, {}, {}};
}

SuggestedFix syncFix(qint64 workspace)
{
    return {QStringLiteral("beaconctl billing-sync --workspace %1").arg(workspace), FixAction::Sync, {}, {}};
}

} // namespace

StripeCustomer customerFromJson(const QJsonObject &customer)
{
    StripeCustomer parsed;
    parsed.id = customer.value(QStringLiteral("id")).toString();
    parsed.workspaceId = workspaceIdOf(customer);
    parsed.email = customer.value(QStringLiteral("email")).toString();
    parsed.created = qint64(customer.value(QStringLiteral("created")).toDouble());
    parsed.deleted = customer.value(QStringLiteral("deleted")).toBool();
    return parsed;
}

StripeSubscription subscriptionFromJson(const QJsonObject &subscription)
{
    StripeSubscription parsed;
    parsed.id = subscription.value(QStringLiteral("id")).toString();
    parsed.customerId = idOf(subscription.value(QStringLiteral("customer")));
    parsed.workspaceId = workspaceIdOf(subscription);
    parsed.status = subscription.value(QStringLiteral("status")).toString();
    parsed.currentPeriodEnd = fromUnixSeconds(subscription.value(QStringLiteral("current_period_end")));
    parsed.cancelAtPeriodEnd = subscription.value(QStringLiteral("cancel_at_period_end")).toBool();
    const QJsonArray items =
        subscription.value(QStringLiteral("items")).toObject().value(QStringLiteral("data")).toArray();
    if (!items.isEmpty()) {
        const QJsonObject item = items.first().toObject();
        parsed.itemId = item.value(QStringLiteral("id")).toString();
        parsed.priceId = idOf(item.value(QStringLiteral("price")));
    }
    return parsed;
}

QString findingKindName(FindingKind kind)
{
    switch (kind) {
    case FindingKind::DuplicateCustomers:
        return QStringLiteral("duplicate_customers");
    case FindingKind::LostCustomerId:
        return QStringLiteral("lost_customer_id");
    case FindingKind::LostSubscriptionId:
        return QStringLiteral("lost_subscription_id");
    case FindingKind::OrphanCustomerId:
        return QStringLiteral("orphan_customer_id");
    case FindingKind::OrphanSubscriptionId:
        return QStringLiteral("orphan_subscription_id");
    case FindingKind::StatusDrift:
        return QStringLiteral("status_drift");
    case FindingKind::PlanDrift:
        return QStringLiteral("plan_drift");
    case FindingKind::PeriodDrift:
        return QStringLiteral("period_drift");
    }
    return {};
}

QJsonObject Finding::toJson() const
{
    return QJsonObject{
        {QStringLiteral("kind"), findingKindName(kind)}, {QStringLiteral("workspace"), workspaceId},
        {QStringLiteral("database"), databaseValue},     {QStringLiteral("stripe"), stripeValue},
        {QStringLiteral("fix"), suggestedFix},           {QStringLiteral("explanation"), explanation}};
}

QList<qint64> workspaceIdsNamedBy(const QList<StripeCustomer> &customers,
                                  const QList<StripeSubscription> &subscriptions)
{
    QSet<qint64> ids;
    for (const StripeCustomer &customer : customers) {
        if (customer.workspaceId > 0 && !customer.deleted)
            ids.insert(customer.workspaceId);
    }
    for (const StripeSubscription &subscription : subscriptions) {
        if (subscription.workspaceId > 0)
            ids.insert(subscription.workspaceId);
    }
    QList<qint64> sorted(ids.begin(), ids.end());
    std::sort(sorted.begin(), sorted.end());
    return sorted;
}

namespace {

// Everything known about one workspace, from both sides.
struct Side {
    const WorkspaceBilling *row = nullptr;
    QList<const StripeCustomer *> customers;         // naming the workspace, oldest first
    QList<const StripeSubscription *> subscriptions; // for the workspace, by metadata or customer
};

class Reconciler {
public:
    Reconciler(const QHash<QString, QString> &planOfPrice, QList<Finding> *findings)
        : m_planOfPrice(planOfPrice)
        , m_findings(findings)
    {}

    void compare(qint64 workspace, const Side &side,
                 const QHash<QString, const StripeCustomer *> &customerById,
                 const QHash<QString, const StripeSubscription *> &subscriptionById)
    {
        m_workspace = workspace;
        const QString rowCustomer = side.row ? side.row->stripeCustomerId : QString();
        const QString rowSubscription = side.row ? side.row->stripeSubscriptionId : QString();
        if (!side.row) {
            add(FindingKind::LostCustomerId, tr("no workspace %1").arg(workspace), ids(side.customers),
                words(tr("Review the customer in Stripe; there is no row to link it to.")),
                tr("Stripe names workspace %1, which does not exist in the database.").arg(workspace));
            return;
        }
        const StripeCustomer *named = chooseCustomer(side);
        if (side.customers.size() > 1)
            add(FindingKind::DuplicateCustomers, shown(rowCustomer), ids(side.customers),
                words(tr("Decide in Stripe which customer to keep (the console never deletes one): %1 is "
                         "the one %2.")
                          .arg(named->id, named->id == rowCustomer
                                              ? tr("the database names")
                                              : tr("with the live subscription, or the oldest"))),
                tr("%1 Stripe customers name workspace %2, as two checkouts at once would leave.")
                    .arg(side.customers.size())
                    .arg(workspace));
        if (!rowCustomer.isEmpty() && !customerById.contains(rowCustomer)) {
            add(FindingKind::OrphanCustomerId, rowCustomer, named ? named->id : tr("(none)"),
                named
                    ? linkFix(QStringLiteral("--customer"), named->id)
                    : words(
                          tr("Look %1 up in Stripe (another account, or the other mode?).").arg(rowCustomer)),
                tr("The database names customer %1, which Stripe does not know.").arg(rowCustomer));
        } else if (named && !isNamedBy(side.customers, rowCustomer)) {
            add(FindingKind::LostCustomerId, shown(rowCustomer), named->id,
                linkFix(QStringLiteral("--customer"), named->id),
                tr("Stripe's customer %1 names workspace %2, whose row has %3.")
                    .arg(named->id)
                    .arg(workspace)
                    .arg(rowCustomer.isEmpty() ? tr("no customer id") : tr("another one")));
        }

        const StripeSubscription *live = liveSubscription(side);
        const StripeSubscription *current = subscriptionById.value(rowSubscription);
        if (!rowSubscription.isEmpty() && !current) {
            add(FindingKind::OrphanSubscriptionId, rowSubscription, live ? live->id : tr("(none)"),
                live ? linkFix(QStringLiteral("--subscription"), live->id) : syncFix(workspace),
                tr("The database names subscription %1, which Stripe does not know.").arg(rowSubscription));
        } else if (live && live != current) {
            add(FindingKind::LostSubscriptionId, shown(rowSubscription), live->id,
                linkFix(QStringLiteral("--subscription"), live->id),
                tr("Stripe's subscription %1 (%2) belongs to workspace %3, whose row has %4.")
                    .arg(live->id, live->status)
                    .arg(workspace)
                    .arg(rowSubscription.isEmpty() ? tr("no subscription id") : tr("another one")));
        }
        if (current)
            compareSubscription(*side.row, *current);
    }

private:
    void compareSubscription(const WorkspaceBilling &row, const StripeSubscription &subscription)
    {
        const QString rowStatus =
            row.subscriptionStatus.isEmpty() ? QStringLiteral("none") : row.subscriptionStatus;
        if (rowStatus != subscription.status)
            add(FindingKind::StatusDrift, rowStatus, subscription.status, syncFix(row.id),
                tr("Subscription %1 is %2 in Stripe and %3 in the database.")
                    .arg(subscription.id, subscription.status, rowStatus));
        const QString stripePlan = m_planOfPrice.value(subscription.priceId);
        if (stripePlan != row.plan)
            add(FindingKind::PlanDrift, row.plan,
                stripePlan.isEmpty() ? tr("unknown price %1").arg(shown(subscription.priceId)) : stripePlan,
                stripePlan.isEmpty() ? words(tr("Find which plan price %1 is; no plan of Beacon has it.")
                                                 .arg(shown(subscription.priceId)))
                                     : syncFix(row.id),
                tr("Subscription %1 bills price %2; the workspace is on the %3 plan.")
                    .arg(subscription.id, shown(subscription.priceId), row.plan));
        // Stripe counts in whole seconds; the database may keep a fraction.
        const qint64 rowEnd = row.currentPeriodEnd.isValid() ? row.currentPeriodEnd.toSecsSinceEpoch() : -1;
        const qint64 stripeEnd =
            subscription.currentPeriodEnd.isValid() ? subscription.currentPeriodEnd.toSecsSinceEpoch() : -1;
        if (rowEnd != stripeEnd)
            add(FindingKind::PeriodDrift, shown(row.currentPeriodEnd), shown(subscription.currentPeriodEnd),
                syncFix(row.id),
                tr("The current period of subscription %1 ends at another time in Stripe.")
                    .arg(subscription.id));
    }

    static const StripeCustomer *chooseCustomer(const Side &side)
    {
        if (side.customers.isEmpty())
            return nullptr;
        const QString rowCustomer = side.row ? side.row->stripeCustomerId : QString();
        for (const StripeCustomer *customer : side.customers) {
            if (customer->id == rowCustomer)
                return customer;
        }
        for (const StripeCustomer *customer : side.customers) {
            for (const StripeSubscription *subscription : side.subscriptions) {
                if (subscription->customerId == customer->id && isLive(*subscription))
                    return customer;
            }
        }
        return side.customers.first();
    }

    static const StripeSubscription *liveSubscription(const Side &side)
    {
        const QString rowSubscription = side.row ? side.row->stripeSubscriptionId : QString();
        const StripeSubscription *live = nullptr;
        for (const StripeSubscription *subscription : side.subscriptions) {
            if (!isLive(*subscription))
                continue;
            if (subscription->id == rowSubscription)
                return subscription;
            if (!live)
                live = subscription;
        }
        return live;
    }

    static bool isNamedBy(const QList<const StripeCustomer *> &customers, const QString &id)
    {
        return std::any_of(customers.begin(), customers.end(),
                           [&id](const StripeCustomer *customer) { return customer->id == id; });
    }

    static QString ids(const QList<const StripeCustomer *> &customers)
    {
        QStringList list;
        for (const StripeCustomer *customer : customers)
            list.append(customer->id);
        return list.join(QStringLiteral(", "));
    }

    SuggestedFix linkFix(const QString &option, const QString &id) const
    {
        const bool customer = option == QLatin1String("--customer");
        return {
            QStringLiteral("beaconctl billing-link --workspace %1 %2 %3").arg(m_workspace).arg(option, id),
            FixAction::Link, customer ? id : QString(), customer ? QString() : id};
    }

    void add(FindingKind kind, const QString &database, const QString &stripe, const SuggestedFix &fix,
             const QString &explanation)
    {
        m_findings->append({kind, m_workspace, database, stripe, fix.text, explanation, fix.action,
                            fix.customerId, fix.subscriptionId});
    }

    const QHash<QString, QString> &m_planOfPrice;
    QList<Finding> *m_findings;
    qint64 m_workspace = 0;
};

} // namespace

QList<Finding> reconcile(const QList<WorkspaceBilling> &workspaces, const QList<StripeCustomer> &customers,
                         const QList<StripeSubscription> &subscriptions,
                         const QHash<QString, QString> &planOfPrice)
{
    // Ordered by workspace, so that the findings (and the page, and the JSON) come in a stable order.
    std::map<qint64, Side> sides;
    QHash<QString, const StripeCustomer *> customerById;
    QHash<QString, const StripeSubscription *> subscriptionById;
    for (const WorkspaceBilling &row : workspaces)
        sides[row.id].row = &row;
    QList<const StripeCustomer *> byAge;
    for (const StripeCustomer &customer : customers) {
        if (customer.deleted)
            continue;
        customerById.insert(customer.id, &customer);
        byAge.append(&customer);
    }
    std::stable_sort(byAge.begin(), byAge.end(), [](const StripeCustomer *a, const StripeCustomer *b) {
        return a->created < b->created;
    });
    for (const StripeCustomer *customer : std::as_const(byAge)) {
        if (customer->workspaceId > 0)
            sides[customer->workspaceId].customers.append(customer);
    }
    for (const StripeSubscription &subscription : subscriptions) {
        subscriptionById.insert(subscription.id, &subscription);
        qint64 workspace = subscription.workspaceId;
        if (workspace <= 0) {
            if (const StripeCustomer *customer = customerById.value(subscription.customerId))
                workspace = customer->workspaceId;
        }
        if (workspace > 0)
            sides[workspace].subscriptions.append(&subscription);
    }
    QList<Finding> findings;
    Reconciler reconciler(planOfPrice, &findings);
    for (const auto &[workspace, side] : sides)
        reconciler.compare(workspace, side, customerById, subscriptionById);
    std::stable_sort(findings.begin(), findings.end(), [](const Finding &a, const Finding &b) {
        return a.workspaceId != b.workspaceId ? a.workspaceId < b.workspaceId : int(a.kind) < int(b.kind);
    });
    return findings;
}

} // namespace beacon::billing
