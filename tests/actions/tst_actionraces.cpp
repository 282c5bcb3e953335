// The races of the issue, run for real: every contender has its own connection on its own thread, or is its
// own beaconctl process, and they are released together. Each test asserts the invariant the race used to
// break: one winner for the last seat, no storage drift, no lost update, nothing written by a killed process,
// no permanent deadlock. Rounds are repeated so that the interleavings vary.
#include "raceharness.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QSemaphore>

#include <atomic>

using namespace beacon;
using namespace beacon::test;
using actions::ActionKind;
using actions::ActionRequest;
using actions::ActionResult;

class TestActionRaces : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void memberAdd_lastSeatTwoAtOnce_oneAppliedOneRefused_data();
    void memberAdd_lastSeatTwoAtOnce_oneAppliedOneRefused();
    void quotaRepair_racingUploads_noDrift_data();
    void quotaRepair_racingUploads_noDrift();
    void projectDelete_racingUpload_filesAndBytesAgree_data();
    void projectDelete_racingUpload_filesAndBytesAgree();
    void planChange_racingWebhook_noLostUpdate_data();
    void planChange_racingWebhook_noLostUpdate();
    void killedProcess_waitingOnLock_nothingWrittenAndRetryAppliesOnce();
    void lostConnection_waitingOnLock_unavailableAndRetryAppliesOnce();
    void sameActionId_twoAtOnce_appliedOnceAndAlreadyApplied();
    void userMerge_racingMemberChanges_noDeadlockAndNoDuplicateLeft();
};

void TestActionRaces::initTestCase()
{
    QVERIFY2(QFileInfo(qEnvironmentVariable("BEACONCTL")).isExecutable(),
             "BEACONCTL must name the built beaconctl (ctest sets it)");
}

// --- 1. The last seat ----------------------------------------------------------------------------------

void TestActionRaces::memberAdd_lastSeatTwoAtOnce_oneAppliedOneRefused_data()
{
    QTest::addColumn<QString>("second"); // who competes with the first member-add for the seat
    QTest::addColumn<bool>("processes");
    QTest::newRow("threads: two member-adds") << QStringLiteral("action") << false;
    QTest::newRow("threads: member-add and a backend invite") << QStringLiteral("backend") << false;
    QTest::newRow("processes: two beaconctl member-adds") << QStringLiteral("action") << true;
}

