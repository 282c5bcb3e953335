#pragma once

#include "db/dberror.h"

#include <QSqlDatabase>
#include <QString>

#include <functional>
#include <optional>

namespace beacon {

enum class SeedSize { Tiny, Small, Medium, Large };

std::optional<SeedSize> seedSizeFromName(const QString &name);
QString seedSizeName(SeedSize size);

struct SeedOptions {
    SeedSize size = SeedSize::Small;
    quint32 seed = 1; // the same seed and size always give the same data
};

struct SeedReport {
    qint64 users = 0;
    qint64 workspaces = 0;
    qint64 memberships = 0;
    qint64 projects = 0;
    qint64 files = 0;
    qint64 aiUsage = 0;
    qint64 exports = 0;
};

// Reports each step as it starts, with a rough percentage of the whole job.
using SeedProgress = std::function<void(const QString &step, int percent)>;

// Fills an empty, migrated database with deterministic sample data of real shapes, generated on the server,
// and plants the anomalies `beaconctl check` must find. Refuses (ErrorKind::Refused) a database that already
// has users or workspaces.
DbError seedDatabase(const QSqlDatabase &db, const SeedOptions &options, const SeedProgress &progress = {},
                     SeedReport *report = nullptr);

} // namespace beacon
