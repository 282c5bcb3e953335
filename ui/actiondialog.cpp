#include "actiondialog.h"

#include "browse/auditdiff.h"
#include "inlinemessage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QStyle>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace beacon::ui {

using actions::ActionKind;
using actions::ActionRequest;
using actions::ActionResult;

// Long enough that typing an id sends one preview, short enough that the preview follows the fields.
static constexpr int PreviewPauseMs = 400;
// A before/after of a purge lists every id; the table shows the start of it.
static constexpr int MaxChangeRows = 1000;

namespace {

// The plans are reference data of the schema contract (0001_schema.sql), the same in every database, cheapest
// first; the engine refuses a code it does not know in any case.
const QStringList &planCodes()
{
    static const QStringList codes = {QStringLiteral("free"), QStringLiteral("starter"),
                                      QStringLiteral("team"), QStringLiteral("business"),
                                      QStringLiteral("enterprise")};
    return codes;
}

bool worksOnOneWorkspace(ActionKind kind)
{
    return kind != ActionKind::UserMerge && kind != ActionKind::ExportsPurge;
}

std::optional<qint64> idIn(const QLineEdit *field)
{
    if (!field)
        return std::nullopt;
    bool ok = false;
    const qint64 value = field->text().trimmed().toLongLong(&ok);
    return ok ? std::optional<qint64>(value) : std::nullopt;
}

QString number(qint64 value)
{
    return QLocale().toString(value);
}

QString dataSize(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

QString introFor(ActionKind kind)
{
    switch (kind) {
    case ActionKind::PlanChange:
        return ActionDialog::tr(
            "Moves the workspace to another plan. A plan with fewer seats than the workspace "
            "has members is refused; a plan with less storage than it uses needs "
            "\"allow over quota\", and then makes the workspace read-only.");
    case ActionKind::ReadOnly:
        return ActionDialog::tr("A read-only workspace can be looked at but not changed by its members.");
    case ActionKind::QuotaRepair:
        return ActionDialog::tr("Sets the workspace's storage counter to the sum of its files' sizes.");
    case ActionKind::MemberAdd:
        return ActionDialog::tr("Adds a user to the workspace with a role. Refused when the plan's seats "
                                "are all taken.");
    case ActionKind::MemberRemove:
        return ActionDialog::tr("Removes the user from the workspace. The last owner cannot be removed.");
    case ActionKind::MemberRole:
        return ActionDialog::tr("Changes the user's role in the workspace. The last owner keeps the role.");
    case ActionKind::ProjectDelete:
        return ActionDialog::tr("Deletes the project with all of its files, and gives their space back to "
                                "the workspace.");
    case ActionKind::FileDelete:
        return ActionDialog::tr("Deletes the file and gives its space back to the workspace.");
    case ActionKind::UserMerge:
        return ActionDialog::tr("Moves the duplicate's memberships to the user kept (where both are members, "
                                "the stronger role stays) and disables the duplicate.");
    case ActionKind::ExportsPurge:
        return ActionDialog::tr("Marks the export archives that expired more than the given number of days "
                                "ago as purged, in batches.");
    }
    return {};
}

} // namespace

QString ActionDialog::actionTitle(ActionKind kind)
{
    switch (kind) {
    case ActionKind::PlanChange:
        return tr("Change plan");
    case ActionKind::ReadOnly:
        return tr("Read-only on or off");
    case ActionKind::QuotaRepair:
        return tr("Repair storage quota");
    case ActionKind::MemberAdd:
        return tr("Add member");
    case ActionKind::MemberRemove:
        return tr("Remove member");
    case ActionKind::MemberRole:
        return tr("Change member role");
    case ActionKind::ProjectDelete:
        return tr("Delete project");
    case ActionKind::FileDelete:
        return tr("Delete file");
    case ActionKind::UserMerge:
        return tr("Merge users");
    case ActionKind::ExportsPurge:
        return tr("Purge expired exports");
    }
    return {};
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

ActionDialog::ActionDialog(ActionKind kind, const ActionRequest &prefill, const ConnectionSpec &spec,
                           QWidget *parent)
    : QDialog(parent)
    , m_kind(kind)
    , m_actionId(QUuid::createUuid())
    , m_actor(prefill.actor)
    , m_lockTimeoutMs(prefill.lockTimeoutMs)
    , m_runner(new models::ActionRunner(this))
    , m_previewPause(new QTimer(this))
{
    setObjectName(QStringLiteral("actionDialog"));
    setWindowTitle(tr("%1 — Beacon Admin").arg(actionTitle(kind)));
    resize(640, 600);
    connect(m_runner, &models::ActionRunner::previewed, this, &ActionDialog::previewArrived);
    connect(m_runner, &models::ActionRunner::finished, this, &ActionDialog::resultArrived);
    m_runner->setConnection(spec);
    m_previewPause->setSingleShot(true);
    m_previewPause->setInterval(PreviewPauseMs);
    connect(m_previewPause, &QTimer::timeout, this, &ActionDialog::startPreview);

    auto *intro = new QLabel(introFor(kind), this);
    intro->setObjectName(QStringLiteral("actionIntro"));
    intro->setWordWrap(true);

    auto *form = new QFormLayout;
    buildFields(prefill, form);
    m_reason = new QLineEdit(this);
    m_reason->setObjectName(QStringLiteral("reasonEdit"));
    m_reason->setPlaceholderText(tr("A ticket reference or a sentence (required)"));
    m_reason->setText(prefill.reason);
    auto *reasonLabel = new QLabel(tr("&Reason:"), this);
    reasonLabel->setBuddy(m_reason);
    form->addRow(reasonLabel, m_reason);
    connect(m_reason, &QLineEdit::textChanged, this, &ActionDialog::updateButtons);

    auto *previewBox = new QGroupBox(tr("What would change"), this);
    previewBox->setObjectName(QStringLiteral("previewBox"));
    // Scrolls rather than pushing the table away when the words run long; Tab moves on, as in a form.
    m_previewText = new QPlainTextEdit(previewBox);
    m_previewText->setObjectName(QStringLiteral("previewText"));
    m_previewText->setReadOnly(true);
    m_previewText->setTabChangesFocus(true);
    m_previewText->setAccessibleName(tr("What would change"));
    m_changes = new QTableWidget(0, 4, previewBox);
    m_changes->setObjectName(QStringLiteral("changesTable"));
    m_changes->setHorizontalHeaderLabels({tr("Field"), tr("Change"), tr("Before"), tr("After")});
    m_changes->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_changes->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_changes->verticalHeader()->setVisible(false);
    m_changes->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_changes->verticalHeader()->setDefaultSectionSize(m_changes->fontMetrics().height() + 6);
    m_changes->setAccessibleName(tr("Fields before and after"));
    m_changes->horizontalHeader()->setStretchLastSection(true);
    auto *previewLayout = new QVBoxLayout(previewBox);
    previewLayout->addWidget(m_previewText, 2);
    previewLayout->addWidget(m_changes, 3);

    QHBoxLayout *confirmRow = nullptr;
    if (actions::isDestructive(kind)) {
        m_confirm = new QLineEdit(this);
        m_confirm->setObjectName(QStringLiteral("confirmEdit"));
        m_confirmLabel = new QLabel(this);
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
    m_busyText = new QLabel(m_busyRow);
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

    // The outcome, inline: words first, and what support needs to look it up beneath.
    m_outcomeMessage = new InlineMessage(this);
    m_outcomeMessage->setObjectName(QStringLiteral("outcomeMessage"));
    m_outcomeMessage->textLabel()->setObjectName(QStringLiteral("outcomeLabel"));
    m_outcomeMessage->detailsLabel()->setObjectName(QStringLiteral("outcomeDetails"));
    QFont bold = m_outcomeMessage->textLabel()->font();
    bold.setBold(true);
    m_outcomeMessage->textLabel()->setFont(bold);

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
    layout->addLayout(form);
    layout->addWidget(previewBox, 1);
    if (confirmRow)
        layout->addLayout(confirmRow);
    layout->addWidget(m_busyRow);
    layout->addWidget(m_outcomeMessage);
    layout->addLayout(buttons);

    // The order on screen: fields, reason, what would change, confirmation, then the buttons.
    QList<QWidget *> chain = m_fields;
    chain << m_reason << m_previewText << m_changes;
    if (m_confirm)
        chain << m_confirm;
    chain << m_previewButton << m_applyButton << m_closeButton;
    for (qsizetype i = 1; i < chain.size(); ++i)
        setTabOrder(chain.at(i - 1), chain.at(i));
    QWidget *first = m_reason;
    for (QWidget *field : std::as_const(m_fields)) {
        auto *line = qobject_cast<QLineEdit *>(field);
        if (line && line->text().trimmed().isEmpty()) {
            first = line;
            break;
        }
    }
    first->setFocus();

    updateButtons();
    startPreview();
}

ActionDialog::~ActionDialog() = default;

QLineEdit *ActionDialog::idField(const QString &objectName, std::optional<qint64> value)
{
    auto *field = new QLineEdit(this);
    field->setObjectName(objectName);
    field->setValidator(
        new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{1,18}")), field));
    if (value)
        field->setText(QString::number(*value));
    connect(field, &QLineEdit::textEdited, this, &ActionDialog::fieldsEdited);
    return field;
}

void ActionDialog::buildFields(const ActionRequest &prefill, QFormLayout *form)
{
    const auto addRow = [&](const QString &label, QWidget *field) {
        auto *text = new QLabel(label, this);
        text->setBuddy(field);
        form->addRow(text, field);
        m_fields.append(field);
    };
    const auto roleCombo = [&](const QString &role) {
        m_role = new QComboBox(this);
        m_role->setObjectName(QStringLiteral("roleCombo"));
        m_role->addItems(actions::memberRoles());
        const qsizetype index = actions::memberRoles().indexOf(role);
        m_role->setCurrentIndex(index >= 0 ? int(index)
                                           : int(actions::memberRoles().indexOf(QLatin1String("member"))));
        connect(m_role, &QComboBox::currentIndexChanged, this, &ActionDialog::fieldsEdited);
        addRow(tr("R&ole:"), m_role);
    };
    if (worksOnOneWorkspace(m_kind) && m_kind != ActionKind::ProjectDelete &&
        m_kind != ActionKind::FileDelete) {
        m_workspace = idField(QStringLiteral("workspaceEdit"), prefill.workspaceId);
        addRow(tr("&Workspace id:"), m_workspace);
    }
    switch (m_kind) {
    case ActionKind::PlanChange:
        m_plan = new QComboBox(this);
        m_plan->setObjectName(QStringLiteral("planCombo"));
        m_plan->addItems(planCodes());
        // The next plan up is the usual request (the top plan's neighbour is the one below); the current plan
        // itself would only be refused as no change.
        if (const qsizetype current = planCodes().indexOf(prefill.plan); current >= 0)
            m_plan->setCurrentIndex(int(current + 1 < planCodes().size() ? current + 1 : current - 1));
        connect(m_plan, &QComboBox::currentIndexChanged, this, &ActionDialog::fieldsEdited);
        addRow(tr("&Plan:"), m_plan);
        m_overQuota = new QCheckBox(tr("Allow over &quota (the workspace becomes read-only)"), this);
        m_overQuota->setObjectName(QStringLiteral("overQuotaCheck"));
        m_overQuota->setChecked(prefill.allowOverQuota);
        connect(m_overQuota, &QCheckBox::toggled, this, &ActionDialog::fieldsEdited);
        form->addRow(QString(), m_overQuota);
        m_fields.append(m_overQuota);
        break;
    case ActionKind::ReadOnly:
        m_readOnly = new QComboBox(this);
        m_readOnly->setObjectName(QStringLiteral("readOnlyCombo"));
        m_readOnly->addItem(tr("Read-only"), true);
        m_readOnly->addItem(tr("Writable"), false);
        m_readOnly->setCurrentIndex(prefill.readOnly.value_or(true) ? 0 : 1);
        connect(m_readOnly, &QComboBox::currentIndexChanged, this, &ActionDialog::fieldsEdited);
        addRow(tr("&Make it:"), m_readOnly);
        break;
    case ActionKind::MemberAdd:
        m_user = new QLineEdit(this);
        m_user->setObjectName(QStringLiteral("userEdit"));
        m_user->setPlaceholderText(tr("A user id or an e-mail address"));
        m_user->setText(prefill.userId ? QString::number(*prefill.userId) : prefill.userEmail);
        connect(m_user, &QLineEdit::textEdited, this, &ActionDialog::fieldsEdited);
        addRow(tr("&User:"), m_user);
        roleCombo(prefill.role);
        break;
    case ActionKind::MemberRemove:
        m_user = idField(QStringLiteral("userEdit"), prefill.userId);
        addRow(tr("&User id:"), m_user);
        break;
    case ActionKind::MemberRole:
        m_user = idField(QStringLiteral("userEdit"), prefill.userId);
        addRow(tr("&User id:"), m_user);
        roleCombo(prefill.role);
        break;
    case ActionKind::ProjectDelete:
        m_project = idField(QStringLiteral("projectEdit"), prefill.projectId);
        addRow(tr("&Project id:"), m_project);
        break;
    case ActionKind::FileDelete:
        m_file = idField(QStringLiteral("fileEdit"), prefill.fileId);
        addRow(tr("&File id:"), m_file);
        break;
    case ActionKind::UserMerge:
        m_keep = idField(QStringLiteral("keepEdit"), prefill.keepUserId);
        addRow(tr("User to &keep (id):"), m_keep);
        m_merge = idField(QStringLiteral("mergeEdit"), prefill.mergeUserId);
        addRow(tr("&Duplicate to disable (id):"), m_merge);
        break;
    case ActionKind::ExportsPurge:
        m_days = new QSpinBox(this);
        m_days->setObjectName(QStringLiteral("daysSpin"));
        m_days->setRange(0, 3650);
        m_days->setValue(prefill.olderThanDays >= 0 ? prefill.olderThanDays : 30);
        m_days->setSuffix(tr(" days"));
        connect(m_days, &QSpinBox::valueChanged, this, &ActionDialog::fieldsEdited);
        addRow(tr("Expired more than (&days ago):"), m_days);
        m_batch = new QSpinBox(this);
        m_batch->setObjectName(QStringLiteral("batchSpin"));
        m_batch->setRange(1, 100000);
        m_batch->setValue(prefill.limit > 0 ? prefill.limit : 1000);
        connect(m_batch, &QSpinBox::valueChanged, this, &ActionDialog::fieldsEdited);
        addRow(tr("&Batch size:"), m_batch);
        break;
    case ActionKind::QuotaRepair:
        break;
    }
}

ActionRequest ActionDialog::request() const
{
    ActionRequest request;
    request.kind = m_kind;
    request.actionId = m_actionId;
    request.actor = m_actor;
    request.reason = m_reason->text().trimmed();
    request.client = QStringLiteral("beacon-admin");
    request.lockTimeoutMs = m_lockTimeoutMs;
    if (worksOnOneWorkspace(m_kind))
        request.expectVersion = m_seenVersion;
    request.workspaceId = idIn(m_workspace);
    request.projectId = idIn(m_project);
    request.fileId = idIn(m_file);
    request.keepUserId = idIn(m_keep);
    request.mergeUserId = idIn(m_merge);
    if (m_user) {
        // member-add names the user by id or by e-mail.
        request.userId = idIn(m_user);
        if (!request.userId)
            request.userEmail = m_user->text().trimmed();
    }
    if (m_plan)
        request.plan = m_plan->currentText();
    if (m_overQuota)
        request.allowOverQuota = m_overQuota->isChecked();
    if (m_readOnly)
        request.readOnly = m_readOnly->currentData().toBool();
    if (m_role)
        request.role = m_role->currentText();
    if (m_days)
        request.olderThanDays = m_days->value();
    if (m_batch)
        request.limit = m_batch->value();
    return request;
}

bool ActionDialog::isPreviewing() const
{
    return m_runner->isPreviewing();
}

QString ActionDialog::missingInput() const
{
    if (m_workspace && !idIn(m_workspace))
        return tr("Enter the workspace's id.");
    if (m_user && m_user->text().trimmed().isEmpty())
        return m_kind == ActionKind::MemberAdd ? tr("Enter the user's id or e-mail address.")
                                               : tr("Enter the user's id.");
    if (m_project && !idIn(m_project))
        return tr("Enter the project's id.");
    if (m_file && !idIn(m_file))
        return tr("Enter the file's id.");
    if (m_keep && (!idIn(m_keep) || !idIn(m_merge)))
        return tr("Enter the id of the user to keep and of the duplicate.");
    if (m_keep && idIn(m_keep) == idIn(m_merge))
        return tr("The user kept and the duplicate must be two different users.");
    return {};
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
    const QString missing = missingInput();
    if (!missing.isEmpty()) {
        m_preview.reset();
        m_previewCurrent = false;
        m_previewText->setPlainText(missing);
        m_changes->setRowCount(0);
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
    if (worksOnOneWorkspace(m_kind) && preview.target.workspaceFound)
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
                         .arg(number(target.purgeableExports), dataSize(target.purgeableBytes),
                              number(m_batch->value())));
    return lines.join(QLatin1Char('\n'));
}

void ActionDialog::showPreview(const models::ActionPreview &preview)
{
    const ActionResult &result = preview.result;
    QStringList lines;
    if (const QString target = targetDescription(preview.target); !target.isEmpty())
        lines << target << QString();
    if (result.ok()) {
        lines.append(result.message);
        lines.append(models::describePreview(result.preview));
    } else {
        lines.append(tr("%1: %2").arg(outcomeTitle(result), result.error.message));
        if (!result.error.sqlState.isEmpty())
            lines.append(tr("Details for support: SQLSTATE %1 %2")
                             .arg(result.error.sqlState, result.error.details.trimmed()));
    }
    m_previewText->setPlainText(lines.join(QLatin1Char('\n')));

    const QList<browse::FieldChange> changes =
        result.ok() ? browse::diffAuditRow(result.before, result.after) : QList<browse::FieldChange>();
    m_changes->setRowCount(int(std::min<qsizetype>(changes.size(), MaxChangeRows)));
    for (int row = 0; row < m_changes->rowCount(); ++row) {
        const browse::FieldChange &change = changes.at(row);
        const QStringList cells = {change.path, browse::changeKindName(change.kind), change.before,
                                   change.after};
        for (int column = 0; column < cells.size(); ++column)
            m_changes->setItem(row, column, new QTableWidgetItem(cells.at(column)));
    }
    m_changes->resizeColumnsToContents();
    // A whole row as one value (a deleted project) would push the "after" column out of sight.
    const int widest = std::max(120, m_changes->viewport()->width() / 3);
    for (int column = 0; column < m_changes->columnCount(); ++column)
        m_changes->setColumnWidth(column, std::min(m_changes->columnWidth(column), widest));
}

void ActionDialog::updateConfirmLabel()
{
    if (!m_confirmLabel)
        return;
    const QString expected = confirmationText();
    QString text;
    if (expected.isEmpty())
        text = tr("&Type the confirmation here; a preview of these fields says what it is:");
    else if (m_kind == ActionKind::UserMerge)
        text = tr("&Type the id of the duplicate that will be disabled, %1, to confirm:").arg(expected);
    else if (m_kind == ActionKind::ExportsPurge)
        text = tr("&Type the number of exports that will be purged, %1, to confirm:").arg(expected);
    else
        text = tr("&Type the workspace's slug, %1, to confirm:").arg(expected);
    m_confirmLabel->setText(text);
}

QString ActionDialog::confirmationText() const
{
    if (!actions::isDestructive(m_kind) || !m_preview || !m_previewCurrent)
        return {};
    switch (m_kind) {
    case ActionKind::UserMerge: {
        const std::optional<qint64> merge = idIn(m_merge);
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
    const bool reasonGiven = !m_reason->text().trimmed().isEmpty();
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
    m_outcomeMessage->clear();
    for (QWidget *field : std::as_const(m_fields))
        field->setEnabled(false);
    showBusy(tr("Applying… The window stays usable; you may close this dialog, and the outcome will be "
                "reported."));
    m_runner->run(request());
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
        for (QWidget *field : std::as_const(m_fields))
            field->setEnabled(true);
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
    QString text =
        tr("%1: %2").arg(outcomeTitle(result), result.ok() ? result.message : result.error.message);
    if (result.error.kind == ErrorKind::Unavailable)
        text += QLatin1Char(' ') + tr("Press Apply again when the database is back: the same action id goes "
                                      "with it, so the change cannot happen twice.");
    else if (result.error.kind == ErrorKind::Conflict)
        text += QLatin1Char(' ') + tr("Press Preview to see it as it is now.");
    m_outcomeMessage->textLabel()->setProperty("outcome", result.outcome());
    InlineMessage::Type type = InlineMessage::Type::Error;
    if (result.ok())
        type = InlineMessage::Type::Positive;
    else if (result.error.kind == ErrorKind::Refused || result.error.kind == ErrorKind::Usage ||
             result.error.kind == ErrorKind::Busy || result.error.kind == ErrorKind::Conflict)
        type = InlineMessage::Type::Warning;

    QStringList details = {tr("Outcome: %1").arg(result.outcome()),
                           tr("Action id: %1").arg(result.actionId.toString(QUuid::WithoutBraces))};
    if (!result.error.sqlState.isEmpty())
        details.append(tr("SQLSTATE: %1").arg(result.error.sqlState));
    if (result.attempts > 0)
        details.append(tr("Attempts: %1").arg(result.attempts));
    if (!result.error.details.trimmed().isEmpty())
        details.append(result.error.details.trimmed());
    m_outcomeMessage->showMessage(
        type, text, tr("Details for support:") + QLatin1Char('\n') + details.join(QLatin1Char('\n')));
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
    for (QWidget *field : std::as_const(m_fields))
        field->setEnabled(false);
    m_reason->setReadOnly(true);
    if (m_confirm)
        m_confirm->setReadOnly(true);
    m_closeButton->setDefault(true);
    m_closeButton->setFocus();
}

} // namespace beacon::ui
