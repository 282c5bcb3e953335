// Connection failures on a German desktop against a German server are classified exactly as in English:
// the kind, our words and the SQLSTATE never depend on the words libpq and the server send, which both
// translate. .ci/install-deps generates de_DE.UTF-8, and libpq5 and postgresql-15 ship German texts, so a
// missing locale is a broken machine: the test fails, it does not skip.
#include "testdatabase.h"

#include "db/database.h"
#include "db/localcluster.h"

#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>

#include <clocale>

using namespace beacon;

class TestConnectionLocale : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();

    void german_serverDown_saysNoServerAnswered();
    void german_wrongPassword_saysPasswordNotAccepted();
    void german_noSuchDatabase_saysNoDatabaseOfThatName();
    void german_noSuchLogin_saysNoLoginOfThatName();

private:
    ConnectionSpec tcpSpec(const QString &user, const QString &password) const;

    std::unique_ptr<QTemporaryDir> m_folder;
    std::unique_ptr<LocalCluster> m_cluster;
    int m_port = 0;
};

void TestConnectionLocale::initTestCase()
{
    const QByteArray messages = std::setlocale(LC_MESSAGES, nullptr);
    QVERIFY2(messages.startsWith("de_DE"),
             qPrintable(QStringLiteral("LC_MESSAGES is \"%1\", not German: generate de_DE.UTF-8 "
                                       "(.ci/install-deps does: locales, /etc/locale.gen, locale-gen)")
                            .arg(QString::fromLatin1(messages))));

    m_folder = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/bde-XXXXXX"));
    QVERIFY(m_folder->isValid());
    // As root the server runs as postgres, which must be able to walk into the folder.
    QFile::setPermissions(m_folder->path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                QFileDevice::ExeOwner | QFileDevice::ExeGroup |
                                                QFileDevice::ExeOther);
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    m_port = probe.serverPort();
    probe.close();
    LocalCluster::Options options;
    options.throwaway = true;
    options.tcpPort = m_port;
    options.extraSettings = {QStringLiteral("lc_messages = 'de_DE.UTF-8'")};
    options.hbaRules = QStringLiteral("local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n");
    m_cluster = std::make_unique<LocalCluster>(m_folder->path() + QStringLiteral("/c"), options);
    QVERIFY2(m_cluster->start(), qPrintable(m_cluster->lastError()));

    DbError error;
    auto admin = Connection::open(m_cluster->connectionSpec(QStringLiteral("postgres")),
                                  QStringLiteral("test"), &error);
    QVERIFY2(admin, qPrintable(error.fullText()));
    QSqlQuery query(admin->database());
    QVERIFY_SQL(query,
                prepare(QStringLiteral(
                    "SELECT format('CREATE ROLE german_login LOGIN PASSWORD %L', CAST(:pw AS text))")));
    query.bindValue(QStringLiteral(":pw"), QStringLiteral("richtig"));
    QVERIFY_SQL(query, exec());
    QVERIFY(query.next());
    const QString createRole = query.value(0).toString();
    QVERIFY_SQL(query, exec(createRole));
}

void TestConnectionLocale::cleanupTestCase()
{
    if (m_cluster)
        m_cluster->stop();
}

ConnectionSpec TestConnectionLocale::tcpSpec(const QString &user, const QString &password) const
{
    ConnectionSpec spec;
    spec.host = QStringLiteral("127.0.0.1");
    spec.port = m_port;
    spec.user = user;
    spec.password = password;
    spec.database = QStringLiteral("postgres");
    return spec;
}

void TestConnectionLocale::german_serverDown_saysNoServerAnswered()
{
    QTemporaryDir emptySocketFolder;
    ConnectionSpec spec;
    spec.host = emptySocketFolder.path();
    spec.user = QStringLiteral("postgres");
    spec.database = QStringLiteral("postgres");
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("test"), &error));
    // libpq's own words are German here: otherwise this test would prove nothing.
    QVERIFY2(error.details.contains(QLatin1String("fehlgeschlagen")), qPrintable(error.details));
    QCOMPARE(error.kind, ErrorKind::Unavailable);
    QVERIFY2(error.message.contains(QLatin1String("No database server answered")), qPrintable(error.message));
    QVERIFY(error.sqlState.isEmpty());
}

void TestConnectionLocale::german_wrongPassword_saysPasswordNotAccepted()
{
    DbError error;
    QVERIFY(!Connection::open(tcpSpec(QStringLiteral("german_login"), QStringLiteral("falsch")),
                              QStringLiteral("test"), &error));
    // The server's words are German too ("Passwort-Authentifizierung … fehlgeschlagen").
    QVERIFY2(error.details.contains(QLatin1String("Passwort")), qPrintable(error.details));
    QCOMPARE(error.kind, ErrorKind::Denied);
    QCOMPARE(error.sqlState, QStringLiteral("28P01"));
    QVERIFY2(error.message.contains(QLatin1String("did not accept the user name and password")),
             qPrintable(error.message));
    QVERIFY(error.fullText().contains(QLatin1String("[SQLSTATE 28P01]")));
    QVERIFY(!error.fullText().contains(QLatin1String("falsch")));

    auto connection = Connection::open(tcpSpec(QStringLiteral("german_login"), QStringLiteral("richtig")),
                                       QStringLiteral("test"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
}

void TestConnectionLocale::german_noSuchDatabase_saysNoDatabaseOfThatName()
{
    ConnectionSpec spec = m_cluster->connectionSpec(QStringLiteral("keine_solche_datenbank"));
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("test"), &error));
    QVERIFY2(error.details.contains(QLatin1String("existiert nicht")), qPrintable(error.details));
    QCOMPARE(error.kind, ErrorKind::Usage);
    QCOMPARE(error.sqlState, QStringLiteral("3D000"));
    QVERIFY2(error.message.contains(QLatin1String("no database of that name")), qPrintable(error.message));
    QVERIFY(error.fullText().contains(QLatin1String("[SQLSTATE 3D000]")));
}

void TestConnectionLocale::german_noSuchLogin_saysNoLoginOfThatName()
{
    ConnectionSpec spec = m_cluster->connectionSpec(QStringLiteral("postgres"));
    spec.user = QStringLiteral("niemand");
    DbError error;
    QVERIFY(!Connection::open(spec, QStringLiteral("test"), &error));
    QVERIFY2(error.details.contains(QLatin1String("existiert nicht")), qPrintable(error.details));
    QCOMPARE(error.kind, ErrorKind::Denied);
    QCOMPARE(error.sqlState, QStringLiteral("28000"));
    QVERIFY2(error.message.contains(QLatin1String("no login of that name")), qPrintable(error.message));
}

// The locale must be in the environment before anything calls setlocale(): QCoreApplication does, and libpq
// looks its messages up under the LC_MESSAGES that results.
int main(int argc, char *argv[])
{
    qputenv("LANG", "de_DE.UTF-8");
    qputenv("LC_ALL", "de_DE.UTF-8");
    qputenv("PGCLIENTENCODING", "UTF8");
    QCoreApplication app(argc, argv);
    TestConnectionLocale test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_connectionlocale.moc"
