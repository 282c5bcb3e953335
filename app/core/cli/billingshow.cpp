#include "cli/billingshow.h"

#include "billing/billingrows.h"
#include "billing/reconciliation.h"
#include "billing/stripeclient.h"
#include "cli/billingcommand.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimeZone>

namespace beacon::cli {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beaconctl", text);
}

namespace {

// Finance and admin see amounts and payment details; the server's grants on billing_events say the same.
DbError seesAmounts(const QSqlDatabase &db, bool *sees)
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

QString money(const QJsonValue &cents, const QString &currency)
{
    return QStringLiteral("%1 %2").arg(double(cents.toDouble()) / 100.0, 0, 'f', 2).arg(currency.toUpper());
}

} // namespace

BillingShowReport showBilling(const QSqlDatabase &db, const billing::StripeAccess &access, qint64 workspace)
{
    BillingShowReport report;
    QList<billing::WorkspaceBilling> rows;
    if ((report.error = billing::readWorkspaceBilling(db, {}, workspace, &rows)))
        return report;
    if (rows.isEmpty()) {
        report.error =
            DbError::make(ErrorKind::Refused,
                          tr("There is no workspace with id %1. Check the id and try again.").arg(workspace));
        return report;
    }
    const billing::WorkspaceBilling &row = rows.first();
    bool amounts = false;
    if ((report.error = seesAmounts(db, &amounts)))
        return report;
    report.restricted = !amounts;
    QHash<QString, QString> planOfPrice;
    if ((report.error = billing::readPlanOfPrice(db, &planOfPrice)))
        return report;

    billing::StripeClient stripe(*access.key, *access.endpoint, access.clientOptions);
    QJsonObject customer;
    if (!row.stripeCustomerId.isEmpty() && amounts) {
        billing::StripeCall *call =
            stripe.get(QStringLiteral("/v1/customers/") + row.stripeCustomerId,
                       {{QStringLiteral("expand"),
                         QStringList{QStringLiteral("invoice_settings.default_payment_method")}}},
                       tr("Reading the Stripe customer"));
        if ((report.error = finishCall(call)))
            return report;
        customer = call->object();
    }
    QJsonObject subscription;
    if (!row.stripeSubscriptionId.isEmpty()) {
        billing::StripeCall *call =
            stripe.get(QStringLiteral("/v1/subscriptions/") + row.stripeSubscriptionId, {},
                       tr("Reading the Stripe subscription"));
        if ((report.error = finishCall(call)))
            return report;
        subscription = call->object();
    }

    const billing::StripeSubscription parsed = billing::subscriptionFromJson(subscription);
    QJsonObject subscriptionView;
    if (!subscription.isEmpty()) {
        subscriptionView = {{QStringLiteral("id"), parsed.id},
                            {QStringLiteral("status"), parsed.status},
                            {QStringLiteral("plan"), planOfPrice.value(parsed.priceId)}};
        report.lines.append(
            tr("Subscription %1: %2, plan %3")
                .arg(parsed.id, parsed.status, planOfPrice.value(parsed.priceId, tr("(unknown)"))));
    } else {
        report.lines.append(tr("No Stripe subscription is named by workspace %1.").arg(workspace));
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
                            {QStringLiteral("delinquent"), customer.value(QStringLiteral("delinquent"))},
                            {QStringLiteral("card_brand"), card.value(QStringLiteral("brand"))},
                            {QStringLiteral("card_last4"), card.value(QStringLiteral("last4"))}});
            report.lines.prepend(
                tr("Customer %1: %2, balance %3%4, card %5 …%6")
                    .arg(customer.value(QStringLiteral("id")).toString(),
                         customer.value(QStringLiteral("email")).toString(),
                         money(customer.value(QStringLiteral("balance")), QStringLiteral("usd")),
                         customer.value(QStringLiteral("delinquent")).toBool() ? tr(", delinquent")
                                                                               : QString(),
                         card.value(QStringLiteral("brand")).toString(),
                         card.value(QStringLiteral("last4")).toString()));
            billing::StripeCall *invoices = stripe.get(
                QStringLiteral("/v1/invoices"),
                {{QStringLiteral("customer"), row.stripeCustomerId}, {QStringLiteral("limit"), 12}},
                tr("Reading the last invoices"));
            if ((report.error = finishCall(invoices)))
                return report;
            QJsonArray list;
            for (const QJsonValue &value : invoices->object().value(QStringLiteral("data")).toArray()) {
                const QJsonObject invoice = value.toObject();
                const QString currency = invoice.value(QStringLiteral("currency")).toString();
                list.append(
                    QJsonObject{{QStringLiteral("number"), invoice.value(QStringLiteral("number"))},
                                {QStringLiteral("status"), invoice.value(QStringLiteral("status"))},
                                {QStringLiteral("amount_due"), invoice.value(QStringLiteral("amount_due"))},
                                {QStringLiteral("amount_paid"), invoice.value(QStringLiteral("amount_paid"))},
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
            if (!subscription.isEmpty()) {
                billing::StripeCall *upcoming =
                    stripe.get(QStringLiteral("/v1/invoices/upcoming"),
                               {{QStringLiteral("customer"), row.stripeCustomerId},
                                {QStringLiteral("subscription"), parsed.id}},
                               tr("Reading the upcoming invoice"));
                if ((report.error = finishCall(upcoming)))
                    return report;
                const QJsonObject next = upcoming->object();
                report.billing.insert(
                    QStringLiteral("upcoming_invoice"),
                    QJsonObject{{QStringLiteral("amount_due"), next.value(QStringLiteral("amount_due"))},
                                {QStringLiteral("next_payment_attempt"),
                                 when(next.value(QStringLiteral("next_payment_attempt")))}});
                report.lines.append(tr("Upcoming invoice: %1")
                                        .arg(money(next.value(QStringLiteral("amount_due")),
                                                   next.value(QStringLiteral("currency")).toString())));
            }
        }
    }
    if (!subscriptionView.isEmpty())
        report.billing.insert(QStringLiteral("subscription"), subscriptionView);

    // Where Stripe and the row disagree, both values side by side.
    QList<billing::StripeCustomer> customers;
    if (!customer.isEmpty())
        customers.append(billing::customerFromJson(customer));
    QList<billing::StripeSubscription> subscriptions;
    if (!subscription.isEmpty())
        subscriptions.append(parsed);
    QJsonArray disagreements;
    for (const billing::Finding &finding : billing::reconcile(rows, customers, subscriptions, planOfPrice)) {
        // A support login did not read the customer, which is not the same as Stripe not having it.
        if (!amounts && (finding.kind == billing::FindingKind::OrphanCustomerId ||
                         finding.kind == billing::FindingKind::LostCustomerId))
            continue;
        disagreements.append(finding.toJson());
        report.lines.append(
            tr("Disagrees: %1 — database %2, Stripe %3")
                .arg(billing::findingKindName(finding.kind), finding.databaseValue, finding.stripeValue));
    }
    report.billing.insert(QStringLiteral("disagreements"), disagreements);
    report.billing.insert(QStringLiteral("restricted"), report.restricted);
    return report;
}

} // namespace beacon::cli
