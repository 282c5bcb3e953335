// The AI usage summary page, offscreen against a real database: the default ranges, Show and Enter run the
// summary the form describes, a bad form is refused in words before any query, Cancel is there only while a
// summary runs, and a server error reads as words with the details for support after them.
#include "testdatabase.h"

#include "usagesummarymodel.h"
#include "usagesummarypage.h"

#include <QComboBox>
#include <QDateEdit>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTableView>

using namespace beacon;
using beacon::models::UsageSummaryModel;
using beacon::ui::UsageSummaryPage;

namespace {

QDate todayUtc()
{
    return QDateTime::currentDateTimeUtc().date();
}

} // namespace

class TestUsageSummaryPage : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();
    void defaults_lastThirtyDaysOrTwelveMonths_perResetsTheRange();
    void everyField_hasALabelWithMnemonic_andTabOrderFollowsTheForm();
    void show_byWorkspacePerDay_rowsOfTheRangeOnly();
    void enterInModelField_runsTheFilteredSummary();
    void perMonth_byUser_countsOlderUsage();
    void tooManyGroups_statusSaysWhatIsShown();
    void badForm_refusedInWordsAndNoQuery_data();
    void badForm_refusedInWordsAndNoQuery();
    void cancelButton_enabledOnlyWhileRunning();
    void serverError_wordsThenDetailsForSupport();
    void notConnected_show_saysConnectFirst();

private:
    template <typename T> T *child(const char *name) const
    {
        return m_page ? m_page->findChild<T *>(QString::fromLatin1(name)) : nullptr;
    }
    void press(const char *buttonName);
    // Sessions of the test database now waiting for a lock, counted by the server in one snapshot.
    int lockWaiters();
    QList<browse::UsageSummaryRow> oracle(const browse::UsageSummaryRequest &request);

    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<UsageSummaryPage> m_page;
};

void TestUsageSummaryPage::initTestCase()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("usage_page"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, exec(QStringLiteral("INSERT INTO workspaces (id, name, slug) VALUES "
                                           "(11, 'Acme', 'acme'), (12, 'Globex', 'globex')")));
    QVERIFY_SQL(query,
                exec(QStringLiteral("INSERT INTO users (id, provider, provider_user_id, primary_email) "
                                    "VALUES (21, 'google', 'alice', 'alice@x.com')")));
    // Usage placed relative to today in UTC: today, five days ago (both in the default thirty days), forty
    // days ago (only in the default twelve months) and four hundred days ago (in neither).
    QVERIFY_SQL(query,
                exec(QStringLiteral(
                    "WITH today AS (SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' "
                    "                      AS start) "
                    "INSERT INTO ai_usage (workspace_id, user_id, provider, model, input_tokens, "
                    "                      output_tokens, cost_usd, created_at) "
                    "SELECT u.workspace_id, u.user_id, 'openai', u.model, u.input_tokens, u.output_tokens, "
                    "       u.cost_usd, today.start - u.days_ago * INTERVAL '1 day' + INTERVAL '1 hour' "
                    "  FROM today, (VALUES (11, 21, 'gpt-4o', 100, 10, 0.500000, 0), "
                    "                      (11, NULL, 'claude-3', 50, 5, 0.000123, 0), "
                    "                      (12, 21, 'gpt-4o', 10, 1, 2.000000, 5), "
                    "                      (12, 21, 'gpt-4o', 20, 2, 1.000000, 40), "
                    "                      (11, 21, 'gpt-4o', 999, 99, 9.000000, 400)) "
                    "       AS u (workspace_id, user_id, model, input_tokens, output_tokens, cost_usd, "
                    "             days_ago)")));
}

void TestUsageSummaryPage::cleanupTestCase()
{
    m_database.reset();
}

void TestUsageSummaryPage::init()
{
    m_page = std::make_unique<UsageSummaryPage>();
    m_page->resize(900, 600);
    m_page->show();
    m_page->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_page.get()));
}

