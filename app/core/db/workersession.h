#pragma once

#include "db/connectionspec.h"

#include <QtGlobal>

#include <atomic>
#include <memory>

namespace beacon {

// What a model on the GUI thread, its worker thread and a cancel request share about the worker's one
// database session. Held by shared_ptr, so it outlives whichever of them goes first.
struct WorkerSession {
    std::atomic<quint64> latestGeneration{0};  // the model's current request
    std::atomic<quint64> runningGeneration{0}; // the request whose statement is on the server now, 0 if none
    // pg_cancel_backend calls begun and completed: a statement that fails with 57014 while none of ours was
    // under way was stopped by a statement timeout or an administrator, not by us.
    std::atomic<quint64> cancelsStarted{0};
    std::atomic<quint64> cancelsFinished{0};
    std::atomic<int> backendPid{0};

    // Stops, on the server, the statement still running for a request older than `current`: nobody wants
    // its answer. The cancel opens a connection of its own, so it runs on a pool thread, and looks again
    // just before it fires so that it hits the stale statement and not the one that replaced it. If it
    // still does, the worker is expected to run the wanted request once more.
    static void cancelStale(const std::shared_ptr<WorkerSession> &session, const ConnectionSpec &spec,
                            quint64 current);
};

} // namespace beacon
