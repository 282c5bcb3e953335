#include "testdatabase.h"

#include "db/localcluster.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QFile>
#include <QRegularExpression>
#include <QSqlDriver>
#include <QSqlQuery>

#include "testconfig.h"

namespace beacon::test {

QString TestDatabase::clusterFolder()
{
    return qEnvironmentVariable("BEACON_TEST_CLUSTER_DIR", QStringLiteral(BEACON_TEST_CLUSTER_DIR));
}

QString TestDatabase::socketFolder()
{
    return LocalCluster(clusterFolder(), {}).socketDirectory();
}

int TestDatabase::tcpPort()
{
    QFile file(clusterFolder() + QStringLiteral("/tcp_port"));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    return file.readAll().trimmed().toInt();
}

static ConnectionSpec superuserSpec(const QString &database)
{
    return LocalCluster(TestDatabase::clusterFolder(), {}).connectionSpec(database);
}

TestDatabase::TestDatabase(const QString &tag, Contents contents)
{
    static QAtomicInteger<int> counter;
    QString safeTag = tag.toLower();
    safeTag.replace(QRegularExpression(QStringLiteral("[^a-z0-9_]")), QStringLiteral("_"));
    m_name = QStringLiteral("t_%1_%2_%3")
                 .arg(safeTag.left(30))
                 .arg(QCoreApplication::applicationPid())
                 .arg(counter.fetchAndAddRelaxed(1));
    DbError error;
    auto admin =
        Connection::open(superuserSpec(QStringLiteral("postgres")), QStringLiteral("testdb-admin"), &error);
    if (!admin) {
        m_error = QStringLiteral(
                      "The test PostgreSQL server is not reachable in %1 (is the pg fixture running?): %2")
                      .arg(clusterFolder(), error.fullText());
        return;
    }
    // Names are built from our own counter and a sanitised tag, never from outside input.
    error = execPlain(admin->database(),
                      QStringLiteral("CREATE DATABASE %1 TEMPLATE %2")
                          .arg(m_name, contents == Contents::Migrated ? QStringLiteral(BEACON_TEST_TEMPLATE)
                                                                      : QStringLiteral("template0")),
                      QStringLiteral("creating the test database"));
    if (error)
        m_error = error.fullText();
}

TestDatabase::~TestDatabase()
{
    if (m_connections)
        m_connections->shutDown(DbWorker::Shutdown::Wait);
    m_connections.reset();
    m_connection.reset();
    if (m_name.isEmpty() || !m_error.isEmpty())
        return;
    DbError error;
    auto admin =
        Connection::open(superuserSpec(QStringLiteral("postgres")), QStringLiteral("testdb-drop"), &error);
    if (!admin)
        return;
    execPlain(admin->database(), QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(m_name), {});
    for (const QString &login : std::as_const(m_logins))
        execPlain(admin->database(), QStringLiteral("DROP ROLE IF EXISTS %1").arg(login), {});
}

ConnectionSpec TestDatabase::spec(const QString &role) const
{
    ConnectionSpec spec = superuserSpec(m_name);
    spec.user = role;
    return spec;
}

ConnectionSpec TestDatabase::tcpSpec(const QString &role, const QString &password) const
{
    ConnectionSpec spec;
    spec.host = QStringLiteral("127.0.0.1");
    spec.port = tcpPort();
    spec.database = m_name;
    spec.user = role;
    spec.password = password;
    spec.sslMode = QStringLiteral("require");
    spec.connectTimeoutSeconds = 5;
    return spec;
}

ConnectionBudget *TestDatabase::connections()
{
    if (!m_connections)
        m_connections = std::make_unique<ConnectionBudget>(spec());
    return m_connections.get();
}

QSqlDatabase TestDatabase::db()
{
    if (!m_connection) {
        DbError error;
        m_connection = Connection::open(spec(), QStringLiteral("testdb"), &error);
        if (!m_connection) {
            m_error = error.fullText();
            return {};
        }
    }
    return m_connection->database();
}

QString TestDatabase::createLogin(const QString &groupRole, const QString &password)
{
    const QString login = QStringLiteral("%1_%2").arg(m_name, QString::number(m_logins.size()));
    QSqlQuery query(db());
    // Role names are identifiers: built from our own database name, and the group from a fixed list.
    static const QStringList groups = {QStringLiteral("beacon_support"), QStringLiteral("beacon_finance"),
                                       QStringLiteral("beacon_admin")};
    if (!groups.contains(groupRole))
        qFatal("createLogin: unknown group role");
    QString sql = QStringLiteral("CREATE ROLE %1 LOGIN IN ROLE %2").arg(login, groupRole);
    if (!query.exec(sql)) {
        m_error = query.lastError().text();
        return {};
    }
    m_logins.append(login);
    if (!password.isEmpty()) {
        // ALTER ROLE takes no bound parameters; format() quotes the password as a literal on the server.
        query.prepare(QStringLiteral(
            "SELECT format('ALTER ROLE %I PASSWORD %L', CAST(:login AS text), CAST(:password AS text))"));
        query.bindValue(QStringLiteral(":login"), login);
        query.bindValue(QStringLiteral(":password"), password);
        if (!query.exec() || !query.next()) {
            m_error = query.lastError().text();
            return {};
        }
        // A fresh query: re-using the prepared one would send the new text as EXECUTE with the old values.
        QSqlQuery alter(db());
        if (!alter.exec(query.value(0).toString())) {
            m_error = alter.lastError().text();
            return {};
        }
    }
    return login;
}

QList<qint64> userIdsInServerOrder(const QSqlDatabase &db, const QString &orderBy, const QString &where)
{
    QList<qint64> ids;
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral("SELECT u.id FROM users AS u WHERE %1 ORDER BY %2").arg(where, orderBy)))
        qWarning() << query.lastError().text();
    while (query.next())
        ids.append(query.value(0).toLongLong());
    return ids;
}

TableLock::TableLock(const ConnectionSpec &spec, const QString &table)
{
    DbError error;
    m_connection = Connection::open(spec, QStringLiteral("locker"), &error);
    if (!m_connection)
        return;
    const QSqlDatabase db = m_connection->database();
    // The table name is the test's own constant, quoted as an identifier.
    m_held = !execPlain(db, QStringLiteral("BEGIN"), {}) &&
             !execPlain(db,
                        QStringLiteral("LOCK TABLE %1 IN ACCESS EXCLUSIVE MODE")
                            .arg(db.driver()->escapeIdentifier(table, QSqlDriver::TableName)),
                        {});
}

void TableLock::release()
{
    if (m_held)
        execPlain(m_connection->database(), QStringLiteral("ROLLBACK"), {});
    m_held = false;
}

} // namespace beacon::test
