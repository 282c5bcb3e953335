#include "billing/billingreport.h"

#include "billing/billingrows.h"
#include "billing/stripeendpoint.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimeZone>

namespace beacon::billing {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::billing::BillingReport", text);
}

namespace {

// Finance and admin see amounts and payment details; the server's grants on billing_events say the same.
DbError readSeesAmounts(const QSqlDatabase &db, bool *sees)
{
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral("SELECT rolsuper OR pg_has_role('beacon_finance', 'MEMBER') OR "
                                   "pg_has_role('beacon_admin', 'MEMBER') "
                                   "FROM pg_roles WHERE rolname = current_user")) ||
        !query.next())
        return DbError::fromSql(query.lastError(), tr("Reading which billing details this login may see"));
    *sees = query.value(0).toBool();
    return {};
}

QString when(const QJsonValue &unixSeconds)
{
    if (!unixSeconds.isDouble())
        return {};
    return QDateTime::fromSecsSinceEpoch(qint64(unixSeconds.toDouble()), QTimeZone::utc())
        .toString(Qt::ISODate);
}

// beaconctl's lines are for scripts and runbooks as well as people: the same digits whatever the locale.
QString money(const QJsonValue &cents, const QString &currency)
{
    return formatStripeAmount(qint64(cents.toDouble()), currency, QLocale::c());
}

QString currencyOf(const QJsonObject &object)
{
    const QString currency = object.value(QStringLiteral("currency")).toString();
    // A customer without a currency has not been billed yet; Beacon bills in dollars.
    return currency.isEmpty() ? QStringLiteral("usd") : currency;
}

} // namespace

DbError readBillingDatabaseSide(const QSqlDatabase &db, qint64 workspace, BillingDatabaseSide *side)
{
    *side = {};
    QList<WorkspaceBilling> rows;
    if (DbError error = readWorkspaceBilling(db, {}, workspace, &rows))
        return error;
    if (rows.isEmpty())
        return DbError::make(
            ErrorKind::Refused,
            tr("There is no workspace with id %1. Check the id and try again.").arg(workspace));
    side->row = rows.first();
    if (DbError error = readSeesAmounts(db, &side->seesAmounts))
        return error;
    return readPlanOfPrice(db, &side->planOfPrice);
}

