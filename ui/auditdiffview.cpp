#include "auditdiffview.h"
#include "plaintext.h"

#include "inlinemessage.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

namespace beacon::ui {

namespace {

QLabel *headerValue(const QString &objectName, QWidget *parent)
{
    auto *label = plainTextLabel(new QLabel(parent));
    label->setObjectName(objectName);
    // Support copies actors, targets and reasons into tickets.
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    label->setWordWrap(true);
    return label;
}

} // namespace

AuditDiffView::AuditDiffView(QWidget *parent)
    : QWidget(parent)
    , m_when(headerValue(QStringLiteral("auditWhen"), this))
    , m_actor(headerValue(QStringLiteral("auditActor"), this))
    , m_login(headerValue(QStringLiteral("auditLogin"), this))
    , m_action(headerValue(QStringLiteral("auditAction"), this))
    , m_target(headerValue(QStringLiteral("auditTarget"), this))
    , m_workspace(headerValue(QStringLiteral("auditWorkspace"), this))
    , m_reason(headerValue(QStringLiteral("auditReason"), this))
    , m_status(plainTextLabel(new QLabel(this)))
    , m_problem(new InlineMessage(InlineMessage::Type::Error, this))
    , m_showUnchanged(new QCheckBox(tr("Show u&nchanged fields too"), this))
    , m_changes(new QStandardItemModel(0, 4, this))
    , m_view(new QTableView(this))
    , m_reads(new DbRequester(this))
{
    setObjectName(QStringLiteral("auditDiffView"));
    m_status->setObjectName(QStringLiteral("auditDiffStatus"));
    m_status->setWordWrap(true);
    m_problem->setObjectName(QStringLiteral("auditDiffProblem"));
    m_showUnchanged->setObjectName(QStringLiteral("showUnchanged"));
    m_changes->setHorizontalHeaderLabels({tr("Field"), tr("Change"), tr("Before"), tr("After")});
    m_view->setObjectName(QStringLiteral("auditDiffTable"));
    m_view->setModel(m_changes);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setVisible(false);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setStretchLastSection(true);

    auto *header = new QFormLayout;
    header->addRow(tr("When:"), m_when);
    header->addRow(tr("Actor:"), m_actor);
    header->addRow(tr("Login:"), m_login);
    header->addRow(tr("Action:"), m_action);
    header->addRow(tr("Target:"), m_target);
    header->addRow(tr("Workspace:"), m_workspace);
    header->addRow(tr("Reason:"), m_reason);
    auto *changesLabel = new QLabel(tr("Chan&ges:"), this);
    changesLabel->setBuddy(m_view);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(header);
    layout->addWidget(m_status);
    layout->addWidget(m_problem);
    layout->addWidget(changesLabel);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_showUnchanged);

    connect(m_showUnchanged, &QCheckBox::toggled, this, &AuditDiffView::showFields);
    clearEntry();
    m_status->setText(tr("Select an audit entry to see what it changed."));
}

QAbstractItemModel *AuditDiffView::changes() const
{
    return m_changes;
}

void AuditDiffView::setConnection(ConnectionBudget *budget)
{
    m_reads->setWorker(budget ? budget->worker(DbLane::Detail) : nullptr);
    // An entry of the old database is not this one's.
    showEntry(std::nullopt);
}

void AuditDiffView::showEntry(std::optional<qint64> auditId)
{
    const DbTicket ticket = m_reads->supersede();
    clearEntry();
    if (!auditId) {
        m_status->setText(tr("Select an audit entry to see what it changed."));
        emit entryShown(std::nullopt);
        return;
    }
    if (!m_reads->hasWorker()) {
        m_status->setText(tr("Not connected."));
        return;
    }
    m_status->setText(tr("Reading audit entry %1…").arg(*auditId));
    const qint64 id = *auditId;
    m_reads->run<Reply>(
        ticket,
        [id](const QSqlDatabase &db, Reply &reply) {
            return browse::fetchAuditEntry(db, id, &reply.entry, &reply.found);
        },
        [this, id](Reply reply, const DbError &error) { replyArrived(id, std::move(reply), error); });
}

void AuditDiffView::replyArrived(qint64 auditId, Reply reply, const DbError &error)
{
    if (error) {
        m_status->clear();
        m_problem->showError(error);
        emit errorOccurred(error);
        return;
    }
    if (!reply.found) {
        m_status->setText(tr("There is no audit entry %1.").arg(auditId));
        emit entryShown(std::nullopt);
        return;
    }
    const browse::AuditEntry &entry = reply.entry;
    const QString none = tr("(none)");
    m_when->setText(QLocale().toString(entry.occurredAt.toLocalTime(), QLocale::LongFormat));
    m_actor->setText(entry.actor);
    m_login->setText(entry.dbUser);
    m_action->setText(entry.action);
    m_target->setText(entry.targetId.isEmpty()
                          ? entry.targetType
                          : QStringLiteral("%1 %2").arg(entry.targetType, entry.targetId));
    m_workspace->setText(entry.workspaceId ? QString::number(*entry.workspaceId) : none);
    m_reason->setText(entry.reason.isEmpty() ? none : entry.reason);
    m_entry = std::move(reply.entry);
    m_shown = auditId;
    showFields();
    emit entryShown(auditId);
}

void AuditDiffView::clearEntry()
{
    m_entry.reset();
    m_shown.reset();
    for (QLabel *label : {m_when, m_actor, m_login, m_action, m_target, m_workspace, m_reason})
        label->clear();
    m_problem->clear();
    m_changes->removeRows(0, m_changes->rowCount());
}

void AuditDiffView::showFields()
{
    m_changes->removeRows(0, m_changes->rowCount());
    if (!m_entry)
        return;
    const QList<browse::FieldChange> fields =
        browse::diffAuditRow(m_entry->before, m_entry->after, m_showUnchanged->isChecked());
    QFont emphasis = m_view->font();
    emphasis.setBold(true);
    QFont absent = m_view->font();
    absent.setItalic(true);
    int changed = 0;
    for (const browse::FieldChange &field : fields) {
        const bool isChange = field.kind != browse::FieldChange::Kind::Unchanged;
        changed += isChange ? 1 : 0;
        const auto valueItem = [&](const QString &text, bool emphasise) {
            // Values are JSON ("team" with its quotes); a field missing on one side has no value at all.
            auto *item = new QStandardItem(text.isEmpty() ? tr("(absent)") : text);
            item->setToolTip(plainToolTip(item->text()));
            if (text.isEmpty())
                item->setFont(absent);
            else if (emphasise)
                item->setFont(emphasis);
            return item;
        };
        auto *path = new QStandardItem(field.path.isEmpty() ? tr("(whole value)") : field.path);
        auto *kind = new QStandardItem(browse::changeKindName(field.kind));
        if (isChange)
            kind->setFont(emphasis);
        const bool afterIsNew = field.kind == browse::FieldChange::Kind::Changed ||
                                field.kind == browse::FieldChange::Kind::Added;
        m_changes->appendRow(
            {path, kind, valueItem(field.before, false), valueItem(field.after, afterIsNew)});
    }
    m_view->resizeColumnsToContents();
    if (changed == 0)
        m_status->setText(tr("Entry %1 records no changed values.").arg(m_entry->id));
    else
        m_status->setText(tr("Entry %1: %n field(s) changed.", nullptr, changed).arg(m_entry->id));
}

} // namespace beacon::ui
