#include "actiondialog.h"
#include "plaintext.h"

#include "actionform.h"
#include "actionoutcomeview.h"
#include "inlinemessage.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace beacon::ui {

using actions::ActionKind;
using actions::ActionRequest;
using actions::ActionResult;

// Long enough that typing an id sends one preview, short enough that the preview follows the fields.
static constexpr int PreviewPauseMs = 400;

QString ActionDialog::actionTitle(ActionKind kind)
{
    return actions::actionText(kind).title;
}

QString ActionDialog::outcomeTitle(const ActionResult &result)
{
    switch (result.error.kind) {
    case ErrorKind::None:
        if (result.alreadyApplied)
            return tr("Already applied");
        return result.dryRun ? tr("Would apply") : tr("Applied");
    case ErrorKind::Usage:
    case ErrorKind::Refused:
        return tr("Refused");
    case ErrorKind::Busy:
        return tr("Busy");
    case ErrorKind::Conflict:
        return tr("Conflict");
    case ErrorKind::Denied:
        return tr("Denied");
    case ErrorKind::Unavailable:
        return tr("Unavailable");
    case ErrorKind::Internal:
        break;
    }
    return tr("Failed");
}

ActionDialog::ActionDialog(ActionKind kind, const ActionRequest &prefill, ConnectionBudget *budget,
                           QWidget *parent, const std::optional<billing::StripeAccess> &stripe)
    : QDialog(parent)
    , m_kind(kind)
    , m_actionId(QUuid::createUuid())
    , m_actor(prefill.actor)
    , m_lockTimeoutMs(prefill.lockTimeoutMs)
    , m_runner(new models::ActionRunner(this))
    , m_previewPause(new QTimer(this))
{
    m_runner->setStripe(stripe);
    setObjectName(QStringLiteral("actionDialog"));
    setWindowTitle(tr("%1 — Beacon Admin").arg(actionTitle(kind)));
    resize(640, 600);
    connect(m_runner, &models::ActionRunner::previewed, this, &ActionDialog::previewArrived);
    connect(m_runner, &models::ActionRunner::finished, this, &ActionDialog::resultArrived);
    m_runner->setConnection(budget);
    m_previewPause->setSingleShot(true);
    m_previewPause->setInterval(PreviewPauseMs);
    connect(m_previewPause, &QTimer::timeout, this, &ActionDialog::startPreview);

    auto *intro = new QLabel(actions::actionText(kind).introduction, this);
    intro->setObjectName(QStringLiteral("actionIntro"));
    intro->setWordWrap(true);

    m_form = new ActionForm(kind, prefill, this);
    connect(m_form, &ActionForm::edited, this, &ActionDialog::fieldsEdited);
    connect(m_form, &ActionForm::reasonChanged, this, &ActionDialog::updateButtons);
    m_view = new ActionOutcomeView(this);

    QHBoxLayout *confirmRow = nullptr;
    if (actions::isDestructive(kind)) {
        m_confirm = new QLineEdit(this);
        m_confirm->setObjectName(QStringLiteral("confirmEdit"));
        m_confirmLabel = plainTextLabel(new QLabel(this)); // quotes the workspace's slug
        m_confirmLabel->setObjectName(QStringLiteral("confirmLabel"));
        m_confirmLabel->setWordWrap(true);
        m_confirmLabel->setBuddy(m_confirm);
        confirmRow = new QHBoxLayout;
        confirmRow->addWidget(m_confirmLabel, 1);
        confirmRow->addWidget(m_confirm);
        connect(m_confirm, &QLineEdit::textChanged, this, &ActionDialog::updateButtons);
    }

    m_busyRow = new QWidget(this);
    m_busyRow->setObjectName(QStringLiteral("busyRow"));
    m_busyText = plainTextLabel(new QLabel(m_busyRow));
    m_busyText->setObjectName(QStringLiteral("busyText"));
    m_busyBar = new QProgressBar(m_busyRow);
    m_busyBar->setObjectName(QStringLiteral("busyBar"));
    m_busyBar->setRange(0, 0);
    m_busyBar->setMaximumWidth(160);
    auto *busyLayout = new QHBoxLayout(m_busyRow);
    busyLayout->setContentsMargins(0, 0, 0, 0);
    busyLayout->addWidget(m_busyBar);
    busyLayout->addWidget(m_busyText, 1);
    m_busyRow->setVisible(false);

    // Enter in a field previews; only a click, Alt+A or Space on the focused button applies.
    m_previewButton = new QPushButton(tr("Pre&view"), this);
    m_previewButton->setObjectName(QStringLiteral("previewButton"));
    m_previewButton->setDefault(true);
    m_applyButton = new QPushButton(tr("&Apply"), this);
    m_applyButton->setObjectName(QStringLiteral("applyButton"));
    m_closeButton = new QPushButton(tr("&Close"), this);
    m_closeButton->setObjectName(QStringLiteral("closeButton"));
    m_closeButton->setToolTip(tr("Close this dialog. An action under way still finishes, and the window "
                                 "reports its outcome."));
    connect(m_previewButton, &QPushButton::clicked, this, &ActionDialog::startPreview);
    connect(m_applyButton, &QPushButton::clicked, this, &ActionDialog::apply);
    connect(m_closeButton, &QPushButton::clicked, this, &QDialog::reject);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_previewButton);
    buttons->addWidget(m_applyButton);
    buttons->addWidget(m_closeButton);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_form);
    layout->addWidget(m_view, 1);
    if (confirmRow)
        layout->addLayout(confirmRow);
    layout->addWidget(m_busyRow);
    layout->addWidget(m_view->outcomeMessage());
    layout->addLayout(buttons);

    // The order on screen: fields, reason, what would change, confirmation, then the buttons.
    QList<QWidget *> chain = m_form->fields();
    chain << m_form->reasonEdit() << m_view->previewText() << m_view->changesTable();
    if (m_confirm)
        chain << m_confirm;
    chain << m_previewButton << m_applyButton << m_closeButton;
    for (qsizetype i = 1; i < chain.size(); ++i)
        setTabOrder(chain.at(i - 1), chain.at(i));
    QWidget *first = m_form->firstToFill();
    first->setFocus();

    updateButtons();
    startPreview();
}

