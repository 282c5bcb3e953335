// The window a view is shown of a big table: under QAbstractItemModelTester, the rows it shows are the
// table's rows from its start, a persistent index (the current row) follows its row when the window moves,
// and the window follows the table's own count as it arrives and is corrected.
#include "testdatabase.h"

#include "browse/tables.h"
#include "pagedtablemodel.h"
#include "rowwindowmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSqlQuery>

using namespace beacon;
using beacon::models::PagedTableModel;
using beacon::models::RowWindowModel;

class TestRowWindowModel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void bigTable_windowIsBounded_andShowsTheTableFromItsStart();
    void moveWindow_rowsShift_persistentIndexFollowsOrIsDropped();
    void smallTable_windowIsTheWholeTable();

private:
    static QStringList headers();
    std::unique_ptr<test::TestDatabase> m_database;
};

static constexpr int Users = RowWindowModel::WindowRows + 5000;

// The users table through a window, under the model tester, connected.
struct Shown {
    explicit Shown(ConnectionBudget *connections)
        : table(browse::usersTable(), usersHeaders())
        , window(&table)
        , tester(&window, QAbstractItemModelTester::FailureReportingMode::QtTest)
    {
        table.setConnection(connections);
    }
    bool counted()
    {
        return QTest::qWaitFor([this] { return !table.isBusy() && table.rowCount() > 0; }, 20000);
    }
    static QStringList usersHeaders()
    {
        QStringList names;
        for (const auto &column : browse::usersTable().columns)
            names.append(column.name);
        return names;
    }
    PagedTableModel table;
    RowWindowModel window;
    QAbstractItemModelTester tester;
};

QStringList TestRowWindowModel::headers()
{
    return Shown::usersHeaders();
}

void TestRowWindowModel::initTestCase()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("rowwindow"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, prepare(QStringLiteral("INSERT INTO users (provider, provider_user_id, primary_email) "
                                              "SELECT 'google', 'g' || n, 'user' || n || '@example.com' "
                                              "  FROM generate_series(1, :count) AS n")));
    query.bindValue(QStringLiteral(":count"), Users);
    QVERIFY_SQL(query, exec());
    QVERIFY_SQL(query, exec(QStringLiteral("ANALYZE users")));
}

void TestRowWindowModel::cleanupTestCase()
{
    m_database.reset();
}

void TestRowWindowModel::bigTable_windowIsBounded_andShowsTheTableFromItsStart()
{
    Shown shown(m_database->connections());
    QVERIFY(shown.counted());
    PagedTableModel &table = shown.table;
    RowWindowModel &window = shown.window;
    QCOMPARE(table.rowCount(), Users);
    QCOMPARE(window.rowCount(), RowWindowModel::WindowRows);
    QCOMPARE(window.columnCount(), table.columnCount());
    QCOMPARE(window.lastWindowStart(), Users - RowWindowModel::WindowRows);
    QCOMPARE(window.index(0, 1).data().toString(), QStringLiteral("user1@example.com"));

    // The window's last rows are the table's last rows once it is moved to the end.
    window.setWindowStart(window.lastWindowStart() + 1000); // clamped
    QCOMPARE(window.windowStart(), window.lastWindowStart());
    const QModelIndex last = window.index(window.rowCount() - 1, 0);
    last.data(); // asks for the block
    QTRY_VERIFY_WITH_TIMEOUT(table.isRowLoaded(Users - 1), 20000);
    QCOMPARE(last.data().toLongLong(), qint64(Users));
    QCOMPARE(window.sourceRow(last.row()), Users - 1);
    QCOMPARE(window.windowRow(Users - 1), last.row());
    QCOMPARE(window.windowRow(0), -1);
}

void TestRowWindowModel::moveWindow_rowsShift_persistentIndexFollowsOrIsDropped()
{
    Shown shown(m_database->connections());
    QVERIFY(shown.counted());
    PagedTableModel &table = shown.table;
    RowWindowModel &window = shown.window;

    const QPersistentModelIndex followed(window.index(3000, 2));
    const QPersistentModelIndex leftBehind(window.index(10, 0));
    QSignalSpy moved(&window, &RowWindowModel::windowMoved);
    window.setWindowStart(2500);
    QCOMPARE(moved.size(), 1);
    QCOMPARE(moved.at(0).at(0).toInt(), 2500);
    QVERIFY(followed.isValid());
    QCOMPARE(followed.row(), 500);
    QCOMPARE(followed.column(), 2);
    QCOMPARE(window.sourceRow(followed.row()), 3000);
    QVERIFY(!leftBehind.isValid());

    // The rows shown are the table's rows from the new start, read by key.
    window.index(0, 1).data();
    QTRY_VERIFY_WITH_TIMEOUT(table.isRowLoaded(2500), 20000);
    QCOMPARE(window.index(0, 1).data().toString(), QStringLiteral("user2501@example.com"));

    // A reset of the table (a new search) puts the window back at the top.
    table.setSearch(QStringLiteral("user77"));
    QTRY_VERIFY_WITH_TIMEOUT(!table.isBusy() && table.rowCount() > 0, 20000);
    QCOMPARE(window.windowStart(), 0);
    QCOMPARE(window.rowCount(), table.rowCount());
}

void TestRowWindowModel::smallTable_windowIsTheWholeTable()
{
    PagedTableModel table(browse::usersTable(), headers());
    RowWindowModel window(&table);
    QAbstractItemModelTester tester(&window, QAbstractItemModelTester::FailureReportingMode::QtTest);
    table.setConnection(m_database->connections());
    table.setSearch(QStringLiteral("user1234"));
    QTRY_VERIFY_WITH_TIMEOUT(!table.isBusy() && table.rowCount() > 0, 20000);
    QCOMPARE(window.rowCount(), table.rowCount());
    QCOMPARE(window.lastWindowStart(), 0);
    window.setWindowStart(5);
    QCOMPARE(window.windowStart(), 0);
    for (int row = 0; row < window.rowCount(); ++row)
        QCOMPARE(window.index(row, 0).data(), table.index(row, 0).data());
}

QTEST_GUILESS_MAIN(TestRowWindowModel)
#include "tst_rowwindowmodel.moc"
