// billing-link against the real server: the lost ids are written under the workspace lock with one audit
// row; an id another workspace holds, an id already there, and a malformed id are refused with nothing
// written.
#include "actionfixture.h"

#include "actions/actionengine.h"

using namespace beacon;
using namespace beacon::test::seeded;
using beacon::actions::ActionKind;
using beacon::actions::ActionRequest;
using beacon::actions::ActionResult;

namespace {

ActionRequest link(qint64 workspace, const QString &customer, const QString &subscription = {})
{
    ActionRequest request = test::actionRequest(ActionKind::BillingLink);
    request.workspaceId = workspace;
    request.stripeCustomerId = customer;
    request.stripeSubscriptionId = subscription;
    return request;
}

constexpr qint64 PeriodEnd = 1'790'000'000;

// Stripe's answer for Roomy's subscription: past due, a later period end, billed as Business.
ActionRequest sync(qint64 workspace, const QString &subscription = QStringLiteral("sub_roomy"),
                   const QString &price = QStringLiteral("price_beacon_business_monthly"))
{
    ActionRequest request = test::actionRequest(ActionKind::BillingSync);
    request.workspaceId = workspace;
    actions::StripeSubscriptionState state;
    state.subscriptionId = subscription;
    state.status = QStringLiteral("past_due");
    state.currentPeriodEnd = PeriodEnd;
    state.priceId = price;
    state.requestId = QStringLiteral("req_sync1");
    request.stripeSubscription = state;
    return request;
}

} // namespace

class TestBillingActions : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void billingLink_lostIds_writtenAndAuditedBeforeAndAfter();
    void billingLink_onlySubscription_keepsTheCustomer();
    void billingLink_idOfAnotherWorkspace_refusedNamingIt();
    void billingLink_sameIds_refusedAsNothingToChange();
    void billingLink_malformed_refusedBeforeTheDatabase_data();
    void billingLink_malformed_refusedBeforeTheDatabase();
    void billingLink_dryRun_changesNothing();
    void billingSync_stripeDiffers_statusPeriodAndPlanWrittenWithRequestId();
    void billingSync_alreadyAgrees_refusedNothingToChange();
    void billingSync_noSubscriptionNamed_refusedSayingLinkFirst();
    void billingSync_rowNamesAnotherSubscription_conflict();
    void billingSync_priceOfNoPlan_refused();
    void billingSync_planWithFewerSeats_refused();
    void billingSync_asSupport_deniedNamingFinanceAndAdmin();

