#include "actionbench.h"
#include "pgbenchscript.h"

#include "actions/actionengine.h"
#include "buildinfo.h"
#include "db/database.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>

namespace beacon::bench {

double percentile(QList<double> values, double fraction)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto rank = qsizetype(std::ceil(fraction * double(values.size())));
    return values.at(std::clamp<qsizetype>(rank - 1, 0, values.size() - 1));
}

namespace {

constexpr int Clients = 8;
// One pgbench thread per core: all this machine can run at once, and the server needs the same cores.
constexpr int PgbenchThreads = 2;
// Members in different workspaces that each client switches in turn.
constexpr int TargetsPerClient = 8;
constexpr int LatencyTargets = 16;
constexpr int LatencyWarmup = 200;
// Ours and pgbench take turns, so that the noise of this shared machine falls on both alike.
constexpr int LatencyRounds = 10;
constexpr int LatencyRunsPerRound = 200;
// Every pgbench run is a new server process whose first transactions fill its catalog caches; they are
// dropped, as our connection is warmed once before it is timed.
constexpr int PgbenchWarmupTransactions = 100;
constexpr int ThroughputRounds = 2;
constexpr int WarmupMs = 2000;
constexpr int MeasureMs = 5000;
// The issue asks for "close to pgbench": at least 80% of its rate, at most 1.25 times its latency.
constexpr double TargetRatio = 0.8;

const char *const Context = "beacon-bench";

// Ctrl+C or a kill stops the measuring but not the restoring: the bench must not leave members switched.
std::atomic<bool> interrupted = false;
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler may only touch a lock-free atomic");

extern "C" void onInterrupt(int)
{
    interrupted = true;
}

class InterruptGuard {
public:
    InterruptGuard()
        : m_previousInt(std::signal(SIGINT, onInterrupt))
        , m_previousTerm(std::signal(SIGTERM, onInterrupt))
    {
        interrupted = false;
    }
    ~InterruptGuard()
    {
        std::signal(SIGINT, m_previousInt);
        std::signal(SIGTERM, m_previousTerm);
    }
    InterruptGuard(const InterruptGuard &) = delete;
    InterruptGuard &operator=(const InterruptGuard &) = delete;

private:
    void (*m_previousInt)(int);
    void (*m_previousTerm)(int);
};

QString tr(const char *text)
{
    return QCoreApplication::translate(Context, text);
}

double elapsedMs(const QElapsedTimer &timer)
{
    return double(timer.nsecsElapsed()) / 1e6;
}

// One membership the bench switches between member and admin. Never an owner or a viewer: the action then
// always has something to change and no last-owner rule to refuse it.
struct Target {
    qint64 workspace = 0;
    qint64 user = 0;
    QString role;         // as it is now
    QString originalRole; // what the end of the bench puts back
};

QString otherRole(const QString &role)
{
    return role == QLatin1String("member") ? QStringLiteral("admin") : QStringLiteral("member");
}

// Returned before the roles are put back; runActionBench() says so instead if that fails.
DbError interruptedError()
{
    return DbError::make(ErrorKind::Internal,
                         tr("Interrupted. The members the bench switched have their first roles back."));
}

DbError queryFailed(const QSqlQuery &query, const QString &doing)
{
    return DbError::fromSql(query.lastError(), doing);
}

// The lowest workspace with a member or admin for each client (the contended case), and members of
// workspaces spread over the whole table, one per workspace (the latency pool and the uncontended case).
DbError pickTargets(const QSqlDatabase &db, QList<Target> *same, QList<Target> *spread)
{
    const QString doing = tr("Choosing the memberships to switch");
    QSqlQuery query(db);
    query.prepare(
        QStringLiteral("SELECT workspace_id FROM public.memberships WHERE role IN ('member', 'admin') "
                       "GROUP BY workspace_id HAVING count(*) >= CAST(:n AS bigint) "
                       "ORDER BY workspace_id LIMIT 1"));
    query.bindValue(QStringLiteral(":n"), Clients);
    if (!query.exec())
        return queryFailed(query, doing);
    if (!query.next())
        return DbError::make(
            ErrorKind::Refused,
            tr("No workspace has %1 members who are neither owners nor viewers.").arg(Clients));
    const qint64 contended = query.value(0).toLongLong();

    query.prepare(QStringLiteral("SELECT workspace_id, user_id, role FROM public.memberships "
                                 "WHERE workspace_id = CAST(:w AS bigint) AND role IN ('member', 'admin') "
                                 "ORDER BY user_id LIMIT CAST(:n AS bigint)"));
    query.bindValue(QStringLiteral(":w"), contended);
    query.bindValue(QStringLiteral(":n"), Clients);
    if (!query.exec())
        return queryFailed(query, doing);
    while (query.next()) {
        const QString role = query.value(2).toString();
        same->append({query.value(0).toLongLong(), query.value(1).toLongLong(), role, role});
    }

    // Every 997th workspace id has a fair chance of a member or admin; the lateral join reads the index.
    const int wanted = std::max(Clients * TargetsPerClient, LatencyTargets);
    query.prepare(
        QStringLiteral("SELECT t.w, m.user_id, m.role "
                       "FROM generate_series(1, (SELECT max(id) FROM public.workspaces), 997) AS t(w) "
                       "CROSS JOIN LATERAL (SELECT user_id, role FROM public.memberships "
                       "                    WHERE workspace_id = t.w AND role IN ('member', 'admin') "
                       "                    ORDER BY user_id LIMIT 1) AS m "
                       "WHERE t.w <> CAST(:w AS bigint) ORDER BY t.w LIMIT CAST(:n AS bigint)"));
    query.bindValue(QStringLiteral(":w"), contended);
    query.bindValue(QStringLiteral(":n"), wanted);
    if (!query.exec())
        return queryFailed(query, doing);
    while (query.next()) {
        const QString role = query.value(2).toString();
        spread->append({query.value(0).toLongLong(), query.value(1).toLongLong(), role, role});
    }
    if (same->size() < Clients || spread->size() < wanted)
        return DbError::make(ErrorKind::Refused,
                             tr("Found %1 members in one workspace and %2 in different ones; the bench needs "
                                "%3 and %4 who are neither owners nor viewers.")
                                 .arg(same->size())
                                 .arg(spread->size())
                                 .arg(Clients)
                                 .arg(wanted));
    return {};
}

// pgbench changes roles behind the engine's back (it runs the engine's statements, not the engine), so the
// roles are read again before each of our rounds and at the end.
DbError readRoles(const QSqlDatabase &db, QList<Target> *targets)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral("SELECT role FROM public.memberships "
                                 "WHERE workspace_id = CAST(:w AS bigint) AND user_id = CAST(:u AS bigint)"));
    for (Target &target : *targets) {
        query.bindValue(QStringLiteral(":w"), target.workspace);
        query.bindValue(QStringLiteral(":u"), target.user);
        if (!query.exec())
            return queryFailed(query, tr("Reading the roles of the switched members"));
        if (!query.next())
            return DbError::make(ErrorKind::Refused, tr("The membership %1/%2 disappeared during the bench.")
                                                         .arg(target.workspace)
                                                         .arg(target.user));
        target.role = query.value(0).toString();
    }
    return {};
}

