#pragma once

// What the race tests need around the engine: contenders on threads with their own connections or as
// beaconctl processes, released together; the backend's own writes (an upload, a webhook) done the way the
// backend does them; and small readers of the rows and the audit log. Header-only: one test uses it.

#include "testdatabase.h"

#include "actions/action.h"
#include "actions/actionengine.h"
#include "db/database.h"

#include <QDeadlineTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

#include <functional>
#include <latch>
#include <memory>
#include <vector>

namespace beacon::test {

// Enough rounds for both orders of a race to turn up, few enough for the suite's time.
inline constexpr int Rounds = 20;

inline actions::ActionRequest request(actions::ActionKind kind)
{
    actions::ActionRequest request;
    request.kind = kind;
    request.actionId = QUuid::createUuid();
    request.actor = QStringLiteral("race.tester");
    request.reason = QStringLiteral("RACE-1: concurrency test");
    request.client = QStringLiteral("tst_actionraces");
    return request;
}

inline QString jsonText(const QJsonValue &value)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact))
        .mid(1)
        .chopped(1);
}

// Runs one statement with bound values; what went wrong, or empty. The statements are the tests' own text.
inline QString exec(const QSqlDatabase &db, const QString &sql, const QVariantMap &values = {},
                    QSqlQuery *result = nullptr)
{
    QSqlQuery query(db);
    // BEGIN, COMMIT and the like cannot be prepared: a statement without values runs as it is.
    const bool ok = values.isEmpty() ? query.exec(sql) : [&] {
        if (!query.prepare(sql))
            return false;
        for (auto value = values.cbegin(); value != values.cend(); ++value)
            query.bindValue(QLatin1Char(':') + value.key(), value.value());
        return query.exec();
    }();
    if (!ok)
        return sql + QStringLiteral(": ") + query.lastError().text();
    if (result)
        *result = std::move(query);
    return {};
}

// The first column of the first row; an invalid QVariant (and a warning) when the statement fails.
inline QVariant value(const QSqlDatabase &db, const QString &sql, const QVariantMap &values = {})
{
    QSqlQuery query;
    if (const QString error = exec(db, sql, values, &query); !error.isEmpty()) {
        qWarning().noquote() << error;
        return {};
    }
    return query.next() ? query.value(0) : QVariant();
}

inline QJsonObject jsonObject(const QSqlDatabase &db, const QString &sql, const QVariantMap &values = {})
{
    return QJsonDocument::fromJson(value(db, sql, values).toString().toUtf8()).object();
}

// Users 1..count, active.
inline QString seedUsers(const QSqlDatabase &db, int count)
{
    return exec(
        db,
        QStringLiteral("INSERT INTO users (id, provider, provider_user_id, primary_email, display_name) "
                       "SELECT g, 'google', 'race' || g, 'user' || g || '@race.test', 'User ' || g "
                       "FROM generate_series(1, :n) AS g"),
        {{QStringLiteral("n"), count}});
}

// Workspaces 1..count on `plan`, with no members and nothing stored.
inline QString seedWorkspaces(const QSqlDatabase &db, int count, const QString &plan)
{
    return exec(
        db,
        QStringLiteral("INSERT INTO workspaces (id, name, slug, plan) SELECT g, 'Race ' || g, 'race-' || g, "
                       ":plan FROM generate_series(1, :n) AS g"),
        {{QStringLiteral("n"), count}, {QStringLiteral("plan"), plan}});
}

// Projects 1..count in `workspace`, each with one file per size; the workspace's counter is left alone. File
// ids come from the sequence, as the uploads' do.
inline QString seedProjects(const QSqlDatabase &db, qint64 workspace, int count, const QList<qint64> &sizes)
{
    if (QString error = exec(db,
                             QStringLiteral("INSERT INTO projects (id, workspace_id, name) SELECT g, :w, "
                                            "'Project ' || g FROM generate_series(1, :n) AS g"),
                             {{QStringLiteral("w"), workspace}, {QStringLiteral("n"), count}});
        !error.isEmpty())
        return error;
    for (qint64 size : sizes) {
        if (QString error =
                exec(db,
                     QStringLiteral("INSERT INTO files (project_id, workspace_id, name, size_bytes, "
                                    "storage_key) SELECT g, :w, 'seed-' || :size, :size, 'seed' "
                                    "FROM generate_series(1, :n) AS g"),
                     {{QStringLiteral("w"), workspace},
                      {QStringLiteral("n"), count},
                      {QStringLiteral("size"), size}});
            !error.isEmpty())
            return error;
    }
    return {};
}

