// plan-change through Stripe, against the real server and the local Stripe-compatible one: Stripe is changed
// once and first, then the row, with one audit row; a run stopped before the Stripe call, after it, or before
// the last phase converges when run again with the same action id; the other billing paths are refused in
// words; every request is valid against Stripe's API description.
#include "actionfixture.h"
#include "localstripetest.h"
#include "stripetestoptions.h"

#include "actions/planbillingcarried.h"
#include "billing/billedaction.h"

#include <QJsonArray>
#include <QSet>
#include <QTest>

using namespace beacon;
using namespace beacon::test::seeded;
using beacon::actions::ActionKind;
using beacon::actions::ActionRequest;
using beacon::actions::ActionResult;
using beacon::stripelocal::StripeFault;

class TestStripePlanChange : public test::LocalStripeTest {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void throughStripe_subscriptionThenRow_oneAuditWithRequestIdAndProration();
    void dryRun_showsWhatTheCustomerIsChargedAndChangesNothing();
    void prorationNone_noProrationAmount();
    void stoppedBeforeTheStripeCall_rerunConverges();
    void stoppedAfterTheStripeCall_rerunReplaysNotRepeats();
    void droppedAnswer_clientRetriesWithTheSameKey();
    void stoppedBeforeTheLastPhase_rerunWritesWithoutCallingStripe();
    void everyScriptedFault_onTheUpdate_convergesWithStripeChangedOnce_data();
    void everyScriptedFault_onTheUpdate_convergesWithStripeChangedOnce();
    void rowChangedMeanwhile_conflictNamesTheRepairWhichConverges();
    void otherPaths_refusedInWords_data();
    void otherPaths_refusedInWords();
    void stripeSaysPastDue_refusedAndStripeUntouched();
    void withoutStripe_refusedSayingAKeyIsNeeded();
    void noSubscription_databaseOnlyAndSaysNothingIsBilled();
    void key_neverRecordedInPhasesOrAudit();

private:
    ActionRequest toBusiness() const;
    ActionResult run(const ActionRequest &request, const actions::ActionHooks &hooks = {});
    billing::StripeAccess access(int maxRetries = 3) const;
    int subscriptionUpdates() const; // POSTs to the subscription that reached the store (not replays)
    QString stripePrice() const;
    QJsonObject subscription() const; // as the store holds it: reading it sends no request
    void verifyConsistentWithStripe();

    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestStripePlanChange::initTestCase()
{
    loadApiSubset();
}

void TestStripePlanChange::init()
{
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_stripeplan"));
    QVERIFY_FIXTURE(*m_fixture);
    startServer();
    // The plans' prices are the local server's; Roomy (team) pays for the seeded subscription.
    QVERIFY(m_fixture->exec(QStringLiteral("UPDATE plans SET stripe_price_id = NULL WHERE code IN ('team', "
                                           "'business')")));
    QVERIFY(m_fixture->exec(QStringLiteral("UPDATE plans SET stripe_price_id = :team WHERE code = 'team'"),
                            {{QStringLiteral("team"), m_basic}}));
    QVERIFY(m_fixture->exec(
        QStringLiteral("UPDATE plans SET stripe_price_id = :business WHERE code = 'business'"),
        {{QStringLiteral("business"), m_pro}}));
    QVERIFY(m_fixture->exec(
        QStringLiteral("UPDATE workspaces SET stripe_customer_id = :customer, stripe_subscription_id = "
                       ":subscription, subscription_status = 'active', current_period_end = "
                       "to_timestamp(CAST(:end AS bigint)) WHERE id = 1"),
        {{QStringLiteral("customer"), m_customer},
         {QStringLiteral("subscription"), m_subscription},
         {QStringLiteral("end"), periodEnd}}));
}

void TestStripePlanChange::cleanup()
{
    checkRecordedRequestsAndStop();
    m_fixture.reset();
}

ActionRequest TestStripePlanChange::toBusiness() const
{
    ActionRequest request = test::actionRequest(ActionKind::PlanChange);
    request.workspaceId = Roomy;
    request.plan = QStringLiteral("business");
    request.prorationDate = prorationDate;
    return request;
}

billing::StripeAccess TestStripePlanChange::access(int maxRetries) const
{
    billing::StripeAccess access;
    access.key = billing::StripeKey::parse(m_server->apiKey());
    access.endpoint = billing::StripeEndpoint::parse(m_server->baseUrl().toString());
    access.clientOptions = test::fastStripeOptions();
    access.clientOptions.maxRetries = maxRetries;
    return access;
}

ActionResult TestStripePlanChange::run(const ActionRequest &request, const actions::ActionHooks &hooks)
{
    return billing::runBilledAction(m_fixture->db(), request, access(), hooks);
}

int TestStripePlanChange::subscriptionUpdates() const
{
    int updates = 0;
    for (const stripelocal::RecordedRequest &request : m_server->requests())
        if (request.method == QLatin1String("POST") &&
            request.path.startsWith(QLatin1String("/v1/subscriptions/")) && !request.replayed &&
            request.header("idempotency-key").endsWith("-stripe-update"))
            ++updates;
    return updates;
}

QString TestStripePlanChange::stripePrice() const
{
    return subscription()
        .value(QStringLiteral("items"))
        .toObject()
        .value(QStringLiteral("data"))
        .toArray()
        .first()
        .toObject()
        .value(QStringLiteral("price"))
        .toObject()
        .value(QStringLiteral("id"))
        .toString();
}

QJsonObject TestStripePlanChange::subscription() const
{
    return m_server->store().object(m_subscription);
}

// The row says what Stripe bills: the plan of the subscription's price, its status and its period end.
void TestStripePlanChange::verifyConsistentWithStripe()
{
    const QJsonObject stripe = subscription();
    const QJsonObject row = m_fixture->object(
        QStringLiteral("SELECT jsonb_build_object('plan', w.plan, 'status', w.subscription_status, 'end', "
                       "floor(extract(epoch FROM w.current_period_end))::bigint, 'price', p.stripe_price_id) "
                       "FROM workspaces w JOIN plans p ON p.code = w.plan WHERE w.id = 1"));
    QCOMPARE(row.value(QStringLiteral("price")).toString(), stripePrice());
    QCOMPARE(row.value(QStringLiteral("status")).toString(),
             stripe.value(QStringLiteral("status")).toString());
    QCOMPARE(qint64(row.value(QStringLiteral("end")).toDouble()),
             qint64(stripe.value(QStringLiteral("current_period_end")).toDouble()));
}

void TestStripePlanChange::throughStripe_subscriptionThenRow_oneAuditWithRequestIdAndProration()
{
    const qint64 audits = m_fixture->auditCount();
    const ActionRequest request = toBusiness();
    const ActionResult result = run(request);
    QVERIFY_APPLIED(result);
    QCOMPARE(stripePrice(), m_pro);
    QCOMPARE(subscriptionUpdates(), 1);
    QCOMPARE(m_fixture->value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("business"));
    verifyConsistentWithStripe();
    QCOMPARE(m_fixture->auditCount(), audits + 1);

    const QJsonObject audit = m_fixture->lastAudit();
    QCOMPARE(audit.value(QStringLiteral("action_id")).toString(),
             request.actionId.toString(QUuid::WithoutBraces));
    const QJsonObject after = audit.value(QStringLiteral("after")).toObject();
    QCOMPARE(after.value(QStringLiteral("plan")).toString(), QStringLiteral("business"));
    // The update went with the key made of the action id and the phase.
    for (const stripelocal::RecordedRequest &sent : m_server->requests())
        if (sent.method == QLatin1String("POST"))
            QCOMPARE(sent.header("idempotency-key"),
                     (request.actionId.toString(QUuid::WithoutBraces) + QStringLiteral("-stripe-update"))
                         .toLatin1());
    QVERIFY(after.value(QStringLiteral("stripe_request_id")).toString().startsWith(QLatin1String("req_")));
    QCOMPARE(after.value(QStringLiteral("stripe_subscription_id")).toString(), m_subscription);
    QCOMPARE(after.value(QStringLiteral("proration_behavior")).toString(),
             QStringLiteral("create_prorations"));
    QCOMPARE(qint64(after.value(QStringLiteral("proration_date")).toDouble()), prorationDate);
    // Two thirds of the period remain: 2/3 of 40.00 charged, 2/3 of 10.00 credited.
    const qint64 proration = qint64(after.value(QStringLiteral("proration_amount")).toDouble());
    QVERIFY2(proration >= 1999 && proration <= 2001, qPrintable(QString::number(proration)));
    QCOMPARE(after.value(QStringLiteral("currency")).toString(), QStringLiteral("usd"));
    QCOMPARE(audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("plan")).toString(),
             QStringLiteral("team"));

