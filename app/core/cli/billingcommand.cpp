#include "cli/billingcommand.h"

#include "billing/billingrows.h"
#include "billing/stripeclient.h"
#include "billing/stripewait.h"

#include <QCoreApplication>
#include <QJsonArray>

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

DbError finishCall(billing::StripeCall *call)
{
    return billing::waitForCall(call);
}

namespace {

// Runs a list call to its end, with a progress line per page.
DbError listAll(billing::StripeClient &stripe, const QString &path, const billing::StripeParams &params,
                const QString &what, const std::function<void(const QString &)> &progress, QJsonArray *items)
{
    billing::StripeCall *call = stripe.list(path, params, what);
    QObject::connect(call, &billing::StripeCall::pageReceived, call,
                     [progress, what](int page, const QJsonArray &, qsizetype soFar) {
                         if (progress)
                             progress(tr("%1: page %2, %3 so far").arg(what).arg(page).arg(soFar));
                     });
    const DbError error = finishCall(call);
    *items = call->items();
    call->deleteLater();
    return error;
}

} // namespace

ReconcileReport runReconciliation(const QSqlDatabase &db, const StripeAccess &access,
                                  std::optional<qint64> workspace,
                                  const std::function<void(const QString &line)> &progress)
{
    ReconcileReport report;
    billing::StripeClient stripe(*access.key, *access.endpoint, access.clientOptions);
    const billing::StripeParams page{{QStringLiteral("limit"), 100}};
    QJsonArray customers;
    if ((report.error = listAll(stripe, QStringLiteral("/v1/customers"), page,
                                tr("Reading Stripe's customers"), progress, &customers)))
        return report;
    billing::StripeParams allSubscriptions = page;
    allSubscriptions.insert(QStringLiteral("status"), QStringLiteral("all"));
    QJsonArray subscriptions;
    if ((report.error = listAll(stripe, QStringLiteral("/v1/subscriptions"), allSubscriptions,
                                tr("Reading Stripe's subscriptions"), progress, &subscriptions)))
        return report;

    QList<billing::StripeCustomer> stripeCustomers;
    for (const QJsonValue &customer : std::as_const(customers))
        stripeCustomers.append(billing::customerFromJson(customer.toObject()));
    QList<billing::StripeSubscription> stripeSubscriptions;
    for (const QJsonValue &subscription : std::as_const(subscriptions))
        stripeSubscriptions.append(billing::subscriptionFromJson(subscription.toObject()));
    report.customers = int(stripeCustomers.size());
    report.subscriptions = int(stripeSubscriptions.size());

    QList<billing::WorkspaceBilling> rows;
    if ((report.error = billing::readWorkspaceBilling(
             db, billing::workspaceIdsNamedBy(stripeCustomers, stripeSubscriptions), workspace, &rows)))
        return report;
    report.workspaces = int(rows.size());
    QHash<QString, QString> planOfPrice;
    if ((report.error = billing::readPlanOfPrice(db, &planOfPrice)))
        return report;
    report.findings = billing::reconcile(rows, stripeCustomers, stripeSubscriptions, planOfPrice);
    if (workspace)
        report.findings.removeIf(
            [id = *workspace](const billing::Finding &finding) { return finding.workspaceId != id; });
    return report;
}

} // namespace beacon::cli
