// The usage summary model against the real server: under QAbstractItemModelTester, the rows of the core
// function with numbers right-aligned; a newer request stops the older one on the server and only the newer
// reply lands; cancel stops the statement on the server and reports nothing; a statement timeout is reported.
// Slow statements are made by holding a lock on ai_usage from another connection.
#include "testdatabase.h"

#include "usagesummarymodel.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QThread>

#include <atomic>

using namespace beacon;
using beacon::models::UsageSummaryModel;

namespace {

// How long a cancel may take to end the statement on the server, far below the model's statement timeout
// (UsageSummaryModel::DefaultStatementTimeoutMs), which would end an uncancelled one.
constexpr int CancelReachesServerMs = 15000;
static_assert(CancelReachesServerMs * 4 < UsageSummaryModel::DefaultStatementTimeoutMs);

browse::UsageSummaryRequest marchRequest(browse::UsageGrouping grouping)
{
    browse::UsageSummaryRequest request;
    request.grouping = grouping;
    request.period = browse::UsagePeriod::Day;
    request.from = QDateTime(QDate(2026, 3, 1), QTime(0, 0), Qt::UTC);
    request.to = QDateTime(QDate(2026, 4, 1), QTime(0, 0), Qt::UTC);
    return request;
}

} // namespace

class TestUsageSummaryModel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void request_rowsOfTheCoreFunction_numbersRightAligned();
    void request_moreGroupsThanLimit_finishedTruncated();
    void newerRequest_stopsOlderOnServer_onlyNewerReplyLands();
    void cancel_stopsStatementOnServer_noErrorReported();
    void statementTimeout_reportedAsBusyError();
    void serverCancel_sleepingStatement_failsFastWith57014();
    void serverCancel_connectionClosed_reportsError();
    void lostConnection_nextRequestReconnectsSilently();
    void noConnection_request_reportsUsageError();

private:
    // The worker sessions of this database now waiting for a lock, with when their statement started.
    QStringList lockWaiters();
    QList<browse::UsageSummaryRow> oracle(const browse::UsageSummaryRequest &request);

    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<Connection> m_observer;
};

void TestUsageSummaryModel::initTestCase()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("usage_model"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, exec(QStringLiteral(
                           "INSERT INTO workspaces (id, name, slug) "
                           "SELECT n, 'Workspace ' || n, 'ws-' || n FROM generate_series(1, 4) AS n")));
    QVERIFY_SQL(query,
                exec(QStringLiteral(
                    "INSERT INTO users (id, provider, provider_user_id, primary_email) "
                    "SELECT n, 'google', 'u' || n, 'u' || n || '@x.com' FROM generate_series(1, 3) AS n")));
    // 120 rows over ten days of March, four workspaces, three users and none, two models.
    QVERIFY_SQL(query,
                exec(QStringLiteral(
                    "INSERT INTO ai_usage (workspace_id, user_id, provider, model, input_tokens, "
                    "output_tokens, cost_usd, created_at) "
                    "SELECT 1 + n % 4, NULLIF((n / 10) % 4, 0), 'openai', "
                    "       CASE WHEN n % 3 = 0 THEN 'gpt-4o' ELSE 'claude-3' END, n * 10, n, "
                    "       n * 0.000123, TIMESTAMPTZ '2026-03-01 00:00:00+00' + (n % 10) * INTERVAL '1 day' "
                    "                     + n * INTERVAL '1 minute' "
                    "  FROM generate_series(1, 120) AS n")));
    DbError error;
    m_observer = Connection::open(m_database->spec(), QStringLiteral("observer"), &error);
    QVERIFY2(m_observer, qPrintable(error.fullText()));
}

void TestUsageSummaryModel::cleanupTestCase()
{
    m_observer.reset();
    m_database.reset();
}

QStringList TestUsageSummaryModel::lockWaiters()
{
    QSqlQuery query(m_observer->database());
    if (!query.exec(QStringLiteral("SELECT pid || ' ' || query_start FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND wait_event_type = 'Lock'")))
        qWarning() << query.lastError().text();
    QStringList waiters;
    while (query.next())
        waiters.append(query.value(0).toString());
    return waiters;
}

