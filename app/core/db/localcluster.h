#pragma once

#include "db/connectionspec.h"

#include <QString>
#include <QStringList>

namespace beacon {

// A private PostgreSQL server in a folder of its own, for the demo and for the test harness. It listens on a
// unix socket inside that folder (mode 0700), so only this user (and root) can reach it, and opens no TCP
// port unless asked. PostgreSQL refuses to run as root, so as root every server command runs through `runuser
// -u postgres` and the folder is handed to that user.
class LocalCluster {
public:
    struct Options {
        bool throwaway = false;    // fsync off: fast, and fine for data that may be lost
        int tcpPort = 0;           // 0: no TCP at all; otherwise listen on 127.0.0.1 at this port
        QStringList extraSettings; // postgresql.conf lines appended at initdb time
        QString hbaRules;          // pg_hba.conf, replacing the default "local trust" when set
    };

    explicit LocalCluster(QString folder, Options options);
    LocalCluster(const LocalCluster &) = delete;
    LocalCluster &operator=(const LocalCluster &) = delete;

    // Creates the cluster if the folder has none. Returns false with lastError() set.
    bool ensureInitialized();
    bool start();
    bool isRunning() const;
    void stop();
    // Stops the server as a crash would (pg_ctl -m immediate) and starts it again: what recovery faces.
    bool restartImmediately();

    QString folder() const { return m_folder; }
    QString dataDirectory() const;
    QString socketDirectory() const;
    // The port number in the socket's name (and on 127.0.0.1 when TCP is on).
    int port() const;
    // Superuser "postgres" over the unix socket; trust authentication inside the private folder.
    ConnectionSpec connectionSpec(const QString &database) const;
    QString lastError() const { return m_lastError; }

    // Where the PostgreSQL server programs are: $BEACON_PG_BINDIR, the build's default, or the PATH.
    static QString serverBinDirectory();
    static bool runningAsRoot();

private:
    bool run(const QString &program, const QStringList &arguments, int timeoutMs, QString *output = nullptr);
    bool prepareFolderForServer();

    QString m_folder;
    Options m_options;
    QString m_lastError;
};

} // namespace beacon
