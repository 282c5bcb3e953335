#include "usagesummarymodel.h"

#include <QCoreApplication>
#include <QLocale>
#include <QSqlError>
#include <QSqlQuery>

namespace beacon::models {

// The server stops a runaway summary by itself, should a cancel never reach it. The connection is shared
// with the rest of the window, so the limit is set for this statement and taken off after it.
static DbError readSummary(const QSqlDatabase &db, const browse::UsageSummaryRequest &request,
                           int statementTimeoutMs, QList<browse::UsageSummaryRow> *rows, bool *truncated)
{
    const QString doing =
        QCoreApplication::translate("beacon::models::UsageSummaryModel", "Preparing the session");
    QSqlQuery limit(db);
    limit.prepare(QStringLiteral("SELECT set_config('statement_timeout', CAST(:ms AS text), false)"));
    limit.bindValue(QStringLiteral(":ms"), QString::number(statementTimeoutMs));
    if (!limit.exec())
        return DbError::fromSql(limit.lastError(), doing);
    DbError error = browse::fetchUsageSummary(db, request, rows, truncated);
    QSqlQuery reset(db);
    if (!reset.exec(QStringLiteral("RESET statement_timeout")) && !error)
        error = DbError::fromSql(reset.lastError(), doing);
    return error;
}

UsageSummaryModel::UsageSummaryModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_requests(new DbRequester(this))
{}

UsageSummaryModel::~UsageSummaryModel() = default;

void UsageSummaryModel::setConnection(ConnectionBudget *budget, DbLane lane)
{
    m_requests->setWorker(budget ? budget->worker(lane) : nullptr);
    // Rows of another database must not stay on screen as if they were this one's.
    beginResetModel();
    m_rows.clear();
    m_truncated = false;
    endResetModel();
    setBusy(false);
}

void UsageSummaryModel::disconnectFromDatabase()
{
    m_requests->setWorker(nullptr);
    setBusy(false);
}

void UsageSummaryModel::setRequest(const browse::UsageSummaryRequest &request)
{
    const bool headersChange = request.grouping != m_request.grouping || request.period != m_request.period;
    beginResetModel();
    m_request = request;
    m_rows.clear();
    m_truncated = false;
    endResetModel();
    if (headersChange)
        emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
    const DbTicket ticket = m_requests->supersede();
    if (!m_requests->hasWorker()) {
        setBusy(false);
        emit errorOccurred(DbError::make(ErrorKind::Usage, tr("Connect to a database first.")));
        return;
    }
    setBusy(true);
    const int timeoutMs = m_statementTimeoutMs;
    m_requests->run<Reply>(
        ticket,
        [request, timeoutMs](const QSqlDatabase &db, Reply &reply) {
            return readSummary(db, request, timeoutMs, &reply.rows, &reply.truncated);
        },
        [this](Reply reply, const DbError &error) { replyArrived(std::move(reply), error); });
}

void UsageSummaryModel::cancel()
{
    if (!m_busy)
        return;
    m_requests->supersede();
    setBusy(false);
}

void UsageSummaryModel::replyArrived(Reply reply, const DbError &error)
{
    // Only the current request's reply comes here: the requester drops the ones superseded.
    if (error) {
        setBusy(false);
        emit errorOccurred(error);
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
