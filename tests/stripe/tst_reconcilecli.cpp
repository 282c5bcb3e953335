// `beaconctl reconcile` against a real PostgreSQL database and the local Stripe server: it finds the planted
// disagreements, exits 3 for them and 0 once they are mended, takes its key only from the environment or a
// private file, and every request it sends is valid against Stripe's API description.
#include "testdatabase.h"

#include "payingworkspace.h"

#include "cli/billingcommand.h"
#include "stripeapicheck.h"
#include "stripelocal/localstripeserver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace beacon;
using namespace beacon::stripelocal;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
    QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

} // namespace

class TestReconcileCli : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void reconcile_plantedDisagreements_listedExitThree();
    void reconcile_oneWorkspace_onlyItsFindings();
    void reconcile_afterBillingLink_lostIdGone();
    void reconcile_afterBillingSync_statusDriftGone();
    void reconcile_noKey_saysHowToGiveOne();
    void billingShow_finance_customerSubscriptionInvoicesAndDisagreement();
    void billingShow_supportLogin_statusAndPlanOnly();
    void billingShow_rowNamesSubscriptionStripeLacks_shownAsDisagreement();
    void reconcile_keyFileOthersCanRead_refused();
    void runReconciliation_clientOptions_paceItsRequests();

private:
    // beaconctl runs while this process's event loop serves the Stripe server it talks to.
    Run ctl(const QStringList &arguments, bool withKey = true);
    QStringList findingKinds(const QJsonObject &result);

    test::StripeApiCheck m_check;
    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<LocalStripeServer> m_server;
    QString m_price;
    QString m_lostSubscription;
};

void TestReconcileCli::initTestCase()
{
    QVERIFY2(m_check.load(), qPrintable(m_check.errorText()));
}

void TestReconcileCli::init()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("reconcile_cli"));
    QVERIFY_TESTDB(*m_database);
    m_server = std::make_unique<LocalStripeServer>();
    QVERIFY(m_server->listen());
    StripeStore &store = m_server->store();
    PriceSeed team;
    team.productName = QStringLiteral("Team");
    team.unitAmount = 2900;
    m_price = store.addPrice(team);
    const auto customerFor = [&store](const char *workspace) {
        CustomerSeed seed;
        seed.email = QStringLiteral("billing@example.test");
        seed.metadata.insert(QStringLiteral("workspace_id"), QString::fromLatin1(workspace));
        return store.addCustomer(seed);
    };
    const auto subscriptionFor = [&store, this](const QString &customer, const char *workspace,
                                                const QString &status) {
        SubscriptionSeed seed;
        seed.customerId = customer;
        seed.priceId = m_price;
        seed.status = status;
        seed.currentPeriodStart = 1'780'000'000;
        seed.currentPeriodEnd = 1'780'000'000 + 30 * 86400;
        seed.metadata.insert(QStringLiteral("workspace_id"), QString::fromLatin1(workspace));
        return store.addSubscription(seed);
    };
    // 1 agrees; 2 is past due in Stripe and active here; 3 lost its subscription id; 4 has two customers.
    const QString agreeing = customerFor("1");
    const QString agreeingSubscription = subscriptionFor(agreeing, "1", QStringLiteral("active"));
    const QString pastDue = customerFor("2");
    const QString pastDueSubscription = subscriptionFor(pastDue, "2", QStringLiteral("past_due"));
    const QString lost = customerFor("3");
    m_lostSubscription = subscriptionFor(lost, "3", QStringLiteral("active"));
    PaymentMethodSeed card;
    card.customerId = pastDue;
    card.brand = QStringLiteral("visa");
    card.last4 = QStringLiteral("4242");
    store.addPaymentMethod(card);
    InvoiceSeed invoice;
    invoice.customerId = pastDue;
    invoice.subscriptionId = pastDueSubscription;
    invoice.status = QStringLiteral("open");
    invoice.amountDue = 2900;
    store.addInvoice(invoice);
    const QString raced = customerFor("4");
    customerFor("4");
    QSqlQuery query(m_database->db());
    query.prepare(QStringLiteral(
        "INSERT INTO public.workspaces (id, name, slug, plan, stripe_customer_id, "
        "stripe_subscription_id, subscription_status, current_period_end) VALUES "
        "(1, 'One', 'one', 'team', :c1, :s1, 'active', to_timestamp(1780000000 + 30 * 86400)), "
        "(2, 'Two', 'two', 'team', :c2, :s2, 'active', to_timestamp(1780000000 + 30 * 86400)), "
        "(3, 'Three', 'three', 'team', :c3, NULL, 'none', NULL), "
        "(4, 'Four', 'four', 'free', :c4, NULL, 'none', NULL)"));
    query.bindValue(QStringLiteral(":c1"), agreeing);
    query.bindValue(QStringLiteral(":s1"), agreeingSubscription);
    query.bindValue(QStringLiteral(":c2"), pastDue);
    query.bindValue(QStringLiteral(":s2"), pastDueSubscription);
    query.bindValue(QStringLiteral(":c3"), lost);
    query.bindValue(QStringLiteral(":c4"), raced);
    QVERIFY_SQL(query, exec());
    // The local server's price stands for the Team plan here.
    QVERIFY(test::priceTeamPlanAs(m_database->db(), m_price));
}

