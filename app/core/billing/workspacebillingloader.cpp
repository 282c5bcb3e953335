#include "billing/workspacebillingloader.h"

#include "billing/stripeclient.h"

namespace beacon::billing {

WorkspaceBillingLoader::WorkspaceBillingLoader(QObject *parent)
    : QObject(parent)
    , m_requests(new DbRequester(this))
{}

WorkspaceBillingLoader::~WorkspaceBillingLoader()
{
    abortCalls();
}

void WorkspaceBillingLoader::setWorker(DbWorker *worker)
{
    cancel();
    m_requests->setWorker(worker);
}

void WorkspaceBillingLoader::setStripeAccess(const StripeAccess &access)
{
    cancel();
    delete m_client;
    m_client = access.isComplete()
                   ? new StripeClient(*access.key, *access.endpoint, access.clientOptions, this)
                   : nullptr;
}

void WorkspaceBillingLoader::load(qint64 workspace)
{
    cancel();
    const DbTicket ticket = m_requests->supersede();
    if (!m_client) {
        finish(DbError::make(ErrorKind::Usage,
                             tr("Stripe is not set up for this connection: the console has no Stripe key "
                                "for it. Until profiles keep one, only the demo (File → Open the demo "
                                "database) talks to Stripe; the row's own billing is on the Subscription "
                                "tab.")));
        return;
    }
    if (!m_requests->hasWorker()) {
        finish(DbError::make(ErrorKind::Usage, tr("Connect to a database first (File → Connect…).")));
        return;
    }
    m_step = Step::Database;
    setBusy(true);
    m_requests->run<BillingDatabaseSide>(
        ticket,
        [workspace](const QSqlDatabase &db, BillingDatabaseSide &side) {
            return readBillingDatabaseSide(db, workspace, &side);
        },
        [this](BillingDatabaseSide side, const DbError &error) { databaseArrived(std::move(side), error); });
}

void WorkspaceBillingLoader::loadFrom(const BillingDatabaseSide &database)
{
    cancel();
    databaseArrived(database, {});
}

void WorkspaceBillingLoader::cancel()
{
    // The database job's reply, should it still come, is dropped by the requester.
    if (m_step == Step::Database)
        m_requests->supersede();
    abortCalls();
    m_step = Step::Idle;
    setBusy(false);
}

void WorkspaceBillingLoader::databaseArrived(BillingDatabaseSide database, const DbError &error)
{
    if (error) {
        finish(error);
        return;
    }
    if (!m_client) {
        finish(DbError::make(ErrorKind::Usage, tr("Stripe is not set up for this connection.")));
        return;
    }
    m_database = std::move(database);
    m_stripe = {};
    setBusy(true);
    askFirst();
}

void WorkspaceBillingLoader::askFirst()
{
    m_step = Step::First;
    const WorkspaceBilling &row = m_database.row;
    // A login that does not see amounts asks for nothing else: what it may not see never leaves Stripe.
    if (!row.stripeCustomerId.isEmpty() && m_database.seesAmounts)
        ask(
            QStringLiteral("/v1/customers/") + row.stripeCustomerId,
            {{QStringLiteral("expand"),
              QStringList{QStringLiteral("invoice_settings.default_payment_method")}}},
            tr("Reading the Stripe customer"),
            [this](StripeCall *call) { m_stripe.customer = call->object(); }, true);
    if (!row.stripeSubscriptionId.isEmpty())
        ask(
            QStringLiteral("/v1/subscriptions/") + row.stripeSubscriptionId, {},
            tr("Reading the Stripe subscription"),
            [this](StripeCall *call) { m_stripe.subscription = call->object(); }, true);
    if (m_calls.isEmpty())
        askInvoices();
}

void WorkspaceBillingLoader::askInvoices()
{
    m_step = Step::Invoices;
    if (m_database.seesAmounts && !m_stripe.customer.isEmpty()) {
        const QString customerId = m_database.row.stripeCustomerId;
        ask(
            QStringLiteral("/v1/invoices"),
            {{QStringLiteral("customer"), customerId}, {QStringLiteral("limit"), 12}},
            tr("Reading the last invoices"),
            [this](StripeCall *call) {
                m_stripe.invoices = call->object().value(QStringLiteral("data")).toArray();
            },
            false);
        if (!m_stripe.subscription.isEmpty())
            ask(
                QStringLiteral("/v1/invoices/upcoming"),
                {{QStringLiteral("customer"), customerId},
                 {QStringLiteral("subscription"),
                  m_stripe.subscription.value(QStringLiteral("id")).toString()}},
                tr("Reading the upcoming invoice"),
                [this](StripeCall *call) { m_stripe.upcoming = call->object(); }, true);
    }
    if (m_calls.isEmpty())
        finish({});
}

void WorkspaceBillingLoader::ask(const QString &path, const StripeParams &params,
                                 const QString &whatWeWereDoing, std::function<void(StripeCall *)> keep,
                                 bool missingIsEmpty)
{
    StripeCall *call = m_client->get(path, params, whatWeWereDoing);
    m_calls.append(call);
    connect(call, &StripeCall::finished, this, [this, call, keep = std::move(keep), missingIsEmpty] {
        callFinished(call, keep, missingIsEmpty);
    });
}

void WorkspaceBillingLoader::callFinished(StripeCall *call, const std::function<void(StripeCall *)> &keep,
                                          bool missingIsEmpty)
{
    m_calls.removeAll(call);
    call->deleteLater();
    if (call->outcome() == StripeCall::Outcome::Failed && !(missingIsEmpty && call->httpStatus() == 404)) {
        finish(call->error());
        return;
    }
    if (call->outcome() == StripeCall::Outcome::Succeeded)
        keep(call);
    if (!m_calls.isEmpty())
        return;
    if (m_step == Step::First)
        askInvoices();
    else
        finish({});
}

void WorkspaceBillingLoader::abortCalls()
{
    const QList<QPointer<StripeCall>> calls = std::exchange(m_calls, {});
    for (const QPointer<StripeCall> &call : calls) {
        if (!call)
            continue;
        disconnect(call, nullptr, this, nullptr);
        call->cancel();
        call->deleteLater();
    }
}

void WorkspaceBillingLoader::finish(const DbError &error)
{
    abortCalls();
    if (error) {
        m_report = {};
        m_report.error = error;
    } else {
        m_report = buildBillingReport(m_database, m_stripe);
    }
    m_step = Step::Idle;
    setBusy(false);
    emit finished();
}

void WorkspaceBillingLoader::setBusy(bool busy)
{
    if (busy == m_busy)
        return;
    m_busy = busy;
    emit busyChanged(busy);
}

} // namespace beacon::billing
