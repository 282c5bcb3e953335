#pragma once

// The stress test's own PostgreSQL server: the run's shared server must not be restarted under the other
// tests, so this one lives in a temporary folder, holds one database, and can be restarted in immediate mode
// (the server's processes are killed, and it recovers from its WAL on the next start, as after a crash).

#include "db/connectionspec.h"
#include "db/localcluster.h"

#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace beacon::stress {

// The seeded data the actions and the backend load are aimed at (see StressServer::setUp).
struct StressData {
    static constexpr int Workspaces = 16; // workspace 1 is the one the lock holder keeps
    static constexpr int Users = 80;
    static constexpr int ProjectsPerWorkspace = 3;
    static constexpr int FilesPerProject = 4;
};

class StressServer {
public:
    StressServer();
    ~StressServer();
    StressServer(const StressServer &) = delete;
    StressServer &operator=(const StressServer &) = delete;

    // Starts the server, creates and migrates the database, seeds it, creates the backend's invitation
    // handler and one login per Beacon group. What went wrong, or empty.
    QString setUp();
    // pg_ctl restart -m immediate, waiting until the server accepts connections again. What went wrong, or
    // empty.
    QString restartImmediately();
    void stop();

    // Over the private socket; `login` is postgres (the table owner, as the backend runs) or one of logins.
    ConnectionSpec spec(const QString &login = QStringLiteral("postgres"),
                        const QString &applicationName = QStringLiteral("stress-driver")) const;
    // The same as a URI for beaconctl --db.
    QString uri(const QString &login, const QString &applicationName) const;
    // The login that belongs to `group` (beacon_support, beacon_finance, beacon_admin).
    static QString loginOf(const QString &group);
    static QStringList groups();

    QString socketDirectory() const { return m_cluster->socketDirectory(); }
    int port() const { return m_cluster->port(); }
    static QString databaseName() { return QStringLiteral("stress"); }

private:
    std::unique_ptr<QTemporaryDir> m_folder;
    std::unique_ptr<LocalCluster> m_cluster;
};

} // namespace beacon::stress
