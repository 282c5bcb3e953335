// Connection handling: URIs and PG* variables, and one clear message for each way a connection fails,
// each met for real against a PostgreSQL server.
#include "testdatabase.h"

#include "db/connectionprobe.h"
#include "db/database.h"
#include "db/localcluster.h"
#include "db/localuser.h"
#include "db/migrator.h"

#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>

#ifdef Q_OS_UNIX
#include <pwd.h>
#include <unistd.h>
#endif

using namespace beacon;

class TestConnection : public QObject {
    Q_OBJECT
private slots:
    void fromUri_valid_data();
    void fromUri_valid();
    void fromUri_invalid_data();
    void fromUri_invalid();
    void fromUri_invalid_neverEchoesThePassword_data();
    void fromUri_invalid_neverEchoesThePassword();
    void displayUri_readsBackAsTheSameHost_data();
    void displayUri_readsBackAsTheSameHost();
    void fromEnvironment_readsPgVariables();
    void fromEnvironment_noPgHost_isLibpqDefaultSocketNotLocalhost();
    void fromUri_noHost_isDefaultSocketAndRoundTrips();
    void localUserName_isTheAccountNotTheUserVariable();
    void displayUri_neverShowsPassword();
    void driverOptions_alwaysSetConnectTimeout();

    void open_goodSpec_sessionIsUtcAndReportsRole();
    void open_serverDown_saysNoServerAnswered();
    void open_noHost_goesToLibpqDefaultSocket();
    void open_unknownHost_saysHostNameNotKnown();
    void open_noSuchDatabase_saysNoDatabaseOfThatName();
    void open_noSuchLogin_saysNoLoginOfThatName();
    void open_wrongPassword_saysPasswordNotAccepted();
    void open_noPasswordGiven_usesPgpassLikePsql();
    void open_tlsRefusedByClient_saysServerOnlyAcceptsTls();
    void open_tlsRequiredButServerHasNone_saysServerOffersNoTls();
    void checkVersion_unknownVersion_saysFoundAndExpected_data();
    void checkVersion_unknownVersion_saysFoundAndExpected();
};

void TestConnection::fromUri_valid_data()
{
    QTest::addColumn<QString>("uri");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("database");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("sslMode");
    QTest::addColumn<int>("timeout");

    QTest::newRow("full") << "postgresql://ann@db.example.com:6543/beacon?sslmode=require&connect_timeout=4"
                          << "db.example.com" << 6543 << "beacon"
                          << "ann"
                          << ""
                          << "require" << 4;
    QTest::newRow("postgres scheme") << "postgres://bob@localhost/prod"
                                     << "localhost" << 5432 << "prod"
                                     << "bob"
                                     << ""
                                     << "prefer" << 10;
    QTest::newRow("socket folder as query") << "postgresql://postgres@/beacon_demo?host=/tmp/sock&port=5433"
                                            << "/tmp/sock" << 5433 << "beacon_demo"
                                            << "postgres"
                                            << ""
                                            << "prefer" << 10;
    QTest::newRow("percent-encoded socket host") << "postgresql://carl@%2Fvar%2Frun%2Fpg/db"
                                                 << "/var/run/pg" << 5432 << "db"
                                                 << "carl"
                                                 << ""
                                                 << "prefer" << 10;
    QTest::newRow("key=value conninfo") << "host=db.internal port=6001 dbname=beacon user=eve sslmode=require"
                                        << "db.internal" << 6001 << "beacon"
                                        << "eve"
                                        << ""
                                        << "require" << 10;
    QTest::newRow("no database: the user's name, as libpq") << "postgresql://fay@h"
                                                            << "h" << 5432 << "fay"
                                                            << "fay"
                                                            << ""
                                                            << "prefer" << 10;
}

void TestConnection::fromUri_valid()
{
    QFETCH(QString, uri);
    qunsetenv("PGHOST");
    qunsetenv("PGPORT");
    qunsetenv("PGDATABASE");
    qunsetenv("PGPASSWORD");
    qunsetenv("PGSSLMODE");
    qunsetenv("PGCONNECT_TIMEOUT");
    QString error;
    const auto spec = ConnectionSpec::fromUri(uri, &error);
    QVERIFY2(spec.has_value(), qPrintable(error));
    QTEST(spec->host, "host");
    QTEST(spec->port, "port");
    QTEST(spec->database, "database");
    QTEST(spec->user, "user");
    QTEST(spec->password, "password");
    QTEST(spec->sslMode, "sslMode");
    QTEST(spec->connectTimeoutSeconds, "timeout");
}

