#pragma once

#include "db/dberror.h"

#include <QDateTime>
#include <QList>
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
    quint32 seed = 1; // the same seed, size and anchor always give the same data
    // The "now" the data is generated around (twelve months of usage before it, subscriptions renewing after
    // it). Left invalid, it is the start of the current UTC day: a demo looks current, and two seeds on the
    // same day are identical. Tests pass a fixed instant.
    QDateTime anchor;
};

// How many rows of the driving tables each size makes; the others follow from these by the data's shapes.
struct SeedScale {
    qint64 users = 0;
    qint64 workspaces = 0;
    qint64 aiUsage = 0;
    qint64 exports = 0;
};
SeedScale seedScale(SeedSize size);

// Where the seeder plants the anomalies `beaconctl check` must find. The ids depend on the size only, so a
// runbook or a test can name them without reading the data.
struct PlantedAnomalies {
    QList<qint64> storageDriftWorkspaces;
    QList<qint64> canceledWritableWorkspaces;
    QList<qint64> overMemberLimitWorkspaces; // seeded within a bigger plan, then downgraded below their team
    // duplicateSourceUsers[i] and duplicateCopyUsers[i] share an email up to letter case, across providers.
    QList<qint64> duplicateSourceUsers;
    QList<qint64> duplicateCopyUsers;
};
PlantedAnomalies plantedAnomalies(SeedSize size);

struct SeedReport {
    qint64 users = 0;
    qint64 workspaces = 0;
    qint64 memberships = 0;
    qint64 projects = 0;
    qint64 files = 0;
    qint64 aiUsage = 0;
    qint64 exports = 0;
    qint64 billingEvents = 0;
};

// Reports each step as it starts, with a rough percentage of the whole job.
using SeedProgress = std::function<void(const QString &step, int percent)>;

// Fills an empty, migrated database with deterministic sample data of real shapes, generated on the server,
// and plants the anomalies `beaconctl check` must find. Refuses (ErrorKind::Refused) a database that already
// has users or workspaces. Everything happens in one transaction: a failure leaves the database untouched.
DbError seedDatabase(const QSqlDatabase &db, const SeedOptions &options, const SeedProgress &progress = {},
                     SeedReport *report = nullptr);

} // namespace beacon
