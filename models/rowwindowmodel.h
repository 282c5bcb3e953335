#pragma once

#include <QAbstractTableModel>
#include <QPointer>

namespace beacon::models {

class PagedTableModel;

// What a view is shown of a PagedTableModel: a window of at most WindowRows consecutive rows, moved along
// the table as the person scrolls. A QTableView keeps one header entry per row of its model: ten million
// rows cost it 150 ms on the GUI thread and 80 MB before the first paint. Through the window it never has
// more than WindowRows, and the page's own scrollbar covers the whole table (see ui/tablepage.cpp).
class RowWindowModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int WindowRows = 20000;

    explicit RowWindowModel(PagedTableModel *source, QObject *parent = nullptr);
    PagedTableModel *source() const { return m_source; }

    int windowStart() const { return m_start; }
    int sourceRow(int windowRow) const { return m_start + windowRow; }
    // The window row showing `sourceRow`, or -1 when it lies outside the window.
    int windowRow(int sourceRow) const;
    // Moves the window to start at `start` (clamped so the window stays inside the table). Persistent
    // indexes (the current row, the selection) follow their rows, or become invalid when left behind.
    void setWindowStart(int start);
    // The largest start the window can have.
    int lastWindowStart() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

signals:
    void windowMoved(int start);

private:
    void sourceRowsChanged();
    void sourceDataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                           const QList<int> &roles);
    int rowsInWindow() const;

    PagedTableModel *m_source;
    int m_start = 0;
    int m_rows = 0;
};

} // namespace beacon::models
