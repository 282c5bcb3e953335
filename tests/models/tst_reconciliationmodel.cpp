// The reconciliation model against the real server and the local Stripe server: under
// QAbstractItemModelTester it lists what disagrees; the database is read on the window's Detail lane, and a
// cancel while that read waits stops the statement on the server and reports no error; an applied action's
// row marks fixed only the findings it mended.
#include "testdatabase.h"

#include "payingworkspace.h"

#include "reconciliationmodel.h"
#include "stripelocal/localstripeserver.h"

#include <QAbstractItemModelTester>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSqlQuery>

using namespace beacon;
using beacon::models::ReconciliationModel;

class TestReconciliationModel : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void run_underModelTester_listsTheDisagreementsInWords();
    void cancel_whileTheDatabaseReadWaits_statementStoppedNoError();
    void markFixedBy_actionRow_marksOnlyWhatItMended();

private:
    billing::StripeAccess access() const;
    int lockWaiters();

    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<stripelocal::LocalStripeServer> m_stripe;
    QString m_lostSubscription;
};

void TestReconciliationModel::init()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("recon_model"));
    QVERIFY_TESTDB(*m_database);
    m_stripe = std::make_unique<stripelocal::LocalStripeServer>();
    QVERIFY(m_stripe->listen());
    stripelocal::StripeStore &store = m_stripe->store();
    stripelocal::PriceSeed team;
    team.productName = QStringLiteral("Team");
    team.unitAmount = 2900;
    const QString price = store.addPrice(team);
    const auto customerFor = [&store](const char *workspace) {
        stripelocal::CustomerSeed seed;
        seed.email = QStringLiteral("billing%1@example.test").arg(QLatin1String(workspace));
        seed.metadata.insert(QStringLiteral("workspace_id"), QString::fromLatin1(workspace));
        return store.addCustomer(seed);
    };
    const auto subscriptionFor = [&store, &price](const QString &customer, const char *workspace,
                                                  const QString &status) {
        stripelocal::SubscriptionSeed seed;
        seed.customerId = customer;
        seed.priceId = price;
        seed.status = status;
        seed.currentPeriodStart = 1'780'000'000;
        seed.currentPeriodEnd = 1'780'000'000 + 30 * 86400;
        seed.metadata.insert(QStringLiteral("workspace_id"), QString::fromLatin1(workspace));
        return store.addSubscription(seed);
    };
    // 1 is past due in Stripe and active here; 2 lost its subscription id.
    const QString pastDue = customerFor("1");
    const QString pastDueSubscription = subscriptionFor(pastDue, "1", QStringLiteral("past_due"));
    const QString lost = customerFor("2");
    m_lostSubscription = subscriptionFor(lost, "2", QStringLiteral("active"));
    QSqlQuery query(m_database->db());
    query.prepare(QStringLiteral(
        "INSERT INTO public.workspaces (id, name, slug, plan, stripe_customer_id, stripe_subscription_id, "
        "subscription_status, current_period_end) VALUES "
        "(1, 'One', 'one', 'team', :c1, :s1, 'active', to_timestamp(1780000000 + 30 * 86400)), "
        "(2, 'Two', 'two', 'team', :c2, NULL, 'active', to_timestamp(1780000000 + 30 * 86400))"));
    query.bindValue(QStringLiteral(":c1"), pastDue);
    query.bindValue(QStringLiteral(":s1"), pastDueSubscription);
    query.bindValue(QStringLiteral(":c2"), lost);
    QVERIFY_SQL(query, exec());
    // The local server's price stands for the Team plan here.
    QVERIFY(test::priceTeamPlanAs(m_database->db(), price));
}

void TestReconciliationModel::cleanup()
{
    m_stripe.reset();
    m_database.reset();
}

billing::StripeAccess TestReconciliationModel::access() const
{
    billing::StripeAccess access;
    access.key = billing::StripeKey::parse(m_stripe->apiKey());
    access.endpoint = billing::StripeEndpoint::parse(m_stripe->baseUrl().toString());
    return access;
}

int TestReconciliationModel::lockWaiters()
{
    QSqlQuery query(m_database->db());
    if (!query.exec(QStringLiteral("SELECT count(*) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND wait_event_type = 'Lock'")) ||
        !query.next()) {
        qWarning() << query.lastError().text();
        return -1;
    }
    return query.value(0).toInt();
}

