#include "db/dbworker.h"

#include "db/database.h"

#include <QMutex>
#include <QSqlDriver>
#include <QThread>
#include <QThreadPool>
#include <QTimer>
#include <QVariant>

#include <libpq-fe.h>

namespace beacon {

// What the worker's owner, its thread and the pool thread sending a cancel share.
struct DbWorker::Shared {
    std::atomic<int> idleCloseMs{int(DefaultIdleClose.count())};
    std::atomic<bool> open{false};
    std::atomic<int> opened{0};
    std::atomic<int> backendPid{0};
    std::atomic<bool> stopping{false};
    // Cancel requests begun and completed. A 57014 while one was under way may have been meant for the job
    // before; with none under way, it came from a statement timeout or an administrator.
    std::atomic<quint64> cancelsStarted{0};
    std::atomic<quint64> cancelsFinished{0};

    // The job on the server now: whose it is, for which ticket, and how to stop it.
    QMutex mutex;
    std::shared_ptr<TicketStream> runningStream;
    DbTicket runningTicket = 0;
    quint64 runningSerial = 0; // counts jobs run, so that a late cancel can tell its job from the next
    std::shared_ptr<ServerCancel> cancel;

    // The owner, until it shuts the worker down; its signals are emitted from the worker's thread, which Qt
    // allows, under this lock so that the owner cannot go away meanwhile.
    QMutex ownerMutex;
    DbWorker *owner = nullptr;

    template <typename Emit> void toOwner(Emit emitOnOwner)
    {
        const QMutexLocker lock(&ownerMutex);
        if (owner)
            emitOnOwner(owner);
    }
};

// Lives on the worker's thread and owns its connection.
class DbWorker::Runner : public QObject {
public:
    Runner(ConnectionSpec spec, QString purpose, std::shared_ptr<Shared> shared)
        : m_spec(std::move(spec))
        , m_purpose(std::move(purpose))
        , m_shared(std::move(shared))
    {}

    ~Runner() override { close(); }

    void run(const std::shared_ptr<TicketStream> &stream, DbTicket ticket, Repeat repeat, const Work &work,
             const Finish &finish)
    {
        if (m_shared->stopping.load() || !stream->isCurrent(ticket)) {
            finish({}, true);
            return;
        }
        m_idleTimer.stop();
        const bool reused = m_connection != nullptr;
        DbError error;
        for (int attempt = 0;; ++attempt) {
            if (DbError openError = ensureOpen()) {
                error = openError;
                break;
            }
            const quint64 startedBefore = beginRun(stream, ticket);
            const quint64 finishedBefore = m_shared->cancelsFinished.load();
            error = work(m_connection->database());
            endRun();
            if (!stream->isCurrent(ticket))
                break;
            const bool cancelOfOursUnderWay =
                startedBefore != finishedBefore || m_shared->cancelsStarted.load() != startedBefore;
            if (attempt == 0 && error.sqlState == QLatin1String("57014") && cancelOfOursUnderWay)
                continue;
            // Whatever the error says (QPSQL often words a dead session as an unexpected one), a dead
            // connection is not used again.
            if (error && connectionLost()) {
                close();
                if (attempt == 0 && reused && repeat == Repeat::Safe)
                    continue;
            }
            break;
        }
        finish(error, !stream->isCurrent(ticket));
        restartIdleTimer();
    }

    void listen(const QString &channel)
    {
        if (m_channels.contains(channel))
            return;
        m_channels.append(channel);
        if (m_connection) {
            subscribe(channel);
        } else if (ensureOpen()) { // subscribes to every channel once open
            m_shared->toOwner([&](DbWorker *owner) { emit owner->listening(channel, false); });
        }
    }

    void setUpTimer()
    {
        m_idleTimer.setSingleShot(true);
        connect(&m_idleTimer, &QTimer::timeout, this, [this] {
            if (m_channels.isEmpty())
                close();
        });
    }

private:
    DbError ensureOpen()
    {
        if (m_connection)
            return {};
        DbError error;
        m_connection = Connection::open(m_spec, m_purpose, &error);
        if (!m_connection)
            return error;
        {
            const QMutexLocker lock(&m_shared->mutex);
            m_shared->cancel = m_connection->serverCancel();
        }
        m_shared->backendPid = m_connection->backendPid();
        ++m_shared->opened;
        m_shared->open = true;
        m_shared->toOwner([](DbWorker *owner) { emit owner->connectionOpenChanged(true); });
        const QStringList channels = m_channels;
        for (const QString &channel : channels)
            subscribe(channel);
        return {};
    }

