#include "billingtab.h"
#include "plaintext.h"

#include "billing/workspacebillingloader.h"
#include "inlinemessage.h"

#include <QAction>
#include <QDateTime>
#include <QDesktopServices>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace beacon::ui {

namespace {

enum ComparisonColumn { FieldColumn, DatabaseColumn, StripeColumn, VerdictColumn };
enum InvoiceColumn { NumberColumn, StatusColumn, DueColumn, PaidColumn, DateColumn };

// Stripe's times are UTC; a person reads them in their own zone and locale.
QString localTime(const QString &isoUtc)
{
    const QDateTime time = QDateTime::fromString(isoUtc, Qt::ISODate);
    return time.isValid() ? QLocale().toString(time.toLocalTime(), QLocale::ShortFormat) : QString();
}

QString localTime(const QDateTime &time)
{
    return time.isValid() ? QLocale().toString(time.toLocalTime(), QLocale::ShortFormat) : QString();
}

QString amount(const QJsonObject &object, const char *field)
{
    return billing::formatStripeAmount(qint64(object.value(QLatin1String(field)).toDouble()),
                                       object.value(QStringLiteral("currency")).toString(), QLocale());
}

QString orDash(const QString &text)
{
    return text.isEmpty() ? QStringLiteral("—") : text;
}

QTableWidget *makeTable(const QString &objectName, const QStringList &headers, QWidget *parent)
{
    auto *table = new QTableWidget(0, int(headers.size()), parent);
    table->setObjectName(objectName);
    table->setHorizontalHeaderLabels(headers);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->verticalHeader()->setVisible(false);
    table->horizontalHeader()->setStretchLastSection(true);
    table->setTabKeyNavigation(false);
    return table;
}

} // namespace

