#pragma once

// The backend's traffic during the stress test: pgbench running the backend's own statements (the scripts in
// tests/stress/pgbench, from the backend's storage, billing, invitation and AI usage code) as the table
// owner, the way the backend connects. A fault (a restart) ends pgbench's clients; the load is then started
// again until the deadline, and only a run that no fault touched must end cleanly.

#include <QDeadlineTimer>
#include <QProcess>
#include <QStringList>

#include <memory>

namespace beacon::stress {

class StressServer;

class BackendLoad {
public:
    BackendLoad(const StressServer &server, int clients, int transactionsPerSecond);
    ~BackendLoad();
    BackendLoad(const BackendLoad &) = delete;
    BackendLoad &operator=(const BackendLoad &) = delete;

    // Runs pgbench until `deadline`, started again whenever a run ends early; call poll() often.
    void start(QDeadlineTimer deadline);
    void poll();
    // A fault that may end pgbench's clients is being injected now (a restart).
    void noteFault() { m_disturbed = true; }
    // Waits for the last run to end at the deadline.
    void finish();

    qint64 transactions() const { return m_transactions; }
    int runs() const { return m_runs; }
    // Runs that ended in an error with no fault to explain it: the backend's own load broke.
    QStringList failures() const { return m_failures; }

private:
    void launch();
    void collect();

    const StressServer &m_server;
    int m_clients;
    int m_rate;
    QDeadlineTimer m_deadline;
    std::unique_ptr<QProcess> m_process;
    bool m_disturbed = false;
    qint64 m_transactions = 0;
    int m_runs = 0;
    QStringList m_failures;
};

} // namespace beacon::stress
