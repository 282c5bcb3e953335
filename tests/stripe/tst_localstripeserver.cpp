#include "stripeapicheck.h"
#include "stripelocal/localstripeserver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSet>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace beacon::stripelocal;
using beacon::test::StripeApiCheck;

namespace {

struct Answer {
    int status = 0;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QJsonObject body;
    QHash<QByteArray, QByteArray> headers; // lower-cased names
};

QByteArray encode(const StripeParams &params)
{
    QByteArray result;
    for (const auto &pair : params) {
        if (!result.isEmpty())
            result += '&';
        result += QUrl::toPercentEncoding(pair.first) + '=' + QUrl::toPercentEncoding(pair.second);
    }
    return result;
}

CustomerSeed customerWithEmail(const QString &email)
{
    CustomerSeed seed;
    seed.email = email;
    return seed;
}

// Period of the test subscription: 30 days from a fixed instant, and a proration date a third into it.
constexpr qint64 periodStart = 1'700'000'000;
constexpr qint64 periodEnd = periodStart + 30 * 86400;
constexpr qint64 prorationDate = periodStart + 10 * 86400;

} // namespace

class TestLocalStripeServer : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void request_withoutOrWithWrongKey_refused401WithStripeError();
    void customers_250ByLimit100_threePagesNoDuplicatesNewestFirst();
    void list_limitOutOfRange_refused400_data();
    void list_limitOutOfRange_refused400();
    void get_unknownId_404ResourceMissing();
    void expand_customerAndPaymentMethod_embedsObjects();
    void expand_notExpandable_refused400();
    void subscriptions_filteredByCustomerAndStatus();
    void updateSubscription_newPrice_itemChangedAndReturned();
    void idempotency_sameKeySameParams_replaysWithoutApplying();
    void idempotency_sameKeyOtherParams_idempotencyErrorNothingApplied();
    void fault_statusAnswers_thenNormalAgain_data();
    void fault_statusAnswers_thenNormalAgain();
    void fault_prefixAndMethod_matchOnlyThose();
    void fault_slow_answersAfterTheDelay();
    void fault_drop_noAnswerNothingApplied();
    void fault_applyThenDrop_appliedOnceAndReplayedOnRetry();
    void upcoming_upgradeOrDowngrade_prorationSignAndAmount_data();
    void upcoming_upgradeOrDowngrade_prorationSignAndAmount();
    void updateSubscription_createProrations_showInUpcomingInvoice();
    void responses_useTheFixturesFieldNames();
    void http_pipelinedSplitAndClosingRequests_answeredInOrder();
    void requests_recordedWithDecodedNamesAndHeaders();

private:
    Answer send(const QString &method, const QString &path, const StripeParams &query = {},
                const StripeParams &form = {}, const QList<QPair<QByteArray, QByteArray>> &headers = {},
                std::optional<QString> key = std::nullopt);
    void seedPlans();
    void compareWithFixture(const QJsonObject &actual, const QJsonObject &fixture, const QString &where);

    StripeApiCheck m_check;
    QJsonObject m_fixtures;
    std::unique_ptr<LocalStripeServer> m_server;
    std::unique_ptr<QNetworkAccessManager> m_network;
    std::unique_ptr<QSignalSpy> m_received;
    QString m_basic, m_pro, m_customer, m_paymentMethod, m_subscription;
};

void TestLocalStripeServer::initTestCase()
{
    QVERIFY2(m_check.load(), qPrintable(m_check.errorText()));
    QFile fixtures(StripeApiCheck::fixturesSubsetPath());
    QVERIFY2(fixtures.open(QIODevice::ReadOnly), qPrintable(fixtures.fileName()));
    m_fixtures =
        QJsonDocument::fromJson(fixtures.readAll()).object().value(QStringLiteral("resources")).toObject();
    QVERIFY(m_fixtures.contains(QStringLiteral("subscription")));
}

void TestLocalStripeServer::init()
{
    m_server = std::make_unique<LocalStripeServer>();
    QVERIFY2(m_server->listen(), qPrintable(m_server->errorString()));
    m_server->store().setClock([] { return periodStart + 5 * 86400; });
    m_received = std::make_unique<QSignalSpy>(m_server.get(), &LocalStripeServer::requestReceived);
    m_network = std::make_unique<QNetworkAccessManager>();
    m_network->setProxy(QNetworkProxy::NoProxy);
    seedPlans();
}

// Every request a test sent must be one an independent Stripe-compatible server accepts.
void TestLocalStripeServer::cleanup()
{
    QCOMPARE(m_received->size(), m_server->requestCount());
    for (const RecordedRequest &request : m_server->requests()) {
        const QStringList problems =
            m_check.violations(request.method, request.path, request.query, request.form);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    }
    m_network.reset();
    m_received.reset();
    m_server.reset();
}

