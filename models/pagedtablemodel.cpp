#include "pagedtablemodel.h"

#include "db/database.h"

#include <QPointer>
#include <QSqlDriver>
#include <QThread>

namespace beacon::models {

// Lives on the model's worker thread and owns that thread's connection.
class PageWorker : public QObject {
public:
    PageWorker(ConnectionSpec spec, browse::TableDefinition table)
        : m_spec(std::move(spec))
        , m_table(std::move(table))
    {}

    // Opened on first use, inside the worker thread, as a QSqlDatabase must be.
    DbError database(QSqlDatabase *db)
    {
        if (!m_connection) {
            DbError error;
            m_connection = Connection::open(m_spec, QStringLiteral("browse"), &error);
            if (!m_connection)
                return error;
            listenForChanges();
        }
        *db = m_connection->database();
        return {};
    }

    // Called in the worker thread with the id of a row that changed and what it holds now.
    std::function<void(qint64 id, browse::Row row, bool found)> onRowChanged;

    const browse::TableDefinition &table() const { return m_table; }

private:
    // The server announces changed rows; the notification arrives on this thread's event loop, and only the
    // row it names is read again.
    void listenForChanges()
    {
        if (m_table.changeChannel.isEmpty())
            return;
        QSqlDriver *driver = m_connection->database().driver();
        if (!driver->subscribeToNotification(m_table.changeChannel))
            return;
        connect(driver, &QSqlDriver::notification, this,
                [this](const QString &, QSqlDriver::NotificationSource, const QVariant &payload) {
                    bool ok = false;
                    const qint64 id = payload.toString().toLongLong(&ok);
                    if (!ok || !onRowChanged)
                        return;
                    browse::Row row;
                    bool found = false;
                    if (!browse::fetchRowById(m_connection->database(), m_table, id, &row, &found))
                        onRowChanged(id, std::move(row), found);
                });
    }

    ConnectionSpec m_spec;
    browse::TableDefinition m_table;
    std::unique_ptr<Connection> m_connection;
};

PagedTableModel::PagedTableModel(browse::TableDefinition table, QStringList headers, QObject *parent)
    : QAbstractTableModel(parent)
    , m_table(std::move(table))
    , m_headers(std::move(headers))
{
    Q_ASSERT(m_headers.size() == m_table.columns.size());
}

PagedTableModel::~PagedTableModel()
{
    disconnectFromDatabase(WorkerShutdown::Wait);
}

void PagedTableModel::disconnectFromDatabase(WorkerShutdown shutdown)
{
    if (!m_thread)
        return;
    QThread *thread = m_thread;
    m_thread = nullptr;
    m_worker = nullptr;
    ++m_generation; // anything still queued from the old worker is dropped
    // The worker and its connection are deleted as the thread finishes, on that thread. The thread object
    // outlives this model if it must: a query still running on the server is not waited for on the GUI
    // thread unless the caller asks to (at shutdown, before the server it talks to is stopped).
    thread->setParent(nullptr);
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->quit();
    if (shutdown == WorkerShutdown::Wait) {
        thread->wait();
        delete thread;
    }
}

void PagedTableModel::setConnection(const ConnectionSpec &spec)
{
    disconnectFromDatabase(WorkerShutdown::InBackground);
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("browse-worker"));
    m_worker = new PageWorker(spec, m_table);
    QPointer<PagedTableModel> self(this);
    m_worker->onRowChanged = [self](qint64 id, browse::Row row, bool found) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, id, row = std::move(row), found]() mutable {
                if (self)
                    self->rowChangedOnServer(id, std::move(row), found);
            },
            Qt::QueuedConnection);
    };
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
    restart();
}

void PagedTableModel::setSearch(const QString &text)
{
    if (text == m_search)
        return;
    m_search = text;
    restart();
}

void PagedTableModel::setScope(std::optional<qint64> scope)
{
    if (scope == m_scope)
        return;
    m_scope = scope;
    restart();
}

void PagedTableModel::sort(int column, Qt::SortOrder order)
{
    const int sortColumn = isSortable(column) ? column : -1;
    if (sortColumn == m_sortColumn && order == m_sortOrder)
        return;
    m_sortColumn = sortColumn;
    m_sortOrder = order;
    restart();
}

bool PagedTableModel::isSortable(int column) const
{
    return column >= 0 && column < m_table.columns.size() && m_table.columns.at(column).sortable;
}

