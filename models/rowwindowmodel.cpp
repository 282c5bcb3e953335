#include "rowwindowmodel.h"

#include "pagedtablemodel.h"

namespace beacon::models {

RowWindowModel::RowWindowModel(PagedTableModel *source, QObject *parent)
    : QAbstractTableModel(parent)
    , m_source(source)
{
    connect(source, &QAbstractItemModel::modelAboutToBeReset, this, &RowWindowModel::beginResetModel);
    connect(source, &QAbstractItemModel::modelReset, this, [this] {
        m_start = 0;
        m_rows = rowsInWindow();
        endResetModel();
        emit windowMoved(m_start);
    });
    // The source only grows or shrinks at its end (the count arriving, an estimate corrected); the window
    // follows after the fact, from its own cached row count.
    connect(source, &QAbstractItemModel::rowsInserted, this, &RowWindowModel::sourceRowsChanged);
    connect(source, &QAbstractItemModel::rowsRemoved, this, &RowWindowModel::sourceRowsChanged);
    connect(source, &QAbstractItemModel::dataChanged, this, &RowWindowModel::sourceDataChanged);
    connect(source, &QAbstractItemModel::headerDataChanged, this, &QAbstractItemModel::headerDataChanged);
    m_rows = rowsInWindow();
}

int RowWindowModel::rowsInWindow() const
{
    return std::clamp(m_source->rowCount() - m_start, 0, WindowRows);
}

int RowWindowModel::lastWindowStart() const
{
    return std::max(0, m_source->rowCount() - WindowRows);
}

int RowWindowModel::windowRow(int sourceRow) const
{
    const int row = sourceRow - m_start;
    return row >= 0 && row < m_rows ? row : -1;
}

void RowWindowModel::sourceRowsChanged()
{
    if (m_start > lastWindowStart()) {
        // The table shrank under a window near its end: start again from the last full window.
        beginResetModel();
        m_start = lastWindowStart();
        m_rows = rowsInWindow();
        endResetModel();
        emit windowMoved(m_start);
        return;
    }
    const int rows = rowsInWindow();
    if (rows > m_rows) {
        beginInsertRows({}, m_rows, rows - 1);
        m_rows = rows;
        endInsertRows();
    } else if (rows < m_rows) {
        beginRemoveRows({}, rows, m_rows - 1);
        m_rows = rows;
        endRemoveRows();
    }
}

void RowWindowModel::sourceDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                                       const QList<int> &roles)
{
    const int first = std::max(topLeft.row() - m_start, 0);
    const int last = std::min(bottomRight.row() - m_start, m_rows - 1);
    if (first <= last)
        emit dataChanged(index(first, topLeft.column()), index(last, bottomRight.column()), roles);
}

void RowWindowModel::setWindowStart(int start)
{
    start = std::clamp(start, 0, lastWindowStart());
    if (start == m_start)
        return;
    // The window keeps its size (it is full whenever it can move), so this is a change of layout, not of
    // row count: every row shows another row of the table.
    emit layoutAboutToBeChanged({}, QAbstractItemModel::NoLayoutChangeHint);
    const int shift = start - m_start;
    const QModelIndexList before = persistentIndexList();
    QModelIndexList after;
    after.reserve(before.size());
    for (const QModelIndex &old : before) {
        const int row = old.row() - shift;
        after.append(row >= 0 && row < m_rows ? index(row, old.column()) : QModelIndex());
    }
    changePersistentIndexList(before, after);
    m_start = start;
    emit layoutChanged({}, QAbstractItemModel::NoLayoutChangeHint);
    emit windowMoved(m_start);
}

int RowWindowModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

int RowWindowModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_source->columnCount();
}

QVariant RowWindowModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    return m_source->data(m_source->index(m_start + index.row(), index.column()), role);
}

QVariant RowWindowModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical)
        return QAbstractTableModel::headerData(m_start + section, orientation, role);
    return m_source->headerData(section, orientation, role);
}

void RowWindowModel::sort(int column, Qt::SortOrder order)
{
    m_source->sort(column, order);
}

} // namespace beacon::models
