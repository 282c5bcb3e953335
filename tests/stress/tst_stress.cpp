// The admin actions proven under load and faults. For BEACON_STRESS_SECONDS (40 s by default, which keeps
// the whole test near a minute), on a private server of its own:
//  - the backend's load: pgbench running the backend's own statements as the table owner (backendload.h);
//  - several beaconctl processes at once, each a random action with a fresh action id, as a real login of
//    beacon_support, beacon_finance or beacon_admin (actionmix.h);
//  - faults: SIGKILL of beaconctl, pg_terminate_backend of the actions' sessions, immediate restarts of the
//    server, and a session that holds one workspace FOR UPDATE throughout (faults.h).
// Then every action whose outcome is unknown is rerun with its id and parameters until it has one, and the
// audit log must match the outcomes exactly (one row per applied action, none otherwise), and `beaconctl
// check` must find nothing new. The test fails on any invariant violation or lost action.
#include "actionmix.h"
#include "backendload.h"
#include "faults.h"
#include "outcome.h"
#include "stressserver.h"

#include "db/database.h"
#include "db/localcluster.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <memory>
#include <vector>

using namespace beacon;
using namespace beacon::stress;

namespace {

// A beaconctl run longer than this is hung: the lock timeout is 0.5 s and connect_timeout 10 s.
constexpr qint64 HangLimitMs = 30000;
constexpr qint64 LockedWorkspace = 1;

int settingFromEnvironment(const char *name, int fallback, int minimum)
{
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok ? std::max(value, minimum) : fallback;
}

struct ActionRecord {
    PlannedAction action;
    RunResult first;
    Outcome final = Outcome::Unknown;
    int reruns = 0;
};

struct RunningAction {
    std::unique_ptr<QProcess> process;
    int record = 0;
    QElapsedTimer clock;
    bool lockHeldAtStart = false;
    int lockEpochAtStart = 0;
    bool hung = false;
};

struct Figures {
    int attempted = 0;
    int applied = 0; // in the end, after reruns
    int refused = 0;
    int busy = 0;
    int conflict = 0;
    int denied = 0;
    int unavailable = 0; // first runs that ended with exit 7
    int killedActions = 0;
    int hung = 0;
    int appliedOnRerun = 0;
    int notAppliedOnRerun = 0;
    int turnedAwayByLock = 0;
    int kills = 0;
    int terminatedSessions = 0;
    int restarts = 0;
    int lockHolds = 0;
};

} // namespace

class TestStress : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void actions_underLoadAndFaults_auditMatchesOutcomesAndNothingLost();

private:
    void startAction();
    void reap(RunningAction &running);
    bool injectFault();
    void refreshTargets();
    QSet<QString> anomalies(QString *error);
    RunResult runOnce(const ActionRecord &record);
    void converge();
    void checkAudit();
    void violation(const QString &text) { m_violations << text; }

    std::unique_ptr<StressServer> m_server;
    std::unique_ptr<LockHolder> m_lock;
    std::unique_ptr<BackendLoad> m_backend;
    std::unique_ptr<ActionMix> m_mix;
    QRandomGenerator m_random;
    Targets m_targets;
    std::vector<ActionRecord> m_records;
    std::vector<RunningAction> m_running;
    QStringList m_violations;
    QStringList m_lost;
    Figures m_figures;
};

void TestStress::initTestCase()
{
    QVERIFY2(QFileInfo(qEnvironmentVariable("BEACONCTL")).isExecutable(),
             "BEACONCTL must name the built beaconctl (ctest sets it)");
    QVERIFY2(QFileInfo(LocalCluster::serverBinDirectory() + QStringLiteral("/pgbench")).isExecutable(),
             qPrintable(QStringLiteral("pgbench is not in %1: install postgresql-15 (.ci/install-deps does)")
                            .arg(LocalCluster::serverBinDirectory())));
}

void TestStress::startAction()
{
    ActionRecord record;
    record.action = m_mix->next(m_targets);
    m_records.push_back(record);
    ++m_figures.attempted;
    RunningAction running;
    running.record = int(m_records.size() - 1);
    running.lockHeldAtStart = m_lock->isHeld();
    running.lockEpochAtStart = m_lock->epoch();
    running.process = std::make_unique<QProcess>();
    running.clock.start();
    running.process->start(
        qEnvironmentVariable("BEACONCTL"),
        commandLine(record.action, m_server->uri(StressServer::loginOf(record.action.group),
                                                 QLatin1String(ActionApplication))));
    m_running.push_back(std::move(running));
}

