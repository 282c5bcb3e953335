#include "reconciliationpage.h"
#include "plaintext.h"

#include "inlinemessage.h"

#include "reconciliationmodel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace beacon::ui {

using actions::ActionKind;
using actions::ActionRequest;
using billing::FindingKind;
using models::ReconciliationModel;

ReconciliationPage::ReconciliationPage(QWidget *parent)
    : QWidget(parent)
    , m_model(new ReconciliationModel(this))
    , m_filter(new QSortFilterProxyModel(this))
    , m_run(new QPushButton(tr("&Run"), this))
    , m_cancel(new QPushButton(tr("&Cancel"), this))
    , m_busy(new QProgressBar(this))
    , m_progress(plainTextLabel(new QLabel(this)))
    , m_kind(new QComboBox(this))
    , m_notice(new InlineMessage(InlineMessage::Type::Information, this))
    , m_problem(new InlineMessage(InlineMessage::Type::Error, this))
    , m_summary(plainTextLabel(new QLabel(this)))
    , m_view(new QTableView(this))
    // Not &Fix: Alt+F is the File menu's.
    , m_fix(new QPushButton(tr("F&ix…"), this))
    , m_details(new QPlainTextEdit(this))
{
    setObjectName(QStringLiteral("reconciliationPage"));

    m_run->setObjectName(QStringLiteral("runButton"));
    m_run->setDefault(true);
    m_run->setToolTip(tr("Read Stripe's customers and subscriptions and compare them with the workspaces."));
    m_cancel->setObjectName(QStringLiteral("cancelButton"));
    m_cancel->setToolTip(tr("Stop reading Stripe (Esc)."));
    m_cancel->setAutoDefault(true);
    m_cancel->setEnabled(false);
    m_busy->setObjectName(QStringLiteral("busy"));
    m_busy->setRange(0, 0); // Stripe does not say how many pages there are
    m_busy->setTextVisible(false);
    m_busy->setMaximumWidth(160);
    m_busy->setVisible(false);
    m_progress->setObjectName(QStringLiteral("progress"));

    m_kind->setObjectName(QStringLiteral("kindFilter"));
    m_kind->addItem(tr("All disagreements"), QString());
    for (FindingKind kind :
         {FindingKind::DuplicateCustomers, FindingKind::LostCustomerId, FindingKind::LostSubscriptionId,
          FindingKind::OrphanCustomerId, FindingKind::OrphanSubscriptionId, FindingKind::StatusDrift,
          FindingKind::PlanDrift, FindingKind::PeriodDrift})
        m_kind->addItem(ReconciliationModel::kindTitle(kind), billing::findingKindName(kind));
    auto *kindLabel = new QLabel(tr("Sho&w:"), this);
    kindLabel->setBuddy(m_kind);

    m_notice->setObjectName(QStringLiteral("noticeMessage"));
    m_notice->textLabel()->setObjectName(QStringLiteral("notice"));
    m_problem->setObjectName(QStringLiteral("problemMessage"));
    m_problem->textLabel()->setObjectName(QStringLiteral("problem"));
    m_problem->detailsLabel()->setObjectName(QStringLiteral("problemDetails"));
    QPushButton *retry = m_problem->addButton(tr("R&etry"));
    retry->setObjectName(QStringLiteral("retryButton"));
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setWordWrap(true);

    m_filter->setSourceModel(m_model);
    m_filter->setFilterRole(ReconciliationModel::KindRole);
    m_filter->setFilterKeyColumn(ReconciliationModel::KindColumn);
    m_view->setObjectName(QStringLiteral("findingsTable"));
    m_view->setAccessibleName(tr("Disagreements between Stripe and the database"));
    m_view->setModel(m_filter);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setAlternatingRowColors(true);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->verticalHeader()->setVisible(false);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->installEventFilter(this);

    m_fix->setObjectName(QStringLiteral("fixButton"));
    m_fix->setEnabled(false);
    m_details->setObjectName(QStringLiteral("details"));
    m_details->setReadOnly(true);
    m_details->setAccessibleName(tr("What the selected disagreement means"));
    m_details->setPlaceholderText(tr("Select a disagreement to see what it means and what to do."));

    auto *top = new QHBoxLayout;
    top->addWidget(m_run);
    top->addWidget(m_cancel);
    top->addWidget(m_busy);
    top->addWidget(m_progress, 1);
    top->addWidget(kindLabel);
    top->addWidget(m_kind);
    auto *detailsBox = new QWidget(this);
    auto *detailsLayout = new QHBoxLayout(detailsBox);
    detailsLayout->setContentsMargins(0, 0, 0, 0);
    detailsLayout->addWidget(m_details, 1);
    detailsLayout->addWidget(m_fix, 0, Qt::AlignTop);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_view);
    split->addWidget(detailsBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_notice);
    layout->addWidget(m_problem);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);

    setTabOrder(m_run, m_cancel);
    setTabOrder(m_cancel, m_kind);
    setTabOrder(m_kind, m_view);
    setTabOrder(m_view, m_fix);
    setTabOrder(m_fix, m_details);

    connect(m_run, &QPushButton::clicked, this, &ReconciliationPage::runReconciliation);
    connect(retry, &QPushButton::clicked, this, &ReconciliationPage::runReconciliation);
    connect(m_cancel, &QPushButton::clicked, this, &ReconciliationPage::cancelReconciliation);
    connect(m_fix, &QPushButton::clicked, this, &ReconciliationPage::fixSelected);
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this] {
        const QString kind = m_kind->currentData().toString();
        m_filter->setFilterRegularExpression(
            kind.isEmpty() ? QString() : QStringLiteral("^%1$").arg(QRegularExpression::escape(kind)));
        selectionChanged();
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ReconciliationPage::selectionChanged);
    connect(m_model, &ReconciliationModel::busyChanged, this, &ReconciliationPage::busyChanged);
    connect(m_model, &ReconciliationModel::progress, this, &ReconciliationPage::showProgress);
    connect(m_model, &ReconciliationModel::finished, this, &ReconciliationPage::runFinished);
    connect(m_model, &ReconciliationModel::errorOccurred, this, &ReconciliationPage::showProblem);
    connect(m_model, &ReconciliationModel::cancelled, this,
            [this] { m_progress->setText(tr("Cancelled. Press Run to reconcile again.")); });
    connect(m_model, &QAbstractItemModel::modelReset, this, &ReconciliationPage::selectionChanged);

    m_unavailable = tr("Connect to a database first.");
    updateAvailability();
}