void TestActionRaces::memberAdd_lastSeatTwoAtOnce_oneAppliedOneRefused()
{
    QFETCH(QString, second);
    QFETCH(bool, processes);
    TestDatabase database(QStringLiteral("race_seat"));
    QVERIFY_TESTDB(database);
    // Workspaces 1..Rounds on the free plan (3 seats) hold the owner (1) and a member (2): one seat left, for
    // which users 3 and 4 compete.
    QVERIFY_NO_ERROR(seedUsers(database.db(), 4));
    QVERIFY_NO_ERROR(seedWorkspaces(database.db(), Rounds, QStringLiteral("free")));
    QVERIFY_NO_ERROR(exec(database.db(),
                          QStringLiteral("INSERT INTO memberships (workspace_id, user_id, role) "
                                         "SELECT w, 1, 'owner' FROM generate_series(1, :n) AS w UNION ALL "
                                         "SELECT w, 2, 'member' FROM generate_series(1, :n) AS w"),
                          {{QStringLiteral("n"), Rounds}}));
    // beaconctl runs as a support login, as on the job: the locks it takes must be within its grants.
    const QString support = database.createLogin(QStringLiteral("beacon_support"));
    QVERIFY2(!support.isEmpty(), qPrintable(database.errorText()));
    int firstWon = 0;
    for (int round = 1; round <= Rounds; ++round) {
        const QString where = QStringLiteral("round %1: ").arg(round);
        ActionRequest adds[2] = {request(ActionKind::MemberAdd), request(ActionKind::MemberAdd)};
        for (int i = 0; i < 2; ++i) {
            adds[i].workspaceId = round;
            adds[i].userId = 3 + i;
            adds[i].role = QStringLiteral("member");
        }
        Outcome outcomes[2];
        if (processes) {
            const auto runs = runCtlTogether(
                {ctlArguments(database, adds[0], {}, support), ctlArguments(database, adds[1], {}, support)});
            outcomes[0] = Outcome::of(runs[0]);
            outcomes[1] = Outcome::of(runs[1]);
        } else {
            QString backendError;
            const QString error = runTogether(
                database.spec(),
                {[&](const QSqlDatabase &db) { outcomes[0] = Outcome::of(actions::runAction(db, adds[0])); },
                 [&](const QSqlDatabase &db) {
                     if (second == QLatin1String("action")) {
                         outcomes[1] = Outcome::of(actions::runAction(db, adds[1]));
                         return;
                     }
                     // The backend invites through the team-size trigger alone, in its own transaction.
                     QSqlQuery query(db);
                     query.prepare(QStringLiteral("INSERT INTO memberships (workspace_id, user_id, role) "
                                                  "VALUES (:w, 4, 'member')"));
                     query.bindValue(QStringLiteral(":w"), round);
                     const bool inserted = query.exec();
                     outcomes[1] = Outcome::ofSql(inserted, query.lastError());
                 }});
            QVERIFY2(error.isEmpty(), qPrintable(where + error));
        }
        const bool backend = second == QLatin1String("backend");
        QVERIFY2(outcomes[0].applied != outcomes[1].applied,
                 qPrintable(where + outcomes[0].text + QStringLiteral(" | ") + outcomes[1].text));
        const Outcome &loser = outcomes[0].applied ? outcomes[1] : outcomes[0];
        QVERIFY2(loser.refused,
                 qPrintable(where + QStringLiteral("the loser was not refused: ") + loser.text));
        if (processes)
            QCOMPARE(loser.exitCode, 3);
        QCOMPARE(value(database.db(),
                       QStringLiteral("SELECT count(*) FROM memberships WHERE workspace_id = :w"),
                       {{QStringLiteral("w"), round}})
                     .toLongLong(),
                 qint64(3));
        const qint64 winner = outcomes[0].applied ? 3 : 4;
        QCOMPARE(
            value(database.db(),
                  QStringLiteral("SELECT count(*) FROM memberships WHERE workspace_id = :w AND user_id = :u"),
                  {{QStringLiteral("w"), round}, {QStringLiteral("u"), winner}})
                .toLongLong(),
            qint64(1));
        // One audit row when an action won, none when the backend did (its own writes are not audited).
        const QJsonArray audits = auditRows(database.db(), round);
        const bool actionWon = outcomes[0].applied || !backend;
        QVERIFY2(audits.size() == (actionWon ? 1 : 0), qPrintable(where + jsonText(audits)));
        if (actionWon) {
            const QJsonObject audit = audits.first().toObject();
            QCOMPARE(audit.value(QStringLiteral("action_id")).toString(),
                     adds[outcomes[0].applied ? 0 : 1].actionId.toString(QUuid::WithoutBraces));
            QCOMPARE(qint64(audit.value(QStringLiteral("after"))
                                .toObject()
                                .value(QStringLiteral("user_id"))
                                .toDouble()),
                     winner);
        }
        firstWon += outcomes[0].applied ? 1 : 0;
    }
    qInfo("%d rounds: the first contender won %d, the second %d", Rounds, firstWon, Rounds - firstWon);
}

// --- 2. quota-repair racing uploads --------------------------------------------------------------------

void TestActionRaces::quotaRepair_racingUploads_noDrift_data()
{
    QTest::addColumn<bool>("processes");
    QTest::newRow("threads") << false;
    QTest::newRow("processes") << true;
}

