#include "db/workersession.h"

#include "db/database.h"

#include <QThreadPool>

namespace beacon {

void WorkerSession::cancelStale(const std::shared_ptr<WorkerSession> &session, const ConnectionSpec &spec,
                                quint64 current)
{
    if (!session)
        return;
    const quint64 running = session->runningGeneration.load();
    if (running == 0 || running == current)
        return;
    QThreadPool::globalInstance()->start([session, spec, running] {
        if (session->runningGeneration.load() != running)
            return;
        ++session->cancelsStarted;
        cancelBackend(spec, session->backendPid.load());
        ++session->cancelsFinished;
    });
}

} // namespace beacon
