#include "stripestore.h"

#include <QDateTime>

#include <algorithm>
#include <cmath>

namespace beacon::stripelocal {

namespace {

StripeResponse noSuch(const QString &what, const QString &id, const QString &param = QStringLiteral("id"))
{
    return StripeStore::error(404, QStringLiteral("invalid_request_error"),
                              QStringLiteral("No such %1: '%2'").arg(what, id),
                              QStringLiteral("resource_missing"), param);
}

} // namespace

StripeStore::StripeStore()
    : m_clock([] { return QDateTime::currentSecsSinceEpoch(); })
{}

qint64 StripeStore::now() const
{
    return m_clock();
}

void StripeStore::setClock(std::function<qint64()> clock)
{
    m_clock = std::move(clock);
}

QString StripeStore::nextId(const QString &prefix)
{
    // Stripe's ids are a prefix and 14 or more letters and digits; a counter keeps them unique and sortable.
    return QStringLiteral("%1_Loc%2").arg(prefix).arg(++m_idCounter, 11, 10, QLatin1Char('0'));
}

qint64 StripeStore::intervalSeconds(const QString &interval)
{
    if (interval == QLatin1String("day"))
        return 86400;
    if (interval == QLatin1String("week"))
        return 7 * 86400;
    if (interval == QLatin1String("year"))
        return 365 * 86400;
    return 30 * 86400;
}

StripeResponse StripeStore::error(int status, const QString &type, const QString &message,
                                  const QString &code, const QString &param)
{
    QJsonObject error{{QStringLiteral("type"), type}, {QStringLiteral("message"), message}};
    if (!code.isEmpty())
        error.insert(QStringLiteral("code"), code);
    if (!param.isEmpty())
        error.insert(QStringLiteral("param"), param);
    return {status, QJsonObject{{QStringLiteral("error"), error}}};
}

QString StripeStore::addPrice(const PriceSeed &seed)
{
    Product product;
    product.id = nextId(QStringLiteral("prod"));
    product.name = seed.productName;
    product.created = now();
    Price price;
    price.id = seed.id.isEmpty() ? nextId(QStringLiteral("price")) : seed.id;
    price.productId = product.id;
    price.currency = seed.currency;
    price.interval = seed.interval;
    price.nickname = seed.nickname;
    price.lookupKey = seed.lookupKey;
    price.unitAmount = seed.unitAmount;
    price.created = product.created;
    product.defaultPrice = price.id;
    m_products.insert(product.id, product);
    m_prices.insert(price.id, price);
    return price.id;
}

QString StripeStore::addCustomer(const CustomerSeed &seed)
{
    Customer customer;
    customer.id = seed.id.isEmpty() ? nextId(QStringLiteral("cus")) : seed.id;
    customer.email = seed.email;
    customer.name = seed.name;
    customer.balance = seed.balance;
    customer.delinquent = seed.delinquent;
    customer.metadata = seed.metadata;
    customer.created = now();
    customer.invoicePrefix = QStringLiteral("LOC%1").arg(m_customerOrder.size() + 1, 5, 10, QLatin1Char('0'));
    m_customers.insert(customer.id, customer);
    m_customerOrder << customer.id;
    return customer.id;
}

QString StripeStore::addPaymentMethod(const PaymentMethodSeed &seed)
{
    PaymentMethod method;
    method.id = nextId(QStringLiteral("pm"));
    method.customerId = seed.customerId;
    method.brand = seed.brand;
    method.last4 = seed.last4;
    method.expMonth = seed.expMonth;
    method.expYear = seed.expYear;
    method.created = now();
    m_paymentMethods.insert(method.id, method);
    if (seed.makeDefault && m_customers.contains(seed.customerId))
        m_customers[seed.customerId].defaultPaymentMethod = method.id;
    return method.id;
}

QString StripeStore::addSubscription(const SubscriptionSeed &seed)
{
    Subscription subscription;
    subscription.id = seed.id.isEmpty() ? nextId(QStringLiteral("sub")) : seed.id;
    subscription.customerId = seed.customerId;
    subscription.status = seed.status;
    subscription.created = now();
    subscription.currentPeriodStart = seed.currentPeriodStart ? seed.currentPeriodStart : now();
    const QString interval = m_prices.value(seed.priceId).interval;
    subscription.currentPeriodEnd = seed.currentPeriodEnd
                                        ? seed.currentPeriodEnd
                                        : subscription.currentPeriodStart + intervalSeconds(interval);
    subscription.cancelAtPeriodEnd = seed.cancelAtPeriodEnd;
    subscription.trialEnd = seed.trialEnd;
    subscription.metadata = seed.metadata;
    Item item;
    item.id = nextId(QStringLiteral("si"));
    item.priceId = seed.priceId;
    item.quantity = seed.quantity;
    item.created = subscription.created;
    subscription.items << item;
    m_subscriptions.insert(subscription.id, subscription);
    m_subscriptionOrder << subscription.id;
    return subscription.id;
}

bool StripeStore::setSubscriptionStatus(const QString &subscriptionId, const QString &status)
{
    if (!m_subscriptions.contains(subscriptionId))
        return false;
    m_subscriptions[subscriptionId].status = status;
    return true;
}

QString StripeStore::addInvoice(const InvoiceSeed &seed)
{
    Invoice invoice;
    invoice.id = nextId(QStringLiteral("in"));
    invoice.customerId = seed.customerId;
    invoice.subscriptionId = seed.subscriptionId;
    invoice.status = seed.status;
    invoice.amountDue = seed.amountDue;
    invoice.amountPaid = seed.amountPaid;
    invoice.created = seed.created ? seed.created : now();
    invoice.periodStart = invoice.periodEnd = invoice.created;
    invoice.billingReason =
        seed.subscriptionId.isEmpty() ? QStringLiteral("manual") : QStringLiteral("subscription_cycle");
    invoice.number = seed.number;
    if (invoice.number.isEmpty() && m_customers.contains(seed.customerId)) {
        Customer &customer = m_customers[seed.customerId];
        invoice.number = QStringLiteral("%1-%2")
                             .arg(customer.invoicePrefix)
                             .arg(customer.nextInvoiceSequence++, 4, 10, QLatin1Char('0'));
    }
    Line line;
    line.id = nextId(QStringLiteral("il"));
    line.amount = seed.amountDue;
    line.quantity = 1;
    line.description = QStringLiteral("Subscription");
    line.periodStart = line.periodEnd = invoice.created;
    invoice.lines << line;
    m_invoices.insert(invoice.id, invoice);
    m_invoiceOrder << invoice.id;
    return invoice.id;
}

QString StripeStore::firstItemId(const QString &subscriptionId) const
{
    const auto it = m_subscriptions.find(subscriptionId);
    return it == m_subscriptions.end() || it->items.isEmpty() ? QString() : it->items.first().id;
}

QJsonObject StripeStore::object(const QString &id) const
{
    if (m_prices.contains(id))
        return priceJson(m_prices.value(id));
    if (m_products.contains(id))
        return productJson(m_products.value(id));
    if (m_customers.contains(id))
        return customerJson(m_customers.value(id));
    if (m_paymentMethods.contains(id))
        return paymentMethodJson(m_paymentMethods.value(id));
    if (m_subscriptions.contains(id))
        return subscriptionJson(m_subscriptions.value(id));
    if (m_invoices.contains(id))
        return invoiceJson(m_invoices.value(id));
    return {};
}

StripeResponse StripeStore::handle(const StripeRequest &request)
{
    const QStringList segments = request.path.split(QLatin1Char('/'));
    // segments: "", "v1", collection[, id]
    if (segments.size() < 3 || segments.size() > 4 || segments.at(1) != QLatin1String("v1") ||
        (segments.size() == 4 && segments.at(3).isEmpty()))
        return error(404, QStringLiteral("invalid_request_error"),
                     QStringLiteral("Unrecognized request URL (%1: %2).").arg(request.method, request.path));
    const QString collection = segments.at(2);
    const QString id = segments.size() == 4 ? segments.at(3) : QString();
    const bool get = request.method == QLatin1String("GET");
    const bool post = request.method == QLatin1String("POST");
    std::optional<StripeResponse> response;
    bool isList = false;
    if (get && id.isEmpty()) {
        isList = true;
        if (collection == QLatin1String("customers"))
            response = listCustomers(request);
        else if (collection == QLatin1String("subscriptions"))
            response = listSubscriptions(request);
        else if (collection == QLatin1String("invoices"))
            response = listInvoices(request);
    } else if (get && collection == QLatin1String("invoices") && id == QLatin1String("upcoming")) {
        response = upcomingInvoice(request);
    } else if (get) {
        static const QHash<QString, QString> kinds{
            {QStringLiteral("customers"), QStringLiteral("customer")},
            {QStringLiteral("subscriptions"), QStringLiteral("subscription")},
            {QStringLiteral("invoices"), QStringLiteral("invoice")},
            {QStringLiteral("prices"), QStringLiteral("price")},
            {QStringLiteral("products"), QStringLiteral("product")},
            {QStringLiteral("payment_methods"), QStringLiteral("payment_method")}};
        if (kinds.contains(collection)) {
            const QJsonObject found = object(id);
            if (found.value(QStringLiteral("object")).toString() != kinds.value(collection))
                return noSuch(kinds.value(collection), id);
            response = StripeResponse{200, found};
        }
    } else if (post && collection == QLatin1String("subscriptions") && !id.isEmpty()) {
        response = updateSubscription(id, request);
    }
    if (!response)
        return error(404, QStringLiteral("invalid_request_error"),
                     QStringLiteral("Unrecognized request URL (%1: %2).").arg(request.method, request.path));
    if (response->status == 200) {
        if (auto failed = expand(response->body, request, isList))
            return *failed;
    }
    return *response;
}

QList<StripeStore::Line> StripeStore::prorationLines(const Subscription &subscription,
                                                     const QHash<int, QString> &newPrices,
                                                     const QHash<int, qint64> &newQuantities,
                                                     qint64 prorationDate) const
{
    QList<Line> lines;
    const qint64 start = subscription.currentPeriodStart;
    const qint64 end = subscription.currentPeriodEnd;
    if (end <= start)
        return lines;
    const qint64 date = std::clamp(prorationDate, start, end);
    const double fraction = double(end - date) / double(end - start);
    const QString after = QDateTime::fromSecsSinceEpoch(date, Qt::UTC).toString(QStringLiteral("d MMM yyyy"));
    for (qsizetype index = 0; index < subscription.items.size(); ++index) {
        const Item &item = subscription.items.at(index);
        const QString newPrice = newPrices.value(int(index), item.priceId);
        const qint64 newQuantity = newQuantities.value(int(index), item.quantity);
        if (newPrice == item.priceId && newQuantity == item.quantity)
            continue;
        const Price oldPrice = m_prices.value(item.priceId);
        const Price price = m_prices.value(newPrice);
        const auto label = [](const Price &p) {
            return p.nickname.isEmpty() ? p.id : p.nickname;
        };
        Line credit;
        credit.id = QStringLiteral("il_tmp_%1_unused").arg(item.id);
        credit.priceId = oldPrice.id;
        credit.quantity = item.quantity;
        credit.amount = -std::llround(double(oldPrice.unitAmount * item.quantity) * fraction);
        credit.description =
            QStringLiteral("Unused time on %1 × %2 after %3").arg(item.quantity).arg(label(oldPrice), after);
        credit.periodStart = date;
        credit.periodEnd = end;
        credit.proration = true;
        Line charge = credit;
        charge.id = QStringLiteral("il_tmp_%1_remaining").arg(item.id);
        charge.priceId = price.id;
        charge.quantity = newQuantity;
        charge.amount = std::llround(double(price.unitAmount * newQuantity) * fraction);
        charge.description =
            QStringLiteral("Remaining time on %1 × %2 after %3").arg(newQuantity).arg(label(price), after);
        lines << credit << charge;
    }
    return lines;
}

} // namespace beacon::stripelocal