    // Run again with the same id: the earlier outcome, and nothing sent to Stripe.
    const int sent = m_server->requestCount();
    const ActionResult again = run(request);
    QVERIFY_APPLIED(again);
    QVERIFY(again.alreadyApplied);
    QCOMPARE(m_server->requestCount(), sent);
    QCOMPARE(m_fixture->auditCount(), audits + 1);
}

void TestStripePlanChange::dryRun_showsWhatTheCustomerIsChargedAndChangesNothing()
{
    const QString before = m_fixture->snapshot();
    ActionRequest request = toBusiness();
    request.dryRun = true;
    const ActionResult preview = run(request);
    QVERIFY_APPLIED(preview);
    QCOMPARE(preview.preview.value(QStringLiteral("billing")).toString(), QStringLiteral("stripe"));
    const qint64 proration = qint64(preview.preview.value(QStringLiteral("proration_amount")).toDouble());
    QVERIFY2(proration >= 1999 && proration <= 2001, qPrintable(QString::number(proration)));
    QCOMPARE(qint64(preview.preview.value(QStringLiteral("proration_date")).toDouble()), prorationDate);
    QCOMPARE(preview.preview.value(QStringLiteral("currency")).toString(), QStringLiteral("usd"));
    QVERIFY(preview.preview.value(QStringLiteral("charged_at")).toDouble() > 0);
    QVERIFY2(preview.message.contains(QStringLiteral("charge the customer")), qPrintable(preview.message));
    QCOMPARE(m_fixture->snapshot(), before);
    QCOMPARE(m_fixture->value(QStringLiteral("SELECT count(*) FROM action_phases")).toInt(), 0);
    QCOMPARE(stripePrice(), m_basic);
    QCOMPARE(subscriptionUpdates(), 0);

    // Applied with the moment the preview showed, it charges what the preview said.
    request.dryRun = false;
    QVERIFY_APPLIED(run(request));
    QCOMPARE(qint64(m_fixture->lastAudit()
                        .value(QStringLiteral("after"))
                        .toObject()
                        .value(QStringLiteral("proration_amount"))
                        .toDouble()),
             proration);
}

