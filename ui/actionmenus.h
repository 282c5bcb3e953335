#pragma once

#include "actions/action.h"
#include "billing/stripeaccess.h"
#include "db/connectionbudget.h"
#include "db/database.h"

#include <QKeySequence>
#include <QObject>
#include <QPointer>

#include <functional>
#include <optional>

class QAction;
class QMainWindow;

namespace beacon::models {
class PagedTableModel;
}

namespace beacon::ui {

class ActionDialog;
class DetailPane;
class TablePage;
class UserDetailPane;

// The admin actions of the window, in one place: a QAction per action and place, in the context menu and on
// the tool bar of the table it works on, filled from the row under the keyboard focus. An action the login's
// Beacon role may not run is switched off, and its tooltip names the roles that may; so are all of them
// without a session, or when the schema is unknown. After an applied action the tables it touched are read
// again.
class ActionMenus : public QObject {
    Q_OBJECT
public:
    struct Pages {
        TablePage *workspaces = nullptr;
        TablePage *users = nullptr;
        TablePage *files = nullptr;
        TablePage *exports = nullptr;
        TablePage *audit = nullptr;
        // Other views of the workspaces (subscriptions, quotas), read again after a workspace changed.
        QList<TablePage *> workspaceViews;
        DetailPane *workspaceDetail = nullptr;
        UserDetailPane *userDetail = nullptr;
    };

    ActionMenus(QMainWindow *window, const Pages &pages);

    // Who the actions may be run as, and through which connections; a session with an error switches them
    // all off.
    void setSession(const SessionProbe &session, ConnectionBudget *budget);
    // The person at the console, recorded in the audit log beside the database login: the operating system's
    // user name.
    static QString consoleUser();
    // Every action this object made, for tests and menus.
    QList<QAction *> actions() const;
    // Why `kind` is switched off now, in words; empty when it may run.
    QString whyDisabled(actions::ActionKind kind) const;
    // Where the dialogs get the Stripe that plan-change and billing-sync reach: asked when a dialog opens, so
    // that a key read or a local server started later is used from then on.
    void setStripeProvider(std::function<std::optional<billing::StripeAccess>()> provider)
    {
        m_stripe = std::move(provider);
    }
    // Opens the dialog of `kind` with its fields filled from `prefill` (nothing when the action is switched
    // off); the menus' entries and other pages (reconciliation's fixes) come through here.
    void open(actions::ActionKind kind, actions::ActionRequest prefill);

signals:
    // A dialog was opened (for tests, and to find it).
    void dialogOpened(beacon::ui::ActionDialog *dialog);
    // An apply's outcome, from any dialog of this window.
    void actionFinished(const beacon::actions::ActionResult &result);

private:
    struct Entry {
        QAction *action;
        actions::ActionKind kind;
        QString toolTip;
    };
    QAction *make(actions::ActionKind kind, const QString &objectName, const QString &text,
                  const QKeySequence &shortcut, std::function<actions::ActionRequest()> prefill);
    void buildWorkspaceActions();
    void buildDetailActions();
    void buildUserActions();
    void buildFileAndExportActions();
    void finished(ActionDialog *dialog, const actions::ActionResult &result);
    QList<models::PagedTableModel *> modelsAffectedBy(actions::ActionKind kind) const;
    void updateEnabled();

    QMainWindow *m_window;
    Pages m_pages;
    QList<Entry> m_entries;
    bool m_connected = false;
    QPointer<ConnectionBudget> m_budget;
    QString m_groupRole;
    QString m_login;
    QString m_changesOff;
    std::function<std::optional<billing::StripeAccess>()> m_stripe;
};

} // namespace beacon::ui