void TestUsageSummaryPage::cleanup()
{
    m_page.reset();
}

void TestUsageSummaryPage::press(const char *buttonName)
{
    auto *button = child<QPushButton>(buttonName);
    QVERIFY(button);
    QTest::mouseClick(button, Qt::LeftButton);
}

QList<browse::UsageSummaryRow> TestUsageSummaryPage::oracle(const browse::UsageSummaryRequest &request)
{
    QList<browse::UsageSummaryRow> rows;
    bool truncated = false;
    const DbError error = browse::fetchUsageSummary(m_database->db(), request, &rows, &truncated);
    if (error)
        qWarning() << error.fullText();
    return rows;
}

void TestUsageSummaryPage::defaults_lastThirtyDaysOrTwelveMonths_perResetsTheRange()
{
    auto *period = child<QComboBox>("period");
    auto *from = child<QDateEdit>("fromDate");
    auto *to = child<QDateEdit>("toDate");
    QVERIFY(period && from && to);
    const QDate today = todayUtc();
    QCOMPARE(period->currentText(), QStringLiteral("Day"));
    QCOMPARE(from->date(), today.addDays(-29));
    QCOMPARE(to->date(), today);

    from->setDate(QDate(2020, 1, 15));
    period->setCurrentIndex(period->findText(QStringLiteral("Month")));
    QCOMPARE(from->date(), QDate(today.year(), today.month(), 1).addMonths(-11));
    QCOMPARE(to->date(), today);

    period->setCurrentIndex(period->findText(QStringLiteral("Day")));
    QCOMPARE(from->date(), today.addDays(-29));
}

void TestUsageSummaryPage::everyField_hasALabelWithMnemonic_andTabOrderFollowsTheForm()
{
    const QStringList fields = {QStringLiteral("groupBy"),         QStringLiteral("period"),
                                QStringLiteral("fromDate"),        QStringLiteral("toDate"),
                                QStringLiteral("workspaceFilter"), QStringLiteral("userFilter"),
                                QStringLiteral("modelFilter")};
    const QList<QLabel *> labels = m_page->findChildren<QLabel *>();
    QSet<QChar> mnemonics;
    for (const QString &name : fields) {
        QWidget *field = m_page->findChild<QWidget *>(name);
        QVERIFY2(field, qPrintable(name));
        const auto label = std::find_if(labels.cbegin(), labels.cend(), [field](const QLabel *candidate) {
            return candidate->buddy() == field;
        });
        QVERIFY2(label != labels.cend(), qPrintable(name + QStringLiteral(" has no label")));
        const QString text = (*label)->text();
        const qsizetype amp = text.indexOf(QLatin1Char('&'));
        QVERIFY2(amp >= 0 && amp + 1 < text.size(), qPrintable(text));
        const QChar key = text.at(amp + 1).toLower();
        QVERIFY2(!mnemonics.contains(key), qPrintable(QStringLiteral("&%1 used twice").arg(key)));
        mnemonics.insert(key);
    }

    // The tab chain as Tab walks it, each stop named by the field it belongs to (a date edit's inner line
    // edit is the date edit's stop).
    const QStringList stops = fields + QStringList{QStringLiteral("showButton"),
                                                   QStringLiteral("cancelButton"), QStringLiteral("table")};
    const auto stopOf = [&](QWidget *widget) {
        for (; widget && widget != m_page.get(); widget = widget->parentWidget()) {
            if (stops.contains(widget->objectName()))
                return widget->objectName();
        }
        return QString();
    };
    QStringList order;
    QWidget *widget = child<QWidget>("groupBy");
    QVERIFY(widget);
    for (int step = 0; step < 100 && order.size() < stops.size();
         ++step, widget = widget->nextInFocusChain()) {
        if (!(widget->focusPolicy() & Qt::TabFocus) || !widget->isVisibleTo(m_page.get()))
            continue;
        const QString stop = stopOf(widget);
        if (!stop.isEmpty() && (order.isEmpty() || order.last() != stop))
            order.append(stop);
    }
    QCOMPARE(order, stops);
}