void TestStripePlanChange::prorationNone_noProrationAmount()
{
    ActionRequest request = toBusiness();
    request.proration = QStringLiteral("none");
    QVERIFY_APPLIED(run(request));
    const QJsonObject after = m_fixture->lastAudit().value(QStringLiteral("after")).toObject();
    QCOMPARE(after.value(QStringLiteral("proration_behavior")).toString(), QStringLiteral("none"));
    QCOMPARE(qint64(after.value(QStringLiteral("proration_amount")).toDouble()), 0);
    QCOMPARE(stripePrice(), m_pro);
}

void TestStripePlanChange::stoppedBeforeTheStripeCall_rerunConverges()
{
    // The check is recorded, then reading the subscription fails with no retry left: Stripe is untouched.
    m_server->addFault({StripeFault::Kind::ServerError, QStringLiteral("GET"),
                        QStringLiteral("/v1/subscriptions/") + m_subscription, false, 10, false, 0});
    const ActionRequest request = toBusiness();
    const qint64 audits = m_fixture->auditCount();
    const ActionResult failed = run(request);
    QVERIFY(!failed.ok());
    QVERIFY2(failed.error.message.contains(request.actionId.toString(QUuid::WithoutBraces)),
             qPrintable(failed.error.message));
    QCOMPARE(m_fixture->value(QStringLiteral("SELECT count(*) FROM action_phases")).toInt(), 1);
    QCOMPARE(stripePrice(), m_basic);
    QCOMPARE(m_fixture->value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("team"));
    QCOMPARE(m_fixture->auditCount(), audits);

    m_server->clearFaults();
    QVERIFY_APPLIED(run(request));
    QCOMPARE(subscriptionUpdates(), 1);
    verifyConsistentWithStripe();
    QCOMPARE(m_fixture->auditCount(), audits + 1);
}