void TestConnection::fromUri_invalid_data()
{
    QTest::addColumn<QString>("uri");
    QTest::addColumn<QString>("messagePart");
    QTest::newRow("other scheme") << "mysql://root@localhost/db"
                                  << "is not a database address";
    QTest::newRow("not a uri") << "host=localhost dbname"
                               << "is not a database address";
    QTest::newRow("option libpq does not know") << "postgresql://a@h/db?colour=blue"
                                                << "is not a database address";
    QTest::newRow("bad sslmode") << "postgresql://a@h/db?sslmode=always"
                                 << "TLS mode \"always\" is unknown";
    // Found by fuzz_connectionspec: libpq would have read only the text before the NUL.
    QTest::newRow("NUL in the user") << QStringLiteral("host=/tmp dbname=n user=ann") + QChar(0) + "x"
                                     << "contains a NUL character";
    QTest::newRow("bad port") << "postgresql://a@h/db?port=99999"
                              << "not a number from 1 to 65535";
    QTest::newRow("bad timeout") << "postgresql://a@h/db?connect_timeout=0"
                                 << "connect_timeout";
    QTest::newRow("unknown option") << "postgresql://a@h/db?target_session_attrs=any"
                                    << "does not know: \"target_session_attrs\"";
    QTest::newRow("missing CA file")
        << "postgresql://a@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.crt"
        << "CA file \"/nonexistent/ca.crt\" does not exist";
    QTest::newRow("bad channel_binding") << "postgresql://a@h/db?channel_binding=always"
                                         << "channel_binding \"always\" is unknown";
    QTest::newRow("password") << "postgresql://ann:TopSecret99@db/beacon"
                              << "contains a password";
    QTest::newRow("percent-encoded password") << "postgresql://dee:p%40ss%2Fword@h/x"
                                              << "PGPASSWORD";
}

void TestConnection::fromUri_invalid()
{
    QFETCH(QString, uri);
    QFETCH(QString, messagePart);
    QString error;
    QVERIFY(!ConnectionSpec::fromUri(uri, &error).has_value());
    QVERIFY2(error.contains(messagePart), qPrintable(error));
    QVERIFY2(!error.contains(QLatin1String("TopSecret99")) && !error.contains(QLatin1String("p@ss")) &&
                 !error.contains(QLatin1String("p%40ss")),
             qPrintable(error));
}

// Found by tests/fuzz/fuzz_connectionspec: the key=value form's password was quoted back in the message.
void TestConnection::fromUri_invalid_neverEchoesThePassword_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("key=value, unterminated quote") << "password=Pw7secretQ dbname='unterminated";
    QTest::newRow("key=value, missing =") << "host=h password=Pw7secretQ dbname";
    QTest::newRow("uri, unknown parameter") << "postgresql://ann:Pw7secretQ@h/db?colour=blue";
    QTest::newRow("uri, parameter without value") << "postgresql://ann:Pw7secretQ@h/db?sslmode";
}

void TestConnection::fromUri_invalid_neverEchoesThePassword()
{
    QFETCH(QString, text);
    QString error;
    QVERIFY(!ConnectionSpec::fromUri(text, &error).has_value());
    QVERIFY2(error.contains(QLatin1String("is not a database address")), qPrintable(error));
    QVERIFY2(!error.contains(QLatin1String("Pw7secretQ")), qPrintable(error));
}

// Found by tests/fuzz/fuzz_connectionspec: a host with ':' that is no IPv6 literal went into brackets
// unencoded, and the display URI could not be read back.
void TestConnection::displayUri_readsBackAsTheSameHost_data()
{
    QTest::addColumn<QString>("host");
    QTest::newRow("name") << "db.example";
    QTest::newRow("ipv6") << "::1";
    QTest::newRow("ipv6, full") << "2001:db8::8a2e:370:7334";
    QTest::newRow("colon and bracket") << "gres:,tmst=,tm]n";
    QTest::newRow("two hosts") << "h1,h2";
}

