#include "seed/seeder.h"

#include "check/anomalycheck.h"
#include "db/database.h"
#include "db/transaction.h"
#include "seed/seedstatements.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QTimeZone>

#include <utility>

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::Seeder", text);
}

std::optional<SeedSize> seedSizeFromName(const QString &name)
{
    if (name == QLatin1String("tiny"))
        return SeedSize::Tiny;
    if (name == QLatin1String("small"))
        return SeedSize::Small;
    if (name == QLatin1String("medium"))
        return SeedSize::Medium;
    if (name == QLatin1String("large"))
        return SeedSize::Large;
    return std::nullopt;
}

QString seedSizeName(SeedSize size)
{
    switch (size) {
    case SeedSize::Tiny:
        return QStringLiteral("tiny");
    case SeedSize::Small:
        return QStringLiteral("small");
    case SeedSize::Medium:
        return QStringLiteral("medium");
    case SeedSize::Large:
        return QStringLiteral("large");
    }
    return {};
}

SeedScale seedScale(SeedSize size)
{
    switch (size) {
    case SeedSize::Tiny:
        return {50, 20, 3'000, 8};
    case SeedSize::Small:
        return {5'000, 1'000, 100'000, 250};
    case SeedSize::Medium:
        return {100'000, 20'000, 1'000'000, 5'000};
    case SeedSize::Large:
        return {1'000'000, 200'000, 10'000'000, 50'000};
    }
    return {};
}

PlantedAnomalies plantedAnomalies(SeedSize size)
{
    // Three of each kind, spread over the id range, never on the same workspace or user twice.
    const SeedScale scale = seedScale(size);
    const qint64 workspaceStride = scale.workspaces / 3;
    const qint64 userStride = scale.users / 3;
    PlantedAnomalies planted;
    for (qint64 i = 0; i < 3; ++i) {
        planted.storageDriftWorkspaces.append(i * workspaceStride + 2);
        planted.canceledWritableWorkspaces.append(i * workspaceStride + 3);
        planted.overMemberLimitWorkspaces.append(i * workspaceStride + 4);
        planted.duplicateSourceUsers.append(i * userStride + 2);
        planted.duplicateCopyUsers.append(i * userStride + 3);
    }
    return planted;
}

namespace {

QString sqlArray(const QList<qint64> &ids)
{
    QStringList parts;
    for (qint64 id : ids)
        parts.append(QString::number(id));
    return QLatin1Char('{') + parts.join(QLatin1Char(',')) + QLatin1Char('}');
}

// Runs the seed inside one transaction; every step reports before it starts.
class SeedRun {
public:
    SeedRun(QSqlDatabase db, SeedProgress progress)
        : m_db(std::move(db))
        , m_progress(std::move(progress))
    {}

    void step(const QString &label, int percent)
    {
        m_step = label;
        if (m_progress)
            m_progress(label, percent);
    }

    // A statement without values; returns the rows it touched, or -1 with m_error set.
    qint64 exec(const char *sql)
    {
        QSqlQuery query(m_db);
        if (!query.exec(QString::fromUtf8(sql))) {
            m_error = DbError::fromSql(query.lastError(), m_step);
            return -1;
        }
        return query.numRowsAffected();
    }

    DbError m_error;
    QSqlDatabase m_db;

private:
    SeedProgress m_progress;
    QString m_step;
};

struct Privileges {
    bool superuser = false;
    bool ownsTables = false;
};

DbError readPrivileges(const QSqlDatabase &db, Privileges *privileges)
{
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral(
            "SELECT current_setting('is_superuser') = 'on', "
            "       bool_and(pg_has_role(current_user, c.relowner, 'USAGE')) "
            "  FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
            " WHERE n.nspname = 'public' AND c.relkind = 'r' "
            "   AND c.relname IN ('users', 'workspaces', 'memberships', 'projects', 'files', 'ai_usage', "
            "                     'exports', 'billing_events')")) ||
        !query.next())
        return DbError::fromSql(query.lastError(), tr("Reading the seeding login's privileges"));
    privileges->superuser = query.value(0).toBool();
    privileges->ownsTables = query.value(1).toBool();
    return {};
}

} // namespace

DbError seedDatabase(const QSqlDatabase &db, const SeedOptions &options, const SeedProgress &progress,
                     SeedReport *report)
{
    const SeedScale scale = seedScale(options.size);
    const PlantedAnomalies planted = plantedAnomalies(options.size);
    const QDateTime anchor = options.anchor.isValid() ? options.anchor.toUTC()
                                                      : QDateTime(QDateTime::currentDateTimeUtc().date(),
                                                                  QTime(0, 0), QTimeZone::utc());

    SeedRun run(db, progress);
    run.step(tr("Checking that the database is empty"), 0);
    Transaction transaction(db);
    if (transaction.beginError())
        return transaction.beginError();
    {
        QSqlQuery query(db);
        if (!query.exec(QStringLiteral("SELECT EXISTS (SELECT 1 FROM public.users) "
                                       "OR EXISTS (SELECT 1 FROM public.workspaces)")) ||
            !query.next())
            return DbError::fromSql(query.lastError(), tr("Checking that the database is empty"));
        if (query.value(0).toBool())
            return DbError::make(ErrorKind::Refused,
                                 tr("The database already holds users or workspaces, so sample data was not "
                                    "added: seeding only fills an empty database. Seed a freshly migrated "
                                    "database instead."));
    }
    Privileges privileges;
    if (DbError error = readPrivileges(db, &privileges))
        return error;

    // One big transaction whose loss on a crash costs nothing: the whole seed is simply run again.
    run.exec("SET LOCAL synchronous_commit = off");
    run.exec("SET LOCAL statement_timeout = 0");
    run.exec("SET LOCAL maintenance_work_mem = '256MB'");
    run.exec("SET LOCAL work_mem = '64MB'");
    // The statements are expression-heavy and each runs once: JIT compiling them costs about a second per
    // statement and saves less than that even on the large size.
    run.exec("SET LOCAL jit = off");
    if (run.m_error)
        return run.m_error;
    // Millions of memberships would each run the team-size trigger (a row lock and a count), and every row
    // of every table its foreign-key checks. The generator keeps both rules by construction, and the
    // over-limit check below proves the first again before commit; the tests prove the keys. A superuser
    // silences both for this transaction only; an owner at least the team-size trigger. Anyone else seeds
    // slowly through every check, which is still correct.
    if (privileges.superuser)
        run.exec("SET LOCAL session_replication_role = replica");
    else if (privileges.ownsTables)
        run.exec("ALTER TABLE public.memberships DISABLE TRIGGER memberships_enforce_team_size");
    if (run.m_error)
        return run.m_error;

    QList<std::pair<QString, QString>> droppedIndexes;
    if (privileges.ownsTables) {
        run.step(tr("Setting indexes aside for the bulk load"), 1);
        QSqlQuery query(db);
        if (!query.exec(QString::fromUtf8(seedsql::secondaryIndexes)))
            return DbError::fromSql(query.lastError(), tr("Listing the indexes to rebuild"));
        while (query.next())
            droppedIndexes.append({query.value(0).toString(), query.value(1).toString()});
        for (const auto &[name, definition] : std::as_const(droppedIndexes)) {
            // The name comes from the catalog (regclass text, already quoted), not from a person.
            if (DbError error = execPlain(db, QStringLiteral("DROP INDEX %1").arg(name),
                                          tr("Setting indexes aside for the bulk load")))
                return error;
        }
    }

    run.step(tr("Preparing the generator"), 2);
    run.exec(seedsql::helperFunctions);
    run.exec(seedsql::scratchTables);
    if (run.m_error)
        return run.m_error;
    {
        QSqlQuery query(db);
        if (!query.prepare(QString::fromUtf8(seedsql::insertParams)))
            return DbError::fromSql(query.lastError(), tr("Preparing the generator"));
        query.bindValue(QStringLiteral(":seed"), qint64(options.seed));
        query.bindValue(QStringLiteral(":anchor"), anchor.toString(Qt::ISODateWithMs));
        query.bindValue(QStringLiteral(":users"), scale.users);
        query.bindValue(QStringLiteral(":workspaces"), scale.workspaces);
        query.bindValue(QStringLiteral(":aiUsage"), scale.aiUsage);
        query.bindValue(QStringLiteral(":exports"), scale.exports);
        query.bindValue(QStringLiteral(":duplicateSources"), sqlArray(planted.duplicateSourceUsers));
        query.bindValue(QStringLiteral(":duplicateCopies"), sqlArray(planted.duplicateCopyUsers));
        query.bindValue(QStringLiteral(":driftWorkspaces"), sqlArray(planted.storageDriftWorkspaces));
        query.bindValue(QStringLiteral(":canceledWorkspaces"), sqlArray(planted.canceledWritableWorkspaces));
        query.bindValue(QStringLiteral(":overLimitWorkspaces"), sqlArray(planted.overMemberLimitWorkspaces));
        if (!query.exec())
            return DbError::fromSql(query.lastError(), tr("Preparing the generator"));
    }

    SeedReport counts;
    run.step(tr("Creating users"), 3);
    counts.users = run.exec(seedsql::users);
    run.step(tr("Creating workspaces"), 12);
    if (!run.m_error)
        run.exec(seedsql::workspacePlan);
    if (!run.m_error)
        run.exec("ANALYZE seed_ws");
    if (!run.m_error)
        counts.workspaces = run.exec(seedsql::workspaces);
    run.step(tr("Adding members"), 15);
    if (!run.m_error)
        counts.memberships = run.exec(seedsql::memberships);
    run.step(tr("Creating projects"), 22);
    if (!run.m_error)
        run.exec(seedsql::projectPlan);
    if (!run.m_error)
        counts.projects = run.exec(seedsql::projects);
    run.step(tr("Creating files"), 25);
    if (!run.m_error)
        counts.files = run.exec(seedsql::files);
    run.step(tr("Totalling storage per workspace"), 35);
    if (!run.m_error)
        run.exec(seedsql::storageFromFiles);
    run.step(tr("Recording twelve months of AI usage"), 38);
    if (!run.m_error)
        counts.aiUsage = run.exec(seedsql::aiUsage);
    run.step(tr("Creating exports and billing events"), 75);
    if (!run.m_error)
        counts.exports = run.exec(seedsql::exports);
    if (!run.m_error)
        counts.billingEvents = run.exec(seedsql::billingEvents);
    run.step(tr("Planting the anomalies the check must find"), 77);
    if (!run.m_error)
        run.exec(seedsql::plantStorageDrift);
    if (!run.m_error)
        run.exec(seedsql::plantDowngrades);
    if (run.m_error)
        return run.m_error;

    run.step(tr("Resetting id sequences"), 78);
    // Later inserts (the console's own) take ids from the sequences; start them past the generated ids.
    static const char *const tablesWithIds[] = {"users",    "workspaces", "projects",      "files",
                                                "ai_usage", "exports",    "billing_events"};
    for (const char *table : tablesWithIds) {
        const QString sql = QStringLiteral("SELECT setval(pg_get_serial_sequence('public.%1', 'id'), "
                                           "coalesce(max(id), 0) + 1, false) FROM public.%1")
                                .arg(QLatin1String(table));
        if (DbError error = execPlain(db, sql, tr("Resetting id sequences")))
            return error;
    }

    if (!droppedIndexes.isEmpty()) {
        run.step(tr("Rebuilding indexes"), 80);
        for (const auto &[name, definition] : std::as_const(droppedIndexes)) {
            if (DbError error = execPlain(db, definition, tr("Rebuilding index %1").arg(name)))
                return error;
        }
    }
    if (!privileges.superuser && privileges.ownsTables)
        run.exec("ALTER TABLE public.memberships ENABLE TRIGGER memberships_enforce_team_size");
    if (run.m_error)
        return run.m_error;

    run.step(tr("Checking team sizes"), 94);
    {
        QSqlQuery query(db);
        if (!query.exec(QString::fromUtf8(OverMemberLimitSql)))
            return DbError::fromSql(query.lastError(), tr("Checking team sizes"));
        QList<qint64> overLimit;
        while (query.next())
            overLimit.append(query.value(0).toLongLong());
        if (overLimit != planted.overMemberLimitWorkspaces)
            return DbError::make(ErrorKind::Internal,
                                 tr("The sample data broke a team-size limit it should have kept, so nothing "
                                    "was saved. Please report this as a bug."),
                                 tr("workspaces over their limit: %1").arg(sqlArray(overLimit)));
    }

    run.step(tr("Updating planner statistics"), 95);
    run.exec(seedsql::dropHelperFunctions);
    if (!run.m_error)
        run.exec(
            "ANALYZE public.users, public.workspaces, public.memberships, public.projects, public.files, "
            "public.ai_usage, public.exports, public.billing_events");
    if (run.m_error)
        return run.m_error;

    run.step(tr("Saving"), 99);
    if (DbError error = transaction.commit())
        return error;
    run.step(tr("Done"), 100);
    if (report)
        *report = counts;
    return {};
}

} // namespace beacon