WorkspaceBillingReport buildBillingReport(const BillingDatabaseSide &database,
                                          const BillingStripeSide &stripe)
{
    WorkspaceBillingReport report;
    const WorkspaceBilling &row = database.row;
    const bool amounts = database.seesAmounts;
    const QJsonObject &customer = stripe.customer;
    const QJsonObject &subscription = stripe.subscription;
    report.restricted = !amounts;
    report.databaseRow = row;

    const StripeSubscription parsed = subscriptionFromJson(subscription);
    QJsonObject subscriptionView;
    if (!subscription.isEmpty()) {
        subscriptionView = {{QStringLiteral("id"), parsed.id},
                            {QStringLiteral("status"), parsed.status},
                            {QStringLiteral("plan"), database.planOfPrice.value(parsed.priceId)}};
        report.lines.append(
            tr("Subscription %1: %2, plan %3")
                .arg(parsed.id, parsed.status, database.planOfPrice.value(parsed.priceId, tr("(unknown)"))));
    } else {
        report.lines.append(tr("No Stripe subscription is named by workspace %1.").arg(row.id));
    }
    if (amounts) {
        const QJsonObject items = subscription.value(QStringLiteral("items")).toObject();
        const QJsonObject item = items.value(QStringLiteral("data")).toArray().first().toObject();
        if (!subscription.isEmpty()) {
            subscriptionView.insert(QStringLiteral("price"), parsed.priceId);
            subscriptionView.insert(QStringLiteral("quantity"), item.value(QStringLiteral("quantity")));
            subscriptionView.insert(QStringLiteral("current_period_end"),
                                    when(subscription.value(QStringLiteral("current_period_end"))));
            subscriptionView.insert(QStringLiteral("cancel_at_period_end"),
                                    subscription.value(QStringLiteral("cancel_at_period_end")));
            subscriptionView.insert(QStringLiteral("trial_end"),
                                    when(subscription.value(QStringLiteral("trial_end"))));
        }
        if (!customer.isEmpty()) {
            const QJsonObject card = customer.value(QStringLiteral("invoice_settings"))
                                         .toObject()
                                         .value(QStringLiteral("default_payment_method"))
                                         .toObject()
                                         .value(QStringLiteral("card"))
                                         .toObject();
            report.billing.insert(
                QStringLiteral("customer"),
                QJsonObject{{QStringLiteral("id"), customer.value(QStringLiteral("id"))},
                            {QStringLiteral("email"), customer.value(QStringLiteral("email"))},
                            {QStringLiteral("balance"), customer.value(QStringLiteral("balance"))},
                            {QStringLiteral("currency"), currencyOf(customer)},
                            {QStringLiteral("delinquent"), customer.value(QStringLiteral("delinquent"))},
                            {QStringLiteral("card_brand"), card.value(QStringLiteral("brand"))},
                            {QStringLiteral("card_last4"), card.value(QStringLiteral("last4"))}});
            report.lines.prepend(
                tr("Customer %1: %2, balance %3%4, card %5 …%6")
                    .arg(customer.value(QStringLiteral("id")).toString(),
                         customer.value(QStringLiteral("email")).toString(),
                         money(customer.value(QStringLiteral("balance")), currencyOf(customer)),
                         customer.value(QStringLiteral("delinquent")).toBool() ? tr(", delinquent")
                                                                               : QString(),
                         card.value(QStringLiteral("brand")).toString(),
                         card.value(QStringLiteral("last4")).toString()));
            QJsonArray list;
            for (const QJsonValue &value : stripe.invoices) {
                const QJsonObject invoice = value.toObject();
                const QString currency = currencyOf(invoice);
                list.append(
                    QJsonObject{{QStringLiteral("number"), invoice.value(QStringLiteral("number"))},
                                {QStringLiteral("status"), invoice.value(QStringLiteral("status"))},
                                {QStringLiteral("amount_due"), invoice.value(QStringLiteral("amount_due"))},
                                {QStringLiteral("amount_paid"), invoice.value(QStringLiteral("amount_paid"))},
                                {QStringLiteral("currency"), currency},
                                {QStringLiteral("created"), when(invoice.value(QStringLiteral("created")))},
                                {QStringLiteral("hosted_invoice_url"),
                                 invoice.value(QStringLiteral("hosted_invoice_url"))}});
                report.lines.append(tr("Invoice %1: %2, due %3, paid %4, %5")
                                        .arg(invoice.value(QStringLiteral("number")).toString(),
                                             invoice.value(QStringLiteral("status")).toString(),
                                             money(invoice.value(QStringLiteral("amount_due")), currency),
                                             money(invoice.value(QStringLiteral("amount_paid")), currency),
                                             when(invoice.value(QStringLiteral("created")))));
            }
            report.billing.insert(QStringLiteral("invoices"), list);
            // A canceled subscription has no upcoming invoice: Stripe answers 404, and the report says none.
            if (!subscription.isEmpty() && stripe.upcoming.isEmpty()) {
                report.lines.append(tr("Upcoming invoice: none"));
            } else if (!subscription.isEmpty()) {
                const QJsonObject &next = stripe.upcoming;
                report.billing.insert(
                    QStringLiteral("upcoming_invoice"),
                    QJsonObject{{QStringLiteral("amount_due"), next.value(QStringLiteral("amount_due"))},
                                {QStringLiteral("currency"), currencyOf(next)},
                                {QStringLiteral("next_payment_attempt"),
                                 when(next.value(QStringLiteral("next_payment_attempt")))}});
                report.lines.append(
                    tr("Upcoming invoice: %1")
                        .arg(money(next.value(QStringLiteral("amount_due")), currencyOf(next))));
            }
        }
    }
    if (!subscriptionView.isEmpty())
        report.billing.insert(QStringLiteral("subscription"), subscriptionView);

    // Where Stripe and the row disagree, both values side by side.
    QList<StripeCustomer> customers;
    if (!customer.isEmpty())
        customers.append(customerFromJson(customer));
    QList<StripeSubscription> subscriptions;
    if (!subscription.isEmpty())
        subscriptions.append(parsed);
    QJsonArray disagreements;
    for (const Finding &finding : reconcile({row}, customers, subscriptions, database.planOfPrice)) {
        // A support login did not read the customer, which is not the same as Stripe not having it.
        if (!amounts &&
            (finding.kind == FindingKind::OrphanCustomerId || finding.kind == FindingKind::LostCustomerId))
            continue;
        report.disagreements.append(finding);
        disagreements.append(finding.toJson());
        report.lines.append(
            tr("Disagrees: %1 — database %2, Stripe %3")
                .arg(findingKindName(finding.kind), finding.databaseValue, finding.stripeValue));
    }
    report.billing.insert(QStringLiteral("disagreements"), disagreements);
    report.billing.insert(QStringLiteral("restricted"), report.restricted);
    return report;
}

QString formatStripeAmount(qint64 minorUnits, const QString &currency, const QLocale &locale)
{
    // Stripe's zero-decimal currencies (its documentation's list): the amount is already whole units.
    static const QStringList zeroDecimal = {
        QStringLiteral("bif"), QStringLiteral("clp"), QStringLiteral("djf"), QStringLiteral("gnf"),
        QStringLiteral("jpy"), QStringLiteral("kmf"), QStringLiteral("krw"), QStringLiteral("mga"),
        QStringLiteral("pyg"), QStringLiteral("rwf"), QStringLiteral("ugx"), QStringLiteral("vnd"),
        QStringLiteral("vuv"), QStringLiteral("xaf"), QStringLiteral("xof"), QStringLiteral("xpf")};
    const QString code = currency.toLower();
    const QString number = zeroDecimal.contains(code) ? locale.toString(minorUnits)
                                                      : locale.toString(double(minorUnits) / 100.0, 'f', 2);
    return QStringLiteral("%1 %2").arg(number, code.toUpper());
}

bool isOpenableInvoiceUrl(const QUrl &url)
{
    if (!url.isValid() || url.host().isEmpty())
        return false;
    if (url.scheme() == QLatin1String("https"))
        return true;
    return url.scheme() == QLatin1String("http") && isLoopbackHost(url.host());
}

} // namespace beacon::billing
