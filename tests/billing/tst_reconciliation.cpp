#include "testdatabase.h"

#include "billing/billingrows.h"
#include "billing/reconciliation.h"

#include <QJsonArray>
#include <QSqlQuery>
#include <QTimeZone>
#include <QtTest>

using namespace beacon;
using namespace beacon::billing;

namespace {

const QDateTime PeriodEnd(QDate(2026, 12, 31), QTime(12, 0), QTimeZone::utc());

// Shaped as Stripe's API returns them (version 2023-08-16), with only the fields reconciliation reads.
QJsonObject customerJson(const QString &id, qint64 workspace, qint64 created = 1700000000)
{
    QJsonObject metadata;
    if (workspace > 0)
        metadata.insert(QStringLiteral("workspace_id"), QString::number(workspace));
    return {{QStringLiteral("id"), id},
            {QStringLiteral("object"), QStringLiteral("customer")},
            {QStringLiteral("email"), QStringLiteral("billing@example.com")},
            {QStringLiteral("created"), created},
            {QStringLiteral("metadata"), metadata}};
}

QJsonObject subscriptionJson(const QString &id, const QString &customer, qint64 workspace,
                             const QString &status, const QString &price,
                             const QDateTime &periodEnd = PeriodEnd)
{
    QJsonObject metadata;
    if (workspace > 0)
        metadata.insert(QStringLiteral("workspace_id"), QString::number(workspace));
    QJsonObject priceObject;
    priceObject.insert(QStringLiteral("id"), price);
    priceObject.insert(QStringLiteral("object"), QStringLiteral("price"));
    QJsonObject item;
    item.insert(QStringLiteral("id"), QString(QStringLiteral("si_") + id.mid(4)));
    item.insert(QStringLiteral("object"), QStringLiteral("subscription_item"));
    item.insert(QStringLiteral("price"), priceObject);
    return {{QStringLiteral("id"), id},
            {QStringLiteral("object"), QStringLiteral("subscription")},
            {QStringLiteral("customer"), customer},
            {QStringLiteral("status"), status},
            {QStringLiteral("current_period_end"), double(periodEnd.toSecsSinceEpoch())},
            {QStringLiteral("cancel_at_period_end"), false},
            {QStringLiteral("metadata"), metadata},
            {QStringLiteral("items"), QJsonObject{{QStringLiteral("object"), QStringLiteral("list")},
                                                  {QStringLiteral("data"), QJsonArray{item}}}}};
}

WorkspaceBilling row(qint64 id, const QString &plan, const QString &customer, const QString &subscription,
                     const QString &status, const QDateTime &periodEnd = PeriodEnd)
{
    return {id, plan, customer, subscription, status, periodEnd};
}

const QHash<QString, QString> PlanOfPrice{
    {QStringLiteral("price_beacon_team_monthly"), QStringLiteral("team")},
    {QStringLiteral("price_beacon_starter_monthly"), QStringLiteral("starter")}};
const QString Team = QStringLiteral("price_beacon_team_monthly");

QString describe(const QList<Finding> &findings)
{
    QStringList lines;
    for (const Finding &finding : findings)
        lines.append(QStringLiteral("%1 ws%2 db=%3 stripe=%4 fix=%5")
                         .arg(findingKindName(finding.kind))
                         .arg(finding.workspaceId)
                         .arg(finding.databaseValue, finding.stripeValue, finding.suggestedFix));
    return lines.join(QLatin1Char('\n'));
}

} // namespace

class TestReconciliation : public QObject {
    Q_OBJECT
private slots:
    void parse_stripeObjects_readsIdsMetadataPriceAndPeriod();
    void reconcile_allAgree_findsNothing();
    void reconcile_checkoutRace_reportsDuplicatesWithoutDeleting();
    void reconcile_lostIds_suggestLinks();
    void reconcile_orphans_sayStripeDoesNotKnowThem();
    void reconcile_drift_statusPlanAndPeriod();
    void reconcile_tenThousandWorkspaces_oneFindingPerPlantedDisagreement();
    void readWorkspaceBilling_realDatabase_rowsWithIdsAndNamedOnes();
};

