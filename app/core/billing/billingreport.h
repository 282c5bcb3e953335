#pragma once

#include "billing/reconciliation.h"
#include "db/dberror.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QLocale>
#include <QSqlDatabase>
#include <QStringList>
#include <QUrl>

namespace beacon::billing {

// What the database holds for one workspace's billing view, read in one job.
struct BillingDatabaseSide {
    WorkspaceBilling row;
    // Finance, admin (and a superuser) see amounts and payment details; anyone else the subscription's status
    // and plan only.
    bool seesAmounts = false;
    QHash<QString, QString> planOfPrice; // Stripe price id -> Beacon plan code
};

// Reads the workspace's row, whether this login sees amounts, and the plans' prices. A workspace that does
// not exist is a Refused error that says so. Runs where the connection lives (a worker, or beaconctl's).
DbError readBillingDatabaseSide(const QSqlDatabase &db, qint64 workspace, BillingDatabaseSide *side);

// What Stripe answered; an object left empty was not asked for, or Stripe does not know it.
struct BillingStripeSide {
    QJsonObject customer; // with invoice_settings.default_payment_method expanded
    QJsonObject subscription;
    QJsonArray invoices; // the last 12, newest first
    QJsonObject upcoming;
};

// A workspace's billing as Stripe sees it, and where Stripe and the row disagree: what `beaconctl billing
// show` prints and the console's Billing tab shows, built by one function so that the two cannot drift.
struct WorkspaceBillingReport {
    DbError error;
    QJsonObject billing;     // what `beaconctl billing show --json` prints under "billing"
    QStringList lines;       // the same in words, a line each
    bool restricted = false; // a support login: the subscription's status and plan only
    WorkspaceBilling databaseRow;
    QList<Finding> disagreements; // also in billing["disagreements"]
};

WorkspaceBillingReport buildBillingReport(const BillingDatabaseSide &database,
                                          const BillingStripeSide &stripe);

// An amount in the currency's smallest unit, as Stripe counts it, in the currency's own decimals (none for
// yen, two for dollars) and followed by its code: "1,234.50 USD" in an English locale.
QString formatStripeAmount(qint64 minorUnits, const QString &currency, const QLocale &locale);

// Whether a hosted invoice page may be opened in the browser: https, or plain http on this machine (the
// local test server). Anything else in a Stripe answer is not followed.
bool isOpenableInvoiceUrl(const QUrl &url);

} // namespace beacon::billing
