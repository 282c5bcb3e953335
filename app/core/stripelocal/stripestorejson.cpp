// How the local Stripe server renders its objects: the field names of Stripe's fixtures for API version
// 2023-08-16 (tests/stripe/stripe-fixtures-subset.json), with null or empty values where the store keeps
// nothing, so that a client parsing real responses parses these too.
#include "stripestore.h"

#include <QJsonArray>

namespace beacon::stripelocal {

namespace {

QJsonObject metadataJson(const QMap<QString, QString> &metadata)
{
    QJsonObject result;
    for (auto it = metadata.begin(); it != metadata.end(); ++it)
        result.insert(it.key(), it.value());
    return result;
}

QJsonValue stringOrNull(const QString &value)
{
    return value.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(value);
}

const QJsonValue null(QJsonValue::Null);

} // namespace

QJsonObject StripeStore::listJson(const QString &url, const QList<QJsonObject> &page, bool hasMore) const
{
    QJsonArray data;
    for (const QJsonObject &object : page)
        data.append(object);
    return {{QStringLiteral("object"), QStringLiteral("list")},
            {QStringLiteral("data"), data},
            {QStringLiteral("has_more"), hasMore},
            {QStringLiteral("url"), url}};
}

QJsonObject StripeStore::productJson(const Product &product) const
{
    return {{QStringLiteral("id"), product.id},
            {QStringLiteral("object"), QStringLiteral("product")},
            {QStringLiteral("active"), true},
            {QStringLiteral("created"), product.created},
            {QStringLiteral("updated"), product.created},
            {QStringLiteral("default_price"), stringOrNull(product.defaultPrice)},
            {QStringLiteral("description"), null},
            {QStringLiteral("livemode"), false},
            {QStringLiteral("metadata"), QJsonObject()},
            {QStringLiteral("name"), product.name}};
}

QJsonObject StripeStore::priceJson(const Price &price) const
{
    const QJsonObject recurring{{QStringLiteral("aggregate_usage"), null},
                                {QStringLiteral("interval"), price.interval},
                                {QStringLiteral("interval_count"), 1},
                                {QStringLiteral("usage_type"), QStringLiteral("licensed")}};
    return {{QStringLiteral("id"), price.id},
            {QStringLiteral("object"), QStringLiteral("price")},
            {QStringLiteral("active"), true},
            {QStringLiteral("billing_scheme"), QStringLiteral("per_unit")},
            {QStringLiteral("created"), price.created},
            {QStringLiteral("currency"), price.currency},
            {QStringLiteral("livemode"), false},
            {QStringLiteral("lookup_key"), stringOrNull(price.lookupKey)},
            {QStringLiteral("metadata"), QJsonObject()},
            {QStringLiteral("nickname"), stringOrNull(price.nickname)},
            {QStringLiteral("product"), price.productId},
            {QStringLiteral("recurring"), recurring},
            {QStringLiteral("type"), QStringLiteral("recurring")},
            {QStringLiteral("unit_amount"), price.unitAmount},
            {QStringLiteral("unit_amount_decimal"), QString::number(price.unitAmount)}};
}

QJsonObject StripeStore::customerJson(const Customer &customer) const
{
    const QJsonObject invoiceSettings{
        {QStringLiteral("custom_fields"), null},
        {QStringLiteral("default_payment_method"), stringOrNull(customer.defaultPaymentMethod)},
        {QStringLiteral("footer"), null},
        {QStringLiteral("rendering_options"), null}};
    return {{QStringLiteral("id"), customer.id},
            {QStringLiteral("object"), QStringLiteral("customer")},
            {QStringLiteral("balance"), customer.balance},
            {QStringLiteral("created"), customer.created},
            {QStringLiteral("currency"), QStringLiteral("usd")},
            {QStringLiteral("default_source"), null},
            {QStringLiteral("delinquent"), customer.delinquent},
            {QStringLiteral("description"), null},
            {QStringLiteral("email"), stringOrNull(customer.email)},
            {QStringLiteral("invoice_prefix"), customer.invoicePrefix},
            {QStringLiteral("invoice_settings"), invoiceSettings},
            {QStringLiteral("livemode"), false},
            {QStringLiteral("metadata"), metadataJson(customer.metadata)},
            {QStringLiteral("name"), stringOrNull(customer.name)},
            {QStringLiteral("next_invoice_sequence"), customer.nextInvoiceSequence}};
}

QJsonObject StripeStore::paymentMethodJson(const PaymentMethod &method) const
{
    const QJsonObject card{{QStringLiteral("brand"), method.brand},
                           {QStringLiteral("country"), QStringLiteral("US")},
                           {QStringLiteral("exp_month"), method.expMonth},
                           {QStringLiteral("exp_year"), method.expYear},
                           {QStringLiteral("funding"), QStringLiteral("credit")},
                           {QStringLiteral("last4"), method.last4}};
    return {{QStringLiteral("id"), method.id},
            {QStringLiteral("object"), QStringLiteral("payment_method")},
            {QStringLiteral("card"), card},
            {QStringLiteral("created"), method.created},
            {QStringLiteral("customer"), stringOrNull(method.customerId)},
            {QStringLiteral("livemode"), false},
            {QStringLiteral("metadata"), QJsonObject()},
            {QStringLiteral("type"), QStringLiteral("card")}};
}

QJsonObject StripeStore::itemJson(const Item &item, const QString &subscriptionId) const
{
    return {{QStringLiteral("id"), item.id},
            {QStringLiteral("object"), QStringLiteral("subscription_item")},
            {QStringLiteral("billing_thresholds"), null},
            {QStringLiteral("created"), item.created},
            {QStringLiteral("metadata"), metadataJson(item.metadata)},
            {QStringLiteral("price"), priceJson(m_prices.value(item.priceId))},
            {QStringLiteral("quantity"), item.quantity},
            {QStringLiteral("subscription"), subscriptionId},
            {QStringLiteral("tax_rates"), QJsonArray()}};
}

QJsonObject StripeStore::subscriptionJson(const Subscription &subscription) const
{
    QList<QJsonObject> items;
    for (const Item &item : subscription.items)
        items << itemJson(item, subscription.id);
    QString latestInvoice;
    for (const QString &id : m_invoiceOrder)
        if (m_invoices.value(id).subscriptionId == subscription.id)
            latestInvoice = id;
    const bool canceled = subscription.status == QLatin1String("canceled");
    return {{QStringLiteral("id"), subscription.id},
            {QStringLiteral("object"), QStringLiteral("subscription")},
            {QStringLiteral("billing_cycle_anchor"), subscription.currentPeriodStart},
            {QStringLiteral("cancel_at"),
             subscription.cancelAtPeriodEnd ? QJsonValue(subscription.currentPeriodEnd) : null},
            {QStringLiteral("cancel_at_period_end"), subscription.cancelAtPeriodEnd},
            {QStringLiteral("canceled_at"), canceled ? QJsonValue(subscription.currentPeriodStart) : null},
            {QStringLiteral("collection_method"), QStringLiteral("charge_automatically")},
            {QStringLiteral("created"), subscription.created},
            {QStringLiteral("currency"), QStringLiteral("usd")},
            {QStringLiteral("current_period_end"), subscription.currentPeriodEnd},
            {QStringLiteral("current_period_start"), subscription.currentPeriodStart},
            {QStringLiteral("customer"), subscription.customerId},
            {QStringLiteral("default_payment_method"), null},
            {QStringLiteral("ended_at"), canceled ? QJsonValue(subscription.currentPeriodStart) : null},
            {QStringLiteral("items"),
             listJson(QStringLiteral("/v1/subscription_items?subscription=%1").arg(subscription.id), items,
                      false)},
            {QStringLiteral("latest_invoice"), stringOrNull(latestInvoice)},
            {QStringLiteral("livemode"), false},
            {QStringLiteral("metadata"), metadataJson(subscription.metadata)},
            {QStringLiteral("start_date"), subscription.created},
            {QStringLiteral("status"), subscription.status},
            {QStringLiteral("trial_end"), subscription.trialEnd ? QJsonValue(*subscription.trialEnd) : null},
            {QStringLiteral("trial_start"), subscription.trialEnd ? QJsonValue(subscription.created) : null}};
}

QJsonObject StripeStore::lineJson(const Line &line, const QString &subscriptionId) const
{
    const QJsonObject period{{QStringLiteral("end"), line.periodEnd},
                             {QStringLiteral("start"), line.periodStart}};
    return {{QStringLiteral("id"), line.id},
            {QStringLiteral("object"), QStringLiteral("line_item")},
            {QStringLiteral("amount"), line.amount},
            {QStringLiteral("amount_excluding_tax"), line.amount},
            {QStringLiteral("currency"), QStringLiteral("usd")},
            {QStringLiteral("description"), line.description},
            {QStringLiteral("livemode"), false},
            {QStringLiteral("metadata"), QJsonObject()},
            {QStringLiteral("period"), period},
            {QStringLiteral("price"),
             line.priceId.isEmpty() ? null : QJsonValue(priceJson(m_prices.value(line.priceId)))},
            {QStringLiteral("proration"), line.proration},
            {QStringLiteral("quantity"), line.quantity},
            {QStringLiteral("subscription"), stringOrNull(subscriptionId)},
            {QStringLiteral("type"),
             subscriptionId.isEmpty() ? QStringLiteral("invoiceitem") : QStringLiteral("subscription")}};
}

QJsonObject StripeStore::invoiceJson(const Invoice &invoice) const
{
    QList<QJsonObject> lines;
    qint64 subtotal = 0;
    for (const Line &line : invoice.lines) {
        lines << lineJson(line, invoice.subscriptionId);
        subtotal += line.amount;
    }
    const Customer customer = m_customers.value(invoice.customerId);
    const bool draft = invoice.id.isEmpty();
    const QString linesUrl =
        draft ? QStringLiteral("/v1/invoices/upcoming/lines?customer=%1").arg(invoice.customerId)
              : QStringLiteral("/v1/invoices/%1/lines").arg(invoice.id);
    QJsonObject result{{QStringLiteral("object"), QStringLiteral("invoice")},
                       {QStringLiteral("amount_due"), invoice.amountDue},
                       {QStringLiteral("amount_paid"), invoice.amountPaid},
                       {QStringLiteral("amount_remaining"), invoice.amountDue - invoice.amountPaid},
                       {QStringLiteral("attempted"), invoice.status == QLatin1String("paid")},
                       {QStringLiteral("billing_reason"), invoice.billingReason},
                       {QStringLiteral("collection_method"), QStringLiteral("charge_automatically")},
                       {QStringLiteral("created"), invoice.created},
                       {QStringLiteral("currency"), QStringLiteral("usd")},
                       {QStringLiteral("customer"), invoice.customerId},
                       {QStringLiteral("customer_email"), stringOrNull(customer.email)},
                       {QStringLiteral("customer_name"), stringOrNull(customer.name)},
                       {QStringLiteral("hosted_invoice_url"),
                        draft ? null : QJsonValue(m_hostedInvoiceBase + QLatin1Char('/') + invoice.id)},
                       {QStringLiteral("lines"), listJson(linesUrl, lines, false)},
                       {QStringLiteral("livemode"), false},
                       {QStringLiteral("metadata"), QJsonObject()},
                       {QStringLiteral("next_payment_attempt"), draft ? QJsonValue(invoice.created) : null},
                       {QStringLiteral("number"), stringOrNull(invoice.number)},
                       {QStringLiteral("paid"), invoice.status == QLatin1String("paid")},
                       {QStringLiteral("period_end"), invoice.periodEnd},
                       {QStringLiteral("period_start"), invoice.periodStart},
                       {QStringLiteral("starting_balance"), draft ? customer.balance : 0},
                       {QStringLiteral("status"), invoice.status},
                       {QStringLiteral("subscription"), stringOrNull(invoice.subscriptionId)},
                       {QStringLiteral("subtotal"), subtotal},
                       {QStringLiteral("total"), subtotal}};
    if (!draft)
        result.insert(QStringLiteral("id"), invoice.id);
    return result;
}

StripeResponse StripeStore::hostedInvoicePage(const QString &invoiceId) const
{
    const auto found = m_invoices.constFind(invoiceId);
    if (found == m_invoices.constEnd())
        return {
            404, {}, QByteArrayLiteral("<!DOCTYPE html><title>Invoice not found</title><p>No such invoice.")};
    const auto money = [](qint64 cents) {
        return QStringLiteral("$%1.%2").arg(cents / 100).arg(qAbs(cents % 100), 2, 10, QLatin1Char('0'));
    };
    QString lines;
    for (const Line &line : found->lines)
        lines += QStringLiteral("<tr><td>%1</td><td>%2</td></tr>")
                     .arg(line.description.toHtmlEscaped(), money(line.amount));
    const QString number = found->number.toHtmlEscaped();
    const QString page =
        QStringLiteral(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Invoice %1</title></head><body>"
            "<h1>Invoice %1</h1><p>Local Stripe test server: no payment can be made here.</p>"
            "<p>Status: %2. Amount due: %3. Amount paid: %4.</p><table>%5</table></body></html>")
            .arg(number, found->status.toHtmlEscaped(), money(found->amountDue), money(found->amountPaid),
                 lines);
    return {200, {}, page.toUtf8()};
}

} // namespace beacon::stripelocal
