// A table page over more rows than its view is ever shown at once (offscreen): the page's own scrollbar
// spans the whole table, Ctrl+End and a drag of that scrollbar land on the right rows, Page Down walks
// across the window's edge without losing a row, and column filters narrow the table with words above it.
#include "testdatabase.h"

#include "columnfilterdialog.h"
#include "pagedtablemodel.h"
#include "rowwindowmodel.h"
#include "tablepage.h"

#include "browse/tables.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTableView>

using namespace beacon;
using beacon::models::PagedTableModel;
using beacon::models::RowWindowModel;

class TestBigTablePage : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();
    void ctrlEnd_showsTheTablesLastRow();
    void positionBarToMiddle_showsTheRowsThere();
    void pageDownAcrossTheWindowEdge_everyRowInOrder();
    void columnFilter_narrowsAndIsShownInWords();
    void filterDialog_badValue_saysWhatIsWrongAndStaysOpen();

private:
    QStringList headers() const;
    bool screenLoaded() const;
    qint64 idAtViewRow(int row) const;

    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<ui::TablePage> m_page;
};

static constexpr int Users = RowWindowModel::WindowRows * 2 + 777;

QStringList TestBigTablePage::headers() const
{
    QStringList names;
    for (const auto &column : browse::usersTable().columns)
        names.append(column.name);
    return names;
}

void TestBigTablePage::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("ui_bigtable"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query,
                prepare(QStringLiteral(
                    "INSERT INTO users (provider, provider_user_id, primary_email, last_login_at) "
                    "SELECT 'google', 'g' || n, 'user' || n || '@example.com', "
                    "       CASE WHEN n % 10 = 0 THEN NULL ELSE TIMESTAMPTZ '2026-01-01 00:00+00' + n * "
                    "INTERVAL '1 minute' END "
                    "  FROM generate_series(1, :count) AS n")));
    query.bindValue(QStringLiteral(":count"), Users);
    QVERIFY_SQL(query, exec());
    QVERIFY_SQL(query, exec(QStringLiteral("ANALYZE users")));
}

void TestBigTablePage::init()
{
    m_page = std::make_unique<ui::TablePage>(QStringLiteral("big-users"), browse::usersTable(), headers());
    m_page->resize(900, 500);
    m_page->show();
    m_page->setConnection(m_database->connections());
    QTRY_VERIFY_WITH_TIMEOUT(!m_page->model()->isBusy() && m_page->model()->rowCount() > 0, 20000);
}

void TestBigTablePage::cleanup()
{
    m_page.reset();
}

void TestBigTablePage::cleanupTestCase()
{
    m_database.reset();
}

bool TestBigTablePage::screenLoaded() const
{
    QTableView *view = m_page->view();
    const int top = std::max(0, view->rowAt(0));
    int bottom = view->rowAt(view->viewport()->height() - 1);
    if (bottom < 0)
        bottom = view->model()->rowCount() - 1;
    for (int row = top; row <= bottom; ++row) {
        if (!m_page->model()->isRowLoaded(m_page->tableRow(row)))
            return false;
    }
    return true;
}

qint64 TestBigTablePage::idAtViewRow(int row) const
{
    return m_page->view()->model()->index(row, 0).data().toLongLong();
}

void TestBigTablePage::ctrlEnd_showsTheTablesLastRow()
{
    QTableView *view = m_page->view();
    QVERIFY(m_page->positionBar()->isVisible());
    QVERIFY(view->model()->rowCount() <= RowWindowModel::WindowRows);
    view->setFocus();
    view->setCurrentIndex(view->model()->index(0, 0));
    QTest::keyClick(view, Qt::Key_End, Qt::ControlModifier);
    QTRY_VERIFY_WITH_TIMEOUT(screenLoaded(), 20000);
    const QModelIndex current = view->currentIndex();
    QVERIFY(current.isValid());
    QCOMPARE(m_page->tableRow(current.row()), m_page->model()->rowCount() - 1);
    QCOMPARE(current.siblingAtColumn(0).data().toLongLong(), qint64(Users));
    QCOMPARE(m_page->positionBar()->value(), m_page->positionBar()->maximum());

    QTest::keyClick(view, Qt::Key_Home, Qt::ControlModifier);
    QTRY_VERIFY_WITH_TIMEOUT(screenLoaded(), 20000);
    QCOMPARE(view->currentIndex().siblingAtColumn(0).data().toLongLong(), 1);
    QCOMPARE(m_page->positionBar()->value(), 0);
}

void TestBigTablePage::positionBarToMiddle_showsTheRowsThere()
{
    const int middle = Users / 2;
    m_page->positionBar()->setValue(middle); // as a drag would
    QTableView *view = m_page->view();
    QTRY_VERIFY_WITH_TIMEOUT(screenLoaded(), 20000);
    const int top = view->rowAt(0);
    QCOMPARE(m_page->tableRow(top), middle);
    // Sorted by id with none missing, the row at position p is user p + 1 (the jump is estimated from the id
    // range, and exact here).
    QCOMPARE(idAtViewRow(top), qint64(middle + 1));
}

