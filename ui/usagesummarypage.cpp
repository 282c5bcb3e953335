#include "usagesummarypage.h"
#include "plaintext.h"

#include "inlinemessage.h"

#include "usagesummarymodel.h"

#include <QComboBox>
#include <QDateEdit>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace beacon::ui {

namespace {

// Finance's days and months are UTC, as the summary's are, whatever the desk's own zone.
QDate todayUtc()
{
    return QDateTime::currentDateTimeUtc().date();
}

QDateTime startOfUtcDay(const QDate &date)
{
    return QDateTime(date, QTime(0, 0), Qt::UTC);
}

QDateEdit *dateEdit(const QString &objectName, QWidget *parent)
{
    auto *edit = new QDateEdit(parent);
    edit->setObjectName(objectName);
    edit->setCalendarPopup(true);
    // The same spelling as the period column, whatever the locale.
    edit->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
    edit->setMinimumDate(QDate(2000, 1, 1));
    return edit;
}

} // namespace

UsageSummaryPage::UsageSummaryPage(QWidget *parent)
    : QWidget(parent)
    , m_model(new models::UsageSummaryModel(this))
    , m_groupBy(new QComboBox(this))
    , m_period(new QComboBox(this))
    , m_from(dateEdit(QStringLiteral("fromDate"), this))
    , m_to(dateEdit(QStringLiteral("toDate"), this))
    , m_workspace(new QLineEdit(this))
    , m_user(new QLineEdit(this))
    , m_modelName(new QLineEdit(this))
    , m_show(new QPushButton(tr("&Show"), this))
    , m_cancel(new QPushButton(tr("&Cancel"), this))
    , m_progress(new QProgressBar(this))
    , m_running(new QLabel(tr("Running…"), this))
    , m_status(plainTextLabel(new QLabel(this)))
    , m_problem(new InlineMessage(this))
    , m_view(new QTableView(this))
{
    setObjectName(QStringLiteral("usageSummaryPage"));

    m_groupBy->setObjectName(QStringLiteral("groupBy"));
    m_groupBy->addItem(tr("Workspace"), int(browse::UsageGrouping::Workspace));
    m_groupBy->addItem(tr("User"), int(browse::UsageGrouping::User));
    m_groupBy->addItem(tr("Model"), int(browse::UsageGrouping::Model));
    m_period->setObjectName(QStringLiteral("period"));
    m_period->addItem(tr("Day"), int(browse::UsagePeriod::Day));
    m_period->addItem(tr("Month"), int(browse::UsagePeriod::Month));
    m_from->setToolTip(tr("The first day counted (UTC)."));
    m_to->setToolTip(tr("The last day counted (UTC), included."));

    m_workspace->setObjectName(QStringLiteral("workspaceFilter"));
    m_workspace->setPlaceholderText(tr("All workspaces"));
    m_workspace->setClearButtonEnabled(true);
    m_user->setObjectName(QStringLiteral("userFilter"));
    m_user->setPlaceholderText(tr("All users"));
    m_user->setClearButtonEnabled(true);
    m_modelName->setObjectName(QStringLiteral("modelFilter"));
    m_modelName->setPlaceholderText(tr("All models (exact name)"));
    m_modelName->setClearButtonEnabled(true);

    m_show->setObjectName(QStringLiteral("showButton"));
    m_show->setDefault(true);
    m_cancel->setObjectName(QStringLiteral("cancelButton"));
    m_cancel->setToolTip(tr("Stop the summary on the server (Esc)."));
    // Enter on a focused Cancel presses Cancel, not the default Show.
    m_cancel->setAutoDefault(true);
    m_cancel->setEnabled(false);

    m_progress->setObjectName(QStringLiteral("progress"));
    m_progress->setRange(0, 0); // the server does not say how far along it is
    m_progress->setTextVisible(false);
    m_progress->setMaximumWidth(160);
    m_progress->setVisible(false);
    m_running->setObjectName(QStringLiteral("running"));
    m_running->setVisible(false);
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    // Refusals and server errors stand out from the routine counts above the table.
    m_problem->setObjectName(QStringLiteral("problemMessage"));
    m_problem->textLabel()->setObjectName(QStringLiteral("problem"));
    m_problem->detailsLabel()->setObjectName(QStringLiteral("problemDetails"));

    m_view->setObjectName(QStringLiteral("table"));
    m_view->setAccessibleName(tr("AI usage summary"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setAlternatingRowColors(true);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->verticalHeader()->setVisible(false);
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setStretchLastSection(true);

    const auto label = [this](const QString &text, QWidget *buddy) {
        auto *result = plainTextLabel(new QLabel(text, this));
        result->setBuddy(buddy);
        return result;
    };
    auto *form = new QGridLayout;
    form->addWidget(label(tr("&Group by:"), m_groupBy), 0, 0);
    form->addWidget(m_groupBy, 0, 1);
    form->addWidget(label(tr("&Per:"), m_period), 0, 2);
    form->addWidget(m_period, 0, 3);
    form->addWidget(label(tr("&From:"), m_from), 0, 4);
    form->addWidget(m_from, 0, 5);
    form->addWidget(label(tr("&To:"), m_to), 0, 6);
    form->addWidget(m_to, 0, 7);
    form->addWidget(label(tr("&Workspace id:"), m_workspace), 1, 0);
    form->addWidget(m_workspace, 1, 1);
    form->addWidget(label(tr("&User id:"), m_user), 1, 2);
    form->addWidget(m_user, 1, 3);
    form->addWidget(label(tr("&Model:"), m_modelName), 1, 4);
    form->addWidget(m_modelName, 1, 5, 1, 3);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_show);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_progress);
    buttons->addWidget(m_running);
    buttons->addStretch(1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_problem);
    layout->addWidget(m_status);
    layout->addWidget(m_view, 1);

    // The order a person fills the form in, then the buttons, then the result.
    setTabOrder(m_groupBy, m_period);
    setTabOrder(m_period, m_from);
    setTabOrder(m_from, m_to);
    setTabOrder(m_to, m_workspace);
    setTabOrder(m_workspace, m_user);
    setTabOrder(m_user, m_modelName);
    setTabOrder(m_modelName, m_show);
    setTabOrder(m_show, m_cancel);
    setTabOrder(m_cancel, m_view);

    connect(m_period, &QComboBox::currentIndexChanged, this, &UsageSummaryPage::resetRangeToDefault);
    connect(m_show, &QPushButton::clicked, this, &UsageSummaryPage::runSummary);
    connect(m_cancel, &QPushButton::clicked, this, &UsageSummaryPage::cancelSummary);
    connect(m_model, &models::UsageSummaryModel::busyChanged, this, &UsageSummaryPage::busyChanged);
    connect(m_model, &models::UsageSummaryModel::finished, this, &UsageSummaryPage::summaryFinished);
    connect(m_model, &models::UsageSummaryModel::errorOccurred, this, &UsageSummaryPage::showProblem);

    resetRangeToDefault();
    m_status->setText(tr("Choose what to sum and press Show."));
}