void TestStress::reap(RunningAction &running)
{
    ActionRecord &record = m_records[size_t(running.record)];
    QProcess &process = *running.process;
    record.first = classify(record.action.id, process.exitStatus() == QProcess::CrashExit, process.exitCode(),
                            process.readAllStandardOutput(), process.readAllStandardError());
    const QString where =
        QStringLiteral("%1 %2 as %3: ")
            .arg(record.action.name, record.action.id.toString(QUuid::WithoutBraces), record.action.group);
    if (running.hung) {
        ++m_figures.hung;
        violation(where + QStringLiteral("hung for more than %1 s").arg(HangLimitMs / 1000));
    } else if (record.first.killed) {
        ++m_figures.kills;
        ++m_figures.killedActions;
    }
    if (!record.first.problem.isEmpty())
        violation(where + record.first.problem + QStringLiteral(" | ") + record.first.text);
    // The id is fresh: no earlier run of it can exist.
    if (record.first.alreadyApplied)
        violation(where + QStringLiteral("a first run reported already-applied | ") + record.first.text);
    if (!record.action.permitted && record.first.outcome == Outcome::Applied)
        violation(where + QStringLiteral("applied by a group whose grants do not cover it | ") +
                  record.first.text);
    if (record.action.permitted && record.first.outcome == Outcome::Denied)
        violation(where + QStringLiteral("denied to a group whose grants cover it | ") + record.first.text);
    // The lock holder kept its row from before the action started until after it ended.
    const bool lockedThroughout = record.action.workspace == LockedWorkspace && running.lockHeldAtStart &&
                                  m_lock->isHeld() && m_lock->epoch() == running.lockEpochAtStart;
    if (lockedThroughout && record.first.outcome == Outcome::Applied)
        violation(where + QStringLiteral("applied while another session held its workspace | ") +
                  record.first.text);
    if (lockedThroughout && record.first.outcome == Outcome::Busy)
        ++m_figures.turnedAwayByLock;
    if (record.first.exitCode == 7)
        ++m_figures.unavailable;
    record.final = record.first.outcome;
}

// A SIGKILL of a running beaconctl or pg_terminate_backend of the actions' sessions; false when there was
// nothing to strike at that moment. Restarts come on their own schedule (see the test).
bool TestStress::injectFault()
{
    if (m_random.bounded(2) == 0) {
        std::vector<RunningAction *> running;
        for (RunningAction &candidate : m_running) {
            if (candidate.process->state() != QProcess::NotRunning)
                running.push_back(&candidate);
        }
        if (running.empty())
            return false;
        running.at(m_random.bounded(int(running.size())))->process->kill(); // SIGKILL
        return true;
    }
    QString error;
    const int ended = terminateActionSessions(*m_server, &error);
    if (ended < 0)
        violation(QStringLiteral("could not terminate the actions' sessions: ") + error);
    else
        m_figures.terminatedSessions += ended;
    return ended != 0;
}

void TestStress::refreshTargets()
{
    DbError error;
    auto connection =
        Connection::open(m_server->spec(QStringLiteral("postgres"), QStringLiteral("stress-targets")),
                         QStringLiteral("stress-targets"), &error);
    if (!connection)
        return; // the server may be restarting; the old ids serve until the next refresh
    const auto ids = [&](const QString &sql) {
        QList<qint64> list;
        QSqlQuery query(connection->database());
        if (query.exec(sql)) {
            while (query.next())
                list << query.value(0).toLongLong();
        }
        return list;
    };
    m_targets.files = ids(QStringLiteral("SELECT id FROM public.files ORDER BY random() LIMIT 200"));
    m_targets.projects = ids(QStringLiteral("SELECT id FROM public.projects ORDER BY random() LIMIT 100"));
}

QSet<QString> TestStress::anomalies(QString *error)
{
    QProcess check;
    check.start(qEnvironmentVariable("BEACONCTL"),
                {QStringLiteral("--db"),
                 m_server->uri(QStringLiteral("postgres"), QStringLiteral("stress-check")),
                 QStringLiteral("--json"), QStringLiteral("check")});
    if (!check.waitForFinished(120000) || check.exitStatus() != QProcess::NormalExit ||
        (check.exitCode() != 0 && check.exitCode() != 3)) {
        *error = QStringLiteral("beaconctl check failed: ") + QString::fromUtf8(check.readAll()) +
                 QString::fromUtf8(check.readAllStandardError());
        return {};
    }
    QSet<QString> found;
    const QJsonArray list = QJsonDocument::fromJson(check.readAllStandardOutput())
                                .object()
                                .value(QStringLiteral("anomalies"))
                                .toArray();
    for (const QJsonValue &anomaly : list) {
        const QJsonObject object = anomaly.toObject();
        found.insert(QStringLiteral("%1 on %2 %3: %4")
                         .arg(object.value(QStringLiteral("kind")).toString(),
                              object.value(QStringLiteral("target_type")).toString())
                         .arg(qint64(object.value(QStringLiteral("target_id")).toDouble()))
                         .arg(object.value(QStringLiteral("detail")).toString()));
    }
    return found;
}