void TestActionRaces::quotaRepair_racingUploads_noDrift()
{
    QFETCH(bool, processes);
    TestDatabase database(QStringLiteral("race_quota"));
    QVERIFY_TESTDB(database);
    // Files of 6,000 bytes, a counter that says 50,000: the first repair must take 44,000 off, and every
    // later one find nothing to do, because every upload adds its bytes under the workspace lock.
    QVERIFY_NO_ERROR(seedWorkspaces(database.db(), 1, QStringLiteral("team")));
    QVERIFY_NO_ERROR(seedProjects(database.db(), 1, 1, {1000, 2000, 3000}));
    QVERIFY_NO_ERROR(exec(database.db(), QStringLiteral("UPDATE workspaces SET storage_used_bytes = 50000")));
    const qint64 seededDelta = 6000 - 50000;

    std::atomic<bool> repairsDone = false;
    std::atomic<int> uploads = 0;
    QString uploadError;
    // Uploads keep coming until the last repair is over, so that every repair meets some.
    const auto uploader = [&](const QSqlDatabase &db) {
        for (int i = 0; !repairsDone || i < 20; ++i) {
            const Upload made = upload(db, 1, 1, 100 + i);
            if (!made.ok()) {
                uploadError = made.error;
                return;
            }
            ++uploads;
        }
    };
    QList<Outcome> repairs;
    if (processes) {
        const QString support = database.createLogin(QStringLiteral("beacon_support"));
        QVERIFY2(!support.isEmpty(), qPrintable(database.errorText()));
        auto thread = startWithConnection(database.spec(), uploader);
        ActionRequest repair = request(ActionKind::QuotaRepair);
        repair.workspaceId = 1;
        for (int run = 0; run < 8; ++run) {
            repair.actionId = QUuid::createUuid();
            repairs.append(
                Outcome::of(runCtlTogether({ctlArguments(database, repair, {}, support)}).front()));
        }
        repairsDone = true;
        QVERIFY2(thread->wait(QDeadlineTimer(60000)), "the uploads did not finish");
    } else {
        const QString error =
            runTogether(database.spec(), {uploader, [&](const QSqlDatabase &db) {
                                              ActionRequest repair = request(ActionKind::QuotaRepair);
                                              repair.workspaceId = 1;
                                              for (int run = 0; run < 40; ++run) {
                                                  repair.actionId = QUuid::createUuid();
                                                  repairs.append(Outcome::of(actions::runAction(db, repair)));
                                              }
                                              repairsDone = true;
                                          }});
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }
    QVERIFY2(uploadError.isEmpty(), qPrintable(uploadError));
    for (const Outcome &repair : std::as_const(repairs))
        QVERIFY2(repair.applied, qPrintable(repair.text));

    const QJsonArray audits = auditRows(database.db(), 1);
    QCOMPARE(audits.size(), repairs.size());
    for (int i = 0; i < audits.size(); ++i) {
        const QJsonObject after = audits.at(i).toObject().value(QStringLiteral("after")).toObject();
        const qint64 delta = qint64(after.value(QStringLiteral("delta_bytes")).toDouble());
        QVERIFY2(delta == (i == 0 ? seededDelta : 0),
                 qPrintable(QStringLiteral("repair %1 of %2 found a delta of %3 bytes (uploads so far race "
                                           "it): %4")
                                .arg(i + 1)
                                .arg(audits.size())
                                .arg(delta)
                                .arg(jsonText(audits.at(i)))));
    }
    const qint64 used = storageUsed(database.db(), 1);
    const qint64 files = filesBytes(database.db(), 1);
    QVERIFY2(used == files,
             qPrintable(QStringLiteral("drift: the counter says %1, the files hold %2 after %3 "
                                       "uploads and %4 repairs")
                            .arg(used)
                            .arg(files)
                            .arg(uploads.load())
                            .arg(repairs.size())));
    QCOMPARE(value(database.db(), QStringLiteral("SELECT count(*) FROM files")).toInt(), 3 + uploads.load());
    qInfo("%d uploads raced %d repairs", uploads.load(), int(repairs.size()));
}

// --- 3. project-delete racing an upload into the project ----------------------------------------------

void TestActionRaces::projectDelete_racingUpload_filesAndBytesAgree_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<int>("rounds");
    QTest::newRow("threads, released together") << QStringLiteral("together") << Rounds;
    // The two orders forced at the point that matters, so that both are proved on every run.
    QTest::newRow("threads, the upload waits on the delete") << QStringLiteral("delete-first") << 1;
    QTest::newRow("threads, the delete waits on the upload") << QStringLiteral("upload-first") << 1;
    QTest::newRow("processes") << QStringLiteral("processes") << Rounds;
}

