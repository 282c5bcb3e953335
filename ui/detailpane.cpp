#include "detailpane.h"
#include "plaintext.h"

#include "billingtab.h"
#include "browse/tables.h"
#include "pagedtablemodel.h"

#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableView>
#include <QToolBar>
#include <QTransposeProxyModel>
#include <QVBoxLayout>

namespace beacon::ui {

// Scope 0 matches no row: an empty table until a parent is chosen. An unset scope would show every row.
static constexpr qint64 NoParent = 0;

ScopedTablesPane::ScopedTablesPane(QWidget *parent)
    : QTabWidget(parent)
    , m_problem(plainTextLabel(new QLabel(this)))
{
    m_problem->setObjectName(QStringLiteral("detailProblem"));
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_problem->setVisible(false);
    setCornerWidget(m_problem, Qt::TopRightCorner);
}

QTableView *ScopedTablesPane::makeView(const QString &objectName, models::PagedTableModel *model,
                                       QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setObjectName(objectName);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->setVisible(false);
    // Rows not read yet are placeholders: every row the same height, so the header never measures them.
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    return view;
}

QTableView *ScopedTablesPane::addScopedTab(const QString &objectName, const QString &title,
                                           models::PagedTableModel *model)
{
    adopt(model, true);
    // In a box of its own, so that row actions can put a tool bar above it.
    auto *box = new QWidget(this);
    QTableView *view = makeView(objectName, model, box);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(view);
    addTab(box, title);
    return view;
}

void ScopedTablesPane::addRowActions(QTableView *view, const QList<QAction *> &actions)
{
    QWidget *box = view->parentWidget();
    const QString name = view->objectName() + QStringLiteral("Actions");
    auto *bar = box->findChild<QToolBar *>(name, Qt::FindDirectChildrenOnly);
    if (!bar) {
        bar = new QToolBar(box);
        bar->setObjectName(name);
        bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
        auto *layout = qobject_cast<QBoxLayout *>(box->layout());
        layout->insertWidget(layout->indexOf(view), bar);
        view->setContextMenuPolicy(Qt::ActionsContextMenu);
    }
    bar->addActions(actions);
    view->addActions(actions);
}

QVariant ScopedTablesPane::currentValue(const QTableView *view, int column)
{
    const auto *model = qobject_cast<const models::PagedTableModel *>(view->model());
    const QModelIndex current = view->currentIndex();
    if (!model || !current.isValid() || !model->isRowLoaded(current.row()))
        return {};
    return model->data(model->index(current.row(), column));
}

void ScopedTablesPane::adopt(models::PagedTableModel *model, bool followsParent)
{
    m_models.append(model);
    if (followsParent)
        m_parentScoped.append(model);
    model->setScope(NoParent);
    connect(model, &models::PagedTableModel::errorOccurred, this, &ScopedTablesPane::showError);
}

void ScopedTablesPane::sortNewestFirst(models::PagedTableModel *model, QTableView *view,
                                       const QString &timeColumn)
{
    const auto &columns = model->table().columns;
    for (int column = 0; column < columns.size(); ++column) {
        if (columns.at(column).name != timeColumn || !model->isSortable(column))
            continue;
        model->sort(column, Qt::DescendingOrder);
        view->horizontalHeader()->setSortIndicatorShown(true);
        view->horizontalHeader()->setSortIndicator(column, Qt::DescendingOrder);
        return;
    }
}

std::optional<qint64> ScopedTablesPane::idAtRow(const models::PagedTableModel *model, int row)
{
    if (row < 0 || row >= model->rowCount() || !model->isRowLoaded(row))
        return std::nullopt;
    return model->data(model->index(row, 0)).toLongLong();
}

void ScopedTablesPane::reportAuditSelection(QTableView *view)
{
    auto *model = qobject_cast<models::PagedTableModel *>(view->model());
    connect(view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this, model](const QModelIndex &current) {
                emit auditEntrySelected(idAtRow(model, current.row()));
            });
    // A reset (another parent, a reconnect) drops the current row without a currentRowChanged.
    connect(model, &QAbstractItemModel::modelReset, this, [this] { emit auditEntrySelected(std::nullopt); });
}

void ScopedTablesPane::setConnection(ConnectionBudget *budget)
{
    showParent(std::nullopt);
    for (models::PagedTableModel *model : std::as_const(m_models)) {
        model->setScope(NoParent);
        model->setConnection(budget, DbLane::Detail);
    }
}

void ScopedTablesPane::showParent(std::optional<qint64> parentId)
{
    m_problem->clear();
    m_problem->setVisible(false);
    for (models::PagedTableModel *model : std::as_const(m_parentScoped))
        model->setScope(parentId.value_or(NoParent));
}

void ScopedTablesPane::showError(const DbError &error)
{
    m_problem->setText(error.message);
    m_problem->setToolTip(plainToolTip(error.fullText()));
    m_problem->setVisible(true);
    emit errorOccurred(error);
}

