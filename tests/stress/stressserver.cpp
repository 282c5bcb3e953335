#include "stressserver.h"

#include "db/database.h"
#include "db/migrator.h"

#include <QDir>
#include <QFile>
#include <QSqlError>
#include <QSqlQuery>

namespace beacon::stress {

namespace {

// One statement with bound values on `db`; what went wrong, or empty. The statements are the test's own.
QString exec(const QSqlDatabase &db, const QString &sql, const QVariantMap &values = {})
{
    QSqlQuery query(db);
    if (!query.prepare(sql))
        return sql + QStringLiteral(": ") + query.lastError().text();
    for (auto value = values.cbegin(); value != values.cend(); ++value)
        query.bindValue(QLatin1Char(':') + value.key(), value.value());
    if (!query.exec())
        return sql + QStringLiteral(": ") + query.lastError().text();
    return {};
}

// Users 1..Users; workspaces 1..Workspaces on a mix of plans, so that the team-size trigger refuses often
// (free allows 3, starter 5); each owned by the user of its own id, with one member, projects and files,
// and a storage counter that agrees with the files (so `beaconctl check` starts with nothing to report).
QString seed(const QSqlDatabase &db)
{
    const QVariantMap sizes = {{QStringLiteral("users"), StressData::Users},
                               {QStringLiteral("workspaces"), StressData::Workspaces},
                               {QStringLiteral("projects"), StressData::ProjectsPerWorkspace},
                               {QStringLiteral("files"), StressData::FilesPerProject}};
    const auto only = [&](std::initializer_list<const char *> names) {
        QVariantMap values;
        for (const char *name : names)
            values.insert(QLatin1String(name), sizes.value(QLatin1String(name)));
        return values;
    };
    const QList<std::pair<QString, QVariantMap>> steps = {
        {QStringLiteral(
             "INSERT INTO public.users (id, provider, provider_user_id, primary_email, display_name) "
             "SELECT g, 'google', 'stress' || g, 'user' || g || '@stress.test', 'User ' || g "
             "FROM generate_series(1, :users) AS g"),
         only({"users"})},
        {QStringLiteral("INSERT INTO public.workspaces (id, name, slug, plan) SELECT g, 'Stress ' || g, "
                        "'stress-' || g, (ARRAY['team', 'starter', 'free', 'business'])[1 + g % 4] "
                        "FROM generate_series(1, :workspaces) AS g"),
         only({"workspaces"})},
        {QStringLiteral("INSERT INTO public.memberships (workspace_id, user_id, role) "
                        "SELECT g, g, 'owner' FROM generate_series(1, :workspaces) AS g UNION ALL "
                        "SELECT g, :users + 1 - g, 'member' FROM generate_series(1, :workspaces) AS g"),
         only({"workspaces", "users"})},
        {QStringLiteral("INSERT INTO public.projects (workspace_id, name) SELECT w, 'Project ' || p "
                        "FROM generate_series(1, :workspaces) AS w, generate_series(1, :projects) AS p"),
         only({"workspaces", "projects"})},
        {QStringLiteral("INSERT INTO public.files (project_id, workspace_id, name, size_bytes, storage_key) "
                        "SELECT p.id, p.workspace_id, 'seed-' || f, 1000 * f + p.id, "
                        "'seed/' || p.id || '/' || f FROM public.projects AS p, "
                        "generate_series(1, :files) AS f"),
         only({"files"})},
        {QStringLiteral("UPDATE public.workspaces AS w SET storage_used_bytes = (SELECT "
                        "coalesce(sum(f.size_bytes), 0) FROM public.files AS f WHERE f.workspace_id = w.id)"),
         {}},
    };
    for (const auto &[sql, values] : steps) {
        if (QString error = exec(db, sql, values); !error.isEmpty())
            return error;
    }
    return {};
}

} // namespace

StressServer::StressServer() = default;

StressServer::~StressServer()
{
    stop();
}

QStringList StressServer::groups()
{
    return {QStringLiteral("beacon_support"), QStringLiteral("beacon_finance"),
            QStringLiteral("beacon_admin")};
}

QString StressServer::loginOf(const QString &group)
{
    // beacon_support -> stress_support: a fixed name per group, on a server that is this test's alone.
    return QStringLiteral("stress_") + group.mid(int(qstrlen("beacon_")));
}

QString StressServer::setUp()
{
    m_folder = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/bstress-XXXXXX"));
    if (!m_folder->isValid())
        return QStringLiteral("no temporary folder for the stress server: ") + m_folder->errorString();
    // As root the server runs as postgres, which must be able to walk into the folder.
    QFile::setPermissions(m_folder->path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                QFileDevice::ExeOwner | QFileDevice::ExeGroup |
                                                QFileDevice::ExeOther);
    LocalCluster::Options options;
    options.throwaway = true;
    // The harness's servers commit asynchronously, which an immediate restart punishes by losing the last
    // commits the clients were told about: a lost action this test would rightly report. Production commits
    // synchronously, so this server does too (fsync stays off: the machine itself does not crash here).
    options.extraSettings = {QStringLiteral("synchronous_commit = on"),
                             QStringLiteral("max_connections = 60")};
    m_cluster = std::make_unique<LocalCluster>(m_folder->path() + QStringLiteral("/c"), options);
    if (!m_cluster->start())
        return m_cluster->lastError();

    DbError error;
    {
        ConnectionSpec adminSpec = spec(QStringLiteral("postgres"), QStringLiteral("stress-setup"));
        adminSpec.database = QStringLiteral("postgres");
        auto admin = Connection::open(adminSpec, QStringLiteral("stress-setup"), &error);
        if (!admin)
            return error.fullText();
        if ((error = execPlain(admin->database(), QStringLiteral("CREATE DATABASE stress"), {})))
            return error.fullText();
        for (const QString &group : groups()) {
            // Role names are this test's fixed identifiers, never outside input.
            if ((error = execPlain(admin->database(),
                                   QStringLiteral("CREATE ROLE %1 LOGIN").arg(loginOf(group)), {})))
                return error.fullText();
        }
    }
    auto connection = Connection::open(spec(), QStringLiteral("stress-setup"), &error);
    if (!connection)
        return error.fullText();
    const QSqlDatabase db = connection->database();
    if ((error = Migrator::migrate(db)))
        return QStringLiteral("migrating the stress database: ") + error.fullText();
    // The group roles are the migration's; membership in them is what makes these logins support, finance
    // and admin staff.
    for (const QString &group : groups()) {
        if ((error = execPlain(db, QStringLiteral("GRANT %1 TO %2").arg(group, loginOf(group)), {})))
            return error.fullText();
    }
    QFile handler(QStringLiteral(BEACON_STRESS_PGBENCH_DIR "/backend.sql"));
    if (!handler.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot read %1").arg(handler.fileName());
    if ((error = execPlain(db, QString::fromUtf8(handler.readAll()), {})))
        return error.fullText();
    return seed(db);
}

QString StressServer::restartImmediately()
{
    return m_cluster->restartImmediately() ? QString() : m_cluster->lastError();
}

void StressServer::stop()
{
    if (m_cluster)
        m_cluster->stop();
    m_cluster.reset();
    m_folder.reset();
}

ConnectionSpec StressServer::spec(const QString &login, const QString &applicationName) const
{
    ConnectionSpec spec = m_cluster->connectionSpec(databaseName());
    spec.user = login;
    spec.applicationName = applicationName;
    return spec;
}

QString StressServer::uri(const QString &login, const QString &applicationName) const
{
    // displayUri() carries no application name; beaconctl's URI may (libpq reads it).
    return spec(login).displayUri() + QStringLiteral("&application_name=") + applicationName;
}

} // namespace beacon::stress