void TestUsageSummaryPage::show_byWorkspacePerDay_rowsOfTheRangeOnly()
{
    m_page->setConnection(m_database->connections());
    QSignalSpy finished(m_page->model(), &UsageSummaryModel::finished);
    press("showButton");
    QVERIFY(finished.wait(20000));

    browse::UsageSummaryRequest expected;
    expected.grouping = browse::UsageGrouping::Workspace;
    expected.period = browse::UsagePeriod::Day;
    expected.from = QDateTime(todayUtc().addDays(-29), QTime(0, 0), Qt::UTC);
    expected.to = QDateTime(todayUtc().addDays(1), QTime(0, 0), Qt::UTC);
    QCOMPARE(m_page->model()->request().from, expected.from);
    QCOMPARE(m_page->model()->request().to, expected.to);
    QCOMPARE(m_page->model()->request().limit, UsageSummaryPage::DefaultRowLimit);
    const auto rows = m_page->model()->summaryRows();
    QCOMPARE(rows, oracle(expected));
    // Today's two rows of workspace 11 and five days ago's of 12; the older usage stays out.
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows.at(0).groupKey.toLongLong(), 11);
    QCOMPARE(rows.at(0).requests, 2);
    QCOMPARE(rows.at(0).costUsd, QStringLiteral("0.500123"));
    QCOMPARE(rows.at(1).groupKey.toLongLong(), 12);
    QCOMPARE(rows.at(1).costUsd, QStringLiteral("2.000000"));

    auto *view = child<QTableView>("table");
    QVERIFY(view);
    QCOMPARE(view->model()->rowCount(), 2);
    QCOMPARE(view->model()->index(0, UsageSummaryModel::PeriodColumn).data().toString(),
             todayUtc().toString(Qt::ISODate));
    QCOMPARE(child<QLabel>("status")->text(), QStringLiteral("2 groups."));
    QVERIFY(!child<QPushButton>("cancelButton")->isEnabled());
}

void TestUsageSummaryPage::enterInModelField_runsTheFilteredSummary()
{
    m_page->setConnection(m_database->connections());
    QSignalSpy finished(m_page->model(), &UsageSummaryModel::finished);
    auto *groupBy = child<QComboBox>("groupBy");
    groupBy->setCurrentIndex(groupBy->findText(QStringLiteral("Model")));
    auto *modelFilter = child<QLineEdit>("modelFilter");
    QTest::keyClicks(modelFilter, QStringLiteral("claude-3"));
    QTest::keyClick(modelFilter, Qt::Key_Return);
    QVERIFY(finished.wait(20000));
    QCOMPARE(m_page->model()->request().model, std::optional<QString>(QStringLiteral("claude-3")));
    const auto rows = m_page->model()->summaryRows();
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.first().groupKey.toString(), QStringLiteral("claude-3"));
    QCOMPARE(rows.first().costUsd, QStringLiteral("0.000123"));
    QCOMPARE(child<QLabel>("status")->text(), QStringLiteral("1 group."));
}

void TestUsageSummaryPage::perMonth_byUser_countsOlderUsage()
{
    m_page->setConnection(m_database->connections());
    QSignalSpy finished(m_page->model(), &UsageSummaryModel::finished);
    auto *groupBy = child<QComboBox>("groupBy");
    auto *period = child<QComboBox>("period");
    groupBy->setCurrentIndex(groupBy->findText(QStringLiteral("User")));
    period->setCurrentIndex(period->findText(QStringLiteral("Month")));
    QTest::keyClicks(child<QLineEdit>("userFilter"), QStringLiteral(" 21 "));
    press("showButton");
    QVERIFY(finished.wait(20000));
    const browse::UsageSummaryRequest &request = m_page->model()->request();
    QCOMPARE(request.grouping, browse::UsageGrouping::User);
    QCOMPARE(request.period, browse::UsagePeriod::Month);
    QCOMPARE(request.userId, std::optional<qint64>(21));
    qint64 requests = 0;
    for (const auto &row : m_page->model()->summaryRows()) {
        QCOMPARE(row.groupKey.toLongLong(), 21);
        requests += row.requests;
    }
    // Today's, five days ago's and forty days ago's usage of user 21; not the one of four hundred days ago.
    QCOMPARE(requests, 3);
    QCOMPARE(m_page->model()->summaryRows(), oracle(request));
}