QList<browse::UsageSummaryRow> TestUsageSummaryModel::oracle(const browse::UsageSummaryRequest &request)
{
    QList<browse::UsageSummaryRow> rows;
    bool truncated = false;
    const DbError error = browse::fetchUsageSummary(m_database->db(), request, &rows, &truncated);
    if (error)
        qWarning() << error.fullText();
    return rows;
}

void TestUsageSummaryModel::request_rowsOfTheCoreFunction_numbersRightAligned()
{
    UsageSummaryModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy finished(&model, &UsageSummaryModel::finished);
    QSignalSpy errors(&model, &UsageSummaryModel::errorOccurred);
    QSignalSpy busy(&model, &UsageSummaryModel::busyChanged);
    model.setConnection(m_database->connections());
    QVERIFY(!model.isBusy());

    browse::UsageSummaryRequest request = marchRequest(browse::UsageGrouping::User);
    model.setRequest(request);
    QVERIFY(model.isBusy()); // asked for, not read yet: nothing runs on this thread
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(finished.wait(20000));
    QVERIFY(errors.isEmpty());
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.first().first().toBool(), false);
    QVERIFY(!model.isBusy());
    QCOMPARE(busy.size(), 2);
    QCOMPARE(busy.at(0).first().toBool(), true);
    QCOMPARE(busy.at(1).first().toBool(), false);

    const QList<browse::UsageSummaryRow> expected = oracle(request);
    QCOMPARE(expected.size(), 40); // ten days, four user groups (three users and none)
    QCOMPARE(model.summaryRows(), expected);
    QCOMPARE(model.rowCount(), int(expected.size()));
    QCOMPARE(model.columnCount(), UsageSummaryModel::ColumnCount);
    for (int row = 0; row < model.rowCount(); ++row) {
        const browse::UsageSummaryRow &want = expected.at(row);
        QCOMPARE(model.index(row, UsageSummaryModel::PeriodColumn).data().toString(), want.periodStart);
        QCOMPARE(model.index(row, UsageSummaryModel::GroupColumn).data(Qt::EditRole), want.groupKey);
        QCOMPARE(model.index(row, UsageSummaryModel::RequestsColumn).data(Qt::EditRole).toLongLong(),
                 want.requests);
        QCOMPARE(model.index(row, UsageSummaryModel::InputTokensColumn).data(Qt::EditRole).toLongLong(),
                 want.inputTokens);
        QCOMPARE(model.index(row, UsageSummaryModel::OutputTokensColumn).data(Qt::EditRole).toLongLong(),
                 want.outputTokens);
        QCOMPARE(model.index(row, UsageSummaryModel::CostColumn).data().toString(), want.costUsd);
    }
    // The newest day first, the most expensive group first within it.
    QCOMPARE(model.index(0, UsageSummaryModel::PeriodColumn).data().toString(), QStringLiteral("2026-03-10"));
    for (int row = 1; row < model.rowCount(); ++row) {
        const auto &above = expected.at(row - 1);
        const auto &here = expected.at(row);
        QVERIFY(above.periodStart >= here.periodStart);
        if (above.periodStart == here.periodStart)
            QVERIFY(above.costUsd.toDouble() >= here.costUsd.toDouble());
    }
    // The group without a user reads as words, with its raw value still empty.
    int noUserRow = -1;
    for (int row = 0; row < model.rowCount() && noUserRow < 0; ++row) {
        if (!expected.at(row).groupKey.isValid())
            noUserRow = row;
    }
    QVERIFY(noUserRow >= 0);
    QVERIFY(!model.index(noUserRow, UsageSummaryModel::GroupColumn).data().toString().isEmpty());

    const auto alignment = [&](int column) {
        return Qt::Alignment(model.index(0, column).data(Qt::TextAlignmentRole).toInt()) &
               Qt::AlignHorizontal_Mask;
    };
    QCOMPARE(alignment(UsageSummaryModel::PeriodColumn), Qt::AlignLeft);
    QCOMPARE(alignment(UsageSummaryModel::GroupColumn), Qt::AlignRight); // user ids are numbers
    for (int column = UsageSummaryModel::RequestsColumn; column <= UsageSummaryModel::CostColumn; ++column)
        QCOMPARE(alignment(column), Qt::AlignRight);
    QCOMPARE(model.headerData(UsageSummaryModel::GroupColumn, Qt::Horizontal).toString(),
             QStringLiteral("User id"));

    // Grouped by model the key is text: left-aligned, and the header says so.
    model.setRequest(marchRequest(browse::UsageGrouping::Model));
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.summaryRows(), oracle(marchRequest(browse::UsageGrouping::Model)));
    QCOMPARE(alignment(UsageSummaryModel::GroupColumn), Qt::AlignLeft);
    QCOMPARE(model.headerData(UsageSummaryModel::GroupColumn, Qt::Horizontal).toString(),
             QStringLiteral("Model"));
    QVERIFY(errors.isEmpty());
}