inline qint64 storageUsed(const QSqlDatabase &db, qint64 workspace)
{
    return value(db, QStringLiteral("SELECT storage_used_bytes FROM workspaces WHERE id = :w"),
                 {{QStringLiteral("w"), workspace}})
        .toLongLong();
}

inline qint64 filesBytes(const QSqlDatabase &db, qint64 workspace)
{
    return value(db, QStringLiteral("SELECT coalesce(sum(size_bytes), 0) FROM files WHERE workspace_id = :w"),
                 {{QStringLiteral("w"), workspace}})
        .toLongLong();
}

inline QJsonObject workspaceRow(const QSqlDatabase &db, qint64 workspace)
{
    return jsonObject(db, QStringLiteral("SELECT to_jsonb(w) FROM workspaces AS w WHERE w.id = :w"),
                      {{QStringLiteral("w"), workspace}});
}

// The row as text, version and timestamps included: equal text means the row was not touched.
inline QString workspaceText(const QSqlDatabase &db, qint64 workspace)
{
    return value(db, QStringLiteral("SELECT to_jsonb(w)::text FROM workspaces AS w WHERE w.id = :w"),
                 {{QStringLiteral("w"), workspace}})
        .toString();
}

// The workspace's audit rows, oldest first.
inline QJsonArray auditRows(const QSqlDatabase &db, qint64 workspace)
{
    return QJsonDocument::fromJson(
               value(db,
                     QStringLiteral("SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.id), "
                                    "'[]')::text FROM audit_log AS a WHERE a.workspace_id = :w"),
                     {{QStringLiteral("w"), workspace}})
                   .toString()
                   .toUtf8())
        .array();
}

inline QJsonObject auditRow(const QSqlDatabase &db, const QUuid &actionId)
{
    return jsonObject(
        db, QStringLiteral("SELECT to_jsonb(a) FROM audit_log AS a WHERE a.action_id = CAST(:id AS uuid)"),
        {{QStringLiteral("id"), actionId.toString(QUuid::WithoutBraces)}});
}

inline int auditCountFor(const QSqlDatabase &db, const QUuid &actionId)
{
    return value(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE action_id = CAST(:id AS uuid)"),
                 {{QStringLiteral("id"), actionId.toString(QUuid::WithoutBraces)}})
        .toInt();
}

// --- Contenders ----------------------------------------------------------------------------------------

using Body = std::function<void(const QSqlDatabase &)>;

// Runs `body` on a new thread with a connection of its own, opened and closed in that thread.
inline std::unique_ptr<QThread> startWithConnection(const ConnectionSpec &spec, Body body)
{
    std::unique_ptr<QThread> thread(QThread::create([spec, body = std::move(body)] {
        DbError error;
        auto connection = Connection::open(spec, QStringLiteral("race"), &error);
        if (!connection) {
            qWarning().noquote() << "race: no connection:" << error.fullText();
            return;
        }
        body(connection->database());
    }));
    thread->start();
    return thread;
}

