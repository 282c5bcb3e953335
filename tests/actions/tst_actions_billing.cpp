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

QTEST_GUILESS_MAIN(TestBillingActions)
#include "tst_actions_billing.moc"
