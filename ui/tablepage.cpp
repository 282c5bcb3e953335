#include "tablepage.h"
#include "plaintext.h"

#include "celldelegate.h"
#include "columnfilterdialog.h"
#include "inlinemessage.h"
#include "pagedtablemodel.h"
#include "rowwindowmodel.h"
#include "settings/settingsfile.h"
#include "virtualtableview.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

namespace beacon::ui {

// Long enough that typing a word sends one search, short enough to feel immediate.
static constexpr int SearchPauseMs = 300;

TablePage::TablePage(const QString &settingsKey, browse::TableDefinition table, QStringList headers,
                     QWidget *parent)
    : QWidget(parent)
    , m_settingsKey(settingsKey)
    , m_model(new models::PagedTableModel(std::move(table), std::move(headers), this))
    , m_window(new models::RowWindowModel(m_model, this))
    , m_search(new QLineEdit(this))
    , m_view(new VirtualTableView(this))
    , m_status(plainTextLabel(new QLabel(this)))
    , m_problem(new InlineMessage(InlineMessage::Type::Error, this))
    , m_filterBar(new QWidget(this))
    , m_filterSummary(plainTextLabel(new QLabel(m_filterBar))) // quotes the typed filter values
    , m_searchPause(new QTimer(this))
{
    setObjectName(settingsKey + QStringLiteral("Page"));
    m_search->setObjectName(QStringLiteral("search"));
    m_search->setPlaceholderText(tr("Search (press Enter)"));
    m_search->setClearButtonEnabled(true);
    m_view->setObjectName(QStringLiteral("table"));
    m_view->setWindowModel(m_model, m_window);
    m_view->setItemDelegate(new CellDelegate(m_view));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->setVisible(false);
    // Millions of rows: every row the same height, so the header never measures them.
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setSectionsClickable(true);
    m_view->horizontalHeader()->setSortIndicatorShown(true);
    m_view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_status->setObjectName(QStringLiteral("rowCount"));

    m_searchPause->setSingleShot(true);
    m_searchPause->setInterval(SearchPauseMs);
    connect(m_searchPause, &QTimer::timeout, this, &TablePage::applySearch);
    connect(m_search, &QLineEdit::textEdited, m_searchPause, qOverload<>(&QTimer::start));
    connect(m_search, &QLineEdit::returnPressed, this, &TablePage::applySearch);
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (text.isEmpty()) // the clear button
            applySearch();
    });

    // Sorting runs in the database, and only on indexed columns; a click elsewhere keeps the current order.
    connect(m_view->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this,
            [this](int column, Qt::SortOrder order) {
                if (!m_model->isSortable(column)) {
                    QSignalBlocker blocker(m_view->horizontalHeader());
                    m_view->horizontalHeader()->setSortIndicator(m_lastSortColumn, m_lastSortOrder);
                    return;
                }
                m_lastSortColumn = column;
                m_lastSortOrder = order;
                m_model->sort(column, order);
            });
    connect(m_model, &models::PagedTableModel::rowCountKnown, this, &TablePage::showCount);
    // A failed read says so above the table, with a way to read again; a new read takes it away.
    m_problem->setObjectName(QStringLiteral("problem"));
    connect(m_problem->addButton(tr("Try again")), &QPushButton::clicked, this, [this] {
        m_status->setText(tr("Loading…"));
        m_model->reload();
    });
    connect(m_model, &models::PagedTableModel::errorOccurred, this, [this](const DbError &error) {
        m_status->clear();
        m_problem->showError(error);
    });
    connect(m_model, &QAbstractItemModel::modelReset, m_problem, &InlineMessage::clear);

    auto *copyCellAction = new QAction(tr("&Copy cell"), m_view);
    copyCellAction->setObjectName(QStringLiteral("copyCell"));
    copyCellAction->setShortcut(QKeySequence::Copy);
    copyCellAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copyCellAction, &QAction::triggered, this, &TablePage::copyCell);
    auto *copyRowAction = new QAction(tr("Copy &row"), m_view);
    copyRowAction->setObjectName(QStringLiteral("copyRow"));
    copyRowAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    copyRowAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(copyRowAction, &QAction::triggered, this, &TablePage::copyRow);
    auto *filterAction = new QAction(tr("&Filter by this column…"), m_view);
    filterAction->setObjectName(QStringLiteral("filterColumn"));
    filterAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    filterAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(filterAction, &QAction::triggered, this, [this] {
        const QModelIndex current = m_view->currentIndex();
        const bool loaded = current.isValid() && m_model->isRowLoaded(tableRow(current.row()));
        openFilterDialog(current.isValid() ? current.column() : 0,
                         loaded ? current.data().toString() : QString());
    });
    auto *clearFiltersAction = new QAction(tr("C&lear filters"), m_view);
    clearFiltersAction->setObjectName(QStringLiteral("clearFilters"));
    connect(clearFiltersAction, &QAction::triggered, this, &TablePage::clearFilters);
    m_view->addActions({copyCellAction, copyRowAction, filterAction, clearFiltersAction});
    // The header offers the same filter for the column clicked, with no value suggested.
    m_view->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view->horizontalHeader(), &QWidget::customContextMenuRequested, this, [this](const QPoint &at) {
        const int column = m_view->horizontalHeader()->logicalIndexAt(at);
        if (column < 0)
            return;
        QMenu menu(this);
        menu.addAction(tr("&Filter by %1…").arg(m_model->columnTitle(column)), this,
                       [this, column] { openFilterDialog(column, {}); });
        if (!m_model->filters().isEmpty())
            menu.addAction(tr("C&lear filters"), this, &TablePage::clearFilters);
        menu.exec(m_view->horizontalHeader()->mapToGlobal(at));
    });
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    restoreLayout();
    m_search->installEventFilter(this);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid() && m_model->isRowLoaded(tableRow(current.row())))
                    emit currentIdChanged(current.siblingAtColumn(0).data().toLongLong());
                else
                    emit currentIdChanged(std::nullopt);
            });

    auto *tableRowLayout = new QHBoxLayout;
    tableRowLayout->setSpacing(0);
    tableRowLayout->addWidget(m_view, 1);
    tableRowLayout->addWidget(m_view->positionBar());
    m_filterBar->setObjectName(QStringLiteral("filterBar"));
    m_filterSummary->setObjectName(QStringLiteral("filterSummary"));
    m_filterSummary->setWordWrap(true);
    auto *clearButton = new QPushButton(tr("C&lear filters"), m_filterBar);
    clearButton->setObjectName(QStringLiteral("clearFiltersButton"));
    connect(clearButton, &QPushButton::clicked, this, &TablePage::clearFilters);
    auto *filterLayout = new QHBoxLayout(m_filterBar);
    filterLayout->setContentsMargins(0, 0, 0, 0);
    filterLayout->addWidget(m_filterSummary, 1);
    filterLayout->addWidget(clearButton);
    m_filterBar->setVisible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_search);
    layout->addWidget(m_filterBar);
    layout->addWidget(m_problem);
    layout->addLayout(tableRowLayout, 1);
    layout->addWidget(m_status);
}