RunResult TestStress::runOnce(const ActionRecord &record)
{
    QProcess process;
    process.start(qEnvironmentVariable("BEACONCTL"),
                  commandLine(record.action, m_server->uri(StressServer::loginOf(record.action.group),
                                                           QStringLiteral("stress-rerun"))));
    if (!process.waitForFinished(int(HangLimitMs))) {
        process.kill();
        process.waitForFinished(5000);
        RunResult hung = classify(record.action.id, true, -1, {}, {});
        hung.problem = QStringLiteral("a rerun hung for more than %1 s").arg(HangLimitMs / 1000);
        return hung;
    }
    return classify(record.action.id, process.exitStatus() == QProcess::CrashExit, process.exitCode(),
                    process.readAllStandardOutput(), process.readAllStandardError());
}

// Every unknown outcome is rerun with its id and parameters until it has one: busy is no answer here, as the
// killed run's session may still hold the id's lock for a moment.
void TestStress::converge()
{
    for (ActionRecord &record : m_records) {
        if (record.final != Outcome::Unknown)
            continue;
        RunResult rerun;
        for (int attempt = 0; attempt < 20; ++attempt) {
            rerun = runOnce(record);
            ++record.reruns;
            if (!rerun.problem.isEmpty())
                violation(QStringLiteral("rerun of %1 %2: %3 | %4")
                              .arg(record.action.name, record.action.id.toString(QUuid::WithoutBraces),
                                   rerun.problem, rerun.text));
            if (rerun.outcome != Outcome::Unknown && rerun.outcome != Outcome::Busy)
                break;
            QThread::msleep(250);
        }
        record.final = rerun.outcome == Outcome::Busy ? Outcome::Unknown : rerun.outcome;
        if (!record.action.permitted && record.final == Outcome::Applied)
            violation(QStringLiteral("%1 %2 applied on a rerun by a group whose grants do not cover it")
                          .arg(record.action.name, record.action.id.toString(QUuid::WithoutBraces)));
        if (record.action.permitted && record.final == Outcome::Denied)
            violation(QStringLiteral("%1 %2 denied on a rerun to a group whose grants cover it")
                          .arg(record.action.name, record.action.id.toString(QUuid::WithoutBraces)));
        if (record.final == Outcome::Unknown)
            m_lost << QStringLiteral("%1 %2: still no outcome after %3 reruns | %4")
                          .arg(record.action.name, record.action.id.toString(QUuid::WithoutBraces))
                          .arg(record.reruns)
                          .arg(rerun.text);
        else if (isApplied(record.final))
            ++m_figures.appliedOnRerun;
        else
            ++m_figures.notAppliedOnRerun;
    }
    // An applied action run again changes nothing and says so: a sample, as each rerun is a process.
    int sampled = 0;
    for (ActionRecord &record : m_records) {
        if (sampled == 10 || record.first.outcome != Outcome::Applied)
            continue;
        ++sampled;
        const RunResult again = runOnce(record);
        if (again.outcome != Outcome::Applied || !again.alreadyApplied)
            violation(
                QStringLiteral("%1 %2 applied, but its rerun was not already-applied | %3")
                    .arg(record.action.name, record.action.id.toString(QUuid::WithoutBraces), again.text));
    }
}

