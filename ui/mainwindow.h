#pragma once

#include "billing/sessionstripe.h"
#include "db/connectionbudget.h"
#include "db/database.h"
#include "profiles/connectionprofile.h"

#include <QMainWindow>
#include <QPointer>

#include <memory>

class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QStackedWidget;

namespace beacon {
class DemoEnvironment;
}
namespace beacon::stripelocal {
class LocalStripeServer;
}

namespace beacon::ui {

class SecretStore;
class InlineMessage;
class ActionMenus;
class AuditDiffView;
class DetailPane;
class ReconciliationPage;
class TablePage;
class UsageSummaryPage;
class UserDetailPane;

// The console's window: the navigation list of tables, the status bar that says where you are connected and
// as whom, and the banners nobody may miss (production, unknown schema).
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    MainWindow(ProfileStore *profiles, SecretStore *secrets, QWidget *parent = nullptr);
    ~MainWindow() override;

    void openConnectDialog();
    // Ctrl+K: jump to a workspace or user named by id, slug, e-mail or Stripe id.
    void openQuickOpen();
    // Connects on a worker thread; the window stays responsive and shows progress meanwhile. `stripe` is what
    // the session bills through once connected (none by default); a problem with it is shown, and billing is
    // off, while the database connection works.
    void connectTo(const ConnectionSpec &spec, const QString &label, bool production,
                   const billing::SessionStripe &stripe = {});
    // Starts the private demo database on a worker thread, then the demo's local Stripe test server (on this
    // thread: it is asynchronous) filled to match it, then connects to the database.
    void startDemo();
    // Blocking: waits for a demo start still under way, then stops the demo server. Call after the event
    // loop has ended.
    void stopDemo();
    void setSession(const SessionProbe &session, const QString &label, bool production);
    bool hasSession() const { return m_hasSession; }
    // The window's database connections, shared by every page, pane and dialog in it; null before a session.
    ConnectionBudget *connectionBudget() const { return m_budget; }
    // The admin actions on the tables and detail panes.
    ActionMenus *actionMenus() const { return m_actionMenus; }
    // The Stripe that billing views and actions call: the session's profile's key and address, or the demo's
    // local test server (both key and endpoint set); neither set when the session has no usable Stripe.
    billing::StripeAccess stripeAccess() const { return m_stripe.access; }

signals:
    // The window is shown and connected: used by --exit-when-ready.
    void ready();
    void failed(const beacon::DbError &error);

private:
    void buildUi();
    void buildMenus();
    void showBusy(const QString &text);
    void hideBusy();
    void showProblem(const DbError &error);
    void showAbout();
    // Starts the demo's local Stripe once the demo database is up and its billing has been read, and returns
    // it as the demo session's Stripe.
    billing::SessionStripe startDemoStripe();
    // Makes `budget` the window's connections for this session, and `stripe` its Stripe.
    void adoptSession(const SessionProbe &session, const QString &label, bool production,
                      ConnectionBudget *budget, const billing::SessionStripe &stripe);
    // The status bar's Stripe label and, when the session's Stripe was refused, the banner saying why.
    void showStripe();
    // The Reconciliation entry is switched off, with the reason as its tooltip, for logins that may not use
    // it.
    void updateReconciliationEntry();

    ProfileStore *m_profiles;
    SecretStore *m_secrets;
    std::unique_ptr<DemoEnvironment> m_demo;
    // Kept across reopening the demo, so that what the finance workflow changed in it stays.
    stripelocal::LocalStripeServer *m_demoStripe = nullptr;
    billing::SessionStripe m_stripe;
    bool m_hasSession = false;
    ConnectionSpec m_sessionSpec;
    ConnectionBudget *m_budget = nullptr;
    // The connections a connect under way probes with, kept as the session's when it succeeds.
    QPointer<ConnectionBudget> m_connecting;
    DbRequester *m_probes = nullptr;

    InlineMessage *m_productionBanner = nullptr;
    InlineMessage *m_schemaBanner = nullptr;
    InlineMessage *m_problemBanner = nullptr;
    InlineMessage *m_stripeBanner = nullptr;
    QWidget *m_busyPanel = nullptr;
    QLabel *m_busyText = nullptr;
    QProgressBar *m_busyBar = nullptr;
    QListWidget *m_navigation = nullptr;
    QStackedWidget *m_pages = nullptr;
    QList<TablePage *> m_tablePages;
    DetailPane *m_detailPane = nullptr;
    UserDetailPane *m_userDetailPane = nullptr;
    AuditDiffView *m_auditDiff = nullptr;
    UsageSummaryPage *m_usageSummary = nullptr;
    ReconciliationPage *m_reconciliation = nullptr;
    ActionMenus *m_actionMenus = nullptr;
    QLabel *m_statusServer = nullptr;
    QLabel *m_statusDatabase = nullptr;
    QLabel *m_statusRole = nullptr;
    QLabel *m_statusSchema = nullptr;
    QLabel *m_statusStripe = nullptr;
};

} // namespace beacon::ui