void ReconciliationPage::setSession(const SessionProbe &session, ConnectionBudget *budget)
{
    m_connected = budget && !session.error;
    m_model->setConnection(m_connected ? budget : nullptr);
    m_problem->clear();
    m_summary->clear();
    m_progress->clear();
    // A login may belong to several groups; the session lists them separated by commas.
    const QStringList groups = session.info.groupRole.split(QLatin1Char(','), Qt::SkipEmptyParts);
    const bool allowed = std::any_of(groups.cbegin(), groups.cend(), [](const QString &group) {
        const QString name = group.trimmed();
        return name == QLatin1String("beacon_finance") || name == QLatin1String("beacon_admin") ||
               name == QLatin1String("superuser");
    });
    QString why;
    if (!m_connected)
        why = tr("Connect to a database first.");
    else if (session.schemaError)
        why = tr("Reconciliation needs a database schema this console knows: %1")
                  .arg(session.schemaError.message);
    else if (!allowed)
        why = groups.isEmpty()
                  ? tr("Reconciliation is for finance and admin logins; your login %1 has no Beacon role.")
                        .arg(session.info.loginRole)
                  : tr("Reconciliation is for finance and admin logins; your login %1 has %2.")
                        .arg(session.info.loginRole, groups.join(tr(", ")));
    m_unavailable = why;
    updateAvailability();
    emit availabilityChanged();
}

