#include "cli/billingcommand.h"

#include <QCoreApplication>
#include <QEventLoop>

namespace beacon::cli {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beaconctl", text);
}

QList<QCommandLineOption> stripeOptions()
{
    return {
        {QStringLiteral("stripe-key-file"),
         tr("billing: read the Stripe key from this file, which only you may read (else STRIPE_API_KEY)."),
         QStringLiteral("path")},
        {QStringLiteral("stripe-api-base"),
         tr("billing: Stripe's API address (else BEACON_STRIPE_API_BASE, else Stripe's own); http only on "
            "this machine."),
         QStringLiteral("url")},
    };
}

QStringList stripeOptionNames()
{
    return {QStringLiteral("stripe-key-file"), QStringLiteral("stripe-api-base")};
}

DbError stripeAccessFrom(const QCommandLineParser &parser, StripeAccess *access)
{
    DbError error;
    if (parser.isSet(QStringLiteral("stripe-key-file")))
        access->key = billing::readStripeKeyFile(parser.value(QStringLiteral("stripe-key-file")), &error);
    else
        access->key = billing::stripeKeyFromEnvironment(&error);
    if (error)
        return error;
    if (!access->key)
        return DbError::make(
            ErrorKind::Usage,
            tr("This command needs a Stripe key: set STRIPE_API_KEY, or give --stripe-key-file "
               "PATH with a file that only you can read (chmod 600). A key is never taken on "
               "the command line, where other users could see it."));
    access->endpoint =
        billing::StripeEndpoint::resolve(parser.value(QStringLiteral("stripe-api-base")), &error);
    return access->endpoint ? DbError() : error;
}

ReconcileReport runReconciliation(const QSqlDatabase &db, const StripeAccess &access,
                                  std::optional<qint64> workspace,
                                  const std::function<void(const QString &line)> &progress)
{
    // The console's own run, so that beaconctl and the Reconciliation page cannot find different things.
    billing::ReconciliationRun run;
    run.setStripe(access);
    run.setDatabase(db);
    run.setWorkspace(workspace);
    if (progress)
        QObject::connect(&run, &billing::ReconciliationRun::progress, &run,
                         [progress](int pages, int customers, int subscriptions) {
                             progress(tr("Reading Stripe: page %1 read, %2 customers and %3 subscriptions so "
                                         "far")
                                          .arg(pages)
                                          .arg(customers)
                                          .arg(subscriptions));
                         });
    QEventLoop loop;
    QObject::connect(&run, &billing::ReconciliationRun::finished, &loop, &QEventLoop::quit);
    run.start();
    if (run.isRunning())
        loop.exec();
    return run.report();
}

} // namespace beacon::cli
