// The paged table model against the real server: under QAbstractItemModelTester, every row once and in the
// server's order while scrolling, an estimated count for a big table that the end of the scroll corrects,
// a jump to the last row without reading the rows before it, and search that resets cleanly.
#include "testdatabase.h"

#include "browse/tables.h"
#include "db/database.h"
#include "pagedtablemodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSqlQuery>

using namespace beacon;
using beacon::models::PagedTableModel;

class TestPagedTableModel : public QObject {
    Q_OBJECT
private slots:
    void scrollWholeTable_everyRowOnceInServerOrder_data();
    void scrollWholeTable_everyRowOnceInServerOrder();
    void bigTable_estimatedCount_jumpToLastRowReadsOnlyTheTail();
    void staleEstimate_scrollToEnd_correctsRowCount();
    void search_resetsToExactCountOfMatches();
    void searchAndFilters_pageExactlyTheMatches();
    void searchBeyondExactCap_scrollsEveryMatchWithBoundedCache();
    void newerSearch_cancelsTheOneStillRunningOnTheServer();
    void liveRefresh_anotherConnectionChangesWorkspace_rowUpdatesWithoutReload();

private:
    static QStringList headers();
    static void insertUsers(QSqlDatabase db, int count);
    // Reads every row as a view scrolling down would, waiting for each block.
    static QList<qint64> scrollAll(PagedTableModel &model);
    static QList<qint64> oracle(QSqlDatabase db, const QString &orderBy,
                                const QString &where = QStringLiteral("TRUE"));
};

QStringList TestPagedTableModel::headers()
{
    QStringList names;
    for (const auto &column : browse::usersTable().columns)
        names.append(column.name);
    return names;
}

void TestPagedTableModel::insertUsers(QSqlDatabase db, int count)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral(
        "INSERT INTO users (provider, provider_user_id, primary_email, created_at, last_login_at) "
        "SELECT 'google', 'g' || n, 'user' || (n % 97) || '@example.com', "
        "       TIMESTAMPTZ '2026-01-01 00:00:00+00' + (n % 13) * INTERVAL '1 microsecond', "
        "       CASE WHEN n % 4 = 0 THEN NULL ELSE TIMESTAMPTZ '2026-05-01 00:00:00+00' + n * INTERVAL '1 s' "
        "END "
        "  FROM generate_series(1, :count) AS n"));
    query.bindValue(QStringLiteral(":count"), count);
    if (!query.exec())
        qFatal("%s", qPrintable(query.lastError().text()));
    query.exec(QStringLiteral("ANALYZE users"));
}

QList<qint64> TestPagedTableModel::oracle(QSqlDatabase db, const QString &orderBy, const QString &where)
{
    return test::userIdsInServerOrder(db, orderBy, where);
}

QList<qint64> TestPagedTableModel::scrollAll(PagedTableModel &model)
{
    QList<qint64> ids;
    for (int row = 0; row < model.rowCount(); ++row) {
        if (!model.isRowLoaded(row)) {
            model.data(model.index(row, 0));
            if (!QTest::qWaitFor([&] { return model.isRowLoaded(row) || row >= model.rowCount(); }, 20000))
                return {};
            if (row >= model.rowCount())
                break;
        }
        ids.append(model.data(model.index(row, 0)).toLongLong());
    }
    return ids;
}

void TestPagedTableModel::scrollWholeTable_everyRowOnceInServerOrder_data()
{
    QTest::addColumn<QString>("column");
    QTest::addColumn<bool>("ascending");
    QTest::addColumn<QString>("orderBy");
    QTest::newRow("id") << "id" << true << "u.id";
    QTest::newRow("email") << "email" << true << "u.primary_email, u.id";
    QTest::newRow("last login desc") << "last_login" << false
                                     << "u.last_login_at DESC NULLS FIRST, u.id DESC";
}