// One member-role action through the engine, exactly as beaconctl and the console run it.
DbError switchRole(const QSqlDatabase &db, Target *target, const QString &role)
{
    actions::ActionRequest request;
    request.kind = actions::ActionKind::MemberRole;
    request.actor = QStringLiteral("beacon-bench");
    request.reason = QStringLiteral("beacon-bench: action latency and throughput");
    request.client = QStringLiteral("beacon-bench");
    request.workspaceId = target->workspace;
    request.userId = target->user;
    request.role = role;
    const actions::ActionResult result = actions::runAction(db, request);
    if (!result.ok())
        return result.error;
    target->role = role;
    return {};
}

DbError switchRandomTarget(const QSqlDatabase &db, QList<Target> *targets)
{
    Target &target = (*targets)[QRandomGenerator::global()->bounded(int(targets->size()))];
    return switchRole(db, &target, otherRole(target.role));
}

// On a connection of its own: the one that measured may be the reason the bench stopped.
DbError restoreRoles(const ConnectionSpec &spec, QList<Target> targets)
{
    DbError error;
    const auto connection = Connection::open(spec, QStringLiteral("bench-restore"), &error);
    if (!connection)
        return error;
    const QSqlDatabase db = connection->database();
    if ((error = readRoles(db, &targets)))
        return error;
    for (Target &target : targets) {
        if (target.role != target.originalRole && (error = switchRole(db, &target, target.originalRole)))
            return error;
    }
    return {};
}

// --- ours ---------------------------------------------------------------------------------------------

