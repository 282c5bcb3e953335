#pragma once

#include "billing/billingreport.h"
#include "billing/stripeaccess.h"
#include "db/connectionbudget.h"

#include <QTimer>
#include <QWidget>

#include <functional>
#include <optional>

class QAction;
class QGroupBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace beacon::billing {
class WorkspaceBillingLoader;
}

namespace beacon::ui {

class InlineMessage;

// The workspace detail pane's Billing tab: the workspace's billing as Stripe sees it (the same report as
// `beaconctl billing show`), read only while the tab is on screen, so that browsing workspaces asks Stripe
// for nothing. The customer, the subscription, the last invoices (whose hosted page opens in the browser)
// and the upcoming invoice; where Stripe and the row disagree, both values side by side and marked. A login
// that is neither finance nor admin sees the subscription's status and plan only.
class BillingTab : public QWidget {
    Q_OBJECT
public:
    // Opens a hosted invoice page; QDesktopServices::openUrl unless a test puts its own.
    using UrlOpener = std::function<bool(const QUrl &url)>;
    // A newer workspace chosen within this time replaces the one before without asking Stripe for it:
    // holding the arrow key down in the table is not a burst of Stripe calls.
    static constexpr int SettleMs = 200;

    explicit BillingTab(QWidget *parent = nullptr);
    ~BillingTab() override;

    void setConnection(ConnectionBudget *budget);
    void setStripeAccess(const billing::StripeAccess &access);
    // Loaded now when the tab is on screen, else when it is next shown.
    void showWorkspace(std::optional<qint64> workspaceId);
    void setUrlOpener(UrlOpener opener) { m_opener = std::move(opener); }

    // Asks again for the workspace shown (Retry).
    void reload();
    billing::WorkspaceBillingLoader *loader() const { return m_loader; }

protected:
    void showEvent(QShowEvent *event) override;

private:
    void loadIfShown();
    void cancelLoad();
    void busyChanged(bool busy);
    void loadFinished();
    void forgetShown();
    void showReport(const billing::WorkspaceBillingReport &report);
    void fillComparison(const billing::WorkspaceBillingReport &report);
    void fillCustomer(const QJsonObject &customer);
    void fillSubscription(const QJsonObject &subscription, bool restricted);
    void fillInvoices(const QJsonArray &invoices);
    void fillUpcoming(const QJsonObject &upcoming);
    void updateOpenButton();
    void openCurrentInvoice();
    QLabel *addField(QGroupBox *box, const QString &objectName, const QString &label);

    billing::WorkspaceBillingLoader *m_loader;
    UrlOpener m_opener;
    QTimer m_settle;
    std::optional<qint64> m_workspace;
    // What the content shows, or is being read for; unset when it must be read again.
    std::optional<std::optional<qint64>> m_shownFor;

    QWidget *m_busyRow;
    QProgressBar *m_busyBar;
    QPushButton *m_cancel;
    QAction *m_escape;
    InlineMessage *m_notice;
    InlineMessage *m_problem;
    QPushButton *m_retry;
    QWidget *m_content;
    QGroupBox *m_comparisonBox;
    QTableWidget *m_comparison;
    QGroupBox *m_customerBox;
    QGroupBox *m_subscriptionBox;
    QGroupBox *m_invoicesBox;
    QTableWidget *m_invoices;
    QPushButton *m_openInvoice;
    QGroupBox *m_upcomingBox;
};

} // namespace beacon::ui
