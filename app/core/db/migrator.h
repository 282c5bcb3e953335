#pragma once

#include "db/dberror.h"

#include <QSqlDatabase>
#include <QStringList>

namespace beacon {

// Applies the numbered SQL files in resources/sql (compiled in as :/sql/NNNN_name.sql), each in its own
// transaction, and records each version in schema_migrations.
class Migrator {
public:
    struct Migration {
        int version = 0;
        QString name;
        QString resourcePath;
    };

    static QList<Migration> migrations();
    // The newest version this build knows; the app refuses to act on any other.
    static int expectedVersion();
    // 0 when the database has never been migrated.
    static int currentVersion(const QSqlDatabase &db, DbError *error);
    // Idempotent: applies only what is missing. Refuses a database newer than this build.
    static DbError migrate(const QSqlDatabase &db, QStringList *applied = nullptr);
    // Empty when the database is at exactly the expected version; otherwise says which version was found
    // and which was expected, and what to do.
    static DbError checkVersion(const QSqlDatabase &db);
};

} // namespace beacon
