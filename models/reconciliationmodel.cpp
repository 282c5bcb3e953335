#include "reconciliationmodel.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QTimeZone>

#include <algorithm>

namespace beacon::models {

using billing::Finding;
using billing::FindingKind;

namespace {

QString createdText(qint64 unixSeconds)
{
    return unixSeconds > 0
               ? QDateTime::fromSecsSinceEpoch(unixSeconds, QTimeZone::utc()).toString(Qt::ISODate)
               : QCoreApplication::translate("beacon::models::ReconciliationModel", "unknown");
}

// Whether the workspace row `after` an action holds what the finding said Stripe has.
bool mends(const Finding &finding, const QJsonObject &after)
{
    const auto column = [&after](const char *name) {
        return after.value(QLatin1String(name)).toString();
    };
    switch (finding.kind) {
    case FindingKind::LostCustomerId:
        return !finding.linkCustomerId.isEmpty() && column("stripe_customer_id") == finding.linkCustomerId;
    case FindingKind::LostSubscriptionId:
        return !finding.linkSubscriptionId.isEmpty() &&
               column("stripe_subscription_id") == finding.linkSubscriptionId;
    case FindingKind::StatusDrift:
        return column("subscription_status") == finding.stripeValue;
    case FindingKind::PlanDrift:
        return column("plan") == finding.stripeValue;
    case FindingKind::PeriodDrift: {
        const QDateTime end = QDateTime::fromString(column("current_period_end"), Qt::ISODateWithMs);
        const QDateTime stripe = QDateTime::fromString(finding.stripeValue, Qt::ISODate);
        return end.isValid() && stripe.isValid() && end.toSecsSinceEpoch() == stripe.toSecsSinceEpoch();
    }
    case FindingKind::DuplicateCustomers:
    case FindingKind::OrphanCustomerId:
    case FindingKind::OrphanSubscriptionId:
        // Only a person mends these, in Stripe; a rerun shows when they have.
        return false;
    }
    return false;
}

} // namespace

ReconciliationModel::ReconciliationModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_run(new billing::ReconciliationRun(this))
{
    connect(m_run, &billing::ReconciliationRun::progress, this, &ReconciliationModel::progress);
    connect(m_run, &billing::ReconciliationRun::finished, this, &ReconciliationModel::runFinished);
}

ReconciliationModel::~ReconciliationModel() = default;

void ReconciliationModel::setConnection(ConnectionBudget *budget, DbLane lane)
{
    const bool wasBusy = isBusy();
    if (wasBusy)
        m_run->cancel();
    m_run->setWorker(budget ? budget->worker(lane) : nullptr);
    // Findings of another database must not stay on screen as if they were this one's.
    beginResetModel();
    m_rows.clear();
    m_report = {};
    endResetModel();
}

void ReconciliationModel::setStripe(const billing::StripeAccess &access)
{
    const bool wasBusy = isBusy();
    m_run->setStripe(access); // drops a run under way
    if (wasBusy)
        emit busyChanged(false);
}

void ReconciliationModel::run()
{
    const bool wasBusy = isBusy();
    beginResetModel();
    m_rows.clear();
    m_report = {};
    endResetModel();
    m_run->start();
    if (!wasBusy)
        emit busyChanged(true);
}

void ReconciliationModel::cancel()
{
    m_run->cancel();
}

void ReconciliationModel::runFinished(const billing::ReconciliationReport &report)
{
    m_report = report;
    emit busyChanged(false);
    if (report.cancelled) {
        emit cancelled();
        return;
    }
    if (report.error) {
        emit errorOccurred(report.error);
        return;
    }
    if (!report.findings.isEmpty()) {
        beginInsertRows({}, 0, int(report.findings.size()) - 1);
        for (const Finding &finding : report.findings)
            m_rows.append({finding, false});
        endInsertRows();
    }
    emit finished();
}

int ReconciliationModel::unfixedCount() const
{
    return int(std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row &row) { return !row.fixed; }));
}

