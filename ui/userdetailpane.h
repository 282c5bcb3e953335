#pragma once

#include "detailpane.h"

namespace beacon::ui {

// Below the Users table: the selected user's workspaces (one row per membership, with the role), the AI
// usage they caused, and the audit entries whose target is the user.
class UserDetailPane : public ScopedTablesPane {
    Q_OBJECT
public:
    explicit UserDetailPane(QWidget *parent = nullptr);
    void showUser(std::optional<qint64> userId);

    models::PagedTableModel *memberships() const { return m_memberships; }
    models::PagedTableModel *usage() const { return m_usage; }
    models::PagedTableModel *audit() const { return m_audit; }

private:
    models::PagedTableModel *m_memberships;
    models::PagedTableModel *m_usage;
    models::PagedTableModel *m_audit;
};

} // namespace beacon::ui