void TestPagedTableModel::scrollWholeTable_everyRowOnceInServerOrder()
{
    QFETCH(QString, column);
    QFETCH(bool, ascending);
    QFETCH(QString, orderBy);
    test::TestDatabase database(QStringLiteral("model_scroll"));
    QVERIFY_TESTDB(database);
    insertUsers(database.db(), 1234);

    PagedTableModel model(browse::usersTable(), headers());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy counted(&model, &PagedTableModel::rowCountKnown);
    model.sort(int(headers().indexOf(column)), ascending ? Qt::AscendingOrder : Qt::DescendingOrder);
    model.setConnection(database.connections());
    QVERIFY(counted.wait(20000));
    QCOMPARE(model.rowCount(), 1234);
    QVERIFY(!model.isCountEstimated());
    QCOMPARE(scrollAll(model), oracle(database.db(), orderBy));
}

void TestPagedTableModel::bigTable_estimatedCount_jumpToLastRowReadsOnlyTheTail()
{
    test::TestDatabase database(QStringLiteral("model_big"));
    QVERIFY_TESTDB(database);
    insertUsers(database.db(), 30000);
    PagedTableModel model(browse::usersTable(), headers());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy counted(&model, &PagedTableModel::rowCountKnown);
    model.setConnection(database.connections());
    QVERIFY(counted.wait(20000));
    QVERIFY(model.isCountEstimated());
    QCOMPARE(model.rowCount(), 30000); // ANALYZE saw every row of a table this size

    const int last = model.rowCount() - 1;
    model.data(model.index(last, 0));
    QTRY_VERIFY_WITH_TIMEOUT(model.isRowLoaded(last), 20000);
    QCOMPARE(model.data(model.index(last, 0)).toLongLong(),
             oracle(database.db(), QStringLiteral("u.id DESC")).first());
    // (The model tester reads the first rows itself; what matters is that nothing between was read.)
    QVERIFY2(!model.isRowLoaded(last - PagedTableModel::BlockSize) &&
                 !model.isRowLoaded(model.rowCount() / 2),
             "the jump must read the tail only");

    // A jump into the middle lands on rows near the middle, read by key from an estimated position.
    const int middle = model.rowCount() / 2;
    model.data(model.index(middle, 0));
    QTRY_VERIFY_WITH_TIMEOUT(model.isRowLoaded(middle), 20000);
    const qint64 id = model.data(model.index(middle, 0)).toLongLong();
    QVERIFY2(id > 30000 / 4 && id < 30000 * 3 / 4, qPrintable(QString::number(id)));
}

void TestPagedTableModel::staleEstimate_scrollToEnd_correctsRowCount()
{
    test::TestDatabase database(QStringLiteral("model_stale"));
    QVERIFY_TESTDB(database);
    insertUsers(database.db(), 12000);
    QSqlQuery query(database.db());
    // Statistics still say 12,000; the table now has 11,500.
    QVERIFY_SQL(query, exec(QStringLiteral("DELETE FROM users WHERE id > 11500")));
    PagedTableModel model(browse::usersTable(), headers());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy counted(&model, &PagedTableModel::rowCountKnown);
    model.setConnection(database.connections());
    QVERIFY(counted.wait(20000));
    QCOMPARE(model.rowCount(), 12000);
    const QList<qint64> ids = scrollAll(model);
    QCOMPARE(model.rowCount(), 11500);
    QVERIFY(!model.isCountEstimated());
    QCOMPARE(ids, oracle(database.db(), QStringLiteral("u.id")));
}

void TestPagedTableModel::search_resetsToExactCountOfMatches()
{
    test::TestDatabase database(QStringLiteral("model_search"));
    QVERIFY_TESTDB(database);
    insertUsers(database.db(), 3000);
    PagedTableModel model(browse::usersTable(), headers());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy counted(&model, &PagedTableModel::rowCountKnown);
    model.setConnection(database.connections());
    QVERIFY(counted.wait(20000));
    // A search typed on top of another: only the last one's answer may land.
    model.setSearch(QStringLiteral("user1"));
    model.setSearch(QStringLiteral("user42@"));
    QTRY_VERIFY_WITH_TIMEOUT(counted.size() >= 2 && !model.isBusy(), 20000);
    const QList<qint64> expected =
        oracle(database.db(), QStringLiteral("u.id"), QStringLiteral("u.primary_email LIKE '%user42@%'"));
    QCOMPARE(model.rowCount(), expected.size());
    QCOMPARE(scrollAll(model), expected);
}