void UsageSummaryPage::setConnection(ConnectionBudget *budget)
{
    m_model->setConnection(budget, DbLane::Detail);
    m_connected = true;
    m_problem->clear();
    m_status->setText(tr("Choose what to sum and press Show."));
}

void UsageSummaryPage::keyPressEvent(QKeyEvent *event)
{
    // The form's fields leave Enter to their parent, as in a dialog: it runs the summary. In the table Enter
    // means the row, not the form.
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    if (enter && !m_view->hasFocus()) {
        runSummary();
        event->accept();
        return;
    }
    if (event->key() == Qt::Key_Escape && m_model->isBusy()) {
        cancelSummary();
        event->accept();
        return;
    }
    QWidget::keyPressEvent(event);
}

void UsageSummaryPage::resetRangeToDefault()
{
    const QDate today = todayUtc();
    const bool monthly = m_period->currentData().toInt() == int(browse::UsagePeriod::Month);
    // Whole months back to the first of the month eleven months ago, or the last thirty days, each up to and
    // including today.
    const QDate from = monthly ? QDate(today.year(), today.month(), 1).addMonths(1 - DefaultMonths)
                               : today.addDays(1 - DefaultDays);
    m_from->setDate(from);
    m_to->setDate(today);
}

void UsageSummaryPage::refuse(QWidget *field, const QString &message)
{
    m_status->clear();
    m_problem->showMessage(InlineMessage::Type::Warning, message);
    field->setFocus(Qt::OtherFocusReason);
}