void TestBigTablePage::pageDownAcrossTheWindowEdge_everyRowInOrder()
{
    QTableView *view = m_page->view();
    // Start a little above the place where the window must move on.
    m_page->scrollToRow(RowWindowModel::WindowRows - 2100);
    QTRY_VERIFY_WITH_TIMEOUT(screenLoaded(), 20000);
    view->setFocus();
    view->setCurrentIndex(view->model()->index(view->rowAt(0), 0));
    qint64 previous = view->currentIndex().data().toLongLong();
    const int startWindow = qobject_cast<RowWindowModel *>(view->model())->windowStart();
    for (int press = 0; press < 200; ++press) {
        QTest::keyClick(view, Qt::Key_PageDown);
        QTRY_VERIFY_WITH_TIMEOUT(screenLoaded(), 20000);
        const qint64 id = view->currentIndex().data().toLongLong();
        QVERIFY2(id > previous, qPrintable(QStringLiteral("%1 after %2").arg(id).arg(previous)));
        // The current row is exactly where the table says it is.
        QCOMPARE(id, qint64(m_page->tableRow(view->currentIndex().row()) + 1));
        QCOMPARE(m_page->positionBar()->value(), m_page->tableRow(view->rowAt(0)));
        previous = id;
    }
    QVERIFY2(qobject_cast<RowWindowModel *>(view->model())->windowStart() != startWindow,
             "two hundred pages down must have moved the window");
}

void TestBigTablePage::columnFilter_narrowsAndIsShownInWords()
{
    const int idColumn = int(headers().indexOf(QStringLiteral("id")));
    const int loginColumn = int(headers().indexOf(QStringLiteral("last_login")));
    browse::ColumnFilter from;
    from.column = idColumn;
    from.op = browse::ColumnFilter::Op::AtLeast;
    from.value = QStringLiteral("100");
    browse::ColumnFilter below;
    below.column = idColumn;
    below.op = browse::ColumnFilter::Op::Below;
    below.value = QStringLiteral("200");
    browse::ColumnFilter never;
    never.column = loginColumn;
    never.op = browse::ColumnFilter::Op::IsEmpty;
    m_page->addFilter(from);
    m_page->addFilter(below);
    m_page->addFilter(never);
    QTRY_VERIFY_WITH_TIMEOUT(!m_page->model()->isBusy() && m_page->model()->rowCount() == 10, 20000);
    QVERIFY(!m_page->positionBar()->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(screenLoaded(), 20000);
    for (int row = 0; row < 10; ++row)
        QCOMPARE(idAtViewRow(row), qint64(100 + row * 10));
    auto *summary = m_page->findChild<QLabel *>(QStringLiteral("filterSummary"));
    QVERIFY(summary && summary->isVisible());
    QVERIFY2(summary->text().contains(QStringLiteral("at least 100")) &&
                 summary->text().contains(QStringLiteral("below 200")) &&
                 summary->text().contains(QStringLiteral("is empty")),
             qPrintable(summary->text()));
    QVERIFY(m_page->findChild<QLabel *>(QStringLiteral("rowCount"))->text().contains(QStringLiteral("10")));

    m_page->findChild<QPushButton *>(QStringLiteral("clearFiltersButton"))->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_page->model()->isBusy() && m_page->model()->rowCount() == Users, 20000);
    QVERIFY(!summary->isVisible());
}

void TestBigTablePage::filterDialog_badValue_saysWhatIsWrongAndStaysOpen()
{
    QTableView *view = m_page->view();
    view->setFocus();
    const int loginColumn = int(headers().indexOf(QStringLiteral("last_login")));
    view->setCurrentIndex(view->model()->index(0, loginColumn));
    QTest::keyClick(view, Qt::Key_F, Qt::ControlModifier | Qt::ShiftModifier);
    ui::ColumnFilterDialog *dialog = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT(
        (dialog = m_page->findChild<ui::ColumnFilterDialog *>(QStringLiteral("columnFilterDialog"))), 5000);
    auto *value = dialog->findChild<QLineEdit *>(QStringLiteral("filterValue"));
    // The selected cell's value is suggested, as the console shows it.
    QVERIFY(!value->text().isEmpty());
    value->setText(QStringLiteral("last tuesday"));
    dialog->accept();
    QVERIFY(dialog->isVisible());
    auto *problem = dialog->findChild<QLabel *>(QStringLiteral("filterProblem"));
    QVERIFY(problem->isVisible());
    QVERIFY2(problem->text().contains(QStringLiteral("2026-11-28")), qPrintable(problem->text()));
    QVERIFY(m_page->model()->filters().isEmpty());

    value->setText(QStringLiteral("2026-01-02"));
    dialog->findChild<QComboBox *>(QStringLiteral("filterOperator"))->setCurrentIndex(1); // before
    dialog->accept();
    QTRY_VERIFY_WITH_TIMEOUT(!m_page->model()->isBusy() && m_page->model()->filters().size() == 1, 5000);
    // Logins before 2026-01-02 00:00 UTC: users 1 to 1439 (one a minute), less every tenth (never).
    QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->rowCount(), 1439 - 143, 20000);
}

QTEST_MAIN(TestBigTablePage)
#include "tst_bigtablepage.moc"
