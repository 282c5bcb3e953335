#include "payingworkspace.h"

#include <QDebug>
#include <QProcess>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

namespace beacon::test {

QString seedPayingTeamWorkspace(stripelocal::StripeStore &store, const QSqlDatabase &db, qint64 periodStart,
                                qint64 periodEnd)
{
    for (const auto &[name, amount, id] : {std::tuple{"Team", 2900, "price_beacon_team_monthly"},
                                           std::tuple{"Business", 9900, "price_beacon_business_monthly"}}) {
        stripelocal::PriceSeed price;
        price.productName = QString::fromLatin1(name);
        price.unitAmount = amount;
        price.id = QString::fromLatin1(id);
        store.addPrice(price);
    }
    stripelocal::CustomerSeed customer;
    customer.email = QStringLiteral("billing@example.test");
    customer.metadata.insert(QStringLiteral("workspace_id"), QStringLiteral("1"));
    stripelocal::SubscriptionSeed subscription;
    subscription.customerId = store.addCustomer(customer);
    subscription.priceId = QStringLiteral("price_beacon_team_monthly");
    subscription.currentPeriodStart = periodStart;
    subscription.currentPeriodEnd = periodEnd;
    subscription.metadata = customer.metadata;
    const QString id = store.addSubscription(subscription);
    QSqlQuery query(db);
    query.prepare(QStringLiteral(
        "INSERT INTO public.workspaces (id, name, slug, plan, stripe_customer_id, stripe_subscription_id, "
        "subscription_status, current_period_end) VALUES (1, 'One', 'one', 'team', :customer, :subscription, "
        "'active', to_timestamp(CAST(:end AS bigint)))"));
    query.bindValue(QStringLiteral(":customer"), subscription.customerId);
    query.bindValue(QStringLiteral(":subscription"), id);
    query.bindValue(QStringLiteral(":end"), periodEnd);
    if (!query.exec()) {
        qWarning().noquote() << "seeding the paying workspace failed:" << query.lastError().text();
        return {};
    }
    return id;
}

bool priceTeamPlanAs(const QSqlDatabase &db, const QString &price)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral("UPDATE public.plans SET stripe_price_id = :price WHERE code = 'team'"));
    query.bindValue(QStringLiteral(":price"), price);
    if (query.exec())
        return true;
    qWarning().noquote() << "pricing the team plan failed:" << query.lastError().text();
    return false;
}

CtlRun runCtlServingEvents(const QStringList &arguments, const QProcessEnvironment &environment)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("BEACONCTL"), arguments);
    CtlRun run;
    if (!process.waitForStarted(10000))
        return run;
    // Not waitForFinished(): the server answering beaconctl lives on this thread's event loop.
    if (!QTest::qWaitFor([&process] { return process.state() == QProcess::NotRunning; }, 120000))
        process.kill();
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

} // namespace beacon::test