void TestStress::checkAudit()
{
    DbError error;
    auto connection = Connection::open(m_server->spec(), QStringLiteral("stress-audit"), &error);
    if (!connection) {
        violation(QStringLiteral("no connection to read the audit log: ") + error.fullText());
        return;
    }
    QSqlQuery query(connection->database());
    if (!query.exec(QStringLiteral("SELECT action_id::text, action, actor FROM public.audit_log"))) {
        violation(query.lastError().text());
        return;
    }
    QHash<QString, QStringList> audited; // action id -> the action of each of its rows
    int rows = 0;
    while (query.next()) {
        ++rows;
        audited[query.value(0).toString()] << query.value(1).toString();
    }
    int expectedRows = 0;
    for (const ActionRecord &record : m_records) {
        const QString id = record.action.id.toString(QUuid::WithoutBraces);
        const QStringList found = audited.take(id);
        const QString where =
            QStringLiteral("%1 %2 (%3 reruns): ").arg(record.action.name, id).arg(record.reruns);
        if (record.final == Outcome::Unknown)
            continue; // already counted as lost
        if (isApplied(record.final)) {
            ++expectedRows;
            if (found.isEmpty())
                m_lost << where + QStringLiteral("reported applied, but the audit log has no row for it");
            else if (found.size() > 1 || found.first() != record.action.name)
                violation(where + QStringLiteral("audited as %1").arg(found.join(QLatin1Char(','))));
        } else if (!found.isEmpty()) {
            violation(where +
                      QStringLiteral("not applied (first run: %1), yet audited").arg(record.first.text));
        }
    }
    for (auto stray = audited.cbegin(); stray != audited.cend(); ++stray)
        violation(QStringLiteral("audit row for action id %1 (%2), which no action of this run had")
                      .arg(stray.key(), stray.value().join(QLatin1Char(','))));
    if (rows != expectedRows)
        violation(
            QStringLiteral("the audit log holds %1 rows for %2 applied actions").arg(rows).arg(expectedRows));
    for (const ActionRecord &record : m_records) {
        switch (record.final) {
        case Outcome::Applied:
            ++m_figures.applied;
            break;
        case Outcome::Refused:
            ++m_figures.refused;
            break;
        case Outcome::Busy:
            ++m_figures.busy;
            break;
        case Outcome::Conflict:
            ++m_figures.conflict;
            break;
        case Outcome::Denied:
            ++m_figures.denied;
            break;
        case Outcome::Unknown:
            break;
        }
    }
}

