// The test harness's server: `beacon-test-server start DIR` starts one throwaway PostgreSQL server for a
// whole ctest run (a CTest setup fixture) and migrates a template database that every test copies;
// `beacon-test-server stop DIR` stops it and removes the folder (the cleanup fixture).
#include "db/database.h"
#include "db/localcluster.h"
#include "db/migrator.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTextStream>

#include "testconfig.h"

using namespace beacon;

static int fail(const QString &text)
{
    QTextStream(stderr) << "beacon-test-server: " << text << Qt::endl;
    return 1;
}

static int freeLoopbackPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

static bool makeSelfSignedCertificate(const QString &dataDir, QString *error)
{
    QProcess openssl;
    openssl.setProcessChannelMode(QProcess::MergedChannels);
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-days"),
                   QStringLiteral("2"), QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"),
                   QStringLiteral("-keyout"), dataDir + QStringLiteral("/server.key"), QStringLiteral("-out"),
                   dataDir + QStringLiteral("/server.crt")});
    if (!openssl.waitForFinished(60000) || openssl.exitCode() != 0) {
        *error = QStringLiteral("openssl could not make the test certificate: ") +
                 QString::fromLocal8Bit(openssl.readAll());
        return false;
    }
    QFile::setPermissions(dataDir + QStringLiteral("/server.key"),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (LocalCluster::runningAsRoot()) {
        QProcess::execute(QStringLiteral("chown"),
                          {QStringLiteral("postgres:postgres"), dataDir + QStringLiteral("/server.key"),
                           dataDir + QStringLiteral("/server.crt")});
    }
    return true;
}

static int start(const QString &folder)
{
    // A cluster left by an interrupted run is stopped and thrown away: every run starts clean.
    {
        LocalCluster stale(folder, {});
        stale.stop();
    }
    QDir(folder).removeRecursively();

    const int tcpPort = freeLoopbackPort();
    if (tcpPort == 0)
        return fail(QStringLiteral("no free loopback port for the TLS and password tests"));

    LocalCluster::Options options;
    options.throwaway = true;
    options.tcpPort = tcpPort;
    options.extraSettings = {QStringLiteral("ssl = on"), QStringLiteral("ssl_cert_file = 'server.crt'"),
                             QStringLiteral("ssl_key_file = 'server.key'"),
                             QStringLiteral("max_connections = 200"),
                             QStringLiteral("password_encryption = 'scram-sha-256'")};
    // The socket is private to this user, so trust there; TCP needs TLS and a password, so that the
    // connection tests meet real "wrong password" and "TLS required" answers.
    options.hbaRules = QStringLiteral("local all all trust\n"
                                      "hostssl all all 127.0.0.1/32 scram-sha-256\n"
                                      "hostnossl all all 127.0.0.1/32 reject\n");
    LocalCluster cluster(folder, options);
    if (!cluster.ensureInitialized())
        return fail(cluster.lastError());
    QString error;
    if (!makeSelfSignedCertificate(cluster.dataDirectory(), &error))
        return fail(error);
    if (!cluster.start())
        return fail(cluster.lastError());

    QFile portFile(folder + QStringLiteral("/tcp_port"));
    if (!portFile.open(QIODevice::WriteOnly) || portFile.write(QByteArray::number(tcpPort)) <= 0)
        return fail(QStringLiteral("could not write %1").arg(portFile.fileName()));
    portFile.close();

    DbError dbError;
    {
        auto admin = Connection::open(cluster.connectionSpec(QStringLiteral("postgres")),
                                      QStringLiteral("harness"), &dbError);
        if (!admin)
            return fail(dbError.fullText());
        if ((dbError =
                 execPlain(admin->database(),
                           QStringLiteral("CREATE DATABASE %1").arg(QLatin1String(BEACON_TEST_TEMPLATE)),
                           QStringLiteral("creating the template"))))
            return fail(dbError.fullText());
    }
    auto templateDb = Connection::open(cluster.connectionSpec(QLatin1String(BEACON_TEST_TEMPLATE)),
                                       QStringLiteral("harness-template"), &dbError);
    if (!templateDb)
        return fail(dbError.fullText());
    if ((dbError = Migrator::migrate(templateDb->database())))
        return fail(QStringLiteral("migrating the template failed: ") + dbError.fullText());
    QTextStream(stdout) << "PostgreSQL test server ready: socket " << cluster.socketDirectory()
                        << ", TCP 127.0.0.1:" << tcpPort << ", template " << BEACON_TEST_TEMPLATE
                        << " at schema version " << Migrator::expectedVersion() << Qt::endl;
    return 0;
}

static int stop(const QString &folder)
{
    LocalCluster cluster(folder, {});
    cluster.stop();
    if (cluster.isRunning())
        return fail(QStringLiteral("the test server in %1 did not stop").arg(folder));
    QDir(folder).removeRecursively();
    QDir(cluster.socketDirectory()).removeRecursively();
    return 0;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 3)
        return fail(QStringLiteral("usage: beacon-test-server start|stop FOLDER"));
    if (args.at(1) == QLatin1String("start"))
        return start(args.at(2));
    if (args.at(1) == QLatin1String("stop"))
        return stop(args.at(2));
    return fail(QStringLiteral("usage: beacon-test-server start|stop FOLDER"));
}
