#include "actionoutcomeview.h"

#include "actiondialog.h"
#include "browse/auditdiff.h"
#include "inlinemessage.h"

#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QTableWidget>
#include <QVBoxLayout>

namespace beacon::ui {

using actions::ActionResult;

// A before/after of a purge lists every id; the table shows the start of it.
static constexpr int MaxChangeRows = 1000;

ActionOutcomeView::ActionOutcomeView(QWidget *parent)
    : QGroupBox(tr("What would change"), parent)
{
    setObjectName(QStringLiteral("previewBox"));
    // Scrolls rather than pushing the table away when the words run long; Tab moves on, as in a form.
    m_previewText = new QPlainTextEdit(this);
    m_previewText->setObjectName(QStringLiteral("previewText"));
    m_previewText->setReadOnly(true);
    m_previewText->setTabChangesFocus(true);
    m_previewText->setAccessibleName(tr("What would change"));
    m_changes = new QTableWidget(0, 4, this);
    m_changes->setObjectName(QStringLiteral("changesTable"));
    m_changes->setHorizontalHeaderLabels({tr("Field"), tr("Change"), tr("Before"), tr("After")});
    m_changes->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_changes->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_changes->verticalHeader()->setVisible(false);
    m_changes->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_changes->verticalHeader()->setDefaultSectionSize(m_changes->fontMetrics().height() + 6);
    m_changes->setAccessibleName(tr("Fields before and after"));
    m_changes->horizontalHeader()->setStretchLastSection(true);
    auto *previewLayout = new QVBoxLayout(this);
    previewLayout->addWidget(m_previewText, 2);
    previewLayout->addWidget(m_changes, 3);

    m_outcome = new InlineMessage(parent);
    m_outcome->setObjectName(QStringLiteral("outcomeMessage"));
    m_outcome->textLabel()->setObjectName(QStringLiteral("outcomeLabel"));
    m_outcome->detailsLabel()->setObjectName(QStringLiteral("outcomeDetails"));
    QFont bold = m_outcome->textLabel()->font();
    bold.setBold(true);
    m_outcome->textLabel()->setFont(bold);
}

ActionOutcomeView::~ActionOutcomeView() = default;

void ActionOutcomeView::showText(const QString &text)
{
    m_previewText->setPlainText(text);
    m_changes->setRowCount(0);
}

void ActionOutcomeView::showPreview(const QString &target, const ActionResult &result)
{
    QStringList lines;
    if (!target.isEmpty())
        lines << target << QString();
    if (result.ok()) {
        lines.append(result.message);
        lines.append(describePreview(result.preview));
    } else {
        lines.append(tr("%1: %2").arg(ActionDialog::outcomeTitle(result), result.error.message));
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

void ActionOutcomeView::showOutcome(const ActionResult &result)
{
    QString text = tr("%1: %2").arg(ActionDialog::outcomeTitle(result),
                                    result.ok() ? result.message : result.error.message);
    if (result.error.kind == ErrorKind::Unavailable)
        text += QLatin1Char(' ') + tr("Press Apply again when the database is back: the same action id goes "
                                      "with it, so the change cannot happen twice.");
    else if (result.error.kind == ErrorKind::Conflict)
        text += QLatin1Char(' ') + tr("Press Preview to see it as it is now.");
    m_outcome->textLabel()->setProperty("outcome", result.outcome());
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
    m_outcome->showMessage(type, text,
                           tr("Details for support:") + QLatin1Char('\n') + details.join(QLatin1Char('\n')));
}

void ActionOutcomeView::clearOutcome()
{
    m_outcome->clear();
}

QString ActionOutcomeView::number(qint64 value)
{
    return QLocale().toString(value);
}

QString ActionOutcomeView::dataSize(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

QStringList ActionOutcomeView::describePreview(const QJsonObject &preview)
{
    QStringList lines;
    QStringList known;
    const auto integer = [&](const char *key) {
        known.append(QLatin1String(key));
        return preview.value(QLatin1String(key)).toInteger();
    };
    const auto has = [&](const char *key) {
        return preview.contains(QLatin1String(key));
    };
    if (has("rows_affected"))
        lines.append(tr("Rows affected: %1").arg(number(integer("rows_affected"))));
    if (has("files"))
        lines.append(tr("Files: %1").arg(number(integer("files"))));
    if (has("bytes_freed")) {
        const qint64 bytes = integer("bytes_freed");
        lines.append(bytes < 1024 ? tr("Space freed: %1 bytes").arg(number(bytes))
                                  : tr("Space freed: %1 (%2 bytes)").arg(dataSize(bytes), number(bytes)));
    }
    if (has("members_before") || has("members_after"))
        lines.append(tr("Members: %1 before, %2 after")
                         .arg(number(integer("members_before")), number(integer("members_after"))));
    if (has("max_members"))
        lines.append(tr("Member limit: %1").arg(number(integer("max_members"))));
    if (has("new_limits")) {
        known.append(QStringLiteral("new_limits"));
        const QJsonObject limits = preview.value(QStringLiteral("new_limits")).toObject();
        lines.append(tr("New limits: %1 members, %2 of storage, %3 AI tokens a month")
                         .arg(number(limits.value(QStringLiteral("max_members")).toInteger()),
                              dataSize(limits.value(QStringLiteral("storage_quota_bytes")).toInteger()),
                              number(limits.value(QStringLiteral("ai_monthly_tokens")).toInteger())));
    }
    if (has("read_only_after")) {
        known.append(QStringLiteral("read_only_after"));
        lines.append(
            tr("Read-only afterwards: %1")
                .arg(preview.value(QStringLiteral("read_only_after")).toBool() ? tr("yes") : tr("no")));
    }
    if (has("delta_bytes"))
        lines.append(tr("Storage counter change: %1 bytes").arg(number(integer("delta_bytes"))));
    if (has("memberships_moved"))
        lines.append(tr("Memberships moved: %1").arg(number(integer("memberships_moved"))));
    if (has("memberships_combined"))
        lines.append(tr("Memberships combined: %1").arg(number(integer("memberships_combined"))));
    if (has("workspaces_locked"))
        lines.append(tr("Workspaces involved: %1").arg(number(integer("workspaces_locked"))));
    if (has("role_before") || has("role_after")) {
        known << QStringLiteral("role_before") << QStringLiteral("role_after");
        lines.append(tr("Role: %1 before, %2 after")
                         .arg(preview.value(QStringLiteral("role_before")).toString(),
                              preview.value(QStringLiteral("role_after")).toString()));
    }
    if (has("batches"))
        lines.append(tr("Batches: %1").arg(number(integer("batches"))));
    for (auto figure = preview.begin(); figure != preview.end(); ++figure) {
        if (!known.contains(figure.key()))
            lines.append(QStringLiteral("%1: %2").arg(figure.key(), figure.value().toVariant().toString()));
    }
    return lines;
}

} // namespace beacon::ui
