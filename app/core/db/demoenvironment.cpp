#include "db/demoenvironment.h"

#include "db/database.h"
#include "db/migrator.h"
#include "seed/seeder.h"
#include "stripelocal/demostripe.h"

#include <QCoreApplication>
#include <QSqlQuery>
#include <QStandardPaths>

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::DemoEnvironment", text);
}

DemoEnvironment::DemoEnvironment(QString folder)
    : m_cluster(std::make_unique<LocalCluster>(std::move(folder), LocalCluster::Options{}))
{}

DemoEnvironment::~DemoEnvironment() = default;

QString DemoEnvironment::defaultFolder()
{
    const QString fromEnvironment = qEnvironmentVariable("BEACON_DEMO_DIR");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    if (LocalCluster::runningAsRoot())
        return QStringLiteral("/var/lib/beacon-admin/demo");
    return QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + QStringLiteral("/demo");
}

ConnectionSpec DemoEnvironment::connectionSpec() const
{
    ConnectionSpec spec = m_cluster->connectionSpec(QString::fromLatin1(DatabaseName));
    spec.applicationName = QStringLiteral("beacon-admin-demo");
    return spec;
}

void DemoEnvironment::startInBackground(QObject *context, Progress progress,
                                        std::function<void(DbError)> done)
{
    QPointer<QObject> guard(context);
    auto onContext = [guard](std::function<void()> call) {
        if (guard)
            QMetaObject::invokeMethod(
                guard.data(),
                [guard, call = std::move(call)] {
                    if (guard)
                        call();
                },
                Qt::QueuedConnection);
    };
    m_starting = QThread::create([this, onContext, progress = std::move(progress), done = std::move(done)] {
        const DbError error = start([&](const QString &step) {
            if (progress)
                onContext([progress, step] { progress(step); });
        });
        onContext([done, error] { done(error); });
    });
    m_starting->setObjectName(QStringLiteral("demo start"));
    QObject::connect(m_starting, &QThread::finished, m_starting, &QObject::deleteLater);
    m_starting->start();
}

void DemoEnvironment::waitForStart()
{
    if (m_starting)
        m_starting->wait();
}

DbError DemoEnvironment::start(const Progress &progress)
{
    auto say = [&](const QString &text) {
        if (progress)
            progress(text);
    };
    say(tr("Starting the demo database server in %1…").arg(m_cluster->folder()));
    if (!m_cluster->start())
        return DbError::make(ErrorKind::Unavailable,
                             tr("The demo database server could not start. The details say why; the server's "
                                "log is %1/server.log.")
                                 .arg(m_cluster->folder()),
                             m_cluster->lastError());

    DbError error;
    {
        auto admin = Connection::open(m_cluster->connectionSpec(QStringLiteral("postgres")),
                                      QStringLiteral("demo-admin"), &error);
        if (!admin)
            return error;
        QSqlQuery query(admin->database());
        query.prepare(QStringLiteral("SELECT 1 FROM pg_database WHERE datname = :name"));
        query.bindValue(QStringLiteral(":name"), QString::fromLatin1(DatabaseName));
        if (!query.exec())
            return DbError::fromSql(query.lastError(), tr("Looking for the demo database"));
        if (!query.next()) {
            say(tr("Creating the demo database…"));
            // The name is our own constant, never user input.
            if ((error =
                     execPlain(admin->database(),
                               QStringLiteral("CREATE DATABASE %1").arg(QString::fromLatin1(DatabaseName)),
                               tr("Creating the demo database"))))
                return error;
        }
    }

    auto connection = Connection::open(connectionSpec(), QStringLiteral("demo-setup"), &error);
    if (!connection)
        return error;
    say(tr("Bringing the demo database's schema up to date…"));
    if ((error = Migrator::migrate(connection->database())))
        return error;
    QSqlQuery query(connection->database());
    if (!query.exec(QStringLiteral("SELECT EXISTS (SELECT 1 FROM public.workspaces)")) || !query.next())
        return DbError::fromSql(query.lastError(), tr("Looking at the demo data"));
    if (!query.value(0).toBool()) {
        say(tr("Filling the demo database with sample data (first run only)…"));
        SeedOptions options;
        options.size = SeedSize::Small;
        if ((error = seedDatabase(connection->database(), options, [&](const QString &step, int percent) {
                 say(tr("Sample data: %1 (%2%)").arg(step).arg(percent));
             })))
            return error;
        // Here and only here, so that restarting the demo does not lose one more id each time.
        if ((error = stripelocal::plantLostSubscriptionId(connection->database())))
            return error;
    }
    say(tr("Reading the demo's billing for its local Stripe…"));
    return stripelocal::readDemoBilling(connection->database(), &m_billing);
}

void DemoEnvironment::stop()
{
    m_cluster->stop();
}

} // namespace beacon
