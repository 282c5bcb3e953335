#pragma once

// The faults the stress test injects besides SIGKILL of beaconctl and the server's immediate restart: a
// session that holds a workspace row FOR UPDATE and never lets go, and pg_terminate_backend of the actions'
// sessions.

#include "db/database.h"

#include <memory>

namespace beacon::stress {

class StressServer;

// beaconctl runs with this application_name, so that the faults can find the actions' sessions.
inline constexpr auto ActionApplication = "stress-action";

class LockHolder {
public:
    LockHolder(const StressServer &server, qint64 workspace)
        : m_server(server)
        , m_workspace(workspace)
    {}
    // Takes the row lock in a transaction that stays open; again after a restart ended the last one. What
    // went wrong, or empty.
    QString acquire();
    // The server is going away (a restart): the lock is gone with it.
    void lost();
    void release();

    bool isHeld() const { return m_held; }
    // Counts every acquire(): an action that started and ended in the same epoch met the lock throughout.
    int epoch() const { return m_epoch; }
    qint64 workspace() const { return m_workspace; }

private:
    const StressServer &m_server;
    qint64 m_workspace;
    std::unique_ptr<Connection> m_connection;
    bool m_held = false;
    int m_epoch = 0;
};

// pg_terminate_backend on every session of the actions now connected: how many were ended, or -1 and *error.
int terminateActionSessions(const StressServer &server, QString *error);

} // namespace beacon::stress