void TestUsageSummaryModel::request_moreGroupsThanLimit_finishedTruncated()
{
    UsageSummaryModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy finished(&model, &UsageSummaryModel::finished);
    model.setConnection(m_database->connections());
    browse::UsageSummaryRequest request = marchRequest(browse::UsageGrouping::Workspace);
    request.limit = 7;
    model.setRequest(request);
    QVERIFY(finished.wait(20000));
    QCOMPARE(finished.first().first().toBool(), true);
    QVERIFY(model.isTruncated());
    QCOMPARE(model.rowCount(), 7);
    QCOMPARE(model.summaryRows(), oracle(request));
}

void TestUsageSummaryModel::newerRequest_stopsOlderOnServer_onlyNewerReplyLands()
{
    UsageSummaryModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy finished(&model, &UsageSummaryModel::finished);
    QSignalSpy errors(&model, &UsageSummaryModel::errorOccurred);
    model.setConnection(m_database->connections());
    test::TableLock lock(m_database->spec(), QStringLiteral("ai_usage"));
    QVERIFY(lock.isHeld());

    model.setRequest(marchRequest(browse::UsageGrouping::Workspace));
    QTRY_COMPARE_WITH_TIMEOUT(lockWaiters().size(), 1, 10000);
    const QString older = lockWaiters().value(0);

    const browse::UsageSummaryRequest newer = marchRequest(browse::UsageGrouping::Model);
    model.setRequest(newer);
    QVERIFY(model.isBusy());
    // The older statement ends on the server while the lock is still held (it was cancelled), and the newer
    // one, on the same session, takes its place in the queue for the lock. Uncancelled, the older would wait
    // for its statement timeout (2 minutes), so the wait here only needs to stay well below that; it gives a
    // loaded machine room (3 s was once not enough in CI).
    // One look at the server per check: two (the count, then the first waiter) could see the older waiter
    // and then, a moment later, nobody, and take that for the newer one. That made this test fail about one
    // run in ten, as a QTRY whose condition turned false again when Qt checked it once more.
    const auto onlyNewerWaits = [&] {
        const QStringList waiters = lockWaiters();
        return waiters.size() == 1 && waiters.first() != older;
    };
    QTRY_VERIFY_WITH_TIMEOUT(onlyNewerWaits(), CancelReachesServerMs);
    QVERIFY(finished.isEmpty());
    QCOMPARE(model.rowCount(), 0);

    lock.release();
    QVERIFY(finished.wait(20000));
    // The older request's reply (its 57014) has come back and been dropped, not merely not arrived yet.
    QTRY_COMPARE_WITH_TIMEOUT(model.requests()->droppedReplies(), 1, CancelReachesServerMs);
    QCOMPARE(finished.size(), 1);
    QVERIFY2(errors.isEmpty(),
             errors.isEmpty() ? "" : qPrintable(errors.first().first().value<DbError>().fullText()));
    QCOMPARE(model.request(), newer);
    QCOMPARE(model.summaryRows(), oracle(newer));
}

