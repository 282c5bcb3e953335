#include "usagesummarymodel.h"

#include "db/database.h"
#include "db/workersession.h"

#include <QCoreApplication>
#include <QLocale>
#include <QPointer>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

namespace beacon::models {

// Lives on the model's worker thread and owns that thread's connection.
class UsageSummaryWorker : public QObject {
public:
    UsageSummaryWorker(ConnectionSpec spec, int statementTimeoutMs, std::shared_ptr<WorkerSession> state)
        : m_spec(std::move(spec))
        , m_statementTimeoutMs(statementTimeoutMs)
        , m_state(std::move(state))
    {}

    // A request that was superseded while it waited in the queue is skipped unrun (*skipped is set).
    DbError run(quint64 generation, const browse::UsageSummaryRequest &request,
                QList<browse::UsageSummaryRow> *rows, bool *truncated, bool *skipped)
    {
        DbError error = attempt(generation, request, rows, truncated, skipped);
        // A session dropped while idle (a server restart, an idle timeout on the way) is no reason to bother
        // the person: the summary only reads, so it runs once more on a fresh connection.
        if (error && !*skipped && m_connection && !connectionAlive()) {
            forgetConnection();
            error = attempt(generation, request, rows, truncated, skipped);
            if (error && m_connection && !connectionAlive())
                forgetConnection();
        }
        return error;
    }

private:
    DbError attempt(quint64 generation, const browse::UsageSummaryRequest &request,
                    QList<browse::UsageSummaryRow> *rows, bool *truncated, bool *skipped)
    {
        *skipped = generation != m_state->latestGeneration.load();
        if (*skipped)
            return {};
        QSqlDatabase db;
        if (DbError openError = database(&db))
            return openError;
        const quint64 cancelsDoneBefore = m_state->cancelsFinished.load();
        m_state->runningGeneration = generation;
        // Checked again now that a cancel can see this request running: one that came in between would have
        // found nothing to cancel.
        *skipped = generation != m_state->latestGeneration.load();
        DbError error;
        if (!*skipped) {
            error = browse::fetchUsageSummary(db, request, rows, truncated);
            // A cancel aimed at the request before this one can land on this one instead; run it again then.
            // A statement timeout also fails with 57014, but with no cancel under way, and is reported.
            const bool cancelMayHaveHitUs = m_state->cancelsStarted.load() != cancelsDoneBefore;
            if (error.sqlState == QLatin1String("57014") && generation == m_state->latestGeneration.load() &&
                cancelMayHaveHitUs)
                error = browse::fetchUsageSummary(db, request, rows, truncated);
        }
        m_state->runningGeneration = 0;
        return error;
    }

    // QPSQL does not say that a failed statement failed because the session is gone; one trivial round trip
    // does, and it is only spent after an error.
    bool connectionAlive() const
    {
        const QSqlDatabase db = m_connection->database();
        if (!db.isOpen()) // QPSQL closes it itself when libpq reports the session gone
            return false;
        QSqlQuery probe(db);
        return probe.exec(QStringLiteral("SELECT 1"));
    }

    // Opened on first use, inside the worker thread, as a QSqlDatabase must be.
    DbError database(QSqlDatabase *db)
    {
        if (!m_connection) {
            DbError error;
            m_connection = Connection::open(m_spec, QStringLiteral("usage-summary"), &error);
            if (!m_connection)
                return error;
            if (DbError setupError = limitStatementTime()) {
                forgetConnection();
                return setupError;
            }
            m_state->backendPid = m_connection->backendPid();
        }
        *db = m_connection->database();
        return {};
    }

    // The server stops a runaway summary by itself, should a cancel never reach it.
    DbError limitStatementTime() const
    {
        QSqlQuery query(m_connection->database());
        query.prepare(QStringLiteral("SELECT set_config('statement_timeout', CAST(:ms AS text), false)"));
        query.bindValue(QStringLiteral(":ms"), QString::number(m_statementTimeoutMs));
        if (!query.exec())
            return DbError::fromSql(
                query.lastError(),
                QCoreApplication::translate("beacon::models::UsageSummaryModel", "Preparing the session"));
        return {};
    }

    void forgetConnection()
    {
        m_state->backendPid = 0;
        m_connection.reset();
    }

    ConnectionSpec m_spec;
    int m_statementTimeoutMs;
    std::shared_ptr<WorkerSession> m_state;
    std::unique_ptr<Connection> m_connection;
};

UsageSummaryModel::UsageSummaryModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

UsageSummaryModel::~UsageSummaryModel()
{
    // The statement on the server is stopped first, so the wait for the worker is short.
    shutDownWorker(true);
}

void UsageSummaryModel::shutDownWorker(bool wait)
{
    if (!m_thread)
        return;
    ++m_generation; // whatever the old worker still sends is dropped
    m_state->latestGeneration = m_generation;
    stopStaleQuery();
    QThread *thread = m_thread;
    m_thread = nullptr;
    m_worker = nullptr;
    // The worker and its connection are deleted on their own thread as it finishes. Unless this model is
    // going away, the thread is not waited for: it deletes itself once the stopped statement returns.
    thread->setParent(nullptr);
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->quit();
    if (wait) {
        thread->wait();
        delete thread;
    }
}

void UsageSummaryModel::setConnection(const ConnectionSpec &spec)
{
    shutDownWorker(false);
    m_spec = spec;
    m_state = std::make_shared<WorkerSession>();
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("usage-summary-worker"));
    m_worker = new UsageSummaryWorker(spec, m_statementTimeoutMs, m_state);
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
    // Rows of another database must not stay on screen as if they were this one's.
    beginResetModel();
    m_rows.clear();
    m_truncated = false;
    endResetModel();
    setBusy(false);
}

