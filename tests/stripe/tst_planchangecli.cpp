// `beaconctl plan-change` on a workspace billed through Stripe, against a real PostgreSQL database and the
// local Stripe server: --dry-run shows the charge and the moment to apply it from and changes nothing;
// applied with that moment it charges what was shown, with one audit row; the same action id again reports
// the earlier outcome and sends nothing; --proration is checked before anything runs; without a key it is
// refused in words.
#include "testdatabase.h"

#include "stripeapicheck.h"
#include "stripelocal/localstripeserver.h"

#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QUuid>
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

constexpr qint64 PeriodStart = 1'780'000'000;
constexpr qint64 PeriodEnd = PeriodStart + 30 * 86400;
constexpr qint64 ProrationDate = PeriodStart + 15 * 86400; // half the period left

} // namespace

class TestPlanChangeCli : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void dryRun_showsTheChargeAndTheMomentChangesNothing();
    void applied_withThePreviewsMoment_chargesWhatWasShownOnce();
    void badProration_refusedBeforeAnythingRuns();
    void noKey_refusedSayingHowToGiveOne();

private:
    Run ctl(const QStringList &arguments, bool withKey = true);
    QVariant value(const QString &sql);
    int subscriptionPosts() const;

    test::StripeApiCheck m_check;
    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<LocalStripeServer> m_server;
    QString m_subscription;
};

void TestPlanChangeCli::initTestCase()
{
    QVERIFY2(m_check.load(), qPrintable(m_check.errorText()));
}

void TestPlanChangeCli::init()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("planchange_cli"));
    QVERIFY_TESTDB(*m_database);
    m_server = std::make_unique<LocalStripeServer>();
    QVERIFY(m_server->listen());
    StripeStore &store = m_server->store();
    store.setClock([] { return PeriodStart + 5 * 86400; });
    // The plans' own price ids, as the demo's server has them.
    store.addPrice({QStringLiteral("Team"),
                    2900,
                    QStringLiteral("usd"),
                    QStringLiteral("month"),
                    {},
                    {},
                    QStringLiteral("price_beacon_team_monthly")});
    store.addPrice({QStringLiteral("Business"),
                    9900,
                    QStringLiteral("usd"),
                    QStringLiteral("month"),
                    {},
                    {},
                    QStringLiteral("price_beacon_business_monthly")});
    CustomerSeed customer;
    customer.email = QStringLiteral("billing@example.test");
    customer.metadata.insert(QStringLiteral("workspace_id"), QStringLiteral("1"));
    SubscriptionSeed subscription;
    subscription.customerId = store.addCustomer(customer);
    subscription.priceId = QStringLiteral("price_beacon_team_monthly");
    subscription.currentPeriodStart = PeriodStart;
    subscription.currentPeriodEnd = PeriodEnd;
    subscription.metadata = customer.metadata;
    m_subscription = store.addSubscription(subscription);
    QSqlQuery query(m_database->db());
    query.prepare(QStringLiteral(
        "INSERT INTO public.workspaces (id, name, slug, plan, stripe_customer_id, stripe_subscription_id, "
        "subscription_status, current_period_end) VALUES (1, 'One', 'one', 'team', :customer, :subscription, "
        "'active', to_timestamp(CAST(:end AS bigint)))"));
    query.bindValue(QStringLiteral(":customer"), subscription.customerId);
    query.bindValue(QStringLiteral(":subscription"), m_subscription);
    query.bindValue(QStringLiteral(":end"), PeriodEnd);
    QVERIFY_SQL(query, exec());
}

void TestPlanChangeCli::cleanup()
{
    if (m_server) {
        for (const RecordedRequest &request : m_server->requests()) {
            const QStringList problems =
                m_check.violations(request.method, request.path, request.query, request.form);
            QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
            // The key goes in the Authorization header only.
            QVERIFY(!request.path.contains(m_server->apiKey()));
        }
    }
    m_server.reset();
    m_database.reset();
}

Run TestPlanChangeCli::ctl(const QStringList &arguments, bool withKey)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("STRIPE_API_KEY"));
    if (withKey)
        environment.insert(QStringLiteral("STRIPE_API_KEY"), m_server->apiKey());
    environment.insert(QStringLiteral("BEACON_STRIPE_API_BASE"), m_server->baseUrl().toString());
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("BEACONCTL"),
                  QStringList{QStringLiteral("--db"), m_database->spec().displayUri(),
                              QStringLiteral("plan-change"), QStringLiteral("--workspace"),
                              QStringLiteral("1"), QStringLiteral("--reason"),
                              QStringLiteral("T-42 upgrade")} +
                      arguments);
    Run run;
    if (!process.waitForStarted(10000))
        return run;
    // Not waitForFinished(): the server answering beaconctl lives on this thread's event loop.
    if (!QTest::qWaitFor([&process] { return process.state() == QProcess::NotRunning; }, 120000))
        process.kill();
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

