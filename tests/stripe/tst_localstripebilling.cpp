// What the local Stripe server answers: expansion, subscription lists and changes, the upcoming invoice's
// proration, and objects shaped like Stripe's fixtures.
#include "localstripetest.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace beacon::stripelocal;
using beacon::test::LocalStripeTest;
using beacon::test::StripeAnswer;

using beacon::test::customerWithEmail;

class TestLocalStripeBilling : public LocalStripeTest {
    Q_OBJECT

private slots:
    void initTestCase();
    void init() { startServer(); }
    void cleanup() { checkRecordedRequestsAndStop(); }

    void seed_givenIds_keptAndServedUnderThem();
    void expand_customerAndPaymentMethod_embedsObjects();
    void expand_notExpandable_refused400();
    void subscriptions_filteredByCustomerAndStatus();
    void updateSubscription_newPrice_itemChangedAndReturned();
    void upcoming_upgradeOrDowngrade_prorationSignAndAmount_data();
    void upcoming_upgradeOrDowngrade_prorationSignAndAmount();
    void updateSubscription_createProrations_showInUpcomingInvoice();
    void responses_useTheFixturesFieldNames();

private:
    void compareWithFixture(const QJsonObject &actual, const QJsonObject &fixture, const QString &where);

    QJsonObject m_fixtures;
};

void TestLocalStripeBilling::initTestCase()
{
    loadApiSubset();
    QFile fixtures(beacon::test::StripeApiCheck::fixturesSubsetPath());
    QVERIFY2(fixtures.open(QIODevice::ReadOnly), qPrintable(fixtures.fileName()));
    m_fixtures =
        QJsonDocument::fromJson(fixtures.readAll()).object().value(QStringLiteral("resources")).toObject();
    QVERIFY(m_fixtures.contains(QStringLiteral("subscription")));
}

void TestLocalStripeBilling::seed_givenIds_keptAndServedUnderThem()
{
    // The demo's Stripe holds the ids its database names (plans.stripe_price_id, the workspaces' columns).
    StripeStore &store = m_server->store();
    PriceSeed price;
    price.productName = QStringLiteral("Beacon Team");
    price.unitAmount = 2900;
    price.id = QStringLiteral("price_beacon_team_monthly");
    QCOMPARE(store.addPrice(price), price.id);
    CustomerSeed customer = customerWithEmail(QStringLiteral("owner@given.test"));
    customer.id = QStringLiteral("cus_0000ab12345678");
    QCOMPARE(store.addCustomer(customer), customer.id);
    SubscriptionSeed subscription;
    subscription.customerId = customer.id;
    subscription.priceId = price.id;
    subscription.id = QStringLiteral("sub_0000ab1234567890abcdef01");
    QCOMPARE(store.addSubscription(subscription), subscription.id);

    const StripeAnswer answer =
        send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions/") + subscription.id);
    QCOMPARE(answer.status, 200);
    QCOMPARE(answer.body[QStringLiteral("id")].toString(), subscription.id);
    QCOMPARE(answer.body[QStringLiteral("customer")].toString(), customer.id);
    const QJsonObject item =
        answer.body[QStringLiteral("items")][QStringLiteral("data")].toArray().first().toObject();
    QCOMPARE(item[QStringLiteral("price")][QStringLiteral("id")].toString(), price.id);
    QCOMPARE(item[QStringLiteral("price")][QStringLiteral("unit_amount")].toInteger(), 2900);
}

void TestLocalStripeBilling::expand_customerAndPaymentMethod_embedsObjects()
{
    const StripeAnswer customer =
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

    const StripeAnswer list = send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions"),
                                   {{QStringLiteral("expand[]"), QStringLiteral("data.customer")}});
    QCOMPARE(list.status, 200);
    const QJsonObject embedded = list.body[QStringLiteral("data")][0][QStringLiteral("customer")].toObject();
    QCOMPARE(embedded[QStringLiteral("email")].toString(), QStringLiteral("billing@acme.test"));

    const StripeAnswer unexpanded =
        send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions/") + m_subscription);
    QCOMPARE(unexpanded.body[QStringLiteral("customer")].toString(), m_customer);
}

void TestLocalStripeBilling::expand_notExpandable_refused400()
{
    const StripeAnswer answer = send(QStringLiteral("GET"), QStringLiteral("/v1/customers/") + m_customer,
                                     {{QStringLiteral("expand[]"), QStringLiteral("email")}});
    QCOMPARE(answer.status, 400);
    QVERIFY(answer.body[QStringLiteral("error")][QStringLiteral("message")].toString().contains(
        QStringLiteral("cannot be expanded")));
}

void TestLocalStripeBilling::subscriptions_filteredByCustomerAndStatus()
{
    StripeStore &store = m_server->store();
    const QString other = store.addCustomer(customerWithEmail(QStringLiteral("other@example.test")));
    SubscriptionSeed canceled;
    canceled.customerId = other;
    canceled.priceId = m_pro;
    canceled.status = QStringLiteral("canceled");
    const QString canceledId = store.addSubscription(canceled);

    const StripeAnswer mine = send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions"),
                                   {{QStringLiteral("customer"), m_customer}});
    QCOMPARE(mine.body[QStringLiteral("data")].toArray().size(), 1);
    QCOMPARE(mine.body[QStringLiteral("data")][0][QStringLiteral("id")].toString(), m_subscription);
    // Without a status Stripe leaves canceled subscriptions out; "all" brings them back.
    const StripeAnswer theirs = send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions"),
                                     {{QStringLiteral("customer"), other}});
    QCOMPARE(theirs.body[QStringLiteral("data")].toArray().size(), 0);
    const StripeAnswer all =
        send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions"),
             {{QStringLiteral("customer"), other}, {QStringLiteral("status"), QStringLiteral("all")}});
    QCOMPARE(all.body[QStringLiteral("data")][0][QStringLiteral("id")].toString(), canceledId);
}

