// The console's Stripe client against the local Stripe-compatible server: the calls billing makes succeed,
// every scripted fault is met as the client's rules say, and every request the client sends is valid against
// Stripe's published API description (checked after each test by the base class).
#include "localstripetest.h"
#include "stripetestoptions.h"

#include "billing/reconciliation.h"
#include "billing/stripeclient.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSet>
#include <QTest>
#include <QTimeZone>

using namespace beacon;
using namespace beacon::billing;
using beacon::stripelocal::StripeFault;

namespace {

StripeClientOptions fastOptions()
{
    return test::fastStripeOptions();
}

bool waitForFinished(StripeCall *call, int timeoutMs = 15000)
{
    return QTest::qWaitFor([call] { return call->isFinished(); }, timeoutMs);
}

} // namespace

class TestStripeClientLocal : public beacon::test::LocalStripeTest {
    Q_OBJECT

private slots:
    void initTestCase() { loadApiSubset(); }
    void init();
    void cleanup();

    void customer_expandedPaymentMethod_read();
    void lists_subscriptionsAndInvoicesOfTheCustomer();
    void upcomingInvoice_withNewPrice_showsProration();
    void updateSubscription_newPrice_appliedOnce();
    void listCustomers_250_threePagesOfAHundred();
    void fault_retryable_retriedThenApplied_data();
    void fault_retryable_retriedThenApplied();
    void fault_shouldRetryFalse_notRetriedBusy();
    void fault_slowerThanTransferTimeout_unavailableInWords();
    void fault_applyThenDrop_retryReplaysAndStripeChangesOnce();
    void reconcile_pagesFromStripe_findsThePlantedDisagreements();

private:
    StripeClient *client(const StripeClientOptions &options = fastOptions());
    // The base subscription's one item moved to the Business price: the body of a plan change.
    billing::StripeParams moveToBusiness() const;
    std::unique_ptr<StripeClient> m_client;
};

void TestStripeClientLocal::init()
{
    startServer();
}

void TestStripeClientLocal::cleanup()
{
    m_client.reset();
    checkRecordedRequestsAndStop();
}

StripeClient *TestStripeClientLocal::client(const StripeClientOptions &options)
{
    DbError error;
    const auto key = StripeKey::parse(m_server->apiKey(), &error);
    const auto endpoint = StripeEndpoint::parse(m_server->baseUrl().toString(), &error);
    if (!key || !endpoint) {
        qWarning().noquote() << "the local server's key or address was refused:" << error.fullText();
        return nullptr;
    }
    m_client = std::make_unique<StripeClient>(*key, *endpoint, options);
    return m_client.get();
}

billing::StripeParams TestStripeClientLocal::moveToBusiness() const
{
    const QString item = m_server->store().firstItemId(m_subscription);
    return {{QStringLiteral("items"),
             QVariantList{QVariantMap{{QStringLiteral("id"), item}, {QStringLiteral("price"), m_pro}}}}};
}

void TestStripeClientLocal::customer_expandedPaymentMethod_read()
{
    StripeClient *stripe = client();
    QVERIFY(stripe);
    QVERIFY(stripe->isTestMode());
    StripeCall *call = stripe->get(
        QStringLiteral("/v1/customers/") + m_customer,
        {{QStringLiteral("expand"), QStringList{QStringLiteral("invoice_settings.default_payment_method")}}},
        QStringLiteral("Reading the customer"));
    QVERIFY(waitForFinished(call));
    QVERIFY2(call->outcome() == StripeCall::Outcome::Succeeded, qPrintable(call->error().fullText()));
    const QJsonObject card = call->object()[QStringLiteral("invoice_settings")]
                                           [QStringLiteral("default_payment_method")][QStringLiteral("card")]
                                               .toObject();
    QCOMPARE(card[QStringLiteral("last4")].toString(), QStringLiteral("4444"));
    QVERIFY(call->requestId().startsWith(QLatin1String("req_")));
    QCOMPARE(customerFromJson(call->object()).workspaceId, 42);
}