BillingTab::BillingTab(QWidget *parent)
    : QWidget(parent)
    , m_loader(new billing::WorkspaceBillingLoader(this))
    , m_opener([](const QUrl &url) { return QDesktopServices::openUrl(url); })
    , m_busyRow(new QWidget(this))
    , m_busyBar(new QProgressBar(m_busyRow))
    , m_cancel(new QPushButton(tr("&Cancel"), m_busyRow))
    , m_escape(new QAction(this))
    , m_notice(new InlineMessage(InlineMessage::Type::Information, this))
    , m_problem(new InlineMessage(InlineMessage::Type::Error, this))
    , m_retry(m_problem->addButton(tr("&Retry")))
    , m_content(new QWidget)
    , m_comparisonBox(new QGroupBox(tr("Database and Stripe"), m_content))
    , m_comparison(makeTable(QStringLiteral("billingComparison"),
                             {tr("Field"), tr("Database"), tr("Stripe"), tr("Check")}, m_comparisonBox))
    , m_customerBox(new QGroupBox(tr("Customer"), m_content))
    , m_subscriptionBox(new QGroupBox(tr("Subscription"), m_content))
    , m_invoicesBox(new QGroupBox(tr("Last invoices"), m_content))
    , m_invoices(makeTable(QStringLiteral("billingInvoices"),
                           {tr("Number"), tr("Status"), tr("Amount due"), tr("Amount paid"), tr("Date")},
                           m_invoicesBox))
    , m_openInvoice(new QPushButton(tr("&Open invoice page"), m_invoicesBox))
    , m_upcomingBox(new QGroupBox(tr("Upcoming invoice"), m_content))
{
    setObjectName(QStringLiteral("billingTab"));
    m_settle.setSingleShot(true);
    m_settle.setInterval(SettleMs);
    connect(&m_settle, &QTimer::timeout, this, &BillingTab::loadIfShown);

    m_busyRow->setObjectName(QStringLiteral("billingBusy"));
    m_busyBar->setRange(0, 0); // Stripe does not say how far along it is
    m_busyBar->setTextVisible(false);
    m_busyBar->setMaximumWidth(160);
    m_busyBar->setAccessibleName(tr("Asking Stripe"));
    m_cancel->setObjectName(QStringLiteral("billingCancel"));
    m_cancel->setToolTip(tr("Stop asking Stripe (Esc)."));
    auto *busyLayout = new QHBoxLayout(m_busyRow);
    busyLayout->setContentsMargins(0, 0, 0, 0);
    busyLayout->addWidget(new QLabel(tr("Asking Stripe…"), m_busyRow));
    busyLayout->addWidget(m_busyBar);
    busyLayout->addWidget(m_cancel);
    busyLayout->addStretch(1);
    m_busyRow->setVisible(false);

    m_notice->setObjectName(QStringLiteral("billingNoticeMessage"));
    m_notice->textLabel()->setObjectName(QStringLiteral("billingNotice"));
    m_notice->setVisible(false);
    m_problem->setObjectName(QStringLiteral("billingProblemMessage"));
    m_problem->textLabel()->setObjectName(QStringLiteral("billingProblem"));
    m_problem->detailsLabel()->setObjectName(QStringLiteral("billingProblemDetails"));
    m_problem->setVisible(false);
    m_retry->setObjectName(QStringLiteral("billingRetry"));

    m_comparison->setAccessibleName(tr("Billing as the database and Stripe record it"));
    auto *comparisonLayout = new QVBoxLayout(m_comparisonBox);
    comparisonLayout->addWidget(m_comparison);

    addField(m_customerBox, QStringLiteral("billingCustomerEmail"), tr("E-mail:"));
    addField(m_customerBox, QStringLiteral("billingCustomerBalance"), tr("Balance:"));
    addField(m_customerBox, QStringLiteral("billingCustomerDelinquent"), tr("Delinquent:"));
    addField(m_customerBox, QStringLiteral("billingCustomerCard"), tr("Payment method:"));
    addField(m_subscriptionBox, QStringLiteral("billingSubscriptionStatus"), tr("Status:"));
    addField(m_subscriptionBox, QStringLiteral("billingSubscriptionPlan"), tr("Plan:"));
    addField(m_subscriptionBox, QStringLiteral("billingSubscriptionPrice"), tr("Price:"));
    addField(m_subscriptionBox, QStringLiteral("billingSubscriptionQuantity"), tr("Quantity:"));
    addField(m_subscriptionBox, QStringLiteral("billingSubscriptionPeriodEnd"), tr("Current period ends:"));
    addField(m_subscriptionBox, QStringLiteral("billingSubscriptionCancels"), tr("Cancels at period end:"));
    addField(m_subscriptionBox, QStringLiteral("billingSubscriptionTrialEnd"), tr("Trial ends:"));
    addField(m_upcomingBox, QStringLiteral("billingUpcomingAmount"), tr("Amount due:"));
    addField(m_upcomingBox, QStringLiteral("billingUpcomingAttempt"), tr("Next payment attempt:"));

    m_invoices->setAccessibleName(tr("Last invoices"));
    m_openInvoice->setObjectName(QStringLiteral("billingOpenInvoice"));
    m_openInvoice->setToolTip(
        tr("Open the selected invoice's page, as Stripe hosts it, in the browser (Enter "
           "in the table)."));
    m_openInvoice->setEnabled(false);
    auto *invoicesLayout = new QVBoxLayout(m_invoicesBox);
    invoicesLayout->addWidget(m_invoices);
    auto *invoiceButtons = new QHBoxLayout;
    invoiceButtons->addWidget(m_openInvoice);
    invoiceButtons->addStretch(1);
    invoicesLayout->addLayout(invoiceButtons);

    auto *contentLayout = new QVBoxLayout(m_content);
    contentLayout->addWidget(m_comparisonBox);
    auto *columns = new QHBoxLayout;
    columns->addWidget(m_customerBox);
    columns->addWidget(m_subscriptionBox);
    columns->addWidget(m_upcomingBox);
    contentLayout->addLayout(columns);
    contentLayout->addWidget(m_invoicesBox);
    contentLayout->addStretch(1);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(m_content);
    m_content->setVisible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_busyRow);
    layout->addWidget(m_notice);
    layout->addWidget(m_problem);
    layout->addWidget(scroll, 1);

    setTabOrder(m_cancel, m_retry);
    setTabOrder(m_retry, m_comparison);
    setTabOrder(m_comparison, m_invoices);
    setTabOrder(m_invoices, m_openInvoice);

    connect(m_loader, &billing::WorkspaceBillingLoader::busyChanged, this, &BillingTab::busyChanged);
    connect(m_loader, &billing::WorkspaceBillingLoader::finished, this, &BillingTab::loadFinished);
    connect(m_cancel, &QPushButton::clicked, this, &BillingTab::cancelLoad);
    connect(m_retry, &QPushButton::clicked, this, &BillingTab::reload);
    connect(m_openInvoice, &QPushButton::clicked, this, &BillingTab::openCurrentInvoice);
    connect(m_invoices, &QTableWidget::itemActivated, this, &BillingTab::openCurrentInvoice);
    connect(m_invoices, &QTableWidget::currentCellChanged, this, &BillingTab::updateOpenButton);
    // Esc stops a load, as Cancel does; only while there is one, so that it means nothing else meanwhile.
    m_escape->setShortcut(QKeySequence(Qt::Key_Escape));
    m_escape->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_escape->setEnabled(false);
    connect(m_escape, &QAction::triggered, this, &BillingTab::cancelLoad);
    addAction(m_escape);
}