void TestLocalStripeServer::seedPlans()
{
    StripeStore &store = m_server->store();
    m_basic =
        store.addPrice({QStringLiteral("Beacon Team"), 1000, QStringLiteral("usd"), QStringLiteral("month"),
                        QStringLiteral("Team monthly"), QStringLiteral("team_monthly")});
    m_pro = store.addPrice({QStringLiteral("Beacon Business"), 4000, QStringLiteral("usd"),
                            QStringLiteral("month"), QStringLiteral("Business monthly"),
                            QStringLiteral("business_monthly")});
    CustomerSeed customer;
    customer.email = QStringLiteral("billing@acme.test");
    customer.name = QStringLiteral("Acme");
    customer.metadata.insert(QStringLiteral("workspace_id"), QStringLiteral("42"));
    m_customer = store.addCustomer(customer);
    m_paymentMethod =
        store.addPaymentMethod({m_customer, QStringLiteral("mastercard"), QStringLiteral("4444")});
    SubscriptionSeed subscription;
    subscription.customerId = m_customer;
    subscription.priceId = m_basic;
    subscription.currentPeriodStart = periodStart;
    subscription.currentPeriodEnd = periodEnd;
    subscription.metadata.insert(QStringLiteral("workspace_id"), QStringLiteral("42"));
    m_subscription = store.addSubscription(subscription);
    InvoiceSeed invoice;
    invoice.customerId = m_customer;
    invoice.subscriptionId = m_subscription;
    invoice.amountDue = invoice.amountPaid = 1000;
    invoice.created = periodStart;
    store.addInvoice(invoice);
}

Answer TestLocalStripeServer::send(const QString &method, const QString &path, const StripeParams &query,
                                   const StripeParams &form,
                                   const QList<QPair<QByteArray, QByteArray>> &headers,
                                   std::optional<QString> key)
{
    QByteArray url = m_server->baseUrl().toEncoded() + path.toUtf8();
    if (!query.isEmpty())
        url += '?' + encode(query);
    QNetworkRequest request(QUrl::fromEncoded(url, QUrl::StrictMode));
    const QString apiKey = key.value_or(m_server->apiKey());
    if (!apiKey.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + apiKey.toLatin1());
    request.setRawHeader("Stripe-Version", "2023-08-16");
    for (const auto &header : headers)
        request.setRawHeader(header.first, header.second);
    QNetworkReply *reply = nullptr;
    if (method == QLatin1String("POST")) {
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArray("application/x-www-form-urlencoded"));
        reply = m_network->post(request, encode(form));
    } else {
        reply = m_network->get(request);
    }
    QSignalSpy finished(reply, &QNetworkReply::finished);
    Answer answer;
    if (!finished.wait(15000)) {
        reply->abort();
        reply->deleteLater();
        answer.error = QNetworkReply::TimeoutError;
        return answer;
    }
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.error = reply->error();
    answer.body = QJsonDocument::fromJson(reply->readAll()).object();
    for (const auto &pair : reply->rawHeaderPairs())
        answer.headers.insert(pair.first.toLower(), pair.second);
    reply->deleteLater();
    return answer;
}

void TestLocalStripeServer::request_withoutOrWithWrongKey_refused401WithStripeError()
{
    const Answer none = send(QStringLiteral("GET"), QStringLiteral("/v1/customers"), {}, {}, {}, QString());
    QCOMPARE(none.status, 401);
    QCOMPARE(none.body[QStringLiteral("error")][QStringLiteral("type")].toString(),
             QStringLiteral("invalid_request_error"));
    QVERIFY(none.body[QStringLiteral("error")][QStringLiteral("message")].toString().contains(
        QStringLiteral("API key")));
    QVERIFY(none.headers.value("request-id").startsWith("req_"));

    const Answer wrong = send(QStringLiteral("GET"), QStringLiteral("/v1/customers"), {}, {}, {},
                              QStringLiteral("sk_test_notTheServersKey"));
    QCOMPARE(wrong.status, 401);
    QVERIFY(!wrong.body.contains(QStringLiteral("data")));

    QVERIFY(m_server->apiKey().startsWith(QStringLiteral("sk_test_")));
    const Answer right = send(QStringLiteral("GET"), QStringLiteral("/v1/customers"));
    QCOMPARE(right.status, 200);
    QCOMPARE(right.headers.value("content-type"), QByteArray("application/json"));
    QVERIFY(right.headers.value("request-id").startsWith("req_"));
    QVERIFY(right.headers.value("request-id") != none.headers.value("request-id"));
}

void TestLocalStripeServer::customers_250ByLimit100_threePagesNoDuplicatesNewestFirst()
{
    QSet<QString> seeded{m_customer};
    for (int i = 0; i < 249; ++i)
        seeded.insert(
            m_server->store().addCustomer(customerWithEmail(QStringLiteral("c%1@example.test").arg(i))));
    QCOMPARE(seeded.size(), 250);

    QSet<QString> seen;
    QList<int> pageSizes;
    QString after;
    bool hasMore = true;
    QString first;
    while (hasMore && pageSizes.size() < 10) {
        StripeParams query{{QStringLiteral("limit"), QStringLiteral("100")}};
        if (!after.isEmpty())
            query.append({QStringLiteral("starting_after"), after});
        const Answer page = send(QStringLiteral("GET"), QStringLiteral("/v1/customers"), query);
        QCOMPARE(page.status, 200);
        QCOMPARE(page.body[QStringLiteral("object")].toString(), QStringLiteral("list"));
        QCOMPARE(page.body[QStringLiteral("url")].toString(), QStringLiteral("/v1/customers"));
        const QJsonArray data = page.body[QStringLiteral("data")].toArray();
        pageSizes << int(data.size());
        for (const QJsonValue &customer : data) {
            const QString id = customer[QStringLiteral("id")].toString();
            QVERIFY2(!seen.contains(id), qPrintable(id));
            seen.insert(id);
            if (first.isEmpty())
                first = id;
        }
        hasMore = page.body[QStringLiteral("has_more")].toBool();
        after = data.last()[QStringLiteral("id")].toString();
    }
    QCOMPARE(pageSizes, (QList<int>{100, 100, 50}));
    QVERIFY(!hasMore);
    QCOMPARE(seen, seeded);
    QCOMPARE(after, m_customer); // the oldest comes last
    QVERIFY(first != m_customer);
    QCOMPARE(m_server->requestCount(), 3);
}