    void subscribe(const QString &channel)
    {
        QSqlDriver *driver = m_connection->database().driver();
        const bool ok = driver->subscribeToNotification(channel);
        m_shared->toOwner([&](DbWorker *owner) { emit owner->listening(channel, ok); });
        if (!ok) {
            qWarning("DbWorker: could not listen on %s", qPrintable(channel));
            return;
        }
        if (m_notificationsConnected)
            return;
        m_notificationsConnected = true;
        connect(driver, &QSqlDriver::notification, this,
                [this](const QString &name, QSqlDriver::NotificationSource, const QVariant &payload) {
                    const QString text = payload.toString();
                    m_shared->toOwner([&](DbWorker *owner) { emit owner->notified(name, text); });
                });
    }

    void close()
    {
        if (!m_connection)
            return;
        {
            const QMutexLocker lock(&m_shared->mutex);
            m_shared->cancel.reset();
        }
        m_notificationsConnected = false;
        m_connection.reset();
        m_shared->backendPid = 0;
        m_shared->open = false;
        m_shared->toOwner([](DbWorker *owner) { emit owner->connectionOpenChanged(false); });
    }

    quint64 beginRun(const std::shared_ptr<TicketStream> &stream, DbTicket ticket)
    {
        const QMutexLocker lock(&m_shared->mutex);
        m_shared->runningStream = stream;
        m_shared->runningTicket = ticket;
        ++m_shared->runningSerial;
        return m_shared->cancelsStarted.load();
    }

    void endRun()
    {
        const QMutexLocker lock(&m_shared->mutex);
        m_shared->runningStream.reset();
        m_shared->runningTicket = 0;
    }

    // QPSQL does not say that a statement failed because the session is gone; libpq's status does.
    bool connectionLost() const
    {
        const QSqlDatabase db = m_connection ? m_connection->database() : QSqlDatabase();
        if (!db.isOpen())
            return true;
        PGconn *conn = libpqConnection(db);
        return !conn || PQstatus(conn) != CONNECTION_OK;
    }

    void restartIdleTimer()
    {
        if (m_connection && m_channels.isEmpty())
            m_idleTimer.start(m_shared->idleCloseMs.load());
    }