void TestUsageSummaryPage::tooManyGroups_statusSaysWhatIsShown()
{
    m_page->setConnection(m_database->connections());
    m_page->setRowLimit(1);
    QSignalSpy finished(m_page->model(), &UsageSummaryModel::finished);
    press("showButton");
    QVERIFY(finished.wait(20000));
    QCOMPARE(finished.first().first().toBool(), true);
    QCOMPARE(m_page->model()->rowCount(), 1);
    const QString status = child<QLabel>("status")->text();
    QVERIFY2(status.startsWith(QStringLiteral("Showing the first 1 groups")), qPrintable(status));
    QVERIFY2(status.contains(QStringLiteral("narrow the range")), qPrintable(status));
}

void TestUsageSummaryPage::badForm_refusedInWordsAndNoQuery_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("letters as workspace") << "workspaceFilter"
                                          << "acme"
                                          << "workspace id must be a whole number";
    QTest::newRow("negative workspace") << "workspaceFilter"
                                        << "-3"
                                        << "workspace id must be a whole number";
    QTest::newRow("decimal user") << "userFilter"
                                  << "21.5"
                                  << "user id must be a whole number";
    QTest::newRow("quote in user") << "userFilter"
                                   << "21'"
                                   << "user id must be a whole number";
    QTest::newRow("from after to") << "fromDate"
                                   << ""
                                   << "start date is after the end date";
}

void TestUsageSummaryPage::badForm_refusedInWordsAndNoQuery()
{
    QFETCH(QString, field);
    QFETCH(QString, text);
    QFETCH(QString, message);
    m_page->setConnection(m_database->connections());
    QSignalSpy busy(m_page->model(), &UsageSummaryModel::busyChanged);
    QSignalSpy reset(m_page->model(), &QAbstractItemModel::modelReset);
    if (field == QLatin1String("fromDate"))
        child<QDateEdit>("fromDate")->setDate(todayUtc().addDays(1));
    else
        QTest::keyClicks(m_page->findChild<QLineEdit *>(field), text);
    press("showButton");
    QVERIFY(child<QLabel>("problem")->isVisible());
    const QString status = child<QLabel>("problem")->text();
    QVERIFY2(status.contains(message), qPrintable(status));
    QVERIFY(m_page->findChild<QWidget *>(field)->hasFocus()); // the person lands where the fix is
    // A request is posted at once when Show is pressed, so "none posted" needs no wait: nothing is pending
    // or was dropped, and the model never went busy.
    QCOMPARE(m_page->model()->requests()->pending(), 0);
    QCOMPARE(m_page->model()->requests()->droppedReplies(), 0);
    QVERIFY(busy.isEmpty());
    QVERIFY(reset.isEmpty());
    QVERIFY(!m_page->model()->isBusy());
}

