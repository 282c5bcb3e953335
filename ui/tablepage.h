#pragma once

#include "browse/keysetpager.h"
#include "db/connectionspec.h"

#include <QWidget>

#include <optional>

class QLabel;
class QLineEdit;
class QTableView;
class QTimer;

namespace beacon::models {
class PagedTableModel;
}

namespace beacon::ui {

// One browsable table: a search box (Enter, or a short pause after typing), the table with sorting by the
// indexed columns, and a line that says how many rows there are and whether that is an estimate.
class TablePage : public QWidget {
    Q_OBJECT
public:
    TablePage(const QString &settingsKey, browse::TableDefinition table, QStringList headers,
              QWidget *parent = nullptr);
    ~TablePage() override;
    void setConnection(const ConnectionSpec &spec);
    models::PagedTableModel *model() const { return m_model; }
    // Puts `text` in the search box and searches, as if typed.
    void showSearch(const QString &text);

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

    QString m_settingsKey;
    models::PagedTableModel *m_model;
    QLineEdit *m_search;
    QTableView *m_view;
    QLabel *m_status;
    QTimer *m_searchPause;
    int m_lastSortColumn = -1;
    Qt::SortOrder m_lastSortOrder = Qt::AscendingOrder;
};

} // namespace beacon::ui
