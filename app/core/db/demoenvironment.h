#pragma once

#include "db/connectionspec.h"
#include "db/dberror.h"
#include "db/localcluster.h"
#include "stripelocal/demostripe.h"

#include <QPointer>
#include <QString>
#include <QThread>

#include <functional>
#include <memory>

namespace beacon {

// The demo: a private PostgreSQL server in the user's data folder, migrated and seeded with `small` on the
// first run, which also plants the lost subscription id of the demo's Stripe (see stripelocal/demostripe.h).
// start() blocks; the GUI uses startInBackground().
class DemoEnvironment {
public:
    static constexpr auto DatabaseName = "beacon_demo";

    explicit DemoEnvironment(QString folder = defaultFolder());
    ~DemoEnvironment();

    // $BEACON_DEMO_DIR, else <AppLocalDataLocation>/demo. Root's home is closed to the postgres user that
    // must run the server, so as root the demo lives in /var/lib/beacon-admin/demo.
    static QString defaultFolder();

    using Progress = std::function<void(const QString &step)>;
    DbError start(const Progress &progress = {});
    // start() on a thread of its own, with each step and the outcome handed to `context`'s thread (not at
    // all once `context` is gone). Not a DbWorker job: a DbWorker's jobs run on its connection, and there is
    // no server to connect to until this is done. The one thread of the console besides the DbWorkers.
    void startInBackground(QObject *context, Progress progress, std::function<void(DbError)> done);
    bool isStarting() const { return !m_starting.isNull(); }
    // Blocks until a background start is over (at exit, before stop()).
    void waitForStart();
    void stop();
    ConnectionSpec connectionSpec() const;
    QString folder() const { return m_cluster->folder(); }
    // The demo database's billing as start() last read it, for filling the demo's local Stripe
    // (stripelocal::fillDemoStripe) on the thread its server lives on. Empty until start() succeeds.
    const stripelocal::DemoBilling &billing() const { return m_billing; }

private:
    std::unique_ptr<LocalCluster> m_cluster;
    QPointer<QThread> m_starting;
    stripelocal::DemoBilling m_billing;
};

} // namespace beacon
