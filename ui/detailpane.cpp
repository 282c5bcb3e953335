#include "detailpane.h"

#include "browse/tables.h"
#include "pagedtablemodel.h"

#include <QHeaderView>
#include <QTableView>

namespace beacon::ui {

DetailPane::DetailPane(QWidget *parent)
    : QTabWidget(parent)
    , m_members(new models::PagedTableModel(browse::workspaceMembersTable(),
                                            {tr("User"), tr("E-mail"), tr("Name"), tr("Role"), tr("Joined")},
                                            this))
    , m_projects(new models::PagedTableModel(
          browse::workspaceProjectsTable(),
          {tr("Project"), tr("Name"), tr("Files"), tr("Bytes"), tr("Created")}, this))
    , m_audit(new models::PagedTableModel(
          browse::workspaceAuditTable(),
          {tr("Entry"), tr("When"), tr("Actor"), tr("Login"), tr("Action"), tr("Reason")}, this))
{
    setObjectName(QStringLiteral("detailPane"));
    addTable(QStringLiteral("membersTable"), tr("&Members"), m_members);
    addTable(QStringLiteral("projectsTable"), tr("&Projects"), m_projects);
    addTable(QStringLiteral("auditTable"), tr("Audit &history"), m_audit);
}

models::PagedTableModel *DetailPane::addTable(const QString &name, const QString &title,
                                              models::PagedTableModel *model)
{
    auto *view = new QTableView(this);
    view->setObjectName(name);
    view->setModel(model);
    view->verticalHeader()->setVisible(false);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    addTab(view, title);
    return model;
}

void DetailPane::setConnection(const ConnectionSpec &spec)
{
    // Nothing is shown until a workspace is selected.
    for (models::PagedTableModel *model : {m_members, m_projects, m_audit}) {
        model->setScope(0);
        model->setConnection(spec);
    }
}

void DetailPane::showWorkspace(std::optional<qint64> workspaceId)
{
    for (models::PagedTableModel *model : {m_members, m_projects, m_audit})
        model->setScope(workspaceId.value_or(0));
}

} // namespace beacon::ui