void TestPagedTableModel::searchAndFilters_pageExactlyTheMatches()
{
    test::TestDatabase database(QStringLiteral("model_filters"));
    QVERIFY_TESTDB(database);
    insertUsers(database.db(), 3000);
    PagedTableModel model(browse::usersTable(), headers());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy counted(&model, &PagedTableModel::rowCountKnown);
    model.sort(int(headers().indexOf(QStringLiteral("email"))), Qt::DescendingOrder);
    model.setConnection(database.connections());
    QVERIFY(counted.wait(20000));
    browse::ColumnFilter neverLoggedIn;
    neverLoggedIn.column = int(headers().indexOf(QStringLiteral("last_login")));
    neverLoggedIn.op = browse::ColumnFilter::Op::IsEmpty;
    browse::ColumnFilter fromId;
    fromId.column = int(headers().indexOf(QStringLiteral("id")));
    fromId.op = browse::ColumnFilter::Op::AtLeast;
    fromId.value = QStringLiteral("1000");
    model.setFilters({neverLoggedIn, fromId});
    model.setSearch(QStringLiteral("user4"));
    QTRY_VERIFY_WITH_TIMEOUT(!model.isBusy() && counted.size() >= 2, 20000);
    const QList<qint64> expected = oracle(database.db(), QStringLiteral("u.primary_email DESC, u.id DESC"),
                                          QStringLiteral("u.last_login_at IS NULL AND u.id >= 1000 AND "
                                                         "u.primary_email LIKE '%user4%'"));
    QVERIFY(!expected.isEmpty());
    QCOMPARE(model.rowCount(), expected.size());
    QVERIFY(!model.isCountEstimated());
    QCOMPARE(scrollAll(model), expected);

    model.setFilters({});
    model.setSearch({});
    QTRY_VERIFY_WITH_TIMEOUT(!model.isBusy() && model.rowCount() == 3000, 20000);
}

void TestPagedTableModel::searchBeyondExactCap_scrollsEveryMatchWithBoundedCache()
{
    // More matches than the exact count goes to, and more blocks than the cache keeps: paged by the search
    // itself, every match once and in order, while old blocks are let go.
    test::TestDatabase database(QStringLiteral("model_bigsearch"));
    QVERIFY_TESTDB(database);
    const int users = (PagedTableModel::MaxCachedBlocks + 6) * PagedTableModel::BlockSize;
    insertUsers(database.db(), users);
    PagedTableModel model(browse::usersTable(), headers());
    QSignalSpy counted(&model, &PagedTableModel::rowCountKnown);
    model.setConnection(database.connections());
    QVERIFY(counted.wait(20000));
    model.setSearch(QStringLiteral("@example.com"));
    QTRY_VERIFY_WITH_TIMEOUT(!model.isBusy() && counted.size() >= 2, 20000);
    QVERIFY(model.isCountEstimated()); // "at least 10,000"
    QCOMPARE(model.rowCount(), int(PagedTableModel::ExactCountCap));
    const QList<qint64> ids = scrollAll(model);
    QCOMPARE(ids.size(), users);
    QCOMPARE(ids, oracle(database.db(), QStringLiteral("u.id")));
    QCOMPARE(model.rowCount(), users);
    QVERIFY2(model.cachedBlockCount() <= PagedTableModel::MaxCachedBlocks,
             qPrintable(QString::number(model.cachedBlockCount())));
}