void TestActionRaces::projectDelete_racingUpload_filesAndBytesAgree()
{
    QFETCH(QString, mode);
    QFETCH(int, rounds);
    TestDatabase database(QStringLiteral("race_project"));
    QVERIFY_TESTDB(database);
    // Projects 1..rounds hold 1,000 and 2,000 bytes each; project 1000 (500 bytes) is never touched.
    QVERIFY_NO_ERROR(seedWorkspaces(database.db(), 1, QStringLiteral("team")));
    QVERIFY_NO_ERROR(seedProjects(database.db(), 1, rounds, {1000, 2000}));
    QVERIFY_NO_ERROR(
        exec(database.db(), QStringLiteral("INSERT INTO projects (id, workspace_id, name) VALUES "
                                           "(1000, 1, 'Keep')")));
    QVERIFY_NO_ERROR(
        exec(database.db(), QStringLiteral("INSERT INTO files (project_id, workspace_id, name, size_bytes, "
                                           "storage_key) VALUES (1000, 1, 'keep.txt', 500, 'keep')")));
    QVERIFY_NO_ERROR(exec(database.db(), QStringLiteral("UPDATE workspaces SET storage_used_bytes = "
                                                        "(SELECT sum(size_bytes) FROM files)")));
    const QString support = database.createLogin(QStringLiteral("beacon_support"));
    QVERIFY2(!support.isEmpty(), qPrintable(database.errorText()));
    int uploadFirst = 0;
    for (int round = 1; round <= rounds; ++round) {
        const QString where = QStringLiteral("round %1: ").arg(round);
        ActionRequest remove = request(ActionKind::ProjectDelete);
        remove.projectId = round;
        const qint64 bytes = 10000 + round;
        Outcome deleted;
        Upload uploaded;
        if (mode == QLatin1String("together")) {
            const QString error = runTogether(
                database.spec(),
                {[&](const QSqlDatabase &db) { deleted = Outcome::of(actions::runAction(db, remove)); },
                 [&](const QSqlDatabase &db) {
                     // The action has a few statements to make before its lock: a little jitter lets either
                     // side win.
                     QThread::usleep(QRandomGenerator::global()->bounded(5000));
                     uploaded = upload(db, 1, round, bytes);
                 }});
            QVERIFY2(error.isEmpty(), qPrintable(error));
        } else if (mode == QLatin1String("delete-first")) {
            // The delete has removed the files and holds the workspace; the upload comes and must wait.
            DbError error;
            auto connection = Connection::open(database.spec(), QStringLiteral("deleter"), &error);
            QVERIFY2(connection, qPrintable(error.fullText()));
            std::unique_ptr<QThread> thread;
            bool waited = false;
            actions::ActionHooks hooks;
            hooks.afterWrite = [&](int write) {
                if (write == 1) {
                    thread = startWithConnection(database.spec(), [&](const QSqlDatabase &db) {
                        uploaded = upload(db, 1, round, bytes);
                    });
                    waited = waitForLockWaiters(database.db(), 1);
                }
                return DbError();
            };
            deleted = Outcome::of(actions::runAction(connection->database(), remove, hooks));
            QVERIFY2(thread && thread->wait(QDeadlineTimer(30000)), "the upload did not finish");
            QVERIFY2(waited, "the upload never waited on the delete's lock");
            QVERIFY2(!uploaded.ok(), "the upload into the deleted project went through");
        } else if (mode == QLatin1String("upload-first")) {
            // The upload holds the workspace with its file inserted; the delete comes and must wait.
            QSemaphore inserted;
            QSemaphore release;
            auto uploadThread = startWithConnection(database.spec(), [&](const QSqlDatabase &db) {
                uploaded = upload(db, 1, round, bytes, [&] {
                    inserted.release();
                    release.acquire();
                });
            });
            QVERIFY2(inserted.tryAcquire(1, 30000), "the upload did not start");
            auto deleteThread = startWithConnection(database.spec(), [&](const QSqlDatabase &db) {
                deleted = Outcome::of(actions::runAction(db, remove));
            });
            const bool waited = waitForLockWaiters(database.db(), 1);
            release.release();
            QVERIFY2(uploadThread->wait(QDeadlineTimer(30000)) && deleteThread->wait(QDeadlineTimer(30000)),
                     "the contenders did not finish");
            QVERIFY2(waited, "the delete never waited on the upload's lock");
            QVERIFY2(uploaded.ok(), qPrintable(uploaded.error));
        } else {
            // beaconctl needs a moment to start: the upload follows its connection with a little jitter.
            const QString name = QStringLiteral("race_ctl_%1").arg(round);
            auto thread = startWithConnection(database.spec(), [&](const QSqlDatabase &db) {
                if (waitForApplication(db, name))
                    QThread::usleep(QRandomGenerator::global()->bounded(4000));
                uploaded = upload(db, 1, round, bytes);
            });
            deleted = Outcome::of(runCtlTogether({ctlArguments(database, remove, name, support)}).front());
            QVERIFY2(thread->wait(QDeadlineTimer(30000)), "the upload did not finish");
        }
        QVERIFY2(deleted.applied, qPrintable(where + deleted.text));
        // Either order is right, and nothing else: the upload went first and its file went with the
        // project, or it found the project gone (a foreign key violation) and left nothing.
        const QJsonObject audit = auditRows(database.db(), 1).last().toObject();
        const QJsonArray files =
            audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("files")).toArray();
        if (uploaded.ok()) {
            ++uploadFirst;
            QVERIFY2(files.size() == 3 &&
                         qint64(files.last().toObject().value(QStringLiteral("id")).toDouble()) ==
                             uploaded.fileId,
                     qPrintable(where + QStringLiteral("the uploaded file is not among the deleted: ") +
                                jsonText(audit)));
        } else {
            QVERIFY2(uploaded.sqlState == QLatin1String("23503"), qPrintable(where + uploaded.error));
            QVERIFY2(files.size() == 2, qPrintable(where + jsonText(audit)));
        }
        QCOMPARE(value(database.db(), QStringLiteral("SELECT count(*) FROM projects WHERE id = :p"),
                       {{QStringLiteral("p"), round}})
                     .toInt(),
                 0);
        QCOMPARE(
            value(database.db(), QStringLiteral("SELECT count(*) FROM files AS f WHERE NOT EXISTS "
                                                "(SELECT 1 FROM projects AS p WHERE p.id = f.project_id)"))
                .toInt(),
            0);
        const qint64 used = storageUsed(database.db(), 1);
        const qint64 remaining = filesBytes(database.db(), 1);
        QVERIFY2(
            used == remaining,
            qPrintable(where +
                       QStringLiteral("the counter says %1, the files hold %2").arg(used).arg(remaining)));
        QCOMPARE(qint64(audit.value(QStringLiteral("after"))
                            .toObject()
                            .value(QStringLiteral("storage_used_bytes"))
                            .toDouble()),
                 used);
    }
    // Every raced project is gone with its files; the untouched one remains.
    QCOMPARE(filesBytes(database.db(), 1), qint64(500));
    qInfo("%d rounds: the upload went first in %d, the delete in %d", rounds, uploadFirst,
          rounds - uploadFirst);
}