void TestConnection::displayUri_readsBackAsTheSameHost()
{
    QFETCH(QString, host);
    ConnectionSpec spec;
    spec.host = host;
    spec.user = QStringLiteral("ann");
    spec.database = QStringLiteral("beacon");
    QString error;
    const std::optional<ConnectionSpec> again = ConnectionSpec::fromUri(spec.displayUri(), &error);
    QVERIFY2(again.has_value(), qPrintable(spec.displayUri() + QLatin1Char(' ') + error));
    QCOMPARE(again->host, host);
    QCOMPARE(again->port, spec.port);
}

void TestConnection::fromEnvironment_readsPgVariables()
{
    qputenv("PGHOST", "pg.internal");
    qputenv("PGPORT", "6000");
    qputenv("PGDATABASE", "beacon_prod");
    qputenv("PGUSER", "support_ann");
    qputenv("PGSSLMODE", "verify-full");
    qputenv("PGCONNECT_TIMEOUT", "7");
    const ConnectionSpec spec = ConnectionSpec::fromEnvironment();
    for (const char *name : {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSSLMODE", "PGCONNECT_TIMEOUT"})
        qunsetenv(name);
    QCOMPARE(spec.host, QStringLiteral("pg.internal"));
    QCOMPARE(spec.port, 6000);
    QCOMPARE(spec.database, QStringLiteral("beacon_prod"));
    QCOMPARE(spec.user, QStringLiteral("support_ann"));
    QCOMPARE(spec.sslMode, QStringLiteral("verify-full"));
    QCOMPARE(spec.connectTimeoutSeconds, 7);
}

void TestConnection::fromEnvironment_noPgHost_isLibpqDefaultSocketNotLocalhost()
{
    for (const char *name : {"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD",
                             "PGSSLMODE", "PGCONNECT_TIMEOUT", "PGSERVICE", "PGAPPNAME"})
        qunsetenv(name);
    const ConnectionSpec spec = ConnectionSpec::fromEnvironment();
    QCOMPARE(spec.host, QString());
#ifndef Q_OS_WIN
    QVERIFY(spec.isUnixSocket());
#endif
    QCOMPARE(spec.port, 5432);
    QCOMPARE(spec.user, localUserName());
    QCOMPARE(spec.database, spec.user);
    QCOMPARE(spec.sslMode, QStringLiteral("prefer"));
    QCOMPARE(spec.connectTimeoutSeconds, 10);
    QCOMPARE(spec.applicationName, QStringLiteral("beacon-admin"));
    QVERIFY2(!spec.target().contains(QLatin1String("localhost")), qPrintable(spec.target()));
    QVERIFY2(spec.target().contains(QLatin1String("[local socket]")), qPrintable(spec.target()));
    QCOMPARE(spec.displayUri(), QStringLiteral("postgresql://%1@/%1?sslmode=prefer").arg(spec.user));
}

void TestConnection::fromUri_noHost_isDefaultSocketAndRoundTrips()
{
    qunsetenv("PGHOST");
    qunsetenv("PGPORT");
    QString error;
    const auto spec = ConnectionSpec::fromUri(QStringLiteral("postgresql://ann@/beacon?port=5433"), &error);
    QVERIFY2(spec, qPrintable(error));
    QCOMPARE(spec->host, QString());
    QCOMPARE(spec->port, 5433);
    QCOMPARE(spec->target(), QStringLiteral("ann@[local socket, port 5433]/beacon"));
    // displayUri() is what beaconctl prints and what tests pass back with --db: libpq must read it the same.
    const auto again = ConnectionSpec::fromUri(spec->displayUri(), &error);
    QVERIFY2(again, qPrintable(error));
    QCOMPARE(again->host, spec->host);
    QCOMPARE(again->port, spec->port);
    QCOMPARE(again->user, spec->user);
    QCOMPARE(again->database, spec->database);

    const auto socket = ConnectionSpec::fromUri(
        QStringLiteral("postgresql://bo@/x?host=/tmp/with%20space&sslmode=disable"), &error);
    QVERIFY2(socket, qPrintable(error));
    QCOMPARE(socket->host, QStringLiteral("/tmp/with space"));
    const auto socketAgain = ConnectionSpec::fromUri(socket->displayUri(), &error);
    QVERIFY2(socketAgain, qPrintable(error));
    QCOMPARE(socketAgain->host, QStringLiteral("/tmp/with space"));
    QCOMPARE(socketAgain->sslMode, QStringLiteral("disable"));
}

void TestConnection::localUserName_isTheAccountNotTheUserVariable()
{
    const QByteArray savedUser = qgetenv("USER");
    auto restore = qScopeGuard([&] { qputenv("USER", savedUser); });
    qputenv("USER", "somebody_else_entirely");
#ifdef Q_OS_UNIX
    const passwd *account = getpwuid(geteuid());
    QVERIFY(account);
    // The audit log's actor is the account that runs the program, as libpq's default login is.
    QCOMPARE(localUserName(), QString::fromLocal8Bit(account->pw_name));
    QCOMPARE(ConnectionSpec::fromEnvironment().user, QString::fromLocal8Bit(account->pw_name));
#else
    QVERIFY(!localUserName().isEmpty());
#endif
}

void TestConnection::displayUri_neverShowsPassword()
{
    QString error;
    auto spec = ConnectionSpec::fromUri(QStringLiteral("postgresql://ann@db:5432/beacon"), &error);
    QVERIFY(spec);
    // As PGPASSWORD or a profile's keychain entry would give it.
    spec->password = QStringLiteral("TopSecret99");
    QVERIFY(!spec->displayUri().contains(QLatin1String("TopSecret99")));
    QVERIFY(!spec->target().contains(QLatin1String("TopSecret99")));
    QVERIFY(!spec->driverOptions().contains(QLatin1String("TopSecret99")));
    QVERIFY(spec->displayUri().contains(QLatin1String("ann@db:5432/beacon")));
}

void TestConnection::driverOptions_alwaysSetConnectTimeout()
{
    ConnectionSpec spec;
    QVERIFY(spec.driverOptions().contains(QLatin1String("connect_timeout=10")));
    spec.applicationName = QStringLiteral("name with spaces;sslmode=disable");
    // A profile's text must not be able to smuggle extra libpq options in.
    QVERIFY(!spec.driverOptions().contains(QLatin1String(" sslmode=disable")));
    QCOMPARE(spec.driverOptions().count(QLatin1String("sslmode=")), 1);
}

void TestConnection::open_goodSpec_sessionIsUtcAndReportsRole()
{
    test::TestDatabase database(QStringLiteral("conn_good"));
    QVERIFY_TESTDB(database);
    const QString login = database.createLogin(QStringLiteral("beacon_finance"));
    QVERIFY(!login.isEmpty());
    DbError error;
    auto connection = Connection::open(database.spec(login), QStringLiteral("test"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
    QSqlQuery query(connection->database());
    QVERIFY_SQL(query, exec(QStringLiteral("SHOW TimeZone")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toString(), QStringLiteral("UTC"));
    const SessionInfo info = readSessionInfo(connection->database(), &error);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(info.loginRole, login);
    QCOMPARE(info.groupRole, QStringLiteral("beacon_finance"));
    QCOMPARE(info.database, database.name());
    QCOMPARE(info.schemaVersion, Migrator::expectedVersion());
    QVERIFY(info.serverVersion.startsWith(QLatin1String("15")));
}

void TestConnection::open_serverDown_saysNoServerAnswered()
{
    QTemporaryDir emptySocketFolder;
    ConnectionSpec spec;
    spec.host = emptySocketFolder.path();
    spec.user = QStringLiteral("postgres");
    spec.database = QStringLiteral("postgres");
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("test"), &error));
    QCOMPARE(error.kind, ErrorKind::Unavailable);
    QCOMPARE(error.exitCode(), 7);
    QVERIFY2(error.message.contains(QLatin1String("No database server answered")), qPrintable(error.message));
    QVERIFY(!error.details.isEmpty());
}

void TestConnection::open_noHost_goesToLibpqDefaultSocket()
{
    // No host: QPSQL gives libpq none, and libpq tries its own socket folder, not localhost over TCP. Port 1
    // has no socket there, so the failure names the socket file.
    ConnectionSpec spec;
    spec.port = 1;
    spec.user = QStringLiteral("postgres");
    spec.database = QStringLiteral("postgres");
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("test"), &error));
    QCOMPARE(error.kind, ErrorKind::Unavailable);
    QVERIFY2(error.message.contains(
                 QLatin1String("No database server answered at postgres@[local socket, port 1]")),
             qPrintable(error.fullText()));
    QVERIFY2(error.details.contains(QLatin1String("/.s.PGSQL.1")), qPrintable(error.fullText()));
    QVERIFY(error.sqlState.isEmpty());
}

void TestConnection::open_unknownHost_saysHostNameNotKnown()
{
    ConnectionSpec spec;
    spec.host = QStringLiteral("no-such-host.invalid");
    spec.user = QStringLiteral("postgres");
    spec.database = QStringLiteral("postgres");
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("test"), &error));
    QCOMPARE(error.kind, ErrorKind::Unavailable);
    QVERIFY2(error.message.contains(QLatin1String("the host name is not known")),
             qPrintable(error.fullText()));
}

