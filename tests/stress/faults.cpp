#include "faults.h"

#include "stressserver.h"

#include <QSqlError>
#include <QSqlQuery>

namespace beacon::stress {

QString LockHolder::acquire()
{
    m_connection.reset();
    DbError error;
    m_connection =
        Connection::open(m_server.spec(QStringLiteral("postgres"), QStringLiteral("stress-lock-holder")),
                         QStringLiteral("stress-lock-holder"), &error);
    if (!m_connection)
        return error.fullText();
    if ((error = execPlain(m_connection->database(), QStringLiteral("BEGIN"), {})))
        return error.fullText();
    QSqlQuery lock(m_connection->database());
    lock.prepare(QStringLiteral("SELECT id FROM public.workspaces WHERE id = :w FOR UPDATE"));
    lock.bindValue(QStringLiteral(":w"), m_workspace);
    if (!lock.exec() || !lock.next())
        return QStringLiteral("the lock holder could not lock workspace %1: %2")
            .arg(m_workspace)
            .arg(lock.lastError().text());
    m_held = true;
    ++m_epoch;
    return {};
}

void LockHolder::lost()
{
    m_held = false;
    m_connection.reset();
}

void LockHolder::release()
{
    if (m_held && m_connection)
        execPlain(m_connection->database(), QStringLiteral("ROLLBACK"), {});
    m_held = false;
    m_connection.reset();
}

int terminateActionSessions(const StressServer &server, QString *error)
{
    DbError dbError;
    auto connection =
        Connection::open(server.spec(QStringLiteral("postgres"), QStringLiteral("stress-faults")),
                         QStringLiteral("stress-faults"), &dbError);
    if (!connection) {
        *error = dbError.fullText();
        return -1;
    }
    QSqlQuery query(connection->database());
    query.prepare(
        QStringLiteral("SELECT count(*) FILTER (WHERE ended) FROM (SELECT pg_terminate_backend(pid) "
                       "AS ended FROM pg_stat_activity WHERE application_name = :application) AS s"));
    query.bindValue(QStringLiteral(":application"), QLatin1String(ActionApplication));
    if (!query.exec() || !query.next()) {
        *error = query.lastError().text();
        return -1;
    }
    return query.value(0).toInt();
}

} // namespace beacon::stress
