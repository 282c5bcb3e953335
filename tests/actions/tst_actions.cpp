// The engine's promises, whatever the action (app/core/actions/actionengine.h), against the real server:
// malformed requests stop before the database, a failure after any write leaves nothing, a held lock is
// "busy" within the lock timeout, a lost deadlock is retried, a stale version is a conflict, a dry run
// changes nothing, and a last write left to the engine is guarded. That an action id is applied once is
// in tst_actions_ids.cpp.
#include "actionfixture.h"
#include "actionrequests.h"

#include "actions/actionengine.h"
#include "actions/enginetransaction.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSqlQuery>
#include <QThread>

#include <atomic>

using namespace beacon;
using namespace beacon::test;
using namespace beacon::test::seeded;
using beacon::actions::ActionHooks;
using beacon::actions::ActionKind;
using beacon::actions::ActionRequest;
using beacon::actions::ActionResult;

namespace {

bool run(const QSqlDatabase &db, const QString &sql)
{
    QSqlQuery query(db);
    if (query.exec(sql))
        return true;
    qWarning().noquote() << sql << query.lastError().text();
    return false;
}

} // namespace

class TestActionEngine : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void malformedRequest_usageBeforeAnyTransaction_data();
    void malformedRequest_usageBeforeAnyTransaction();
    void hooks_calledAfterEveryWrite_data();
    void hooks_calledAfterEveryWrite();
    void failureAfterWrite_nothingRemains_data();
    void failureAfterWrite_nothingRemains();
    void lockHeldElsewhere_busyWithinTimeoutAndNothingWritten_data();
    void lockHeldElsewhere_busyWithinTimeoutAndNothingWritten();
    void deadlockLost_retriedAndApplied();
    void staleExpectedVersion_conflictAndNothingWritten_data();
    void staleExpectedVersion_conflictAndNothingWritten();
    void currentExpectedVersion_applied();
    void dryRun_previewReportedAndNothingChanged_data();
    void dryRun_previewReportedAndNothingChanged();
    void dryRun_refusedAction_refusedLikeTheRealOne();
    void repeatedActions_preparedOnceAndNothingPilesUp();
    void lastWrite_guards_failureAndNothingWritten_data();
    void lastWrite_guards_failureAndNothingWritten();
    void lastWrite_auditValuesNumberedAfterTheWrites_eachValueInItsPlace_data();
    void lastWrite_auditValuesNumberedAfterTheWrites_eachValueInItsPlace();