void TestReconciliation::parse_stripeObjects_readsIdsMetadataPriceAndPeriod()
{
    const StripeCustomer customer = customerFromJson(customerJson(QStringLiteral("cus_A"), 42, 1700000123));
    QCOMPARE(customer.id, QStringLiteral("cus_A"));
    QCOMPARE(customer.workspaceId, 42);
    QCOMPARE(customer.created, 1700000123);
    QCOMPARE(customerFromJson(customerJson(QStringLiteral("cus_B"), 0)).workspaceId, 0);

    QJsonObject subscription = subscriptionJson(QStringLiteral("sub_A"), QStringLiteral("cus_A"), 42,
                                                QStringLiteral("past_due"), Team);
    const StripeSubscription parsed = subscriptionFromJson(subscription);
    QCOMPARE(parsed.customerId, QStringLiteral("cus_A"));
    QCOMPARE(parsed.workspaceId, 42);
    QCOMPARE(parsed.status, QStringLiteral("past_due"));
    QCOMPARE(parsed.itemId, QStringLiteral("si_A"));
    QCOMPARE(parsed.priceId, Team);
    QCOMPARE(parsed.currentPeriodEnd, PeriodEnd);
    // An expanded customer is read by its id, and metadata that is not a number names no workspace.
    subscription.insert(QStringLiteral("customer"), customerJson(QStringLiteral("cus_X"), 1));
    subscription.insert(QStringLiteral("metadata"),
                        QJsonObject{{QStringLiteral("workspace_id"), QStringLiteral("12; DROP")}});
    QCOMPARE(subscriptionFromJson(subscription).customerId, QStringLiteral("cus_X"));
    QCOMPARE(subscriptionFromJson(subscription).workspaceId, 0);
}

void TestReconciliation::reconcile_allAgree_findsNothing()
{
    const QList<WorkspaceBilling> rows{row(1, QStringLiteral("team"), QStringLiteral("cus_1"),
                                           QStringLiteral("sub_1"), QStringLiteral("active")),
                                       row(2, QStringLiteral("free"), {}, {}, {}, {})};
    // The subscription names its workspace only through its customer: that is enough.
    const QList<StripeCustomer> customers{customerFromJson(customerJson(QStringLiteral("cus_1"), 1))};
    const QList<StripeSubscription> subscriptions{subscriptionFromJson(subscriptionJson(
        QStringLiteral("sub_1"), QStringLiteral("cus_1"), 0, QStringLiteral("active"), Team))};
    const QList<Finding> findings = reconcile(rows, customers, subscriptions, PlanOfPrice);
    QVERIFY2(findings.isEmpty(), qPrintable(describe(findings)));
}

void TestReconciliation::reconcile_checkoutRace_reportsDuplicatesWithoutDeleting()
{
    const QList<WorkspaceBilling> rows{row(7, QStringLiteral("team"), QStringLiteral("cus_b"),
                                           QStringLiteral("sub_b"), QStringLiteral("active"))};
    const QList<StripeCustomer> customers{
        customerFromJson(customerJson(QStringLiteral("cus_a"), 7, 1700000000)),
        customerFromJson(customerJson(QStringLiteral("cus_b"), 7, 1700000001)),
    };
    const QList<StripeSubscription> subscriptions{subscriptionFromJson(subscriptionJson(
        QStringLiteral("sub_b"), QStringLiteral("cus_b"), 7, QStringLiteral("active"), Team))};
    const QList<Finding> findings = reconcile(rows, customers, subscriptions, PlanOfPrice);
    QCOMPARE(findings.size(), 1);
    const Finding &duplicate = findings.first();
    QCOMPARE(duplicate.kind, FindingKind::DuplicateCustomers);
    QCOMPARE(duplicate.workspaceId, 7);
    QCOMPARE(duplicate.databaseValue, QStringLiteral("cus_b"));
    QCOMPARE(duplicate.stripeValue, QStringLiteral("cus_a, cus_b")); // oldest first
    QVERIFY2(duplicate.suggestedFix.contains(QLatin1String("cus_b")), qPrintable(duplicate.suggestedFix));
    QVERIFY(!duplicate.suggestedFix.contains(QLatin1String("beaconctl"))); // a person decides
    QCOMPARE(duplicate.fixAction, FixAction::None);
    const QJsonObject json = duplicate.toJson();
    QCOMPARE(json.value(QStringLiteral("kind")).toString(), QStringLiteral("duplicate_customers"));
    QCOMPARE(json.value(QStringLiteral("workspace")).toInteger(), 7);
}