void TestLocalStripeServer::list_limitOutOfRange_refused400_data()
{
    QTest::addColumn<QString>("limit");
    QTest::newRow("zero") << QStringLiteral("0");
    QTest::newRow("101") << QStringLiteral("101");
    QTest::newRow("not a number") << QStringLiteral("ten");
}

void TestLocalStripeServer::list_limitOutOfRange_refused400()
{
    QFETCH(QString, limit);
    const Answer answer =
        send(QStringLiteral("GET"), QStringLiteral("/v1/invoices"), {{QStringLiteral("limit"), limit}});
    QCOMPARE(answer.status, 400);
    QCOMPARE(answer.body[QStringLiteral("error")][QStringLiteral("param")].toString(),
             QStringLiteral("limit"));
}

void TestLocalStripeServer::get_unknownId_404ResourceMissing()
{
    const Answer customer = send(QStringLiteral("GET"), QStringLiteral("/v1/customers/cus_missing"));
    QCOMPARE(customer.status, 404);
    QCOMPARE(customer.body[QStringLiteral("error")][QStringLiteral("code")].toString(),
             QStringLiteral("resource_missing"));
    QVERIFY(customer.body[QStringLiteral("error")][QStringLiteral("message")].toString().contains(
        QStringLiteral("cus_missing")));
    // A price id asked for as a customer is not that customer.
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/customers/") + m_basic).status, 404);
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/prices/") + m_basic).status, 200);
}

void TestLocalStripeServer::expand_customerAndPaymentMethod_embedsObjects()
{
    const Answer customer =
        send(QStringLiteral("GET"), QStringLiteral("/v1/customers/") + m_customer,
             {{QStringLiteral("expand[]"), QStringLiteral("invoice_settings.default_payment_method")}});
    QCOMPARE(customer.status, 200);
    const QJsonObject method =
        customer.body[QStringLiteral("invoice_settings")][QStringLiteral("default_payment_method")]
            .toObject();
    QCOMPARE(method[QStringLiteral("id")].toString(), m_paymentMethod);
    QCOMPARE(method[QStringLiteral("card")][QStringLiteral("brand")].toString(),
             QStringLiteral("mastercard"));
    QCOMPARE(method[QStringLiteral("card")][QStringLiteral("last4")].toString(), QStringLiteral("4444"));
    QCOMPARE(customer.body[QStringLiteral("metadata")][QStringLiteral("workspace_id")].toString(),
             QStringLiteral("42"));

    const Answer list = send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions"),
                             {{QStringLiteral("expand[]"), QStringLiteral("data.customer")}});
    QCOMPARE(list.status, 200);
    const QJsonObject embedded = list.body[QStringLiteral("data")][0][QStringLiteral("customer")].toObject();
    QCOMPARE(embedded[QStringLiteral("email")].toString(), QStringLiteral("billing@acme.test"));

    const Answer unexpanded =
        send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions/") + m_subscription);
    QCOMPARE(unexpanded.body[QStringLiteral("customer")].toString(), m_customer);
}

void TestLocalStripeServer::expand_notExpandable_refused400()
{
    const Answer answer = send(QStringLiteral("GET"), QStringLiteral("/v1/customers/") + m_customer,
                               {{QStringLiteral("expand[]"), QStringLiteral("email")}});
    QCOMPARE(answer.status, 400);
    QVERIFY(answer.body[QStringLiteral("error")][QStringLiteral("message")].toString().contains(
        QStringLiteral("cannot be expanded")));
}

void TestLocalStripeServer::subscriptions_filteredByCustomerAndStatus()
{
    StripeStore &store = m_server->store();
    const QString other = store.addCustomer(customerWithEmail(QStringLiteral("other@example.test")));
    SubscriptionSeed canceled;
    canceled.customerId = other;
    canceled.priceId = m_pro;
    canceled.status = QStringLiteral("canceled");
    const QString canceledId = store.addSubscription(canceled);

    const Answer mine = send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions"),
                             {{QStringLiteral("customer"), m_customer}});
    QCOMPARE(mine.body[QStringLiteral("data")].toArray().size(), 1);
    QCOMPARE(mine.body[QStringLiteral("data")][0][QStringLiteral("id")].toString(), m_subscription);
    // Without a status Stripe leaves canceled subscriptions out; "all" brings them back.
    const Answer theirs = send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions"),
                               {{QStringLiteral("customer"), other}});
    QCOMPARE(theirs.body[QStringLiteral("data")].toArray().size(), 0);
    const Answer all =
        send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions"),
             {{QStringLiteral("customer"), other}, {QStringLiteral("status"), QStringLiteral("all")}});
    QCOMPARE(all.body[QStringLiteral("data")][0][QStringLiteral("id")].toString(), canceledId);
}