BillingTab::~BillingTab() = default;

QLabel *BillingTab::addField(QGroupBox *box, const QString &objectName, const QString &label)
{
    auto *form = qobject_cast<QFormLayout *>(box->layout());
    if (!form)
        form = new QFormLayout(box);
    auto *value = plainTextLabel(new QLabel(box)); // Stripe's names, e-mails and ids
    value->setObjectName(objectName);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(label, value);
    return value;
}

void BillingTab::setConnection(ConnectionBudget *budget)
{
    m_loader->setWorker(budget ? budget->worker(DbLane::Detail) : nullptr);
    forgetShown();
    loadIfShown();
}

void BillingTab::setStripeAccess(const billing::StripeAccess &access)
{
    m_loader->setStripeAccess(access);
    forgetShown();
    loadIfShown();
}

void BillingTab::showWorkspace(std::optional<qint64> workspaceId)
{
    if (m_shownFor && *m_shownFor == workspaceId && workspaceId == m_workspace)
        return;
    m_workspace = workspaceId;
    forgetShown();
    if (isVisible())
        m_settle.start();
}

void BillingTab::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    loadIfShown();
}

void BillingTab::forgetShown()
{
    // Another workspace's billing must not stay on screen as if it were this one's.
    m_loader->cancel();
    m_shownFor.reset();
    m_content->setVisible(false);
    m_problem->clear();
    m_notice->clear();
}

void BillingTab::loadIfShown()
{
    if (!isVisible() || m_shownFor)
        return;
    reload();
}

void BillingTab::refresh()
{
    m_shownFor.reset();
    loadIfShown();
}

void BillingTab::reload()
{
    m_settle.stop();
    m_shownFor = m_workspace;
    m_content->setVisible(false);
    m_problem->clear();
    m_notice->clear();
    if (!m_workspace) {
        m_loader->cancel();
        m_notice->showMessage(InlineMessage::Type::Information,
                              tr("Choose a workspace above to see its billing as Stripe sees it."));
        return;
    }
    m_loader->load(*m_workspace);
}

void BillingTab::cancelLoad()
{
    if (!m_loader->isBusy())
        return;
    m_loader->cancel();
    m_problem->showMessage(InlineMessage::Type::Information,
                           tr("Stopped before Stripe answered. Press Retry to ask again."));
}