void TestReconciliationModel::run_underModelTester_listsTheDisagreementsInWords()
{
    ReconciliationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy finished(&model, &ReconciliationModel::finished);
    QSignalSpy busy(&model, &ReconciliationModel::busyChanged);
    model.setConnection(m_database->connections());
    model.setStripe(access());
    model.run();
    QVERIFY(model.isBusy());
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
    QCOMPARE(busy.size(), 2);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.report().customers, 2);
    QCOMPARE(model.report().subscriptions, 2);
    QCOMPARE(model.report().workspaces, 2);
    QCOMPARE(model.index(0, ReconciliationModel::KindColumn).data().toString(),
             QStringLiteral("Status differs"));
    QCOMPARE(model.index(0, ReconciliationModel::KindColumn).data(ReconciliationModel::KindRole).toString(),
             QStringLiteral("status_drift"));
    QCOMPARE(model.index(0, ReconciliationModel::WorkspaceColumn).data(Qt::EditRole).toLongLong(), 1);
    QCOMPARE(model.index(1, ReconciliationModel::KindColumn).data().toString(),
             QStringLiteral("Lost subscription id"));
    QCOMPARE(model.index(1, ReconciliationModel::StripeColumn).data().toString(), m_lostSubscription);
    QCOMPARE(
        model.index(1, ReconciliationModel::FixColumn).data().toString(),
        QStringLiteral("beaconctl billing-link --workspace 2 --subscription %1").arg(m_lostSubscription));
    QVERIFY(!model.index(1, 0).data(Qt::ToolTipRole).toString().isEmpty());
}

void TestReconciliationModel::cancel_whileTheDatabaseReadWaits_statementStoppedNoError()
{
    ReconciliationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy finished(&model, &ReconciliationModel::finished);
    QSignalSpy cancelled(&model, &ReconciliationModel::cancelled);
    QSignalSpy errors(&model, &ReconciliationModel::errorOccurred);
    model.setConnection(m_database->connections());
    model.setStripe(access());
    test::TableLock lock(m_database->spec(), QStringLiteral("workspaces"));
    QVERIFY(lock.isHeld());
    model.run();
    // Stripe has been paged through; the read of the workspaces now waits on the lock.
    QTRY_COMPARE_WITH_TIMEOUT(lockWaiters(), 1, 15000);
    const int asked = m_stripe->requestCount();
    model.cancel();
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.size(), 1, 10000);
    QVERIFY(!model.isBusy());
    // The statement is gone from the server while the lock is still held.
    QTRY_COMPARE_WITH_TIMEOUT(lockWaiters(), 0, 10000);
    QVERIFY(lock.isHeld());
    lock.release();
    QVERIFY(!QTest::qWaitFor([&] { return !finished.isEmpty() || !errors.isEmpty(); }, 500));
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(m_stripe->requestCount(), asked);
}

void TestReconciliationModel::markFixedBy_actionRow_marksOnlyWhatItMended()
{
    ReconciliationModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy finished(&model, &ReconciliationModel::finished);
    model.setConnection(m_database->connections());
    model.setStripe(access());
    model.run();
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
    QCOMPARE(model.rowCount(), 2);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

    // Another workspace's row, and this one's row with another id, mend nothing.
    QCOMPARE(model.markFixedBy(QJsonObject{{QStringLiteral("id"), 1},
                                           {QStringLiteral("stripe_subscription_id"), m_lostSubscription}}),
             0);
    QCOMPARE(
        model.markFixedBy(QJsonObject{{QStringLiteral("id"), 2},
                                      {QStringLiteral("stripe_subscription_id"), QStringLiteral("sub_x")}}),
        0);
    QCOMPARE(changed.size(), 0);
    QCOMPARE(model.markFixedBy(QJsonObject{{QStringLiteral("id"), 2},
                                           {QStringLiteral("stripe_subscription_id"), m_lostSubscription}}),
             1);
    QCOMPARE(changed.size(), 1);
    QVERIFY(!model.isFixed(0));
    QVERIFY(model.isFixed(1));
    QCOMPARE(model.unfixedCount(), 1);
    QCOMPARE(model.index(1, ReconciliationModel::KindColumn).data().toString(),
             QStringLiteral("Lost subscription id (fixed)"));
    QVERIFY(model.details(1).contains(QLatin1String("run again")));
    // billing-sync's row, with Stripe's status, mends the status drift.
    QCOMPARE(
        model.markFixedBy(QJsonObject{{QStringLiteral("id"), 1},
                                      {QStringLiteral("subscription_status"), QStringLiteral("past_due")}}),
        1);
    QCOMPARE(model.unfixedCount(), 0);
}

QTEST_MAIN(TestReconciliationModel)
#include "tst_reconciliationmodel.moc"
