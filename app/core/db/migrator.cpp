#include "db/migrator.h"

#include "db/database.h"
#include "db/transaction.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::Migrator", text);
}

// Any fixed number works; it only has to be the same for every Beacon Admin that migrates this database.
static constexpr qint64 MigrationLockKey = 0x4265616330;

QList<Migrator::Migration> Migrator::migrations()
{
    static const QRegularExpression pattern(QStringLiteral("^(\\d{4})_(.+)\\.sql$"));
    QList<Migration> result;
    const QStringList files =
        QDir(QStringLiteral(":/sql")).entryList({QStringLiteral("*.sql")}, QDir::Files, QDir::Name);
    for (const QString &file : files) {
        const auto match = pattern.match(file);
        if (!match.hasMatch())
            continue;
        result.append({match.captured(1).toInt(), match.captured(2), QStringLiteral(":/sql/") + file});
    }
    return result;
}

int Migrator::expectedVersion()
{
    const auto all = migrations();
    return all.isEmpty() ? 0 : all.last().version;
}

int Migrator::currentVersion(const QSqlDatabase &db, DbError *error)
{
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral("SELECT to_regclass('public.schema_migrations') IS NOT NULL")) ||
        !query.next()) {
        if (error)
            *error = errorOn(db, query.lastError(), tr("Reading the schema version"));
        return 0;
    }
    if (!query.value(0).toBool())
        return 0;
    if (!query.exec(QStringLiteral("SELECT coalesce(max(version), 0) FROM public.schema_migrations")) ||
        !query.next()) {
        if (error)
            *error = errorOn(db, query.lastError(), tr("Reading the schema version"));
        return 0;
    }
    if (error)
        *error = {};
    return query.value(0).toInt();
}

DbError Migrator::migrate(const QSqlDatabase &db, QStringList *applied)
{
    DbError error;
    const int found = currentVersion(db, &error);
    if (error)
        return error;
    if (found > expectedVersion())
        return checkVersion(db);

    {
        // The bookkeeping table is the migrator's own, so it exists before the first file runs.
        Transaction transaction(db);
        if (transaction.beginError())
            return transaction.beginError();
        QSqlQuery query(db);
        query.prepare(QStringLiteral("SELECT pg_advisory_xact_lock(:key)"));
        query.bindValue(QStringLiteral(":key"), MigrationLockKey);
        // "already exists, skipping" is a NOTICE that libpq would print on stderr at every start.
        if (!query.exec() || !query.exec(QStringLiteral("SET LOCAL client_min_messages = warning")) ||
            !query.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS public.schema_migrations ("
                                       " version integer PRIMARY KEY,"
                                       " name text NOT NULL,"
                                       " applied_at timestamptz NOT NULL DEFAULT now())")))
            return DbError::fromSql(query.lastError(), tr("Preparing the schema version table"));
        if (const DbError commitError = transaction.commit())
            return commitError;
    }
    for (const Migration &migration : migrations()) {
        Transaction transaction(db);
        if (transaction.beginError())
            return transaction.beginError();
        QSqlQuery query(db);
        // Two migrators at once wait for each other here instead of applying the same file twice.
        query.prepare(QStringLiteral("SELECT pg_advisory_xact_lock(:key)"));
        query.bindValue(QStringLiteral(":key"), MigrationLockKey);
        if (!query.exec())
            return DbError::fromSql(query.lastError(), tr("Waiting for another migration to finish"));
        // Read again under the lock: another migrator may have applied this file meanwhile.
        const int current = currentVersion(db, &error);
        if (error)
            return error;
        if (migration.version <= current)
            continue;

        QFile file(migration.resourcePath);
        if (!file.open(QIODevice::ReadOnly))
            return DbError::make(ErrorKind::Internal,
                                 tr("The migration %1 is missing from this build. Reinstall Beacon Admin.")
                                     .arg(migration.resourcePath));
        const QString sql = QString::fromUtf8(file.readAll());
        // A migration file is our own fixed text with no values in it, so it runs as one plain script.
        if (!query.exec(sql))
            return DbError::fromSql(
                query.lastError(),
                tr("Applying migration %1 (%2)").arg(migration.version).arg(migration.name));
        query.prepare(
            QStringLiteral("INSERT INTO public.schema_migrations (version, name) VALUES (:version, :name)"));
        query.bindValue(QStringLiteral(":version"), migration.version);
        query.bindValue(QStringLiteral(":name"), migration.name);
        if (!query.exec())
            return DbError::fromSql(query.lastError(), tr("Recording migration %1").arg(migration.version));
        if (const DbError commitError = transaction.commit())
            return commitError;
        if (applied)
            applied->append(
                QStringLiteral("%1_%2").arg(migration.version, 4, 10, QLatin1Char('0')).arg(migration.name));
    }
    return {};
}

DbError Migrator::checkVersion(const QSqlDatabase &db)
{
    DbError error;
    const int found = currentVersion(db, &error);
    if (error)
        return error;
    const int expected = expectedVersion();
    if (found == expected)
        return {};
    DbError mismatch;
    mismatch.kind = ErrorKind::Refused;
    if (found == 0)
        mismatch.message =
            tr("This database has no Beacon schema (version 0; this program expects version %1). "
               "Run \"beaconctl migrate\" on it first, or connect to the right database.")
                .arg(expected);
    else if (found < expected)
        mismatch.message = tr("This database's schema is at version %1, but this program expects version %2. "
                              "Run \"beaconctl migrate\" to bring it up to date.")
                               .arg(found)
                               .arg(expected);
    else
        mismatch.message =
            tr("This database's schema is at version %1, newer than the version %2 this program "
               "knows. Install the newest Beacon Admin before making changes.")
                .arg(found)
                .arg(expected);
    mismatch.details = QStringLiteral("schema version found %1, expected %2").arg(found).arg(expected);
    return mismatch;
}

} // namespace beacon
