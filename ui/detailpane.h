#pragma once

#include "db/connectionspec.h"

#include <QTabWidget>

#include <optional>

namespace beacon::models {
class PagedTableModel;
}

namespace beacon::ui {

// Below the Workspaces table: the selected workspace's members, projects and audit history, each read by key
// on its own worker like any other table.
class DetailPane : public QTabWidget {
    Q_OBJECT
public:
    explicit DetailPane(QWidget *parent = nullptr);
    void setConnection(const ConnectionSpec &spec);
    void showWorkspace(std::optional<qint64> workspaceId);

    models::PagedTableModel *members() const { return m_members; }
    models::PagedTableModel *projects() const { return m_projects; }
    models::PagedTableModel *audit() const { return m_audit; }

private:
    models::PagedTableModel *addTable(const QString &name, const QString &title,
                                      models::PagedTableModel *model);

    models::PagedTableModel *m_members;
    models::PagedTableModel *m_projects;
    models::PagedTableModel *m_audit;
};

} // namespace beacon::ui