    ConnectionSpec m_spec;
    QString m_purpose;
    std::shared_ptr<Shared> m_shared;
    std::unique_ptr<Connection> m_connection;
    QStringList m_channels;
    bool m_notificationsConnected = false;
    QTimer m_idleTimer{this};
};

DbWorker::DbWorker(ConnectionSpec spec, QString purpose, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_purpose(std::move(purpose))
    , m_shared(std::make_shared<Shared>())
{
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("db-%1").arg(m_purpose));
    m_shared->owner = this;
    auto *runner = new Runner(m_spec, m_purpose, m_shared);
    runner->moveToThread(m_thread);
    m_runner = runner;
    connect(m_thread, &QThread::started, runner, [runner] { runner->setUpTimer(); });
    // The runner and its connection go on their own thread as it finishes; the thread object follows.
    connect(m_thread, &QThread::finished, runner, &QObject::deleteLater);
    connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
    m_thread->start();
}

DbWorker::~DbWorker()
{
    shutDown(Shutdown::InBackground);
}

void DbWorker::shutDown(Shutdown how)
{
    if (!m_thread)
        return;
    m_shared->stopping = true;
    // Nobody wants the running statement's answer now: stop it, so that its thread ends soon.
    std::shared_ptr<ServerCancel> cancel;
    {
        const QMutexLocker lock(&m_shared->mutex);
        if (m_shared->runningStream)
            cancel = m_shared->cancel;
    }
    if (cancel)
        QThreadPool::globalInstance()->start([cancel] { cancel->send(); });
    {
        // The runner must not reach this object once it is gone.
        const QMutexLocker lock(&m_shared->ownerMutex);
        m_shared->owner = nullptr;
    }
    QThread *thread = m_thread;
    m_thread = nullptr;
    if (how == Shutdown::Wait) {
        // Without the deleteLater connection's help, the thread is deleted here, after it has finished.
        disconnect(thread, &QThread::finished, thread, nullptr);
        thread->quit();
        thread->wait();
        delete thread;
    } else {
        thread->quit();
    }
    m_shared->open = false;
}

void DbWorker::post(std::shared_ptr<TicketStream> stream, DbTicket ticket, Repeat repeat, Work work,
                    Finish finish)
{
    Runner *runner = m_runner;
    if (!runner || !m_thread) {
        finish(DbError::make(ErrorKind::Unavailable, tr("The connection to the database has been closed.")),
               false);
        return;
    }
    QMetaObject::invokeMethod(
        runner,
        [runner, stream = std::move(stream), ticket, repeat, work = std::move(work),
         finish = std::move(finish)] { runner->run(stream, ticket, repeat, work, finish); },
        Qt::QueuedConnection);
}

void DbWorker::cancelStale(const std::shared_ptr<TicketStream> &stream)
{
    std::shared_ptr<ServerCancel> cancel;
    quint64 serial = 0;
    {
        const QMutexLocker lock(&m_shared->mutex);
        if (m_shared->runningStream != stream || stream->isCurrent(m_shared->runningTicket))
            return;
        cancel = m_shared->cancel;
        serial = m_shared->runningSerial;
    }
    if (!cancel)
        return;
    // PQcancel waits for the server to take the request: never on the GUI thread, and the worker's own
    // thread is busy with the statement, so a pool thread sends it.
    QThreadPool::globalInstance()->start([shared = m_shared, cancel, serial] {
        {
            // Looked at again just before it fires, so that it hits the stale statement and not the next.
            const QMutexLocker lock(&shared->mutex);
            if (shared->runningSerial != serial || !shared->runningStream)
                return;
            ++shared->cancelsStarted;
        }
        cancel->send();
        ++shared->cancelsFinished;
    });
}

void DbWorker::listen(const QString &channel)
{
    Runner *runner = m_runner;
    if (!runner || !m_thread)
        return;
    QMetaObject::invokeMethod(
        runner, [runner, channel] { runner->listen(channel); }, Qt::QueuedConnection);
}

std::chrono::milliseconds DbWorker::idleClose() const
{
    return std::chrono::milliseconds(m_shared->idleCloseMs.load());
}

bool DbWorker::isConnectionOpen() const
{
    return m_shared->open.load();
}

int DbWorker::connectionsOpened() const
{
    return m_shared->opened.load();
}

int DbWorker::backendPid() const
{
    return m_shared->backendPid.load();
}

void DbWorker::setIdleClose(std::chrono::milliseconds idleClose)
{
    m_shared->idleCloseMs = int(idleClose.count());
}

DbRequester::DbRequester(QObject *parent)
    : QObject(parent)
{}

DbRequester::~DbRequester()
{
    // Whatever is still queued or running for this client is of no use to anyone.
    supersede();
}

void DbRequester::setWorker(DbWorker *worker)
{
    supersede();
    m_worker = worker;
}

DbTicket DbRequester::supersede()
{
    const DbTicket ticket = ++m_stream->latest;
    if (m_worker)
        m_worker->cancelStale(m_stream);
    return ticket;
}

void DbRequester::post(DbTicket ticket, DbWorker::Repeat repeat, DbWorker::Work work,
                       std::function<void(const DbError &)> deliver)
{
    ++m_pending;
    QPointer<DbRequester> self(this);
    auto finish = [self, ticket, deliver](const DbError &error, bool superseded) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, ticket, superseded, error, deliver] {
                if (self)
                    self->arrived(ticket, superseded, error, deliver);
            },
            Qt::QueuedConnection);
    };
    if (!m_worker) {
        finish(DbError::make(ErrorKind::Unavailable, tr("Not connected to a database.")), false);
        return;
    }
    m_worker->post(m_stream, ticket, repeat, std::move(work), std::move(finish));
}

void DbRequester::arrived(DbTicket ticket, bool superseded, const DbError &error,
                          const std::function<void(const DbError &)> &deliver)
{
    --m_pending;
    // Checked again here: a newer request may have come while this reply was on its way.
    if (superseded || !isCurrent(ticket)) {
        ++m_dropped;
        emit replyDropped();
        return;
    }
    deliver(error);
}

} // namespace beacon
