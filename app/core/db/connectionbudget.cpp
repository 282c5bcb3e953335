#include "db/connectionbudget.h"

namespace beacon {

QString laneName(DbLane lane)
{
    switch (lane) {
    case DbLane::Browse:
        return QStringLiteral("browse");
    case DbLane::Detail:
        return QStringLiteral("detail");
    case DbLane::Actions:
        return QStringLiteral("actions");
    case DbLane::Listen:
        return QStringLiteral("listen");
    }
    return QStringLiteral("other");
}

ConnectionBudget::ConnectionBudget(ConnectionSpec spec, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
{}

ConnectionBudget::~ConnectionBudget()
{
    // The window is going: its running statements are cancelled on the server first, so the wait is short.
    // Threads left running past the application's end would outlive Qt's SQL driver registry.
    shutDown(DbWorker::Shutdown::Wait);
}

DbWorker *ConnectionBudget::worker(DbLane lane)
{
    DbWorker *&worker = m_workers.at(size_t(lane));
    if (!worker) {
        worker = new DbWorker(m_spec, laneName(lane), this);
        worker->setIdleClose(m_idleClose);
        if (lane == DbLane::Listen) {
            connect(worker, &DbWorker::notified, this, &ConnectionBudget::notified);
            connect(worker, &DbWorker::listening, this, [this](const QString &channel, bool ok) {
                m_listenAnswered.insert(channel);
                emit listening(channel, ok);
            });
        }
    }
    return worker;
}

void ConnectionBudget::listen(const QString &channel)
{
    worker(DbLane::Listen)->listen(channel);
}

void ConnectionBudget::setIdleClose(std::chrono::milliseconds idleClose)
{
    m_idleClose = idleClose;
    for (DbWorker *worker : m_workers) {
        if (worker)
            worker->setIdleClose(idleClose);
    }
}

int ConnectionBudget::openConnections() const
{
    int open = 0;
    for (const DbWorker *worker : m_workers)
        open += worker && worker->isConnectionOpen() ? 1 : 0;
    return open;
}

void ConnectionBudget::shutDown(DbWorker::Shutdown how)
{
    for (DbWorker *&worker : m_workers) {
        if (!worker)
            continue;
        worker->shutDown(how);
        delete worker;
        worker = nullptr;
    }
}

} // namespace beacon
