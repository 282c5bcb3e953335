#include "actionform.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpressionValidator>
#include <QSpinBox>

namespace beacon::ui {

using actions::ActionKind;
using actions::ActionRequest;

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

std::optional<qint64> idIn(const QLineEdit *field)
{
    if (!field)
        return std::nullopt;
    bool ok = false;
    const qint64 value = field->text().trimmed().toLongLong(&ok);
    return ok ? std::optional<qint64>(value) : std::nullopt;
}

} // namespace

bool ActionForm::worksOnOneWorkspace(ActionKind kind)
{
    return kind != ActionKind::UserMerge && kind != ActionKind::ExportsPurge;
}

ActionForm::ActionForm(ActionKind kind, const ActionRequest &prefill, QWidget *parent)
    : QWidget(parent)
    , m_kind(kind)
{
    setObjectName(QStringLiteral("actionForm"));
    auto *form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    buildFields(prefill, form);
    m_reason = new QLineEdit(this);
    m_reason->setObjectName(QStringLiteral("reasonEdit"));
    m_reason->setPlaceholderText(tr("A ticket reference or a sentence (required)"));
    m_reason->setText(prefill.reason);
    auto *reasonLabel = new QLabel(tr("&Reason:"), this);
    reasonLabel->setBuddy(m_reason);
    form->addRow(reasonLabel, m_reason);
    connect(m_reason, &QLineEdit::textChanged, this, &ActionForm::reasonChanged);
}

ActionForm::~ActionForm() = default;

QLineEdit *ActionForm::idField(const QString &objectName, std::optional<qint64> value)
{
    auto *field = new QLineEdit(this);
    field->setObjectName(objectName);
    field->setValidator(
        new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{1,18}")), field));
    if (value)
        field->setText(QString::number(*value));
    connect(field, &QLineEdit::textEdited, this, &ActionForm::edited);
    return field;
}

void ActionForm::buildFields(const ActionRequest &prefill, QFormLayout *form)
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
        connect(m_role, &QComboBox::currentIndexChanged, this, &ActionForm::edited);
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
        connect(m_plan, &QComboBox::currentIndexChanged, this, &ActionForm::edited);
        addRow(tr("&Plan:"), m_plan);
        m_overQuota = new QCheckBox(tr("Allow over &quota (the workspace becomes read-only)"), this);
        m_overQuota->setObjectName(QStringLiteral("overQuotaCheck"));
        m_overQuota->setChecked(prefill.allowOverQuota);
        connect(m_overQuota, &QCheckBox::toggled, this, &ActionForm::edited);
        form->addRow(QString(), m_overQuota);
        m_fields.append(m_overQuota);
        // Only a workspace billed through Stripe is prorated; the preview says which this one is.
        m_proration = new QComboBox(this);
        m_proration->setObjectName(QStringLiteral("prorationCombo"));
        m_proration->addItem(tr("Prorate on the next invoice"), QStringLiteral("create"));
        m_proration->addItem(tr("Invoice the proration now"), QStringLiteral("always-invoice"));
        m_proration->addItem(tr("No proration: the new price from the next period"), QStringLiteral("none"));
        m_proration->setCurrentIndex(
            std::max(0, m_proration->findData(prefill.proration.isEmpty() ? QStringLiteral("create")
                                                                          : prefill.proration)));
        m_proration->setToolTip(tr("How Stripe charges or credits the rest of the current period: "
                                   "--proration create, always-invoice or none in beaconctl."));
        connect(m_proration, &QComboBox::currentIndexChanged, this, &ActionForm::edited);
        addRow(tr("Pr&oration (Stripe):"), m_proration);
        break;
    case ActionKind::ReadOnly:
        m_readOnly = new QComboBox(this);
        m_readOnly->setObjectName(QStringLiteral("readOnlyCombo"));
        m_readOnly->addItem(tr("Read-only"), true);
        m_readOnly->addItem(tr("Writable"), false);
        m_readOnly->setCurrentIndex(prefill.readOnly.value_or(true) ? 0 : 1);
        connect(m_readOnly, &QComboBox::currentIndexChanged, this, &ActionForm::edited);
        addRow(tr("&Make it:"), m_readOnly);
        break;
    case ActionKind::MemberAdd:
        m_user = new QLineEdit(this);
        m_user->setObjectName(QStringLiteral("userEdit"));
        m_user->setPlaceholderText(tr("A user id or an e-mail address"));
        m_user->setText(prefill.userId ? QString::number(*prefill.userId) : prefill.userEmail);
        connect(m_user, &QLineEdit::textEdited, this, &ActionForm::edited);
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
        connect(m_days, &QSpinBox::valueChanged, this, &ActionForm::edited);
        addRow(tr("Expired more than (&days ago):"), m_days);
        m_batch = new QSpinBox(this);
        m_batch->setObjectName(QStringLiteral("batchSpin"));
        m_batch->setRange(1, 100000);
        m_batch->setValue(prefill.limit > 0 ? prefill.limit : 1000);
        connect(m_batch, &QSpinBox::valueChanged, this, &ActionForm::edited);
        addRow(tr("&Batch size:"), m_batch);
        break;
    case ActionKind::BillingLink:
        m_customer =
            stripeIdField(QStringLiteral("customerEdit"), QStringLiteral("cus_"), prefill.stripeCustomerId);
        addRow(tr("Stripe &customer id:"), m_customer);
        m_subscription = stripeIdField(QStringLiteral("subscriptionEdit"), QStringLiteral("sub_"),
                                       prefill.stripeSubscriptionId);
        addRow(tr("Stripe &subscription id:"), m_subscription);
        break;
    case ActionKind::BillingSync: // its values are Stripe's, read by the action itself
                                  // (billing::runBilledAction)
    case ActionKind::QuotaRepair:
        break;
    }
}