void BillingTab::busyChanged(bool busy)
{
    m_busyRow->setVisible(busy);
    m_escape->setEnabled(busy);
    // A person who cancels with the keyboard is not left on a hidden button.
    if (!busy && m_cancel->hasFocus())
        m_retry->setFocus(Qt::OtherFocusReason);
}

void BillingTab::loadFinished()
{
    const billing::WorkspaceBillingReport &report = m_loader->report();
    if (report.error) {
        if (!m_loader->hasStripe()) {
            // Not a failure to retry: nothing is set up to ask.
            m_notice->showMessage(InlineMessage::Type::Information, report.error.message);
            return;
        }
        m_problem->showMessage(InlineMessage::Type::Error,
                               report.error.message + QLatin1Char(' ') +
                                   tr("Press Retry to ask again; if it keeps failing, give support the "
                                      "details below."),
                               InlineMessage::supportDetails(report.error));
        return;
    }
    showReport(report);
}

void BillingTab::showReport(const billing::WorkspaceBillingReport &report)
{
    const QJsonObject &billing = report.billing;
    if (report.restricted)
        m_notice->showMessage(
            InlineMessage::Type::Information,
            tr("Your login sees the subscription's status and plan only; amounts and payment "
               "details are for finance and admin."));
    fillComparison(report);
    fillSubscription(billing.value(QStringLiteral("subscription")).toObject(), report.restricted);
    m_customerBox->setVisible(!report.restricted && billing.contains(QStringLiteral("customer")));
    fillCustomer(billing.value(QStringLiteral("customer")).toObject());
    m_invoicesBox->setVisible(!report.restricted && billing.contains(QStringLiteral("invoices")));
    fillInvoices(billing.value(QStringLiteral("invoices")).toArray());
    m_upcomingBox->setVisible(!report.restricted && billing.contains(QStringLiteral("upcoming_invoice")));
    fillUpcoming(billing.value(QStringLiteral("upcoming_invoice")).toObject());
    m_content->setVisible(true);
}

