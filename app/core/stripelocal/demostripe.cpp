#include "stripelocal/demostripe.h"

#include "seed/seeder.h"
#include "stripelocal/stripestore.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

#include <array>

namespace beacon::stripelocal {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::stripelocal::DemoStripe", text);
}

namespace {

constexpr qint64 Month = 30 * 86400; // the store's month, so that periods line up with its prorations

// The seeder's own planted anomalies (storage drift, canceled but writable, over the member limit): the
// billing disagreements go elsewhere, so that each planted workspace shows one thing.
QString seederAnomalyWorkspaces()
{
    const PlantedAnomalies planted = plantedAnomalies(SeedSize::Small);
    QStringList ids;
    for (const QList<qint64> &list : {planted.storageDriftWorkspaces, planted.canceledWritableWorkspaces,
                                      planted.overMemberLimitWorkspaces}) {
        for (qint64 id : list)
            ids.append(QString::number(id));
    }
    return QStringLiteral("{%1}").arg(ids.join(QLatin1Char(',')));
}

bool isLiveStatus(const QString &status)
{
    return status == QLatin1String("active") || status == QLatin1String("trialing") ||
           status == QLatin1String("past_due") || status == QLatin1String("unpaid");
}

bool owesMoney(const QString &status)
{
    return status == QLatin1String("past_due") || status == QLatin1String("unpaid");
}

// A workspace the planted Stripe-only disagreements may use: paying, active, and agreeing with Stripe.
bool canCarryPlant(const DemoWorkspaceBilling &row)
{
    return !row.customerId.isEmpty() && !row.subscriptionId.isEmpty() && !row.priceId.isEmpty() &&
           row.status == QLatin1String("active");
}

PaymentMethodSeed cardFor(const DemoWorkspaceBilling &row, const QString &customerId)
{
    // Stripe's test cards, spread over the workspaces by id so that the Billing tab shows some variety.
    struct Card {
        const char *brand;
        const char *last4;
    };
    static constexpr std::array<Card, 4> cards{
        {{"visa", "4242"}, {"mastercard", "4444"}, {"amex", "8431"}, {"discover", "1117"}}};
    const Card &card = cards.at(std::size_t(row.id % qint64(cards.size())));
    PaymentMethodSeed seed;
    seed.customerId = customerId;
    seed.brand = QString::fromLatin1(card.brand);
    seed.last4 = QString::fromLatin1(card.last4);
    seed.expMonth = int(1 + row.id % 12);
    seed.expYear = int(2027 + row.id % 4);
    return seed;
}

CustomerSeed customerFor(const DemoWorkspaceBilling &row, bool delinquent)
{
    CustomerSeed seed;
    seed.email = row.ownerEmail;
    seed.name = row.name;
    seed.delinquent = delinquent;
    seed.metadata.insert(QStringLiteral("workspace_id"), QString::number(row.id));
    return seed;
}

} // namespace

DbError plantLostSubscriptionId(const QSqlDatabase &db, qint64 *workspace)
{
    if (workspace)
        *workspace = 0;
    QSqlQuery query(db);
    query.prepare(QStringLiteral(
        "UPDATE public.workspaces SET stripe_subscription_id = NULL "
        " WHERE id = (SELECT w.id FROM public.workspaces AS w JOIN public.plans AS p ON p.code = w.plan "
        "              WHERE p.stripe_price_id IS NOT NULL AND w.subscription_status = 'active' "
        "                AND w.stripe_customer_id IS NOT NULL AND w.stripe_subscription_id IS NOT NULL "
        "                AND w.id <> ALL (CAST(:planted AS bigint[])) "
        "              ORDER BY w.id LIMIT 1) "
        "RETURNING id"));
    query.bindValue(QStringLiteral(":planted"), seederAnomalyWorkspaces());
    if (!query.exec())
        return DbError::fromSql(query.lastError(), tr("Planting the demo's lost subscription id"));
    if (query.next() && workspace)
        *workspace = query.value(0).toLongLong();
    return {};
}