QVariant TestPlanChangeCli::value(const QString &sql)
{
    QSqlQuery query(m_database->db());
    if (!query.exec(sql) || !query.next())
        return {};
    return query.value(0);
}

int TestPlanChangeCli::subscriptionPosts() const
{
    int posts = 0;
    for (const RecordedRequest &request : m_server->requests())
        posts += request.method == QLatin1String("POST") && !request.replayed ? 1 : 0;
    return posts;
}

void TestPlanChangeCli::dryRun_showsTheChargeAndTheMomentChangesNothing()
{
    const Run run = ctl({QStringLiteral("--plan"), QStringLiteral("business"), QStringLiteral("--dry-run"),
                         QStringLiteral("--proration-date"), QString::number(ProrationDate)});
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    // Half a period: 49.50 for Business, less 14.50 back for Team.
    QVERIFY2(run.out.contains(QStringLiteral("Stripe will charge the customer 35.00 USD")),
             qPrintable(run.out));
    QVERIFY2(run.out.contains(QStringLiteral("--proration-date %1").arg(ProrationDate)), qPrintable(run.out));
    QCOMPARE(subscriptionPosts(), 0);
    QCOMPARE(value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("team"));
    QCOMPARE(value(QStringLiteral("SELECT count(*) FROM audit_log")).toInt(), 0);
}

void TestPlanChangeCli::applied_withThePreviewsMoment_chargesWhatWasShownOnce()
{
    const Run preview = ctl({QStringLiteral("--plan"), QStringLiteral("business"),
                             QStringLiteral("--dry-run"), QStringLiteral("--json")});
    QCOMPARE(preview.exitCode, 0);
    const QJsonObject shown = preview.json().value(QStringLiteral("preview")).toObject();
    const qint64 moment = qint64(shown.value(QStringLiteral("proration_date")).toDouble());
    QVERIFY2(moment > 0, qPrintable(preview.out));
    const qint64 amount = qint64(shown.value(QStringLiteral("proration_amount")).toDouble());

    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QStringList apply{
        QStringLiteral("--plan"), QStringLiteral("business"),    QStringLiteral("--proration-date"),
        QString::number(moment),  QStringLiteral("--action-id"), id,
        QStringLiteral("--json")};
    const Run applied = ctl(apply);
    QVERIFY2(applied.exitCode == 0, qPrintable(applied.err + applied.out));
    QCOMPARE(applied.json().value(QStringLiteral("outcome")).toString(), QStringLiteral("applied"));
    const QJsonObject after = applied.json().value(QStringLiteral("after")).toObject();
    QCOMPARE(qint64(after.value(QStringLiteral("proration_amount")).toDouble()), amount);
    QVERIFY(after.value(QStringLiteral("stripe_request_id")).toString().startsWith(QLatin1String("req_")));
    QCOMPARE(value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("business"));
    QCOMPARE(value(QStringLiteral("SELECT count(*) FROM audit_log")).toInt(), 1);
    QCOMPARE(subscriptionPosts(), 1);

    const int sent = m_server->requestCount();
    const Run again = ctl(apply);
    QCOMPARE(again.exitCode, 0);
    QCOMPARE(again.json().value(QStringLiteral("outcome")).toString(), QStringLiteral("already-applied"));
    QCOMPARE(m_server->requestCount(), sent);
    QCOMPARE(value(QStringLiteral("SELECT count(*) FROM audit_log")).toInt(), 1);
}

void TestPlanChangeCli::badProration_refusedBeforeAnythingRuns()
{
    const Run run = ctl({QStringLiteral("--plan"), QStringLiteral("business"), QStringLiteral("--proration"),
                         QStringLiteral("sometimes")});
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(QStringLiteral("create, none, always-invoice")), qPrintable(run.err));
    QCOMPARE(m_server->requestCount(), 0);
}

void TestPlanChangeCli::noKey_refusedSayingHowToGiveOne()
{
    const Run run = ctl({QStringLiteral("--plan"), QStringLiteral("business")}, false);
    QVERIFY(run.exitCode != 0);
    QVERIFY2(run.err.contains(QStringLiteral("STRIPE_API_KEY")), qPrintable(run.err));
    QCOMPARE(value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("team"));
    QCOMPARE(m_server->requestCount(), 0);
}

QTEST_GUILESS_MAIN(TestPlanChangeCli)
#include "tst_planchangecli.moc"
