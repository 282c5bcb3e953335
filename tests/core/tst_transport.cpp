// Transport security against real servers: a TLS server with a certificate from the test's own CA, and one
// without TLS. Everything goes through the app's own path (ConnectionSpec from a URI or a saved profile, then
// Connection::open), never psql.
#include "testdatabase.h"

#include "db/database.h"
#include "db/localcluster.h"
#include "profiles/connectionprofile.h"

#include <QProcess>
#include <QSettings>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>

using namespace beacon;

class TestTransport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();

    void verifyFull_withOwnCa_connectsToLocalhostOverTls();
    void verifyFull_hostNotInCertificate_refusedWithWordsAndFix();
    void verifyFull_certificateFromAnotherCa_refusedWithWords();
    void productionProfile_weakTlsModeInSettings_refusedBeforeConnecting();
    void productionProfile_serverWithoutTls_refusedWithWords();
    void productionProfile_noTlsModeInSettings_isVerifyFull();
    void productionProfile_overUnixSocket_connects();
    void profile_badTlsModeInSettings_refusedWithWords();
    void profile_tlsFilesInSettings_usedForTheConnection();
    void uri_tlsOptions_accepted_data();
    void uri_tlsOptions_accepted();
    void uri_requireAuth_refusedOrAcceptedAsLibpqAllows();
    void session_setsIdleInTransactionTimeoutAndKeepalives();

private:
    bool openssl(const QStringList &arguments);
    QString writeProfile(const QString &name, const QVariantHash &values);
    ConnectionSpec tlsSpec(const QString &host) const;

    QTemporaryDir m_folder{QDir::tempPath() + QStringLiteral("/btr-XXXXXX")};
    std::unique_ptr<LocalCluster> m_tlsServer;
    std::unique_ptr<LocalCluster> m_plainServer;
    int m_tlsPort = 0;
    int m_plainPort = 0;
    QString m_caFile;
    QString m_otherCaFile;
};

static int freeLoopbackPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

bool TestTransport::openssl(const QStringList &arguments)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setWorkingDirectory(m_folder.path());
    process.start(QStringLiteral("openssl"), arguments);
    if (!process.waitForFinished(60000) || process.exitCode() != 0) {
        qWarning("openssl %s: %s", qPrintable(arguments.join(QLatin1Char(' '))),
                 process.readAll().constData());
        return false;
    }
    return true;
}

