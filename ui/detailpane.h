#pragma once

#include "billing/stripeaccess.h"
#include "db/connectionbudget.h"
#include "db/dberror.h"

#include <QTabWidget>

#include <optional>

class QAction;
class QLabel;
class QTableView;

namespace beacon::models {
class PagedTableModel;
}

namespace beacon::ui {

class BillingTab;

// Tabs of small tables narrowed to one parent row (a workspace, a user), each read by key like any other
// table, on the Detail lane of the window's connections. The workspace and user detail panes are this with
// different tabs.
class ScopedTablesPane : public QTabWidget {
    Q_OBJECT
public:
    // Starts reading from this database; nothing is shown until a parent is chosen.
    virtual void setConnection(ConnectionBudget *budget);
    // Actions on the row under the keyboard focus in one of the pane's tables (the admin actions): put in
    // its context menu and on a tool bar above it.
    void addRowActions(QTableView *view, const QList<QAction *> &actions);
    // The value in `column` of the row under `view`'s keyboard focus; invalid when there is none or it is not
    // read yet.
    static QVariant currentValue(const QTableView *view, int column);

signals:
    // A table of the pane could not be read; the pane also shows the message in its corner.
    void errorOccurred(const beacon::DbError &error);
    // The audit entry under the keyboard focus in the Audit history tab, for an AuditDiffView.
    void auditEntrySelected(std::optional<qint64> auditId);

protected:
    explicit ScopedTablesPane(QWidget *parent);
    // A table view over `model` as PagedTableModel's views expect: whole rows, every row the same height.
    QTableView *makeView(const QString &objectName, models::PagedTableModel *model, QWidget *parent);
    // A tab holding one view whose model follows the pane's parent.
    QTableView *addScopedTab(const QString &objectName, const QString &title, models::PagedTableModel *model);
    // A model whose view the subclass places itself, and whose scope follows the pane's parent or not.
    void adopt(models::PagedTableModel *model, bool followsParent);
    // Newest first, which the tables' (scope, time, id) indexes serve.
    static void sortNewestFirst(models::PagedTableModel *model, QTableView *view, const QString &timeColumn);
    // Emits auditEntrySelected for the row under the view's keyboard focus.
    void reportAuditSelection(QTableView *view);
    // The first column of a loaded row (every pane table shows its row's id first), or nothing.
    static std::optional<qint64> idAtRow(const models::PagedTableModel *model, int row);
    void showParent(std::optional<qint64> parentId);

private:
    void showError(const DbError &error);

    QLabel *m_problem;
    QList<models::PagedTableModel *> m_parentScoped;
    QList<models::PagedTableModel *> m_models;
};

// Below the Workspaces table: the selected workspace's members, projects (with the files of the selected
// project), AI usage, subscription, billing as Stripe sees it, and audit history.
class DetailPane : public ScopedTablesPane {
    Q_OBJECT
public:
    explicit DetailPane(QWidget *parent = nullptr);
    void setConnection(ConnectionBudget *budget) override;
    // The Stripe the Billing tab asks; without a key the tab says that Stripe is not set up.
    void setStripeAccess(const billing::StripeAccess &access);
    void showWorkspace(std::optional<qint64> workspaceId);

    models::PagedTableModel *members() const { return m_members; }
    models::PagedTableModel *projects() const { return m_projects; }
    // Narrowed to the project under the keyboard focus in the Projects tab.
    models::PagedTableModel *projectFiles() const { return m_projectFiles; }
    models::PagedTableModel *usage() const { return m_usage; }
    // One row: the workspace's plan, Stripe ids and status, shown field by field.
    models::PagedTableModel *subscription() const { return m_subscription; }
    models::PagedTableModel *audit() const { return m_audit; }
    BillingTab *billing() const { return m_billing; }

private:
    QWidget *makeProjectsTab();
    QWidget *makeSubscriptionTab();

    models::PagedTableModel *m_members;
    models::PagedTableModel *m_projects;
    models::PagedTableModel *m_projectFiles;
    models::PagedTableModel *m_usage;
    models::PagedTableModel *m_subscription;
    models::PagedTableModel *m_audit;
    BillingTab *m_billing;
};

} // namespace beacon::ui