void TestReconciliation::reconcile_lostIds_suggestLinks()
{
    const QList<WorkspaceBilling> rows{row(3, QStringLiteral("team"), {}, {}, QStringLiteral("none"), {})};
    const QList<StripeCustomer> customers{customerFromJson(customerJson(QStringLiteral("cus_3"), 3))};
    const QList<StripeSubscription> subscriptions{
        // A canceled one is history, not a lost id; the active one is.
        subscriptionFromJson(subscriptionJson(QStringLiteral("sub_old"), QStringLiteral("cus_3"), 3,
                                              QStringLiteral("canceled"), Team)),
        subscriptionFromJson(subscriptionJson(QStringLiteral("sub_3"), QStringLiteral("cus_3"), 3,
                                              QStringLiteral("active"), Team))};
    const QList<Finding> findings = reconcile(rows, customers, subscriptions, PlanOfPrice);
    QCOMPARE(findings.size(), 2);
    QCOMPARE(findings.at(0).kind, FindingKind::LostCustomerId);
    QCOMPARE(findings.at(0).databaseValue, QStringLiteral("(none)"));
    QCOMPARE(findings.at(0).suggestedFix,
             QStringLiteral("beaconctl billing-link --workspace 3 --customer cus_3"));
    QCOMPARE(findings.at(1).kind, FindingKind::LostSubscriptionId);
    QCOMPARE(findings.at(1).stripeValue, QStringLiteral("sub_3"));
    QCOMPARE(findings.at(1).suggestedFix,
             QStringLiteral("beaconctl billing-link --workspace 3 --subscription sub_3"));
    // The same fix as an action, for the console's Fix: each finding links only its own id.
    QCOMPARE(findings.at(0).fixAction, FixAction::Link);
    QCOMPARE(findings.at(0).linkCustomerId, QStringLiteral("cus_3"));
    QVERIFY(findings.at(0).linkSubscriptionId.isEmpty());
    QCOMPARE(findings.at(1).fixAction, FixAction::Link);
    QCOMPARE(findings.at(1).linkSubscriptionId, QStringLiteral("sub_3"));
    QVERIFY(findings.at(1).linkCustomerId.isEmpty());
}

void TestReconciliation::reconcile_orphans_sayStripeDoesNotKnowThem()
{
    const QList<WorkspaceBilling> rows{row(5, QStringLiteral("team"), QStringLiteral("cus_gone"),
                                           QStringLiteral("sub_gone"), QStringLiteral("active"))};
    const QList<Finding> findings = reconcile(rows, {}, {}, PlanOfPrice);
    QCOMPARE(findings.size(), 2);
    QCOMPARE(findings.at(0).kind, FindingKind::OrphanCustomerId);
    QCOMPARE(findings.at(0).databaseValue, QStringLiteral("cus_gone"));
    QVERIFY(findings.at(0).explanation.contains(QLatin1String("does not know")));
    QCOMPARE(findings.at(1).kind, FindingKind::OrphanSubscriptionId);
    QCOMPARE(findings.at(1).suggestedFix, QStringLiteral("beaconctl billing-sync --workspace 5"));
}

void TestReconciliation::reconcile_drift_statusPlanAndPeriod()
{
    const QList<WorkspaceBilling> rows{row(9, QStringLiteral("starter"), QStringLiteral("cus_9"),
                                           QStringLiteral("sub_9"), QStringLiteral("active"),
                                           PeriodEnd.addMSecs(400))}; // a fraction of a second is no drift
    const QList<StripeCustomer> customers{customerFromJson(customerJson(QStringLiteral("cus_9"), 9))};
    QList<StripeSubscription> subscriptions{subscriptionFromJson(subscriptionJson(
        QStringLiteral("sub_9"), QStringLiteral("cus_9"), 9, QStringLiteral("past_due"), Team))};
    QList<Finding> findings = reconcile(rows, customers, subscriptions, PlanOfPrice);
    QCOMPARE(findings.size(), 2);
    QCOMPARE(findings.at(0).kind, FindingKind::StatusDrift);
    QCOMPARE(findings.at(0).databaseValue, QStringLiteral("active"));
    QCOMPARE(findings.at(0).stripeValue, QStringLiteral("past_due"));
    QCOMPARE(findings.at(1).kind, FindingKind::PlanDrift);
    QCOMPARE(findings.at(1).databaseValue, QStringLiteral("starter"));
    QCOMPARE(findings.at(1).stripeValue, QStringLiteral("team"));
    QCOMPARE(findings.at(1).suggestedFix, QStringLiteral("beaconctl billing-sync --workspace 9"));
    QCOMPARE(findings.at(0).fixAction, FixAction::Sync);
    QCOMPARE(findings.at(1).fixAction, FixAction::Sync);

    subscriptions = {subscriptionFromJson(
        subscriptionJson(QStringLiteral("sub_9"), QStringLiteral("cus_9"), 9, QStringLiteral("active"),
                         QStringLiteral("price_beacon_starter_monthly"), PeriodEnd.addDays(30)))};
    findings = reconcile(rows, customers, subscriptions, PlanOfPrice);
    QCOMPARE(findings.size(), 1);
    QCOMPARE(findings.at(0).kind, FindingKind::PeriodDrift);
    QCOMPARE(findings.at(0).stripeValue, QStringLiteral("2027-01-30T12:00:00Z"));
}