void ReconciliationPage::setStripe(const billing::StripeAccess &access)
{
    // A run under way against the old Stripe is dropped with it.
    if (m_model->isBusy())
        m_progress->clear();
    m_model->setStripe(access);
    updateAvailability();
}

void ReconciliationPage::updateAvailability()
{
    if (!m_unavailable.isEmpty()) {
        m_notice->showMessage(InlineMessage::Type::Information, m_unavailable);
    } else if (!m_model->hasStripe()) {
        m_notice->showMessage(
            InlineMessage::Type::Information,
            tr("No Stripe account is set up for this console, so there is nothing to "
               "reconcile with. Open the demo database (File → Open the demo database), "
               "whose local Stripe is set up, or run beaconctl reconcile with a Stripe key."));
    } else {
        m_notice->clear();
    }
    const bool usable = m_unavailable.isEmpty() && m_model->hasStripe();
    m_run->setEnabled(usable && !m_model->isBusy());
    m_run->setToolTip(usable ? tr("Read Stripe's customers and subscriptions and compare them with the "
                                  "workspaces.")
                             : m_notice->text());
    if (usable && m_summary->text().isEmpty() && !m_model->isBusy())
        m_summary->setText(tr("Press Run to compare Stripe with the database."));
    selectionChanged();
}

void ReconciliationPage::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape && m_model->isBusy()) {
        cancelReconciliation();
        event->accept();
        return;
    }
    QWidget::keyPressEvent(event);
}