void BillingTab::fillComparison(const billing::WorkspaceBillingReport &report)
{
    using billing::FindingKind;
    const billing::WorkspaceBilling &row = report.databaseRow;
    const QJsonObject customer = report.billing.value(QStringLiteral("customer")).toObject();
    const QJsonObject subscription = report.billing.value(QStringLiteral("subscription")).toObject();
    struct Compared {
        QString field;
        QString database;
        QString stripe;
        QList<FindingKind> kinds;
        bool forSupport; // shown to a login that sees status and plan only
    };
    const QList<Compared> fields = {
        {tr("Customer id"),
         row.stripeCustomerId,
         customer.value(QStringLiteral("id")).toString(),
         {FindingKind::OrphanCustomerId, FindingKind::LostCustomerId, FindingKind::DuplicateCustomers},
         false},
        {tr("Subscription id"),
         row.stripeSubscriptionId,
         subscription.value(QStringLiteral("id")).toString(),
         {FindingKind::OrphanSubscriptionId, FindingKind::LostSubscriptionId},
         true},
        {tr("Status"),
         row.subscriptionStatus.isEmpty() ? QStringLiteral("none") : row.subscriptionStatus,
         subscription.value(QStringLiteral("status")).toString(),
         {FindingKind::StatusDrift},
         true},
        {tr("Plan"),
         row.plan,
         subscription.value(QStringLiteral("plan")).toString(),
         {FindingKind::PlanDrift},
         true},
        {tr("Current period ends"),
         localTime(row.currentPeriodEnd),
         localTime(subscription.value(QStringLiteral("current_period_end")).toString()),
         {FindingKind::PeriodDrift},
         false},
    };
    const QIcon warning = style()->standardIcon(QStyle::SP_MessageBoxWarning);
    m_comparison->setRowCount(0);
    int disagreeing = 0;
    for (const Compared &compared : fields) {
        const auto finding =
            std::find_if(report.disagreements.begin(), report.disagreements.end(),
                         [&compared](const billing::Finding &f) { return compared.kinds.contains(f.kind); });
        const bool disagrees = finding != report.disagreements.end();
        if (report.restricted && !compared.forSupport && !disagrees)
            continue;
        // What Stripe or the row lacks, the finding names ("(none)", "unknown price …").
        const QString database =
            orDash(compared.database.isEmpty() && disagrees ? finding->databaseValue : compared.database);
        const QString stripe =
            orDash(compared.stripe.isEmpty() && disagrees ? finding->stripeValue : compared.stripe);
        const int at = m_comparison->rowCount();
        m_comparison->insertRow(at);
        const QStringList texts = {compared.field, database, stripe,
                                   disagrees ? tr("Disagrees") : tr("Agrees")};
        const QString spoken = disagrees ? tr("%1 disagrees: the database has %2, Stripe has %3.")
                                               .arg(compared.field, database, stripe)
                                         : tr("%1 agrees: %2.").arg(compared.field, database);
        for (int column = 0; column < texts.size(); ++column) {
            auto *item = new QTableWidgetItem(texts.at(column));
            item->setData(Qt::AccessibleTextRole, spoken);
            if (disagrees) {
                QFont font = item->font();
                font.setBold(true);
                item->setFont(font);
                item->setToolTip(
                    plainToolTip(finding->explanation + QLatin1Char('\n') + finding->suggestedFix));
            }
            if (column == VerdictColumn && disagrees)
                item->setIcon(warning);
            m_comparison->setItem(at, column, item);
        }
        disagreeing += disagrees ? 1 : 0;
    }
    // Spelled out: the console ships no translation files that would turn "%n …(s)" into words.
    if (disagreeing == 0)
        m_comparisonBox->setTitle(tr("Database and Stripe: they agree"));
    else if (disagreeing == 1)
        m_comparisonBox->setTitle(tr("Database and Stripe: 1 disagreement"));
    else
        m_comparisonBox->setTitle(tr("Database and Stripe: %1 disagreements").arg(disagreeing));
    m_comparison->resizeColumnsToContents();
    m_comparison->setMinimumHeight(m_comparison->horizontalHeader()->height() +
                                   m_comparison->rowCount() *
                                       (m_comparison->verticalHeader()->defaultSectionSize()) +
                                   2 * m_comparison->frameWidth());
}

void BillingTab::fillCustomer(const QJsonObject &customer)
{
    const auto set = [this](const char *name, const QString &text) {
        findChild<QLabel *>(QLatin1String(name))->setText(orDash(text));
    };
    set("billingCustomerEmail", customer.value(QStringLiteral("email")).toString());
    set("billingCustomerBalance", customer.isEmpty() ? QString() : amount(customer, "balance"));
    set("billingCustomerDelinquent",
        customer.value(QStringLiteral("delinquent")).toBool() ? tr("Yes: an invoice is past due") : tr("No"));
    const QString brand = customer.value(QStringLiteral("card_brand")).toString();
    set("billingCustomerCard",
        brand.isEmpty()
            ? tr("None on file")
            : tr("%1 ending in %2").arg(brand, customer.value(QStringLiteral("card_last4")).toString()));
}