void TestLocalStripeBilling::updateSubscription_newPrice_itemChangedAndReturned()
{
    const QString item = m_server->store().firstItemId(m_subscription);
    const StripeAnswer answer =
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
    const StripeAnswer reread =
        send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions/") + m_subscription);
    QCOMPARE(reread
                 .body[QStringLiteral("items")][QStringLiteral("data")][0][QStringLiteral("price")]
                      [QStringLiteral("id")]
                 .toString(),
             m_pro);
    QCOMPARE(m_server->store().mutationCount(), 1);

    const StripeAnswer badPrice =
        send(QStringLiteral("POST"), QStringLiteral("/v1/subscriptions/") + m_subscription, {},
             {{QStringLiteral("items[0][id]"), item},
              {QStringLiteral("items[0][price]"), QStringLiteral("price_missing")}});
    QCOMPARE(badPrice.status, 400);
    QCOMPARE(badPrice.body[QStringLiteral("error")][QStringLiteral("param")].toString(),
             QStringLiteral("items[0][price]"));
    QCOMPARE(m_server->store().mutationCount(), 1);
}

void TestLocalStripeBilling::upcoming_upgradeOrDowngrade_prorationSignAndAmount_data()
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

void TestLocalStripeBilling::upcoming_upgradeOrDowngrade_prorationSignAndAmount()
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
    const StripeAnswer upcoming =
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

void TestLocalStripeBilling::updateSubscription_createProrations_showInUpcomingInvoice()
{
    const QString item = m_server->store().firstItemId(m_subscription);
    QCOMPARE(send(QStringLiteral("POST"), QStringLiteral("/v1/subscriptions/") + m_subscription, {},
                  {{QStringLiteral("items[0][id]"), item},
                   {QStringLiteral("items[0][price]"), m_pro},
                   {QStringLiteral("proration_behavior"), QStringLiteral("create_prorations")},
                   {QStringLiteral("proration_date"), QString::number(prorationDate)}})
                 .status,
             200);
    const StripeAnswer upcoming = send(QStringLiteral("GET"), QStringLiteral("/v1/invoices/upcoming"),
                                       {{QStringLiteral("subscription"), m_subscription}});
    QCOMPARE(upcoming.status, 200);
    // -667 unused on Team, +2667 remaining on Business, 4000 for the next period.
    QCOMPARE(upcoming.body[QStringLiteral("total")].toInteger(), 6000);
    QCOMPARE(upcoming.body[QStringLiteral("lines")][QStringLiteral("data")].toArray().size(), 3);
}

// Every field the server fills is one of the fixture's, recursively; lists are compared element-wise with the
// fixture's first element, and an expanded id with the fixture object of its type.
void TestLocalStripeBilling::compareWithFixture(const QJsonObject &actual, const QJsonObject &fixture,
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

void TestLocalStripeBilling::responses_useTheFixturesFieldNames()
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
    const StripeAnswer subscription =
        send(QStringLiteral("GET"), QStringLiteral("/v1/subscriptions/") + m_subscription,
             {{QStringLiteral("expand[]"), QStringLiteral("items.data.price.product")}});
    QVERIFY(subscription
                .body[QStringLiteral("items")][QStringLiteral("data")][0][QStringLiteral("price")]
                     [QStringLiteral("product")]
                .isObject());
    compareWithFixture(subscription.body, fixture("subscription"), QStringLiteral("subscription"));
    compareWithFixture(subscription.body[QStringLiteral("items")][QStringLiteral("data")][0].toObject(),
                       fixture("subscription_item"), QStringLiteral("subscription_item"));
    const StripeAnswer invoices =
        send(QStringLiteral("GET"), QStringLiteral("/v1/invoices"),
             {{QStringLiteral("customer"), m_customer}, {QStringLiteral("limit"), QStringLiteral("12")}});
    const QJsonObject invoice = invoices.body[QStringLiteral("data")][0].toObject();
    compareWithFixture(invoice, fixture("invoice"), QStringLiteral("invoice"));
    QVERIFY(!invoice[QStringLiteral("number")].toString().isEmpty());
    const QString hostedUrl = invoice[QStringLiteral("hosted_invoice_url")].toString();
    QVERIFY2(hostedUrl.startsWith(m_server->baseUrl().toString() + QLatin1Char('/')), qPrintable(hostedUrl));

    // The hosted page opens without a key, as Stripe's does, and is no API request.
    const int requestsBefore = m_server->requestCount();
    QNetworkReply *page = m_network->get(QNetworkRequest(QUrl(hostedUrl)));
    QSignalSpy pageFinished(page, &QNetworkReply::finished);
    QVERIFY(pageFinished.wait(15000));
    QCOMPARE(page->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QVERIFY(
        page->header(QNetworkRequest::ContentTypeHeader).toString().startsWith(QStringLiteral("text/html")));
    QVERIFY(QString::fromUtf8(page->readAll()).contains(invoice[QStringLiteral("number")].toString()));
    page->deleteLater();
    QCOMPARE(m_server->requestCount(), requestsBefore);
    compareWithFixture(send(QStringLiteral("GET"), QStringLiteral("/v1/invoices/upcoming"),
                            {{QStringLiteral("customer"), m_customer}})
                           .body,
                       fixture("invoice"), QStringLiteral("upcoming invoice"));
}

QTEST_GUILESS_MAIN(TestLocalStripeBilling)
#include "tst_localstripebilling.moc"