TablePage::~TablePage()
{
    saveLayout();
}

bool TablePage::eventFilter(QObject *watched, QEvent *event)
{
    // QLineEdit claims Ctrl+K (delete to end of line); the console's quick open must win, even while typing
    // a search.
    if (watched == m_search && event->type() == QEvent::ShortcutOverride) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->keyCombination() == QKeyCombination(Qt::ControlModifier, Qt::Key_K))
            return true;
    }
    return QWidget::eventFilter(watched, event);
}

// Column widths and the sort order are kept per table, in the application's one settings file.
void TablePage::saveLayout() const
{
    QSettings settings(settingsFilePath(), QSettings::IniFormat);
    settings.beginGroup(QStringLiteral("tables/") + m_settingsKey);
    settings.setValue(QStringLiteral("header"), m_view->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("sortColumn"), m_lastSortColumn);
    settings.setValue(QStringLiteral("sortOrder"), int(m_lastSortOrder));
}

void TablePage::restoreLayout()
{
    QSettings settings(settingsFilePath(), QSettings::IniFormat);
    settings.beginGroup(QStringLiteral("tables/") + m_settingsKey);
    m_view->horizontalHeader()->restoreState(settings.value(QStringLiteral("header")).toByteArray());
    const int column = settings.value(QStringLiteral("sortColumn"), -1).toInt();
    const auto order =
        Qt::SortOrder(settings.value(QStringLiteral("sortOrder"), int(Qt::AscendingOrder)).toInt());
    if (!m_model->isSortable(column)) {
        m_view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
        return;
    }
    m_lastSortColumn = column;
    m_lastSortOrder = order;
    m_model->sort(column, order);
    QSignalBlocker blocker(m_view->horizontalHeader());
    m_view->horizontalHeader()->setSortIndicator(column, order);
}

int TablePage::tableRow(int viewRow) const
{
    return m_view->tableRow(viewRow);
}

QScrollBar *TablePage::positionBar() const
{
    return m_view->positionBar();
}

void TablePage::scrollToRow(int row)
{
    m_view->scrollToRow(row);
}

