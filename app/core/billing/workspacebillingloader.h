#pragma once

#include "billing/billingreport.h"
#include "billing/stripeaccess.h"
#include "billing/stripeform.h"
#include "db/dbworker.h"

#include <QObject>
#include <QPointer>

#include <functional>

namespace beacon::billing {

class StripeCall;
class StripeClient;

// Gathers a workspace's billing report without blocking the thread it lives on: the database side runs as
// a job on a DbWorker (a window's Detail lane), then Stripe is asked through the asynchronous StripeClient,
// the customer and the subscription together, then the invoices and the upcoming one. A login that does not
// see amounts asks Stripe for the subscription only. beaconctl and the console's Billing tab both use it,
// so that what they show cannot drift.
//
// A customer or subscription that Stripe does not know (404) is not a failure: the report shows the row's id
// against Stripe's nothing, as a disagreement. Nor is a 404 for the upcoming invoice, which a canceled
// subscription does not have. Any other failure ends the load with the report's error.
class WorkspaceBillingLoader : public QObject {
    Q_OBJECT
public:
    explicit WorkspaceBillingLoader(QObject *parent = nullptr);
    ~WorkspaceBillingLoader() override;

    // Where the database side is read. Anything under way is stopped.
    void setWorker(DbWorker *worker);
    // The Stripe to ask; a client of its own is made for it. Anything under way is stopped.
    void setStripeAccess(const StripeAccess &access);
    // Both a key and an address: without them load() only says that Stripe is not set up.
    bool hasStripe() const { return m_client != nullptr; }

    // Starts a new load; one under way is stopped first (its statement cancelled on the server, its Stripe
    // calls aborted) and never reported.
    void load(qint64 workspace);
    // The same from a database side already read (beaconctl reads it on its own connection).
    void loadFrom(const BillingDatabaseSide &database);
    // Stops the load under way; finished() is not emitted for it.
    void cancel();

    bool isBusy() const { return m_busy; }
    // The last finished load's report, or its error.
    const WorkspaceBillingReport &report() const { return m_report; }
    // This loader's requests to its worker, for tests.
    const DbRequester *requests() const { return m_requests; }

signals:
    // A load ended; report() holds its result or its error.
    void finished();
    void busyChanged(bool busy);

private:
    void databaseArrived(BillingDatabaseSide database, const DbError &error);
    void askFirst();
    void askInvoices();
    void ask(const QString &path, const StripeParams &params, const QString &whatWeWereDoing,
             std::function<void(StripeCall *)> keep, bool missingIsEmpty);
    void callFinished(StripeCall *call, const std::function<void(StripeCall *)> &keep, bool missingIsEmpty);
    void abortCalls();
    void finish(const DbError &error);
    void setBusy(bool busy);

    DbRequester *m_requests;
    StripeClient *m_client = nullptr;
    QList<QPointer<StripeCall>> m_calls;
    // Which step's calls are out: the customer and subscription, or the invoices.
    enum class Step { Idle, Database, First, Invoices } m_step = Step::Idle;
    BillingDatabaseSide m_database;
    BillingStripeSide m_stripe;
    WorkspaceBillingReport m_report;
    bool m_busy = false;
};

} // namespace beacon::billing