void TestStripeClientLocal::lists_subscriptionsAndInvoicesOfTheCustomer()
{
    StripeClient *stripe = client();
    QVERIFY(stripe);
    StripeCall *subscriptions = stripe->list(
        QStringLiteral("/v1/subscriptions"),
        {{QStringLiteral("customer"), m_customer}, {QStringLiteral("status"), QStringLiteral("all")}});
    StripeCall *invoices =
        stripe->list(QStringLiteral("/v1/invoices"),
                     {{QStringLiteral("customer"), m_customer}, {QStringLiteral("limit"), 12}});
    QVERIFY(waitForFinished(subscriptions) && waitForFinished(invoices));
    QVERIFY2(subscriptions->error().kind == ErrorKind::None, qPrintable(subscriptions->error().fullText()));
    QVERIFY2(invoices->error().kind == ErrorKind::None, qPrintable(invoices->error().fullText()));
    QCOMPARE(subscriptions->items().size(), 1);
    const StripeSubscription subscription = subscriptionFromJson(subscriptions->items().first().toObject());
    QCOMPARE(subscription.id, m_subscription);
    QCOMPARE(subscription.priceId, m_basic);
    QCOMPARE(subscription.currentPeriodEnd.toSecsSinceEpoch(), periodEnd);
    QCOMPARE(invoices->items().size(), 1);
}

void TestStripeClientLocal::upcomingInvoice_withNewPrice_showsProration()
{
    StripeClient *stripe = client();
    QVERIFY(stripe);
    const QString item = m_server->store().firstItemId(m_subscription);
    StripeCall *call = stripe->get(
        QStringLiteral("/v1/invoices/upcoming"),
        {{QStringLiteral("customer"), m_customer},
         {QStringLiteral("subscription"), m_subscription},
         {QStringLiteral("subscription_items"),
          QVariantList{QVariantMap{{QStringLiteral("id"), item}, {QStringLiteral("price"), m_pro}}}},
         {QStringLiteral("subscription_proration_date"), prorationDate},
         {QStringLiteral("subscription_proration_behavior"), QStringLiteral("create_prorations")}});
    QVERIFY(waitForFinished(call));
    QVERIFY2(call->error().kind == ErrorKind::None, qPrintable(call->error().fullText()));
    // Two thirds of the period left: -667 for Team's unused time, +2667 for Business's remaining time, and
    // the next period at Business's 4000.
    QCOMPARE(call->object()[QStringLiteral("amount_due")].toInteger(), 6000);
}

void TestStripeClientLocal::updateSubscription_newPrice_appliedOnce()
{
    StripeClient *stripe = client();
    QVERIFY(stripe);
    const int mutations = m_server->store().mutationCount();
    billing::StripeParams params = moveToBusiness();
    params.insert(QStringLiteral("proration_behavior"), QStringLiteral("create_prorations"));
    params.insert(QStringLiteral("proration_date"), prorationDate);
    StripeCall *call = stripe->post(QStringLiteral("/v1/subscriptions/") + m_subscription, params,
                                    QStringLiteral("plan-change-0b6f3b2e-stripe"));
    QVERIFY(waitForFinished(call));
    QVERIFY2(call->error().kind == ErrorKind::None, qPrintable(call->error().fullText()));
    QCOMPARE(subscriptionFromJson(call->object()).priceId, m_pro);
    QCOMPARE(m_server->store().mutationCount(), mutations + 1);
    QCOMPARE(m_server->requests().last().headers.contains({"idempotency-key", "plan-change-0b6f3b2e-stripe"}),
             true);
}

void TestStripeClientLocal::listCustomers_250_threePagesOfAHundred()
{
    for (int i = 0; i < 249; ++i) {
        m_server->store().addCustomer(test::customerWithEmail(QStringLiteral("c%1@example.test").arg(i)));
    }
    StripeClient *stripe = client();
    QVERIFY(stripe);
    StripeCall *call = stripe->list(QStringLiteral("/v1/customers"), {{QStringLiteral("limit"), 100}});
    QVERIFY(waitForFinished(call, 30000));
    QVERIFY2(call->error().kind == ErrorKind::None, qPrintable(call->error().fullText()));
    QCOMPARE(call->pages(), 3);
    QCOMPARE(call->items().size(), 250);
    QSet<QString> ids;
    for (const QJsonValue &customer : call->items())
        ids.insert(customer[QStringLiteral("id")].toString());
    QCOMPARE(ids.size(), 250);
}

