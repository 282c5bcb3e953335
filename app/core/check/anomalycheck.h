#pragma once

#include "db/dberror.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace beacon {

// The kinds of damage `beaconctl check` finds. The names are part of the CLI's JSON output.
namespace AnomalyKind {
inline constexpr auto StorageDrift = "storage_drift"; // workspace storage_used_bytes ≠ sum of its files
inline constexpr auto DuplicateUserEmail = "duplicate_user_email"; // same email across providers or case
inline constexpr auto CanceledButWritable = "canceled_but_writable";
inline constexpr auto OverMemberLimit = "over_member_limit";
} // namespace AnomalyKind

struct Anomaly {
    QString kind;       // one of AnomalyKind
    QString targetType; // "workspace" or "user"
    qint64 targetId = 0;
    QString detail; // a sentence for a person, with the numbers
};

// Every workspace with more members than its plan allows: id, plan, limit, members, ordered by id.
extern const char OverMemberLimitSql[];

// Reads only; changes nothing. With a workspace id, looks at that workspace and its members alone.
DbError findAnomalies(const QSqlDatabase &db, std::optional<qint64> workspaceId, QList<Anomaly> *anomalies);

} // namespace beacon
