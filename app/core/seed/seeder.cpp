#include "seed/seeder.h"

namespace beacon {

std::optional<SeedSize> seedSizeFromName(const QString &name) {
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

QString seedSizeName(SeedSize size) {
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

DbError seedDatabase(const QSqlDatabase &, const SeedOptions &, const SeedProgress &, SeedReport *) {
    return DbError::make(ErrorKind::Internal, QStringLiteral("seeding is being written"));
}

} // namespace beacon