void TestUsageSummaryModel::cancel_stopsStatementOnServer_noErrorReported()
{
    UsageSummaryModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy finished(&model, &UsageSummaryModel::finished);
    QSignalSpy errors(&model, &UsageSummaryModel::errorOccurred);
    QSignalSpy busy(&model, &UsageSummaryModel::busyChanged);
    model.setConnection(m_database->connections());
    test::TableLock lock(m_database->spec(), QStringLiteral("ai_usage"));
    QVERIFY(lock.isHeld());

    model.setRequest(marchRequest(browse::UsageGrouping::Workspace));
    QTRY_COMPARE_WITH_TIMEOUT(lockWaiters().size(), 1, 10000);
    QVERIFY(model.isBusy());
    model.cancel();
    QVERIFY(!model.isBusy()); // at once, without waiting for the server
    QCOMPARE(busy.size(), 2);
    // Stopped on the server although the lock is still held: nobody waits for it any more.
    QTRY_VERIFY_WITH_TIMEOUT(lockWaiters().isEmpty(), CancelReachesServerMs);
    // The cancelled statement's 57014 has come back, and was dropped instead of reported.
    QTRY_COMPARE_WITH_TIMEOUT(model.requests()->droppedReplies(), 1, CancelReachesServerMs);
    QVERIFY2(errors.isEmpty(),
             errors.isEmpty() ? "" : qPrintable(errors.first().first().value<DbError>().fullText()));
    QVERIFY(finished.isEmpty());
    QCOMPARE(model.rowCount(), 0);

    // The same worker answers the next request once the lock is gone.
    lock.release();
    const browse::UsageSummaryRequest again = marchRequest(browse::UsageGrouping::Model);
    model.setRequest(again);
    QVERIFY(finished.wait(20000));
    QCOMPARE(model.summaryRows(), oracle(again));
    QVERIFY(errors.isEmpty());
}

void TestUsageSummaryModel::statementTimeout_reportedAsBusyError()
{
    // Unlike our own cancel, a timeout is the server giving up on the current request: the person must hear.
    UsageSummaryModel model;
    QSignalSpy finished(&model, &UsageSummaryModel::finished);
    QSignalSpy errors(&model, &UsageSummaryModel::errorOccurred);
    model.setStatementTimeout(300);
    model.setConnection(m_database->connections());
    test::TableLock lock(m_database->spec(), QStringLiteral("ai_usage"));
    QVERIFY(lock.isHeld());
    model.setRequest(marchRequest(browse::UsageGrouping::Workspace));
    QVERIFY(errors.wait(10000));
    const DbError error = errors.first().first().value<DbError>();
    QCOMPARE(error.sqlState, QStringLiteral("57014"));
    QCOMPARE(error.kind, ErrorKind::Busy);
    QVERIFY(!error.message.isEmpty());
    QVERIFY(!model.isBusy());
    QVERIFY(finished.isEmpty());
}

