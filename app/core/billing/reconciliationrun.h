#pragma once

#include "billing/reconciliation.h"
#include "billing/stripeaccess.h"
#include "billing/stripeform.h"
#include "db/dberror.h"

#include <QObject>
#include <QPointer>
#include <QSqlDatabase>

#include <optional>

namespace beacon {
class DbRequester;
class DbWorker;
} // namespace beacon

namespace beacon::billing {

class StripeCall;
class StripeClient;

// What one reconciliation found, and how much it read.
struct ReconciliationReport {
    DbError error;
    // The person cancelled it: not an error, and nothing else in the report means anything.
    bool cancelled = false;
    QList<Finding> findings;
    // Stripe's customers as read, for the details a person needs to decide on duplicate customers.
    QList<StripeCustomer> stripeCustomers;
    int pages = 0;         // Stripe list pages read, customers' and subscriptions'
    int customers = 0;     // read from Stripe
    int subscriptions = 0; // read from Stripe
    int workspaces = 0;    // read from the database
};

// One reconciliation, gathered without waiting: it pages once through Stripe's customers and then its
// subscriptions (limit=100, through the asynchronous StripeClient and so within its rate limit), then reads
// the workspaces they name and the plans' prices from the database, and compares them (reconcile()).
//
// The database is read either as a job on a worker of the window's connections (the console: the GUI thread
// never runs SQL), or on a connection of this thread that the caller owns (beaconctl and beacon-bench, which
// have nothing else to do meanwhile). It never opens a connection or a thread of its own.
//
// Lives on the thread that makes it; every signal comes from that thread's event loop.
class ReconciliationRun : public QObject {
    Q_OBJECT
public:
    static constexpr int PageSize = 100; // Stripe's maximum

    explicit ReconciliationRun(QObject *parent = nullptr);
    ~ReconciliationRun() override;

    // Where Stripe is. A run without a complete access finishes with an error that says so.
    void setStripe(const StripeAccess &access);
    bool hasStripe() const { return m_access.isComplete(); }
    // Reads the database through `worker` (a lane of the window's ConnectionBudget) from the next start().
    void setWorker(DbWorker *worker);
    // Reads the database on `db`, a connection of this thread, from the next start().
    void setDatabase(const QSqlDatabase &db);
    // Keeps only this workspace's findings (Stripe cannot be asked by metadata, so the paging is the same).
    void setWorkspace(std::optional<qint64> workspace) { m_workspace = workspace; }

    // Starts a run; one still under way is dropped without a report.
    void start();
    // Stops the run: the Stripe page in flight is aborted, or the database read cancelled on the server.
    // finished() follows, from the event loop, with a report marked cancelled. Nothing happens when idle.
    void cancel();
    bool isRunning() const { return m_running; }
    // The last finished run's report (or the one being gathered).
    const ReconciliationReport &report() const { return m_report; }

signals:
    // After each Stripe page: pages read in all, and the customers and subscriptions read so far.
    void progress(int pages, int customers, int subscriptions);
    // Exactly once per start(), whatever the outcome (unless superseded by another start()).
    void finished(const beacon::billing::ReconciliationReport &report);

private:
    struct DatabaseRows {
        QList<WorkspaceBilling> workspaces;
        QHash<QString, QString> planOfPrice;
    };

    void listCustomers();
    void listSubscriptions();
    void readDatabase();
    StripeCall *startList(const QString &path, const StripeParams &params, const QString &what);
    // The call's outcome: true when the run goes on; else the report is finished.
    bool takeCallOutcome(StripeCall *call);
    void compare(DatabaseRows rows, const DbError &error);
    void finishLater();
    void finish();

    StripeAccess m_access;
    QPointer<DbWorker> m_worker;
    QSqlDatabase m_database;
    std::optional<qint64> m_workspace;
    DbRequester *m_requests;
    StripeClient *m_client = nullptr;
    QPointer<StripeCall> m_call;
    bool m_running = false;
    quint64 m_generation = 0;
    int m_customerPages = 0;
    QList<StripeSubscription> m_subscriptions;
    ReconciliationReport m_report;
};

} // namespace beacon::billing
