#include "billing/reconciliationrun.h"

#include "billing/billingrows.h"
#include "billing/stripeclient.h"
#include "db/dbworker.h"

namespace beacon::billing {

namespace {

DbError readRows(const QSqlDatabase &db, const QList<qint64> &namedByStripe, std::optional<qint64> workspace,
                 QList<WorkspaceBilling> *workspaces, QHash<QString, QString> *planOfPrice)
{
    if (DbError error = readWorkspaceBilling(db, namedByStripe, workspace, workspaces))
        return error;
    return readPlanOfPrice(db, planOfPrice);
}

} // namespace

ReconciliationRun::ReconciliationRun(QObject *parent)
    : QObject(parent)
    , m_requests(new DbRequester(this))
{}

ReconciliationRun::~ReconciliationRun() = default;

void ReconciliationRun::setStripe(const StripeAccess &access)
{
    m_access = access;
    // A new client for a new Stripe; the old one's calls end with it.
    delete m_client;
    m_client = nullptr;
    if (m_access.isComplete())
        m_client = new StripeClient(*m_access.key, *m_access.endpoint, m_access.clientOptions, this);
    if (m_running) {
        ++m_generation;
        m_running = false;
    }
}

void ReconciliationRun::setWorker(DbWorker *worker)
{
    m_worker = worker;
    m_database = QSqlDatabase();
    m_requests->setWorker(worker);
}

void ReconciliationRun::setDatabase(const QSqlDatabase &db)
{
    m_worker = nullptr;
    m_requests->setWorker(nullptr);
    m_database = db;
}

void ReconciliationRun::start()
{
    ++m_generation;
    if (m_call) {
        // Dropped, not reported: deleting a call cancels it, and its finished() no longer reaches us.
        m_call->disconnect(this);
        m_call->deleteLater();
    }
    m_requests->supersede();
    m_report = {};
    m_subscriptions.clear();
    m_customerPages = 0;
    m_running = true;
    if (!m_client) {
        m_report.error = DbError::make(ErrorKind::Usage,
                                       tr("No Stripe account is set up for this console, so there is nothing "
                                          "to reconcile with. Open the demo database, whose local Stripe "
                                          "is set up, or use beaconctl reconcile with a Stripe key."));
        finishLater();
        return;
    }
    if (!m_worker && !m_database.isValid()) {
        m_report.error = DbError::make(ErrorKind::Usage, tr("Connect to a database first."));
        finishLater();
        return;
    }
    listCustomers();
}

void ReconciliationRun::cancel()
{
    if (!m_running || m_report.cancelled)
        return;
    m_report.cancelled = true;
    if (m_call) {
        // Its finished() ends the run, from the event loop.
        m_call->cancel();
        return;
    }
    // The database read still running is cancelled on the server, and its reply dropped.
    m_requests->supersede();
    finishLater();
}

StripeCall *ReconciliationRun::startList(const QString &path, const StripeParams &params, const QString &what)
{
    StripeCall *call = m_client->list(path, params, what);
    m_call = call;
    return call;
}

void ReconciliationRun::listCustomers()
{
    StripeCall *call = startList(QStringLiteral("/v1/customers"), {{QStringLiteral("limit"), PageSize}},
                                 tr("Reading Stripe's customers"));
    const quint64 generation = m_generation;
    connect(call, &StripeCall::pageReceived, this,
            [this, generation](int page, const QJsonArray &, qsizetype soFar) {
                if (generation != m_generation)
                    return;
                m_customerPages = page;
                m_report.pages = page;
                m_report.customers = int(soFar);
                emit progress(m_report.pages, m_report.customers, 0);
            });
    connect(call, &StripeCall::finished, this, [this, call, generation] {
        if (generation != m_generation)
            return;
        if (!takeCallOutcome(call))
            return;
        for (const QJsonValue &customer : call->items())
            m_report.stripeCustomers.append(customerFromJson(customer.toObject()));
        m_report.customers = int(m_report.stripeCustomers.size());
        call->deleteLater();
        listSubscriptions();
    });
}

void ReconciliationRun::listSubscriptions()
{
    // Every status: a canceled subscription the row still names is not an orphan.
    StripeCall *call =
        startList(QStringLiteral("/v1/subscriptions"),
                  {{QStringLiteral("limit"), PageSize}, {QStringLiteral("status"), QStringLiteral("all")}},
                  tr("Reading Stripe's subscriptions"));
    const quint64 generation = m_generation;
    connect(call, &StripeCall::pageReceived, this,
            [this, generation](int page, const QJsonArray &, qsizetype soFar) {
                if (generation != m_generation)
                    return;
                m_report.pages = m_customerPages + page;
                m_report.subscriptions = int(soFar);
                emit progress(m_report.pages, m_report.customers, m_report.subscriptions);
            });
    connect(call, &StripeCall::finished, this, [this, call, generation] {
        if (generation != m_generation)
            return;
        if (!takeCallOutcome(call))
            return;
        for (const QJsonValue &subscription : call->items())
            m_subscriptions.append(subscriptionFromJson(subscription.toObject()));
        m_report.subscriptions = int(m_subscriptions.size());
        call->deleteLater();
        readDatabase();
    });
}

bool ReconciliationRun::takeCallOutcome(StripeCall *call)
{
    m_call = nullptr;
    switch (call->outcome()) {
    case StripeCall::Outcome::Succeeded:
        if (!m_report.cancelled)
            return true;
        break; // cancelled between the last page and now
    case StripeCall::Outcome::Cancelled:
        m_report.cancelled = true;
        break;
    case StripeCall::Outcome::Failed:
    case StripeCall::Outcome::Pending:
        m_report.error = call->error();
        break;
    }
    call->deleteLater();
    finish();
    return false;
}

void ReconciliationRun::readDatabase()
{
    const QList<qint64> named = workspaceIdsNamedBy(m_report.stripeCustomers, m_subscriptions);
    const std::optional<qint64> workspace = m_workspace;
    if (!m_worker) {
        // The caller's connection of this thread: beaconctl waits anyway.
        DatabaseRows rows;
        const DbError error = readRows(m_database, named, workspace, &rows.workspaces, &rows.planOfPrice);
        compare(std::move(rows), error);
        return;
    }
    const quint64 generation = m_generation;
    m_requests->run<DatabaseRows>(
        m_requests->supersede(),
        [named, workspace](const QSqlDatabase &db, DatabaseRows &rows) {
            return readRows(db, named, workspace, &rows.workspaces, &rows.planOfPrice);
        },
        [this, generation](DatabaseRows rows, const DbError &error) {
            if (generation == m_generation)
                compare(std::move(rows), error);
        });
}

void ReconciliationRun::compare(DatabaseRows rows, const DbError &error)
{
    if (m_report.cancelled) {
        finish();
        return;
    }
    if (error) {
        m_report.error = error;
        finish();
        return;
    }
    m_report.workspaces = int(rows.workspaces.size());
    m_report.findings =
        reconcile(rows.workspaces, m_report.stripeCustomers, m_subscriptions, rows.planOfPrice);
    if (m_workspace)
        m_report.findings.removeIf(
            [id = *m_workspace](const Finding &finding) { return finding.workspaceId != id; });
    finish();
}

void ReconciliationRun::finishLater()
{
    const quint64 generation = m_generation;
    QMetaObject::invokeMethod(
        this,
        [this, generation] {
            if (generation == m_generation && m_running)
                finish();
        },
        Qt::QueuedConnection);
}

void ReconciliationRun::finish()
{
    if (!m_running)
        return;
    m_running = false;
    m_subscriptions.clear();
    if (m_report.cancelled)
        m_report.error = {};
    emit finished(m_report);
}

} // namespace beacon::billing
