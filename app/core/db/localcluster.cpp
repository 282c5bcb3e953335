#include "db/localcluster.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::LocalCluster", text);
}

// A unix socket path is limited to 107 bytes, and PostgreSQL adds "/.s.PGSQL.NNNNN".
static constexpr int MaxSocketFolderLength = 90;
static constexpr int SocketPort = 5432;

LocalCluster::LocalCluster(QString folder, Options options)
    : m_folder(QDir::cleanPath(QDir(folder).absolutePath()))
    , m_options(std::move(options))
{}

bool LocalCluster::runningAsRoot()
{
#ifdef Q_OS_UNIX
    return ::geteuid() == 0;
#else
    return false;
#endif
}

QString LocalCluster::serverBinDirectory()
{
    const QString fromEnvironment = qEnvironmentVariable("BEACON_PG_BINDIR");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    const QString compiledIn = QStringLiteral(BEACON_POSTGRES_BINDIR);
    if (QFileInfo::exists(compiledIn + QStringLiteral("/pg_ctl")))
        return compiledIn;
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("pg_ctl"));
    return onPath.isEmpty() ? compiledIn : QFileInfo(onPath).absolutePath();
}

QString LocalCluster::dataDirectory() const
{
    return m_folder + QStringLiteral("/data");
}

QString LocalCluster::socketDirectory() const
{
    const QString inside = m_folder + QStringLiteral("/socket");
    if (inside.size() <= MaxSocketFolderLength)
        return inside;
    // A deep home folder would overflow the socket path; fall back to a short private folder per cluster.
    return QDir::tempPath() + QStringLiteral("/beacon-") + QString::number(qHash(m_folder), 16);
}

int LocalCluster::port() const
{
    if (m_options.tcpPort > 0)
        return m_options.tcpPort;
    // A cluster started by another process (the test harness) may listen elsewhere; its pid file says where.
    QFile pidFile(dataDirectory() + QStringLiteral("/postmaster.pid"));
    if (pidFile.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> lines = pidFile.readAll().split('\n');
        bool ok = false;
        const int port = lines.size() > 3 ? lines.at(3).trimmed().toInt(&ok) : 0;
        if (ok && port > 0)
            return port;
    }
    return SocketPort;
}

ConnectionSpec LocalCluster::connectionSpec(const QString &database) const
{
    ConnectionSpec spec;
    spec.host = socketDirectory();
    spec.port = port();
    spec.user = QStringLiteral("postgres");
    spec.database = database;
    spec.sslMode = QStringLiteral("disable");
    spec.connectTimeoutSeconds = 10;
    return spec;
}

bool LocalCluster::run(const QString &program, const QStringList &arguments, int timeoutMs, QString *output)
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    const QString executable = serverBinDirectory() + QLatin1Char('/') + program;
    if (runningAsRoot()) {
        // initdb and postgres refuse root; and runuser's target user cannot enter root's working folder.
        process.setWorkingDirectory(QStringLiteral("/"));
        process.start(QStringLiteral("runuser"), QStringList{QStringLiteral("-u"), QStringLiteral("postgres"),
                                                             QStringLiteral("--"), executable} +
                                                     arguments);
    } else {
        process.start(executable, arguments);
    }
    if (!process.waitForStarted(10000)) {
        m_lastError = tr("Could not start %1: %2. Install the PostgreSQL server (on Debian: apt-get install "
                         "postgresql-15 postgresql-contrib).")
                          .arg(executable, process.errorString());
        return false;
    }
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(2000);
        m_lastError = tr("%1 did not finish in time.").arg(program);
        return false;
    }
    const QString text = QString::fromLocal8Bit(process.readAll());
    if (output)
        *output = text;
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0) {
        m_lastError = tr("%1 failed: %2").arg(program, text.trimmed());
        return false;
    }
    return true;
}