void TestUsageSummaryModel::serverCancel_sleepingStatement_failsFastWith57014()
{
    const ConnectionSpec spec = m_database->spec();
    std::atomic<int> pid{0};
    std::shared_ptr<ServerCancel> cancel;
    QString sqlState;
    qint64 elapsedMs = -1;
    QThread *sleeper = QThread::create([&] {
        DbError error;
        auto connection = Connection::open(spec, QStringLiteral("sleeper"), &error);
        if (!connection) {
            sqlState = error.fullText();
            pid = -1;
            return;
        }
        cancel = connection->serverCancel();
        pid = connection->backendPid();
        QElapsedTimer timer;
        timer.start();
        QSqlQuery query(connection->database());
        if (!query.exec(QStringLiteral("SELECT pg_sleep(30)")))
            sqlState = query.lastError().nativeErrorCode();
        elapsedMs = timer.elapsed();
    });
    // Whatever happens below, the thread (which uses this function's variables) ends before they do.
    const auto joinSleeper = qScopeGuard([sleeper] {
        sleeper->wait();
        delete sleeper;
    });
    sleeper->start();
    QTRY_VERIFY_WITH_TIMEOUT(pid.load() != 0, 10000);
    QVERIFY2(pid.load() > 0, qPrintable(sqlState));
    // Wait until the sleep is really running, so that the cancel cannot arrive before it.
    const auto sleeping = [&] {
        QSqlQuery query(m_observer->database());
        query.prepare(QStringLiteral("SELECT state FROM pg_stat_activity WHERE pid = CAST(:pid AS integer)"));
        query.bindValue(QStringLiteral(":pid"), pid.load());
        return query.exec() && query.next() && query.value(0).toString() == QLatin1String("active");
    };
    QTRY_VERIFY_WITH_TIMEOUT(sleeping(), 10000);
    QVERIFY(cancel);
    QCOMPARE(cancel->backendPid(), pid.load());
    const DbError cancelError = cancel->send();
    QVERIFY2(!cancelError, qPrintable(cancelError.fullText()));
    const bool ended = sleeper->wait(3000);
    QVERIFY2(ended, "the sleeping statement was still running 3 s after the cancel");
    QCOMPARE(sqlState, QStringLiteral("57014"));
    QVERIFY2(elapsedMs >= 0 && elapsedMs < 5000, qPrintable(QString::number(elapsedMs)));
}

void TestUsageSummaryModel::serverCancel_connectionClosed_reportsError()
{
    DbError error;
    auto connection = Connection::open(m_database->spec(), QStringLiteral("closing"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
    const std::shared_ptr<ServerCancel> cancel = connection->serverCancel();
    QVERIFY(cancel);
    QVERIFY(cancel->backendPid() > 0);
    connection.reset();
    // Nothing left to stop: that is an error with words, never a silent success.
    const DbError cancelError = cancel->send();
    QCOMPARE(cancelError.kind, ErrorKind::Unavailable);
    QVERIFY(!cancelError.message.isEmpty());
}

void TestUsageSummaryModel::lostConnection_nextRequestReconnectsSilently()
{
    UsageSummaryModel model;
    QSignalSpy finished(&model, &UsageSummaryModel::finished);
    QSignalSpy errors(&model, &UsageSummaryModel::errorOccurred);
    model.setConnection(m_database->connections());
    const browse::UsageSummaryRequest request = marchRequest(browse::UsageGrouping::Workspace);
    model.setRequest(request);
    QVERIFY(finished.wait(20000));

    // An administrator (or a restart) ends the worker's session between two requests. Named by its process
    // id: counting every other session of the database also counted ones still on their way out.
    const int workerPid = m_database->connections()->worker(DbLane::Detail)->backendPid();
    QVERIFY(workerPid > 0);
    QSqlQuery query(m_observer->database());
    QVERIFY_SQL(query, prepare(QStringLiteral("SELECT pg_terminate_backend(CAST(:pid AS integer))")));
    query.bindValue(QStringLiteral(":pid"), workerPid);
    QVERIFY_SQL(query, exec());
    QVERIFY(query.next());
    QVERIFY(query.value(0).toBool());

    // The summary only reads, so the worker runs it again on a fresh session instead of failing.
    model.setRequest(request);
    QVERIFY(finished.wait(20000));
    QVERIFY2(errors.isEmpty(),
             errors.isEmpty() ? "" : qPrintable(errors.first().first().value<DbError>().fullText()));
    QCOMPARE(model.summaryRows(), oracle(request));
}

void TestUsageSummaryModel::noConnection_request_reportsUsageError()
{
    UsageSummaryModel model;
    QSignalSpy errors(&model, &UsageSummaryModel::errorOccurred);
    model.setRequest(marchRequest(browse::UsageGrouping::Workspace));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.first().first().value<DbError>().kind, ErrorKind::Usage);
    QVERIFY(!model.isBusy());
}

QTEST_GUILESS_MAIN(TestUsageSummaryModel)
#include "tst_usagesummarymodel.moc"
