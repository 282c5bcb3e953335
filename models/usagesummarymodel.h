#pragma once

#include "browse/usagesummary.h"
#include "db/connectionbudget.h"
#include "db/dberror.h"

#include <QAbstractTableModel>
#include <QPointer>

namespace beacon::models {

// AI usage summed per period and group (browse::fetchUsageSummary), read on the Detail lane of the window's
// connections. Each request replaces the rows of the one before. A newer request or cancel() stops the
// statement still running on the server, and its late reply is dropped; an error of the current request
// (a timeout included) is reported through errorOccurred.
class UsageSummaryModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        PeriodColumn,
        GroupColumn,
        RequestsColumn,
        InputTokensColumn,
        OutputTokensColumn,
        CostColumn
    };
    static constexpr int ColumnCount = CostColumn + 1;
    // The server gives up on a summary after this long, in case a cancel never reaches it: a summary that
    // takes longer is asking too much of a production database anyway.
    static constexpr int DefaultStatementTimeoutMs = 120000;

    explicit UsageSummaryModel(QObject *parent = nullptr);
    ~UsageSummaryModel() override;

    // The connections to read through. Nothing is read until the first setRequest().
    void setConnection(ConnectionBudget *budget, DbLane lane = DbLane::Detail);
    // Applies to the requests made after this call.
    void setStatementTimeout(int milliseconds) { m_statementTimeoutMs = milliseconds; }
    // Clears the rows and starts reading this summary; a summary still being read is stopped.
    void setRequest(const browse::UsageSummaryRequest &request);
    // Stops the summary being read, on the server too. The rows stay empty; nothing is reported.
    void cancel();
    // Stops reading; a summary under way is stopped on the server and its reply dropped.
    void disconnectFromDatabase();
    bool isBusy() const { return m_busy; }
    const browse::UsageSummaryRequest &request() const { return m_request; }
    const QList<browse::UsageSummaryRow> &summaryRows() const { return m_rows; }
    // More groups matched than the request's limit; the rows are the first of them.
    bool isTruncated() const { return m_truncated; }
    // This model's requests to its worker: how many replies were dropped as superseded, for tests.
    const DbRequester *requests() const { return m_requests; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    // DisplayRole is for people (a missing user reads "(no user)"); EditRole is the raw value: the period's
    // text, the id as qint64 or the model as text (invalid for no user), counts as qint64, the cost as exact
    // numeric text.
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    // The rows of the current request are in.
    void finished(bool truncated);
    void errorOccurred(const beacon::DbError &error);
    void busyChanged(bool busy);

private:
    struct Reply {
        QList<browse::UsageSummaryRow> rows;
        bool truncated = false;
    };
    void replyArrived(Reply reply, const DbError &error);
    void setBusy(bool busy);

    DbRequester *m_requests;
    int m_statementTimeoutMs = DefaultStatementTimeoutMs;
    browse::UsageSummaryRequest m_request;
    QList<browse::UsageSummaryRow> m_rows;
    bool m_truncated = false;
    bool m_busy = false;
};

} // namespace beacon::models