// --- 4. plan-change racing a webhook -------------------------------------------------------------------

void TestActionRaces::planChange_racingWebhook_noLostUpdate_data()
{
    QTest::addColumn<bool>("processes");
    QTest::addColumn<bool>("lockFirst"); // the webhook handler locks the row before it updates it
    QTest::newRow("threads, webhook updates straight away") << false << false;
    QTest::newRow("threads, webhook locks first") << false << true;
    QTest::newRow("processes, webhook locks first") << true << true;
}

void TestActionRaces::planChange_racingWebhook_noLostUpdate()
{
    QFETCH(bool, processes);
    QFETCH(bool, lockFirst);
    TestDatabase database(QStringLiteral("race_plan"));
    QVERIFY_TESTDB(database);
    QVERIFY_NO_ERROR(seedWorkspaces(database.db(), Rounds, QStringLiteral("team")));
    QVERIFY_NO_ERROR(
        exec(database.db(), QStringLiteral("UPDATE workspaces SET subscription_status = 'active', "
                                           "current_period_end = '2026-01-01T00:00:00Z'")));
    const qint64 seeded = qint64(workspaceRow(database.db(), 1).value(QStringLiteral("version")).toDouble());
    const QString periodEnd = QStringLiteral("2026-02-01T00:00:00Z");
    const QString finance = database.createLogin(QStringLiteral("beacon_finance"));
    QVERIFY2(!finance.isEmpty(), qPrintable(database.errorText()));
    int webhookFirst = 0;
    for (int round = 1; round <= Rounds; ++round) {
        const QString where = QStringLiteral("round %1: ").arg(round);
        ActionRequest change = request(ActionKind::PlanChange);
        change.workspaceId = round;
        change.plan = QStringLiteral("business");
        Outcome changed;
        QString webhookError;
        const auto handler = [&](const QSqlDatabase &db) {
            webhookError = webhook(db, round, lockFirst, QStringLiteral("past_due"), periodEnd);
        };
        if (processes) {
            auto thread = startWithConnection(database.spec(), [&](const QSqlDatabase &db) {
                waitForApplication(db, QStringLiteral("race_plan_%1").arg(round));
                QThread::usleep(QRandomGenerator::global()->bounded(4000));
                handler(db);
            });
            changed =
                Outcome::of(runCtlTogether({ctlArguments(database, change,
                                                         QStringLiteral("race_plan_%1").arg(round), finance)})
                                .front());
            QVERIFY2(thread->wait(QDeadlineTimer(30000)), "the webhook did not finish");
        } else {
            const QString error = runTogether(
                database.spec(),
                {[&](const QSqlDatabase &db) { changed = Outcome::of(actions::runAction(db, change)); },
                 [&](const QSqlDatabase &db) {
                     // The webhook is the shorter transaction: jitter lets either win.
                     QThread::usleep(QRandomGenerator::global()->bounded(5000));
                     handler(db);
                 }});
            QVERIFY2(error.isEmpty(), qPrintable(error));
        }
        QVERIFY2(changed.applied, qPrintable(where + changed.text));
        QVERIFY2(webhookError.isEmpty(), qPrintable(where + webhookError));

        const QJsonObject row = workspaceRow(database.db(), round);
        QCOMPARE(row.value(QStringLiteral("plan")).toString(), QStringLiteral("business"));
        QCOMPARE(row.value(QStringLiteral("subscription_status")).toString(), QStringLiteral("past_due"));
        QVERIFY2(row.value(QStringLiteral("current_period_end"))
                     .toString()
                     .startsWith(QLatin1String("2026-02-01")),
                 qPrintable(jsonText(row)));
        // Two updates, two versions: neither overwrote the other.
        QCOMPARE(qint64(row.value(QStringLiteral("version")).toDouble()), seeded + 2);

        // The audit row tells the truth about the row it locked: the webhook's change is in both its before
        // and its after, or in neither, and its after is the row as it was right after the action.
        const QJsonArray audits = auditRows(database.db(), round);
        QCOMPARE(audits.size(), 1);
        const QJsonObject audit = audits.first().toObject();
        const QJsonObject before = audit.value(QStringLiteral("before")).toObject();
        const QJsonObject after = audit.value(QStringLiteral("after")).toObject();
        QVERIFY2(after == changed.after,
                 qPrintable(where + QStringLiteral("reported after differs from the audit")));
        const qint64 beforeVersion = qint64(before.value(QStringLiteral("version")).toDouble());
        const qint64 afterVersion = qint64(after.value(QStringLiteral("version")).toDouble());
        QCOMPARE(afterVersion, beforeVersion + 1);
        QCOMPARE(before.value(QStringLiteral("plan")).toString(), QStringLiteral("team"));
        QCOMPARE(after.value(QStringLiteral("plan")).toString(), QStringLiteral("business"));
        const QString status = after.value(QStringLiteral("subscription_status")).toString();
        QCOMPARE(before.value(QStringLiteral("subscription_status")).toString(), status);
        if (status == QLatin1String("past_due")) {
            ++webhookFirst;
            QVERIFY2(afterVersion == seeded + 2, qPrintable(where + jsonText(audit)));
        } else {
            QVERIFY2(status == QLatin1String("active") && afterVersion == seeded + 1,
                     qPrintable(where + jsonText(audit)));
        }
    }
    qInfo("%d rounds: the webhook went first in %d, the plan change in %d", Rounds, webhookFirst,
          Rounds - webhookFirst);
}