// Runs every body on its own thread with its own connection, and releases them together once every
// connection is open, so that they meet on the server at the same moment. Why a connection failed, or empty.
inline QString runTogether(const ConnectionSpec &spec, const std::vector<Body> &bodies)
{
    std::latch start(std::ptrdiff_t(bodies.size()));
    std::vector<QString> errors(bodies.size());
    std::vector<std::unique_ptr<QThread>> threads;
    for (size_t i = 0; i < bodies.size(); ++i) {
        threads.emplace_back(QThread::create([&, i] {
            DbError error;
            auto connection = Connection::open(spec, QStringLiteral("racer"), &error);
            if (!connection)
                errors[i] = error.fullText();
            start.arrive_and_wait();
            if (connection)
                bodies[i](connection->database());
        }));
        threads.back()->start();
    }
    QStringList failures;
    for (size_t i = 0; i < threads.size(); ++i) {
        if (!threads[i]->wait(QDeadlineTimer(120000)))
            qFatal("race: a contender is stuck for two minutes");
        if (!errors[i].isEmpty())
            failures.append(errors[i]);
    }
    return failures.join(QLatin1Char('\n'));
}

struct CtlRun {
    int exitCode = -1; // -1 when it crashed or never ran
    QString out;
    QString err;
    QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

// beaconctl's command line for `request` on the test database as `login`, with --json; `applicationName`
// tags its connection, so that pg_stat_activity shows it.
inline QStringList ctlArguments(const TestDatabase &database, const actions::ActionRequest &request,
                                const QString &applicationName = {},
                                const QString &login = QStringLiteral("postgres"))
{
    QString uri = database.spec(login).displayUri();
    if (!applicationName.isEmpty())
        uri += QStringLiteral("&application_name=") + applicationName;
    QStringList arguments = {QStringLiteral("--db"),    uri,           QStringLiteral("--json"),
                             QStringLiteral("--actor"), request.actor, actions::actionName(request.kind)};
    const auto add = [&](const char *option, const std::optional<qint64> &id) {
        if (id)
            arguments << QLatin1String(option) << QString::number(*id);
    };
    add("--workspace", request.workspaceId);
    add("--user", request.userId);
    add("--project", request.projectId);
    add("--file", request.fileId);
    add("--keep", request.keepUserId);
    add("--merge", request.mergeUserId);
    if (!request.plan.isEmpty())
        arguments << QStringLiteral("--plan") << request.plan;
    if (!request.role.isEmpty())
        arguments << QStringLiteral("--role") << request.role;
    return arguments << QStringLiteral("--reason") << request.reason << QStringLiteral("--action-id")
                     << request.actionId.toString(QUuid::WithoutBraces);
}

// Starts every command back to back, the nearest that processes come to a barrier, and waits for them all.
inline std::vector<CtlRun> runCtlTogether(const QList<QStringList> &commands)
{
    std::vector<std::unique_ptr<QProcess>> processes;
    for (const QStringList &arguments : commands) {
        processes.push_back(std::make_unique<QProcess>());
        processes.back()->start(qEnvironmentVariable("BEACONCTL"), arguments);
    }
    std::vector<CtlRun> runs(processes.size());
    for (size_t i = 0; i < processes.size(); ++i) {
        QProcess &process = *processes[i];
        if (!process.waitForStarted(10000)) {
            runs[i].err = QStringLiteral("beaconctl did not start from $BEACONCTL: ") + process.errorString();
            continue;
        }
        process.waitForFinished(120000);
        runs[i].exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        runs[i].out = QString::fromUtf8(process.readAllStandardOutput());
        runs[i].err = QString::fromUtf8(process.readAllStandardError());
    }
    return runs;
}

// What one contender got, whichever way it ran.
struct Outcome {
    bool applied = false; // applied, or already applied
    bool refused = false;
    int exitCode = -1;
    QString outcome;
    QJsonValue after;
    QString text; // for failure messages

