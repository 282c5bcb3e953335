#pragma once

#include "db/connectionspec.h"
#include "db/dberror.h"
#include "db/localcluster.h"

#include <QString>

#include <functional>
#include <memory>

namespace beacon {

// The demo: a private PostgreSQL server in the user's data folder, migrated and seeded with `small` on the
// first run. Blocking; the GUI runs it on a worker thread.
class DemoEnvironment {
public:
    static constexpr auto DatabaseName = "beacon_demo";

    explicit DemoEnvironment(QString folder = defaultFolder());
    ~DemoEnvironment();

    // $BEACON_DEMO_DIR, else <AppLocalDataLocation>/demo. Root's home is closed to the postgres user that
    // must run the server, so as root the demo lives in /var/lib/beacon-admin/demo.
    static QString defaultFolder();

    DbError start(const std::function<void(const QString &)> &progress = {});
    void stop();
    ConnectionSpec connectionSpec() const;
    QString folder() const { return m_cluster->folder(); }

private:
    std::unique_ptr<LocalCluster> m_cluster;
};

} // namespace beacon