void TestReconcileCli::cleanup()
{
    if (m_server) {
        for (const RecordedRequest &request : m_server->requests()) {
            const QStringList problems =
                m_check.violations(request.method, request.path, request.query, request.form);
            QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        }
    }
    m_server.reset();
    m_database.reset();
}

Run TestReconcileCli::ctl(const QStringList &arguments, bool withKey)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("STRIPE_API_KEY"));
    if (withKey)
        environment.insert(QStringLiteral("STRIPE_API_KEY"), m_server->apiKey());
    environment.insert(QStringLiteral("BEACON_STRIPE_API_BASE"), m_server->baseUrl().toString());
    const test::CtlRun run = test::runCtlServingEvents(
        QStringList{QStringLiteral("--db"), m_database->spec().displayUri()} + arguments, environment);
    return {run.exitCode, run.out, run.err};
}

QStringList TestReconcileCli::findingKinds(const QJsonObject &result)
{
    QStringList kinds;
    for (const QJsonValue &finding : result.value(QStringLiteral("findings")).toArray())
        kinds.append(QStringLiteral("%1:%2")
                         .arg(finding[QStringLiteral("workspace")].toInteger())
                         .arg(finding[QStringLiteral("kind")].toString()));
    return kinds;
}

void TestReconcileCli::reconcile_plantedDisagreements_listedExitThree()
{
    const Run run = ctl({QStringLiteral("--json"), QStringLiteral("reconcile")});
    QVERIFY2(run.exitCode == 3, qPrintable(run.out + run.err));
    const QJsonObject result = run.json();
    QCOMPARE(findingKinds(result),
             (QStringList{QStringLiteral("2:status_drift"), QStringLiteral("3:lost_subscription_id"),
                          QStringLiteral("4:duplicate_customers")}));
    QCOMPARE(result.value(QStringLiteral("stripe_customers")).toInt(), 5);
    const QJsonObject lost = result.value(QStringLiteral("findings")).toArray().at(1).toObject();
    QCOMPARE(lost.value(QStringLiteral("stripe")).toString(), m_lostSubscription);
    QVERIFY(!run.out.contains(m_server->apiKey()) && !run.err.contains(m_server->apiKey()));
}

void TestReconcileCli::reconcile_oneWorkspace_onlyItsFindings()
{
    const Run run = ctl({QStringLiteral("--json"), QStringLiteral("reconcile"), QStringLiteral("--workspace"),
                         QStringLiteral("2")});
    QVERIFY2(run.exitCode == 3, qPrintable(run.out + run.err));
    QCOMPARE(findingKinds(run.json()), QStringList{QStringLiteral("2:status_drift")});
    const Run agreeing =
        ctl({QStringLiteral("reconcile"), QStringLiteral("--workspace"), QStringLiteral("1")});
    QVERIFY2(agreeing.exitCode == 0, qPrintable(agreeing.out + agreeing.err));
    QVERIFY2(agreeing.out.contains(QLatin1String("agree")), qPrintable(agreeing.out));
    QVERIFY2(agreeing.err.contains(QLatin1String("page 1")), qPrintable(agreeing.err)); // progress on stderr
}

void TestReconcileCli::reconcile_afterBillingLink_lostIdGone()
{
    const Run link = ctl({QStringLiteral("billing-link"), QStringLiteral("--workspace"), QStringLiteral("3"),
                          QStringLiteral("--subscription"), m_lostSubscription, QStringLiteral("--reason"),
                          QStringLiteral("reconciliation")},
                         false);
    QVERIFY2(link.exitCode == 0, qPrintable(link.out + link.err));
    const Run run = ctl({QStringLiteral("--json"), QStringLiteral("reconcile"), QStringLiteral("--workspace"),
                         QStringLiteral("3")});
    // Linked, the row now has Stripe's subscription, whose status and period billing-sync would write next.
    const QStringList kinds = findingKinds(run.json());
    QVERIFY2(!kinds.contains(QStringLiteral("3:lost_subscription_id")), qPrintable(kinds.join(u' ')));
    QVERIFY2(kinds.contains(QStringLiteral("3:status_drift")), qPrintable(kinds.join(u' ')));
}