void TestConnection::open_noSuchDatabase_saysNoDatabaseOfThatName()
{
    test::TestDatabase database(QStringLiteral("conn_nodb"));
    QVERIFY_TESTDB(database);
    ConnectionSpec spec = database.spec();
    spec.database = QStringLiteral("no_such_database_here");
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("test"), &error));
    QCOMPARE(error.sqlState, QStringLiteral("3D000"));
    QCOMPARE(error.kind, ErrorKind::Usage);
    QVERIFY2(error.message.contains(QLatin1String("no database of that name")), qPrintable(error.message));
}

void TestConnection::open_noSuchLogin_saysNoLoginOfThatName()
{
    test::TestDatabase database(QStringLiteral("conn_norole"));
    QVERIFY_TESTDB(database);
    ConnectionSpec spec = database.spec();
    spec.user = QStringLiteral("no_such_login_here");
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("test"), &error));
    QCOMPARE(error.kind, ErrorKind::Denied);
    QCOMPARE(error.sqlState, QStringLiteral("28000"));
    QVERIFY2(error.message.contains(QLatin1String("no login of that name")), qPrintable(error.fullText()));
}

void TestConnection::open_wrongPassword_saysPasswordNotAccepted()
{
    test::TestDatabase database(QStringLiteral("conn_pw"));
    QVERIFY_TESTDB(database);
    QVERIFY(test::TestDatabase::tcpPort() > 0);
    const QString login =
        database.createLogin(QStringLiteral("beacon_support"), QStringLiteral("right-password"));
    QVERIFY2(!login.isEmpty(), qPrintable(database.errorText()));
    DbError error;
    QVERIFY(!Connection::open(database.tcpSpec(login, QStringLiteral("wrong-password")),
                              QStringLiteral("test"), &error));
    QCOMPARE(error.kind, ErrorKind::Denied);
    QCOMPARE(error.sqlState, QStringLiteral("28P01"));
    QVERIFY2(error.message.contains(QLatin1String("did not accept the user name and password")),
             qPrintable(error.message));
    QVERIFY(!error.fullText().contains(QLatin1String("wrong-password")));

    auto connection = Connection::open(database.tcpSpec(login, QStringLiteral("right-password")),
                                       QStringLiteral("test"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
    QSqlQuery query(connection->database());
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")));
    QVERIFY(query.next());
    QVERIFY2(query.value(0).toBool(), "the password login over TCP must be encrypted");
}

void TestConnection::open_noPasswordGiven_usesPgpassLikePsql()
{
    test::TestDatabase database(QStringLiteral("conn_pgpass"));
    QVERIFY_TESTDB(database);
    const QString login =
        database.createLogin(QStringLiteral("beacon_admin"), QStringLiteral("from-pgpass-file"));
    QVERIFY2(!login.isEmpty(), qPrintable(database.errorText()));
    QTemporaryDir folder;
    QFile pgpass(folder.filePath(QStringLiteral("pgpass")));
    QVERIFY(pgpass.open(QIODevice::WriteOnly));
    pgpass.write(QStringLiteral("127.0.0.1:%1:%2:%3:from-pgpass-file\n")
                     .arg(test::TestDatabase::tcpPort())
                     .arg(database.name(), login)
                     .toUtf8());
    pgpass.close();
    // libpq ignores a password file that others can read.
    pgpass.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    qputenv("PGPASSFILE", pgpass.fileName().toLocal8Bit());
    auto restore = qScopeGuard([] { qunsetenv("PGPASSFILE"); });

    DbError error;
    auto connection = Connection::open(database.tcpSpec(login, QString()), QStringLiteral("test"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
    const SessionInfo info = readSessionInfo(connection->database(), &error);
    QCOMPARE(info.loginRole, login);
}

void TestConnection::open_tlsRefusedByClient_saysServerOnlyAcceptsTls()
{
    test::TestDatabase database(QStringLiteral("conn_tls1"));
    QVERIFY_TESTDB(database);
    const QString login = database.createLogin(QStringLiteral("beacon_support"), QStringLiteral("pw"));
    ConnectionSpec spec = database.tcpSpec(login, QStringLiteral("pw"));
    spec.sslMode = QStringLiteral("disable");
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("test"), &error));
    QVERIFY2(error.message.contains(QLatin1String("only accepts encrypted (TLS) connections")),
             qPrintable(error.fullText()));
    QCOMPARE(error.sqlState, QStringLiteral("28000"));
}

void TestConnection::open_tlsRequiredButServerHasNone_saysServerOffersNoTls()
{
    // The run's shared server offers TLS, so this case needs a small server of its own without it.
    QTemporaryDir folder(QDir::tempPath() + QStringLiteral("/btls-XXXXXX"));
    QVERIFY(folder.isValid());
    // As root the server runs as postgres, which must be able to walk into the folder.
    QFile::setPermissions(folder.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                             QFileDevice::ExeOwner | QFileDevice::ExeGroup |
                                             QFileDevice::ExeOther);
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const int port = probe.serverPort();
    probe.close();
    LocalCluster::Options options;
    options.throwaway = true;
    options.tcpPort = port;
    options.hbaRules = QStringLiteral("local all all trust\nhost all all 127.0.0.1/32 trust\n");
    LocalCluster cluster(folder.path() + QStringLiteral("/c"), options);
    QVERIFY2(cluster.start(), qPrintable(cluster.lastError()));
    auto stopCluster = qScopeGuard([&] { cluster.stop(); });

    ConnectionSpec spec;
    spec.host = QStringLiteral("127.0.0.1");
    spec.port = port;
    spec.user = QStringLiteral("postgres");
    spec.database = QStringLiteral("postgres");
    spec.sslMode = QStringLiteral("require");
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("test"), &error));
    QVERIFY2(error.message.contains(QLatin1String("does not offer one")), qPrintable(error.fullText()));

    spec.sslMode = QStringLiteral("disable");
    auto connection = Connection::open(spec, QStringLiteral("test"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
}

void TestConnection::checkVersion_unknownVersion_saysFoundAndExpected_data()
{
    QTest::addColumn<int>("versionOffset");
    QTest::addColumn<QString>("messagePart");
    QTest::newRow("newer than this build") << 5 << "newer than the version";
    QTest::newRow("no schema at all") << -1 << "has no Beacon schema";
}

void TestConnection::checkVersion_unknownVersion_saysFoundAndExpected()
{
    QFETCH(int, versionOffset);
    QFETCH(QString, messagePart);
    const int expected = Migrator::expectedVersion();
    QVERIFY(expected >= 1);
    test::TestDatabase database(QStringLiteral("conn_ver"), versionOffset < 0
                                                                ? test::TestDatabase::Contents::Empty
                                                                : test::TestDatabase::Contents::Migrated);
    QVERIFY_TESTDB(database);
    QSqlQuery query(database.db());
    if (versionOffset > 0) {
        QVERIFY_SQL(query, prepare(QStringLiteral(
                               "INSERT INTO schema_migrations (version, name) VALUES (:v, 'future')")));
        query.bindValue(QStringLiteral(":v"), expected + versionOffset);
        QVERIFY_SQL(query, exec());
    }
    const DbError error = Migrator::checkVersion(database.db());
    QCOMPARE(error.kind, ErrorKind::Refused);
    QVERIFY2(error.message.contains(messagePart), qPrintable(error.message));
    QVERIFY2(error.message.contains(QStringLiteral("version %1").arg(expected)), qPrintable(error.message));
    if (versionOffset > 0) {
        QVERIFY(error.message.contains(QString::number(expected + versionOffset)));
        // A newer database is never "migrated" backwards by an old build.
        QCOMPARE(Migrator::migrate(database.db()).kind, ErrorKind::Refused);
    }
}

QTEST_GUILESS_MAIN(TestConnection)
#include "tst_connection.moc"
