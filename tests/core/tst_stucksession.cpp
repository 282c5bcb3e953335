// A client stopped in the middle of an action (a laptop lid closed, a process suspended, a network cut) must
// not keep its row locks: its session ends at idle_in_transaction_session_timeout, which every session the
// console and beaconctl open sets. Proven with a real beaconctl process frozen with SIGSTOP while it holds a
// workspace's row lock, and a second action that must then get the row within that timeout.
#include "../actions/actionfixture.h"
#include "ctlrunner.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QProcess>
#include <QSqlQuery>
#include <QThread>

#include <csignal>
#include <sys/types.h>

using namespace beacon;
using namespace beacon::test;

class TestStuckSession : public QObject {
    Q_OBJECT
private slots:
    void stoppedClientMidAction_rowLockReleasedWithinIdleTimeout();
};

namespace {

constexpr int IdleTimeoutSeconds = 2;

// Polls `sql` (one integer) on `db` until it is positive or the deadline passes; returns the last value.
qint64 waitForPositive(const QSqlDatabase &db, const QString &sql, const QVariantMap &values, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    qint64 value = 0;
    do {
        QSqlQuery query(db);
        query.prepare(sql);
        for (auto it = values.cbegin(); it != values.cend(); ++it)
            query.bindValue(QLatin1Char(':') + it.key(), it.value());
        if (query.exec() && query.next())
            value = query.value(0).toLongLong();
        if (value > 0)
            return value;
        QThread::msleep(50);
    } while (!deadline.hasExpired());
    return value;
}

QStringList readOnlyArguments(const ActionFixture &fixture, const QString &reason)
{
    return {QStringLiteral("--db"),
            fixture.uri(),
            QStringLiteral("--json"),
            QStringLiteral("read-only"),
            QStringLiteral("--workspace"),
            QString::number(seeded::Roomy),
            QStringLiteral("--on"),
            QStringLiteral("--reason"),
            reason,
            QStringLiteral("--lock-timeout"),
            QStringLiteral("60000")};
}

} // namespace

void TestStuckSession::stoppedClientMidAction_rowLockReleasedWithinIdleTimeout()
{
    ActionFixture fixture(QStringLiteral("stuck"));
    QVERIFY_FIXTURE(fixture);
    const QSqlDatabase watcher = fixture.db();

    // Hold the workspace row, so that beaconctl's action waits for it, then let go once beaconctl is frozen:
    // the server then hands it the lock, answers, and waits for a client that cannot read the answer.
    auto holder = fixture.otherSession(QStringLiteral("holder"));
    QVERIFY(holder);
    QVERIFY(!execPlain(holder->database(), QStringLiteral("BEGIN"), QStringLiteral("holding")));
    {
        QSqlQuery lock(holder->database());
        lock.prepare(QStringLiteral("SELECT 1 FROM workspaces WHERE id = :id FOR UPDATE"));
        lock.bindValue(QStringLiteral(":id"), seeded::Roomy);
        QVERIFY(lock.exec());
    }

    QProcess stuck;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("BEACON_IDLE_IN_TRANSACTION_TIMEOUT"),
                       QString::number(IdleTimeoutSeconds));
    stuck.setProcessEnvironment(environment);
    stuck.start(qEnvironmentVariable("BEACONCTL"), readOnlyArguments(fixture, QStringLiteral("frozen")));
    QVERIFY2(stuck.waitForStarted(10000), qPrintable(stuck.errorString()));
    auto killStuck = qScopeGuard([&stuck] {
        ::kill(pid_t(stuck.processId()), SIGKILL);
        stuck.waitForFinished(10000);
    });

    const QVariantMap database = {{QStringLiteral("db"), fixture.database().name()}};
    const qint64 stuckBackend = waitForPositive(
        watcher,
        QStringLiteral("SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE datname = :db "
                       "AND wait_event_type = 'Lock' AND application_name = 'beacon-admin'"),
        database, 30000);
    QVERIFY2(stuckBackend > 0, "beaconctl never came to wait for the workspace row");
    QCOMPARE(::kill(pid_t(stuck.processId()), SIGSTOP), 0);
    QVERIFY(!execPlain(holder->database(), QStringLiteral("COMMIT"), QStringLiteral("letting go")));

    const QVariantMap backend = {{QStringLiteral("pid"), stuckBackend}};
    QVERIFY2(waitForPositive(watcher,
                             QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid "
                                            "AND state = 'idle in transaction'"),
                             backend, 10000) > 0,
             "the frozen beaconctl's session never came to hold the row idle in its transaction");

    // A second action on the same row, willing to wait a minute: it must get the row once the frozen
    // session's idle timeout ends it, not when the frozen process is killed or its own timeout passes.
    QElapsedTimer waited;
    waited.start();
    const CtlRun second = runBeaconctl(readOnlyArguments(fixture, QStringLiteral("after the freeze")));
    const qint64 waitedMs = waited.elapsed();
    QVERIFY2(second.exitCode == 0, qPrintable(second.out + second.err));
    QCOMPARE(second.json().value(QStringLiteral("outcome")).toString(), QStringLiteral("applied"));
    // The timeout, plus a process start and a connection on a busy two-core machine.
    QVERIFY2(waitedMs < (IdleTimeoutSeconds + 6) * 1000,
             qPrintable(QStringLiteral("the second action waited %1 ms").arg(waitedMs)));
    QCOMPARE(stuck.state(), QProcess::Running); // still frozen: the server, not the client, let go

    QSqlQuery gone(watcher);
    gone.prepare(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"));
    gone.bindValue(QStringLiteral(":pid"), stuckBackend);
    QVERIFY(gone.exec() && gone.next());
    QCOMPARE(gone.value(0).toLongLong(), 0LL);
}

QTEST_GUILESS_MAIN(TestStuckSession)
#include "tst_stucksession.moc"