void BillingTab::fillSubscription(const QJsonObject &subscription, bool restricted)
{
    auto *form = qobject_cast<QFormLayout *>(m_subscriptionBox->layout());
    const auto set = [this, form, restricted](const char *name, const QString &text, bool forSupport) {
        auto *label = findChild<QLabel *>(QLatin1String(name));
        label->setText(orDash(text));
        form->setRowVisible(label, forSupport || !restricted);
    };
    m_subscriptionBox->setTitle(
        subscription.isEmpty()
            ? tr("Subscription: none in Stripe")
            : tr("Subscription %1").arg(subscription.value(QStringLiteral("id")).toString()));
    set("billingSubscriptionStatus", subscription.value(QStringLiteral("status")).toString(), true);
    set("billingSubscriptionPlan", subscription.value(QStringLiteral("plan")).toString(), true);
    set("billingSubscriptionPrice", subscription.value(QStringLiteral("price")).toString(), false);
    const QJsonValue quantity = subscription.value(QStringLiteral("quantity"));
    set("billingSubscriptionQuantity",
        quantity.isDouble() ? QLocale().toString(quantity.toInteger()) : QString(), false);
    set("billingSubscriptionPeriodEnd",
        localTime(subscription.value(QStringLiteral("current_period_end")).toString()), false);
    const QJsonValue cancels = subscription.value(QStringLiteral("cancel_at_period_end"));
    set("billingSubscriptionCancels",
        cancels.isBool() ? (cancels.toBool() ? tr("Yes") : tr("No")) : QString(), false);
    set("billingSubscriptionTrialEnd", localTime(subscription.value(QStringLiteral("trial_end")).toString()),
        false);
}

void BillingTab::fillInvoices(const QJsonArray &invoices)
{
    m_invoices->setRowCount(0);
    for (const QJsonValue &value : invoices) {
        const QJsonObject invoice = value.toObject();
        const int at = m_invoices->rowCount();
        m_invoices->insertRow(at);
        const QStringList texts = {invoice.value(QStringLiteral("number")).toString(),
                                   invoice.value(QStringLiteral("status")).toString(),
                                   amount(invoice, "amount_due"), amount(invoice, "amount_paid"),
                                   localTime(invoice.value(QStringLiteral("created")).toString())};
        for (int column = 0; column < texts.size(); ++column) {
            auto *item = new QTableWidgetItem(texts.at(column));
            if (column == DueColumn || column == PaidColumn)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_invoices->setItem(at, column, item);
        }
        m_invoices->item(at, NumberColumn)
            ->setData(Qt::UserRole, QUrl(invoice.value(QStringLiteral("hosted_invoice_url")).toString()));
    }
    m_invoicesBox->setTitle(invoices.isEmpty() ? tr("Last invoices: none")
                                               : tr("Last invoices (%1)").arg(invoices.size()));
    m_invoices->resizeColumnsToContents();
    if (m_invoices->rowCount() > 0)
        m_invoices->setCurrentCell(0, NumberColumn);
    updateOpenButton();
}

void BillingTab::fillUpcoming(const QJsonObject &upcoming)
{
    findChild<QLabel *>(QStringLiteral("billingUpcomingAmount"))
        ->setText(orDash(upcoming.isEmpty() ? QString() : amount(upcoming, "amount_due")));
    findChild<QLabel *>(QStringLiteral("billingUpcomingAttempt"))
        ->setText(orDash(localTime(upcoming.value(QStringLiteral("next_payment_attempt")).toString())));
}

void BillingTab::updateOpenButton()
{
    const int row = m_invoices->currentRow();
    const QUrl url = row >= 0 ? m_invoices->item(row, NumberColumn)->data(Qt::UserRole).toUrl() : QUrl();
    m_openInvoice->setEnabled(billing::isOpenableInvoiceUrl(url));
}

void BillingTab::openCurrentInvoice()
{
    const int row = m_invoices->currentRow();
    if (row < 0)
        return;
    const QUrl url = m_invoices->item(row, NumberColumn)->data(Qt::UserRole).toUrl();
    if (!billing::isOpenableInvoiceUrl(url)) {
        m_notice->showMessage(InlineMessage::Type::Warning,
                              tr("This invoice has no page that can be opened safely (only https addresses "
                                 "are opened). Look the invoice up in Stripe's dashboard instead."),
                              url.toDisplayString());
        return;
    }
    if (!m_opener(url))
        m_notice->showMessage(InlineMessage::Type::Warning,
                              tr("The browser could not be started. Copy the address below into it."),
                              url.toDisplayString());
}

} // namespace beacon::ui