private:
    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestBillingActions::init()
{
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_billing"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestBillingActions::cleanup()
{
    m_fixture.reset();
}

void TestBillingActions::billingLink_lostIds_writtenAndAuditedBeforeAndAfter()
{
    auto &fixture = *m_fixture;
    QVERIFY(fixture.exec(QStringLiteral(
        "UPDATE workspaces SET stripe_customer_id = NULL, stripe_subscription_id = NULL WHERE id = 1")));
    const qint64 audits = fixture.auditCount();
    const qint64 version = fixture.version(Roomy);
    const ActionRequest request = link(Roomy, QStringLiteral("cus_Roomy1"), QStringLiteral("sub_Roomy1"));
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QVERIFY2(result.message.contains(QLatin1String("cus_Roomy1")) &&
                 result.message.contains(QLatin1String("had none")),
             qPrintable(result.message));
    QCOMPARE(
        fixture.value(QStringLiteral("SELECT stripe_customer_id FROM workspaces WHERE id = 1")).toString(),
        QStringLiteral("cus_Roomy1"));
    QCOMPARE(fixture.value(QStringLiteral("SELECT stripe_subscription_id FROM workspaces WHERE id = 1"))
                 .toString(),
             QStringLiteral("sub_Roomy1"));
    QCOMPARE(fixture.version(Roomy), version + 1);
    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("workspace"),
                                                 QString::number(Roomy), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QVERIFY(audit.value(QStringLiteral("before"))
                .toObject()
                .value(QStringLiteral("stripe_customer_id"))
                .isNull());
    QCOMPARE(audit.value(QStringLiteral("after"))
                 .toObject()
                 .value(QStringLiteral("stripe_subscription_id"))
                 .toString(),
             QStringLiteral("sub_Roomy1"));
}

void TestBillingActions::billingLink_onlySubscription_keepsTheCustomer()
{
    auto &fixture = *m_fixture;
    QVERIFY(fixture.exec(QStringLiteral("UPDATE workspaces SET stripe_customer_id = 'cus_kept', "
                                        "stripe_subscription_id = NULL WHERE id = 1")));
    const ActionResult result =
        actions::runAction(fixture.db(), link(Roomy, {}, QStringLiteral("sub_found")));
    QVERIFY_APPLIED(result);
    QCOMPARE(
        fixture.value(QStringLiteral("SELECT stripe_customer_id FROM workspaces WHERE id = 1")).toString(),
        QStringLiteral("cus_kept"));
    QCOMPARE(fixture.value(QStringLiteral("SELECT stripe_subscription_id FROM workspaces WHERE id = 1"))
                 .toString(),
             QStringLiteral("sub_found"));
}

void TestBillingActions::billingLink_idOfAnotherWorkspace_refusedNamingIt()
{
    auto &fixture = *m_fixture;
    QVERIFY(
        fixture.exec(QStringLiteral("UPDATE workspaces SET stripe_customer_id = 'cus_taken' WHERE id = 5")));
    const QString problems =
        test::runExpectingFailure(fixture, link(Roomy, QStringLiteral("cus_taken")), ErrorKind::Refused,
                                  QStringLiteral("Workspace 5 already has"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestBillingActions::billingLink_sameIds_refusedAsNothingToChange()
{
    auto &fixture = *m_fixture;
    QVERIFY(
        fixture.exec(QStringLiteral("UPDATE workspaces SET stripe_customer_id = 'cus_same' WHERE id = 1")));
    const QString problems =
        test::runExpectingFailure(fixture, link(Roomy, QStringLiteral("cus_same")), ErrorKind::Refused,
                                  QStringLiteral("nothing to change"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestBillingActions::billingLink_malformed_refusedBeforeTheDatabase_data()
{
    QTest::addColumn<QString>("customer");
    QTest::addColumn<QString>("subscription");
    QTest::addColumn<QString>("words");
    QTest::newRow("neither") << QString() << QString()
                             << QStringLiteral("--customer ID or --subscription ID");
    QTest::newRow("wrong prefix") << QStringLiteral("sub_x") << QString()
                                  << QStringLiteral("--customer takes");
    QTest::newRow("quote") << QStringLiteral("cus_x'y") << QString() << QStringLiteral("--customer takes");
    QTest::newRow("space") << QString() << QStringLiteral("sub_ x") << QStringLiteral("--subscription takes");
}

void TestBillingActions::billingLink_malformed_refusedBeforeTheDatabase()
{
    QFETCH(QString, customer);
    QFETCH(QString, subscription);
    QFETCH(QString, words);
    const QString problems =
        test::runExpectingFailure(*m_fixture, link(Roomy, customer, subscription), ErrorKind::Usage, words);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestBillingActions::billingLink_dryRun_changesNothing()
{
    auto &fixture = *m_fixture;
    const QString before = fixture.snapshot();
    const qint64 audits = fixture.auditCount();
    ActionRequest request = link(Roomy, QStringLiteral("cus_preview"));
    request.dryRun = true;
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QVERIFY(result.dryRun);
    QCOMPARE(result.preview.value(QStringLiteral("rows_affected")).toInt(), 1);
    QCOMPARE(fixture.snapshot(), before);
    QCOMPARE(fixture.auditCount(), audits);
}

void TestBillingActions::billingSync_stripeDiffers_statusPeriodAndPlanWrittenWithRequestId()
{
    auto &fixture = *m_fixture;
    QVERIFY(fixture.exec(
        QStringLiteral("UPDATE workspaces SET stripe_subscription_id = 'sub_roomy', "
                       "subscription_status = 'active', current_period_end = now() WHERE id = 1")));
    const qint64 audits = fixture.auditCount();
    const ActionRequest request = sync(Roomy);
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("business"));
    QCOMPARE(
        fixture.value(QStringLiteral("SELECT subscription_status FROM workspaces WHERE id = 1")).toString(),
        QStringLiteral("past_due"));
    QCOMPARE(
        fixture
            .value(QStringLiteral("SELECT extract(epoch FROM current_period_end)::bigint FROM workspaces "
                                  "WHERE id = 1"))
            .toLongLong(),
        PeriodEnd);
    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("workspace"),
                                                 QString::number(Roomy), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    const QJsonObject after = audit.value(QStringLiteral("after")).toObject();
    QCOMPARE(after.value(QStringLiteral("stripe_request_id")).toString(), QStringLiteral("req_sync1"));
    QCOMPARE(audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("plan")).toString(),
             QStringLiteral("team"));
    QVERIFY2(result.message.contains(QLatin1String("past_due")), qPrintable(result.message));
}

void TestBillingActions::billingSync_alreadyAgrees_refusedNothingToChange()
{
    auto &fixture = *m_fixture;
    QVERIFY(fixture.exec(QStringLiteral(
        "UPDATE workspaces SET plan = 'business', stripe_subscription_id = 'sub_roomy', subscription_status "
        "= "
        "'past_due', current_period_end = to_timestamp(1790000000.4) WHERE id = 1"))); // a fraction is no
                                                                                       // change
    const QString problems = test::runExpectingFailure(fixture, sync(Roomy), ErrorKind::Refused,
                                                       QStringLiteral("already agrees with Stripe"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestBillingActions::billingSync_noSubscriptionNamed_refusedSayingLinkFirst()
{
    const QString problems = test::runExpectingFailure(*m_fixture, sync(Roomy), ErrorKind::Refused,
                                                       QStringLiteral("Link it first with billing-link"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestBillingActions::billingSync_rowNamesAnotherSubscription_conflict()
{
    auto &fixture = *m_fixture;
    QVERIFY(fixture.exec(
        QStringLiteral("UPDATE workspaces SET stripe_subscription_id = 'sub_newer' WHERE id = 1")));
    const QString problems = test::runExpectingFailure(fixture, sync(Roomy), ErrorKind::Conflict,
                                                       QStringLiteral("now names subscription sub_newer"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestBillingActions::billingSync_priceOfNoPlan_refused()
{
    auto &fixture = *m_fixture;
    QVERIFY(fixture.exec(
        QStringLiteral("UPDATE workspaces SET stripe_subscription_id = 'sub_roomy' WHERE id = 1")));
    const QString problems = test::runExpectingFailure(
        fixture, sync(Roomy, QStringLiteral("sub_roomy"), QStringLiteral("price_unknown")),
        ErrorKind::Refused, QStringLiteral("which no Beacon plan has"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestBillingActions::billingSync_planWithFewerSeats_refused()
{
    auto &fixture = *m_fixture;
    // Roomy has 5 members; with fay, 6, more than Starter's 5 seats.
    QVERIFY(fixture.exec(QStringLiteral("INSERT INTO memberships (workspace_id, user_id, role) VALUES (1, 8, "
                                        "'member')")));
    QVERIFY(fixture.exec(
        QStringLiteral("UPDATE workspaces SET stripe_subscription_id = 'sub_roomy' WHERE id = 1")));
    const QString problems = test::runExpectingFailure(
        fixture, sync(Roomy, QStringLiteral("sub_roomy"), QStringLiteral("price_beacon_starter_monthly")),
        ErrorKind::Refused, QStringLiteral("which allows 5 members; it has 6"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestBillingActions::billingSync_asSupport_deniedNamingFinanceAndAdmin()
{
    auto &fixture = *m_fixture;
    QVERIFY(fixture.exec(
        QStringLiteral("UPDATE workspaces SET stripe_subscription_id = 'sub_roomy' WHERE id = 1")));
    const QString login = fixture.database().createLogin(QStringLiteral("beacon_support"));
    QVERIFY(!login.isEmpty());
    DbError error;
    const auto support = Connection::open(fixture.database().spec(login), QStringLiteral("support"), &error);
    QVERIFY2(support, qPrintable(error.fullText()));
    const QString before = fixture.snapshot();
    const ActionResult result = actions::runAction(support->database(), sync(Roomy));
    QCOMPARE(result.error.kind, ErrorKind::Denied);
    QVERIFY2(result.error.message.contains(QLatin1String("beacon_finance")),
             qPrintable(result.error.message));
    QCOMPARE(fixture.snapshot(), before);

    const QString finance = fixture.database().createLogin(QStringLiteral("beacon_finance"));
    const auto financeConnection =
        Connection::open(fixture.database().spec(finance), QStringLiteral("finance"), &error);
    QVERIFY2(financeConnection, qPrintable(error.fullText()));
    QVERIFY_APPLIED(actions::runAction(financeConnection->database(), sync(Roomy)));
}

QTEST_GUILESS_MAIN(TestBillingActions)
#include "tst_actions_billing.moc"