// --- 5. A process killed while it waits, and a connection lost while it waits ------------------------

void TestActionRaces::killedProcess_waitingOnLock_nothingWrittenAndRetryAppliesOnce()
{
    TestDatabase database(QStringLiteral("race_kill"));
    QVERIFY_TESTDB(database);
    QVERIFY_NO_ERROR(seedWorkspaces(database.db(), 1, QStringLiteral("team")));
    const QString rowBefore = workspaceText(database.db(), 1);
    RowLock holder(database.spec(), 1);
    QVERIFY2(holder.isHeld(), qPrintable(holder.error()));

    ActionRequest change = request(ActionKind::PlanChange);
    change.workspaceId = 1;
    change.plan = QStringLiteral("business");
    const QString name = QStringLiteral("race_killed");
    const QString finance = database.createLogin(QStringLiteral("beacon_finance"));
    QVERIFY2(!finance.isEmpty(), qPrintable(database.errorText()));
    QProcess process;
    process.start(qEnvironmentVariable("BEACONCTL"),
                  ctlArguments(database, change, name, finance) +
                      QStringList{QStringLiteral("--lock-timeout"), QStringLiteral("30000")});
    QVERIFY2(process.waitForStarted(10000), qPrintable(process.errorString()));
    const int waiter = waitForLockWaiterOf(database.db(), name, holder.backendPid());
    QVERIFY2(waiter > 0, "beaconctl never waited on the held workspace row");
    process.kill();
    QVERIFY(process.waitForFinished(10000));
    QCOMPARE(process.exitStatus(), QProcess::CrashExit);
    holder.release();
    // The server notices the lost client only when it next talks to it; once it has, nothing of it remains.
    QVERIFY2(waitForBackendGone(database.db(), waiter), "the killed client's server process lingers");
    QCOMPARE(auditCountFor(database.db(), change.actionId), 0);
    QCOMPARE(value(database.db(), QStringLiteral("SELECT count(*) FROM audit_log")).toInt(), 0);
    QCOMPARE(workspaceText(database.db(), 1), rowBefore);

    // The same command again, with the same action id: applied once, then recognised.
    Outcome again = Outcome::of(runCtlTogether({ctlArguments(database, change, {}, finance)}).front());
    QVERIFY2(again.applied && again.outcome == QLatin1String("applied"), qPrintable(again.text));
    again = Outcome::of(runCtlTogether({ctlArguments(database, change, {}, finance)}).front());
    QVERIFY2(again.applied && again.outcome == QLatin1String("already-applied"), qPrintable(again.text));
    QCOMPARE(auditCountFor(database.db(), change.actionId), 1);
    const QJsonObject row = workspaceRow(database.db(), 1);
    QCOMPARE(row.value(QStringLiteral("plan")).toString(), QStringLiteral("business"));
    QCOMPARE(qint64(row.value(QStringLiteral("version")).toDouble()),
             qint64(QJsonDocument::fromJson(rowBefore.toUtf8())
                        .object()
                        .value(QStringLiteral("version"))
                        .toDouble()) +
                 1);
}