DbError ourLatencies(const QSqlDatabase &db, QList<Target> *targets, int runs, QList<double> *ms)
{
    for (int run = 0; run < runs; ++run) {
        if (interrupted)
            return interruptedError();
        QElapsedTimer timer;
        timer.start();
        if (DbError error = switchRandomTarget(db, targets))
            return error;
        if (ms)
            ms->append(elapsedMs(timer));
    }
    return {};
}

// What the clients share: the count of actions done, and the first error, which stops them all.
struct ClientsState {
    std::atomic<qint64> done = 0;
    std::atomic<int> ready = 0;
    std::atomic<bool> go = false;
    std::atomic<bool> stop = false;
    QMutex mutex;
    DbError error;

    void fail(const DbError &failure)
    {
        const QMutexLocker locker(&mutex);
        if (!error)
            error = failure;
        stop = true;
    }
};

// Waits, but gives up as soon as a client has failed.
void sleepUnlessStopped(const ClientsState &state, int ms)
{
    QElapsedTimer timer;
    timer.start();
    while (!state.stop && !interrupted && timer.elapsed() < ms)
        QThread::msleep(10);
}

// One thread and one connection per client, as the console's workers have; each client switches its own
// targets, so that no action is refused. Counts the actions done in MeasureMs after WarmupMs.
DbError ourThroughput(const ConnectionSpec &spec, const QList<QList<Target>> &perClient, double *perSecond)
{
    ClientsState state;
    QList<QThread *> threads;
    for (qsizetype client = 0; client < perClient.size(); ++client) {
        threads.append(QThread::create([&state, &spec, targets = perClient.at(client), client]() mutable {
            DbError error;
            const auto connection =
                Connection::open(spec, QStringLiteral("bench-actions-%1").arg(client), &error);
            ++state.ready;
            if (!connection) {
                state.fail(error);
                return;
            }
            const QSqlDatabase db = connection->database();
            while (!state.go && !state.stop && !interrupted)
                QThread::usleep(200);
            while (!state.stop && !interrupted) {
                if (DbError failure = switchRandomTarget(db, &targets)) {
                    state.fail(failure);
                    return;
                }
                ++state.done;
            }
        }));
        threads.last()->start();
    }
    while (state.ready < perClient.size())
        QThread::msleep(5);
    state.go = true;
    sleepUnlessStopped(state, WarmupMs);
    const qint64 first = state.done;
    QElapsedTimer timer;
    timer.start();
    sleepUnlessStopped(state, MeasureMs);
    const qint64 last = state.done;
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    state.stop = true;
    for (QThread *thread : std::as_const(threads)) {
        thread->wait();
        delete thread;
    }
    if (state.error)
        return state.error;
    if (interrupted)
        return interruptedError();
    *perSecond = double(last - first) / seconds;
    return {};
}

// --- pgbench ------------------------------------------------------------------------------------------

// What runAction() sends for member-role, as pgbench runs it (pgbenchscript.h): the engine's own statements,
// prepared once per connection (-M prepared, as StatementCache does), the values bound as parameters, and
// each of the engine's round trips in one pipeline. pgbench needs one round trip more per action, before
// the transaction, for what the engine works out on the client (the action id, the new role, the audit
// target), since pgbench cannot make a UUID or a string; it holds no lock then. Each client picks its own
// targets by :client_id, as ours do; the \set and \if lines run in pgbench, without a round trip.
DbError pgbenchScript(const QList<QList<Target>> &perClient, QString *script)
{
    const qsizetype perTarget = perClient.first().size();
    QString choose =
        QStringLiteral("\\set i :client_id * %1 + random(0, %2)\n").arg(perTarget).arg(perTarget - 1);
    qsizetype index = 0;
    for (const QList<Target> &targets : perClient) {
        for (const Target &target : targets) {
            choose += QStringLiteral("%1 :i = %2\n\\set workspace %3\n\\set user %4\n")
                          .arg(index == 0 ? QStringLiteral("\\if") : QStringLiteral("\\elif"))
                          .arg(index)
                          .arg(target.workspace)
                          .arg(target.user);
            ++index;
        }
    }
    choose += QStringLiteral("\\endif\n");
    return memberRoleScript(choose, script);
}