void TestStripeClientLocal::fault_retryable_retriedThenApplied_data()
{
    QTest::addColumn<int>("kind");
    QTest::newRow("429, should retry") << int(StripeFault::Kind::RateLimited);
    QTest::newRow("500") << int(StripeFault::Kind::ServerError);
    QTest::newRow("409 lock_timeout") << int(StripeFault::Kind::LockTimeout);
    QTest::newRow("dropped connection") << int(StripeFault::Kind::DropConnection);
}

void TestStripeClientLocal::fault_retryable_retriedThenApplied()
{
    QFETCH(int, kind);
    StripeFault fault;
    fault.kind = StripeFault::Kind(kind);
    fault.method = QStringLiteral("POST");
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 2;
    if (fault.kind == StripeFault::Kind::RateLimited)
        fault.shouldRetry = true;
    m_server->addFault(fault);
    StripeClient *stripe = client();
    QVERIFY(stripe);
    const int mutations = m_server->store().mutationCount();
    StripeCall *call = stripe->post(
        QStringLiteral("/v1/subscriptions/") + m_subscription,
        {{QStringLiteral("metadata"), QVariantMap{{QStringLiteral("note"), QStringLiteral("retried")}}}});
    QVERIFY(waitForFinished(call));
    QVERIFY2(call->error().kind == ErrorKind::None, qPrintable(call->error().fullText()));
    // Two refused or dropped, the third applied. (Qt itself resends a request whose connection dropped before
    // any answer, so the client may count fewer attempts than the server saw requests.)
    QCOMPARE(m_server->requestCount(), 3);
    QCOMPARE(m_server->store().mutationCount(), mutations + 1);
    // Every attempt carried the same key, so Stripe could not apply it twice.
    QSet<QByteArray> keys;
    for (const auto &request : m_server->requests()) {
        for (const auto &[name, value] : request.headers) {
            if (name == "idempotency-key")
                keys.insert(value);
        }
    }
    QCOMPARE(keys.size(), 1);
}