void TestReconciliation::reconcile_tenThousandWorkspaces_oneFindingPerPlantedDisagreement()
{
    QList<WorkspaceBilling> rows;
    QList<StripeCustomer> customers;
    QList<StripeSubscription> subscriptions;
    for (qint64 id = 1; id <= 10000; ++id) {
        const QString customer = QStringLiteral("cus_%1").arg(id);
        const QString subscription = QStringLiteral("sub_%1").arg(id);
        rows.append(row(id, QStringLiteral("team"), customer, subscription, QStringLiteral("active")));
        customers.append(customerFromJson(customerJson(customer, id)));
        subscriptions.append(subscriptionFromJson(
            subscriptionJson(subscription, customer, id, QStringLiteral("active"), Team)));
    }
    rows[99].stripeSubscriptionId.clear();                   // lost subscription id
    subscriptions[4999].status = QStringLiteral("canceled"); // status drift
    customers.append(customerFromJson(customerJson(QStringLiteral("cus_dup"), 8000, 1800000000)));
    const QList<Finding> findings = reconcile(rows, customers, subscriptions, PlanOfPrice);
    QVERIFY2(findings.size() == 3, qPrintable(describe(findings)));
    QCOMPARE(findings.at(0).workspaceId, 100);
    QCOMPARE(findings.at(0).kind, FindingKind::LostSubscriptionId);
    QCOMPARE(findings.at(1).workspaceId, 5000);
    QCOMPARE(findings.at(1).kind, FindingKind::StatusDrift);
    QCOMPARE(findings.at(2).workspaceId, 8000);
    QCOMPARE(findings.at(2).kind, FindingKind::DuplicateCustomers);
}

void TestReconciliation::readWorkspaceBilling_realDatabase_rowsWithIdsAndNamedOnes()
{
    test::TestDatabase database(QStringLiteral("reconcile"));
    QVERIFY_TESTDB(database);
    QSqlQuery query(database.db());
    QVERIFY_SQL(
        query, exec(QStringLiteral("INSERT INTO public.workspaces (id, name, slug, plan, stripe_customer_id, "
                                   "stripe_subscription_id, subscription_status, current_period_end) VALUES "
                                   "(1, 'Paid', 'paid', 'team', 'cus_1', 'sub_1', 'active', "
                                   " '2026-12-31 12:00:00.750+00'), "
                                   "(2, 'Free', 'free', 'free', NULL, NULL, NULL, NULL), "
                                   "(3, 'Lost', 'lost', 'team', NULL, NULL, 'none', NULL)")));
    QList<WorkspaceBilling> rows;
    QVERIFY(!readWorkspaceBilling(database.db(), {3}, std::nullopt, &rows));
    QCOMPARE(rows.size(), 2); // the one with ids, and the one Stripe names; not the free one
    QCOMPARE(rows.at(0).id, 1);
    QCOMPARE(rows.at(0).stripeCustomerId, QStringLiteral("cus_1"));
    QCOMPARE(rows.at(0).subscriptionStatus, QStringLiteral("active"));
    QCOMPARE(rows.at(0).currentPeriodEnd, PeriodEnd); // whole seconds, in UTC
    QCOMPARE(rows.at(1).id, 3);
    QVERIFY(!rows.at(1).currentPeriodEnd.isValid());

    QVERIFY(!readWorkspaceBilling(database.db(), {}, qint64(2), &rows));
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.at(0).plan, QStringLiteral("free"));

    QHash<QString, QString> planOfPrice;
    QVERIFY(!readPlanOfPrice(database.db(), &planOfPrice));
    QCOMPARE(planOfPrice.value(Team), QStringLiteral("team"));
    QVERIFY(!planOfPrice.values().contains(QStringLiteral("free")));
}

QTEST_GUILESS_MAIN(TestReconciliation)
#include "tst_reconciliation.moc"