// What writeAudit() records as the client, passed to pgbench as a variable (pgbenchDefinitions()).
QString pgbenchClient()
{
    const QJsonObject client{{QStringLiteral("program"), QStringLiteral("beacon-bench-pgbench")},
                             {QStringLiteral("version"), applicationVersion()},
                             {QStringLiteral("host"), QSysInfo::machineHostName()},
                             {QStringLiteral("dry_run"), false}};
    return QString::fromUtf8(QJsonDocument(client).toJson(QJsonDocument::Compact));
}

// One transaction in pgbench's --log: its latency, and when it ended.
struct LoggedTransaction {
    qint64 number = 0; // per client, from 0
    double latencyMs = 0;
    double endSeconds = 0; // since the epoch
};

class Pgbench {
public:
    Pgbench(QString program, const ConnectionSpec &spec)
        : m_program(std::move(program))
        , m_spec(spec)
    {}

    bool isReady() const { return m_dir.isValid(); }

    DbError writeScript(const QString &script)
    {
        QFile file(scriptPath());
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(script.toUtf8()) < 0)
            return DbError::make(ErrorKind::Internal,
                                 tr("Could not write the pgbench script %1.").arg(scriptPath()));
        return {};
    }

    // pgbench -n -M prepared -f SCRIPT -l with these options, then its per-transaction log.
    DbError run(const QStringList &options, QList<LoggedTransaction> *transactions)
    {
        QDir dir(m_dir.path());
        for (const QString &old : dir.entryList({QStringLiteral("pgbench_log.*")}, QDir::Files))
            dir.remove(old);
        QStringList arguments = {QStringLiteral("-n"), QStringLiteral("-M"), QStringLiteral("prepared")};
        for (const auto &[name, value] : pgbenchDefinitions(pgbenchClient()))
            arguments += {QStringLiteral("-D"), name + QLatin1Char('=') + value};
        arguments += {QStringLiteral("-f"), scriptPath(), QStringLiteral("-l")};
        arguments += options;
        if (!m_spec.host.isEmpty())
            arguments += {QStringLiteral("-h"), m_spec.host};
        arguments += {QStringLiteral("-p"), QString::number(m_spec.port)};
        if (!m_spec.user.isEmpty())
            arguments += {QStringLiteral("-U"), m_spec.user};
        arguments += m_spec.database;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        if (!m_spec.password.isEmpty())
            environment.insert(QStringLiteral("PGPASSWORD"), m_spec.password);
        environment.insert(QStringLiteral("PGSSLMODE"), m_spec.sslMode);
        environment.insert(QStringLiteral("PGCONNECT_TIMEOUT"),
                           QString::number(m_spec.connectTimeoutSeconds));
        environment.insert(QStringLiteral("PGAPPNAME"), QStringLiteral("beacon-bench-pgbench"));
        QProcess process;
        process.setProcessEnvironment(environment);
        process.setWorkingDirectory(m_dir.path());
        process.start(m_program, arguments);
        if (!process.waitForStarted())
            return DbError::make(ErrorKind::Internal,
                                 tr("Could not start %1: %2").arg(m_program, process.errorString()));
        QElapsedTimer timer;
        timer.start();
        bool finished = false;
        while (!finished && !interrupted && timer.elapsed() < 10 * 60 * 1000)
            finished = process.waitForFinished(100) || process.state() == QProcess::NotRunning;
        if (interrupted || !finished) {
            // pgbench's open transaction is rolled back by the server when its connection closes.
            process.terminate();
            if (!process.waitForFinished(5000))
                process.kill();
            return interrupted
                       ? interruptedError()
                       : DbError::make(ErrorKind::Internal, tr("pgbench ran for more than 10 minutes."));
        }
        const QString output =
            QString::fromLocal8Bit(process.readAllStandardOutput() + process.readAllStandardError());
        if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
            return DbError::make(ErrorKind::Internal,
                                 tr("pgbench failed (exit code %1): %2 %3")
                                     .arg(process.exitCode())
                                     .arg(m_program, arguments.join(QLatin1Char(' '))),
                                 output.trimmed().right(2000));
        transactions->clear();
        for (const QString &name : dir.entryList({QStringLiteral("pgbench_log.*")}, QDir::Files)) {
            QFile log(dir.filePath(name));
            if (!log.open(QIODevice::ReadOnly))
                continue;
            // client_id transaction_no time script_no time_epoch time_us: time is the latency in µs, and
            // time_epoch plus time_us when the transaction ended.
            for (const QByteArray &line : log.readAll().split('\n')) {
                const QList<QByteArray> fields = line.split(' ');
                if (fields.size() < 6)
                    continue;
                transactions->append({fields.at(1).toLongLong(), fields.at(2).toDouble() / 1000.0,
                                      fields.at(4).toDouble() + fields.at(5).toDouble() / 1e6});
            }
        }
        if (transactions->isEmpty())
            return DbError::make(ErrorKind::Internal, tr("pgbench wrote no transaction log."), output);
        return {};
    }