private:
    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestActionEngine::init()
{
    // A fresh copy for every test: each one starts from the picture in actionfixture.h.
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_engine"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestActionEngine::cleanup()
{
    m_fixture.reset();
}

void TestActionEngine::malformedRequest_usageBeforeAnyTransaction_data()
{
    QTest::addColumn<ActionRequest>("request");
    QTest::addColumn<QString>("words");
    ActionRequest request = planChange(Roomy, QStringLiteral("starter"));
    request.reason = QStringLiteral("   ");
    QTest::newRow("blank reason") << request << QStringLiteral("Give a reason");
    request = planChange(Roomy, QStringLiteral("starter"));
    request.actor.clear();
    QTest::newRow("no actor") << request << QStringLiteral("Say who is acting");
    request = planChange(Roomy, QStringLiteral("starter"));
    request.actionId = QUuid();
    QTest::newRow("nil action id") << request << QStringLiteral("nil UUID");
    request = planChange(Roomy, QStringLiteral("starter"));
    request.lockTimeoutMs = 0;
    QTest::newRow("no lock timeout") << request << QStringLiteral("Timeouts must be positive");
    request = planChange(Roomy, QStringLiteral("starter"));
    request.statementTimeoutMs = -5;
    QTest::newRow("negative statement timeout") << request << QStringLiteral("Timeouts must be positive");
}

void TestActionEngine::malformedRequest_usageBeforeAnyTransaction()
{
    QFETCH(ActionRequest, request);
    QFETCH(QString, words);
    const QString before = m_fixture->snapshot();
    const ActionResult result = actions::runAction(m_fixture->db(), request);
    QCOMPARE(result.error.kind, ErrorKind::Usage);
    QCOMPARE(result.exitCode(), 2);
    QVERIFY2(result.error.message.contains(words), qPrintable(result.error.message));
    // Refused on its face: not a single transaction was begun.
    QCOMPARE(result.attempts, 0);
    QCOMPARE(m_fixture->snapshot(), before);
}

void TestActionEngine::hooks_calledAfterEveryWrite_data()
{
    QTest::addColumn<ActionRequest>("request");
    QTest::addColumn<QList<int>>("writes");
    QTest::newRow("plan-change: the workspace")
        << planChange(Roomy, QStringLiteral("starter")) << QList<int>{1};
    QTest::newRow("project-delete: files, project, counter")
        << projectDelete(LaunchProject) << QList<int>{1, 2, 3};
    QTest::newRow("file-delete: file, counter") << fileDelete(PlanFile) << QList<int>{1, 2};
    QTest::newRow("user-merge: three memberships, the user")
        << userMerge(Ada, AdaDuplicate) << QList<int>{1, 2, 3, 4};
}

void TestActionEngine::hooks_calledAfterEveryWrite()
{
    // The failure injection below is only as good as this count: a write without a hook call could not be
    // proved to roll back.
    QFETCH(ActionRequest, request);
    QFETCH(QList<int>, writes);
    QList<int> seen;
    ActionHooks hooks;
    hooks.afterWrite = [&](int writeNumber) {
        seen.append(writeNumber);
        return DbError();
    };
    QVERIFY_APPLIED(actions::runAction(m_fixture->db(), request, hooks));
    QCOMPARE(seen, writes);
}

void TestActionEngine::failureAfterWrite_nothingRemains_data()
{
    QTest::addColumn<ActionRequest>("request");
    QTest::addColumn<int>("failAt");
    QTest::newRow("plan-change after the update") << planChange(Heavy, QStringLiteral("free")) << 1;
    QTest::newRow("project-delete after the files") << projectDelete(LaunchProject) << 1;
    QTest::newRow("project-delete after the project") << projectDelete(LaunchProject) << 2;
    QTest::newRow("project-delete after the counter") << projectDelete(LaunchProject) << 3;
    QTest::newRow("file-delete after the file") << fileDelete(PlanFile) << 1;
    QTest::newRow("file-delete after the counter") << fileDelete(PlanFile) << 2;
    QTest::newRow("user-merge after the first membership") << userMerge(Ada, AdaDuplicate) << 1;
    QTest::newRow("user-merge after the moved membership") << userMerge(Ada, AdaDuplicate) << 3;
    QTest::newRow("user-merge after disabling the user") << userMerge(Ada, AdaDuplicate) << 4;
    QTest::newRow("member-add after the insert") << memberAdd(Roomy, Fay) << 1;
    QTest::newRow("member-remove after the delete") << memberRemove(Roomy, Cy) << 1;
    QTest::newRow("member-role after the update") << memberRole(Roomy, Cy, QStringLiteral("admin")) << 1;
    QTest::newRow("quota-repair after the update") << quotaRepair(Drifted) << 1;
    QTest::newRow("read-only after the update") << readOnly(Roomy, true) << 1;
    QTest::newRow("exports-purge after the batch") << exportsPurge(30, 1000) << 1;
}

void TestActionEngine::failureAfterWrite_nothingRemains()
{
    QFETCH(ActionRequest, request);
    QFETCH(int, failAt);
    if (request.kind == ActionKind::PlanChange)
        request.allowOverQuota = true; // so that it writes read_only too, in the same statement
    int lastWrite = 0;
    ActionHooks hooks;
    hooks.afterWrite = [&](int writeNumber) {
        lastWrite = writeNumber;
        return writeNumber == failAt ? DbError::make(ErrorKind::Internal, QStringLiteral("injected failure"))
                                     : DbError();
    };
    const QString problems = test::runExpectingFailure(*m_fixture, request, ErrorKind::Internal,
                                                       QStringLiteral("injected"), hooks);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QCOMPARE(lastWrite, failAt);
}

void TestActionEngine::lockHeldElsewhere_busyWithinTimeoutAndNothingWritten_data()
{
    QTest::addColumn<ActionRequest>("request");
    QTest::addColumn<QString>("lock");
    const QString workspace = QStringLiteral("SELECT id FROM workspaces WHERE id = 1 FOR UPDATE");
    QTest::newRow("plan-change, workspace held") << planChange(Roomy, QStringLiteral("starter")) << workspace;
    QTest::newRow("member-add, workspace held") << memberAdd(Roomy, Fay) << workspace;
    QTest::newRow("project-delete, workspace held") << projectDelete(LaunchProject) << workspace;
    QTest::newRow("user-merge, one of its workspaces held") << userMerge(Ada, AdaDuplicate) << workspace;
    QTest::newRow("member-remove, membership held")
        << memberRemove(Roomy, Cy)
        << QStringLiteral("SELECT 1 FROM memberships WHERE workspace_id = 1 AND user_id = 3 FOR UPDATE");
    QTest::newRow("file-delete, file held")
        << fileDelete(PlanFile) << QStringLiteral("SELECT id FROM files WHERE id = 100 FOR UPDATE");
    QTest::newRow("exports-purge, one export held: skipped, not busy")
        << exportsPurge(30, 1000) << QStringLiteral("SELECT id FROM exports WHERE id = 1 FOR UPDATE");
}

void TestActionEngine::lockHeldElsewhere_busyWithinTimeoutAndNothingWritten()
{
    QFETCH(ActionRequest, request);
    QFETCH(QString, lock);
    auto &fixture = *m_fixture;
    const auto holder = fixture.otherSession(QStringLiteral("holder"));
    QVERIFY(holder);
    QVERIFY(run(holder->database(), QStringLiteral("BEGIN")));
    QVERIFY(run(holder->database(), lock));

    request.lockTimeoutMs = 500;
    const QString before = fixture.snapshot();
    const qint64 audits = fixture.auditCount();
    QElapsedTimer timer;
    timer.start();
    const ActionResult result = actions::runAction(fixture.db(), request);
    const qint64 elapsed = timer.elapsed();
    if (request.kind == ActionKind::ExportsPurge) {
        // Exports are taken with SKIP LOCKED: a held export is left for a later batch, and no one waits.
        QVERIFY_APPLIED(result);
        QVERIFY2(elapsed < 450, qPrintable(QStringLiteral("took %1 ms").arg(elapsed)));
        QJsonArray purged = result.after.toObject().value(QStringLiteral("ids")).toArray();
        QCOMPARE(purged, QJsonArray({2, 3, 4, 5}));
        return;
    }
    QVERIFY2(result.error.kind == ErrorKind::Busy, qPrintable(test::describe(result)));
    QCOMPARE(result.error.sqlState, QStringLiteral("55P03"));
    QCOMPARE(result.exitCode(), 4);
    QVERIFY2(result.error.message.contains(QLatin1String("500 ms")), qPrintable(result.error.message));
    // It waited for the lock, and no longer than its timeout plus a margin for a loaded machine.
    QVERIFY2(elapsed >= 450 && elapsed <= 1500, qPrintable(QStringLiteral("took %1 ms").arg(elapsed)));
    // A lock timeout is not retried: the person is told at once.
    QCOMPARE(result.attempts, 1);
    QCOMPARE(fixture.auditCount(), audits);
    QCOMPARE(fixture.snapshot(), before);

    // Once the other session lets go, the very same request (same action id) goes through.
    QVERIFY(run(holder->database(), QStringLiteral("ROLLBACK")));
    const ActionResult retried = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(retried);
    QVERIFY(!retried.alreadyApplied);
    QCOMPARE(fixture.auditCount(), audits + 1);
}

void TestActionEngine::deadlockLost_retriedAndApplied()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const QVariant enginePid = fixture.value(QStringLiteral("SELECT pg_backend_pid()"));
    QVERIFY(enginePid.isValid());
    // The engine's session runs the deadlock check; the other session waits far longer before it would,
    // so the engine's transaction is the one PostgreSQL aborts.
    QVERIFY(fixture.exec(QStringLiteral("SET deadlock_timeout = '1s'")));

    // The other session takes the file first and the workspace second: the reverse of the global order.
    std::atomic<bool> fileHeld = false;
    std::atomic<bool> gotWorkspace = false;
    QString otherError;
    const test::TestDatabase &database = fixture.database();
    std::unique_ptr<QThread> other(QThread::create([&] {
        DbError error;
        auto session = Connection::open(database.spec(), QStringLiteral("reverse-order"), &error);
        if (!session) {
            otherError = error.fullText();
            fileHeld = true;
            return;
        }
        const QSqlDatabase db = session->database();
        if (!run(db, QStringLiteral("BEGIN")) ||
            !run(db, QStringLiteral("SET LOCAL deadlock_timeout = '60s'")) ||
            !run(db, QStringLiteral("SELECT id FROM files WHERE id = 100 FOR UPDATE"))) {
            otherError = QStringLiteral("could not take the file");
            fileHeld = true;
            return;
        }
        fileHeld = true;
        // Close the circle only once the engine waits for the file, holding the workspace.
        QSqlQuery waiting(db);
        waiting.prepare(
            QStringLiteral("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"));
        waiting.bindValue(QStringLiteral(":pid"), enginePid);
        QElapsedTimer patience;
        patience.start();
        bool engineWaits = false;
        while (!engineWaits && patience.elapsed() < 10000) {
            engineWaits = waiting.exec() && waiting.next() && waiting.value(0).toBool();
            if (!engineWaits)
                QThread::msleep(5);
        }
        if (!engineWaits) {
            otherError = QStringLiteral("the engine never waited for the file");
            run(db, QStringLiteral("ROLLBACK"));
            return;
        }
        QSqlQuery lock(db);
        gotWorkspace = lock.exec(QStringLiteral("SELECT id FROM workspaces WHERE id = 1 FOR UPDATE"));
        if (!gotWorkspace)
            otherError = lock.lastError().text();
        run(db, QStringLiteral("ROLLBACK"));
    }));
    other->start();
    QTRY_VERIFY_WITH_TIMEOUT(fileHeld.load(), 10000);
    QVERIFY2(otherError.isEmpty(), qPrintable(otherError));

    const ActionRequest request = fileDelete(PlanFile);
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY(other->wait(20000));
    QVERIFY2(otherError.isEmpty(), qPrintable(otherError));
    // The other session was not the victim: it got the workspace once the engine's attempt was aborted.
    QVERIFY(gotWorkspace.load());

    QVERIFY_APPLIED(result);
    QVERIFY2(result.attempts >= 2, qPrintable(QStringLiteral("attempts: %1").arg(result.attempts)));
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM files WHERE id = 100")).toInt(), 0);
    QCOMPARE(fixture.storageUsed(Roomy), RoomyBytes - 1000);
    // One audit row for the one change, however many attempts it took.
    QCOMPARE(fixture.auditCount(), audits + 1);
    const QString problems = test::auditMismatch(fixture.lastAudit(), request, result, QStringLiteral("file"),
                                                 QString::number(PlanFile), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestActionEngine::staleExpectedVersion_conflictAndNothingWritten_data()
{
    QTest::addColumn<ActionRequest>("request");
    QTest::newRow("plan-change") << planChange(Roomy, QStringLiteral("starter"));
    QTest::newRow("read-only") << readOnly(Roomy, true);
    QTest::newRow("member-add") << memberAdd(Roomy, Fay);
    // member-role does not ask for the workspace row, only for its lock and version check.
    QTest::newRow("member-role") << memberRole(Roomy, Cy, QStringLiteral("admin"));
    QTest::newRow("project-delete") << projectDelete(LaunchProject);
    QTest::newRow("quota-repair") << quotaRepair(Roomy);
}

void TestActionEngine::staleExpectedVersion_conflictAndNothingWritten()
{
    QFETCH(ActionRequest, request);
    auto &fixture = *m_fixture;
    // Someone changed Roomy twice since the person looked at version 1.
    QVERIFY_APPLIED(actions::runAction(fixture.db(), readOnly(Roomy, true)));
    QVERIFY_APPLIED(actions::runAction(fixture.db(), readOnly(Roomy, false)));
    QCOMPARE(fixture.version(Roomy), 3);
    request.expectVersion = 1;
    const QString problems =
        test::runExpectingFailure(fixture, request, ErrorKind::Conflict,
                                  QStringLiteral("changed since you looked at it (version 1, "
                                                 "now 3): plan team"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestActionEngine::currentExpectedVersion_applied()
{
    auto &fixture = *m_fixture;
    ActionRequest request = planChange(Roomy, QStringLiteral("starter"));
    request.expectVersion = 2;
    // One version ahead of the row is as stale as one behind.
    QCOMPARE(actions::runAction(fixture.db(), request).error.kind, ErrorKind::Conflict);
    request.expectVersion = 1;
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(result.exitCode(), 0);
    QCOMPARE(fixture.version(Roomy), 2);
    QCOMPARE(fixture.value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("starter"));
}

void TestActionEngine::dryRun_previewReportedAndNothingChanged_data()
{
    QTest::addColumn<ActionRequest>("request");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QJsonValue>("expected");
    QTest::newRow("plan-change: members")
        << planChange(Roomy, QStringLiteral("starter")) << QStringLiteral("members_after") << QJsonValue(5);
    QTest::newRow("plan-change: new limits")
        << planChange(Roomy, QStringLiteral("starter")) << QStringLiteral("new_limits")
        << QJsonValue(QJsonObject{{QStringLiteral("max_members"), 5},
                                  {QStringLiteral("storage_quota_bytes"), double(10 * GiB)},
                                  {QStringLiteral("ai_monthly_tokens"), 1000000}});
    QTest::newRow("member-add: members before")
        << memberAdd(Roomy, Fay) << QStringLiteral("members_before") << QJsonValue(5);
    QTest::newRow("member-add: members after")
        << memberAdd(Roomy, Fay) << QStringLiteral("members_after") << QJsonValue(6);
    QTest::newRow("member-remove: members after")
        << memberRemove(Roomy, Cy) << QStringLiteral("members_after") << QJsonValue(4);
    QTest::newRow("member-role: rows affected")
        << memberRole(Roomy, Cy, QStringLiteral("admin")) << QStringLiteral("rows_affected") << QJsonValue(1);
    QTest::newRow("project-delete: rows affected")
        << projectDelete(LaunchProject) << QStringLiteral("rows_affected") << QJsonValue(3);
    QTest::newRow("project-delete: bytes freed")
        << projectDelete(LaunchProject) << QStringLiteral("bytes_freed") << QJsonValue(3000);
    QTest::newRow("file-delete: bytes freed")
        << fileDelete(DeckFile) << QStringLiteral("bytes_freed") << QJsonValue(2000);
    QTest::newRow("quota-repair: delta")
        << quotaRepair(Drifted) << QStringLiteral("delta_bytes") << QJsonValue(-8499);
    QTest::newRow("read-only: rows affected")
        << readOnly(Roomy, true) << QStringLiteral("rows_affected") << QJsonValue(1);
    QTest::newRow("user-merge: memberships moved")
        << userMerge(Ada, AdaDuplicate) << QStringLiteral("memberships_moved") << QJsonValue(1);
    QTest::newRow("exports-purge: rows affected")
        << exportsPurge(30, 1000) << QStringLiteral("rows_affected") << QJsonValue(LongExpiredExports);
    QTest::newRow("exports-purge: bytes freed")
        << exportsPurge(30, 1000) << QStringLiteral("bytes_freed") << QJsonValue(1500);
}

void TestActionEngine::dryRun_previewReportedAndNothingChanged()
{
    QFETCH(ActionRequest, request);
    QFETCH(QString, field);
    QFETCH(QJsonValue, expected);
    auto &fixture = *m_fixture;
    request.dryRun = true;
    const QString before = fixture.snapshot();
    const qint64 audits = fixture.auditCount();
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QVERIFY(result.dryRun);
    QVERIFY(!result.alreadyApplied);
    QVERIFY2(result.message.startsWith(QLatin1String("Preview only, nothing was changed.")),
             qPrintable(result.message));
    QCOMPARE(result.preview.value(field), expected);
    // The would-be change is described...
    QVERIFY(result.before != result.after);
    // ...and none of it, nor an audit row, is there.
    QCOMPARE(fixture.auditCount(), audits);
    QCOMPARE(fixture.snapshot(), before);
}

void TestActionEngine::dryRun_refusedAction_refusedLikeTheRealOne()
{
    ActionRequest request = planChange(Roomy, QStringLiteral("free"));
    request.dryRun = true;
    const QString problems =
        test::runExpectingFailure(*m_fixture, request, ErrorKind::Refused, QStringLiteral("has 5 members"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

// The engine prepares each statement once per connection and reuses it (StatementCache): a QPSQL query
// prepared per run costs PREPARE, EXECUTE and DEALLOCATE. Failures of every kind -- a refusal, a failure
// after a write, a lock timeout that aborts the transaction -- must not leave statements piling up on the
// server, and the connection must go on working after them.
void TestActionEngine::repeatedActions_preparedOnceAndNothingPilesUp()
{
    auto &fixture = *m_fixture;
    const auto holder = fixture.otherSession(QStringLiteral("holder"));
    QVERIFY(holder);
    const QString statements =
        QStringLiteral("SELECT coalesce(string_agg(name || '=' || statement, E'\\n' ORDER BY name), '') "
                       "FROM pg_prepared_statements WHERE statement NOT LIKE '%pg_prepared_statements%'");
    const QString auditInsertRuns =
        QStringLiteral("SELECT coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements "
                       "WHERE statement LIKE '%INSERT INTO public.audit_log%'");
    const auto roundOfActions = [&] {
        QString problems;
        const auto expect = [&](bool ok, const QString &what) {
            if (!ok)
                problems += what + QLatin1Char('\n');
        };
        // Applied, and back: member-role twice.
        expect(actions::runAction(fixture.db(), memberRole(Roomy, Cy, QStringLiteral("admin"))).ok(),
               QStringLiteral("member-role to admin"));
        expect(actions::runAction(fixture.db(), memberRole(Roomy, Cy, QStringLiteral("member"))).ok(),
               QStringLiteral("member-role back"));
        // Refused on the data: the last owner.
        expect(actions::runAction(fixture.db(), memberRemove(Crowded, Ada)).error.kind == ErrorKind::Refused,
               QStringLiteral("last owner refused"));
        // A failure after the first write.
        ActionHooks failing;
        failing.afterWrite = [](int) {
            return DbError::make(ErrorKind::Internal, QStringLiteral("injected"));
        };
        expect(actions::runAction(fixture.db(), memberRole(Roomy, Cy, QStringLiteral("admin")), failing)
                       .error.kind == ErrorKind::Internal,
               QStringLiteral("injected failure"));
        // A lock timeout: the server aborts the transaction, where nothing can be deallocated.
        ActionRequest blocked = memberRole(Roomy, Dee, QStringLiteral("member"));
        blocked.lockTimeoutMs = 50;
        expect(
            run(holder->database(), QStringLiteral("BEGIN")) &&
                run(holder->database(), QStringLiteral("SELECT id FROM workspaces WHERE id = 1 FOR UPDATE")),
            QStringLiteral("holding the workspace"));
        expect(actions::runAction(fixture.db(), blocked).error.kind == ErrorKind::Busy,
               QStringLiteral("busy while held"));
        expect(run(holder->database(), QStringLiteral("ROLLBACK")), QStringLiteral("letting go"));
        return problems;
    };

    QString problems = roundOfActions();
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    const QString prepared = fixture.value(statements).toString();
    // The audit insert is among them, kept after its action ended, not freed and prepared again.
    QVERIFY2(prepared.contains(QLatin1String("INSERT INTO public.audit_log")), qPrintable(prepared));
    const qint64 insertsBefore = fixture.value(auditInsertRuns).toLongLong();
    QVERIFY2(insertsBefore >= 2, qPrintable(QString::number(insertsBefore)));

    const int rounds = 5;
    for (int round = 0; round < rounds; ++round) {
        problems = roundOfActions();
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
    }
    // The same statements under the same names: nothing prepared again, nothing left over.
    QCOMPARE(fixture.value(statements).toString(), prepared);
    // Each member-role that reached its write -- the two applied, and the one failed after it -- ran the
    // write with its audit row through that one prepared statement.
    QCOMPARE(fixture.value(auditInsertRuns).toLongLong(), insertsBefore + 3 * rounds);
    QCOMPARE(fixture.role(Roomy, Cy), QStringLiteral("member"));
}

// An action may leave its last write to the engine (ActionContext::lastWrite), which runs it in one
// statement with the audit row and COMMIT in the same round trip. A write that touches no row, or several,
// or whose values are not as many as its placeholders, must fail with nothing written -- the COMMIT included.
// One $n too many in the write would otherwise take the first of the audit row's values.
void TestActionEngine::lastWrite_guards_failureAndNothingWritten_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QVariantList>("values");
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<QString>("words");
    const QString update = QStringLiteral("UPDATE public.memberships SET role = 'admin' WHERE workspace_id = "
                                          "CAST($1 AS bigint) AND %1 RETURNING to_jsonb(memberships.*)");
    QTest::newRow("no row") << update.arg(QStringLiteral("user_id = -1")) << QVariantList{Roomy}
                            << ErrorKind::Internal << QStringLiteral("was not there");
    QTest::newRow("two rows") << update.arg(QStringLiteral("role IN ('member', 'viewer')"))
                              << QVariantList{Roomy} << ErrorKind::Internal
                              << QStringLiteral("more than one row");
    QTest::newRow("a placeholder more than its values")
        << update.arg(QStringLiteral("user_id = CAST($2 AS bigint)")) << QVariantList{Roomy}
        << ErrorKind::Internal << QStringLiteral("the write takes 2 values, but 1 were given");
    QTest::newRow("a value more than its placeholders")
        << update.arg(QStringLiteral("user_id = %1").arg(Cy)) << QVariantList{Roomy, Cy}
        << ErrorKind::Internal << QStringLiteral("the write takes 1 values, but 2 were given");
}

void TestActionEngine::lastWrite_guards_failureAndNothingWritten()
{
    QFETCH(QString, sql);
    QFETCH(QVariantList, values);
    QFETCH(ErrorKind, kind);
    QFETCH(QString, words);
    auto &fixture = *m_fixture;
    QVERIFY2(fixture.value(QStringLiteral("SELECT count(*) FROM memberships WHERE workspace_id = 1 AND role "
                                          "IN ('member', 'viewer')"))
                     .toInt() >= 2,
             "the two-row case needs two members or viewers in Roomy");
    const QString before = fixture.snapshot();
    const qint64 audits = fixture.auditCount();
    const ActionRequest request = memberRole(Roomy, Cy, QStringLiteral("admin"));
    const auto body = [&](actions::ActionContext &context) -> DbError {
        QJsonObject workspace;
        if (DbError error = context.lockWorkspace(Roomy, &workspace))
            return error;
        context.targetType = QStringLiteral("membership");
        context.targetId = QStringLiteral("test");
        context.workspaceId = Roomy;
        context.lastWrite = {sql, values, QStringLiteral("Testing the last write")};
        return {};
    };
    const ActionResult result =
        actions::detail::runTransaction(fixture.db(), request, {}, {body, true, std::nullopt, nullptr});
    QVERIFY2(result.error.kind == kind, qPrintable(test::describe(result)));
    QVERIFY2(result.error.fullText().contains(words), qPrintable(result.error.fullText()));
    QCOMPARE(fixture.auditCount(), audits);
    QCOMPARE(fixture.snapshot(), before);
    // The connection is out of any transaction and pipeline: the real action runs on it next.
    QVERIFY_APPLIED(actions::runAction(fixture.db(), request));
    QCOMPARE(fixture.role(Roomy, Cy), QStringLiteral("admin"));
}

// The write's values keep $1 to $n and the audit row's come after them: every value lands in its own
// column, whatever the write's count, with values of other types in the places the audit row's are.
void TestActionEngine::lastWrite_auditValuesNumberedAfterTheWrites_eachValueInItsPlace_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QVariantList>("values");
    // Each writes role 'viewer' for Cy in Roomy; the number of values differs.
    QTest::newRow("three values") << QStringLiteral(
                                         "UPDATE public.memberships SET role = $1 WHERE workspace_id = "
                                         "CAST($2 AS bigint) AND user_id = CAST($3 AS bigint) "
                                         "RETURNING to_jsonb(memberships.*)")
                                  << QVariantList{QStringLiteral("viewer"), Roomy, Cy};
    QTest::newRow("one value, used twice")
        << QStringLiteral(
               "UPDATE public.memberships SET role = 'viewer' WHERE workspace_id = CAST($1 AS bigint) "
               "AND user_id = CAST($1 AS bigint) + %1 RETURNING to_jsonb(memberships.*)")
               .arg(Cy - Roomy)
        << QVariantList{Roomy};
    QTest::newRow("none") << QStringLiteral(
                                 "UPDATE public.memberships SET role = 'viewer' WHERE workspace_id = "
                                 "%1 AND user_id = %2 RETURNING to_jsonb(memberships.*)")
                                 .arg(Roomy)
                                 .arg(Cy)
                          << QVariantList{};
}

void TestActionEngine::lastWrite_auditValuesNumberedAfterTheWrites_eachValueInItsPlace()
{
    QFETCH(QString, sql);
    QFETCH(QVariantList, values);
    auto &fixture = *m_fixture;
    ActionRequest request = memberRole(Roomy, Cy, QStringLiteral("viewer"));
    request.actor = QStringLiteral("O'Brien $1 :actor");
    request.reason = QStringLiteral("ticket $2 -- not a comment");
    const auto body = [&](actions::ActionContext &context) -> DbError {
        if (DbError error = context.lockWorkspace(Roomy, nullptr))
            return error;
        context.targetType = QStringLiteral("membership");
        context.targetId = QStringLiteral("%1/%2").arg(Roomy).arg(Cy);
        context.workspaceId = Roomy;
        context.before = QJsonObject{{QStringLiteral("marker"), QStringLiteral("before $3")}};
        context.lastWrite = {sql, values, QStringLiteral("Testing the last write")};
        return {};
    };
    const ActionResult result =
        actions::detail::runTransaction(fixture.db(), request, {}, {body, true, std::nullopt, nullptr});
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.role(Roomy, Cy), QStringLiteral("viewer"));
    QCOMPARE(result.after.toObject().value(QStringLiteral("role")).toString(), QStringLiteral("viewer"));
    const QJsonObject audit = fixture.object(
        QStringLiteral("SELECT jsonb_build_object('actor', actor, 'action', action, 'action_id', action_id, "
                       "'target_type', target_type, 'target_id', target_id, 'workspace_id', workspace_id, "
                       "'reason', reason, 'before', before, 'after', after, 'program', client->>'program') "
                       "FROM audit_log WHERE action_id = CAST(:id AS uuid)"),
        {{QStringLiteral("id"), request.actionId.toString(QUuid::WithoutBraces)}});
    QCOMPARE(audit.value(QStringLiteral("actor")).toString(), request.actor);
    QCOMPARE(audit.value(QStringLiteral("action")).toString(), QStringLiteral("member-role"));
    QCOMPARE(audit.value(QStringLiteral("action_id")).toString(),
             request.actionId.toString(QUuid::WithoutBraces));
    QCOMPARE(audit.value(QStringLiteral("target_type")).toString(), QStringLiteral("membership"));
    QCOMPARE(audit.value(QStringLiteral("target_id")).toString(), QStringLiteral("%1/%2").arg(Roomy).arg(Cy));
    QCOMPARE(audit.value(QStringLiteral("workspace_id")).toInteger(), Roomy);
    QCOMPARE(audit.value(QStringLiteral("reason")).toString(), request.reason);
    QCOMPARE(audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("marker")).toString(),
             QStringLiteral("before $3"));
    QCOMPARE(audit.value(QStringLiteral("after")).toObject().value(QStringLiteral("role")).toString(),
             QStringLiteral("viewer"));
    QCOMPARE(audit.value(QStringLiteral("program")).toString(), request.client);
}

QTEST_GUILESS_MAIN(TestActionEngine)
#include "tst_actions.moc"
