#pragma once

#include "browse/keysetpager.h"
#include "db/connectionbudget.h"
#include "db/dberror.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QPointer>
#include <QSet>
#include <QStringList>

namespace beacon::models {

// A table of any size, read a block of rows at a time by key on one lane of the window's connections (the
// one worker, DbWorker). Rows not read yet show a placeholder; the row count of a big unfiltered table is the
// planner's estimate, and of a filtered one an exact count up to a cap. A reset supersedes every request
// before it: a statement still running for one is cancelled on the server, and its reply is dropped.
class PagedTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int BlockSize = 200;
    static constexpr qint64 ExactCountCap = 10000;
    // About 12,800 rows: many screens in each direction, and a few megabytes at most.
    static constexpr int MaxCachedBlocks = 64;

    PagedTableModel(browse::TableDefinition table, QStringList headers, QObject *parent = nullptr);
    ~PagedTableModel() override;

    // Starts (or restarts) reading through this lane of the window's connections. Nothing is read before.
    void setConnection(ConnectionBudget *budget, DbLane lane = DbLane::Browse);
    // Stops reading; the rows read so far stay, and replies still to come are dropped.
    void disconnectFromDatabase();
    void setSearch(const QString &text);
    // Narrows the table to the rows of one parent (TableDefinition::scopeColumn); nothing for all rows.
    void setScope(std::optional<qint64> scope);
    std::optional<qint64> scope() const { return m_scope; }
    // Column conditions, all of which must hold (browse::ColumnFilter); an empty list shows every row.
    void setFilters(const QList<browse::ColumnFilter> &filters);
    const QList<browse::ColumnFilter> &filters() const { return m_filters; }
    // Drops every row read so far and starts again (after a change elsewhere, or to measure a first page).
    void reload() { restart(); }
    QString search() const { return m_search; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    bool isSortable(int column) const;
    const browse::TableDefinition &table() const { return m_table; }
    QString columnTitle(int column) const { return m_headers.value(column); }
    bool isCountEstimated() const { return m_countEstimated; }
    bool isRowLoaded(int row) const;
    // How many blocks of rows are held now (at most MaxCachedBlocks).
    int cachedBlockCount() const { return int(m_blocks.size()); }
    bool isBusy() const { return !m_pending.isEmpty() || m_counting; }
    // This model's requests to its worker: how many replies were dropped as superseded, for tests.
    const DbRequester *requests() const { return m_requests; }
    int sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }

signals:
    void rowCountKnown(qint64 rows, bool estimated);
    void errorOccurred(const beacon::DbError &error);
    // Every block asked for has arrived.
    void idle();
    // A row on screen was changed by someone else and has been read again.
    void rowRefreshed(qint64 id);

private:
    struct CountReply {
        qint64 count = 0;
        bool estimated = false;
        std::optional<QList<qint64>> onlyIds;
        std::optional<QList<browse::Row>> firstBlock;
    };
    static DbError countAndReadFirstBlock(const QSqlDatabase &db, const browse::TableDefinition &table,
                                          browse::PageRequest request, CountReply *reply);
    browse::PageRequest baseRequest() const;
    void evictDistantBlocks();
    void restart();
    void requestBlock(int block) const;
    void blockArrived(int block, bool alignToEnd, bool exactPosition, int asked, QList<browse::Row> rows,
                      const DbError &error);
    void rowChangedOnServer(qint64 id, browse::Row row, bool found);
    void countArrived(CountReply reply, const DbError &error);
    void changeNotified(const QString &channel, const QString &payload);

    browse::TableDefinition m_table;
    QStringList m_headers;
    DbRequester *m_requests;
    QPointer<ConnectionBudget> m_budget;
    QString m_search;
    std::optional<qint64> m_scope;
    QList<browse::ColumnFilter> m_filters;
    // The ids matching a search or filter whose result is small (see browse::matchingIds).
    std::optional<QList<qint64>> m_onlyIds;
    mutable int m_lastRequestedBlock = 0;
    int m_sortColumn = -1;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    int m_rowCount = 0;
    bool m_countEstimated = false;
    bool m_counting = false;
    // Reading waits until the server listens for this table's changes (see setConnection).
    bool m_awaitingListen = false;
    // Sparse: block number → rows, and where in the block the first row sits (a block read backwards from
    // the end of the table may be short at its start).
    struct Block {
        int offset = 0;
        // Reached by key from the first row, so a short block really is the end of the table; blocks reached
        // through an estimated jump only know their position roughly.
        bool exactPosition = false;
        QList<browse::Row> rows;
    };
    QHash<int, Block> m_blocks;
    mutable QSet<int> m_pending;
};

} // namespace beacon::models