void TestActionRaces::lostConnection_waitingOnLock_unavailableAndRetryAppliesOnce()
{
    TestDatabase database(QStringLiteral("race_lost"));
    QVERIFY_TESTDB(database);
    QVERIFY_NO_ERROR(seedWorkspaces(database.db(), 1, QStringLiteral("team")));
    QVERIFY_NO_ERROR(seedUsers(database.db(), 1));
    const QString rowBefore = workspaceText(database.db(), 1);
    RowLock holder(database.spec(), 1);
    QVERIFY2(holder.isHeld(), qPrintable(holder.error()));

    ActionRequest add = request(ActionKind::MemberAdd);
    add.workspaceId = 1;
    add.userId = 1;
    add.role = QStringLiteral("owner");
    add.lockTimeoutMs = 30000;
    ActionResult lost;
    std::atomic<int> pid = 0;
    auto thread = startWithConnection(database.spec(), [&](const QSqlDatabase &db) {
        pid = value(db, QStringLiteral("SELECT pg_backend_pid()")).toInt();
        lost = actions::runAction(db, add);
    });
    QVERIFY2(waitForLockWaiters(database.db(), 1), "the action never waited on the held workspace row");
    QVERIFY_NO_ERROR(exec(database.db(), QStringLiteral("SELECT pg_terminate_backend(:pid)"),
                          {{QStringLiteral("pid"), pid.load()}}));
    QVERIFY(thread->wait(QDeadlineTimer(30000)));
    holder.release();
    QCOMPARE(lost.error.kind, ErrorKind::Unavailable);
    QCOMPARE(lost.exitCode(), 7);
    QVERIFY2(lost.error.message.contains(add.actionId.toString(QUuid::WithoutBraces)),
             qPrintable(lost.error.message));
    QCOMPARE(auditCountFor(database.db(), add.actionId), 0);
    QCOMPARE(workspaceText(database.db(), 1), rowBefore);
    QCOMPARE(value(database.db(), QStringLiteral("SELECT count(*) FROM memberships")).toInt(), 0);

    add.lockTimeoutMs = 3000;
    ActionResult retry = actions::runAction(database.db(), add);
    QVERIFY2(retry.ok() && !retry.alreadyApplied, qPrintable(retry.error.fullText()));
    retry = actions::runAction(database.db(), add);
    QVERIFY2(retry.ok() && retry.alreadyApplied, qPrintable(retry.error.fullText()));
    QCOMPARE(auditCountFor(database.db(), add.actionId), 1);
    QCOMPARE(value(database.db(), QStringLiteral("SELECT count(*) FROM memberships")).toInt(), 1);
}

// --- The same action twice at once (a retry while the first run is still in flight) -----------------

void TestActionRaces::sameActionId_twoAtOnce_appliedOnceAndAlreadyApplied()
{
    TestDatabase database(QStringLiteral("race_sameid"));
    QVERIFY_TESTDB(database);
    QVERIFY_NO_ERROR(seedUsers(database.db(), 1));
    QVERIFY_NO_ERROR(seedWorkspaces(database.db(), Rounds, QStringLiteral("team")));
    for (int round = 1; round <= Rounds; ++round) {
        ActionRequest add = request(ActionKind::MemberAdd);
        add.workspaceId = round;
        add.userId = 1;
        add.role = QStringLiteral("owner");
        Outcome outcomes[2];
        const QString error = runTogether(
            database.spec(),
            {[&](const QSqlDatabase &db) { outcomes[0] = Outcome::of(actions::runAction(db, add)); },
             [&](const QSqlDatabase &db) {
                 outcomes[1] = Outcome::of(actions::runAction(db, add));
             }});
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString both =
            QStringLiteral("round %1: %2 | %3").arg(round).arg(outcomes[0].text, outcomes[1].text);
        QVERIFY2(outcomes[0].applied && outcomes[1].applied, qPrintable(both));
        QStringList names = {outcomes[0].outcome, outcomes[1].outcome};
        names.sort();
        QCOMPARE(names, (QStringList{QStringLiteral("already-applied"), QStringLiteral("applied")}));
        QCOMPARE(auditCountFor(database.db(), add.actionId), 1);
    }
}

// --- 6. user-merge against member changes on the same workspaces ---------------------------------------

