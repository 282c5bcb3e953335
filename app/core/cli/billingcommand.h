#pragma once

#include "actions/action.h"
#include "billing/reconciliation.h"
#include "billing/reconciliationrun.h"
#include "billing/stripeaccess.h"
#include "billing/stripecall.h"
#include "billing/stripeendpoint.h"
#include "billing/stripekey.h"
#include "billing/stripepolicy.h"
#include "db/dberror.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QList>
#include <QSqlDatabase>

#include <functional>
#include <optional>

namespace beacon::cli {

// beaconctl's options for Stripe. The key is never one of them: it comes from STRIPE_API_KEY or from a file
// only its owner can read (--stripe-key-file), so that it never shows in `ps` or a shell history.
QList<QCommandLineOption> stripeOptions();
QStringList stripeOptionNames();

using billing::StripeAccess;
// The key (--stripe-key-file, else STRIPE_API_KEY) and the API address (--stripe-api-base, else
// BEACON_STRIPE_API_BASE, else Stripe's own), or a usage error that says how to give them.
DbError stripeAccessFrom(const QCommandLineParser &parser, StripeAccess *access);

using ReconcileReport = billing::ReconciliationReport;

// Pages once through Stripe's customers and subscriptions (limit=100, within the client's rate limit),
// reads the workspaces they name and those that name Stripe ids, and compares them. With `workspace`, only
// that workspace's findings are kept (Stripe cannot be asked by metadata, so the paging is the same).
// `progress` gets a line per page. Runs billing::ReconciliationRun, with the database read on `db`, in a
// local event loop until it has finished.
ReconcileReport runReconciliation(const QSqlDatabase &db, const StripeAccess &access,
                                  std::optional<qint64> workspace,
                                  const std::function<void(const QString &line)> &progress);

} // namespace beacon::cli
