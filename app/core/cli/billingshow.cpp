#include "cli/billingshow.h"

#include "billing/workspacebillingloader.h"

#include <QEventLoop>

namespace beacon::cli {

BillingShowReport showBilling(const QSqlDatabase &db, const billing::StripeAccess &access, qint64 workspace)
{
    billing::BillingDatabaseSide database;
    if (DbError error = billing::readBillingDatabaseSide(db, workspace, &database)) {
        BillingShowReport report;
        report.error = error;
        return report;
    }
    billing::WorkspaceBillingLoader loader;
    loader.setStripeAccess(access);
    QEventLoop loop;
    QObject::connect(&loader, &billing::WorkspaceBillingLoader::finished, &loop, &QEventLoop::quit);
    loader.loadFrom(database);
    if (loader.isBusy())
        loop.exec();
    return loader.report();
}

} // namespace beacon::cli