std::optional<qint64> UsageSummaryPage::idFrom(QLineEdit *field, const QString &problem, bool *valid)
{
    const QString text = field->text().trimmed();
    *valid = true;
    if (text.isEmpty())
        return std::nullopt;
    bool isNumber = false;
    const qint64 id = text.toLongLong(&isNumber);
    if (!isNumber || id <= 0) {
        *valid = false;
        refuse(field, problem);
        return std::nullopt;
    }
    return id;
}

void UsageSummaryPage::runSummary()
{
    if (!m_connected) {
        m_problem->showMessage(InlineMessage::Type::Warning,
                               tr("Connect to a database first (File → Connect…)."));
        return;
    }
    browse::UsageSummaryRequest request;
    request.grouping = browse::UsageGrouping(m_groupBy->currentData().toInt());
    request.period = browse::UsagePeriod(m_period->currentData().toInt());
    request.limit = m_rowLimit;
    bool valid = false;
    request.workspaceId =
        idFrom(m_workspace, tr("The workspace id must be a whole number above zero, such as 42."), &valid);
    if (!valid)
        return;
    request.userId = idFrom(m_user, tr("The user id must be a whole number above zero, such as 42."), &valid);
    if (!valid)
        return;
    const QString modelName = m_modelName->text().trimmed();
    if (!modelName.isEmpty())
        request.model = modelName;
    if (m_from->date() > m_to->date()) {
        refuse(m_from, tr("The start date is after the end date. Choose a start on or before the end."));
        return;
    }
    // The end date is counted whole: the range runs to the start of the day after it.
    request.from = startOfUtcDay(m_from->date());
    request.to = startOfUtcDay(m_to->date().addDays(1));
    m_status->clear();
    m_problem->clear();
    m_model->setRequest(request);
}

void UsageSummaryPage::cancelSummary()
{
    if (!m_model->isBusy())
        return;
    m_model->cancel();
    m_status->setText(tr("Cancelled. Press Show to run the summary again."));
}

void UsageSummaryPage::busyChanged(bool busy)
{
    m_cancel->setEnabled(busy);
    m_progress->setVisible(busy);
    m_running->setVisible(busy);
    // A person who cancels with the keyboard is not left on a disabled button.
    if (!busy && m_cancel->hasFocus())
        m_show->setFocus(Qt::OtherFocusReason);
}

void UsageSummaryPage::summaryFinished(bool truncated)
{
    m_problem->clear();
    const QLocale locale;
    const int groups = m_model->rowCount();
    if (groups == 0)
        m_status->setText(tr("No AI usage matches in this range."));
    else if (truncated)
        m_status->setText(tr("Showing the first %1 groups; narrow the range or filter by workspace.")
                              .arg(locale.toString(groups)));
    else if (groups == 1)
        m_status->setText(tr("1 group."));
    else
        m_status->setText(tr("%1 groups.").arg(locale.toString(groups)));
    m_view->resizeColumnsToContents();
}

void UsageSummaryPage::showProblem(const DbError &error)
{
    m_status->clear();
    m_problem->showError(error);
}

} // namespace beacon::ui