int ReconciliationModel::markFixedBy(const QJsonValue &after)
{
    QList<QJsonObject> workspaces;
    if (after.isObject())
        workspaces.append(after.toObject());
    for (const QJsonValue &value : after.toArray())
        workspaces.append(value.toObject());
    int marked = 0;
    for (int row = 0; row < m_rows.size(); ++row) {
        Row &entry = m_rows[row];
        if (entry.fixed)
            continue;
        for (const QJsonObject &workspace : std::as_const(workspaces)) {
            if (workspace.value(QStringLiteral("id")).toInteger() == entry.finding.workspaceId &&
                mends(entry.finding, workspace)) {
                entry.fixed = true;
                ++marked;
                emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
                break;
            }
        }
    }
    return marked;
}

QString ReconciliationModel::details(int row) const
{
    const Row &entry = m_rows.at(row);
    const Finding &finding = entry.finding;
    QStringList lines;
    if (entry.fixed)
        lines.append(tr("Fixed by an action since this run; run again to check."));
    lines.append(finding.explanation);
    if (finding.kind == FindingKind::DuplicateCustomers) {
        // Everything a person needs to choose which customer stays, oldest first as Stripe made them.
        QList<billing::StripeCustomer> customers;
        for (const billing::StripeCustomer &customer : m_report.stripeCustomers) {
            if (customer.workspaceId == finding.workspaceId && !customer.deleted)
                customers.append(customer);
        }
        std::stable_sort(customers.begin(), customers.end(),
                         [](const auto &a, const auto &b) { return a.created < b.created; });
        for (const billing::StripeCustomer &customer : std::as_const(customers))
            lines.append(tr("• %1, %2, created %3%4")
                             .arg(customer.id, customer.email.isEmpty() ? tr("no e-mail") : customer.email,
                                  createdText(customer.created),
                                  customer.id == finding.databaseValue ? tr(" — the one the database names")
                                                                       : QString()));
        if (!finding.databaseValue.isEmpty() &&
            std::none_of(customers.cbegin(), customers.cend(),
                         [&finding](const auto &customer) { return customer.id == finding.databaseValue; }))
            lines.append(tr("The database names %1.").arg(finding.databaseValue));
    }
    lines.append(tr("Suggested: %1").arg(finding.suggestedFix));
    return lines.join(QLatin1Char('\n'));
}

QString ReconciliationModel::kindTitle(FindingKind kind)
{
    switch (kind) {
    case FindingKind::DuplicateCustomers:
        return tr("Duplicate customers");
    case FindingKind::LostCustomerId:
        return tr("Lost customer id");
    case FindingKind::LostSubscriptionId:
        return tr("Lost subscription id");
    case FindingKind::OrphanCustomerId:
        return tr("Customer unknown to Stripe");
    case FindingKind::OrphanSubscriptionId:
        return tr("Subscription unknown to Stripe");
    case FindingKind::StatusDrift:
        return tr("Status differs");
    case FindingKind::PlanDrift:
        return tr("Plan differs");
    case FindingKind::PeriodDrift:
        return tr("Period end differs");
    }
    return {};
}

int ReconciliationModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ReconciliationModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ReconciliationModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    const Finding &finding = row.finding;
    switch (role) {
    case KindRole:
        return billing::findingKindName(finding.kind);
    case Qt::EditRole:
        if (index.column() == WorkspaceColumn)
            return finding.workspaceId;
        [[fallthrough]];
    case Qt::DisplayRole:
        switch (index.column()) {
        case KindColumn:
            return row.fixed ? tr("%1 (fixed)").arg(kindTitle(finding.kind)) : kindTitle(finding.kind);
        case WorkspaceColumn:
            return QString::number(finding.workspaceId);
        case DatabaseColumn:
            return finding.databaseValue;
        case StripeColumn:
            return finding.stripeValue;
        case FixColumn:
            return finding.suggestedFix;
        }
        return {};
    case Qt::ToolTipRole:
        return finding.explanation;
    case Qt::TextAlignmentRole:
        return index.column() == WorkspaceColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                 : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    default:
        return {};
    }
}

QVariant ReconciliationModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case KindColumn:
        return tr("Disagreement");
    case WorkspaceColumn:
        return tr("Workspace");
    case DatabaseColumn:
        return tr("Database");
    case StripeColumn:
        return tr("Stripe");
    case FixColumn:
        return tr("Suggested fix");
    }
    return {};
}

} // namespace beacon::models