bool LocalCluster::prepareFolderForServer()
{
    QDir().mkpath(m_folder);
    QDir().mkpath(socketDirectory());
    QFile::setPermissions(m_folder, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QFile::setPermissions(socketDirectory(),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    if (!runningAsRoot())
        return true;
    // The server runs as postgres, so it must own its folders and be able to walk down to them.
    for (const QString &path : {m_folder, socketDirectory()}) {
        QProcess chown;
        chown.start(QStringLiteral("chown"),
                    {QStringLiteral("-R"), QStringLiteral("postgres:postgres"), path});
        if (!chown.waitForFinished(30000) || chown.exitCode() != 0) {
            m_lastError = tr("Could not hand %1 to the postgres user: %2")
                              .arg(path, QString::fromLocal8Bit(chown.readAllStandardError()));
            return false;
        }
    }
    QProcess probe;
    probe.setWorkingDirectory(QStringLiteral("/"));
    probe.start(QStringLiteral("runuser"),
                {QStringLiteral("-u"), QStringLiteral("postgres"), QStringLiteral("--"),
                 QStringLiteral("test"), QStringLiteral("-w"), m_folder});
    if (!probe.waitForFinished(10000) || probe.exitCode() != 0) {
        m_lastError =
            tr("The postgres user cannot reach %1, so the private database server cannot run there. "
               "Choose a folder outside a private home folder.")
                .arg(m_folder);
        return false;
    }
    return true;
}

bool LocalCluster::ensureInitialized()
{
    if (QFileInfo::exists(dataDirectory() + QStringLiteral("/PG_VERSION")))
        return prepareFolderForServer();
    if (!prepareFolderForServer())
        return false;
    if (!run(QStringLiteral("initdb"),
             {QStringLiteral("-D"), dataDirectory(), QStringLiteral("-U"), QStringLiteral("postgres"),
              QStringLiteral("--auth=trust"), QStringLiteral("-E"), QStringLiteral("UTF8"),
              QStringLiteral("--locale=C.UTF-8"), QStringLiteral("--no-instructions")},
             180000))
        return false;

    QStringList settings = {
        QStringLiteral("unix_socket_directories = '%1'").arg(socketDirectory()),
        QStringLiteral("unix_socket_permissions = 0700"),
        QStringLiteral("port = %1").arg(m_options.tcpPort > 0 ? m_options.tcpPort : SocketPort),
        QStringLiteral("listen_addresses = '%1'")
            .arg(m_options.tcpPort > 0 ? QStringLiteral("127.0.0.1") : QString()),
        QStringLiteral("synchronous_commit = off"),
        QStringLiteral("timezone = 'UTC'"),
        QStringLiteral("shared_buffers = 256MB"),
        QStringLiteral("max_wal_size = 4GB"),
        QStringLiteral("logging_collector = off"),
    };
    if (m_options.throwaway)
        settings << QStringLiteral("fsync = off") << QStringLiteral("full_page_writes = off");
    settings << m_options.extraSettings;

    QFile conf(dataDirectory() + QStringLiteral("/postgresql.auto.conf"));
    if (!conf.open(QIODevice::Append | QIODevice::Text)) {
        m_lastError = tr("Could not write the server settings in %1.").arg(conf.fileName());
        return false;
    }
    conf.write(settings.join(QLatin1Char('\n')).toUtf8() + '\n');
    conf.close();
    if (!m_options.hbaRules.isEmpty()) {
        QFile hba(dataDirectory() + QStringLiteral("/pg_hba.conf"));
        if (!hba.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
            m_lastError = tr("Could not write %1.").arg(hba.fileName());
            return false;
        }
        hba.write(m_options.hbaRules.toUtf8());
    }
    return prepareFolderForServer();
}

bool LocalCluster::isRunning() const
{
    return QFileInfo::exists(dataDirectory() + QStringLiteral("/postmaster.pid")) &&
           QFileInfo::exists(socketDirectory() + QStringLiteral("/.s.PGSQL.%1").arg(port()));
}

bool LocalCluster::start()
{
    if (!ensureInitialized())
        return false;
    if (isRunning())
        return true;
    return run(QStringLiteral("pg_ctl"),
               {QStringLiteral("-D"), dataDirectory(), QStringLiteral("-l"),
                m_folder + QStringLiteral("/server.log"), QStringLiteral("-w"), QStringLiteral("-t"),
                QStringLiteral("120"), QStringLiteral("start")},
               150000);
}

bool LocalCluster::restartImmediately()
{
    return run(QStringLiteral("pg_ctl"),
               {QStringLiteral("-D"), dataDirectory(), QStringLiteral("-m"), QStringLiteral("immediate"),
                QStringLiteral("-w"), QStringLiteral("-t"), QStringLiteral("120"), QStringLiteral("-l"),
                m_folder + QStringLiteral("/server.log"), QStringLiteral("restart")},
               150000);
}

void LocalCluster::stop()
{
    if (!QFileInfo::exists(dataDirectory() + QStringLiteral("/postmaster.pid")))
        return;
    run(QStringLiteral("pg_ctl"),
        {QStringLiteral("-D"), dataDirectory(), QStringLiteral("-m"), QStringLiteral("fast"),
         QStringLiteral("-w"), QStringLiteral("stop")},
        120000);
}

} // namespace beacon
