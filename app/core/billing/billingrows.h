#pragma once

#include "billing/reconciliation.h"
#include "db/dberror.h"

#include <QHash>
#include <QList>
#include <QSqlDatabase>

#include <optional>

namespace beacon::billing {

// The rows reconciliation compares with Stripe: every workspace that names a Stripe customer or
// subscription, and also those in `alsoIds` (the ones Stripe names), or only `onlyWorkspace` when given.
// Ordered by id.
DbError readWorkspaceBilling(const QSqlDatabase &db, const QList<qint64> &alsoIds,
                             std::optional<qint64> onlyWorkspace, QList<WorkspaceBilling> *rows);

// Stripe price id -> Beacon plan code, for the plans billed through Stripe.
DbError readPlanOfPrice(const QSqlDatabase &db, QHash<QString, QString> *planOfPrice);

} // namespace beacon::billing
