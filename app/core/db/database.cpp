#include "db/database.h"

#include "db/connectionprobe.h"
#include "db/migrator.h"
#include "db/statementcache.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>

#include <libpq-fe.h>

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::Connection", text);
}

// QPSQL's documented way to reach its libpq connection: the driver's handle holds a PGconn*.
PGconn *libpqConnection(const QSqlDatabase &db)
{
    const QVariant handle = db.driver() ? db.driver()->handle() : QVariant();
    // Qt 6 names the type as the compiler spells it (pg_conn*); Qt 5 used the typedef's name.
    if (!handle.isValid() ||
        (qstrcmp(handle.typeName(), "PGconn*") != 0 && qstrcmp(handle.typeName(), "pg_conn*") != 0))
        return nullptr;
    return *static_cast<PGconn *const *>(handle.constData());
}

Connection::Connection(QString name, ConnectionSpec spec)
    : m_name(std::move(name))
    , m_spec(std::move(spec))
{}

Connection::~Connection()
{
    if (m_cancel)
        m_cancel->invalidate();
    // Its prepared statements hold the connection; they go first, while it can still deallocate them.
    StatementCache::release(m_name);
    {
        QSqlDatabase db = QSqlDatabase::database(m_name, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_name);
}

// Every session's settings, in one round trip, the values bound: UTC (QPSQL hands timestamptz back in local
// time otherwise); idle_in_transaction_session_timeout, so that the server ends a session whose client
// stopped or was cut off inside a transaction, and its row locks go with it; and the server's own TCP
// keepalives, which notice a client that vanished from the network (libpq's keepalives, in driverOptions(),
// notice a server that did). On a unix socket the server ignores the keepalives.
static DbError applySessionSettings(const QSqlDatabase &db, const ConnectionSpec &spec)
{
    PGconn *conn = libpqConnection(db);
    if (!conn)
        return DbError::make(ErrorKind::Internal,
                             tr("Preparing the session: the database driver is not QPSQL."));
    const QByteArray idleMs = QByteArray::number(qint64(spec.idleInTransactionTimeoutSeconds) * 1000);
    const QByteArray keepaliveIdle = QByteArray::number(ConnectionSpec::KeepaliveIdleSeconds);
    const QByteArray keepaliveInterval = QByteArray::number(ConnectionSpec::KeepaliveIntervalSeconds);
    const QByteArray keepaliveCount = QByteArray::number(ConnectionSpec::KeepaliveCount);
    const char *const values[] = {idleMs.constData(), keepaliveIdle.constData(),
                                  keepaliveInterval.constData(), keepaliveCount.constData()};
    const std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexecParams(conn,
                     "SELECT set_config('TimeZone', 'UTC', false), "
                     "set_config('idle_in_transaction_session_timeout', $1, false), "
                     "set_config('tcp_keepalives_idle', $2, false), "
                     "set_config('tcp_keepalives_interval', $3, false), "
                     "set_config('tcp_keepalives_count', $4, false)",
                     4, nullptr, values, nullptr, nullptr, 0),
        &PQclear);
    if (PQresultStatus(result.get()) == PGRES_TUPLES_OK)
        return {};
    DbError error = DbError::make(ErrorKind::Unavailable,
                                  tr("Preparing the session: the server refused the session's settings. The "
                                     "details say why."),
                                  QString::fromUtf8(PQerrorMessage(conn)).trimmed());
    error.sqlState = QString::fromLatin1(PQresultErrorField(result.get(), PG_DIAG_SQLSTATE));
    return error;
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
    // A bad value from a URI, a profile or the settings file is refused with words, never passed on.
    if (const QString problem = spec.problem(); !problem.isEmpty()) {
        if (error)
            *error = DbError::make(ErrorKind::Usage, problem);
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
        const DbError setupError = applySessionSettings(db, spec);
        if (setupError) {
            if (error)
                *error = setupError;
            return nullptr;
        }
        if (PGconn *conn = libpqConnection(db)) {
            connection->m_backendPid = PQbackendPID(conn);
            connection->m_cancel.reset(new ServerCancel(PQgetCancel(conn), connection->m_backendPid));
        }
    }
    if (error)
        *error = {};
    return connection;
}

ServerCancel::ServerCancel(pg_cancel *cancel, int backendPid)
    : m_cancel(cancel)
    , m_backendPid(backendPid)
{}

ServerCancel::~ServerCancel()
{
    invalidate();
}

void ServerCancel::invalidate()
{
    const QMutexLocker lock(&m_mutex);
    if (m_cancel)
        PQfreeCancel(m_cancel);
    m_cancel = nullptr;
}

DbError ServerCancel::send()
{
    // Held across PQcancel so that the connection cannot close, and its process id be reused by another
    // session, while the request is on its way.
    const QMutexLocker lock(&m_mutex);
    if (!m_cancel)
        return DbError::make(ErrorKind::Unavailable,
                             tr("There is no statement to stop: the connection has already closed."));
    char reason[256] = {};
    if (!PQcancel(m_cancel, reason, int(sizeof reason)))
        return DbError::make(ErrorKind::Unavailable,
                             tr("The server could not be asked to stop the statement. If it keeps running, "
                                "it ends at its statement timeout."),
                             QString::fromLocal8Bit(reason));
    return {};
}

QSqlDatabase Connection::database() const
{
    return QSqlDatabase::database(m_name, false);
}

DbError errorOn(const QSqlDatabase &db, const QSqlError &error, const QString &whatWeWereDoing)
{
    PGconn *conn = libpqConnection(db);
    if (error.type() == QSqlError::ConnectionError ||
        (db.isOpen() && conn && PQstatus(conn) == CONNECTION_OK))
        return DbError::fromSql(error, whatWeWereDoing);
    return DbError::fromSql(QSqlError(error.driverText(), error.databaseText(), QSqlError::ConnectionError,
                                      error.nativeErrorCode()),
                            whatWeWereDoing);
}

DbError execPlain(const QSqlDatabase &db, const QString &sql, const QString &whatWeWereDoing)
{
    QSqlQuery query(db);
    if (!query.exec(sql))
        return errorOn(db, query.lastError(), whatWeWereDoing);
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

SessionProbe probeOpenSession(const QSqlDatabase &db, const ConnectionSpec &spec)
{
    SessionProbe probe;
    probe.spec = spec;
    probe.info = readSessionInfo(db, &probe.error);
    if (!probe.error)
        probe.schemaError = Migrator::checkVersion(db);
    return probe;
}

} // namespace beacon