QLineEdit *ActionForm::stripeIdField(const QString &objectName, const QString &prefix, const QString &value)
{
    auto *field = new QLineEdit(this);
    field->setObjectName(objectName);
    field->setPlaceholderText(tr("%1… (leave empty to keep the row's)").arg(prefix));
    // Stripe's ids: the prefix, then letters, digits and underscores. A partial id is allowed while typing.
    field->setValidator(
        new QRegularExpressionValidator(QRegularExpression(prefix + QStringLiteral("[A-Za-z0-9_]*")), field));
    field->setText(value);
    connect(field, &QLineEdit::textEdited, this, &ActionForm::edited);
    return field;
}

void ActionForm::fillRequest(ActionRequest *request) const
{
    request->reason = reason();
    request->workspaceId = idIn(m_workspace);
    request->projectId = idIn(m_project);
    request->fileId = idIn(m_file);
    request->keepUserId = idIn(m_keep);
    request->mergeUserId = idIn(m_merge);
    if (m_user) {
        // member-add names the user by id or by e-mail.
        request->userId = idIn(m_user);
        if (!request->userId)
            request->userEmail = m_user->text().trimmed();
    }
    if (m_plan)
        request->plan = m_plan->currentText();
    if (m_overQuota)
        request->allowOverQuota = m_overQuota->isChecked();
    if (m_proration)
        request->proration = m_proration->currentData().toString();
    if (m_readOnly)
        request->readOnly = m_readOnly->currentData().toBool();
    if (m_role)
        request->role = m_role->currentText();
    if (m_days)
        request->olderThanDays = m_days->value();
    if (m_batch)
        request->limit = m_batch->value();
    if (m_customer)
        request->stripeCustomerId = m_customer->text().trimmed();
    if (m_subscription)
        request->stripeSubscriptionId = m_subscription->text().trimmed();
}

QString ActionForm::reason() const
{
    return m_reason->text().trimmed();
}

QString ActionForm::missingInput() const
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
    if (m_customer && m_customer->text().trimmed().isEmpty() && m_subscription->text().trimmed().isEmpty())
        return tr("Enter the Stripe customer id, the subscription id, or both.");
    return {};
}

void ActionForm::setFieldsEnabled(bool enabled)
{
    for (QWidget *field : std::as_const(m_fields))
        field->setEnabled(enabled);
}

void ActionForm::lock()
{
    setFieldsEnabled(false);
    m_reason->setReadOnly(true);
}

QWidget *ActionForm::firstToFill() const
{
    for (QWidget *field : std::as_const(m_fields)) {
        auto *line = qobject_cast<QLineEdit *>(field);
        if (line && line->text().trimmed().isEmpty())
            return line;
    }
    return m_reason;
}

} // namespace beacon::ui