void UsageSummaryModel::setRequest(const browse::UsageSummaryRequest &request)
{
    const bool headersChange = request.grouping != m_request.grouping || request.period != m_request.period;
    beginResetModel();
    ++m_generation;
    m_request = request;
    m_rows.clear();
    m_truncated = false;
    endResetModel();
    if (headersChange)
        emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
    if (!m_worker) {
        setBusy(false);
        emit errorOccurred(DbError::make(ErrorKind::Usage, tr("Connect to a database first.")));
        return;
    }
    m_state->latestGeneration = m_generation;
    stopStaleQuery();
    setBusy(true);

    const quint64 generation = m_generation;
    UsageSummaryWorker *worker = m_worker;
    QPointer<UsageSummaryModel> self(this);
    QMetaObject::invokeMethod(worker, [worker, self, generation, request] {
        Reply reply;
        bool skipped = false;
        reply.error = worker->run(generation, request, &reply.rows, &reply.truncated, &skipped);
        if (skipped)
            return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, reply = std::move(reply)]() mutable {
                if (self)
                    self->replyArrived(generation, std::move(reply));
            },
            Qt::QueuedConnection);
    });
}

void UsageSummaryModel::cancel()
{
    if (!m_busy)
        return;
    ++m_generation;
    if (m_state)
        m_state->latestGeneration = m_generation;
    stopStaleQuery();
    setBusy(false);
}

void UsageSummaryModel::stopStaleQuery() const
{
    WorkerSession::cancelStale(m_state, m_spec, m_generation);
}

void UsageSummaryModel::replyArrived(quint64 generation, Reply reply)
{
    // A reply to a request that was replaced or cancelled, its 57014 from our own cancel included.
    if (generation != m_generation)
        return;
    if (reply.error) {
        setBusy(false);
        emit errorOccurred(reply.error);
        return;
    }
    if (!reply.rows.isEmpty()) {
        beginInsertRows({}, 0, int(reply.rows.size()) - 1);
        m_rows = std::move(reply.rows);
        endInsertRows();
    }
    m_truncated = reply.truncated;
    setBusy(false);
    emit finished(m_truncated);
}

void UsageSummaryModel::setBusy(bool busy)
{
    if (busy == m_busy)
        return;
    m_busy = busy;
    emit busyChanged(busy);
}

int UsageSummaryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int UsageSummaryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant UsageSummaryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const browse::UsageSummaryRow &row = m_rows.at(index.row());
    const bool keyIsNumber = m_request.grouping != browse::UsageGrouping::Model;
    switch (role) {
    case Qt::EditRole:
        switch (index.column()) {
        case PeriodColumn:
            return row.periodStart;
        case GroupColumn:
            return row.groupKey;
        case RequestsColumn:
            return row.requests;
        case InputTokensColumn:
            return row.inputTokens;
        case OutputTokensColumn:
            return row.outputTokens;
        case CostColumn:
            return row.costUsd;
        }
        return {};
    case Qt::DisplayRole: {
        const QLocale locale;
        switch (index.column()) {
        case PeriodColumn:
            return row.periodStart;
        case GroupColumn:
            if (!row.groupKey.isValid())
                return m_request.grouping == browse::UsageGrouping::User ? tr("(no user)") : tr("(none)");
            return row.groupKey.toString();
        case RequestsColumn:
            return locale.toString(row.requests);
        case InputTokensColumn:
            return locale.toString(row.inputTokens);
        case OutputTokensColumn:
            return locale.toString(row.outputTokens);
        case CostColumn:
            // The server's exact text: money is never passed through a double.
            return row.costUsd;
        }
        return {};
    }
    case Qt::ToolTipRole:
        if (index.column() == GroupColumn && !row.groupKey.isValid())
            return tr("Usage not tied to a user, or whose user has been deleted.");
        return {};
    case Qt::TextAlignmentRole: {
        // Numbers line up by their last digit, as in a spreadsheet; ids are numbers too.
        const bool numeric =
            index.column() >= RequestsColumn || (index.column() == GroupColumn && keyIsNumber);
        return numeric ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                       : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    }
    default:
        return {};
    }
}

QVariant UsageSummaryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::TextAlignmentRole)
        return section >= RequestsColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case PeriodColumn:
        return m_request.period == browse::UsagePeriod::Month ? tr("Month (UTC)") : tr("Day (UTC)");
    case GroupColumn:
        switch (m_request.grouping) {
        case browse::UsageGrouping::Workspace:
            return tr("Workspace id");
        case browse::UsageGrouping::User:
            return tr("User id");
        case browse::UsageGrouping::Model:
            return tr("Model");
        }
        return {};
    case RequestsColumn:
        return tr("Requests");
    case InputTokensColumn:
        return tr("Input tokens");
    case OutputTokensColumn:
        return tr("Output tokens");
    case CostColumn:
        return tr("Cost (USD)");
    }
    return {};
}

} // namespace beacon::models
