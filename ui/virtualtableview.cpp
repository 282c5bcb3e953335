#include "virtualtableview.h"

#include "pagedtablemodel.h"
#include "rowwindowmodel.h"

#include <QHeaderView>
#include <QKeyEvent>
#include <QScrollBar>
#include <QTimer>

namespace beacon::ui {

// How close to either edge of the window the view may scroll before the window moves to centre on it: more
// than any page, so a key press or wheel turn never reaches the edge.
static constexpr int WindowMargin = 2000;
// The longest a jump may leave the old rows on screen while the new ones are read.
static constexpr int PaintHoldMs = 150;

VirtualTableView::VirtualTableView(QWidget *parent)
    : QTableView(parent)
    , m_position(new QScrollBar(Qt::Vertical, parent))
    , m_paintHold(new QTimer(this))
{
    m_position->setObjectName(QStringLiteral("position"));
    m_position->setVisible(false);
    m_paintHold->setSingleShot(true);
    m_paintHold->setInterval(PaintHoldMs);
    connect(m_paintHold, &QTimer::timeout, this, &VirtualTableView::releasePaint);
    connect(verticalScrollBar(), &QScrollBar::valueChanged, this, &VirtualTableView::viewScrolled);
    connect(m_position, &QScrollBar::valueChanged, this, &VirtualTableView::positionMoved);
}

VirtualTableView::~VirtualTableView() = default;

void VirtualTableView::setWindowModel(models::PagedTableModel *table, models::RowWindowModel *window)
{
    m_table = table;
    m_window = window;
    setModel(window);
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(table, signal, this, &VirtualTableView::updatePositionRange);
    connect(table, &QAbstractItemModel::modelReset, this, &VirtualTableView::updatePositionRange);
    connect(table, &QAbstractItemModel::dataChanged, this, [this] {
        if (m_paintHold->isActive() && screenLoaded())
            releasePaint();
    });
}

// Ctrl+Home and Ctrl+End mean the ends of the table, not of the window: move the window there, then go to
// its first or last row.
void VirtualTableView::keyPressEvent(QKeyEvent *event)
{
    const bool toEnd = event->key() == Qt::Key_End;
    if (m_window && event->modifiers() == Qt::ControlModifier && (toEnd || event->key() == Qt::Key_Home)) {
        m_window->setWindowStart(toEnd ? m_window->lastWindowStart() : 0);
        const QModelIndex target =
            m_window->index(toEnd ? m_window->rowCount() - 1 : 0, std::max(0, currentIndex().column()));
        setCurrentIndex(target);
        scrollTo(target);
        event->accept();
        return;
    }
    QTableView::keyPressEvent(event);
}

bool VirtualTableView::viewportEvent(QEvent *event)
{
    if (event->type() == QEvent::Resize && m_window)
        updatePositionRange();
    return QTableView::viewportEvent(event);
}

int VirtualTableView::tableRow(int viewRow) const
{
    return m_window->sourceRow(viewRow);
}

int VirtualTableView::topRow() const
{
    return m_position->value();
}

int VirtualTableView::visibleRows() const
{
    return std::max(1, viewport()->height() / std::max(1, verticalHeader()->defaultSectionSize()));
}

void VirtualTableView::updatePositionRange()
{
    const int rows = m_table->rowCount();
    const bool windowed = rows > models::RowWindowModel::WindowRows;
    setVerticalScrollBarPolicy(windowed ? Qt::ScrollBarAlwaysOff : Qt::ScrollBarAsNeeded);
    m_position->setVisible(windowed);
    const QSignalBlocker blocker(m_position);
    m_position->setRange(0, std::max(0, rows - visibleRows()));
    m_position->setPageStep(visibleRows());
    m_position->setValue(m_window->windowStart() + verticalScrollBar()->value());
}

bool VirtualTableView::tableRowsLoaded(int tableTop) const
{
    const int bottom = std::min(tableTop + visibleRows(), m_table->rowCount() - 1);
    return bottom < tableTop || (m_table->isRowLoaded(tableTop) && m_table->isRowLoaded(bottom));
}

bool VirtualTableView::screenLoaded() const
{
    return tableRowsLoaded(tableRow(verticalScrollBar()->value()));
}

// A jump lands on rows not read yet. Painting them as placeholders costs a whole frame on the GUI thread
// just as the real rows arrive, and flashes; instead the old picture stays up until they are in, or for
// PaintHoldMs at most. Decided before the view moves, so that not even the move is painted.
void VirtualTableView::holdPaintUnlessLoaded(int tableTop)
{
    if (tableRowsLoaded(tableTop) || m_paintHold->isActive())
        return;
    setUpdatesEnabled(false);
    m_paintHold->start();
}

// Asks for the rows on screen now, rather than when a paint would have asked: their reading starts at once.
void VirtualTableView::requestScreenRows() const
{
    const int top = verticalScrollBar()->value();
    const int bottom = std::min(top + visibleRows(), m_window->rowCount() - 1);
    if (bottom < top)
        return;
    m_window->index(top, 0).data();
    m_window->index(bottom, 0).data();
}

void VirtualTableView::releasePaint()
{
    m_paintHold->stop();
    setUpdatesEnabled(true); // and repaints
}

void VirtualTableView::viewScrolled(int windowTop)
{
    if (m_syncingScroll)
        return;
    // Keys and the wheel scroll the view itself; a long way (Ctrl+End) lands on rows not read yet.
    if (!screenLoaded()) {
        holdPaintUnlessLoaded(m_window->windowStart() + windowTop);
        requestScreenRows();
    }
    const int tableTop = m_window->windowStart() + windowTop;
    {
        const QSignalBlocker blocker(m_position);
        m_position->setValue(tableTop);
    }
    // Near an edge of the window, with more table beyond it: move the window to centre on this place. Done
    // after the view has finished its own scrolling, never inside it.
    const int lastTop = m_window->rowCount() - visibleRows();
    const bool nearTop = windowTop < WindowMargin && m_window->windowStart() > 0;
    const bool nearBottom =
        windowTop > lastTop - WindowMargin && m_window->windowStart() < m_window->lastWindowStart();
    if (nearTop || nearBottom)
        QMetaObject::invokeMethod(
            this, [this] { positionMoved(m_position->value()); }, Qt::QueuedConnection);
}

void VirtualTableView::positionMoved(int tableTop)
{
    const int windowTop = tableTop - m_window->windowStart();
    const int lastTop = m_window->rowCount() - visibleRows();
    const bool inside = windowTop >= WindowMargin && windowTop <= lastTop - WindowMargin;
    const bool pinned = (windowTop >= 0 && windowTop < WindowMargin && m_window->windowStart() == 0) ||
                        (windowTop <= lastTop && windowTop > lastTop - WindowMargin &&
                         m_window->windowStart() == m_window->lastWindowStart());
    holdPaintUnlessLoaded(tableTop);
    m_syncingScroll = true;
    if (!inside && !pinned)
        m_window->setWindowStart(tableTop - models::RowWindowModel::WindowRows / 2);
    verticalScrollBar()->setValue(tableTop - m_window->windowStart());
    m_syncingScroll = false;
    requestScreenRows();
}

void VirtualTableView::scrollToRow(int row)
{
    m_position->setValue(row);
    positionMoved(row); // also when the scrollbar already showed this value
}

} // namespace beacon::ui
