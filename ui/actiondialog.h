#pragma once

#include "actionrunner.h"
#include "actions/action.h"
#include "db/connectionbudget.h"

#include <QDialog>
#include <QUuid>

#include <optional>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTimer;

namespace beacon::ui {

class ActionForm;
class ActionOutcomeView;

// One admin action, from the fields to the outcome. The fields come filled from the selection; a preview (a
// dry run through the same engine, on the runner's worker) shows what would change and runs again a moment
// after a field changes. Apply needs a reason, a preview of the fields as they are that the engine would
// accept and, for a destructive action, the confirmation typed:
// - on a workspace (read-only, member-remove, project-delete, file-delete): the workspace's slug;
// - user-merge: the id of the duplicate user, the one that is disabled;
// - exports-purge: the number of exports it would purge, as the preview counted them.
// Apply passes the workspace version read with the preview as the expected one, so a change made by someone
// else in between stops it with a conflict. The outcome is shown inline. The dialog keeps one action id for
// one request: pressing Apply again after a lost connection is safe, and reports what happened; Apply after
// the fields were changed is another request and takes a new id (actionId() changes).
class ActionDialog : public QDialog {
    Q_OBJECT
public:
    // `prefill` names the action's target as selected, and the actor. `stripe` is what plan-change and
    // billing-sync reach where the workspace is billed through Stripe; without it they are refused in words.
    ActionDialog(actions::ActionKind kind, const actions::ActionRequest &prefill, ConnectionBudget *budget,
                 QWidget *parent = nullptr,
                 const std::optional<billing::StripeAccess> &stripe = std::nullopt);
    ~ActionDialog() override;

    actions::ActionKind kind() const { return m_kind; }
    QUuid actionId() const { return m_actionId; }
    // The request the fields describe now, as Apply would send it.
    actions::ActionRequest request() const;
    // An apply under way (the dialog may be closed meanwhile; the outcome still arrives).
    bool isApplying() const { return m_applying; }
    bool isPreviewing() const;
    bool hasCurrentPreview() const { return m_previewCurrent; }
    const std::optional<models::ActionPreview> &lastPreview() const { return m_preview; }
    const std::optional<actions::ActionResult> &lastOutcome() const { return m_outcome; }
    // What must be typed before a destructive action applies; empty when nothing is asked or not known yet.
    QString confirmationText() const;
    // How long the action waits for a lock held by someone else before it reports busy (3 s by default).
    void setLockTimeout(int milliseconds) { m_lockTimeoutMs = milliseconds; }

    // Words for an outcome: "Applied", "Refused", "Busy", … for the dialog and the status bar.
    static QString outcomeTitle(const actions::ActionResult &result);
    // The action's title, as menus and the window title name it ("Change plan").
    static QString actionTitle(actions::ActionKind kind);

    void startPreview();
    void apply();

signals:
    // An apply's outcome, applied or not; also when the dialog was closed while it ran.
    void actionFinished(const beacon::actions::ActionResult &result);
    // A preview is on screen.
    void previewShown();

private:
    void fieldsEdited();
    void previewArrived(const models::ActionPreview &preview);
    void resultArrived(const actions::ActionResult &result);
    void showPreview(const models::ActionPreview &preview);
    void showOutcome(const actions::ActionResult &result);
    void showBusy(const QString &text);
    void hideBusy();
    void updateButtons();
    void updateConfirmLabel();
    QString targetDescription(const models::ActionTarget &target) const;
    void lockFields();

    actions::ActionKind m_kind;
    QUuid m_actionId;
    QString m_actor;
    int m_lockTimeoutMs = 3000;
    models::ActionRunner *m_runner;
    bool m_applying = false;
    bool m_done = false;
    bool m_previewCurrent = false;
    quint64 m_fieldsRevision = 0;
    quint64 m_previewRevision = 0;
    std::optional<qint64> m_seenVersion;
    std::optional<qint64> m_prorationDate;
    // requestFingerprint() of the last request applied under m_actionId; empty before the first Apply.
    QString m_appliedFingerprint;
    std::optional<models::ActionPreview> m_preview;
    std::optional<actions::ActionResult> m_outcome;

    ActionForm *m_form = nullptr;
    ActionOutcomeView *m_view = nullptr;
    QLabel *m_confirmLabel = nullptr;
    QLineEdit *m_confirm = nullptr;
    QWidget *m_busyRow = nullptr;
    QLabel *m_busyText = nullptr;
    QProgressBar *m_busyBar = nullptr;
    QPushButton *m_previewButton = nullptr;
    QPushButton *m_applyButton = nullptr;
    QPushButton *m_closeButton = nullptr;
    QTimer *m_previewPause = nullptr;
};

} // namespace beacon::ui