private:
    QString scriptPath() const { return m_dir.filePath(QStringLiteral("member-role.sql")); }

    QString m_program;
    ConnectionSpec m_spec;
    QTemporaryDir m_dir;
};

DbError pgbenchLatencies(Pgbench &pgbench, int runs, QList<double> *ms)
{
    QList<LoggedTransaction> transactions;
    if (DbError error =
            pgbench.run({QStringLiteral("-c"), QStringLiteral("1"), QStringLiteral("-j"), QStringLiteral("1"),
                         QStringLiteral("-t"), QString::number(PgbenchWarmupTransactions + runs)},
                        &transactions))
        return error;
    for (const LoggedTransaction &transaction : std::as_const(transactions)) {
        if (transaction.number >= PgbenchWarmupTransactions)
            ms->append(transaction.latencyMs);
    }
    return {};
}

// The transactions that ended in the same window as ours are counted in: MeasureMs after WarmupMs, from
// the start of the first transaction, all on the same connections.
DbError pgbenchThroughput(Pgbench &pgbench, int clients, double *perSecond)
{
    const int seconds = (WarmupMs + MeasureMs) / 1000 + 1; // a second more, so that the window is all in
    QList<LoggedTransaction> transactions;
    if (DbError error = pgbench.run({QStringLiteral("-c"), QString::number(clients), QStringLiteral("-j"),
                                     QString::number(std::min(clients, PgbenchThreads)), QStringLiteral("-T"),
                                     QString::number(seconds)},
                                    &transactions))
        return error;
    double start = transactions.first().endSeconds;
    for (const LoggedTransaction &transaction : std::as_const(transactions))
        start = std::min(start, transaction.endSeconds - transaction.latencyMs / 1000.0);
    const double from = start + WarmupMs / 1000.0;
    const double to = from + MeasureMs / 1000.0;
    const auto inWindow = std::count_if(transactions.cbegin(), transactions.cend(), [&](const auto &t) {
        return t.endSeconds >= from && t.endSeconds < to;
    });
    *perSecond = double(inWindow) / (MeasureMs / 1000.0);
    return {};
}

// --- the scenarios ------------------------------------------------------------------------------------

DbError compareLatency(const QSqlDatabase &db, Pgbench &pgbench, QList<Target> pool, QList<Figure> *figures)
{
    QString script;
    if (DbError error = pgbenchScript({pool}, &script))
        return error;
    if (DbError error = pgbench.writeScript(script))
        return error;
    if (DbError error = ourLatencies(db, &pool, LatencyWarmup, nullptr))
        return error;
    QList<double> ours;
    QList<double> theirs;
    for (int round = 0; round < LatencyRounds; ++round) {
        if (DbError error = readRoles(db, &pool))
            return error;
        if (DbError error = ourLatencies(db, &pool, LatencyRunsPerRound, &ours))
            return error;
        if (DbError error = pgbenchLatencies(pgbench, LatencyRunsPerRound, &theirs))
            return error;
    }
    Figure p50{QStringLiteral("action latency p50, 1 client"), percentile(ours, 0.5), percentile(theirs, 0.5),
               QStringLiteral("ms"), TargetRatio};
    Figure p99{QStringLiteral("action latency p99, 1 client"), percentile(ours, 0.99),
               percentile(theirs, 0.99), QStringLiteral("ms"), TargetRatio};
    figures->append(p50);
    figures->append(p99);
    return {};
}

DbError compareThroughput(const ConnectionSpec &spec, const QSqlDatabase &db, Pgbench &pgbench,
                          QList<QList<Target>> perClient, const QString &scenario, QList<Figure> *figures)
{
    QString script;
    if (DbError error = pgbenchScript(perClient, &script))
        return error;
    if (DbError error = pgbench.writeScript(script))
        return error;
    double ours = 0;
    double theirs = 0;
    for (int round = 0; round < ThroughputRounds; ++round) {
        for (QList<Target> &targets : perClient) {
            if (DbError error = readRoles(db, &targets))
                return error;
        }
        double rate = 0;
        if (DbError error = ourThroughput(spec, perClient, &rate))
            return error;
        ours += rate / ThroughputRounds;
        if (DbError error = pgbenchThroughput(pgbench, int(perClient.size()), &rate))
            return error;
        theirs += rate / ThroughputRounds;
    }
    Figure figure{scenario, ours, theirs, QStringLiteral("actions/s"), TargetRatio};
    figure.higherIsBetter = true;
    figures->append(figure);
    return {};
}