DetailPane::DetailPane(QWidget *parent)
    : ScopedTablesPane(parent)
    , m_members(new models::PagedTableModel(browse::workspaceMembersTable(),
                                            {tr("User"), tr("E-mail"), tr("Name"), tr("Role"), tr("Joined")},
                                            this))
    , m_projects(new models::PagedTableModel(
          browse::workspaceProjectsTable(),
          {tr("Project"), tr("Name"), tr("Files"), tr("Bytes"), tr("Created")}, this))
    , m_projectFiles(new models::PagedTableModel(browse::projectFilesTable(),
                                                 {tr("File"), tr("Name"), tr("Bytes"), tr("Created")}, this))
    , m_usage(new models::PagedTableModel(browse::workspaceAiUsageTable(),
                                          {tr("Id"), tr("When"), tr("User"), tr("E-mail"), tr("Provider"),
                                           tr("Model"), tr("Input tokens"), tr("Output tokens"),
                                           tr("Cost (USD)")},
                                          this))
    , m_subscription(new models::PagedTableModel(
          browse::workspaceSubscriptionTable(),
          {tr("Workspace"), tr("Name"), tr("Plan"), tr("Monthly price"), tr("Status"), tr("Stripe customer"),
           tr("Stripe subscription"), tr("Period ends"), tr("Read-only"), tr("Mismatch")},
          this))
    , m_audit(new models::PagedTableModel(
          browse::workspaceAuditTable(),
          {tr("Entry"), tr("When"), tr("Actor"), tr("Login"), tr("Action"), tr("Reason")}, this))
    , m_billing(new BillingTab(this))
{
    setObjectName(QStringLiteral("detailPane"));
    addScopedTab(QStringLiteral("membersTable"), tr("&Members"), m_members);
    addTab(makeProjectsTab(), tr("&Projects"));
    sortNewestFirst(m_usage, addScopedTab(QStringLiteral("usageTable"), tr("AI &usage"), m_usage),
                    QStringLiteral("created"));
    addTab(makeSubscriptionTab(), tr("&Subscription"));
    // Read from Stripe only while on screen: the tab asks when it is shown (BillingTab::showEvent).
    addTab(m_billing, tr("&Billing"));
    // Not "Audit &history": Alt+H is the menu bar's Help.
    QTableView *auditView = addScopedTab(QStringLiteral("auditTable"), tr("Au&dit history"), m_audit);
    sortNewestFirst(m_audit, auditView, QStringLiteral("when"));
    reportAuditSelection(auditView);
}

QWidget *DetailPane::makeProjectsTab()
{
    auto *tab = new QSplitter(Qt::Horizontal, this);
    tab->setObjectName(QStringLiteral("projectsTab"));
    adopt(m_projects, true);
    auto *projectsBox = new QWidget(tab);
    QTableView *projects = makeView(QStringLiteral("projectsTable"), m_projects, projectsBox);
    auto *projectsLayout = new QVBoxLayout(projectsBox);
    projectsLayout->setContentsMargins(0, 0, 0, 0);
    projectsLayout->addWidget(projects);
    // The files table follows the project under the focus, not the workspace.
    adopt(m_projectFiles, false);
    auto *filesBox = new QWidget(tab);
    auto *filesLabel = new QLabel(tr("Fi&les of the selected project:"), filesBox);
    QTableView *files = makeView(QStringLiteral("projectFilesTable"), m_projectFiles, filesBox);
    filesLabel->setBuddy(files);
    auto *filesLayout = new QVBoxLayout(filesBox);
    filesLayout->setContentsMargins(0, 0, 0, 0);
    filesLayout->addWidget(filesLabel);
    filesLayout->addWidget(files);
    tab->addWidget(projectsBox);
    tab->addWidget(filesBox);
    connect(projects->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                m_projectFiles->setScope(idAtRow(m_projects, current.row()).value_or(NoParent));
            });
    connect(m_projects, &QAbstractItemModel::modelReset, this,
            [this] { m_projectFiles->setScope(NoParent); });
    return tab;
}

QWidget *DetailPane::makeSubscriptionTab()
{
    adopt(m_subscription, true);
    // One row of ten fields reads better as a list of fields.
    auto *transposed = new QTransposeProxyModel(this);
    transposed->setSourceModel(m_subscription);
    auto *view = new QTableView(this);
    view->setObjectName(QStringLiteral("subscriptionTable"));
    view->setModel(transposed);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->horizontalHeader()->setVisible(false);
    view->horizontalHeader()->setStretchLastSection(true);
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    return view;
}

void DetailPane::setConnection(ConnectionBudget *budget)
{
    ScopedTablesPane::setConnection(budget);
    m_billing->showWorkspace(std::nullopt);
    m_billing->setConnection(budget);
}

void DetailPane::setStripeAccess(const billing::StripeAccess &access)
{
    m_billing->setStripeAccess(access);
}

void DetailPane::showWorkspace(std::optional<qint64> workspaceId)
{
    showParent(workspaceId);
    m_billing->showWorkspace(workspaceId);
}

} // namespace beacon::ui