void PagedTableModel::restart()
{
    beginResetModel();
    ++m_generation;
    m_blocks.clear();
    m_pending.clear();
    m_rowCount = 0;
    m_countEstimated = false;
    endResetModel();
    if (!m_worker)
        return;
    m_counting = true;
    const quint64 generation = m_generation;
    const QString search = m_search;
    const std::optional<qint64> scope = m_scope;
    PageWorker *worker = m_worker;
    QPointer<PagedTableModel> self(this);
    QMetaObject::invokeMethod(worker, [worker, self, generation, search, scope] {
        QSqlDatabase db;
        DbError error = worker->database(&db);
        qint64 count = 0;
        bool estimated = false;
        if (!error && search.isEmpty() && !scope) {
            error = browse::estimateRowCount(db, worker->table(), &count);
            estimated = true;
        }
        // A small or filtered table gets its exact count; only a big one is left to the estimate.
        if (!error && (!estimated || count < ExactCountCap)) {
            error = browse::countUpTo(db, worker->table(), search, ExactCountCap, &count, scope);
            estimated = count >= ExactCountCap;
        }
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, count, estimated, error] {
                if (self)
                    self->countArrived(generation, count, estimated, error);
            },
            Qt::QueuedConnection);
    });
}

void PagedTableModel::countArrived(quint64 generation, qint64 count, bool estimated, DbError error)
{
    if (generation != m_generation)
        return;
    m_counting = false;
    if (error) {
        emit errorOccurred(error);
        emit idle();
        return;
    }
    const int rows = int(std::clamp<qint64>(count, 0, std::numeric_limits<int>::max()));
    m_countEstimated = estimated;
    if (rows > 0) {
        beginInsertRows({}, 0, rows - 1);
        m_rowCount = rows;
        endInsertRows();
    }
    emit rowCountKnown(count, estimated);
    if (rows == 0)
        emit idle();
}

int PagedTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rowCount;
}

int PagedTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_table.columns.size());
}

bool PagedTableModel::isRowLoaded(int row) const
{
    const auto block = m_blocks.constFind(row / BlockSize);
    if (block == m_blocks.constEnd())
        return false;
    const int inBlock = row % BlockSize - block->offset;
    return inBlock >= 0 && inBlock < block->rows.size();
}

QVariant PagedTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int blockNumber = index.row() / BlockSize;
    const auto block = m_blocks.constFind(blockNumber);
    if (block == m_blocks.constEnd()) {
        requestBlock(blockNumber);
        return role == Qt::DisplayRole ? QVariant(tr("…")) : QVariant();
    }
    const int inBlock = index.row() % BlockSize - block->offset;
    if (inBlock < 0 || inBlock >= block->rows.size())
        return {};
    const QVariant &value = block->rows.at(inBlock).values.at(index.column());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::EditRole:
        if (value.typeId() == QMetaType::Bool)
            return value.toBool() ? tr("yes") : tr("no");
        return value;
    case Qt::ToolTipRole:
        return value.isNull() ? tr("empty") : QVariant();
    case Qt::TextAlignmentRole: {
        // Numbers line up by their last digit, as in a spreadsheet.
        const int type = value.typeId();
        const bool numeric = type == QMetaType::LongLong || type == QMetaType::ULongLong ||
                             type == QMetaType::Int || type == QMetaType::Double;
        return numeric ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    }
    default:
        return {};
    }
}

QVariant PagedTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= m_headers.size())
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole)
        return m_headers.at(section);
    if (role == Qt::ToolTipRole)
        return isSortable(section) ? tr("Click to sort by this column.")
                                   : tr("This column cannot be sorted.");
    return {};
}

