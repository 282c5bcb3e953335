#include "db/database.h"

#include "db/connectionprobe.h"
#include "db/migrator.h"
#include "db/statementcache.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::Connection", text);
}

Connection::Connection(QString name, ConnectionSpec spec)
    : m_name(std::move(name))
    , m_spec(std::move(spec))
{}

Connection::~Connection()
{
    // Its prepared statements hold the connection; they go first, while it can still deallocate them.
    StatementCache::release(m_name);
    {
        QSqlDatabase db = QSqlDatabase::database(m_name, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_name);
}

std::unique_ptr<Connection> Connection::open(const ConnectionSpec &spec, const QString &purpose,
                                             DbError *error)
{
    static QAtomicInteger<quint64> counter;
    const QString name = QStringLiteral("beacon-%1-%2").arg(purpose).arg(counter.fetchAndAddRelaxed(1));
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL"))) {
        if (error)
            *error = DbError::make(ErrorKind::Unavailable,
                                   tr("The PostgreSQL driver for Qt (QPSQL) is not installed. Install the "
                                      "package libqt6sql6-psql, or reinstall Beacon Admin."));
        return nullptr;
    }
    std::unique_ptr<Connection> connection(new Connection(name, spec));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        db.setHostName(spec.host);
        db.setPort(spec.port);
        db.setDatabaseName(spec.database);
        db.setUserName(spec.user);
        db.setPassword(spec.password);
        db.setConnectOptions(spec.driverOptions());
        if (!db.open()) {
            if (error)
                *error = DbError::fromConnectionFailure(probeConnectionFailure(spec, db.lastError().text()),
                                                        spec.target());
            return nullptr;
        }
        const DbError setupError =
            execPlain(db, QStringLiteral("SET TIME ZONE 'UTC'"), tr("Preparing the session"));
        if (setupError) {
            if (error)
                *error = setupError;
            return nullptr;
        }
        QSqlQuery pid(db);
        if (pid.exec(QStringLiteral("SELECT pg_backend_pid()")) && pid.next())
            connection->m_backendPid = pid.value(0).toInt();
    }
    if (error)
        *error = {};
    return connection;
}

DbError cancelBackend(const ConnectionSpec &spec, int backendPid)
{
    if (backendPid <= 0)
        return {};
    DbError error;
    auto connection = Connection::open(spec, QStringLiteral("cancel"), &error);
    if (!connection)
        return error;
    QSqlQuery query(connection->database());
    query.prepare(QStringLiteral("SELECT pg_cancel_backend(CAST(:pid AS integer))"));
    query.bindValue(QStringLiteral(":pid"), backendPid);
    if (!query.exec())
        return DbError::fromSql(query.lastError(), tr("Stopping a query on the server"));
    return {};
}

QSqlDatabase Connection::database() const
{
    return QSqlDatabase::database(m_name, false);
}

DbError execPlain(const QSqlDatabase &db, const QString &sql, const QString &whatWeWereDoing)
{
    QSqlQuery query(db);
    if (!query.exec(sql))
        return DbError::fromSql(query.lastError(), whatWeWereDoing);
    return {};
}

SessionInfo readSessionInfo(const QSqlDatabase &db, DbError *error)
{
    SessionInfo info;
    QSqlQuery query(db);
    // The group is the beacon_* role the login is a member of; a superuser sees everything anyway.
    const bool ok = query.exec(QStringLiteral(
        "SELECT current_setting('server_version'), current_database(), session_user, "
        "       CASE WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN 'superuser' "
        "            ELSE (SELECT string_agg(g.rolname, ',' ORDER BY g.rolname) FROM pg_roles g "
        "                  WHERE g.rolname IN ('beacon_support', 'beacon_finance', 'beacon_admin') "
        "                    AND pg_has_role(session_user, g.oid, 'MEMBER')) END"));
    if (!ok || !query.next()) {
        if (error)
            *error = DbError::fromSql(query.lastError(), tr("Reading the session's details"));
        return info;
    }
    info.serverVersion = query.value(0).toString();
    info.database = query.value(1).toString();
    info.loginRole = query.value(2).toString();
    info.groupRole = query.value(3).toString();
    DbError versionError;
    info.schemaVersion = Migrator::currentVersion(db, &versionError);
    if (error)
        *error = versionError;
    return info;
}

SessionProbe probeSession(const ConnectionSpec &spec)
{
    SessionProbe probe;
    probe.spec = spec;
    auto connection = Connection::open(spec, QStringLiteral("probe"), &probe.error);
    if (!connection)
        return probe;
    probe.info = readSessionInfo(connection->database(), &probe.error);
    if (!probe.error)
        probe.schemaError = Migrator::checkVersion(connection->database());
    return probe;
}

} // namespace beacon