void TestPagedTableModel::newerSearch_cancelsTheOneStillRunningOnTheServer()
{
    test::TestDatabase database(QStringLiteral("model_cancel"));
    QVERIFY_TESTDB(database);
    insertUsers(database.db(), 500);
    PagedTableModel model(browse::usersTable(), headers());
    QSignalSpy counted(&model, &PagedTableModel::rowCountKnown);
    QSignalSpy failed(&model, &PagedTableModel::errorOccurred);
    model.setConnection(database.connections());
    QVERIFY(counted.wait(20000));

    // Another session holds the table, so the search waits on the server until it is cancelled.
    test::TableLock lock(database.spec(), QStringLiteral("users"));
    QVERIFY(lock.isHeld());
    // The browse worker's session: the only other client session of this database.
    auto waitingSince = [&]() -> QString {
        QSqlQuery activity(database.db());
        activity.exec(QStringLiteral("SELECT query_start::text FROM pg_stat_activity WHERE datname = "
                                     "current_database() AND wait_event_type = 'Lock' AND pid <> "
                                     "pg_backend_pid()"));
        return activity.next() ? activity.value(0).toString() : QString();
    };
    model.setSearch(QStringLiteral("user1"));
    QTRY_VERIFY_WITH_TIMEOUT(!waitingSince().isEmpty(), 10000);
    const QString first = waitingSince();

    // The newer search may not wait for the lock holder to finish with the old one: the old statement is
    // cancelled, and the new one is the one waiting now.
    model.setSearch(QStringLiteral("user42@"));
    QTRY_VERIFY_WITH_TIMEOUT(!waitingSince().isEmpty() && waitingSince() != first, 10000);
    QVERIFY(model.isBusy());

    lock.release();
    QTRY_VERIFY_WITH_TIMEOUT(!model.isBusy(), 10000);
    QVERIFY2(failed.isEmpty(), "our own cancel is not an error for the person");
    const QList<qint64> expected =
        oracle(database.db(), QStringLiteral("u.id"), QStringLiteral("u.primary_email LIKE '%user42@%'"));
    QCOMPARE(model.rowCount(), expected.size());
    QCOMPARE(scrollAll(model), expected);
}

void TestPagedTableModel::liveRefresh_anotherConnectionChangesWorkspace_rowUpdatesWithoutReload()
{
    test::TestDatabase database(QStringLiteral("model_live"));
    QVERIFY_TESTDB(database);
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(QStringLiteral("INSERT INTO users (provider, provider_user_id, primary_email) "
                                           "VALUES ('google', 'a', 'a@x.com')")));
    QVERIFY_SQL(query, exec(QStringLiteral("INSERT INTO workspaces (name, slug, plan) SELECT 'Team ' || n, "
                                           "'team-' || n, 'team' FROM generate_series(1, 50) AS n")));
    QStringList headers;
    for (const auto &column : browse::workspacesTable().columns)
        headers.append(column.name);
    PagedTableModel model(browse::workspacesTable(), headers);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy counted(&model, &PagedTableModel::rowCountKnown);
    model.setConnection(database.connections());
    QVERIFY(counted.wait(20000));
    QCOMPARE(model.rowCount(), 50);
    model.data(model.index(0, 0));
    QTRY_VERIFY_WITH_TIMEOUT(model.isRowLoaded(0), 20000);
    const int nameColumn = int(headers.indexOf(QStringLiteral("name")));
    const int membersColumn = int(headers.indexOf(QStringLiteral("members")));
    const qint64 id = model.data(model.index(0, 0)).toLongLong();
    QCOMPARE(model.data(model.index(0, membersColumn)).toLongLong(), 0);

    // Someone else renames the workspace and adds a member (a change to memberships, not to workspaces).
    QSignalSpy refreshed(&model, &PagedTableModel::rowRefreshed);
    QVERIFY_SQL(query,
                prepare(QStringLiteral("UPDATE workspaces SET name = 'Renamed elsewhere' WHERE id = :id")));
    query.bindValue(QStringLiteral(":id"), id);
    QVERIFY_SQL(query, exec());
    QTRY_COMPARE_WITH_TIMEOUT(model.data(model.index(0, nameColumn)).toString(),
                              QStringLiteral("Renamed elsewhere"), 10000);
    QVERIFY_SQL(query, prepare(QStringLiteral("INSERT INTO memberships (workspace_id, user_id, role) "
                                              "SELECT :id, id, 'owner' FROM users")));
    query.bindValue(QStringLiteral(":id"), id);
    QVERIFY_SQL(query, exec());
    QTRY_COMPARE_WITH_TIMEOUT(model.data(model.index(0, membersColumn)).toLongLong(), 1, 10000);
    QVERIFY(refreshed.size() >= 2);
    QVERIFY(refreshed.at(0).at(0).toLongLong() == id);
}

QTEST_GUILESS_MAIN(TestPagedTableModel)
#include "tst_pagedtablemodel.moc"
