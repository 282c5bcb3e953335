#include "billing/stripeplanchange.h"

#include "actions/planbillingcarried.h"
#include "billing/reconciliation.h"
#include "billing/stripeclient.h"
#include "billing/stripewait.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QLocale>

namespace beacon::billing {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::billing", text);
}

namespace {

namespace key = actions::planbilling;

QString text(const QJsonObject &object, const char *field)
{
    return object.value(QLatin1String(field)).toString();
}

qint64 integer(const QJsonObject &object, const char *field)
{
    return qint64(object.value(QLatin1String(field)).toDouble());
}

DbError refused(const QString &message)
{
    return DbError::make(ErrorKind::Refused, message);
}

// The subscription as Stripe holds it now: still one that may change plan, and with the one item whose price
// is the plan. Its item id goes into *carried.
DbError readItem(StripeClient &stripe, QJsonObject *carried)
{
    const QString id = text(*carried, key::Subscription);
    StripeCall *call = stripe.get(QStringLiteral("/v1/subscriptions/") + id, {},
                                  tr("Reading subscription %1 from Stripe").arg(id));
    if (DbError error = waitForCall(call))
        return error;
    const StripeSubscription subscription = subscriptionFromJson(call->object());
    const QString &status = subscription.status;
    if (status != QLatin1String("active") && status != QLatin1String("trialing"))
        return refused(
            tr("Stripe says subscription %1 is %2, not active, so nothing was changed in Stripe. Write "
               "Stripe's status into the workspace with billing-sync, settle the subscription, then "
               "change the plan.")
                .arg(id, status));
    const qsizetype items = call->object()
                                .value(QStringLiteral("items"))
                                .toObject()
                                .value(QStringLiteral("data"))
                                .toArray()
                                .size();
    if (items != 1)
        return refused(
            tr("Subscription %1 has %2 items in Stripe; the console changes plans only on a subscription "
               "with one item, the plan's price. Change it in Stripe's dashboard, then run billing-sync.")
                .arg(id)
                .arg(items));
    const QString &price = subscription.priceId;
    // The new price already: an earlier run's update reached Stripe and its answer was lost; the update is
    // sent again with the same key, and Stripe replays it.
    if (price != text(*carried, key::PriceBefore) && price != text(*carried, key::PriceAfter))
        return refused(
            tr("Stripe bills price %1 on subscription %2, which is not the price of the workspace's "
               "plan (%3). Nothing was changed. Run reconciliation for the workspace and mend it first.")
                .arg(price, id, text(*carried, key::PriceBefore)));
    carried->insert(QLatin1String(key::Item), subscription.itemId);
    return {};
}

// What the customer is charged (positive) or credited (negative) for the change, and when: Stripe's upcoming
// invoice with the new price at the proration moment.
DbError readProration(StripeClient &stripe, QJsonObject *carried)
{
    const StripeParams params{
        {QStringLiteral("subscription"), text(*carried, key::Subscription)},
        {QStringLiteral("subscription_items"),
         QVariantList{QVariantMap{{QStringLiteral("id"), text(*carried, key::Item)},
                                  {QStringLiteral("price"), text(*carried, key::PriceAfter)}}}},
        {QStringLiteral("subscription_proration_behavior"), text(*carried, key::ProrationBehavior)},
        {QStringLiteral("subscription_proration_date"), integer(*carried, key::ProrationDate)},
    };
    StripeCall *call = stripe.get(QStringLiteral("/v1/invoices/upcoming"), params,
                                  tr("Asking Stripe what the change will cost"));
    if (DbError error = waitForCall(call))
        return error;
    const QJsonObject invoice = call->object();
    qint64 proration = 0;
    const QJsonArray lines =
        invoice.value(QStringLiteral("lines")).toObject().value(QStringLiteral("data")).toArray();
    for (const QJsonValue &line : lines)
        if (line.toObject().value(QStringLiteral("proration")).toBool())
            proration += integer(line.toObject(), "amount");
    const bool now = text(*carried, key::ProrationBehavior) == QLatin1String("always_invoice");
    const QJsonValue attempt = invoice.value(QStringLiteral("next_payment_attempt"));
    const qint64 chargedAt = now                  ? integer(*carried, key::ProrationDate)
                             : attempt.isDouble() ? qint64(attempt.toDouble())
                                                  : integer(invoice, "period_end");
    carried->insert(QLatin1String(key::ProrationAmount), proration);
    carried->insert(QLatin1String(key::Currency), invoice.value(QStringLiteral("currency")));
    carried->insert(QLatin1String(key::AmountDue), invoice.value(QStringLiteral("amount_due")));
    carried->insert(QLatin1String(key::ChargedAt), chargedAt);
    return {};
}

DbError previewAtStripe(const StripeAccess &access, QJsonObject *carried)
{
    StripeClient stripe(*access.key, *access.endpoint, access.clientOptions);
    if (DbError error = readItem(stripe, carried))
        return error;
    return readProration(stripe, carried);
}

DbError updateAtStripe(const StripeAccess &access, const actions::ActionRequest &request,
                       QJsonObject *carried)
{
    StripeClient stripe(*access.key, *access.endpoint, access.clientOptions);
    const QString id = text(*carried, key::Subscription);
    const StripeParams params{
        {QStringLiteral("items"),
         QVariantList{QVariantMap{{QStringLiteral("id"), text(*carried, key::Item)},
                                  {QStringLiteral("price"), text(*carried, key::PriceAfter)}}}},
        {QStringLiteral("proration_behavior"), text(*carried, key::ProrationBehavior)},
        {QStringLiteral("proration_date"), integer(*carried, key::ProrationDate)},
    };
    const QString idempotencyKey =
        request.actionId.toString(QUuid::WithoutBraces) + QStringLiteral("-stripe-update");
    StripeCall *call = stripe.post(QStringLiteral("/v1/subscriptions/") + id, params, idempotencyKey,
                                   tr("Changing subscription %1's price in Stripe").arg(id));
    if (DbError error = waitForCall(call))
        return error;
    const StripeSubscription subscription = subscriptionFromJson(call->object());
    carried->insert(QLatin1String(key::StripeRequestId), call->requestId());
    carried->insert(QLatin1String(key::StripeStatus), subscription.status);
    carried->insert(QLatin1String(key::StripePeriodEnd),
                    subscription.currentPeriodEnd.isValid()
                        ? QJsonValue(subscription.currentPeriodEnd.toSecsSinceEpoch())
                        : QJsonValue());
    carried->insert(QLatin1String(key::StripePrice), subscription.priceId);
    return {};
}

QString money(qint64 cents, const QString &currency)
{
    return QStringLiteral("%1 %2").arg(QLocale().toString(double(std::abs(cents)) / 100.0, 'f', 2),
                                       currency.toUpper());
}

} // namespace

