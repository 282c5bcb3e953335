// The endpoints of the local Stripe server that read lists, preview and change subscriptions.
#include "stripestore.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>

namespace beacon::stripelocal {

namespace {

std::optional<QString> param(const StripeParams &params, const QString &name)
{
    std::optional<QString> value;
    for (const auto &pair : params)
        if (pair.first == name)
            value = pair.second;
    return value;
}

StripeResponse invalid(const QString &message, const QString &param)
{
    return StripeStore::error(400, QStringLiteral("invalid_request_error"), message,
                              QStringLiteral("parameter_invalid"), param);
}

StripeResponse missing(const QString &what, const QString &id, const QString &param)
{
    return StripeStore::error(400, QStringLiteral("invalid_request_error"),
                              QStringLiteral("No such %1: '%2'").arg(what, id),
                              QStringLiteral("resource_missing"), param);
}

// `prefix[N][field]=value` into {N: {field: value}}, for items[…] and subscription_items[…].
QMap<int, QHash<QString, QString>> indexedParams(const StripeParams &params, const QString &prefix)
{
    const QRegularExpression pattern(QStringLiteral(R"(^%1\[(\d+)\]\[([a-z_]+)\]$)").arg(prefix));
    QMap<int, QHash<QString, QString>> result;
    for (const auto &pair : params) {
        const QRegularExpressionMatch match = pattern.match(pair.first);
        if (match.hasMatch())
            result[match.captured(1).toInt()].insert(match.captured(2), pair.second);
    }
    return result;
}

// Stripe's form encoding: metadata[key]=value sets, an empty value removes, metadata= clears all.
void applyMetadata(QMap<QString, QString> &metadata, const StripeParams &params, const QString &prefix)
{
    const QRegularExpression pattern(
        QStringLiteral(R"(^%1\[([^\[\]]+)\]$)").arg(QRegularExpression::escape(prefix)));
    for (const auto &pair : params) {
        if (pair.first == prefix && pair.second.isEmpty()) {
            metadata.clear();
            continue;
        }
        const QRegularExpressionMatch match = pattern.match(pair.first);
        if (!match.hasMatch())
            continue;
        if (pair.second.isEmpty())
            metadata.remove(match.captured(1));
        else
            metadata.insert(match.captured(1), pair.second);
    }
}

std::optional<qint64> integerParam(const StripeParams &params, const QString &name, bool *bad)
{
    const auto text = param(params, name);
    if (!text)
        return std::nullopt;
    bool ok = false;
    const qint64 value = text->toLongLong(&ok);
    if (!ok)
        *bad = true;
    return value;
}

} // namespace

StripeResponse StripeStore::page(const StripeRequest &request, const QString &url,
                                 const QStringList &newestFirst) const
{
    bool bad = false;
    const qint64 limit = integerParam(request.query, QStringLiteral("limit"), &bad).value_or(10);
    if (bad || limit < 1 || limit > 100)
        return invalid(QStringLiteral("Invalid integer: limit must be between 1 and 100."),
                       QStringLiteral("limit"));
    qsizetype begin = 0;
    if (const auto after = param(request.query, QStringLiteral("starting_after"))) {
        const qsizetype at = newestFirst.indexOf(*after);
        if (at < 0 && object(*after).isEmpty())
            return missing(QStringLiteral("object"), *after, QStringLiteral("starting_after"));
        // An object that exists but no longer matches the filter: Stripe then starts from the beginning too.
        begin = at + 1;
    }
    QList<QJsonObject> data;
    for (qsizetype i = begin; i < newestFirst.size() && data.size() < limit; ++i)
        data << object(newestFirst.at(i));
    const bool hasMore = begin + data.size() < newestFirst.size();
    return {200, listJson(url, data, hasMore)};
}

StripeResponse StripeStore::listCustomers(const StripeRequest &request) const
{
    const auto email = param(request.query, QStringLiteral("email"));
    QStringList ids;
    for (auto it = m_customerOrder.rbegin(); it != m_customerOrder.rend(); ++it)
        if (!email || m_customers.value(*it).email == *email)
            ids << *it;
    return page(request, QStringLiteral("/v1/customers"), ids);
}

StripeResponse StripeStore::listSubscriptions(const StripeRequest &request) const
{
    const auto customer = param(request.query, QStringLiteral("customer"));
    const auto price = param(request.query, QStringLiteral("price"));
    const QString status = param(request.query, QStringLiteral("status")).value_or(QString());
    QStringList ids;
    for (auto it = m_subscriptionOrder.rbegin(); it != m_subscriptionOrder.rend(); ++it) {
        const Subscription &subscription = m_subscriptions[*it];
        if (customer && subscription.customerId != *customer)
            continue;
        if (price && std::none_of(subscription.items.begin(), subscription.items.end(),
                                  [&](const Item &item) { return item.priceId == *price; }))
            continue;
        // As Stripe: without a status, canceled subscriptions are left out; "all" includes them.
        if (status.isEmpty() ? subscription.status == QLatin1String("canceled")
                             : status != QLatin1String("all") && subscription.status != status)
            continue;
        ids << *it;
    }
    return page(request, QStringLiteral("/v1/subscriptions"), ids);
}

StripeResponse StripeStore::listInvoices(const StripeRequest &request) const
{
    const auto customer = param(request.query, QStringLiteral("customer"));
    const auto subscription = param(request.query, QStringLiteral("subscription"));
    const auto status = param(request.query, QStringLiteral("status"));
    QStringList ids;
    for (auto it = m_invoiceOrder.rbegin(); it != m_invoiceOrder.rend(); ++it) {
        const Invoice &invoice = m_invoices[*it];
        if ((customer && invoice.customerId != *customer) ||
            (subscription && invoice.subscriptionId != *subscription) ||
            (status && invoice.status != *status))
            continue;
        ids << *it;
    }
    return page(request, QStringLiteral("/v1/invoices"), ids);
}

StripeResponse StripeStore::upcomingInvoice(const StripeRequest &request) const
{
    const StripeParams &query = request.query;
    const auto subscriptionId = param(query, QStringLiteral("subscription"));
    const auto customerId = param(query, QStringLiteral("customer"));
    if (!subscriptionId && !customerId)
        return invalid(QStringLiteral("Must provide customer or subscription."), QStringLiteral("customer"));
    QString id = subscriptionId.value_or(QString());
    if (id.isEmpty()) {
        for (auto it = m_subscriptionOrder.rbegin(); it != m_subscriptionOrder.rend() && id.isEmpty(); ++it)
            if (m_subscriptions[*it].customerId == *customerId &&
                m_subscriptions[*it].status != QLatin1String("canceled"))
                id = *it;
        if (id.isEmpty())
            return error(404, QStringLiteral("invalid_request_error"),
                         QStringLiteral("No upcoming invoices for customer: %1").arg(*customerId),
                         QStringLiteral("invoice_upcoming_none"));
    }
    if (!m_subscriptions.contains(id))
        return missing(QStringLiteral("subscription"), id, QStringLiteral("subscription"));
    const Subscription &subscription = m_subscriptions[id];
    if (subscription.status == QLatin1String("canceled") || subscription.cancelAtPeriodEnd)
        return error(404, QStringLiteral("invalid_request_error"),
                     QStringLiteral("No upcoming invoices for customer: %1").arg(subscription.customerId),
                     QStringLiteral("invoice_upcoming_none"));

    QHash<int, QString> newPrices;
    QHash<int, qint64> newQuantities;
    const auto items = indexedParams(query, QStringLiteral("subscription_items"));
    for (auto it = items.begin(); it != items.end(); ++it) {
        const QString itemParam = QStringLiteral("subscription_items[%1]").arg(it.key());
        qsizetype index = 0;
        if (it->contains(QStringLiteral("id"))) {
            const QString itemId = it->value(QStringLiteral("id"));
            index = std::find_if(subscription.items.begin(), subscription.items.end(),
                                 [&](const Item &item) { return item.id == itemId; }) -
                    subscription.items.begin();
            if (index == subscription.items.size())
                return missing(QStringLiteral("subscription item"), itemId,
                               itemParam + QStringLiteral("[id]"));
        } else {
            return invalid(
                QStringLiteral("Adding items in a preview is not supported by the local server; name the "
                               "item with [id]."),
                itemParam + QStringLiteral("[id]"));
        }
        if (it->contains(QStringLiteral("price"))) {
            const QString priceId = it->value(QStringLiteral("price"));
            if (!m_prices.contains(priceId))
                return missing(QStringLiteral("price"), priceId, itemParam + QStringLiteral("[price]"));
            newPrices.insert(int(index), priceId);
        }
        if (it->contains(QStringLiteral("quantity")))
            newQuantities.insert(int(index), it->value(QStringLiteral("quantity")).toLongLong());
    }
    bool bad = false;
    const qint64 prorationDate =
        integerParam(query, QStringLiteral("subscription_proration_date"), &bad).value_or(now());
    if (bad)
        return invalid(QStringLiteral("Invalid integer: subscription_proration_date."),
                       QStringLiteral("subscription_proration_date"));
    const QString behavior = param(query, QStringLiteral("subscription_proration_behavior"))
                                 .value_or(QStringLiteral("create_prorations"));

    Invoice upcoming;
    upcoming.customerId = subscription.customerId;
    upcoming.subscriptionId = subscription.id;
    upcoming.status = QStringLiteral("draft");
    upcoming.billingReason = QStringLiteral("upcoming");
    upcoming.created = subscription.currentPeriodEnd;
    upcoming.periodStart = subscription.currentPeriodStart;
    upcoming.periodEnd = subscription.currentPeriodEnd;
    upcoming.lines = subscription.pendingProrations;
    if (behavior != QLatin1String("none"))
        upcoming.lines << prorationLines(subscription, newPrices, newQuantities, prorationDate);
    for (qsizetype index = 0; index < subscription.items.size(); ++index) {
        const Item &item = subscription.items.at(index);
        const Price price = m_prices.value(newPrices.value(int(index), item.priceId));
        Line next;
        next.id = QStringLiteral("il_tmp_%1_next").arg(item.id);
        next.priceId = price.id;
        next.quantity = newQuantities.value(int(index), item.quantity);
        next.amount = price.unitAmount * next.quantity;
        next.description = QStringLiteral("%1 × %2")
                               .arg(next.quantity)
                               .arg(price.nickname.isEmpty() ? price.id : price.nickname);
        next.periodStart = subscription.currentPeriodEnd;
        next.periodEnd = subscription.currentPeriodEnd + intervalSeconds(price.interval);
        upcoming.lines << next;
    }
    qint64 total = 0;
    for (const Line &line : upcoming.lines)
        total += line.amount;
    upcoming.amountDue = std::max<qint64>(0, total + m_customers.value(subscription.customerId).balance);
    return {200, invoiceJson(upcoming)};
}

StripeResponse StripeStore::updateSubscription(const QString &id, const StripeRequest &request)
{
    if (!m_subscriptions.contains(id))
        return error(404, QStringLiteral("invalid_request_error"),
                     QStringLiteral("No such subscription: '%1'").arg(id), QStringLiteral("resource_missing"),
                     QStringLiteral("id"));
    Subscription updated = m_subscriptions.value(id);
    const StripeParams &form = request.form;
    QHash<int, QString> newPrices;
    QHash<int, qint64> newQuantities;
    const auto items = indexedParams(form, QStringLiteral("items"));
    for (auto it = items.begin(); it != items.end(); ++it) {
        const QString itemParam = QStringLiteral("items[%1]").arg(it.key());
        const QString itemId = it->value(QStringLiteral("id"));
        const qsizetype index = std::find_if(updated.items.begin(), updated.items.end(),
                                             [&](const Item &item) { return item.id == itemId; }) -
                                updated.items.begin();
        if (itemId.isEmpty() || index == updated.items.size())
            return missing(QStringLiteral("subscription item"), itemId, itemParam + QStringLiteral("[id]"));
        if (it->contains(QStringLiteral("price"))) {
            const QString priceId = it->value(QStringLiteral("price"));
            if (!m_prices.contains(priceId))
                return missing(QStringLiteral("price"), priceId, itemParam + QStringLiteral("[price]"));
            newPrices.insert(int(index), priceId);
        }
        if (it->contains(QStringLiteral("quantity"))) {
            bool ok = false;
            const qint64 quantity = it->value(QStringLiteral("quantity")).toLongLong(&ok);
            if (!ok || quantity < 0)
                return invalid(QStringLiteral("Invalid integer: quantity."),
                               itemParam + QStringLiteral("[quantity]"));
            newQuantities.insert(int(index), quantity);
        }
    }
    bool bad = false;
    const qint64 prorationDate = integerParam(form, QStringLiteral("proration_date"), &bad).value_or(now());
    if (bad)
        return invalid(QStringLiteral("Invalid integer: proration_date."), QStringLiteral("proration_date"));
    const QString behavior =
        param(form, QStringLiteral("proration_behavior")).value_or(QStringLiteral("create_prorations"));
    static const QStringList behaviors{QStringLiteral("create_prorations"), QStringLiteral("none"),
                                       QStringLiteral("always_invoice")};
    if (!behaviors.contains(behavior))
        return invalid(
            QStringLiteral("Invalid proration_behavior: must be one of create_prorations, none, or "
                           "always_invoice"),
            QStringLiteral("proration_behavior"));
    if (const auto cancel = param(form, QStringLiteral("cancel_at_period_end")))
        updated.cancelAtPeriodEnd = *cancel == QLatin1String("true");
    applyMetadata(updated.metadata, form, QStringLiteral("metadata"));

    const QList<Line> prorations = behavior == QLatin1String("none")
                                       ? QList<Line>()
                                       : prorationLines(updated, newPrices, newQuantities, prorationDate);
    for (auto it = newPrices.begin(); it != newPrices.end(); ++it)
        updated.items[it.key()].priceId = it.value();
    for (auto it = newQuantities.begin(); it != newQuantities.end(); ++it)
        updated.items[it.key()].quantity = it.value();
    for (auto it = items.begin(); it != items.end(); ++it) {
        const qsizetype index =
            std::find_if(updated.items.begin(), updated.items.end(),
                         [&](const Item &item) { return item.id == it->value(QStringLiteral("id")); }) -
            updated.items.begin();
        applyMetadata(updated.items[index].metadata, form,
                      QStringLiteral("items[%1][metadata]").arg(it.key()));
    }
    if (behavior == QLatin1String("always_invoice") && !prorations.isEmpty()) {
        Invoice invoice;
        invoice.id = nextId(QStringLiteral("in"));
        invoice.customerId = updated.customerId;
        invoice.subscriptionId = updated.id;
        invoice.billingReason = QStringLiteral("subscription_update");
        invoice.created = now();
        invoice.periodStart = invoice.periodEnd = invoice.created;
        invoice.lines = updated.pendingProrations + prorations;
        updated.pendingProrations.clear();
        qint64 total = 0;
        for (Line &line : invoice.lines) {
            line.id = nextId(QStringLiteral("il"));
            total += line.amount;
        }
        invoice.amountDue = std::max<qint64>(0, total);
        invoice.status = invoice.amountDue == 0 ? QStringLiteral("paid") : QStringLiteral("open");
        Customer &customer = m_customers[updated.customerId];
        invoice.number = QStringLiteral("%1-%2")
                             .arg(customer.invoicePrefix)
                             .arg(customer.nextInvoiceSequence++, 4, 10, QLatin1Char('0'));
        if (total < 0)
            customer.balance += total; // a credit is kept on the customer's balance, as Stripe does
        m_invoices.insert(invoice.id, invoice);
        m_invoiceOrder << invoice.id;
    } else {
        for (Line line : prorations) {
            line.id = nextId(QStringLiteral("ii"));
            updated.pendingProrations << line;
        }
    }
    m_subscriptions.insert(id, updated);
    ++m_mutations;
    return {200, subscriptionJson(updated)};
}

std::optional<StripeResponse> StripeStore::expand(QJsonObject &body, const StripeRequest &request,
                                                  bool isList) const
{
    static const QRegularExpression expandName(QStringLiteral(R"(^expand\[\d*\]$)"));
    const StripeParams &params = request.method == QLatin1String("GET") ? request.query : request.form;
    // Walks one dotted path; a list's data array is walked element by element.
    std::function<bool(QJsonValue &, QStringList)> walk = [&](QJsonValue &value, QStringList path) -> bool {
        if (value.isArray()) {
            QJsonArray array = value.toArray();
            for (qsizetype i = 0; i < array.size(); ++i) {
                QJsonValue element = array.at(i);
                if (!walk(element, path))
                    return false;
                array.replace(i, element);
            }
            value = array;
            return true;
        }
        if (!value.isObject())
            return false;
        QJsonObject node = value.toObject();
        const QString key = path.takeFirst();
        if (!node.contains(key))
            return false;
        QJsonValue child = node.value(key);
        if (path.isEmpty()) {
            if (child.isNull())
                return true;
            if (!child.isString())
                return child.isObject(); // already expanded
            const QJsonObject expanded = object(child.toString());
            if (expanded.isEmpty())
                return false;
            child = expanded;
        } else if (!walk(child, path)) {
            return false;
        }
        node.insert(key, child);
        value = node;
        return true;
    };
    for (const auto &pair : params) {
        if (!expandName.match(pair.first).hasMatch())
            continue;
        QStringList path = pair.second.split(QLatin1Char('.'));
        if (isList && path.first() == QLatin1String("data") && path.size() > 1) {
            // "data.customer" on a list expands within each element.
        } else if (isList) {
            return invalid(QStringLiteral("This property cannot be expanded (%1).").arg(pair.second),
                           pair.first);
        }
        QJsonValue root = body;
        if (!walk(root, path))
            return invalid(QStringLiteral("This property cannot be expanded (%1).").arg(pair.second),
                           pair.first);
        body = root.toObject();
    }
    return std::nullopt;
}

} // namespace beacon::stripelocal
