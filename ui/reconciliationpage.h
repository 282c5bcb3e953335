#pragma once

#include "actions/action.h"
#include "billing/stripeaccess.h"
#include "db/connectionbudget.h"
#include "db/database.h"
#include "db/dberror.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace beacon::models {
class ReconciliationModel;
} // namespace beacon::models

namespace beacon::ui {

class InlineMessage;

// Reconciliation for finance and admin: pages once through Stripe's customers and subscriptions and compares
// them with the workspaces (models::ReconciliationModel), with its progress, Cancel, and a table of what
// disagrees. A finding that an admin action can mend has Fix…, which asks for that action's dialog, filled in
// (fixRequested); the dialog previews and applies it with its audit row. Duplicate customers and ids Stripe
// does not know have no Fix: the details say what a person needs to decide in Stripe.
class ReconciliationPage : public QWidget {
    Q_OBJECT
public:
    explicit ReconciliationPage(QWidget *parent = nullptr);

    // Who is logged in (only finance, admin and superusers may reconcile) and through which connections.
    void setSession(const SessionProbe &session, ConnectionBudget *budget);
    void setStripe(const billing::StripeAccess &access);
    // Why this login may not use the page, in words; empty when it may.
    QString whyUnavailable() const { return m_unavailable; }
    models::ReconciliationModel *model() const { return m_model; }

    // An admin action's outcome, from any dialog of the window: the findings it mended are marked fixed.
    void actionFinished(const actions::ActionResult &result);
    // Opens the Fix of the selected finding, when it has one.
    void fixSelected();

signals:
    // The action that mends the selected finding, filled from it, for the window's action dialog.
    void fixRequested(beacon::actions::ActionKind kind, const beacon::actions::ActionRequest &prefill);
    // whyUnavailable() changed.
    void availabilityChanged();

protected:
    void keyPressEvent(QKeyEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Fix {
        actions::ActionKind kind = actions::ActionKind::BillingLink;
        actions::ActionRequest prefill;
    };
    void runReconciliation();
    void cancelReconciliation();
    void busyChanged(bool busy);
    void showProgress(int pages, int customers, int subscriptions);
    void runFinished();
    void showProblem(const DbError &error);
    void updateSummary();
    void updateAvailability();
    void selectionChanged();
    // The selected finding's row in the model, if any.
    std::optional<int> selectedRow() const;
    // The action that mends finding `row`, or nothing with *whyNot saying why.
    std::optional<Fix> fixFor(int row, QString *whyNot) const;

    models::ReconciliationModel *m_model;
    QSortFilterProxyModel *m_filter;
    QPushButton *m_run;
    QPushButton *m_cancel;
    QProgressBar *m_busy;
    QLabel *m_progress;
    QComboBox *m_kind;
    InlineMessage *m_notice;
    InlineMessage *m_problem;
    QLabel *m_summary;
    QTableView *m_view;
    QPushButton *m_fix;
    QPlainTextEdit *m_details;
    bool m_connected = false;
    QString m_unavailable;
};

} // namespace beacon::ui