void TestStripePlanChange::stoppedAfterTheStripeCall_rerunReplaysNotRepeats()
{
    // Stripe applies the update after the client has given up waiting, and the client tries no more: as if
    // it died right after the call.
    m_server->addFault({StripeFault::Kind::Slow, QStringLiteral("POST"),
                        QStringLiteral("/v1/subscriptions/") + m_subscription, false, 1, std::nullopt, 600});
    const ActionRequest request = toBusiness();
    const qint64 audits = m_fixture->auditCount();
    const qint64 mutationsBefore = m_server->store().mutationCount();
    billing::StripeAccess impatient = access(0);
    impatient.clientOptions.transferTimeout = std::chrono::milliseconds(150);
    const ActionResult failed = billing::runBilledAction(m_fixture->db(), request, impatient);
    QVERIFY(!failed.ok());
    QTRY_COMPARE_WITH_TIMEOUT(m_server->store().mutationCount(), mutationsBefore + 1, 10000);
    QCOMPARE(stripePrice(), m_pro); // Stripe changed
    QCOMPARE(m_fixture->value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("team"));
    QCOMPARE(m_fixture->auditCount(), audits);
    const qint64 mutations = m_server->store().mutationCount();

    QVERIFY_APPLIED(run(request));
    // The second update carried the same key and was replayed: Stripe changed once.
    QCOMPARE(m_server->store().mutationCount(), mutations);
    int posts = 0, replayed = 0;
    for (const stripelocal::RecordedRequest &sent : m_server->requests()) {
        if (sent.method != QLatin1String("POST"))
            continue;
        ++posts;
        replayed += sent.replayed ? 1 : 0;
    }
    QCOMPARE(posts, 2);
    QCOMPARE(replayed, 1);
    verifyConsistentWithStripe();
    QCOMPARE(m_fixture->auditCount(), audits + 1);
}

void TestStripePlanChange::droppedAnswer_clientRetriesWithTheSameKey()
{
    m_server->addFault({StripeFault::Kind::ApplyThenDrop, QStringLiteral("POST"),
                        QStringLiteral("/v1/subscriptions/") + m_subscription, false, 1, std::nullopt, 0});
    m_server->addFault({StripeFault::Kind::LockTimeout, QStringLiteral("GET"),
                        QStringLiteral("/v1/invoices/upcoming"), false, 1, std::nullopt, 0});
    const qint64 audits = m_fixture->auditCount();
    QVERIFY_APPLIED(run(toBusiness()));
    QCOMPARE(subscriptionUpdates(), 1);
    verifyConsistentWithStripe();
    QCOMPARE(m_fixture->auditCount(), audits + 1);
}

void TestStripePlanChange::stoppedBeforeTheLastPhase_rerunWritesWithoutCallingStripe()
{
    const ActionRequest request = toBusiness();
    const qint64 audits = m_fixture->auditCount();
    // The last phase fails at its write, as if the connection had dropped there.
    actions::ActionHooks failWrite;
    failWrite.afterWrite = [](int) {
        return DbError::make(ErrorKind::Unavailable, QStringLiteral("the test stops the last phase"));
    };
    QVERIFY(!run(request, failWrite).ok());
    QCOMPARE(stripePrice(), m_pro);
    QCOMPARE(m_fixture->value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("team"));
    QCOMPARE(m_fixture->auditCount(), audits);
    QCOMPARE(m_fixture->value(QStringLiteral("SELECT count(*) FROM action_phases")).toInt(), 3);

    const int sent = m_server->requestCount();
    QVERIFY_APPLIED(run(request));
    QCOMPARE(m_server->requestCount(), sent); // resumed at the last phase: nothing asked of Stripe
    QCOMPARE(subscriptionUpdates(), 1);
    verifyConsistentWithStripe();
    QCOMPARE(m_fixture->auditCount(), audits + 1);
}

void TestStripePlanChange::everyScriptedFault_onTheUpdate_convergesWithStripeChangedOnce_data()
{
    QTest::addColumn<int>("kind");
    QTest::newRow("429, Stripe-Should-Retry: true") << int(StripeFault::Kind::RateLimited);
    QTest::newRow("500") << int(StripeFault::Kind::ServerError);
    QTest::newRow("409 lock_timeout") << int(StripeFault::Kind::LockTimeout);
    QTest::newRow("slow answer") << int(StripeFault::Kind::Slow);
    QTest::newRow("dropped, nothing applied") << int(StripeFault::Kind::DropConnection);
    QTest::newRow("applied, then dropped") << int(StripeFault::Kind::ApplyThenDrop);
}