QList<actions::ActionPhase> stripePlanChangePhases(const StripeAccess &access)
{
    return {
        {QStringLiteral("check"), actions::runPlanChangeStripeCheck, {}},
        {QStringLiteral("stripe-preview"),
         {},
         [access](const actions::ActionRequest &, QJsonObject *carried) {
             return previewAtStripe(access, carried);
         }},
        {QStringLiteral("stripe-update"),
         {},
         [access](const actions::ActionRequest &request, QJsonObject *carried) {
             return updateAtStripe(access, request, carried);
         }},
        {QStringLiteral("apply"), actions::runPlanChangeStripeApply, {}},
    };
}

void addStripePreview(const StripeAccess &access, actions::ActionResult *result)
{
    // The first phase put what the Stripe phases need in the preview.
    QJsonObject carried = result->preview;
    if (DbError error = previewAtStripe(access, &carried)) {
        result->error = error;
        return;
    }
    for (const char *field : {key::ProrationAmount, key::Currency, key::AmountDue, key::ChargedAt})
        result->preview.insert(QLatin1String(field), carried.value(QLatin1String(field)));
    const qint64 amount = integer(carried, key::ProrationAmount);
    const QString currency = text(carried, key::Currency);
    const QString when = QLocale().toString(QDateTime::fromSecsSinceEpoch(integer(carried, key::ChargedAt)),
                                            QLocale::ShortFormat);
    QString cost;
    if (amount > 0)
        cost = tr("Stripe will charge the customer %1 for the change, on the invoice of %2.")
                   .arg(money(amount, currency), when);
    else if (amount < 0)
        cost = tr("Stripe will credit the customer %1 for the change, on the invoice of %2.")
                   .arg(money(amount, currency), when);
    else
        cost =
            tr("Stripe charges nothing extra for the change; the new price applies from the next invoice.");
    result->message +=
        QLatin1Char(' ') + cost + QLatin1Char(' ') +
        tr("The next invoice, with the change: %1.").arg(money(integer(carried, key::AmountDue), currency));
}

} // namespace beacon::billing