ActionDialog::~ActionDialog() = default;

ActionRequest ActionDialog::request() const
{
    ActionRequest request;
    request.kind = m_kind;
    request.actionId = m_actionId;
    request.actor = m_actor;
    request.client = QStringLiteral("beacon-admin");
    request.lockTimeoutMs = m_lockTimeoutMs;
    if (ActionForm::worksOnOneWorkspace(m_kind))
        request.expectVersion = m_seenVersion;
    m_form->fillRequest(&request);
    return request;
}

bool ActionDialog::isPreviewing() const
{
    return m_runner->isPreviewing();
}

void ActionDialog::fieldsEdited()
{
    ++m_fieldsRevision;
    m_previewCurrent = false;
    m_seenVersion.reset();
    m_previewPause->start();
    updateButtons();
}

void ActionDialog::startPreview()
{
    m_previewPause->stop();
    if (m_done || m_applying)
        return;
    m_previewRevision = m_fieldsRevision;
    const QString missing = m_form->missingInput();
    if (!missing.isEmpty()) {
        m_preview.reset();
        m_previewCurrent = false;
        m_view->showText(missing);
        updateButtons();
        return;
    }
    ActionRequest preview = request();
    preview.expectVersion.reset(); // the runner reads the version, and the apply expects that one
    // The engine wants a reason even for a dry run; nothing of a dry run is kept.
    if (preview.reason.isEmpty())
        preview.reason = QStringLiteral("preview");
    m_runner->preview(preview);
    showBusy(tr("Previewing…"));
    updateButtons();
}

void ActionDialog::previewArrived(const models::ActionPreview &preview)
{
    if (!m_applying)
        hideBusy();
    m_preview = preview;
    m_previewCurrent = m_previewRevision == m_fieldsRevision;
    m_seenVersion.reset();
    if (ActionForm::worksOnOneWorkspace(m_kind) && preview.target.workspaceFound)
        m_seenVersion = preview.target.workspaceVersion;
    showPreview(preview);
    updateButtons();
    emit previewShown();
}

QString ActionDialog::targetDescription(const models::ActionTarget &target) const
{
    QStringList lines;
    if (target.workspaceId) {
        lines.append(target.workspaceFound
                         ? tr("Workspace %1 \"%2\" (slug %3): plan %4, %5, version %6.")
                               .arg(*target.workspaceId)
                               .arg(target.workspaceName, target.workspaceSlug, target.workspacePlan,
                                    target.workspaceReadOnly ? tr("read-only") : tr("writable"))
                               .arg(target.workspaceVersion)
                         : tr("There is no workspace %1.").arg(*target.workspaceId));
    }
    if (!target.userEmail.isEmpty())
        lines.append(tr("User: %1.").arg(target.userEmail));
    if (m_kind == ActionKind::UserMerge) {
        const ActionRequest now = request();
        const auto who = [](std::optional<qint64> id, const QString &email) {
            return email.isEmpty() ? tr("%1 (no such user)").arg(id.value_or(0))
                                   : QStringLiteral("%1 (%2)").arg(id.value_or(0)).arg(email);
        };
        lines.append(
            tr("Keep user %1; disable user %2.")
                .arg(who(now.keepUserId, target.keepUserEmail), who(now.mergeUserId, target.mergeUserEmail)));
    }
    if (m_kind == ActionKind::ExportsPurge)
        lines.append(tr("%1 expired exports are due (%2 in all); a batch handles up to %3.")
                         .arg(ActionOutcomeView::number(target.purgeableExports),
                              ActionOutcomeView::dataSize(target.purgeableBytes),
                              ActionOutcomeView::number(request().limit)));
    return lines.join(QLatin1Char('\n'));
}