bool ReconciliationPage::eventFilter(QObject *watched, QEvent *event)
{
    // Enter on a finding means "fix it", as a double click would open a row elsewhere.
    if (watched == m_view && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
            fixSelected();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ReconciliationPage::runReconciliation()
{
    if (!m_unavailable.isEmpty() || !m_model->hasStripe())
        return;
    m_problem->clear();
    m_summary->clear();
    m_progress->setText(tr("Reading Stripe…"));
    m_model->run();
}

void ReconciliationPage::cancelReconciliation()
{
    if (m_model->isBusy())
        m_model->cancel();
}

void ReconciliationPage::busyChanged(bool busy)
{
    m_cancel->setEnabled(busy);
    m_busy->setVisible(busy);
    m_run->setEnabled(!busy && m_unavailable.isEmpty() && m_model->hasStripe());
    // A person who cancels with the keyboard is not left on a disabled button.
    if (!busy && m_cancel->hasFocus())
        m_run->setFocus(Qt::OtherFocusReason);
}

void ReconciliationPage::showProgress(int pages, int customers, int subscriptions)
{
    const QLocale locale;
    m_progress->setText(
        tr("Reading Stripe: %1 pages, %2 customers, %3 subscriptions so far…")
            .arg(locale.toString(pages), locale.toString(customers), locale.toString(subscriptions)));
}

void ReconciliationPage::runFinished()
{
    const billing::ReconciliationReport &report = m_model->report();
    m_progress->setText(tr("Read %1 pages from Stripe.").arg(QLocale().toString(report.pages)));
    m_view->resizeColumnsToContents();
    updateSummary();
    if (m_filter->rowCount() > 0 && !m_view->currentIndex().isValid())
        m_view->selectRow(0);
}

void ReconciliationPage::updateSummary()
{
    const billing::ReconciliationReport &report = m_model->report();
    const QLocale locale;
    const int findings = m_model->rowCount();
    if (findings == 0) {
        m_summary->setText(tr("All agree: %1 customers, %2 subscriptions, %3 workspaces.")
                               .arg(locale.toString(report.customers), locale.toString(report.subscriptions),
                                    locale.toString(report.workspaces)));
        return;
    }
    const int fixed = findings - m_model->unfixedCount();
    QString text =
        findings == 1 ? tr("1 disagreement") : tr("%1 disagreements").arg(locale.toString(findings));
    text += tr(" in %1 customers, %2 subscriptions and %3 workspaces.")
                .arg(locale.toString(report.customers), locale.toString(report.subscriptions),
                     locale.toString(report.workspaces));
    if (fixed > 0)
        text += QLatin1Char(' ') + tr("%1 fixed since; run again to check.").arg(locale.toString(fixed));
    m_summary->setText(text);
}

void ReconciliationPage::showProblem(const DbError &error)
{
    m_progress->clear();
    m_summary->clear();
    m_problem->showError(error);
}

std::optional<int> ReconciliationPage::selectedRow() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return std::nullopt;
    return m_filter->mapToSource(rows.first()).row();
}

void ReconciliationPage::selectionChanged()
{
    const std::optional<int> row = selectedRow();
    if (!row) {
        m_details->clear();
        m_fix->setEnabled(false);
        m_fix->setToolTip(tr("Select a disagreement first."));
        return;
    }
    m_details->setPlainText(m_model->details(*row));
    QString whyNot;
    const bool fixable = fixFor(*row, &whyNot).has_value();
    m_fix->setEnabled(fixable);
    m_fix->setToolTip(fixable ? tr("Open the admin action that mends this, filled in: preview, then apply "
                                   "(Enter).")
                              : whyNot);
}

std::optional<ReconciliationPage::Fix> ReconciliationPage::fixFor(int row, QString *whyNot) const
{
    const billing::Finding &finding = m_model->finding(row);
    if (!m_unavailable.isEmpty()) {
        *whyNot = m_unavailable;
        return std::nullopt;
    }
    if (m_model->isFixed(row)) {
        *whyNot = tr("An action has fixed this since the run; run again to check.");
        return std::nullopt;
    }
    switch (finding.kind) {
    case FindingKind::DuplicateCustomers:
        *whyNot = tr("Only a person can decide which customer stays, in Stripe; the console never deletes "
                     "one. The details say what each one is.");
        return std::nullopt;
    case FindingKind::OrphanCustomerId:
    case FindingKind::OrphanSubscriptionId:
        *whyNot = tr("Stripe does not know the id the row names: check in Stripe (the right account and "
                     "mode?) before changing the row.");
        return std::nullopt;
    case FindingKind::LostCustomerId:
    case FindingKind::LostSubscriptionId:
    case FindingKind::StatusDrift:
    case FindingKind::PlanDrift:
    case FindingKind::PeriodDrift:
        break;
    }
    Fix fix;
    fix.prefill.workspaceId = finding.workspaceId;
    switch (finding.fixAction) {
    case billing::FixAction::Link:
        fix.kind = ActionKind::BillingLink;
        fix.prefill.stripeCustomerId = finding.linkCustomerId;
        fix.prefill.stripeSubscriptionId = finding.linkSubscriptionId;
        break;
    case billing::FixAction::Sync:
        // The action reads Stripe's subscription itself, on the worker, just before it writes it.
        fix.kind = ActionKind::BillingSync;
        break;
    case billing::FixAction::None:
        *whyNot = finding.suggestedFix;
        return std::nullopt;
    }
    fix.prefill.kind = fix.kind;
    return fix;
}

void ReconciliationPage::fixSelected()
{
    const std::optional<int> row = selectedRow();
    if (!row)
        return;
    QString whyNot;
    const std::optional<Fix> fix = fixFor(*row, &whyNot);
    if (fix)
        emit fixRequested(fix->kind, fix->prefill);
}

void ReconciliationPage::actionFinished(const actions::ActionResult &result)
{
    if (!result.ok() || result.dryRun ||
        (result.kind != ActionKind::BillingLink && result.kind != ActionKind::BillingSync))
        return;
    if (m_model->markFixedBy(result.after) > 0) {
        updateSummary();
        selectionChanged();
    }
}

} // namespace beacon::ui