void TestLocalStripeServer::updateSubscription_newPrice_itemChangedAndReturned()
{
    const QString item = m_server->store().firstItemId(m_subscription);
    const Answer answer =
        send(QStringLiteral("POST"), QStringLiteral("/v1/subscriptions/") + m_subscription, {},
             {{QStringLiteral("items[0][id]"), item},
              {QStringLiteral("items[0][price]"), m_pro},
              {QStringLiteral("proration_behavior"), QStringLiteral("none")},
              {QStringLiteral("metadata[action_id]"), QStringLiteral("a1")}});
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.body[QStringLiteral("object")].toString(), QStringLiteral("subscription"));
    const QJsonObject returnedItem =
        answer.body[QStringLiteral("items")][QStringLiteral("data")][0].toObject();
    QCOMPARE(returnedItem[QStringLiteral("id")].toString(), item);
    QCOMPARE(returnedItem[QStringLiteral("price")][QStringLiteral("id")].toString(), m_pro);
    QCOMPARE(answer.body[QStringLiteral("metadata")][QStringLiteral("action_id")].toString(),
             QStringLiteral("a1"));
    QCOMPARE(answer.body[QStringLiteral("metadata")][QStringLiteral("workspace_id")].toString(),
             QStringLiteral("42"));
    const Answer reread = send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions/") + m_subscription);
    QCOMPARE(reread
                 .body[QStringLiteral("items")][QStringLiteral("data")][0][QStringLiteral("price")]
                      [QStringLiteral("id")]
                 .toString(),
             m_pro);
    QCOMPARE(m_server->store().mutationCount(), 1);

    const Answer badPrice =
        send(QStringLiteral("POST"), QStringLiteral("/v1/subscriptions/") + m_subscription, {},
             {{QStringLiteral("items[0][id]"), item},
              {QStringLiteral("items[0][price]"), QStringLiteral("price_missing")}});
    QCOMPARE(badPrice.status, 400);
    QCOMPARE(badPrice.body[QStringLiteral("error")][QStringLiteral("param")].toString(),
             QStringLiteral("items[0][price]"));
    QCOMPARE(m_server->store().mutationCount(), 1);
}

void TestLocalStripeServer::idempotency_sameKeySameParams_replaysWithoutApplying()
{
    const QString item = m_server->store().firstItemId(m_subscription);
    const StripeParams form{{QStringLiteral("items[0][id]"), item},
                            {QStringLiteral("items[0][price]"), m_pro},
                            {QStringLiteral("proration_behavior"), QStringLiteral("always_invoice")},
                            {QStringLiteral("proration_date"), QString::number(prorationDate)}};
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "action-1:stripe"}};
    const QString path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    const Answer first = send(QStringLiteral("POST"), path, {}, form, key);
    QCOMPARE(first.status, 200);
    QVERIFY(!first.headers.contains("idempotent-replayed"));
    QCOMPARE(m_server->store().mutationCount(), 1);

    // The same parameters in another order are the same request.
    StripeParams reordered = form;
    std::reverse(reordered.begin(), reordered.end());
    const Answer again = send(QStringLiteral("POST"), path, {}, reordered, key);
    QCOMPARE(again.status, 200);
    QCOMPARE(again.headers.value("idempotent-replayed"), QByteArray("true"));
    QCOMPARE(again.body, first.body);
    QCOMPARE(m_server->store().mutationCount(), 1);
    // always_invoice billed the proration once: one invoice besides the seeded one.
    const Answer invoices = send(QStringLiteral("GET"), QStringLiteral("/v1/invoices"),
                                 {{QStringLiteral("subscription"), m_subscription}});
    QCOMPARE(invoices.body[QStringLiteral("data")].toArray().size(), 2);

    // Another key applies again.
    const Answer other =
        send(QStringLiteral("POST"), path, {}, form, {{"Idempotency-Key", "action-2:stripe"}});
    QCOMPARE(other.status, 200);
    QVERIFY(!other.headers.contains("idempotent-replayed"));
    QCOMPARE(m_server->store().mutationCount(), 2);
}

void TestLocalStripeServer::idempotency_sameKeyOtherParams_idempotencyErrorNothingApplied()
{
    const QString item = m_server->store().firstItemId(m_subscription);
    const QString path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "action-3:stripe"}};
    QCOMPARE(send(QStringLiteral("POST"), path, {},
                  {{QStringLiteral("items[0][id]"), item}, {QStringLiteral("items[0][price]"), m_pro}}, key)
                 .status,
             200);
    const Answer conflicting =
        send(QStringLiteral("POST"), path, {},
             {{QStringLiteral("items[0][id]"), item}, {QStringLiteral("items[0][price]"), m_basic}}, key);
    QCOMPARE(conflicting.status, 400);
    QCOMPARE(conflicting.body[QStringLiteral("error")][QStringLiteral("type")].toString(),
             QStringLiteral("idempotency_error"));
    QCOMPARE(m_server->store().mutationCount(), 1);
    const QJsonObject subscription = m_server->store().object(m_subscription);
    QCOMPARE(subscription[QStringLiteral("items")][QStringLiteral("data")][0][QStringLiteral("price")]
                         [QStringLiteral("id")]
                             .toString(),
             m_pro);
}