void TestUsageSummaryPage::cancelButton_enabledOnlyWhileRunning()
{
    m_page->setConnection(m_database->connections());
    auto *cancel = child<QPushButton>("cancelButton");
    auto *progress = child<QProgressBar>("progress");
    QVERIFY(cancel && progress);
    QVERIFY(!cancel->isEnabled());
    QVERIFY(!progress->isVisible());
    QSignalSpy errors(m_page->model(), &UsageSummaryModel::errorOccurred);
    {
        test::TableLock lock(m_database->spec(), QStringLiteral("ai_usage"));
        QVERIFY(lock.isHeld());
        press("showButton");
        QVERIFY(m_page->model()->isBusy());
        QVERIFY(cancel->isEnabled());
        QVERIFY(progress->isVisible());
        QVERIFY(child<QLabel>("running")->isVisible());
        QTRY_COMPARE_WITH_TIMEOUT(lockWaiters(), 1, 10000); // the statement waits on the lock
        QVERIFY(m_page->model()->isBusy());
        const int droppedBefore = m_page->model()->requests()->droppedReplies();
        press("cancelButton");
        QVERIFY(!m_page->model()->isBusy());
        QVERIFY(!cancel->isEnabled());
        QVERIFY(!progress->isVisible());
        QVERIFY(child<QLabel>("status")->text().startsWith(QStringLiteral("Cancelled")));
        // The cancelled statement's failure comes back, and is dropped rather than shown.
        QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->requests()->droppedReplies(), droppedBefore + 1, 15000);
    }
    QVERIFY(errors.isEmpty());
    QVERIFY(child<QLabel>("status")->text().startsWith(QStringLiteral("Cancelled")));

    // Escape cancels too.
    {
        test::TableLock lock(m_database->spec(), QStringLiteral("ai_usage"));
        QVERIFY(lock.isHeld());
        press("showButton");
        QVERIFY(cancel->isEnabled());
        QTest::keyClick(child<QPushButton>("showButton"), Qt::Key_Escape);
        QVERIFY(!m_page->model()->isBusy());
        QVERIFY(!cancel->isEnabled());
    }
    // And once the lock is gone the same page runs to the end, with Cancel off again.
    QSignalSpy finished(m_page->model(), &UsageSummaryModel::finished);
    press("showButton");
    QVERIFY(cancel->isEnabled());
    QVERIFY(finished.wait(20000));
    QVERIFY(!cancel->isEnabled());
    QVERIFY(!progress->isVisible());
    QCOMPARE(m_page->model()->rowCount(), 2);
    QVERIFY(errors.isEmpty());
}

void TestUsageSummaryPage::serverError_wordsThenDetailsForSupport()
{
    m_page->model()->setStatementTimeout(200);
    m_page->setConnection(m_database->connections());
    QSignalSpy errors(m_page->model(), &UsageSummaryModel::errorOccurred);
    test::TableLock lock(m_database->spec(), QStringLiteral("ai_usage"));
    QVERIFY(lock.isHeld());
    press("showButton");
    QVERIFY(errors.wait(10000));
    const DbError error = errors.first().first().value<DbError>();
    QVERIFY(child<QLabel>("problem")->isVisible());
    QCOMPARE(child<QLabel>("problem")->text(), error.message);
    const QString details = child<QLabel>("problemDetails")->text();
    QVERIFY2(details.startsWith(QStringLiteral("SQLSTATE 57014")), qPrintable(details));
    QVERIFY(!child<QPushButton>("cancelButton")->isEnabled());
}

void TestUsageSummaryPage::notConnected_show_saysConnectFirst()
{
    QSignalSpy busy(m_page->model(), &UsageSummaryModel::busyChanged);
    QTest::keyClick(child<QLineEdit>("workspaceFilter"), Qt::Key_Return);
    QVERIFY(child<QLabel>("problem")->text().startsWith(QStringLiteral("Connect to a database first")));
    QVERIFY(busy.isEmpty());
}

int TestUsageSummaryPage::lockWaiters()
{
    QSqlQuery query(m_database->db());
    if (!query.exec(QStringLiteral("SELECT count(*) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND wait_event_type = 'Lock'")) ||
        !query.next())
        return -1;
    return query.value(0).toInt();
}

QTEST_MAIN(TestUsageSummaryPage)
#include "tst_usagesummarypage.moc"
