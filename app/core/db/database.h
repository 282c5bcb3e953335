#pragma once

#include "db/connectionspec.h"
#include "db/dberror.h"

#include <QMutex>
#include <QSqlDatabase>
#include <QSqlError>
#include <QString>

#include <memory>

struct pg_cancel;
struct pg_conn;

namespace beacon {

class ServerCancel;

// Owns one named QSqlDatabase connection for the thread that opened it, and removes it when destroyed. A
// QSqlDatabase handle belongs to its thread; every worker opens its own Connection inside the thread.
class Connection {
public:
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // Opens, sets the session to UTC (QPSQL hands timestamptz back in local time otherwise), and checks that
    // the server answers. On failure returns null and fills *error with words for a person.
    static std::unique_ptr<Connection> open(const ConnectionSpec &spec, const QString &purpose,
                                            DbError *error);

    QSqlDatabase database() const;
    const ConnectionSpec &spec() const { return m_spec; }
    QString name() const { return m_name; }
    // The server process serving this connection (libpq's PQbackendPID); 0 if unknown.
    int backendPid() const { return m_backendPid; }
    // What another thread needs to stop the statement this connection is running (see ServerCancel).
    std::shared_ptr<ServerCancel> serverCancel() const { return m_cancel; }

private:
    Connection(QString name, ConnectionSpec spec);
    QString m_name;
    ConnectionSpec m_spec;
    int m_backendPid = 0;
    std::shared_ptr<ServerCancel> m_cancel;
};

// Stops, on the server, whatever statement one connection is running, from any thread: libpq's cancel
// request (PQgetCancel, PQcancel). It needs no privilege and no login, opens no session of its own, and also
// works through a pooler that forwards cancel requests. The cancelled statement fails with SQLSTATE 57014 on
// its own thread. It stays usable after its connection has closed, and then says so.
class ServerCancel {
public:
    ~ServerCancel();
    ServerCancel(const ServerCancel &) = delete;
    ServerCancel &operator=(const ServerCancel &) = delete;

    // Blocking for one short exchange with the server: call it from a worker or pool thread. An error, never
    // success, when there is nothing it can reach: no connection, or one already closed.
    DbError send();
    int backendPid() const { return m_backendPid; }

private:
    friend class Connection;
    ServerCancel(pg_cancel *cancel, int backendPid);
    // The connection is closing: later sends fail with words instead of signalling a reused process id.
    void invalidate();

    QMutex m_mutex;
    pg_cancel *m_cancel;
    int m_backendPid;
};

// The libpq connection under a QPSQL connection, for what QPSQL does not offer; null if it is not QPSQL's.
pg_conn *libpqConnection(const QSqlDatabase &db);

// What the status bar and `beaconctl --json` report about a live session.
struct SessionInfo {
    QString serverVersion;
    QString database;
    QString loginRole;
    QString groupRole; // the beacon_* group the login belongs to, or "superuser", or empty
    int schemaVersion = 0;
};

SessionInfo readSessionInfo(const QSqlDatabase &db, DbError *error);

// What the console learns when it connects: whether it could, who it is there, and whether it knows the
// schema. `error` means no connection; `schemaError` means connected but actions must stay off.
struct SessionProbe {
    ConnectionSpec spec;
    SessionInfo info;
    DbError error;
    DbError schemaError;
};

// Reads the session's details and checks the schema version on an open connection (a DbWorker's, which
// the window then keeps).
SessionProbe probeOpenSession(const QSqlDatabase &db, const ConnectionSpec &spec);

// DbError::fromSql for a statement that failed on `db`. When the session itself is gone (terminated, the
// server restarting), the error is Unavailable, whatever QPSQL made of it: it often words a dead session as
// an unexpected error with no SQLSTATE.
DbError errorOn(const QSqlDatabase &db, const QSqlError &error, const QString &whatWeWereDoing);

// Runs one statement that takes no values (DDL, SET, BEGIN); for anything with values use prepare/bindValue.
DbError execPlain(const QSqlDatabase &db, const QString &sql, const QString &whatWeWereDoing);

} // namespace beacon
