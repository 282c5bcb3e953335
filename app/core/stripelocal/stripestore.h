#pragma once

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace beacon::stripelocal {

using StripeParams = QList<QPair<QString, QString>>;

// One decoded request as the store sees it: authentication, faults and idempotency are the server's.
struct StripeRequest {
    QString method;
    QString path;
    StripeParams query;
    StripeParams form;
};

struct StripeResponse {
    int status = 200;
    QJsonObject body;
    QByteArray html{}; // instead of body, for the hosted invoice page
};

struct PriceSeed {
    QString productName;
    qint64 unitAmount = 0; // in the currency's smallest unit, as Stripe counts
    QString currency = QStringLiteral("usd");
    QString interval = QStringLiteral("month");
    QString nickname;
    QString lookupKey;
    QString id{}; // empty: the store makes one (the demo gives the ids its database's plans name)
};

struct CustomerSeed {
    QString email;
    QString name;
    qint64 balance = 0;
    bool delinquent = false;
    QMap<QString, QString> metadata; // the console's link is metadata["workspace_id"]
    QString id{};                    // empty: the store makes one
};

struct PaymentMethodSeed {
    QString customerId;
    QString brand = QStringLiteral("visa");
    QString last4 = QStringLiteral("4242");
    int expMonth = 12;
    int expYear = 2030;
    bool makeDefault = true; // becomes the customer's invoice_settings.default_payment_method
};

struct SubscriptionSeed {
    QString customerId;
    QString priceId;
    qint64 quantity = 1;
    QString status = QStringLiteral("active");
    qint64 currentPeriodStart = 0; // 0: the store's now
    qint64 currentPeriodEnd = 0;   // 0: one price interval after the start
    bool cancelAtPeriodEnd = false;
    std::optional<qint64> trialEnd;
    QMap<QString, QString> metadata;
    QString id{}; // empty: the store makes one
};

struct InvoiceSeed {
    QString customerId;
    QString subscriptionId;
    QString status = QStringLiteral("paid");
    qint64 amountDue = 0;
    qint64 amountPaid = 0;
    qint64 created = 0; // 0: the store's now
    QString number;     // empty: numbered from the customer's invoice prefix
};

// The state of the local Stripe server and the endpoints the console uses, answering as Stripe's API version
// 2023-08-16 does (field names as in Stripe's fixtures). Lists are newest first, as Stripe's are.
//
// Proration (GET /v1/invoices/upcoming, and POST /v1/subscriptions/{id} with a new price), per changed item:
//     fraction = (period_end - proration_date) / (period_end - period_start), proration_date clamped into the
//                period, computed in whole seconds
//     credit   = -round(old unit_amount * old quantity * fraction)   "Unused time on …"
//     charge   = +round(new unit_amount * new quantity * fraction)   "Remaining time on …"
// rounded half away from zero. Stripe's own figures can differ by a cent; these are deterministic.
// The upcoming invoice adds the next period at the new price; amount_due = max(0, total + balance).
class StripeStore {
public:
    StripeStore();

    // Seconds since the epoch; the wall clock unless a test fixes it.
    qint64 now() const;
    void setClock(std::function<qint64()> clock);

    QString addPrice(const PriceSeed &seed);
    QString addCustomer(const CustomerSeed &seed);
    QString addPaymentMethod(const PaymentMethodSeed &seed);
    QString addSubscription(const SubscriptionSeed &seed);
    QString addInvoice(const InvoiceSeed &seed);
    // What Stripe does on its own (a failed renewal payment, a cancellation in the dashboard): the
    // subscription's status changes with no request of ours. False when the id is unknown.
    bool setSubscriptionStatus(const QString &subscriptionId, const QString &status);

    // Where hosted_invoice_url points: the server sets its own page, `<base>/<invoice id>`.
    void setHostedInvoiceBase(const QString &base) { m_hostedInvoiceBase = base; }
    // The page a customer opens from hosted_invoice_url, in place of Stripe's (no API key needed).
    StripeResponse hostedInvoicePage(const QString &invoiceId) const;

    // The current object as the API renders it; empty when the id is unknown.
    QJsonObject object(const QString &id) const;
    // The first item's id of a subscription (the console's subscriptions have exactly one).
    QString firstItemId(const QString &subscriptionId) const;
    // How many requests changed state (replays and refusals do not count).
    int mutationCount() const { return m_mutations; }

    StripeResponse handle(const StripeRequest &request);

    static StripeResponse error(int status, const QString &type, const QString &message,
                                const QString &code = {}, const QString &param = {});

private:
    struct Price {
        QString id, productId, currency, interval, nickname, lookupKey;
        qint64 unitAmount = 0, created = 0;
    };
    struct Product {
        QString id, name, defaultPrice;
        qint64 created = 0;
    };
    struct Customer {
        QString id, email, name, invoicePrefix, defaultPaymentMethod;
        qint64 balance = 0, created = 0;
        bool delinquent = false;
        int nextInvoiceSequence = 1;
        QMap<QString, QString> metadata;
    };
    struct PaymentMethod {
        QString id, customerId, brand, last4;
        int expMonth = 0, expYear = 0;
        qint64 created = 0;
    };
    struct Item {
        QString id, priceId;
        qint64 quantity = 1, created = 0;
        QMap<QString, QString> metadata;
    };
    struct Line {
        QString id, description, priceId;
        qint64 amount = 0, quantity = 0, periodStart = 0, periodEnd = 0;
        bool proration = false;
    };
    struct Subscription {
        QString id, customerId, status;
        qint64 created = 0, currentPeriodStart = 0, currentPeriodEnd = 0;
        bool cancelAtPeriodEnd = false;
        std::optional<qint64> trialEnd;
        QList<Item> items;
        QMap<QString, QString> metadata;
        QList<Line> pendingProrations; // proration_behavior=create_prorations: billed with the next invoice
    };
    struct Invoice {
        QString id, customerId, subscriptionId, status, number, billingReason;
        qint64 amountDue = 0, amountPaid = 0, created = 0, periodStart = 0, periodEnd = 0;
        QList<Line> lines;
    };

    QString nextId(const QString &prefix);
    static qint64 intervalSeconds(const QString &interval);

    QJsonObject priceJson(const Price &price) const;
    QJsonObject productJson(const Product &product) const;
    QJsonObject customerJson(const Customer &customer) const;
    QJsonObject paymentMethodJson(const PaymentMethod &method) const;
    QJsonObject itemJson(const Item &item, const QString &subscriptionId) const;
    QJsonObject subscriptionJson(const Subscription &subscription) const;
    QJsonObject lineJson(const Line &line, const QString &subscriptionId) const;
    QJsonObject invoiceJson(const Invoice &invoice) const;
    QJsonObject listJson(const QString &url, const QList<QJsonObject> &page, bool hasMore) const;

    StripeResponse listCustomers(const StripeRequest &request) const;
    StripeResponse listSubscriptions(const StripeRequest &request) const;
    StripeResponse listInvoices(const StripeRequest &request) const;
    StripeResponse upcomingInvoice(const StripeRequest &request) const;
    StripeResponse updateSubscription(const QString &id, const StripeRequest &request);
    StripeResponse page(const StripeRequest &request, const QString &url,
                        const QStringList &newestFirst) const;
    // Replaces ids by objects along each expand[] path; an error when a path names no expandable field.
    std::optional<StripeResponse> expand(QJsonObject &body, const StripeRequest &request, bool isList) const;

    QList<Line> prorationLines(const Subscription &subscription, const QHash<int, QString> &newPrices,
                               const QHash<int, qint64> &newQuantities, qint64 prorationDate) const;

    std::function<qint64()> m_clock;
    QString m_hostedInvoiceBase = QStringLiteral("http://127.0.0.1/hosted_invoice");
    quint64 m_idCounter = 0;
    int m_mutations = 0;
    QHash<QString, Price> m_prices;
    QHash<QString, Product> m_products;
    QHash<QString, Customer> m_customers;
    QHash<QString, PaymentMethod> m_paymentMethods;
    QHash<QString, Subscription> m_subscriptions;
    QHash<QString, Invoice> m_invoices;
    QStringList m_customerOrder, m_subscriptionOrder, m_invoiceOrder; // creation order
};

} // namespace beacon::stripelocal
