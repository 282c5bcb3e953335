#pragma once

#include "db/connectionspec.h"
#include "db/dberror.h"

#include <QObject>
#include <QPointer>
#include <QSqlDatabase>
#include <QStringList>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

class QThread;

namespace beacon {

// A request's place in the stream of requests one client (a model, a dialog) sends: the client's newest
// ticket is the one it still wants. Every older request is superseded: if it is still queued it is skipped
// unrun, if it is running its statement is cancelled on the server, and its reply is dropped. "Superseded"
// is never an error; a client counts its dropped replies (DbRequester::replyDropped).
using DbTicket = quint64;

// What a client's requests and the worker running them share: the newest ticket. Held by shared_ptr, so it
// outlives whichever of them goes first.
struct TicketStream {
    std::atomic<DbTicket> latest{1};
    bool isCurrent(DbTicket ticket) const { return ticket == latest.load(); }
};

// The one way to run database work off the GUI thread: one connection on a thread of its own, running jobs
// one after another in the order they were posted, so that a request on a shared connection waits its turn.
//
// Why a QThread with a worker object moved to it, and not QtConcurrent::run(): a QSqlDatabase connection
// belongs to the thread that opened it, and a pool thread changes from one run to the next, so each run
// would have to log in again. The connection must also stay on one thread with an event loop for LISTEN,
// whose notifications QPSQL delivers through that thread's socket notifier.
//
// The connection opens with the first job and closes once it has been idle for idleClose() (unless it is
// listening), so a window that is left alone holds no session on the server.
//
// One rule for running a job again, in one place (run()): a job whose statement failed with 57014
// (query_canceled) while it is still wanted, when one of our own cancels was under way during its run, was
// hit by a cancel meant for the request before it; it runs once more. A 57014 with no cancel of ours under
// way is a statement timeout or an administrator's cancel, and is reported. A job that failed because the
// connection was found dead runs once more on a new connection if it is Repeat::Safe and the dead
// connection was an old one (a session dropped while idle).
class DbWorker : public QObject {
    Q_OBJECT
public:
    // Runs on the worker's thread with the open connection. It may run twice (see above), so it starts
    // from scratch each time.
    using Work = std::function<DbError(const QSqlDatabase &db)>;
    // Runs on the worker's thread when the job is over: its error, or `superseded` (then the error means
    // nothing) when it was skipped or its ticket is no longer the newest.
    using Finish = std::function<void(const DbError &error, bool superseded)>;
    // Whether a job may run again on a new connection after the old one was found dead: reads may, a change
    // may not (the action engine has its own idempotent retry through the action id).
    enum class Repeat { Safe, Never };

    static constexpr std::chrono::milliseconds DefaultIdleClose{60000};

    // `purpose` names the connection in application_name and in the thread's name.
    DbWorker(ConnectionSpec spec, QString purpose, QObject *parent = nullptr);
    // Never waits, unless shutDown(Wait) ran before: a statement still running is cancelled on the server,
    // and the thread finishes (and deletes itself) once it returns. Replies still to come are dropped.
    ~DbWorker() override;

    enum class Shutdown { InBackground, Wait };
    // Stops the worker: nothing more is run, the connection closes. Wait blocks until the running job has
    // returned (at exit, before the server it talks to is stopped).
    void shutDown(Shutdown how);

    // Thread-safe. Queues a job of `stream`; it is skipped if `ticket` is no longer the newest by then.
    void post(std::shared_ptr<TicketStream> stream, DbTicket ticket, Repeat repeat, Work work, Finish finish);
    // Cancels on the server the statement running for `stream`, if it runs for an older ticket than the
    // newest. Never waits: the cancel request goes from a pool thread.
    void cancelStale(const std::shared_ptr<TicketStream> &stream);

    // Listens on the channel from now on, on this worker's connection (opened now if need be); while
    // anything is listened to, the connection is not closed when idle. notified() reports each NOTIFY.
    void listen(const QString &channel);

    void setIdleClose(std::chrono::milliseconds idleClose);
    std::chrono::milliseconds idleClose() const;
    const ConnectionSpec &spec() const { return m_spec; }
    QString purpose() const { return m_purpose; }
    // Whether the connection is open now, and how many times one was opened: for tests and beacon-bench.
    bool isConnectionOpen() const;
    int connectionsOpened() const;
    // The server process of the open connection, 0 if none.
    int backendPid() const;

signals:
    // From the worker's thread; connect with a queued or auto connection.
    void notified(const QString &channel, const QString &payload);
    // The server now listens on the channel for us, or (ok false) could not be asked to.
    void listening(const QString &channel, bool ok);
    void connectionOpenChanged(bool open);

private:
    class Runner;
    struct Shared;

    ConnectionSpec m_spec;
    QString m_purpose;
    QThread *m_thread = nullptr;
    QPointer<Runner> m_runner;
    std::shared_ptr<Shared> m_shared;
};

// A client's side of the worker, on the client's thread: it hands out tickets, posts jobs, and delivers
// each reply to the client only while its ticket is still the newest. Everything else is dropped and
// counted, never reported as an error.
class DbRequester : public QObject {
    Q_OBJECT
public:
    explicit DbRequester(QObject *parent = nullptr);
    ~DbRequester() override;

    // The worker this client's requests go to from now on (or none); everything asked before is superseded.
    void setWorker(DbWorker *worker);
    DbWorker *worker() const { return m_worker; }
    bool hasWorker() const { return m_worker != nullptr; }

    // Starts a new request: every request asked before is superseded (skipped if queued, cancelled on the
    // server if running, its reply dropped). Returns the new request's ticket.
    DbTicket supersede();
    // The newest ticket, for more jobs of the same request (the next block of rows of the same reset).
    DbTicket latest() const { return m_stream->latest.load(); }
    bool isCurrent(DbTicket ticket) const { return m_stream->isCurrent(ticket); }

    // Runs `work` on the worker and hands its reply and error to `done` on this object's thread, if `ticket`
    // is still the newest when the reply arrives; otherwise the reply is dropped. `work` starts from a
    // default Reply each time it runs. Without a worker, `done` gets an "unavailable" error.
    template <typename Reply>
    void run(DbTicket ticket, std::function<DbError(const QSqlDatabase &, Reply &)> work,
             std::function<void(Reply, DbError)> done, DbWorker::Repeat repeat = DbWorker::Repeat::Safe)
    {
        auto reply = std::make_shared<Reply>();
        post(
            ticket, repeat,
            [work = std::move(work), reply](const QSqlDatabase &db) {
                *reply = Reply{};
                return work(db, *reply);
            },
            [reply, done = std::move(done)](const DbError &error) { done(std::move(*reply), error); });
    }

    // Replies dropped because a newer request superseded theirs.
    int droppedReplies() const { return m_dropped; }
    // Requests posted whose reply has not arrived or been dropped yet.
    int pending() const { return m_pending; }

signals:
    void replyDropped();

private:
    void post(DbTicket ticket, DbWorker::Repeat repeat, DbWorker::Work work,
              std::function<void(const DbError &)> deliver);
    void arrived(DbTicket ticket, bool superseded, const DbError &error,
                 const std::function<void(const DbError &)> &deliver);

    QPointer<DbWorker> m_worker;
    std::shared_ptr<TicketStream> m_stream = std::make_shared<TicketStream>();
    int m_dropped = 0;
    int m_pending = 0;
};

} // namespace beacon