DbError measure(const ConnectionSpec &spec, const QSqlDatabase &db, Pgbench &pgbench,
                const QList<Target> &same, const QList<Target> &spread, QList<Figure> *figures)
{
    if (DbError error = compareLatency(db, pgbench, spread.mid(0, LatencyTargets), figures))
        return error;
    QList<QList<Target>> oneEach;
    QList<QList<Target>> ownWorkspaces;
    for (int client = 0; client < Clients; ++client) {
        oneEach.append({same.at(client)});
        ownWorkspaces.append(spread.mid(client * TargetsPerClient, TargetsPerClient));
    }
    if (DbError error =
            compareThroughput(spec, db, pgbench, oneEach,
                              QStringLiteral("actions/s, %1 clients, same workspace").arg(Clients), figures))
        return error;
    return compareThroughput(spec, db, pgbench, ownWorkspaces,
                             QStringLiteral("actions/s, %1 clients, different workspaces").arg(Clients),
                             figures);
}

} // namespace

QString findPgbench(DbError *error)
{
    const QString name = QStringLiteral("pgbench");
    // PostgreSQL 15's own first: Debian's /usr/bin/pgbench is a wrapper that may pick another version.
    QString program = QStandardPaths::findExecutable(name, {QStringLiteral("/usr/lib/postgresql/15/bin")});
    if (program.isEmpty())
        program = QStandardPaths::findExecutable(name);
    const QString install =
        tr("Install it (Debian 12: \"sudo apt-get install postgresql-15\"; distributions that split it off "
           "ship it in postgresql-client-15 or postgresql15-contrib), or run with --only browse.");
    if (program.isEmpty()) {
        if (error)
            *error =
                DbError::make(ErrorKind::Refused,
                              tr("pgbench was found neither on the PATH nor in /usr/lib/postgresql/15/bin, "
                                 "and the action scenarios are measured against it. ") +
                                  install);
        return {};
    }
    // Debian's wrapper is there even when no PostgreSQL version behind it is; a minute of browsing
    // scenarios should not run before that shows.
    QProcess version;
    version.start(program, {QStringLiteral("--version")});
    const bool works = version.waitForFinished(10000) && version.exitStatus() == QProcess::NormalExit &&
                       version.exitCode() == 0;
    if (!works) {
        if (error)
            *error = DbError::make(
                ErrorKind::Refused, tr("%1 --version failed. ").arg(program) + install,
                QString::fromLocal8Bit(version.readAllStandardOutput() + version.readAllStandardError())
                    .trimmed());
        return {};
    }
    return program;
}

DbError runActionBench(const ConnectionSpec &spec, const QString &pgbenchProgram, QList<Figure> *figures)
{
    const InterruptGuard guard;
    DbError error;
    const auto connection = Connection::open(spec, QStringLiteral("bench-actions"), &error);
    if (!connection)
        return error;
    const QSqlDatabase db = connection->database();
    Pgbench pgbench(pgbenchProgram, spec);
    if (!pgbench.isReady())
        return DbError::make(ErrorKind::Internal, tr("Could not make a temporary folder for pgbench."));
    QList<Target> same;
    QList<Target> spread;
    if ((error = pickTargets(db, &same, &spread)))
        return error;
    error = measure(spec, db, pgbench, same, spread, figures);
    // Whatever happened, every member switched gets its first role back.
    if (DbError restored = restoreRoles(spec, same + spread)) {
        QStringList roles;
        for (const Target &target : same + spread)
            roles.append(
                QStringLiteral("%1/%2 %3").arg(target.workspace).arg(target.user).arg(target.originalRole));
        restored.message =
            tr("%1 The members the bench switched may not have their first roles back; set them "
               "with beaconctl member-role (workspace/user role): %2.")
                .arg(restored.message, roles.join(QStringLiteral(", ")));
        return restored;
    }
    return error;
}

} // namespace beacon::bench