DbError readDemoBilling(const QSqlDatabase &db, DemoBilling *billing)
{
    *billing = {};
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.exec(
            QStringLiteral("SELECT stripe_price_id, code, name, monthly_price_cents FROM public.plans "
                           "WHERE stripe_price_id IS NOT NULL ORDER BY monthly_price_cents, code")))
        return DbError::fromSql(query.lastError(), tr("Reading the demo's plans for its Stripe"));
    while (query.next())
        billing->prices.append({query.value(0).toString(), query.value(1).toString(),
                                query.value(2).toString(), query.value(3).toLongLong()});

    // The period end as whole seconds, as reconciliation compares it. For a live row without a subscription
    // id, the subscription the webhooks last announced, so that Stripe's copy keeps the id it always had.
    if (!query.exec(QStringLiteral(
            "SELECT w.id, w.name, "
            "       (SELECT u.primary_email FROM public.memberships AS m "
            "          JOIN public.users AS u ON u.id = m.user_id "
            "         WHERE m.workspace_id = w.id AND m.role = 'owner' ORDER BY m.user_id LIMIT 1), "
            "       w.plan, p.stripe_price_id, p.monthly_price_cents, w.stripe_customer_id, "
            "       w.stripe_subscription_id, coalesce(w.subscription_status, 'none'), "
            "       floor(extract(epoch FROM w.current_period_end))::bigint, "
            "       CASE WHEN w.stripe_subscription_id IS NULL "
            "             AND w.subscription_status IN ('active', 'trialing', 'past_due', 'unpaid') THEN "
            "            (SELECT e.payload #>> '{data,object,subscription}' FROM public.billing_events AS e "
            "              WHERE e.workspace_id = w.id AND e.type = 'customer.subscription.created' "
            "              ORDER BY e.received_at DESC, e.id DESC LIMIT 1) END "
            "  FROM public.workspaces AS w JOIN public.plans AS p ON p.code = w.plan "
            " WHERE w.stripe_customer_id IS NOT NULL OR w.stripe_subscription_id IS NOT NULL "
            " ORDER BY w.id")))
        return DbError::fromSql(query.lastError(), tr("Reading the demo's workspaces for its Stripe"));
    while (query.next()) {
        DemoWorkspaceBilling row;
        row.id = query.value(0).toLongLong();
        row.name = query.value(1).toString();
        row.ownerEmail = query.value(2).toString();
        row.plan = query.value(3).toString();
        row.priceId = query.value(4).toString();
        row.monthlyCents = query.value(5).toLongLong();
        row.customerId = query.value(6).toString();
        row.subscriptionId = query.value(7).toString();
        row.status = query.value(8).toString();
        row.periodEnd = query.value(9).isNull() ? 0 : query.value(9).toLongLong();
        row.subscriptionIdSeenByWebhooks = query.value(10).toString();
        billing->workspaces.append(row);
    }
    if (query.lastError().isValid())
        return DbError::fromSql(query.lastError(), tr("Reading the demo's workspaces for its Stripe"));
    return {};
}