// Whatever Stripe does to the update, with the client's retries (the same Idempotency-Key each time) the run
// ends with Stripe changed once, the row agreeing with it and one audit row.
void TestStripePlanChange::everyScriptedFault_onTheUpdate_convergesWithStripeChangedOnce()
{
    QFETCH(int, kind);
    StripeFault fault;
    fault.kind = StripeFault::Kind(kind);
    fault.method = QStringLiteral("POST");
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 2;
    fault.shouldRetry = true;
    fault.delayMs = 300;
    m_server->addFault(fault);
    const ActionRequest request = toBusiness();
    const qint64 audits = m_fixture->auditCount();
    const qint64 mutations = m_server->store().mutationCount();
    const ActionResult result = run(request);
    QVERIFY_APPLIED(result);
    QCOMPARE(m_server->store().mutationCount(), mutations + 1);
    QCOMPARE(stripePrice(), m_pro);
    verifyConsistentWithStripe();
    QCOMPARE(m_fixture->auditCount(), audits + 1);
    // Every attempt at the update carried the one key.
    QSet<QByteArray> keys;
    for (const stripelocal::RecordedRequest &sent : m_server->requests())
        if (sent.method == QLatin1String("POST"))
            keys.insert(sent.header("idempotency-key"));
    QCOMPARE(keys.size(), 1);
}

void TestStripePlanChange::rowChangedMeanwhile_conflictNamesTheRepairWhichConverges()
{
    const ActionRequest request = toBusiness();
    actions::ActionHooks failWrite;
    failWrite.afterWrite = [](int) {
        return DbError::make(ErrorKind::Unavailable, QStringLiteral("stop"));
    };
    QVERIFY(!run(request, failWrite).ok());
    // Someone changes the row between the Stripe update and the last phase.
    QVERIFY(m_fixture->exec(QStringLiteral("UPDATE workspaces SET read_only = true WHERE id = 1")));
    const qint64 audits = m_fixture->auditCount();
    const ActionResult conflict = run(request);
    QCOMPARE(conflict.error.kind, ErrorKind::Conflict);
    const QUuid repair = actions::planChangeRepairId(request.actionId);
    QVERIFY2(conflict.error.message.contains(QStringLiteral("Stripe has already been changed")),
             qPrintable(conflict.error.message));
    QVERIFY2(conflict.error.message.contains(repair.toString(QUuid::WithoutBraces)),
             qPrintable(conflict.error.message));
    QCOMPARE(m_fixture->auditCount(), audits);
    QCOMPARE(m_fixture->value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("team"));

    ActionRequest sync = test::actionRequest(ActionKind::BillingSync);
    sync.actionId = repair;
    sync.workspaceId = Roomy;
    QVERIFY_APPLIED(run(sync));
    verifyConsistentWithStripe();
    QCOMPARE(m_fixture->value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("business"));
    QCOMPARE(subscriptionUpdates(), 1);
}

void TestStripePlanChange::otherPaths_refusedInWords_data()
{
    QTest::addColumn<QString>("setup");
    QTest::addColumn<QString>("plan");
    QTest::addColumn<QString>("words");
    QTest::newRow("to free") << QString() << QStringLiteral("free")
                             << QStringLiteral("cancel the subscription at the end of its period");
    QTest::newRow("to enterprise") << QString() << QStringLiteral("enterprise")
                                   << QStringLiteral("invoiced by contract");
    QTest::newRow("past due") << QStringLiteral(
                                     "UPDATE workspaces SET subscription_status = 'past_due' WHERE id = 1")
                              << QStringLiteral("business") << QStringLiteral("is past_due");
    QTest::newRow("canceled") << QStringLiteral(
                                     "UPDATE workspaces SET subscription_status = 'canceled' WHERE id = 1")
                              << QStringLiteral("business") << QStringLiteral("is canceled");
    QTest::newRow("plan Stripe does not bill, with a subscription")
        << QStringLiteral("UPDATE workspaces SET plan = 'starter' WHERE id = 1") << QStringLiteral("business")
        << QStringLiteral("Stripe does not bill");
}

