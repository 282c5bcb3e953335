#pragma once

#include "db/dberror.h"

#include <QDateTime>
#include <QList>
#include <QSqlDatabase>
#include <QString>
#include <QVariant>

#include <optional>

namespace beacon::browse {

// What the usage rows are summed by, besides the period.
enum class UsageGrouping { Workspace, User, Model };
// The length of one period. Days and months are UTC calendar days and months.
enum class UsagePeriod { Day, Month };

struct UsageSummaryRequest {
    UsageGrouping grouping = UsageGrouping::Workspace;
    UsagePeriod period = UsagePeriod::Day;
    std::optional<qint64> workspaceId;
    std::optional<qint64> userId;
    std::optional<QString> model; // matched exactly, character for character
    // [from, to): from inclusive, to exclusive. The caller picks the range; the core has no default so that
    // a forgotten range never turns into a scan of ten years of usage.
    QDateTime from;
    QDateTime to;
    // At most this many groups come back, so that an unfiltered daily grouping cannot flood the client.
    int limit = 5000;

    bool operator==(const UsageSummaryRequest &) const = default;
};

struct UsageSummaryRow {
    QString periodStart; // the server's text: "YYYY-MM-DD" per day, "YYYY-MM" per month
    // The workspace id or user id as qint64, or the model as QString. Usage whose user is gone (or never
    // had one) groups under an invalid QVariant.
    QVariant groupKey;
    qint64 requests = 0;
    qint64 inputTokens = 0;
    qint64 outputTokens = 0;
    // Money stays the server's exact numeric text ("0.000123"): a double would round it.
    QString costUsd;

    bool operator==(const UsageSummaryRow &) const = default;
};

// Sums AI usage per period and group, newest period first and the most expensive group first within it.
// *truncated says that more groups matched than request.limit; the rows are then the first limit of them.
// A request that cannot be answered (an empty or inverted range, a limit below 1) is refused as Usage.
DbError fetchUsageSummary(const QSqlDatabase &db, const UsageSummaryRequest &request,
                          QList<UsageSummaryRow> *rows, bool *truncated);

} // namespace beacon::browse