void TestLocalStripeServer::fault_statusAnswers_thenNormalAgain_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("errorCode");
    QTest::addColumn<QByteArray>("shouldRetry");
    QTest::newRow("429 retry false") << int(StripeFault::Kind::RateLimited) << 429
                                     << QStringLiteral("rate_limit") << QByteArray("false");
    QTest::newRow("429 retry true") << int(StripeFault::Kind::RateLimited) << 429
                                    << QStringLiteral("rate_limit") << QByteArray("true");
    QTest::newRow("429 no header") << int(StripeFault::Kind::RateLimited) << 429
                                   << QStringLiteral("rate_limit") << QByteArray();
    QTest::newRow("500") << int(StripeFault::Kind::ServerError) << 500 << QString() << QByteArray();
    QTest::newRow("409 lock_timeout")
        << int(StripeFault::Kind::LockTimeout) << 409 << QStringLiteral("lock_timeout") << QByteArray();
}

void TestLocalStripeServer::fault_statusAnswers_thenNormalAgain()
{
    QFETCH(int, kind);
    QFETCH(int, status);
    QFETCH(QString, errorCode);
    QFETCH(QByteArray, shouldRetry);
    StripeFault fault;
    fault.kind = StripeFault::Kind(kind);
    fault.method = QStringLiteral("POST");
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 2;
    if (!shouldRetry.isEmpty())
        fault.shouldRetry = shouldRetry == "true";
    m_server->addFault(fault);

    const QString item = m_server->store().firstItemId(m_subscription);
    const StripeParams form{{QStringLiteral("items[0][id]"), item},
                            {QStringLiteral("items[0][price]"), m_pro}};
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "fault:stripe"}};
    for (int attempt = 0; attempt < 2; ++attempt) {
        const Answer refused = send(QStringLiteral("POST"), fault.path, {}, form, key);
        QCOMPARE(refused.status, status);
        QCOMPARE(refused.body[QStringLiteral("error")][QStringLiteral("code")].toString(), errorCode);
        QCOMPARE(refused.headers.value("stripe-should-retry"), shouldRetry);
        QVERIFY(refused.headers.value("request-id").startsWith("req_"));
    }
    QCOMPARE(m_server->store().mutationCount(), 0);
    // The fault is spent: the same key now applies, since nothing was kept for it.
    const Answer applied = send(QStringLiteral("POST"), fault.path, {}, form, key);
    QCOMPARE(applied.status, 200);
    QVERIFY(!applied.headers.contains("idempotent-replayed"));
    QCOMPARE(m_server->store().mutationCount(), 1);
}

void TestLocalStripeServer::fault_prefixAndMethod_matchOnlyThose()
{
    StripeFault fault;
    fault.kind = StripeFault::Kind::ServerError;
    fault.method = QStringLiteral("GET");
    fault.path = QStringLiteral("/v1/customers");
    fault.pathIsPrefix = true;
    fault.times = 2;
    m_server->addFault(fault);
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/invoices")).status, 200);
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/customers")).status, 500);
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/customers/") + m_customer).status, 500);
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/customers")).status, 200);

    fault.method = QStringLiteral("POST");
    fault.pathIsPrefix = false;
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 1;
    m_server->addFault(fault);
    QCOMPARE(send(QStringLiteral("GET"), fault.path).status, 200);
    QCOMPARE(send(QStringLiteral("POST"), fault.path).status, 500);
    QCOMPARE(send(QStringLiteral("POST"), fault.path).status, 200);
}

void TestLocalStripeServer::fault_slow_answersAfterTheDelay()
{
    StripeFault fault;
    fault.kind = StripeFault::Kind::Slow;
    fault.path = QStringLiteral("/v1/prices/") + m_pro;
    fault.delayMs = 700;
    m_server->addFault(fault);
    QElapsedTimer timer;
    timer.start();
    const Answer slow = send(QStringLiteral("GET"), fault.path);
    QCOMPARE(slow.status, 200);
    QCOMPARE(slow.body[QStringLiteral("unit_amount")].toInteger(), 4000);
    QVERIFY2(timer.elapsed() >= 650, qPrintable(QString::number(timer.elapsed())));
}