void TablePage::reloadKeepingPlace()
{
    const int top = m_view->topRow();
    m_model->reload();
    if (top <= 0)
        return;
    // The place comes back once the new count is in; a reset after this one (a search, a sort) drops it.
    auto *pending = new QObject(this);
    const auto done = [this, pending] {
        disconnect(m_model, nullptr, pending, nullptr);
        pending->deleteLater();
    };
    connect(m_model, &QAbstractItemModel::modelReset, pending, done);
    connect(m_model, &models::PagedTableModel::rowCountKnown, pending, [this, top, done](qint64 rows) {
        done();
        // The view lays out the rows just inserted later, from its event loop; until then its scrollbar
        // would clamp the place to the top.
        m_view->doItemsLayout();
        scrollToRow(int(std::min<qint64>(top, std::max<qint64>(0, rows - m_view->visibleRows()))));
    });
}

void TablePage::openFilterDialog(int column, const QString &value)
{
    if (column < 0 || column >= m_model->table().columns.size())
        return;
    auto *dialog = new ColumnFilterDialog(m_model->table().columns.at(column), column,
                                          m_model->columnTitle(column), value, this);
    dialog->setObjectName(QStringLiteral("columnFilterDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] { addFilter(dialog->filter()); });
    dialog->open();
}

void TablePage::addFilter(const browse::ColumnFilter &filter)
{
    QList<browse::ColumnFilter> filters = m_model->filters();
    if (filters.contains(filter))
        return;
    filters.append(filter);
    m_status->setText(tr("Filtering…"));
    m_model->setFilters(filters);
    filtersChanged();
}

void TablePage::clearFilters()
{
    if (m_model->filters().isEmpty())
        return;
    m_model->setFilters({});
    filtersChanged();
}

void TablePage::filtersChanged()
{
    QStringList words;
    for (const browse::ColumnFilter &filter : m_model->filters())
        words.append(ColumnFilterDialog::describe(filter, m_model->table().columns.at(filter.column),
                                                  m_model->columnTitle(filter.column)));
    m_filterSummary->setText(tr("Only rows where %1").arg(words.join(tr(", and "))));
    m_filterBar->setVisible(!words.isEmpty());
}

void TablePage::copyCell()
{
    const QModelIndex current = m_view->currentIndex();
    if (current.isValid() && m_model->isRowLoaded(tableRow(current.row())))
        QGuiApplication::clipboard()->setText(current.data().toString());
}

void TablePage::copyRow()
{
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid() || !m_model->isRowLoaded(tableRow(current.row())))
        return;
    QStringList cells;
    for (int column = 0; column < m_window->columnCount(); ++column)
        cells.append(current.siblingAtColumn(column).data().toString());
    // Tab-separated, so that it pastes into a spreadsheet as one row.
    QGuiApplication::clipboard()->setText(cells.join(QLatin1Char('\t')));
}

void TablePage::setConnection(ConnectionBudget *budget)
{
    m_status->setText(tr("Loading…"));
    m_model->setConnection(budget, DbLane::Browse);
}

void TablePage::showSearch(const QString &text)
{
    m_search->setText(text);
    applySearch();
}

void TablePage::addRowActions(const QList<QAction *> &actions)
{
    if (!m_rowActions) {
        m_rowActions = new QToolBar(this);
        m_rowActions->setObjectName(QStringLiteral("rowActions"));
        m_rowActions->setToolButtonStyle(Qt::ToolButtonTextOnly);
        qobject_cast<QVBoxLayout *>(layout())->insertWidget(0, m_rowActions);
        auto *separator = new QAction(m_view);
        separator->setSeparator(true);
        m_view->addAction(separator);
    }
    m_rowActions->addActions(actions);
    m_view->addActions(actions);
}

QVariant TablePage::currentValue(int column) const
{
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid() || !m_model->isRowLoaded(tableRow(current.row())))
        return {};
    return current.siblingAtColumn(column).data();
}

void TablePage::applySearch()
{
    m_searchPause->stop();
    m_status->setText(tr("Searching…"));
    m_model->setSearch(m_search->text().trimmed());
}

void TablePage::showCount(qint64 rows, bool estimated)
{
    const QString number = QLocale().toString(rows);
    if (!m_model->search().isEmpty() || !m_model->filters().isEmpty())
        m_status->setText(estimated ? tr("At least %1 matching rows").arg(number)
                                    : tr("%1 matching rows").arg(number));
    else
        m_status->setText(estimated ? tr("About %1 rows (estimate)").arg(number) : tr("%1 rows").arg(number));
}

} // namespace beacon::ui