    static Outcome of(const actions::ActionResult &result)
    {
        Outcome outcome;
        outcome.applied = result.ok();
        outcome.refused = result.error.kind == ErrorKind::Refused;
        outcome.exitCode = result.exitCode();
        outcome.outcome = result.outcome();
        outcome.after = result.after;
        outcome.text = result.outcome() + QStringLiteral(": ") +
                       (result.ok() ? result.message : result.error.fullText());
        return outcome;
    }
    static Outcome of(const CtlRun &run)
    {
        Outcome outcome;
        const QJsonObject json = run.json();
        outcome.exitCode = run.exitCode;
        outcome.applied = run.exitCode == 0;
        outcome.refused = run.exitCode == 3;
        outcome.outcome = json.value(QStringLiteral("outcome")).toString();
        outcome.after = json.value(QStringLiteral("after"));
        outcome.text = QStringLiteral("beaconctl exit %1: %2 %3").arg(run.exitCode).arg(run.out, run.err);
        return outcome;
    }
    // A statement of the backend's: refused means the team-size trigger said no.
    static Outcome ofSql(bool ok, const QSqlError &error)
    {
        Outcome outcome;
        outcome.applied = ok;
        outcome.refused = !ok && error.nativeErrorCode() == QLatin1String("BE001");
        outcome.outcome = ok ? QStringLiteral("inserted") : error.nativeErrorCode();
        outcome.text = ok ? QStringLiteral("backend insert went through") : error.text();
        return outcome;
    }
};

// --- The backend's writes ------------------------------------------------------------------------------

struct Upload {
    qint64 fileId = 0;
    QString sqlState;
    QString error;
    bool ok() const { return error.isEmpty(); }
};

// An upload as the backend makes one: lock the workspace row, insert the file, add its bytes, commit.
// `beforeCommit` runs with the lock held and the file inserted.
inline Upload upload(const QSqlDatabase &db, qint64 workspace, qint64 project, qint64 bytes,
                     const std::function<void()> &beforeCommit = {})
{
    Upload made;
    const QVariantMap values = {{QStringLiteral("w"), workspace}, {QStringLiteral("size"), bytes}};
    const auto step = [&](const QString &sql, const QVariantMap &bound, QSqlQuery *result = nullptr) {
        QSqlQuery query(db);
        if (bound.isEmpty() ? query.exec(sql) : [&] {
                query.prepare(sql);
                for (auto value = bound.cbegin(); value != bound.cend(); ++value)
                    query.bindValue(QLatin1Char(':') + value.key(), value.value());
                return query.exec();
            }()) {
            if (result)
                *result = std::move(query);
            return true;
        }
        made.sqlState = query.lastError().nativeErrorCode();
        made.error = query.lastError().text();
        QSqlQuery(db).exec(QStringLiteral("ROLLBACK"));
        return false;
    };
    QSqlQuery inserted;
    if (!step(QStringLiteral("BEGIN"), {}) ||
        !step(QStringLiteral("SELECT id FROM workspaces WHERE id = :w FOR UPDATE"),
              {{QStringLiteral("w"), workspace}}) ||
        !step(QStringLiteral("INSERT INTO files (project_id, workspace_id, name, size_bytes, storage_key) "
                             "VALUES (:p, :w, 'upload', :size, 'uploads/' || :size) RETURNING id"),
              {{QStringLiteral("p"), project},
               {QStringLiteral("w"), workspace},
               {QStringLiteral("size"), bytes}},
              &inserted))
        return made;
    made.fileId = inserted.next() ? inserted.value(0).toLongLong() : 0;
    inserted = QSqlQuery();
    if (!step(QStringLiteral(
                  "UPDATE workspaces SET storage_used_bytes = storage_used_bytes + :size WHERE id = :w"),
              values))
        return made;
    if (beforeCommit)
        beforeCommit();
    step(QStringLiteral("COMMIT"), {});
    return made;
}

// A Stripe webhook handler's write: the subscription's status and period end, in its own transaction, with or
// without locking the row first. What went wrong, or empty.
inline QString webhook(const QSqlDatabase &db, qint64 workspace, bool lockFirst, const QString &status,
                       const QString &periodEnd)
{
    QString error = exec(db, QStringLiteral("BEGIN"));
    if (error.isEmpty() && lockFirst)
        error = exec(db, QStringLiteral("SELECT id FROM workspaces WHERE id = :w FOR UPDATE"),
                     {{QStringLiteral("w"), workspace}});
    if (error.isEmpty())
        error =
            exec(db,
                 QStringLiteral("UPDATE workspaces SET subscription_status = :status, current_period_end = "
                                "CAST(:end AS timestamptz) WHERE id = :w"),
                 {{QStringLiteral("status"), status},
                  {QStringLiteral("end"), periodEnd},
                  {QStringLiteral("w"), workspace}});
    if (error.isEmpty())
        return exec(db, QStringLiteral("COMMIT"));
    exec(db, QStringLiteral("ROLLBACK"));
    return error;
}

// --- Watching the server -------------------------------------------------------------------------------

// Polls `condition` (a query yielding true or false) until it holds or ten seconds pass.
inline bool waitUntil(const QSqlDatabase &db, const QString &condition, const QVariantMap &values = {})
{
    const QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired()) {
        if (value(db, condition, values).toBool())
            return true;
        QThread::msleep(2);
    }
    return false;
}