void TestLocalStripeServer::fault_drop_noAnswerNothingApplied()
{
    // More drops than Qt's own resends of a request that got no byte back, so the client sees the failure.
    StripeFault fault;
    fault.kind = StripeFault::Kind::DropConnection;
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 5;
    m_server->addFault(fault);
    const QString item = m_server->store().firstItemId(m_subscription);
    const Answer dropped =
        send(QStringLiteral("POST"), fault.path, {},
             {{QStringLiteral("items[0][id]"), item}, {QStringLiteral("items[0][price]"), m_pro}},
             {{"Idempotency-Key", "drop:stripe"}});
    QCOMPARE(dropped.status, 0);
    QCOMPARE(dropped.error, QNetworkReply::RemoteHostClosedError);
    QVERIFY(m_server->requestCount() >= 1);
    // Qt resends a request that got no byte back on its own; every attempt carried the same key.
    for (const RecordedRequest &request : m_server->requests()) {
        QCOMPARE(request.status, 0);
        QCOMPARE(request.header("idempotency-key"), QByteArray("drop:stripe"));
    }
    QCOMPARE(m_server->store().mutationCount(), 0);
}

void TestLocalStripeServer::fault_applyThenDrop_appliedOnceAndReplayedOnRetry()
{
    StripeFault fault;
    fault.kind = StripeFault::Kind::ApplyThenDrop;
    fault.method = QStringLiteral("POST");
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 5;
    m_server->addFault(fault);
    const QString item = m_server->store().firstItemId(m_subscription);
    const StripeParams form{{QStringLiteral("items[0][id]"), item},
                            {QStringLiteral("items[0][price]"), m_pro}};
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "crash:stripe"}};
    const Answer lost = send(QStringLiteral("POST"), fault.path, {}, form, key);
    QCOMPARE(lost.error, QNetworkReply::RemoteHostClosedError);
    QCOMPARE(m_server->store().mutationCount(), 1);
    QCOMPARE(m_server->store()
                 .object(m_subscription)[QStringLiteral("items")][QStringLiteral("data")][0]
                                        [QStringLiteral("price")][QStringLiteral("id")]
                 .toString(),
             m_pro);

    m_server->clearFaults();
    const Answer retried = send(QStringLiteral("POST"), fault.path, {}, form, key);
    QCOMPARE(retried.status, 200);
    QCOMPARE(retried.headers.value("idempotent-replayed"), QByteArray("true"));
    QCOMPARE(m_server->store().mutationCount(), 1);
    QVERIFY(m_server->requests().last().replayed);
}

void TestLocalStripeServer::upcoming_upgradeOrDowngrade_prorationSignAndAmount_data()
{
    QTest::addColumn<bool>("upgrade");
    QTest::addColumn<QString>("behavior");
    QTest::addColumn<qint64>("credit");
    QTest::addColumn<qint64>("charge");
    QTest::addColumn<qint64>("nextPeriod");
    QTest::addColumn<qint64>("amountDue");
    // A third of the period is used at the proration date: two thirds of each price is prorated.
    QTest::newRow("upgrade 10 -> 40") << true << QStringLiteral("create_prorations") << qint64(-667)
                                      << qint64(2667) << qint64(4000) << qint64(6000);
    QTest::newRow("downgrade 40 -> 10") << false << QStringLiteral("create_prorations") << qint64(-2667)
                                        << qint64(667) << qint64(1000) << qint64(0);
    QTest::newRow("upgrade without proration")
        << true << QStringLiteral("none") << qint64(0) << qint64(0) << qint64(4000) << qint64(4000);
}

void TestLocalStripeServer::upcoming_upgradeOrDowngrade_prorationSignAndAmount()
{
    QFETCH(bool, upgrade);
    QFETCH(QString, behavior);
    QFETCH(qint64, credit);
    QFETCH(qint64, charge);
    QFETCH(qint64, nextPeriod);
    QFETCH(qint64, amountDue);
    QString subscription = m_subscription;
    if (!upgrade) {
        SubscriptionSeed seed;
        seed.customerId = m_customer;
        seed.priceId = m_pro;
        seed.currentPeriodStart = periodStart;
        seed.currentPeriodEnd = periodEnd;
        subscription = m_server->store().addSubscription(seed);
    }
    const QString item = m_server->store().firstItemId(subscription);
    const Answer upcoming =
        send(QStringLiteral("GET"), QStringLiteral("/v1/invoices/upcoming"),
             {{QStringLiteral("subscription"), subscription},
              {QStringLiteral("subscription_items[0][id]"), item},
              {QStringLiteral("subscription_items[0][price]"), upgrade ? m_pro : m_basic},
              {QStringLiteral("subscription_proration_date"), QString::number(prorationDate)},
              {QStringLiteral("subscription_proration_behavior"), behavior}});
    QCOMPARE(upcoming.status, 200);
    QCOMPARE(upcoming.body[QStringLiteral("object")].toString(), QStringLiteral("invoice"));
    QVERIFY(!upcoming.body.contains(QStringLiteral("id"))); // an upcoming invoice has none, as in Stripe
    qint64 creditSeen = 0, chargeSeen = 0, nextSeen = 0, total = 0;
    for (const QJsonValue &line : upcoming.body[QStringLiteral("lines")][QStringLiteral("data")].toArray()) {
        const qint64 amount = line[QStringLiteral("amount")].toInteger();
        total += amount;
        if (!line[QStringLiteral("proration")].toBool()) {
            nextSeen += amount;
            QCOMPARE(line[QStringLiteral("period")][QStringLiteral("start")].toInteger(), periodEnd);
        } else if (amount < 0) {
            creditSeen += amount;
            QVERIFY(line[QStringLiteral("description")].toString().startsWith(QStringLiteral("Unused time")));
        } else {
            chargeSeen += amount;
            QVERIFY(
                line[QStringLiteral("description")].toString().startsWith(QStringLiteral("Remaining time")));
            QCOMPARE(line[QStringLiteral("period")][QStringLiteral("start")].toInteger(), prorationDate);
        }
    }
    QCOMPARE(creditSeen, credit);
    QCOMPARE(chargeSeen, charge);
    QCOMPARE(nextSeen, nextPeriod);
    QCOMPARE(upcoming.body[QStringLiteral("total")].toInteger(), total);
    QCOMPARE(upcoming.body[QStringLiteral("amount_due")].toInteger(), amountDue);
    QCOMPARE(m_server->store().mutationCount(), 0); // a preview changes nothing
    // The same question gives the same answer.
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/invoices/upcoming"),
                  m_server->requests().last().query)
                 .body,
             upcoming.body);
}

