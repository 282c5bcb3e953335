#pragma once

#include "db/connectionspec.h"
#include "db/dberror.h"

#include <QSqlDatabase>
#include <QString>

#include <memory>

namespace beacon {

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
    // The server process serving this connection, for cancelBackend() from another thread; 0 if unknown.
    int backendPid() const { return m_backendPid; }

private:
    Connection(QString name, ConnectionSpec spec);
    QString m_name;
    ConnectionSpec m_spec;
    int m_backendPid = 0;
};

// Asks the server to stop the statement `backendPid` is running (pg_cancel_backend), over a short connection
// of its own: the connection running the statement is busy, and QPSQL cannot cancel from the outside. The
// cancelled statement fails with SQLSTATE 57014 on its own thread. Blocking: call it from a worker thread.
DbError cancelBackend(const ConnectionSpec &spec, int backendPid);

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

// Blocking: connects, reads the session's details, checks the schema version and disconnects. Run it on a
// worker thread (see runInBackground).
SessionProbe probeSession(const ConnectionSpec &spec);

// Runs one statement that takes no values (DDL, SET, BEGIN); for anything with values use prepare/bindValue.
DbError execPlain(const QSqlDatabase &db, const QString &sql, const QString &whatWeWereDoing);

} // namespace beacon