// The rules, row by row:
// - Every price of the plans table, under the plan's own price id.
// - A customer under the row's stripe_customer_id, named after the workspace, with its owner's e-mail,
//   metadata[workspace_id] and a default card. Free workspaces downgraded from a paid plan keep theirs (with
//   no subscription), and so does enterprise, invoiced by contract: two paid manual invoices.
// - A subscription under the row's stripe_subscription_id with the plan's price, the row's status and
//   current_period_end (the period a store month long), and metadata[workspace_id]; trialing ones end their
//   trial with the period. Invoices at the start of each of the last three periods (one, of nothing, for a
//   trial); the latest is open when the status owes money.
// - A live row with a paid plan, a customer and no subscription id is the planted lost id: Stripe has its
//   subscription, under the id the webhooks saw (else sub_demolost<id>).
// - A row with a subscription id and no customer id, or no price, has nothing Stripe could hold: skipped
//   (the seeder makes none).
// Then, among the active paying workspaces by id: the first is past_due in Stripe (status drift) and the
// second gets a second customer, made last as a checkout race would (duplicate customers).
DemoStripeSummary fillDemoStripe(const DemoBilling &billing, StripeStore &store)
{
    DemoStripeSummary summary;
    for (const DemoPrice &price : billing.prices) {
        PriceSeed seed;
        seed.id = price.priceId;
        seed.productName = QStringLiteral("Beacon %1").arg(price.planName);
        seed.unitAmount = price.monthlyCents;
        seed.nickname = QStringLiteral("%1 monthly").arg(price.planName);
        seed.lookupKey = QStringLiteral("beacon_%1_monthly").arg(price.planCode);
        store.addPrice(seed);
    }

    QList<const DemoWorkspaceBilling *> plantable;
    for (const DemoWorkspaceBilling &row : billing.workspaces) {
        if (canCarryPlant(row))
            plantable.append(&row);
    }
    if (!plantable.isEmpty())
        summary.statusDriftWorkspace = plantable.at(0)->id;
    const DemoWorkspaceBilling *duplicated = plantable.size() > 1 ? plantable.at(1) : nullptr;
    if (duplicated)
        summary.duplicateCustomerWorkspace = duplicated->id;

    for (const DemoWorkspaceBilling &row : billing.workspaces) {
        if (row.customerId.isEmpty())
            continue;
        const bool drifted = row.id == summary.statusDriftWorkspace;
        const QString status = drifted ? QStringLiteral("past_due") : row.status;

        CustomerSeed customer = customerFor(row, owesMoney(status));
        customer.id = row.customerId;
        store.addCustomer(customer);
        store.addPaymentMethod(cardFor(row, row.customerId));
        ++summary.customers;

        QString subscriptionId = row.subscriptionId;
        if (subscriptionId.isEmpty() && isLiveStatus(row.status) && !row.priceId.isEmpty()) {
            subscriptionId = row.subscriptionIdSeenByWebhooks.isEmpty()
                                 ? QStringLiteral("sub_demolost%1").arg(row.id, 8, 10, QLatin1Char('0'))
                                 : row.subscriptionIdSeenByWebhooks;
            if (!summary.lostSubscriptionWorkspace)
                summary.lostSubscriptionWorkspace = row.id;
        }
        if (subscriptionId.isEmpty() || row.priceId.isEmpty() || row.status == QLatin1String("none")) {
            if (row.priceId.isEmpty() && row.monthlyCents > 0) { // invoiced by contract
                for (int monthsAgo = 2; monthsAgo >= 1; --monthsAgo) {
                    InvoiceSeed invoice;
                    invoice.customerId = row.customerId;
                    invoice.amountDue = invoice.amountPaid = row.monthlyCents;
                    invoice.created = store.now() - monthsAgo * Month;
                    store.addInvoice(invoice);
                    ++summary.invoices;
                }
            }
            continue;
        }

        SubscriptionSeed subscription;
        subscription.id = subscriptionId;
        subscription.customerId = row.customerId;
        subscription.priceId = row.priceId;
        subscription.status = status;
        if (row.periodEnd > 0) {
            subscription.currentPeriodEnd = row.periodEnd;
            subscription.currentPeriodStart = row.periodEnd - Month;
        }
        if (status == QLatin1String("trialing"))
            subscription.trialEnd = row.periodEnd > 0 ? row.periodEnd : store.now() + Month;
        subscription.metadata.insert(QStringLiteral("workspace_id"), QString::number(row.id));
        store.addSubscription(subscription);
        ++summary.subscriptions;

        const qint64 periodStart = row.periodEnd > 0 ? row.periodEnd - Month : store.now();
        const bool trial = status == QLatin1String("trialing");
        for (int periodsAgo = trial ? 0 : 2; periodsAgo >= 0; --periodsAgo) {
            InvoiceSeed invoice;
            invoice.customerId = row.customerId;
            invoice.subscriptionId = subscriptionId;
            invoice.amountDue = trial ? 0 : row.monthlyCents;
            invoice.created = periodStart - periodsAgo * Month;
            const bool unpaid = periodsAgo == 0 && owesMoney(status);
            invoice.status = unpaid ? QStringLiteral("open") : QStringLiteral("paid");
            invoice.amountPaid = unpaid ? 0 : invoice.amountDue;
            store.addInvoice(invoice);
            ++summary.invoices;
        }
    }

    if (duplicated) {
        // The checkout race: a second customer for the same workspace, with a card and nothing else.
        const QString second = store.addCustomer(customerFor(*duplicated, false));
        store.addPaymentMethod(cardFor(*duplicated, second));
        ++summary.customers;
    }
    return summary;
}

} // namespace beacon::stripelocal