void PagedTableModel::requestBlock(int block) const
{
    if (!m_worker || m_pending.contains(block))
        return;
    m_pending.insert(block);
    // Where to start reading, by key: after the block above, before the block below, at either end of the
    // table, or at a position estimated from the planner's statistics. Never by OFFSET.
    browse::PageRequest request;
    request.sortColumn = m_sortColumn;
    request.order = m_sortOrder;
    request.search = m_search;
    request.scope = m_scope;
    request.limit = BlockSize;
    const int lastBlock = (m_rowCount - 1) / BlockSize;
    bool alignToEnd = false;
    bool exactPosition = false;
    double jumpFraction = -1;
    const auto above = m_blocks.constFind(block - 1);
    const auto below = m_blocks.constFind(block + 1);
    if (block == 0) {
        exactPosition = true;
    } else if (above != m_blocks.constEnd() && !above->rows.isEmpty() && above->offset == 0 &&
               above->rows.size() == BlockSize) {
        request.from = above->rows.last().cursor;
        exactPosition = above->exactPosition;
    } else if (below != m_blocks.constEnd() && !below->rows.isEmpty() && below->offset == 0) {
        request.direction = browse::Direction::Backward;
        request.from = below->rows.first().cursor;
    } else if (block == lastBlock) {
        request.direction = browse::Direction::Backward;
        request.limit = m_rowCount - block * BlockSize;
        alignToEnd = true;
    } else {
        jumpFraction = double(block * BlockSize) / double(std::max(1, m_rowCount));
    }
    const quint64 generation = m_generation;
    PageWorker *worker = m_worker;
    QPointer<PagedTableModel> self(const_cast<PagedTableModel *>(this));
    QMetaObject::invokeMethod(worker, [worker, self, generation, block, request, alignToEnd, exactPosition,
                                       jumpFraction]() mutable {
        QSqlDatabase db;
        DbError error = worker->database(&db);
        if (!error && jumpFraction >= 0)
            error = browse::estimateCursorAt(db, worker->table(), request.sortColumn, request.order,
                                             jumpFraction, &request.from);
        QList<browse::Row> rows;
        if (!error)
            error = browse::fetchPage(db, worker->table(), request, &rows);
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, block, alignToEnd, exactPosition, asked = request.limit,
             rows = std::move(rows), error]() mutable {
                if (self)
                    self->blockArrived(generation, block, alignToEnd, exactPosition, asked, std::move(rows),
                                       error);
            },
            Qt::QueuedConnection);
    });
}

void PagedTableModel::blockArrived(quint64 generation, int block, bool alignToEnd, bool exactPosition,
                                   int asked, QList<browse::Row> rows, DbError error)
{
    if (generation != m_generation)
        return; // the table was reset since this was asked for
    m_pending.remove(block);
    if (error) {
        emit errorOccurred(error);
    } else {
        // Read forward from the first row and came back short: this is the real end of the table, wherever
        // the estimate put it.
        const int realEnd = block * BlockSize + int(rows.size());
        if (exactPosition && int(rows.size()) < asked && realEnd < m_rowCount) {
            beginRemoveRows({}, realEnd, m_rowCount - 1);
            m_rowCount = realEnd;
            m_countEstimated = false;
            m_blocks.removeIf([block](const auto &entry) { return entry.key() > block; });
            endRemoveRows();
        }
        // Read forward from the first row and found more than the estimate promised: make room for them.
        const int blockStart = block * BlockSize;
        if (exactPosition && int(rows.size()) == asked && blockStart + int(rows.size()) >= m_rowCount) {
            const int grown = blockStart + int(rows.size()) + 1;
            beginInsertRows({}, m_rowCount, grown - 1);
            m_rowCount = grown;
            endInsertRows();
        }
        Block entry;
        entry.exactPosition = exactPosition;
        if (alignToEnd)
            entry.offset = std::max(0, (m_rowCount - block * BlockSize) - int(rows.size()));
        entry.rows = std::move(rows);
        const int first = block * BlockSize;
        const int last = std::min(m_rowCount, first + BlockSize) - 1;
        m_blocks.insert(block, std::move(entry));
        if (last >= first)
            emit dataChanged(index(first, 0), index(last, columnCount() - 1), {Qt::DisplayRole});
    }
    if (m_pending.isEmpty())
        emit idle();
}

void PagedTableModel::rowChangedOnServer(qint64 id, browse::Row row, bool found)
{
    // The row keeps its place (its cursor) until the next reload; a deleted row keeps its last values.
    if (!found)
        return;
    for (auto block = m_blocks.begin(); block != m_blocks.end(); ++block) {
        for (int i = 0; i < block->rows.size(); ++i) {
            browse::Row &cached = block->rows[i];
            if (cached.cursor.id != id)
                continue;
            cached.values = row.values;
            const int modelRow = block.key() * BlockSize + block->offset + i;
            if (modelRow < m_rowCount)
                emit dataChanged(index(modelRow, 0), index(modelRow, columnCount() - 1));
            emit rowRefreshed(id);
        }
    }
}

} // namespace beacon::models