void TestReconcileCli::reconcile_afterBillingSync_statusDriftGone()
{
    const Run sync =
        ctl({QStringLiteral("--json"), QStringLiteral("billing-sync"), QStringLiteral("--workspace"),
             QStringLiteral("2"), QStringLiteral("--reason"), QStringLiteral("past due in Stripe")});
    QVERIFY2(sync.exitCode == 0, qPrintable(sync.out + sync.err));
    const QJsonObject after = sync.json().value(QStringLiteral("after")).toObject();
    QCOMPARE(after.value(QStringLiteral("subscription_status")).toString(), QStringLiteral("past_due"));
    // The audit row says which Stripe answer it wrote.
    QVERIFY(after.value(QStringLiteral("stripe_request_id")).toString().startsWith(QLatin1String("req_")));
    const Run run = ctl({QStringLiteral("--json"), QStringLiteral("reconcile"), QStringLiteral("--workspace"),
                         QStringLiteral("2")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    QVERIFY(findingKinds(run.json()).isEmpty());
    // Again: Stripe and the row agree now, so there is nothing to write.
    const Run again = ctl({QStringLiteral("billing-sync"), QStringLiteral("--workspace"), QStringLiteral("2"),
                           QStringLiteral("--reason"), QStringLiteral("twice")});
    QCOMPARE(again.exitCode, 3);
    QVERIFY2(again.err.contains(QLatin1String("already agrees")), qPrintable(again.err));
}

void TestReconcileCli::billingShow_finance_customerSubscriptionInvoicesAndDisagreement()
{
    const Run run = ctl({QStringLiteral("--json"), QStringLiteral("billing"), QStringLiteral("show"),
                         QStringLiteral("--workspace"), QStringLiteral("2")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    const QJsonObject billing = run.json().value(QStringLiteral("billing")).toObject();
    QVERIFY(!billing.value(QStringLiteral("restricted")).toBool());
    const QJsonObject customer = billing.value(QStringLiteral("customer")).toObject();
    QCOMPARE(customer.value(QStringLiteral("card_last4")).toString(), QStringLiteral("4242"));
    const QJsonObject subscription = billing.value(QStringLiteral("subscription")).toObject();
    QCOMPARE(subscription.value(QStringLiteral("status")).toString(), QStringLiteral("past_due"));
    QCOMPARE(subscription.value(QStringLiteral("plan")).toString(), QStringLiteral("team"));
    const QJsonArray invoices = billing.value(QStringLiteral("invoices")).toArray();
    QCOMPARE(invoices.size(), 1);
    QCOMPARE(invoices.first()[QStringLiteral("amount_due")].toInt(), 2900);
    QVERIFY(billing.contains(QStringLiteral("upcoming_invoice")));
    // Stripe says past due, the row says active: shown side by side.
    const QJsonArray disagreements = billing.value(QStringLiteral("disagreements")).toArray();
    QCOMPARE(disagreements.size(), 1);
    QCOMPARE(disagreements.first()[QStringLiteral("kind")].toString(), QStringLiteral("status_drift"));
    QCOMPARE(disagreements.first()[QStringLiteral("database")].toString(), QStringLiteral("active"));
    QCOMPARE(disagreements.first()[QStringLiteral("stripe")].toString(), QStringLiteral("past_due"));
}

void TestReconcileCli::billingShow_supportLogin_statusAndPlanOnly()
{
    const QString support = m_database->createLogin(QStringLiteral("beacon_support"));
    QVERIFY(!support.isEmpty());
    const int requestsBefore = m_server->requestCount();
    // The last --db wins: this run connects as the support login.
    const Run run = ctl({QStringLiteral("--json"), QStringLiteral("--db"),
                         m_database->spec(support).displayUri(), QStringLiteral("billing"),
                         QStringLiteral("show"), QStringLiteral("--workspace"), QStringLiteral("2")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    const QJsonObject billing = run.json().value(QStringLiteral("billing")).toObject();
    QVERIFY(billing.value(QStringLiteral("restricted")).toBool());
    QVERIFY(!billing.contains(QStringLiteral("customer")));
    QVERIFY(!billing.contains(QStringLiteral("invoices")));
    QVERIFY(!billing.contains(QStringLiteral("upcoming_invoice")));
    const QJsonObject subscription = billing.value(QStringLiteral("subscription")).toObject();
    QCOMPARE(subscription.keys(),
             (QStringList{QStringLiteral("id"), QStringLiteral("plan"), QStringLiteral("status")}));
    QCOMPARE(subscription.value(QStringLiteral("status")).toString(), QStringLiteral("past_due"));
    // Only the subscription was asked of Stripe: no customer, invoice or payment details left the server.
    QCOMPARE(m_server->requestCount(), requestsBefore + 1);
    QVERIFY(m_server->requests().last().path.startsWith(QLatin1String("/v1/subscriptions/")));
}

void TestReconcileCli::billingShow_rowNamesSubscriptionStripeLacks_shownAsDisagreement()
{
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, exec(QStringLiteral(
                           "UPDATE public.workspaces SET stripe_subscription_id = 'sub_gone' WHERE id = 1")));
    const Run run = ctl({QStringLiteral("--json"), QStringLiteral("billing"), QStringLiteral("show"),
                         QStringLiteral("--workspace"), QStringLiteral("1")});
    // Stripe's 404 is what there is to see, not a failure of the whole report.
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    const QJsonObject billing = run.json().value(QStringLiteral("billing")).toObject();
    QVERIFY(billing.contains(QStringLiteral("customer")));
    QVERIFY(!billing.contains(QStringLiteral("subscription")));
    const QJsonArray disagreements = billing.value(QStringLiteral("disagreements")).toArray();
    QCOMPARE(disagreements.size(), 1);
    QCOMPARE(disagreements.first()[QStringLiteral("kind")].toString(),
             QStringLiteral("orphan_subscription_id"));
    QCOMPARE(disagreements.first()[QStringLiteral("database")].toString(), QStringLiteral("sub_gone"));
}

void TestReconcileCli::reconcile_noKey_saysHowToGiveOne()
{
    const Run run = ctl({QStringLiteral("reconcile")}, false);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(QLatin1String("STRIPE_API_KEY")) &&
                 run.err.contains(QLatin1String("--stripe-key-file")),
             qPrintable(run.err));
    QCOMPARE(m_server->requestCount(), 0);
}

void TestReconcileCli::reconcile_keyFileOthersCanRead_refused()
{
    QTemporaryDir folder;
    QFile key(folder.filePath(QStringLiteral("stripe.key")));
    QVERIFY(key.open(QIODevice::WriteOnly));
    key.write(m_server->apiKey().toUtf8());
    key.close();
    QVERIFY(key.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther));
    Run run = ctl({QStringLiteral("reconcile"), QStringLiteral("--stripe-key-file"), key.fileName()}, false);
    QVERIFY2(run.exitCode != 0 && run.err.contains(QLatin1String("chmod 600")), qPrintable(run.err));
    QVERIFY(!run.err.contains(m_server->apiKey()));
    QCOMPARE(m_server->requestCount(), 0);

    QVERIFY(key.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
    run = ctl({QStringLiteral("reconcile"), QStringLiteral("--stripe-key-file"), key.fileName()}, false);
    QVERIFY2(run.exitCode == 3, qPrintable(run.out + run.err)); // the findings, read with the file's key
}

// beacon-bench raises the rate limit through StripeAccess::clientOptions; a limit that did not reach the
// client would make its figures those of the default. Here a low one must space the two list requests.
void TestReconcileCli::runReconciliation_clientOptions_paceItsRequests()
{
    DbError error;
    cli::StripeAccess access;
    access.key = billing::StripeKey::parse(m_server->apiKey(), &error);
    access.endpoint = billing::StripeEndpoint::parse(m_server->baseUrl().toString(), &error);
    QVERIFY2(access.key && access.endpoint, qPrintable(error.fullText()));
    access.clientOptions.requestsPerSecond = 2; // 500 ms apart, where the default 20 allows 50 ms
    QElapsedTimer clock;
    clock.start();
    QList<qint64> receivedAtMs;
    connect(m_server.get(), &LocalStripeServer::requestReceived, this,
            [&clock, &receivedAtMs](int) { receivedAtMs.append(clock.elapsed()); });
    const cli::ReconcileReport report = cli::runReconciliation(m_database->db(), access, std::nullopt, {});
    QVERIFY2(!report.error, qPrintable(report.error.fullText()));
    QCOMPARE(report.customers, 5);
    QCOMPARE(report.subscriptions, 3);
    QCOMPARE(receivedAtMs.size(), 2); // one page of customers, one of subscriptions
    QVERIFY2(receivedAtMs.at(1) - receivedAtMs.at(0) >= 450,
             qPrintable(QStringLiteral("%1 ms apart").arg(receivedAtMs.at(1) - receivedAtMs.at(0))));
}

QTEST_GUILESS_MAIN(TestReconcileCli)
#include "tst_reconcilecli.moc"
