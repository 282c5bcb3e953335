#pragma once

#include "browse/keysetpager.h"
#include "db/connectionbudget.h"
#include "virtualtableview.h"

#include <QWidget>

#include <optional>

class QAction;
class QLabel;
class QLineEdit;
class QScrollBar;
class QTableView;
class QTimer;
class QToolBar;

namespace beacon::models {
class PagedTableModel;
class RowWindowModel;
} // namespace beacon::models

namespace beacon::ui {

class InlineMessage;

// One browsable table: a search box (Enter, or a short pause after typing), the table with sorting by the
// indexed columns, and a line that says how many rows there are and whether that is an estimate.
class TablePage : public QWidget {
    Q_OBJECT
public:
    TablePage(const QString &settingsKey, browse::TableDefinition table, QStringList headers,
              QWidget *parent = nullptr);
    ~TablePage() override;
    void setConnection(ConnectionBudget *budget);
    models::PagedTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    // The scrollbar that spans the whole table (the view's own one spans only the window it is shown).
    QScrollBar *positionBar() const;
    // Scrolls so that the table's `row` is the top row on screen, as dragging the scrollbar there would.
    void scrollToRow(int row);
    // Reads the rows again after a change made from this console, and comes back to the same place: the
    // same row number at the top of the screen, not the first row. A newer search or sort goes to the top.
    void reloadKeepingPlace();
    // The table row behind a row of the view, which shows a window of the table.
    int tableRow(int viewRow) const;
    // Column filters narrow the table on the server, all together and with the search.
    void addFilter(const browse::ColumnFilter &filter);
    void clearFilters();
    // Asks for a filter on `column`, suggesting `value` (the selected cell's).
    void openFilterDialog(int column, const QString &value);
    // Puts `text` in the search box and searches, as if typed.
    void showSearch(const QString &text);
    // Actions on the row under the keyboard focus (the admin actions): put in the table's context menu after
    // its own entries, and on a tool bar above the table.
    void addRowActions(const QList<QAction *> &actions);
    // The value in `column` of the row under the keyboard focus; invalid when there is none or it is not
    // read yet.
    QVariant currentValue(int column) const;

signals:
    // The id (first column) of the row with the keyboard focus, or nothing.
    void currentIdChanged(std::optional<qint64> id);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void applySearch();
    void copyCell();
    void copyRow();
    void saveLayout() const;
    void restoreLayout();
    void showCount(qint64 rows, bool estimated);
    void filtersChanged();
    QString m_settingsKey;
    models::PagedTableModel *m_model;
    models::RowWindowModel *m_window;
    QLineEdit *m_search;
    VirtualTableView *m_view;
    QLabel *m_status;
    InlineMessage *m_problem;
    QWidget *m_filterBar;
    QLabel *m_filterSummary;
    QTimer *m_searchPause;
    QToolBar *m_rowActions = nullptr;
    int m_lastSortColumn = -1;
    Qt::SortOrder m_lastSortOrder = Qt::AscendingOrder;
};

} // namespace beacon::ui