// True once `count` sessions of this database wait on a lock.
inline bool waitForLockWaiters(const QSqlDatabase &db, int count)
{
    return waitUntil(db,
                     QStringLiteral("SELECT count(*) >= :n FROM pg_stat_activity WHERE datname = "
                                    "current_database() AND wait_event_type = 'Lock'"),
                     {{QStringLiteral("n"), count}});
}

// True once a session named `application` is connected.
inline bool waitForApplication(const QSqlDatabase &db, const QString &application)
{
    return waitUntil(
        db, QStringLiteral("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = :name)"),
        {{QStringLiteral("name"), application}});
}

// The server process of the session named `application` once it waits on a lock `holderPid` holds; 0 if
// it never does.
inline int waitForLockWaiterOf(const QSqlDatabase &db, const QString &application, int holderPid)
{
    const QString sql =
        QStringLiteral("SELECT pid FROM pg_stat_activity WHERE application_name = :name AND "
                       "wait_event_type = 'Lock' AND CAST(:holder AS int) = ANY (pg_blocking_pids(pid))");
    const QVariantMap values = {{QStringLiteral("name"), application}, {QStringLiteral("holder"), holderPid}};
    if (!waitUntil(db, QStringLiteral("SELECT EXISTS (%1)").arg(sql), values))
        return 0;
    return value(db, sql, values).toInt();
}

inline bool waitForBackendGone(const QSqlDatabase &db, int pid)
{
    return waitUntil(db,
                     QStringLiteral("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = :pid)"),
                     {{QStringLiteral("pid"), pid}});
}

// Another session holding one workspace row FOR UPDATE, as the backend does mid-transaction, until release().
class RowLock {
public:
    RowLock(const ConnectionSpec &spec, qint64 workspace)
    {
        DbError error;
        m_connection = Connection::open(spec, QStringLiteral("rowlock"), &error);
        if (!m_connection) {
            m_error = error.fullText();
            return;
        }
        m_error = exec(m_connection->database(), QStringLiteral("BEGIN"));
        if (m_error.isEmpty())
            m_error = exec(m_connection->database(),
                           QStringLiteral("SELECT id FROM workspaces WHERE id = :w FOR UPDATE"),
                           {{QStringLiteral("w"), workspace}});
        m_held = m_error.isEmpty();
    }
    ~RowLock() { release(); }
    RowLock(const RowLock &) = delete;
    RowLock &operator=(const RowLock &) = delete;

    bool isHeld() const { return m_held; }
    QString error() const { return m_error; }
    int backendPid() const { return m_connection ? m_connection->backendPid() : 0; }
    void release()
    {
        if (m_held)
            exec(m_connection->database(), QStringLiteral("ROLLBACK"));
        m_held = false;
    }

private:
    std::unique_ptr<Connection> m_connection;
    QString m_error;
    bool m_held = false;
};

} // namespace beacon::test

// Fails the test with the text of a helper's error.
#define QVERIFY_NO_ERROR(expression)                                                                         \
    do {                                                                                                     \
        const QString error_ = (expression);                                                                 \
        QVERIFY2(error_.isEmpty(), qPrintable(error_));                                                      \
    } while (false)