void TestActionRaces::userMerge_racingMemberChanges_noDeadlockAndNoDuplicateLeft()
{
    TestDatabase database(QStringLiteral("race_merge"));
    QVERIFY_TESTDB(database);
    // Per round: user 1 is kept, user 2 (its duplicate) merged into it. Eight workspaces; user 3 owns them
    // all, the duplicate is in 1, 3, 5 and 7, the user kept in 3 and 4, users 4 to 9 come and go.
    QVERIFY_NO_ERROR(seedUsers(database.db(), 9));
    QVERIFY_NO_ERROR(seedWorkspaces(database.db(), 8, QStringLiteral("team")));
    int retries = 0;
    int duplicateAddsApplied = 0;
    for (int round = 1; round <= 10; ++round) {
        const QString where = QStringLiteral("round %1: ").arg(round);
        QVERIFY_NO_ERROR(exec(database.db(), QStringLiteral("DELETE FROM memberships")));
        QVERIFY_NO_ERROR(exec(database.db(), QStringLiteral("UPDATE users SET disabled_at = NULL")));
        QVERIFY_NO_ERROR(exec(database.db(),
                              QStringLiteral("INSERT INTO memberships (workspace_id, user_id, role) "
                                             "SELECT w, 3, 'owner' FROM generate_series(1, 8) AS w UNION ALL "
                                             "VALUES (1, 2, 'admin'), (3, 2, 'member'), (5, 2, 'viewer'), "
                                             "(7, 2, 'member'), (3, 1, 'viewer'), (4, 1, 'member')")));
        ActionRequest merge = request(ActionKind::UserMerge);
        merge.keepUserId = 1;
        merge.mergeUserId = 2;
        // Each list runs in order on its own thread, all threads released together.
        QList<QList<ActionRequest>> lists;
        const auto memberAction = [](ActionKind kind, qint64 workspace, qint64 user,
                                     const QString &role = QStringLiteral("member")) {
            ActionRequest action = request(kind);
            action.workspaceId = workspace;
            action.userId = user;
            action.role = role;
            return action;
        };
        lists.append({merge});
        // The duplicate joins other workspaces, and leaves some, while it is merged: from the top down,
        // against the merge's bottom-up order.
        lists.append({memberAction(ActionKind::MemberAdd, 8, 2), memberAction(ActionKind::MemberAdd, 6, 2),
                      memberAction(ActionKind::MemberRemove, 5, 2),
                      memberAction(ActionKind::MemberAdd, 2, 2)});
        lists.append(
            {memberAction(ActionKind::MemberRemove, 7, 2), memberAction(ActionKind::MemberAdd, 4, 2)});
        // The user kept, and others, change in the same workspaces.
        lists.append({memberAction(ActionKind::MemberAdd, 1, 1),
                      memberAction(ActionKind::MemberRole, 4, 1, QStringLiteral("admin")),
                      memberAction(ActionKind::MemberRemove, 3, 1)});
        QList<ActionRequest> churn;
        for (qint64 workspace = 8; workspace >= 1; --workspace)
            churn.append(memberAction(ActionKind::MemberAdd, workspace, 4 + workspace % 6));
        lists.append(churn);

        QList<QList<ActionResult>> results(lists.size());
        std::vector<std::function<void(const QSqlDatabase &)>> bodies;
        for (int i = 0; i < lists.size(); ++i) {
            bodies.push_back([&, i](const QSqlDatabase &db) {
                for (const ActionRequest &action : std::as_const(lists[i]))
                    results[i].append(actions::runAction(db, action));
            });
        }
        const QString error = runTogether(database.spec(), bodies);
        QVERIFY2(error.isEmpty(), qPrintable(error));

        for (int i = 0; i < lists.size(); ++i) {
            for (int j = 0; j < lists[i].size(); ++j) {
                const ActionResult &result = results[i][j];
                const QString what = where + actions::actionName(lists[i][j].kind) + QStringLiteral(": ") +
                                     result.outcome() + QStringLiteral(" ") + result.error.fullText();
                // Finished, and not by giving up: a permanent deadlock or a lock never granted would be busy.
                QVERIFY2(result.ok() || result.error.kind == ErrorKind::Refused, qPrintable(what));
                QCOMPARE(auditCountFor(database.db(), lists[i][j].actionId), result.ok() ? 1 : 0);
                retries += result.attempts - 1;
                if (i > 0 && lists[i][j].kind == ActionKind::MemberAdd && lists[i][j].userId == 2 &&
                    result.ok())
                    ++duplicateAddsApplied;
            }
        }
        QVERIFY2(results[0][0].ok(), qPrintable(where + results[0][0].error.fullText()));
        QVERIFY2(!value(database.db(), QStringLiteral("SELECT disabled_at FROM users WHERE id = 2")).isNull(),
                 qPrintable(where + QStringLiteral("the duplicate is not disabled")));
        const QString left =
            value(database.db(),
                  QStringLiteral("SELECT string_agg(workspace_id::text, ', ') FROM memberships "
                                 "WHERE user_id = 2"))
                .toString();
        QVERIFY2(left.isEmpty(), qPrintable(where +
                                            QStringLiteral("the disabled duplicate is still a member of "
                                                           "workspaces ") +
                                            left));
        // The user kept is in every workspace the duplicate was in when it was merged.
        const QJsonObject after =
            auditRow(database.db(), merge.actionId).value(QStringLiteral("after")).toObject();
        const QJsonArray kept = after.value(QStringLiteral("kept_memberships")).toArray();
        const QJsonArray merged = auditRow(database.db(), merge.actionId)
                                      .value(QStringLiteral("before"))
                                      .toObject()
                                      .value(QStringLiteral("merged_memberships"))
                                      .toArray();
        for (const QJsonValue &membership : merged) {
            const qint64 workspace =
                qint64(membership.toObject().value(QStringLiteral("workspace_id")).toDouble());
            bool found = false;
            for (const QJsonValue &keep : kept)
                found = found ||
                        qint64(keep.toObject().value(QStringLiteral("workspace_id")).toDouble()) == workspace;
            QVERIFY2(found, qPrintable(where +
                                       QStringLiteral("workspace %1 lost the merged member").arg(workspace)));
        }
    }
    qInfo("10 rounds: %d attempts retried (the merge starting over, or a deadlock), %d adds of the duplicate "
          "won before its merge",
          retries, duplicateAddsApplied);
}

QTEST_GUILESS_MAIN(TestActionRaces)
#include "tst_actionraces.moc"
