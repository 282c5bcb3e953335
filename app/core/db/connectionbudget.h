#pragma once

#include "db/dbworker.h"

#include <QObject>
#include <QSet>

#include <array>
#include <chrono>

namespace beacon {

// What a connection of a window is for. Each has one DbWorker, so a window never holds more than these.
enum class DbLane {
    Browse,  // the tables of the pages: one page is read at a time
    Detail,  // the detail panes, the summaries, quick open and the audit entry
    Actions, // previews and admin actions, which may wait on locks
    Listen,  // LISTEN for changed rows: the one connection left open when the window is idle
};

// The database connections of one window: a small, fixed set shared by every model, page and dialog in it,
// instead of a connection (and a login) per table. Each lane's connection opens on first use and closes
// after idleClose() without work; the Listen lane stays open while anything listens. A request on a shared
// connection waits its turn behind the ones before it; a superseding request of the same client cancels
// its own older one (DbRequester).
class ConnectionBudget : public QObject {
    Q_OBJECT
public:
    static constexpr int LaneCount = 4;

    explicit ConnectionBudget(ConnectionSpec spec, QObject *parent = nullptr);
    // Cancels the statements still running on the server, then waits for the lanes' threads to end; call
    // shutDown(InBackground) first where nothing may wait.
    ~ConnectionBudget() override;

    const ConnectionSpec &spec() const { return m_spec; }
    // The lane's worker, started on first use; its connection opens with its first job.
    DbWorker *worker(DbLane lane);

    // Rows changed on the server: NOTIFY on `channel`, heard on the Listen lane, arrives as notified().
    // listening() says when the server listens (or could not be asked to).
    void listen(const QString &channel);
    // Whether listen(channel) has been answered, either way: a reader waits for it before its first read,
    // so that no change between the read and the LISTEN is missed.
    bool isListenAnswered(const QString &channel) const { return m_listenAnswered.contains(channel); }

    // Applies to every lane, now and later.
    void setIdleClose(std::chrono::milliseconds idleClose);
    std::chrono::milliseconds idleClose() const { return m_idleClose; }
    // Connections open now, over all lanes.
    int openConnections() const;

    // Stops every lane. Wait blocks until their running jobs have returned.
    void shutDown(DbWorker::Shutdown how);

signals:
    void notified(const QString &channel, const QString &payload);
    void listening(const QString &channel, bool ok);

private:
    ConnectionSpec m_spec;
    std::chrono::milliseconds m_idleClose = DbWorker::DefaultIdleClose;
    std::array<DbWorker *, LaneCount> m_workers{};
    QSet<QString> m_listenAnswered;
};

QString laneName(DbLane lane);

} // namespace beacon