void TestLocalStripeServer::updateSubscription_createProrations_showInUpcomingInvoice()
{
    const QString item = m_server->store().firstItemId(m_subscription);
    QCOMPARE(send(QStringLiteral("POST"), QStringLiteral("/v1/subscriptions/") + m_subscription, {},
                  {{QStringLiteral("items[0][id]"), item},
                   {QStringLiteral("items[0][price]"), m_pro},
                   {QStringLiteral("proration_behavior"), QStringLiteral("create_prorations")},
                   {QStringLiteral("proration_date"), QString::number(prorationDate)}})
                 .status,
             200);
    const Answer upcoming = send(QStringLiteral("GET"), QStringLiteral("/v1/invoices/upcoming"),
                                 {{QStringLiteral("subscription"), m_subscription}});
    QCOMPARE(upcoming.status, 200);
    // -667 unused on Team, +2667 remaining on Business, 4000 for the next period.
    QCOMPARE(upcoming.body[QStringLiteral("total")].toInteger(), 6000);
    QCOMPARE(upcoming.body[QStringLiteral("lines")][QStringLiteral("data")].toArray().size(), 3);
}

// Every field the server fills is one of the fixture's, recursively; lists are compared element-wise with the
// fixture's first element, and an expanded id with the fixture object of its type.
void TestLocalStripeServer::compareWithFixture(const QJsonObject &actual, const QJsonObject &fixture,
                                               const QString &where)
{
    QVERIFY2(!actual.isEmpty(), qPrintable(where));
    if (fixture.contains(QStringLiteral("object")))
        QCOMPARE(actual[QStringLiteral("object")].toString(), fixture[QStringLiteral("object")].toString());
    for (auto it = actual.begin(); it != actual.end(); ++it) {
        const QString field = where + QLatin1Char('.') + it.key();
        QVERIFY2(fixture.contains(it.key()),
                 qPrintable(field + QStringLiteral(" is not a field of Stripe's object")));
        if (it.key() == QLatin1String("metadata"))
            continue;
        const QJsonValue expected = fixture.value(it.key());
        if (it->isObject() && expected.isObject()) {
            compareWithFixture(it->toObject(), expected.toObject(), field);
        } else if (it->isObject() && it->toObject().contains(QStringLiteral("object"))) {
            const QString type = it->toObject()[QStringLiteral("object")].toString();
            QVERIFY2(m_fixtures.contains(type), qPrintable(field));
            compareWithFixture(it->toObject(), m_fixtures[type].toObject(), field);
        } else if (it->isArray()) {
            QVERIFY2(expected.isArray(), qPrintable(field));
            const QJsonArray expectedArray = expected.toArray();
            for (const QJsonValue &element : it->toArray())
                if (element.isObject() && !expectedArray.isEmpty())
                    compareWithFixture(element.toObject(), expectedArray.first().toObject(), field);
        } else if (!it->isNull() && !expected.isNull()) {
            QVERIFY2(it->type() == expected.type(),
                     qPrintable(field + QStringLiteral(" has another JSON type")));
        }
    }
}

void TestLocalStripeServer::responses_useTheFixturesFieldNames()
{
    const auto fixture = [this](const char *type) {
        return m_fixtures[QLatin1String(type)].toObject();
    };
    compareWithFixture(
        send(QStringLiteral("GET"), QStringLiteral("/v1/customers/") + m_customer,
             {{QStringLiteral("expand[]"), QStringLiteral("invoice_settings.default_payment_method")}})
            .body,
        fixture("customer"), QStringLiteral("customer"));
    if (QTest::currentTestFailed())
        return;
    compareWithFixture(
        send(QStringLiteral("GET"), QStringLiteral("/v1/payment_methods/") + m_paymentMethod).body,
        fixture("payment_method"), QStringLiteral("payment_method"));
    compareWithFixture(send(QStringLiteral("GET"), QStringLiteral("/v1/prices/") + m_basic).body,
                       fixture("price"), QStringLiteral("price"));
    const Answer subscription =
        send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions/") + m_subscription,
             {{QStringLiteral("expand[]"), QStringLiteral("items.data.price.product")}});
    QVERIFY(subscription
                .body[QStringLiteral("items")][QStringLiteral("data")][0][QStringLiteral("price")]
                     [QStringLiteral("product")]
                .isObject());
    compareWithFixture(subscription.body, fixture("subscription"), QStringLiteral("subscription"));
    compareWithFixture(subscription.body[QStringLiteral("items")][QStringLiteral("data")][0].toObject(),
                       fixture("subscription_item"), QStringLiteral("subscription_item"));
    const Answer invoices =
        send(QStringLiteral("GET"), QStringLiteral("/v1/invoices"),
             {{QStringLiteral("customer"), m_customer}, {QStringLiteral("limit"), QStringLiteral("12")}});
    const QJsonObject invoice = invoices.body[QStringLiteral("data")][0].toObject();
    compareWithFixture(invoice, fixture("invoice"), QStringLiteral("invoice"));
    QVERIFY(!invoice[QStringLiteral("number")].toString().isEmpty());
    QVERIFY(invoice[QStringLiteral("hosted_invoice_url")].toString().startsWith(QStringLiteral("https://")));
    compareWithFixture(send(QStringLiteral("GET"), QStringLiteral("/v1/invoices/upcoming"),
                            {{QStringLiteral("customer"), m_customer}})
                           .body,
                       fixture("invoice"), QStringLiteral("upcoming invoice"));
}