void ActionDialog::showPreview(const models::ActionPreview &preview)
{
    m_view->showPreview(targetDescription(preview.target), preview.result);
}

void ActionDialog::updateConfirmLabel()
{
    if (!m_confirmLabel)
        return;
    const QString expected = confirmationText();
    QString text;
    if (expected.isEmpty())
        text = tr("&Type the confirmation here; a preview of these fields says what it is:");
    else // the catalogue's words, with the keyboard shortcut on their first letter
        text = QLatin1Char('&') + actions::actionText(m_kind).confirmation.arg(expected);
    m_confirmLabel->setText(text);
}

QString ActionDialog::confirmationText() const
{
    if (!actions::isDestructive(m_kind) || !m_preview || !m_previewCurrent)
        return {};
    switch (m_kind) {
    case ActionKind::UserMerge: {
        const std::optional<qint64> merge = request().mergeUserId;
        return merge ? QString::number(*merge) : QString();
    }
    case ActionKind::ExportsPurge:
        return QString::number(m_preview->target.purgeableExports);
    default:
        return m_preview->target.workspaceFound ? m_preview->target.workspaceSlug : QString();
    }
}

void ActionDialog::updateButtons()
{
    const bool previewOk = m_previewCurrent && m_preview && m_preview->result.ok();
    const bool reasonGiven = !m_form->reason().isEmpty();
    const QString expected = confirmationText();
    const bool confirmed = !m_confirm || (!expected.isEmpty() && m_confirm->text().trimmed() == expected);
    QString why;
    if (m_done)
        why = tr("This action is done; close the dialog.");
    else if (m_applying)
        why = tr("The action is under way.");
    else if (isPreviewing())
        why = tr("Wait for the preview of these fields.");
    else if (!previewOk)
        why = tr("Apply follows a preview of these fields that would succeed.");
    else if (!reasonGiven)
        why = tr("Give a reason first: a ticket reference or a sentence.");
    else if (!confirmed)
        why = tr("Type the confirmation first.");
    m_applyButton->setEnabled(why.isEmpty());
    m_applyButton->setToolTip(why.isEmpty() ? tr("Apply the change, as previewed.") : why);
    m_previewButton->setEnabled(!m_done && !m_applying);
    updateConfirmLabel();
}

void ActionDialog::apply()
{
    updateButtons();
    if (!m_applyButton->isEnabled())
        return;
    m_applying = true;
    m_outcome.reset();
    m_view->clearOutcome();
    m_form->setFieldsEnabled(false);
    showBusy(tr("Applying… The window stays usable; you may close this dialog, and the outcome will be "
                "reported."));
    ActionRequest applied = request();
    // A change through Stripe is prorated from the moment its preview showed, so that what was shown is what
    // is charged; the first apply fixes it, so that pressing Apply again repeats the very same request.
    if (m_kind == ActionKind::PlanChange && !m_prorationDate && m_preview) {
        const QJsonValue date = m_preview->result.preview.value(QStringLiteral("proration_date"));
        if (date.isDouble())
            m_prorationDate = qint64(date.toDouble());
    }
    applied.prorationDate = m_prorationDate;
    // One id stands for one request. After an outcome that was not applied (unavailable above all, where the
    // first request may have gone through), Apply with the same fields repeats it under the same id, which
    // is safe; Apply with other fields is another request and takes a new id, so that it is neither
    // mistaken for the first nor refused as a reuse of its id.
    const QString fingerprint = actions::requestFingerprint(applied);
    if (!m_appliedFingerprint.isEmpty() && fingerprint != m_appliedFingerprint) {
        m_actionId = QUuid::createUuid();
        applied.actionId = m_actionId;
    }
    m_appliedFingerprint = fingerprint;
    m_runner->run(applied);
    updateButtons();
}

void ActionDialog::resultArrived(const ActionResult &result)
{
    m_applying = false;
    hideBusy();
    m_outcome = result;
    if (result.ok()) {
        m_done = true;
        lockFields();
    } else {
        m_form->setFieldsEnabled(true);
        // The data said no, or moved on: look again before trying again.
        if (result.error.kind == ErrorKind::Conflict || result.error.kind == ErrorKind::Refused ||
            result.error.kind == ErrorKind::Usage)
            m_previewCurrent = false;
    }
    showOutcome(result);
    updateButtons();
    emit actionFinished(result);
}

void ActionDialog::showOutcome(const ActionResult &result)
{
    m_view->showOutcome(result);
}

void ActionDialog::showBusy(const QString &text)
{
    m_busyText->setText(text);
    m_busyRow->setVisible(true);
}

void ActionDialog::hideBusy()
{
    m_busyRow->setVisible(false);
}

void ActionDialog::lockFields()
{
    m_form->lock();
    if (m_confirm)
        m_confirm->setReadOnly(true);
    m_closeButton->setDefault(true);
    m_closeButton->setFocus();
}

} // namespace beacon::ui