void TestStripePlanChange::otherPaths_refusedInWords()
{
    QFETCH(QString, setup);
    QFETCH(QString, plan);
    QFETCH(QString, words);
    if (!setup.isEmpty()) {
        if (setup.contains(QLatin1String("'starter'")))
            QVERIFY(m_fixture->exec(
                QStringLiteral("UPDATE plans SET stripe_price_id = NULL WHERE code = 'starter'")));
        QVERIFY(m_fixture->exec(setup));
    }
    const QString before = m_fixture->snapshot();
    ActionRequest request = toBusiness();
    request.plan = plan;
    const ActionResult result = run(request);
    QCOMPARE(result.error.kind, ErrorKind::Refused);
    QVERIFY2(result.error.message.contains(words), qPrintable(result.error.message));
    QCOMPARE(m_fixture->snapshot(), before);
    QCOMPARE(subscriptionUpdates(), 0);
    QCOMPARE(stripePrice(), m_basic);
}

void TestStripePlanChange::stripeSaysPastDue_refusedAndStripeUntouched()
{
    QVERIFY(m_server->store().setSubscriptionStatus(m_subscription, QStringLiteral("past_due")));
    const ActionResult result = run(toBusiness());
    QCOMPARE(result.error.kind, ErrorKind::Refused);
    QVERIFY2(result.error.message.contains(QStringLiteral("past_due")), qPrintable(result.error.message));
    QCOMPARE(subscriptionUpdates(), 0);
    QCOMPARE(m_fixture->value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("team"));
}

void TestStripePlanChange::withoutStripe_refusedSayingAKeyIsNeeded()
{
    const QString before = m_fixture->snapshot();
    const ActionResult result = billing::runBilledAction(m_fixture->db(), toBusiness(), std::nullopt);
    QCOMPARE(result.error.kind, ErrorKind::Refused);
    QVERIFY2(result.error.message.contains(QStringLiteral("Stripe key")), qPrintable(result.error.message));
    QCOMPARE(m_fixture->snapshot(), before);
    // The engine alone refuses it too: no caller can change a paying workspace's plan behind Stripe's back.
    QCOMPARE(actions::runAction(m_fixture->db(), toBusiness()).error.kind, ErrorKind::Refused);
    QCOMPARE(m_server->requestCount(), 0);
}

void TestStripePlanChange::noSubscription_databaseOnlyAndSaysNothingIsBilled()
{
    ActionRequest request = test::actionRequest(ActionKind::PlanChange);
    request.workspaceId = Heavy;
    request.plan = QStringLiteral("business");
    const ActionResult result = run(request);
    QVERIFY_APPLIED(result);
    QCOMPARE(result.preview.value(QStringLiteral("billing")).toString(), QStringLiteral("none"));
    QVERIFY2(result.message.contains(QStringLiteral("Stripe bills nothing")), qPrintable(result.message));
    QCOMPARE(m_server->requestCount(), 0);
}

void TestStripePlanChange::key_neverRecordedInPhasesOrAudit()
{
    actions::ActionHooks failWrite;
    failWrite.afterWrite = [](int) {
        return DbError::make(ErrorKind::Unavailable, QStringLiteral("stop"));
    };
    const ActionRequest request = toBusiness();
    QVERIFY(!run(request, failWrite).ok());
    const QVariantMap key{{QStringLiteral("key"), m_server->apiKey()}};
    QCOMPARE(m_fixture
                 ->value(QStringLiteral(
                             "SELECT count(*) FROM action_phases WHERE strpos(carried::text, :key) > 0"),
                         key)
                 .toInt(),
             0);
    QVERIFY(m_fixture->value(QStringLiteral("SELECT count(*) FROM action_phases")).toInt() == 3);
    QVERIFY_APPLIED(run(request));
    QCOMPARE(
        m_fixture
            ->value(QStringLiteral(
                        "SELECT count(*) FROM audit_log WHERE strpos(to_jsonb(audit_log)::text, :key) > 0"),
                    key)
            .toInt(),
        0);
}

QTEST_GUILESS_MAIN(TestStripePlanChange)
#include "tst_actions_stripeplan.moc"
