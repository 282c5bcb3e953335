#include "userdetailpane.h"

#include "browse/tables.h"
#include "pagedtablemodel.h"

#include <QTableView>

namespace beacon::ui {

UserDetailPane::UserDetailPane(QWidget *parent)
    : ScopedTablesPane(parent)
    , m_memberships(new models::PagedTableModel(
          browse::userMembershipsTable(),
          {tr("Workspace"), tr("Name"), tr("Slug"), tr("Plan"), tr("Role"), tr("Joined")}, this))
    , m_usage(new models::PagedTableModel(browse::userAiUsageTable(),
                                          {tr("Id"), tr("When"), tr("Workspace"), tr("Workspace name"),
                                           tr("Provider"), tr("Model"), tr("Input tokens"),
                                           tr("Output tokens"), tr("Cost (USD)")},
                                          this))
    , m_audit(new models::PagedTableModel(
          browse::userAuditTable(),
          {tr("Entry"), tr("When"), tr("Actor"), tr("Login"), tr("Action"), tr("Reason")}, this))
{
    setObjectName(QStringLiteral("userDetailPane"));
    addScopedTab(QStringLiteral("userMembershipsTable"), tr("&Workspaces"), m_memberships);
    sortNewestFirst(m_usage, addScopedTab(QStringLiteral("userUsageTable"), tr("AI &usage"), m_usage),
                    QStringLiteral("created"));
    // Not "Audit &history": Alt+H is the menu bar's Help.
    QTableView *auditView = addScopedTab(QStringLiteral("userAuditTable"), tr("Au&dit history"), m_audit);
    sortNewestFirst(m_audit, auditView, QStringLiteral("when"));
    reportAuditSelection(auditView);
}

void UserDetailPane::showUser(std::optional<qint64> userId)
{
    showParent(userId);
}

} // namespace beacon::ui