// HTTP/1.1 as clients other than Qt's may speak it: two requests in one write, a body split across writes,
// and Connection: close, on one raw socket.
void TestLocalStripeServer::http_pipelinedSplitAndClosingRequests_answeredInOrder()
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), quint16(m_server->baseUrl().port()));
    QVERIFY(socket.waitForConnected(5000));
    const QByteArray auth = "Authorization: Bearer " + m_server->apiKey().toLatin1() + "\r\n";
    const QByteArray getPrice =
        "GET /v1/prices/" + m_basic.toLatin1() + " HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n";
    const QByteArray getCustomer =
        "GET /v1/customers/" + m_customer.toLatin1() + " HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n";
    socket.write(getPrice + getCustomer);
    const QByteArray body =
        "items%5B0%5D%5Bid%5D=" + m_server->store().firstItemId(m_subscription).toLatin1() +
        "&items%5B0%5D%5Bprice%5D=" + m_pro.toLatin1();
    const QByteArray post = "POST /v1/subscriptions/" + m_subscription.toLatin1() +
                            " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth +
                            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                            QByteArray::number(body.size()) + "\r\n\r\n";
    socket.write(post + body.left(10));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->requestCount(), 2, 5000);
    socket.write(body.mid(10));
    QByteArray received;
    QSignalSpy closed(&socket, &QTcpSocket::disconnected);
    QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll(), closed.size() == 1), 5000);
    received += socket.readAll();
    QCOMPARE(received.count("HTTP/1.1 200 OK"), 3);
    const qsizetype price = received.indexOf(m_basic.toLatin1());
    const qsizetype customer = received.indexOf("\"object\":\"customer\"");
    const qsizetype subscription = received.indexOf("\"object\":\"subscription\"");
    QVERIFY(price >= 0 && customer > price && subscription > customer);
    QVERIFY(received.contains("Connection: close"));
    QCOMPARE(m_server->requestCount(), 3);
    QCOMPARE(m_server->requests().at(2).form.size(), 2);
    QCOMPARE(m_server->store().mutationCount(), 1);
}

void TestLocalStripeServer::requests_recordedWithDecodedNamesAndHeaders()
{
    QSignalSpy finished(m_server.get(), &LocalStripeServer::requestFinished);
    const QString item = m_server->store().firstItemId(m_subscription);
    send(QStringLiteral("POST"), QStringLiteral("/v1/subscriptions/") + m_subscription, {},
         {{QStringLiteral("items[0][id]"), item},
          {QStringLiteral("metadata[note]"), QStringLiteral("a & b = c")}},
         {{"Idempotency-Key", "record:stripe"}});
    send(QStringLiteral("GET"), QStringLiteral("/v1/customers"),
         {{QStringLiteral("email"), QStringLiteral("a+b@x.test")}});
    QCOMPARE(m_server->requestCount(), 2);
    QCOMPARE(finished.size(), 2);
    const RecordedRequest post = m_server->requests().at(0);
    QCOMPARE(post.method, QStringLiteral("POST"));
    QCOMPARE(post.path, QStringLiteral("/v1/subscriptions/") + m_subscription);
    QCOMPARE(post.form.at(1), qMakePair(QStringLiteral("metadata[note]"), QStringLiteral("a & b = c")));
    QCOMPARE(post.header("idempotency-key"), QByteArray("record:stripe"));
    QCOMPARE(post.header("stripe-version"), QByteArray("2023-08-16"));
    QCOMPARE(post.status, 200);
    const RecordedRequest get = m_server->requests().at(1);
    QCOMPARE(get.query, (StripeParams{{QStringLiteral("email"), QStringLiteral("a+b@x.test")}}));
    QVERIFY(get.form.isEmpty());
    QCOMPARE(m_server->store()
                 .object(m_subscription)[QStringLiteral("metadata")][QStringLiteral("note")]
                 .toString(),
             QStringLiteral("a & b = c"));
}

QTEST_GUILESS_MAIN(TestLocalStripeServer)
#include "tst_localstripeserver.moc"
