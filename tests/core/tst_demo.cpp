// `beaconctl demo`: a private server in the data folder, reachable only through its own unix socket,
// migrated and seeded on the first run, and stopped on Ctrl+C; with a local Stripe whose three planted
// disagreements `beaconctl reconcile` finds from the lines the demo prints, on the first run and the next.
#include "testdatabase.h"

#include "db/database.h"
#include "db/localcluster.h"
#include "db/migrator.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <csignal>

using namespace beacon;

class TestDemo : public QObject {
    Q_OBJECT
private slots:
    void demo_firstRun_seedsAndServesOnSocketOnly_stopsOnInterrupt();

private:
    // Starts `beaconctl demo`, reads the URI it prints, and returns it; the process keeps running. The
    // Stripe lines that follow it go to `stripeLines`.
    QString startDemo(QProcess &process, const QString &folder, QStringList *stripeLines = nullptr);
    // `beaconctl reconcile --json` against the demo's database and its local Stripe, as a script in another
    // shell would run it with the two lines exported.
    void checkReconcileFindsThePlantedDisagreements(const QString &uri, const QStringList &stripeLines);
};

QString TestDemo::startDemo(QProcess &process, const QString &folder, QStringList *stripeLines)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("BEACON_DEMO_DIR"), folder);
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("BEACONCTL"), {QStringLiteral("demo")});
    if (!process.waitForStarted(10000))
        return {};
    // Seeding `small` on the first run takes seconds; the URI is the first line printed.
    auto readLine = [&process] {
        while (!process.canReadLine() && process.state() == QProcess::Running)
            process.waitForReadyRead(1000);
        return QString::fromUtf8(process.readLine()).trimmed();
    };
    const QString uri = readLine();
    if (stripeLines)
        *stripeLines = {readLine(), readLine()};
    return uri;
}

void TestDemo::checkReconcileFindsThePlantedDisagreements(const QString &uri, const QStringList &stripeLines)
{
    QCOMPARE(stripeLines.size(), 2);
    QVERIFY2(stripeLines.at(0).startsWith(QLatin1String("BEACON_STRIPE_API_BASE=http://127.0.0.1:")),
             qPrintable(stripeLines.at(0)));
    QVERIFY2(stripeLines.at(1).startsWith(QLatin1String("STRIPE_API_KEY=sk_test_")),
             qPrintable(stripeLines.at(1).left(23)));
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const QString &line : stripeLines) {
        const qsizetype equals = line.indexOf(QLatin1Char('='));
        environment.insert(line.left(equals), line.mid(equals + 1));
    }
    QProcess reconcile;
    reconcile.setProcessEnvironment(environment);
    reconcile.start(qEnvironmentVariable("BEACONCTL"),
                    {QStringLiteral("reconcile"), QStringLiteral("--db"), uri, QStringLiteral("--json")});
    QVERIFY(reconcile.waitForFinished(60000));
    const QByteArray output = reconcile.readAllStandardOutput();
    QCOMPARE(reconcile.exitStatus(), QProcess::NormalExit);
    QVERIFY2(reconcile.exitCode() == 3,
             qPrintable(QString::number(reconcile.exitCode()) + QLatin1Char(' ') + QString::fromUtf8(output) +
                        QString::fromUtf8(reconcile.readAllStandardError())));
    const QJsonObject report = QJsonDocument::fromJson(output).object();
    const QJsonArray findings = report.value(QStringLiteral("findings")).toArray();
    QStringList kinds;
    QSet<qint64> workspaces;
    for (const QJsonValue &finding : findings) {
        kinds.append(finding.toObject().value(QStringLiteral("kind")).toString());
        workspaces.insert(finding.toObject().value(QStringLiteral("workspace")).toInteger());
    }
    kinds.sort();
    QCOMPARE(kinds, QStringList({QStringLiteral("duplicate_customers"),
                                 QStringLiteral("lost_subscription_id"), QStringLiteral("status_drift")}));
    QCOMPARE(workspaces.size(), 3); // one workspace per disagreement, nothing else found
    QVERIFY2(report.value(QStringLiteral("stripe_customers")).toInt() > 100,
             "every paying workspace of the demo must have its customer in the demo's Stripe");
}

void TestDemo::demo_firstRun_seedsAndServesOnSocketOnly_stopsOnInterrupt()
{
    QTemporaryDir parent(QDir::tempPath() + QStringLiteral("/bdemo-XXXXXX"));
    QVERIFY(parent.isValid());
    // As root the server runs as postgres, which must be able to walk into the folder.
    QFile::setPermissions(parent.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                             QFileDevice::ExeOwner | QFileDevice::ExeGroup |
                                             QFileDevice::ExeOther);
    const QString folder = parent.path() + QStringLiteral("/demo");
    // Whatever fails below, no server may outlive the test.
    auto stopServer = qScopeGuard([&] { LocalCluster(folder, {}).stop(); });

    for (int runNumber = 1; runNumber <= 2; ++runNumber) {
        QProcess process;
        QStringList stripeLines;
        const QString uri = startDemo(process, folder, &stripeLines);
        QVERIFY2(uri.startsWith(QLatin1String("postgresql://")),
                 qPrintable(uri + QString::fromUtf8(process.readAllStandardError())));
        QString reason;
        const auto spec = ConnectionSpec::fromUri(uri, &reason);
        QVERIFY2(spec, qPrintable(reason));
        QVERIFY2(spec->host.startsWith(folder), qPrintable(spec->host));
        {
            DbError error;
            auto connection = Connection::open(*spec, QStringLiteral("demo-test"), &error);
            QVERIFY2(connection, qPrintable(error.fullText()));
            QSqlQuery query(connection->database());
            QVERIFY_SQL(query, exec(QStringLiteral("SHOW listen_addresses")));
            QVERIFY(query.next());
            QCOMPARE(query.value(0).toString(), QString()); // no TCP port at all
            QCOMPARE(Migrator::currentVersion(connection->database(), &error), Migrator::expectedVersion());
            QVERIFY_SQL(query, exec(QStringLiteral("SELECT count(*) FROM workspaces")));
            QVERIFY(query.next());
            QVERIFY2(query.value(0).toLongLong() > 100, "the demo must be seeded with the small data set");
            // Planted once at the first run's seeding: a rerun must not lose one more subscription id.
            QVERIFY_SQL(query,
                        exec(QStringLiteral(
                            "SELECT count(*) FROM workspaces AS w JOIN plans AS p ON p.code = w.plan "
                            "WHERE p.stripe_price_id IS NOT NULL AND w.stripe_subscription_id IS NULL "
                            "AND w.subscription_status IN ('active', 'trialing', 'past_due', 'unpaid')")));
            QVERIFY(query.next());
            QCOMPARE(query.value(0).toLongLong(), 1);
        }
        checkReconcileFindsThePlantedDisagreements(uri, stripeLines);
        if (QTest::currentTestFailed()) {
            ::kill(pid_t(process.processId()), SIGINT);
            process.waitForFinished(60000);
            return;
        }
        ::kill(pid_t(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(60000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);
        QVERIFY2(!QFileInfo::exists(folder + QStringLiteral("/data/postmaster.pid")),
                 "the demo server must stop when interrupted");
    }
}

QTEST_GUILESS_MAIN(TestDemo)
#include "tst_demo.moc"
