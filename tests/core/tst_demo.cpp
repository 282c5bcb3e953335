// `beaconctl demo`: a private server in the data folder, reachable only through its own unix socket,
// migrated and seeded on the first run, and stopped on Ctrl+C.
#include "testdatabase.h"

#include "db/database.h"
#include "db/localcluster.h"
#include "db/migrator.h"

#include <QFileInfo>
#include <QProcess>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <csignal>

using namespace beacon;

class TestDemo : public QObject {
    Q_OBJECT
private slots:
    void demo_firstRun_seedsAndServesOnSocketOnly_stopsOnInterrupt();

private:
    // Starts `beaconctl demo`, reads the URI it prints, and returns it; the process keeps running.
    QString startDemo(QProcess &process, const QString &folder);
};

QString TestDemo::startDemo(QProcess &process, const QString &folder)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("BEACON_DEMO_DIR"), folder);
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("BEACONCTL"), {QStringLiteral("demo")});
    if (!process.waitForStarted(10000))
        return {};
    // Seeding `small` on the first run takes seconds; the URI is the first line printed.
    while (!process.canReadLine() && process.state() == QProcess::Running)
        process.waitForReadyRead(1000);
    return QString::fromUtf8(process.readLine()).trimmed();
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
        const QString uri = startDemo(process, folder);
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