void TestTransport::initTestCase()
{
    QVERIFY(m_folder.isValid());
    // As root the servers run as postgres, which must be able to walk into the folder.
    QFile::setPermissions(m_folder.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                               QFileDevice::ExeOwner | QFileDevice::ExeGroup |
                                               QFileDevice::ExeOther);
    // The test's own CA, and a server certificate it signs for the name "localhost" only: 127.0.0.1 is
    // then a host name the certificate does not match. A second CA stands for "some other CA".
    QVERIFY(openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                     "/CN=Beacon test CA", "-keyout", "ca.key", "-out", "ca.crt"}));
    QVERIFY(openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Another CA",
                     "-keyout", "other-ca.key", "-out", "other-ca.crt"}));
    QVERIFY(openssl({"req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout",
                     "server.key", "-out", "server.csr"}));
    QFile extensions(m_folder.filePath(QStringLiteral("server.ext")));
    QVERIFY(extensions.open(QIODevice::WriteOnly));
    extensions.write("subjectAltName = DNS:localhost\n");
    extensions.close();
    QVERIFY(openssl({"x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                     "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt"}));
    m_caFile = m_folder.filePath(QStringLiteral("ca.crt"));
    m_otherCaFile = m_folder.filePath(QStringLiteral("other-ca.crt"));

    m_tlsPort = freeLoopbackPort();
    m_plainPort = freeLoopbackPort();
    QVERIFY(m_tlsPort > 0 && m_plainPort > 0 && m_tlsPort != m_plainPort);

    LocalCluster::Options tls;
    tls.throwaway = true;
    tls.tcpPort = m_tlsPort;
    tls.extraSettings = {QStringLiteral("ssl = on"), QStringLiteral("ssl_cert_file = 'server.crt'"),
                         QStringLiteral("ssl_key_file = 'server.key'")};
    tls.hbaRules = QStringLiteral("local all all trust\n"
                                  "hostssl all all 127.0.0.1/32 trust\n"
                                  "hostnossl all all 127.0.0.1/32 reject\n");
    m_tlsServer = std::make_unique<LocalCluster>(m_folder.filePath(QStringLiteral("tls")), tls);
    QVERIFY2(m_tlsServer->ensureInitialized(), qPrintable(m_tlsServer->lastError()));
    // The server reads its key as postgres, and refuses a key others can read.
    const QString dataDir = m_tlsServer->dataDirectory();
    for (const char *file : {"server.crt", "server.key"}) {
        const QString target = dataDir + QLatin1Char('/') + QLatin1String(file);
        QFile::remove(target);
        QVERIFY(QFile::copy(m_folder.filePath(QLatin1String(file)), target));
    }
    QFile::setPermissions(dataDir + QStringLiteral("/server.key"),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (LocalCluster::runningAsRoot())
        QCOMPARE(QProcess::execute(QStringLiteral("chown"), {QStringLiteral("postgres:postgres"),
                                                             dataDir + QStringLiteral("/server.crt"),
                                                             dataDir + QStringLiteral("/server.key")}),
                 0);
    QVERIFY2(m_tlsServer->start(), qPrintable(m_tlsServer->lastError()));

    LocalCluster::Options plain;
    plain.throwaway = true;
    plain.tcpPort = m_plainPort;
    plain.hbaRules = QStringLiteral("local all all trust\nhost all all 127.0.0.1/32 trust\n");
    m_plainServer = std::make_unique<LocalCluster>(m_folder.filePath(QStringLiteral("plain")), plain);
    QVERIFY2(m_plainServer->start(), qPrintable(m_plainServer->lastError()));
}

void TestTransport::cleanupTestCase()
{
    if (m_tlsServer)
        m_tlsServer->stop();
    if (m_plainServer)
        m_plainServer->stop();
}

ConnectionSpec TestTransport::tlsSpec(const QString &host) const
{
    QString error;
    const auto spec = ConnectionSpec::fromUri(
        QStringLiteral("postgresql://postgres@%1:%2/postgres?sslmode=verify-full&sslrootcert=%3")
            .arg(host)
            .arg(m_tlsPort)
            .arg(QString::fromLatin1(QUrl::toPercentEncoding(m_caFile))),
        &error);
    if (!spec) {
        qWarning("%s", qPrintable(error));
        return {};
    }
    return *spec;
}

// A profile as the settings file holds it, written by hand, as a person or an older version might have.
QString TestTransport::writeProfile(const QString &name, const QVariantHash &values)
{
    const QString file = m_folder.filePath(name + QStringLiteral(".ini"));
    QFile::remove(file);
    QSettings settings(file, QSettings::IniFormat);
    settings.beginWriteArray(QStringLiteral("profiles"), 1);
    settings.setArrayIndex(0);
    settings.setValue(QStringLiteral("name"), name);
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        settings.setValue(it.key(), it.value());
    settings.endArray();
    settings.sync();
    return file;
}

void TestTransport::verifyFull_withOwnCa_connectsToLocalhostOverTls()
{
    const ConnectionSpec spec = tlsSpec(QStringLiteral("localhost"));
    QCOMPARE(spec.host, QStringLiteral("localhost"));
    DbError error;
    auto connection = Connection::open(spec, QStringLiteral("tls"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
    QSqlQuery query(connection->database());
    QVERIFY(query.exec(QStringLiteral("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")));
    QVERIFY(query.next());
    QVERIFY(query.value(0).toBool());
}

void TestTransport::verifyFull_hostNotInCertificate_refusedWithWordsAndFix()
{
    const ConnectionSpec spec = tlsSpec(QStringLiteral("127.0.0.1"));
    QCOMPARE(spec.host, QStringLiteral("127.0.0.1"));
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("tls"), &error));
    QVERIFY2(error.message.contains(QLatin1String("certificate does not match the host name \"127.0.0.1\"")),
             qPrintable(error.fullText()));
    // What to do: use the name the certificate was made for, or have the certificate made for this name.
    QVERIFY2(error.message.contains(QLatin1String("Connect with the host name")), qPrintable(error.message));
}

void TestTransport::verifyFull_certificateFromAnotherCa_refusedWithWords()
{
    ConnectionSpec spec = tlsSpec(QStringLiteral("localhost"));
    spec.sslRootCert = m_otherCaFile;
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("tls"), &error));
    QVERIFY2(error.message.contains(QLatin1String("not signed by the CA")), qPrintable(error.fullText()));
}

void TestTransport::productionProfile_weakTlsModeInSettings_refusedBeforeConnecting()
{
    ProfileStore store(
        writeProfile(QStringLiteral("prod"), {{QStringLiteral("host"), QStringLiteral("127.0.0.1")},
                                              {QStringLiteral("port"), m_plainPort},
                                              {QStringLiteral("database"), QStringLiteral("postgres")},
                                              {QStringLiteral("user"), QStringLiteral("postgres")},
                                              {QStringLiteral("sslmode"), QStringLiteral("prefer")},
                                              {QStringLiteral("production"), true}}));
    const auto profile = store.profile(QStringLiteral("prod"));
    QVERIFY(profile);
    DbError error;
    QVERIFY(!Connection::open(profile->spec({}), QStringLiteral("prod"), &error));
    QVERIFY2(error.message.contains(QLatin1String("marked production")), qPrintable(error.fullText()));
    QVERIFY2(error.message.contains(QLatin1String("\"prefer\"")), qPrintable(error.message));
    QCOMPARE(error.kind, ErrorKind::Usage);
}

void TestTransport::productionProfile_serverWithoutTls_refusedWithWords()
{
    ProfileStore store(
        writeProfile(QStringLiteral("prod2"), {{QStringLiteral("host"), QStringLiteral("localhost")},
                                               {QStringLiteral("port"), m_plainPort},
                                               {QStringLiteral("database"), QStringLiteral("postgres")},
                                               {QStringLiteral("user"), QStringLiteral("postgres")},
                                               {QStringLiteral("sslmode"), QStringLiteral("verify-full")},
                                               {QStringLiteral("sslrootcert"), m_caFile},
                                               {QStringLiteral("production"), true}}));
    const auto profile = store.profile(QStringLiteral("prod2"));
    QVERIFY(profile);
    DbError error;
    QVERIFY(!Connection::open(profile->spec({}), QStringLiteral("prod"), &error));
    QVERIFY2(error.message.contains(QLatin1String("does not offer one")), qPrintable(error.fullText()));
}

void TestTransport::productionProfile_noTlsModeInSettings_isVerifyFull()
{
    ProfileStore store(
        writeProfile(QStringLiteral("prod3"), {{QStringLiteral("host"), QStringLiteral("db.example")},
                                               {QStringLiteral("production"), true}}));
    const auto profile = store.profile(QStringLiteral("prod3"));
    QVERIFY(profile);
    QCOMPARE(profile->sslMode, QStringLiteral("verify-full"));
}

void TestTransport::productionProfile_overUnixSocket_connects()
{
    // A unix socket never leaves this computer and cannot carry TLS: the TLS rules are for TCP hosts.
    ProfileStore store(
        writeProfile(QStringLiteral("prod4"), {{QStringLiteral("host"), m_plainServer->socketDirectory()},
                                               {QStringLiteral("port"), m_plainPort},
                                               {QStringLiteral("database"), QStringLiteral("postgres")},
                                               {QStringLiteral("user"), QStringLiteral("postgres")},
                                               {QStringLiteral("production"), true}}));
    const auto profile = store.profile(QStringLiteral("prod4"));
    QVERIFY(profile);
    DbError error;
    auto connection = Connection::open(profile->spec({}), QStringLiteral("prod"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
}

void TestTransport::profile_badTlsModeInSettings_refusedWithWords()
{
    ProfileStore store(
        writeProfile(QStringLiteral("typo"), {{QStringLiteral("host"), QStringLiteral("127.0.0.1")},
                                              {QStringLiteral("port"), m_plainPort},
                                              {QStringLiteral("database"), QStringLiteral("postgres")},
                                              {QStringLiteral("user"), QStringLiteral("postgres")},
                                              {QStringLiteral("sslmode"), QStringLiteral("verfy-full")}}));
    const auto profile = store.profile(QStringLiteral("typo"));
    QVERIFY(profile);
    DbError error;
    QVERIFY(!Connection::open(profile->spec({}), QStringLiteral("typo"), &error));
    QVERIFY2(error.message.contains(QLatin1String("TLS mode \"verfy-full\" is unknown")),
             qPrintable(error.fullText()));
}

void TestTransport::profile_tlsFilesInSettings_usedForTheConnection()
{
    ProfileStore store(
        writeProfile(QStringLiteral("ca"), {{QStringLiteral("host"), QStringLiteral("localhost")},
                                            {QStringLiteral("port"), m_tlsPort},
                                            {QStringLiteral("database"), QStringLiteral("postgres")},
                                            {QStringLiteral("user"), QStringLiteral("postgres")},
                                            {QStringLiteral("sslmode"), QStringLiteral("verify-full")},
                                            {QStringLiteral("sslrootcert"), m_caFile},
                                            {QStringLiteral("production"), true}}));
    const auto profile = store.profile(QStringLiteral("ca"));
    QVERIFY(profile);
    DbError error;
    auto connection = Connection::open(profile->spec({}), QStringLiteral("ca"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));

    // Written back, the file keeps the CA.
    store.save(*profile);
    QCOMPARE(store.profile(QStringLiteral("ca"))->spec({}).sslRootCert, m_caFile);
}

void TestTransport::uri_tlsOptions_accepted_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QString>("option");
    const QString spaced = m_folder.filePath(QStringLiteral("ca copy.crt"));
    QFile::copy(m_caFile, spaced);
    QTest::newRow("sslrootcert") << QStringLiteral("sslrootcert=") + m_caFile
                                 << QStringLiteral("sslrootcert=") + m_caFile;
    QTest::newRow("sslcert") << "sslcert=/home/a/client.crt"
                             << "sslcert=/home/a/client.crt";
    QTest::newRow("sslkey") << "sslkey=/home/a/client.key"
                            << "sslkey=/home/a/client.key";
    QTest::newRow("sslcrl") << "sslcrl=/etc/ssl/revoked.crl"
                            << "sslcrl=/etc/ssl/revoked.crl";
    QTest::newRow("channel_binding") << "channel_binding=require"
                                     << "channel_binding=require";
    QTest::newRow("path with a space")
        << QStringLiteral("sslrootcert=") + QString::fromLatin1(QUrl::toPercentEncoding(spaced))
        << QStringLiteral("sslrootcert='%1'").arg(spaced);
}

void TestTransport::uri_tlsOptions_accepted()
{
    QFETCH(QString, query);
    QFETCH(QString, option);
    QString error;
    const auto spec =
        ConnectionSpec::fromUri(QStringLiteral("postgresql://ann@db.example/beacon?") + query, &error);
    QVERIFY2(spec, qPrintable(error));
    QVERIFY2(spec->driverOptions().split(QLatin1Char(';')).contains(option),
             qPrintable(spec->driverOptions()));
}

void TestTransport::uri_requireAuth_refusedOrAcceptedAsLibpqAllows()
{
    QString error;
    const auto spec = ConnectionSpec::fromUri(
        QStringLiteral("postgresql://ann@db.example/beacon?require_auth=scram-sha-256"), &error);
    if (ConnectionSpec::libpqSupports("require_auth")) {
        QVERIFY2(spec, qPrintable(error));
        QCOMPARE(spec->requireAuth, QStringLiteral("scram-sha-256"));
    } else {
        QVERIFY(!spec);
        QVERIFY2(error.contains(QLatin1String("require_auth")) && error.contains(QLatin1String("libpq")),
                 qPrintable(error));
    }
}

void TestTransport::session_setsIdleInTransactionTimeoutAndKeepalives()
{
    ConnectionSpec spec = tlsSpec(QStringLiteral("localhost"));
    DbError error;
    auto connection = Connection::open(spec, QStringLiteral("tls"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
    QSqlQuery query(connection->database());
    QVERIFY(query.exec(QStringLiteral("SELECT current_setting('idle_in_transaction_session_timeout'), "
                                      "current_setting('tcp_keepalives_idle'), "
                                      "current_setting('tcp_keepalives_interval'), "
                                      "current_setting('tcp_keepalives_count')")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toString(), QStringLiteral("30s"));
    QCOMPARE(query.value(1).toString(), QStringLiteral("30"));
    QCOMPARE(query.value(2).toString(), QStringLiteral("10"));
    QCOMPARE(query.value(3).toString(), QStringLiteral("3"));
    // libpq's own keepalives, so that this side too notices a peer that vanished.
    QVERIFY2(spec.driverOptions().contains(QLatin1String("keepalives=1")), qPrintable(spec.driverOptions()));
}

QTEST_GUILESS_MAIN(TestTransport)
#include "tst_transport.moc"
