#include "planchangebench.h"

#include "actions/actionengine.h"
#include "billing/billedaction.h"
#include "stripelocal/localstripeserver.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSqlError>
#include <QSqlQuery>
#include <QTextStream>

namespace beacon::bench {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("beacon-bench", text);
}

// Each is moved up and back: twice as many changes are timed.
constexpr int Workspaces = 60;
constexpr int Warmup = 10;

struct Paying {
    qint64 id = 0;
    QString customer;
    QString subscription;
    qint64 periodEnd = 0;
};

// Active team workspaces with a subscription, whose members and storage fit the business plan (it is larger
// in both) and the team plan again.
DbError readPaying(const QSqlDatabase &db, QList<Paying> *paying)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    query.prepare(QStringLiteral(
        "SELECT id, coalesce(stripe_customer_id, ''), stripe_subscription_id, "
        "floor(extract(epoch FROM coalesce(current_period_end, now() + interval '20 days')))::bigint "
        "FROM public.workspaces WHERE plan = 'team' AND subscription_status = 'active' AND "
        "stripe_subscription_id IS NOT NULL AND NOT read_only ORDER BY id LIMIT CAST(:wanted AS bigint)"));
    query.bindValue(QStringLiteral(":wanted"), Workspaces);
    if (!query.exec())
        return DbError::fromSql(query.lastError(), tr("Choosing the workspaces to change plans"));
    while (query.next())
        paying->append({query.value(0).toLongLong(), query.value(1).toString(), query.value(2).toString(),
                        query.value(3).toLongLong()});
    if (paying->size() < Workspaces)
        return DbError::make(
            ErrorKind::Refused,
            tr("The plan-change bench needs %1 active team workspaces with a subscription; this "
               "database has %2. Seed it with \"beaconctl seed --size large\".")
                .arg(Workspaces)
                .arg(paying->size()));
    return {};
}

DbError readPrice(const QSqlDatabase &db, const QString &plan, QString *price)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral("SELECT stripe_price_id FROM public.plans WHERE code = :code"));
    query.bindValue(QStringLiteral(":code"), plan);
    if (!query.exec() || !query.next())
        return DbError::fromSql(query.lastError(), tr("Reading the plans' prices"));
    *price = query.value(0).toString();
    return {};
}

} // namespace

DbError runPlanChangeBench(const QSqlDatabase &db, double stripePostP50, double stripePostP99,
                           QList<Figure> *figures)
{
    QList<Paying> paying;
    if (DbError error = readPaying(db, &paying))
        return error;
    QString team, business;
    if (DbError error = readPrice(db, QStringLiteral("team"), &team))
        return error;
    if (DbError error = readPrice(db, QStringLiteral("business"), &business))
        return error;

    stripelocal::LocalStripeServer server;
    if (!server.listen())
        return DbError::make(
            ErrorKind::Internal,
            tr("Could not start the local Stripe server on 127.0.0.1: %1.").arg(server.errorString()));
    stripelocal::StripeStore &store = server.store();
    store.addPrice(
        {QStringLiteral("Beacon team"), 2900, QStringLiteral("usd"), QStringLiteral("month"), {}, {}, team});
    store.addPrice({QStringLiteral("Beacon business"),
                    9900,
                    QStringLiteral("usd"),
                    QStringLiteral("month"),
                    {},
                    {},
                    business});
    for (const Paying &workspace : std::as_const(paying)) {
        stripelocal::CustomerSeed customer;
        customer.email = QStringLiteral("billing+%1@example.com").arg(workspace.id);
        customer.metadata.insert(QStringLiteral("workspace_id"), QString::number(workspace.id));
        customer.id = workspace.customer;
        stripelocal::SubscriptionSeed subscription;
        subscription.customerId = store.addCustomer(customer);
        subscription.priceId = team;
        subscription.currentPeriodEnd = workspace.periodEnd;
        subscription.currentPeriodStart = workspace.periodEnd - 30 * 86400;
        subscription.id = workspace.subscription;
        store.addSubscription(subscription);
    }

    DbError error;
    billing::StripeAccess access;
    access.key = billing::StripeKey::parse(server.apiKey(), &error);
    access.endpoint = billing::StripeEndpoint::parse(server.baseUrl().toString(), &error);
    if (!access.key || !access.endpoint)
        return error;
    // Raised so that the pacing never delays a call: one plan change finds the limiter idle.
    access.clientOptions.requestsPerSecond = 1000;

    QList<double> changes;
    for (const QString &plan : {QStringLiteral("business"), QStringLiteral("team")}) {
        for (int i = 0; i < paying.size(); ++i) {
            actions::ActionRequest request;
            request.kind = actions::ActionKind::PlanChange;
            request.actor = QStringLiteral("beacon-bench");
            request.reason = QStringLiteral("beacon-bench plan change through Stripe");
            request.client = QStringLiteral("beacon-bench");
            request.workspaceId = paying.at(i).id;
            request.plan = plan;
            QElapsedTimer timer;
            timer.start();
            const actions::ActionResult result = billing::runBilledAction(db, request, access);
            const double ms = double(timer.nsecsElapsed()) / 1e6;
            if (!result.ok())
                return result.error;
            if (i >= Warmup)
                changes.append(ms);
        }
    }
    QTextStream(stderr)
        << tr("beacon-bench: billing: %1 plan changes through Stripe (team to business and back), "
              "%2 Stripe requests")
               .arg(2 * paying.size())
               .arg(server.requestCount())
        << Qt::endl;
    // What a person waits for after pressing Apply, against the one Stripe call it cannot do without. No
    // bar: the other two Stripe reads and four transactions are the price of previewing the charge and of
    // holding no lock across the network.
    figures->append({QStringLiteral("plan change through Stripe, end to end: p50 vs Stripe POST"),
                     percentile(changes, 0.5), stripePostP50, QStringLiteral("ms"), 0});
    figures->append({QStringLiteral("plan change through Stripe, end to end: p99 vs Stripe POST"),
                     percentile(changes, 0.99), stripePostP99, QStringLiteral("ms"), 0});
    return {};
}

} // namespace beacon::bench