void TestStripeClientLocal::fault_shouldRetryFalse_notRetriedBusy()
{
    StripeFault fault;
    fault.kind = StripeFault::Kind::RateLimited;
    fault.path = QStringLiteral("/v1/customers/") + m_customer;
    fault.shouldRetry = false;
    fault.times = 5;
    m_server->addFault(fault);
    StripeClient *stripe = client();
    QVERIFY(stripe);
    StripeCall *call =
        stripe->get(QStringLiteral("/v1/customers/") + m_customer, {}, QStringLiteral("Reading"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->error().kind, ErrorKind::Busy);
    QCOMPARE(call->attempts(), 1);
    QCOMPARE(m_server->requestCount(), 1);
    QVERIFY2(call->error().details.contains(call->requestId()), qPrintable(call->error().details));
}

void TestStripeClientLocal::fault_slowerThanTransferTimeout_unavailableInWords()
{
    StripeFault fault;
    fault.kind = StripeFault::Kind::Slow;
    fault.path = QStringLiteral("/v1/customers/") + m_customer;
    fault.delayMs = 1500;
    fault.times = 10;
    m_server->addFault(fault);
    StripeClientOptions options = fastOptions();
    options.transferTimeout = std::chrono::milliseconds(300);
    options.maxRetries = 1;
    StripeClient *stripe = client(options);
    QVERIFY(stripe);
    StripeCall *call =
        stripe->get(QStringLiteral("/v1/customers/") + m_customer, {}, QStringLiteral("Reading"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->error().kind, ErrorKind::Unavailable);
    QVERIFY2(call->error().message.contains(QLatin1String("0.3 s")), qPrintable(call->error().message));
    QVERIFY(!call->error().message.contains(m_server->apiKey()));
}

void TestStripeClientLocal::fault_applyThenDrop_retryReplaysAndStripeChangesOnce()
{
    // Stripe applies the change, and the answer is lost on the way: the retry must not change it again.
    StripeFault fault;
    fault.kind = StripeFault::Kind::ApplyThenDrop;
    fault.method = QStringLiteral("POST");
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 1;
    m_server->addFault(fault);
    StripeClient *stripe = client();
    QVERIFY(stripe);
    const int mutations = m_server->store().mutationCount();
    StripeCall *call = stripe->post(QStringLiteral("/v1/subscriptions/") + m_subscription, moveToBusiness(),
                                    QStringLiteral("plan-change-crash-stripe"));
    QVERIFY(waitForFinished(call));
    QVERIFY2(call->error().kind == ErrorKind::None, qPrintable(call->error().fullText()));
    QCOMPARE(m_server->store().mutationCount(), mutations + 1);
    QVERIFY(m_server->requests().last().replayed);
    QCOMPARE(subscriptionFromJson(call->object()).priceId, m_pro);
}

void TestStripeClientLocal::reconcile_pagesFromStripe_findsThePlantedDisagreements()
{
    // The base's customer (workspace 42, Team, active) agrees with its row; workspace 43 has a second
    // customer from a checkout race, and workspace 44's row lost its subscription id.
    stripelocal::StripeStore &store = m_server->store();
    stripelocal::CustomerSeed duplicate;
    duplicate.email = QStringLiteral("dup@example.test");
    duplicate.metadata.insert(QStringLiteral("workspace_id"), QStringLiteral("43"));
    const QString first = store.addCustomer(duplicate);
    const QString second = store.addCustomer(duplicate);
    stripelocal::CustomerSeed lost;
    lost.metadata.insert(QStringLiteral("workspace_id"), QStringLiteral("44"));
    const QString lostCustomer = store.addCustomer(lost);
    stripelocal::SubscriptionSeed lostSubscription;
    lostSubscription.customerId = lostCustomer;
    lostSubscription.priceId = m_basic;
    const QString lostId = store.addSubscription(lostSubscription);

    StripeClient *stripe = client();
    QVERIFY(stripe);
    StripeCall *customers = stripe->list(QStringLiteral("/v1/customers"), {{QStringLiteral("limit"), 100}});
    StripeCall *subscriptions =
        stripe->list(QStringLiteral("/v1/subscriptions"),
                     {{QStringLiteral("limit"), 100}, {QStringLiteral("status"), QStringLiteral("all")}});
    QVERIFY(waitForFinished(customers) && waitForFinished(subscriptions));
    QList<StripeCustomer> stripeCustomers;
    for (const QJsonValue &value : customers->items())
        stripeCustomers.append(customerFromJson(value.toObject()));
    QList<StripeSubscription> stripeSubscriptions;
    for (const QJsonValue &value : subscriptions->items())
        stripeSubscriptions.append(subscriptionFromJson(value.toObject()));
    const QDateTime end = QDateTime::fromSecsSinceEpoch(periodEnd, QTimeZone::utc());
    const QList<WorkspaceBilling> rows{
        {42, QStringLiteral("team"), m_customer, m_subscription, QStringLiteral("active"), end},
        {43, QStringLiteral("team"), first, {}, QStringLiteral("none"), {}},
        {44, QStringLiteral("team"), lostCustomer, {}, QStringLiteral("none"), {}}};
    const QHash<QString, QString> planOfPrice{{m_basic, QStringLiteral("team")},
                                              {m_pro, QStringLiteral("business")}};
    const QList<Finding> findings = reconcile(rows, stripeCustomers, stripeSubscriptions, planOfPrice);
    QStringList seen;
    for (const Finding &finding : findings)
        seen.append(QStringLiteral("%1:%2").arg(finding.workspaceId).arg(findingKindName(finding.kind)));
    QCOMPARE(seen, (QStringList{QStringLiteral("43:duplicate_customers"),
                                QStringLiteral("44:lost_subscription_id")}));
    QVERIFY(findings.first().stripeValue.contains(second));
    QVERIFY(findings.last().suggestedFix.endsWith(lostId));
}

QTEST_GUILESS_MAIN(TestStripeClientLocal)
#include "tst_stripeclientlocal.moc"
