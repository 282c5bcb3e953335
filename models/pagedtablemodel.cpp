#include "pagedtablemodel.h"

namespace beacon::models {

PagedTableModel::PagedTableModel(browse::TableDefinition table, QStringList headers, QObject *parent)
    : QAbstractTableModel(parent)
    , m_table(std::move(table))
    , m_headers(std::move(headers))
    , m_requests(new DbRequester(this))
{
    Q_ASSERT(m_headers.size() == m_table.columns.size());
}

PagedTableModel::~PagedTableModel() = default;

void PagedTableModel::disconnectFromDatabase()
{
    if (m_budget)
        disconnect(m_budget, nullptr, this, nullptr);
    m_budget = nullptr;
    m_requests->setWorker(nullptr);
    m_counting = false;
    m_awaitingListen = false;
    m_pending.clear();
}

void PagedTableModel::setConnection(ConnectionBudget *budget, DbLane lane)
{
    disconnectFromDatabase();
    m_budget = budget;
    if (budget) {
        m_requests->setWorker(budget->worker(lane));
        // The server announces changed rows on the Listen lane; only a row on screen is read again. The
        // first read waits until the server listens, so that a change made in between is not missed.
        if (!m_table.changeChannel.isEmpty()) {
            connect(budget, &ConnectionBudget::notified, this, &PagedTableModel::changeNotified);
            if (!budget->isListenAnswered(m_table.changeChannel)) {
                m_awaitingListen = true;
                connect(budget, &ConnectionBudget::listening, this, [this](const QString &channel) {
                    if (channel != m_table.changeChannel || !m_awaitingListen)
                        return;
                    m_awaitingListen = false;
                    restart();
                });
            }
            budget->listen(m_table.changeChannel);
        }
    }
    restart();
}

void PagedTableModel::changeNotified(const QString &channel, const QString &payload)
{
    if (channel != m_table.changeChannel || !m_requests->hasWorker())
        return;
    bool ok = false;
    const qint64 id = payload.toLongLong(&ok);
    if (!ok)
        return;
    const bool cached = std::any_of(m_blocks.cbegin(), m_blocks.cend(), [id](const Block &block) {
        return std::any_of(block.rows.cbegin(), block.rows.cend(),
                           [id](const browse::Row &row) { return row.cursor.id == id; });
    });
    if (!cached)
        return;
    struct Changed {
        browse::Row row;
        bool found = false;
    };
    const browse::TableDefinition table = m_table;
    m_requests->run<Changed>(
        m_requests->latest(),
        [table, id](const QSqlDatabase &db, Changed &changed) {
            return browse::fetchRowById(db, table, id, &changed.row, &changed.found);
        },
        [this, id](Changed changed, const DbError &error) {
            if (!error)
                rowChangedOnServer(id, std::move(changed.row), changed.found);
        });
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

void PagedTableModel::setFilters(const QList<browse::ColumnFilter> &filters)
{
    if (filters == m_filters)
        return;
    m_filters = filters;
    restart();
}

browse::PageRequest PagedTableModel::baseRequest() const
{
    browse::PageRequest request;
    request.sortColumn = m_sortColumn;
    request.order = m_sortOrder;
    request.search = m_search;
    request.scope = m_scope;
    request.filters = m_filters;
    request.onlyIds = m_onlyIds;
    request.limit = BlockSize;
    return request;
}

void PagedTableModel::restart()
{
    beginResetModel();
    m_blocks.clear();
    m_pending.clear();
    m_onlyIds.reset();
    m_rowCount = 0;
    m_countEstimated = false;
    endResetModel();
    const DbTicket ticket = m_requests->supersede();
    if (!m_requests->hasWorker())
        return;
    m_counting = true;
    if (m_awaitingListen)
        return; // read once the server listens
    const browse::PageRequest request = baseRequest();
    const browse::TableDefinition table = m_table;
    // One job counts and reads the first block, so the first page needs one trip to the worker, not two.
    m_requests->run<CountReply>(
        ticket,
        [table, request](const QSqlDatabase &db, CountReply &reply) {
            return countAndReadFirstBlock(db, table, request, &reply);
        },
        [this](CountReply reply, const DbError &error) { countArrived(std::move(reply), error); });
}

DbError PagedTableModel::countAndReadFirstBlock(const QSqlDatabase &db, const browse::TableDefinition &table,
                                                browse::PageRequest request, CountReply *reply)
{
    const bool narrowed = !request.search.isEmpty() || !request.filters.isEmpty();
    if (narrowed) {
        // The matches are collected once; a small result is then paged by id, a large one by the search.
        QList<qint64> ids;
        if (DbError error = browse::matchingIds(db, table, request, ExactCountCap, &ids))
            return error;
        reply->count = ids.size();
        reply->estimated = ids.size() >= ExactCountCap;
        if (!reply->estimated) {
            request.onlyIds = ids;
            reply->onlyIds = std::move(ids);
        }
    } else if (request.scope) {
        if (DbError error = browse::countUpTo(db, table, {}, ExactCountCap, &reply->count, request.scope))
            return error;
        reply->estimated = reply->count >= ExactCountCap;
    } else {
        if (DbError error = browse::estimateRowCount(db, table, &reply->count))
            return error;
        reply->estimated = true;
        // A small table gets its exact count; only a big one is left to the estimate.
        if (reply->count < ExactCountCap) {
            if (DbError error = browse::countUpTo(db, table, {}, ExactCountCap, &reply->count))
                return error;
            reply->estimated = reply->count >= ExactCountCap;
        }
    }
    if (reply->count <= 0)
        return {};
    QList<browse::Row> rows;
    if (DbError error = browse::fetchPage(db, table, request, &rows))
        return error;
    reply->firstBlock = std::move(rows);
    return {};
}

void PagedTableModel::countArrived(CountReply reply, const DbError &error)
{
    m_counting = false;
    if (error) {
        emit errorOccurred(error);
        emit idle();
        return;
    }
    m_onlyIds = std::move(reply.onlyIds);
    qint64 count = reply.count;
    bool estimated = reply.estimated;
    // The first block was read from the very first row: a short one is the whole table, whatever the
    // estimate said, and a full one proves there is at least one row more to ask for.
    if (reply.firstBlock) {
        const qint64 read = reply.firstBlock->size();
        if (read < BlockSize) {
            count = read;
            estimated = false;
        } else if (count <= read) {
            count = read + 1;
        }
    }
    const int rows = int(std::clamp<qint64>(count, 0, std::numeric_limits<int>::max()));
    m_countEstimated = estimated;
    if (rows > 0) {
        beginInsertRows({}, 0, rows - 1);
        m_rowCount = rows;
        if (reply.firstBlock) {
            Block first;
            first.exactPosition = true;
            first.rows = std::move(*reply.firstBlock);
            m_blocks.insert(0, std::move(first));
        }
        endInsertRows();
    }
    emit rowCountKnown(count, estimated);
    if (m_pending.isEmpty())
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
    if (!m_requests->hasWorker() || m_pending.contains(block))
        return;
    m_pending.insert(block);
    m_lastRequestedBlock = block;
    // Where to start reading, by key: after the block above, before the block below, at either end of the
    // table, or at a position estimated from the planner's statistics. Never by OFFSET.
    browse::PageRequest request = baseRequest();
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
    struct BlockReply {
        QList<browse::Row> rows;
    };
    const browse::TableDefinition &table = m_table;
    m_requests->run<BlockReply>(
        m_requests->latest(),
        [table, request, jumpFraction](const QSqlDatabase &db, BlockReply &reply) mutable {
            if (jumpFraction >= 0) {
                if (DbError estimateError = browse::estimateCursorAt(
                        db, table, request.sortColumn, request.order, jumpFraction, &request.from))
                    return estimateError;
            }
            return browse::fetchPage(db, table, request, &reply.rows);
        },
        [self = const_cast<PagedTableModel *>(this), block, alignToEnd, exactPosition,
         asked = request.limit](BlockReply reply, const DbError &error) {
            self->blockArrived(block, alignToEnd, exactPosition, asked, std::move(reply.rows), error);
        });
}

void PagedTableModel::blockArrived(int block, bool alignToEnd, bool exactPosition, int asked,
                                   QList<browse::Row> rows, const DbError &error)
{
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
        evictDistantBlocks();
        if (last >= first)
            emit dataChanged(index(first, 0), index(last, columnCount() - 1), {Qt::DisplayRole});
    }
    if (m_pending.isEmpty())
        emit idle();
}

void PagedTableModel::evictDistantBlocks()
{
    // Memory stays flat however far one scrolls: the blocks farthest from where the view last looked go
    // first, and come back by key if the view returns to them.
    while (m_blocks.size() > MaxCachedBlocks) {
        auto farthest = m_blocks.begin();
        for (auto it = m_blocks.begin(); it != m_blocks.end(); ++it) {
            if (std::abs(it.key() - m_lastRequestedBlock) > std::abs(farthest.key() - m_lastRequestedBlock))
                farthest = it;
        }
        m_blocks.erase(farthest);
    }
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
