#pragma once

#include <QTableView>

class QScrollBar;
class QTimer;

namespace beacon::models {
class PagedTableModel;
class RowWindowModel;
} // namespace beacon::models

namespace beacon::ui {

// A table view over a window of a table too big to lay out whole (RowWindowModel over PagedTableModel).
// A table bigger than the window gets a scrollbar of its own that spans the whole table, placed beside the
// view by whoever lays it out; the view's own scrollbar, hidden then, still moves with the wheel and the
// keys within the window, and the window follows near its edges. Ctrl+Home and Ctrl+End go to the ends of
// the table. A jump to rows not read yet keeps the old picture up briefly rather than flashing placeholders.
class VirtualTableView : public QTableView {
    Q_OBJECT
public:
    // The position bar is made a child of `parent`, so that it can sit beside the view.
    explicit VirtualTableView(QWidget *parent);
    ~VirtualTableView() override;

    // Shows `window`, a window of `table`. Call once.
    void setWindowModel(models::PagedTableModel *table, models::RowWindowModel *window);
    // The scrollbar that spans the whole table (the view's own one spans only the window it is shown).
    QScrollBar *positionBar() const { return m_position; }
    // Scrolls so that the table's `row` is the top row on screen, as dragging the position bar there would.
    void scrollToRow(int row);
    // The table row at the top of the screen.
    int topRow() const;
    // The table row behind a row of the view.
    int tableRow(int viewRow) const;
    // How many rows fit on screen.
    int visibleRows() const;

protected:
    void keyPressEvent(QKeyEvent *event) override;
    bool viewportEvent(QEvent *event) override;

private:
    void updatePositionRange();
    void viewScrolled(int windowTop);
    void positionMoved(int tableTop);
    bool tableRowsLoaded(int tableTop) const;
    bool screenLoaded() const;
    void holdPaintUnlessLoaded(int tableTop);
    void requestScreenRows() const;
    void releasePaint();

    models::PagedTableModel *m_table = nullptr;
    models::RowWindowModel *m_window = nullptr;
    QScrollBar *m_position;
    QTimer *m_paintHold;
    bool m_syncingScroll = false;
};

} // namespace beacon::ui