void TestStress::actions_underLoadAndFaults_auditMatchesOutcomesAndNothingLost()
{
    const int seconds = settingFromEnvironment("BEACON_STRESS_SECONDS", 40, 5);
    const int clients = settingFromEnvironment("BEACON_STRESS_CLIENTS", 4, 1);
    const quint32 seed = quint32(
        settingFromEnvironment("BEACON_STRESS_SEED", int(QRandomGenerator::global()->bounded(1 << 30)), 0));
    m_random.seed(seed);
    qInfo(
        "stress: %d s of load, %d beaconctl at once, seed %u (BEACON_STRESS_SECONDS, BEACON_STRESS_CLIENTS, "
        "BEACON_STRESS_SEED)",
        seconds, clients, seed);
    QElapsedTimer wall;
    wall.start();

    m_server = std::make_unique<StressServer>();
    const QString setUpError = m_server->setUp();
    QVERIFY2(setUpError.isEmpty(), qPrintable(setUpError));
    QString checkError;
    const QSet<QString> anomaliesBefore = anomalies(&checkError);
    QVERIFY2(checkError.isEmpty(), qPrintable(checkError));
    m_lock = std::make_unique<LockHolder>(*m_server, LockedWorkspace);
    const QString lockError = m_lock->acquire();
    QVERIFY2(lockError.isEmpty(), qPrintable(lockError));
    ++m_figures.lockHolds;
    m_mix = std::make_unique<ActionMix>(&m_random, LockedWorkspace);
    refreshTargets();

    const QDeadlineTimer deadline(qint64(seconds) * 1000);
    m_backend = std::make_unique<BackendLoad>(*m_server, 4, 150);
    m_backend->start(deadline);
    QElapsedTimer clock;
    clock.start();
    // A restart every 20 s, the first after a third of the run: at least one in the shortest run.
    const int restarts = std::max(1, seconds / 20);
    QList<qint64> restartAt;
    for (int i = 1; i <= restarts; ++i)
        restartAt << qint64(seconds) * 1000 * i / (restarts + 1);
    qint64 nextFault = 500 + m_random.bounded(1000);
    qint64 nextRefresh = 500;
    while (!deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        for (RunningAction &running : m_running) {
            if (running.process->state() != QProcess::NotRunning && running.clock.elapsed() > HangLimitMs) {
                running.hung = true;
                running.process->kill();
            }
        }
        for (auto it = m_running.begin(); it != m_running.end();) {
            if (it->process->state() == QProcess::NotRunning || it->process->waitForFinished(0)) {
                reap(*it);
                it = m_running.erase(it);
            } else {
                ++it;
            }
        }
        while (int(m_running.size()) < clients)
            startAction();
        m_backend->poll();
        const qint64 now = clock.elapsed();
        if (now >= nextRefresh) {
            refreshTargets();
            nextRefresh = now + 500;
        }
        if (!restartAt.isEmpty() && now >= restartAt.first()) {
            restartAt.removeFirst();
            m_backend->noteFault();
            m_lock->lost();
            const QString restartError = m_server->restartImmediately();
            QVERIFY2(restartError.isEmpty(), qPrintable(restartError));
            ++m_figures.restarts;
            const QString again = m_lock->acquire();
            QVERIFY2(again.isEmpty(), qPrintable(again));
            ++m_figures.lockHolds;
        } else if (now >= nextFault) {
            // Nothing to strike yet: try again in a moment rather than skip a fault.
            nextFault = injectFault() ? now + 300 + m_random.bounded(1200) : now + 20;
        }
        QThread::msleep(2);
    }
    // The last actions finish (or hang, which reap() reports), and the backend's last run ends.
    for (RunningAction &running : m_running) {
        if (!running.process->waitForFinished(
                int(std::max<qint64>(0, HangLimitMs - running.clock.elapsed())))) {
            running.hung = true;
            running.process->kill();
            running.process->waitForFinished(5000);
        }
        reap(running);
    }
    m_running.clear();
    m_backend->finish();
    m_lock->release();
    for (const QString &failure : m_backend->failures())
        violation(failure);

    converge();
    checkAudit();
    const QSet<QString> anomaliesAfter = anomalies(&checkError);
    QVERIFY2(checkError.isEmpty(), qPrintable(checkError));
    for (const QString &anomaly : anomaliesAfter - anomaliesBefore)
        violation(QStringLiteral("beaconctl check found a new anomaly: ") + anomaly);

    const Figures &f = m_figures;
    const int unknownFirst = f.unavailable + f.killedActions + f.hung;
    qInfo().noquote()
        << QStringLiteral("\nstress figures (%1 s of load, %2 s in all):\n"
                          "  actions attempted      %3\n"
                          "  applied                %4 (%5 of them learned by a rerun)\n"
                          "  refused                %6\n"
                          "  busy                   %7 (%8 turned away by the lock holder)\n"
                          "  conflict               %9\n"
                          "  denied                 %10\n"
                          "  unavailable            %11 (exit 7 on the first run)\n"
                          "  unknown, rerun by id   %12 (%13 killed, %14 hung), %15 not applied in the end\n"
                          "  faults injected        %16: %17 beaconctl killed, %18 sessions terminated, %19 "
                          "immediate restarts, %20 lock holds on workspace %21\n"
                          "  backend (pgbench)      %22 transactions in %23 runs\n"
                          "  invariant violations   %24\n"
                          "  lost actions           %25")
               .arg(seconds)
               .arg(wall.elapsed() / 1000)
               .arg(f.attempted)
               .arg(f.applied)
               .arg(f.appliedOnRerun)
               .arg(f.refused)
               .arg(f.busy)
               .arg(f.turnedAwayByLock)
               .arg(f.conflict)
               .arg(f.denied)
               .arg(f.unavailable)
               .arg(unknownFirst)
               .arg(f.killedActions)
               .arg(f.hung)
               .arg(f.notAppliedOnRerun)
               .arg(f.kills + f.terminatedSessions + f.restarts + f.lockHolds)
               .arg(f.kills)
               .arg(f.terminatedSessions)
               .arg(f.restarts)
               .arg(f.lockHolds)
               .arg(LockedWorkspace)
               .arg(m_backend->transactions())
               .arg(m_backend->runs())
               .arg(m_violations.size())
               .arg(m_lost.size());
    for (const QString &text : std::as_const(m_violations))
        qWarning().noquote() << "invariant violation:" << text;
    for (const QString &text : std::as_const(m_lost))
        qWarning().noquote() << "lost action:" << text;
    QVERIFY2(m_violations.isEmpty(), "invariant violations (listed above)");
    QVERIFY2(m_lost.isEmpty(), "lost actions (listed above)");
    // A run whose faults never struck proves nothing about them.
    QVERIFY2(f.applied > 0 && f.kills > 0 && f.terminatedSessions > 0 && f.restarts > 0 &&
                 f.turnedAwayByLock > 0 && m_backend->transactions() > 0,
             "a fault or the load never happened in this run; see the figures above");
}

QTEST_GUILESS_MAIN(TestStress)
#include "tst_stress.moc"
