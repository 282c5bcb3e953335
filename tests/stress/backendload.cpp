#include "backendload.h"

#include "stressserver.h"

#include "db/localcluster.h"

#include <QRegularExpression>

namespace beacon::stress {

namespace {

// Each script with its weight: roughly the mix of a busy afternoon, AI metering and uploads the most often.
const QList<std::pair<const char *, int>> &scripts()
{
    static const QList<std::pair<const char *, int>> list = {
        {"upload.sql", 4}, {"delete.sql", 3}, {"project.sql", 1}, {"webhook.sql", 2},
        {"invite.sql", 3}, {"leave.sql", 2},  {"ai_usage.sql", 5}};
    return list;
}

} // namespace

BackendLoad::BackendLoad(const StressServer &server, int clients, int transactionsPerSecond)
    : m_server(server)
    , m_clients(clients)
    , m_rate(transactionsPerSecond)
{}

BackendLoad::~BackendLoad()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

void BackendLoad::start(QDeadlineTimer deadline)
{
    m_deadline = deadline;
    launch();
}

void BackendLoad::launch()
{
    const qint64 seconds = m_deadline.remainingTime() / 1000;
    if (seconds < 1)
        return;
    QStringList arguments = {
        QStringLiteral("--no-vacuum"), QStringLiteral("--protocol=prepared"),
        QStringLiteral("--client=%1").arg(m_clients), QStringLiteral("--jobs=1"),
        // Paced, so that the actions and the rest of the suite keep a share of the
        // machine's two cores.
        QStringLiteral("--rate=%1").arg(m_rate), QStringLiteral("--time=%1").arg(seconds),
        QStringLiteral("--host=%1").arg(m_server.socketDirectory()),
        QStringLiteral("--port=%1").arg(m_server.port()), QStringLiteral("--username=postgres"),
        QStringLiteral("--define=workspaces=%1").arg(StressData::Workspaces),
        QStringLiteral("--define=users=%1").arg(StressData::Users)};
    for (const auto &[script, weight] : scripts())
        arguments << QStringLiteral("--file=%1/%2@%3")
                         .arg(QStringLiteral(BEACON_STRESS_PGBENCH_DIR), QLatin1String(script))
                         .arg(weight);
    arguments << StressServer::databaseName();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_disturbed = false;
    ++m_runs;
    m_process->start(LocalCluster::serverBinDirectory() + QStringLiteral("/pgbench"), arguments);
}

void BackendLoad::collect()
{
    const QString output = QString::fromLocal8Bit(m_process->readAll());
    const QRegularExpressionMatch processed =
        QRegularExpression(QStringLiteral("number of transactions actually processed: (\\d+)")).match(output);
    if (processed.hasMatch())
        m_transactions += processed.captured(1).toLongLong();
    const bool clean = m_process->exitStatus() == QProcess::NormalExit && m_process->exitCode() == 0;
    if (!clean && !m_disturbed)
        m_failures << QStringLiteral("pgbench run %1 ended with exit code %2 and no fault to explain it: %3")
                          .arg(m_runs)
                          .arg(m_process->exitCode())
                          .arg(output.right(2000));
    m_process.reset();
}

void BackendLoad::poll()
{
    if (!m_process)
        return;
    if (m_process->state() == QProcess::NotRunning || m_process->waitForFinished(0)) {
        if (m_process->error() == QProcess::FailedToStart) {
            m_failures << QStringLiteral("pgbench did not start: ") + m_process->errorString();
            m_process.reset();
            return;
        }
        collect();
        launch();
    }
}

void BackendLoad::finish()
{
    if (!m_process)
        return;
    // --time ends it at the deadline; the grace covers a run started late.
    if (!m_process->waitForFinished(int(m_deadline.remainingTime()) + 30000)) {
        m_process->kill();
        m_process->waitForFinished(5000);
        m_failures << QStringLiteral("pgbench did not stop at its --time");
    }
    collect();
}

} // namespace beacon::stress
