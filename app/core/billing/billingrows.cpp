#include "billing/billingrows.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QTimeZone>

namespace beacon::billing {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::billing::BillingRows", text);
}

DbError readWorkspaceBilling(const QSqlDatabase &db, const QList<qint64> &alsoIds,
                             std::optional<qint64> onlyWorkspace, QList<WorkspaceBilling> *rows)
{
    rows->clear();
    QStringList ids;
    ids.reserve(alsoIds.size());
    for (qint64 id : alsoIds)
        ids.append(QString::number(id));
    QSqlQuery query(db);
    query.setForwardOnly(true);
    // The period end travels as whole Unix seconds, as Stripe counts it: QPSQL would turn a timestamptz into
    // a local-time QDateTime rounded to milliseconds.
    const QString columns =
        QStringLiteral("SELECT id, plan, stripe_customer_id, stripe_subscription_id, subscription_status, "
                       "       floor(extract(epoch FROM current_period_end))::bigint "
                       "FROM public.workspaces ");
    if (onlyWorkspace) {
        query.prepare(columns + QStringLiteral("WHERE id = CAST(:id AS bigint)"));
        query.bindValue(QStringLiteral(":id"), *onlyWorkspace);
    } else {
        query.prepare(columns +
                      QStringLiteral("WHERE stripe_customer_id IS NOT NULL OR stripe_subscription_id IS "
                                     "NOT NULL OR id = ANY (CAST(:ids AS bigint[])) ORDER BY id"));
        query.bindValue(QStringLiteral(":ids"), QStringLiteral("{%1}").arg(ids.join(QLatin1Char(','))));
    }
    if (!query.exec())
        return DbError::fromSql(query.lastError(), tr("Reading the workspaces' billing"));
    while (query.next()) {
        WorkspaceBilling row;
        row.id = query.value(0).toLongLong();
        row.plan = query.value(1).toString();
        row.stripeCustomerId = query.value(2).toString();
        row.stripeSubscriptionId = query.value(3).toString();
        row.subscriptionStatus = query.value(4).toString();
        if (!query.value(5).isNull())
            row.currentPeriodEnd =
                QDateTime::fromSecsSinceEpoch(query.value(5).toLongLong(), QTimeZone::utc());
        rows->append(row);
    }
    if (query.lastError().isValid()) // a streamed read that stopped early
        return DbError::fromSql(query.lastError(), tr("Reading the workspaces' billing"));
    return {};
}

DbError readPlanOfPrice(const QSqlDatabase &db, QHash<QString, QString> *planOfPrice)
{
    planOfPrice->clear();
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral(
            "SELECT stripe_price_id, code FROM public.plans WHERE stripe_price_id IS NOT NULL")))
        return DbError::fromSql(query.lastError(), tr("Reading the plans' Stripe prices"));
    while (query.next())
        planOfPrice->insert(query.value(0).toString(), query.value(1).toString());
    return {};
}

} // namespace beacon::billing
