// plan-change where Stripe bills the workspace: which way a change is billed, and the two phases of a change
// through Stripe that run in this database (the Stripe phases are in billing/stripeplanchange.cpp).
#include "actions/actioncontext.h"
#include "actions/planbillingcarried.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

namespace {

QString text(const QJsonObject &object, const char *field)
{
    return object.value(QLatin1String(field)).toString();
}

} // namespace

DbError decidePlanBilling(const PlanChangeChecks &checks, PlanBilling *billing)
{
    const QString id = QString::number(qint64(checks.workspace.value(QStringLiteral("id")).toDouble()));
    const QString subscription = text(checks.workspace, "stripe_subscription_id");
    *billing = PlanBilling::DatabaseOnly;
    // Nothing in Stripe bills a workspace without a subscription: its plan is Beacon's alone to change.
    if (subscription.isEmpty())
        return {};
    const QString status = text(checks.workspace, "subscription_status");
    if (status != QLatin1String("active") && status != QLatin1String("trialing"))
        return refuse(
            tr("Workspace %1's Stripe subscription %2 is %3, so its plan cannot change now: Stripe "
               "would not bill the new plan as agreed. Settle the subscription first (the customer "
               "pays or updates the card in Stripe; billing-sync writes Stripe's status here), then "
               "change the plan.")
                .arg(id, subscription, status.isEmpty() ? tr("unknown") : status));
    const QString currentPlan = text(checks.currentPlan, "code");
    if (text(checks.currentPlan, "stripe_price_id").isEmpty())
        return refuse(
            tr("Workspace %1 is on the %2 plan, which Stripe does not bill, yet it names Stripe "
               "subscription %3. Run reconciliation for it (beaconctl reconcile --workspace %1) and "
               "mend the row first.")
                .arg(id, currentPlan, subscription));
    const QString newPlan = text(checks.newPlan, "code");
    if (text(checks.newPlan, "stripe_price_id").isEmpty()) {
        if (checks.newPlan.value(QStringLiteral("monthly_price_cents")).toDouble() == 0)
            return refuse(
                tr("Workspace %1 pays for the %2 plan through Stripe (subscription %3). To move it to "
                   "%4, cancel the subscription at the end of its period in Stripe: the customer "
                   "keeps what they paid for, and Beacon moves the workspace to %4 when the period "
                   "ends. The console does not end subscriptions.")
                    .arg(id, currentPlan, subscription, newPlan));
        return refuse(
            tr("The %1 plan is invoiced by contract, not through Stripe. Cancel workspace %2's Stripe "
               "subscription %3 at the end of its period first, so that it is not billed twice, then "
               "change the plan.")
                .arg(newPlan, id, subscription));
    }
    *billing = PlanBilling::ThroughStripe;
    return {};
}

DbError runPlanChangeStripeCheck(ActionContext &context)
{
    const ActionRequest &request = context.request();
    PlanChangeChecks checks;
    if (DbError error = checkPlanChange(context, &checks))
        return error;
    const QString id = QString::number(*request.workspaceId);
    if (checks.billing != PlanBilling::ThroughStripe)
        return DbError::make(
            ErrorKind::Conflict,
            tr("Workspace %1 no longer names a Stripe subscription; nothing was changed. Look "
               "at it again, then change the plan if it still makes sense.")
                .arg(id));
    // Chosen once and recorded with this phase: the preview, the update and any rerun prorate from the
    // same moment, so that Stripe's idempotency replays the same request.
    const qint64 prorationDate = request.prorationDate.value_or(QDateTime::currentSecsSinceEpoch());
    namespace key = planbilling;
    context.carried = {
        {QLatin1String(key::Version), checks.workspace.value(QStringLiteral("version"))},
        {QLatin1String(key::Subscription), text(checks.workspace, "stripe_subscription_id")},
        {QLatin1String(key::PlanBefore), text(checks.workspace, "plan")},
        {QLatin1String(key::PriceBefore), text(checks.currentPlan, "stripe_price_id")},
        {QLatin1String(key::PriceAfter), text(checks.newPlan, "stripe_price_id")},
        {QLatin1String(key::OverQuota), checks.overQuota},
        {QLatin1String(key::ProrationBehavior), stripeProrationBehavior(request.proration)},
        {QLatin1String(key::ProrationDate), prorationDate},
    };
    context.targetType = QStringLiteral("workspace");
    context.targetId = id;
    context.workspaceId = *request.workspaceId;
    context.before = checks.workspace;
    context.preview = planChangePreview(
        checks, checks.overQuota || checks.workspace.value(QStringLiteral("read_only")).toBool());
    context.preview.insert(QStringLiteral("billing"), QStringLiteral("stripe"));
    for (const char *field :
         {key::Subscription, key::PriceBefore, key::PriceAfter, key::ProrationBehavior, key::ProrationDate})
        context.preview.insert(QLatin1String(field), context.carried.value(QLatin1String(field)));
    context.message = tr("Workspace %1 moves %2, through Stripe: subscription %3 changes to price %4 (%5).")
                          .arg(id, planChangeSummary(checks), text(context.carried, key::Subscription),
                               text(context.carried, key::PriceAfter), request.proration);
    return {};
}

DbError runPlanChangeStripeApply(ActionContext &context)
{
    const ActionRequest &request = context.request();
    const qint64 id = *request.workspaceId;
    const QJsonObject &carried = context.carried;
    namespace key = planbilling;
    // Locked directly rather than through lockWorkspace(): the version to hold to is the one the first phase
    // saw, and a change since then needs its own words, because Stripe has been changed already.
    QJsonValue locked;
    bool found = false;
    if (DbError error = context.json(QStringLiteral("SELECT to_jsonb(w) FROM public.workspaces AS w "
                                                    "WHERE w.id = CAST($1 AS bigint) FOR UPDATE"),
                                     {id}, tr("Locking the workspace again"), &locked, &found))
        return error;
    const QJsonObject workspace = locked.toObject();
    const qint64 seen = qint64(carried.value(QLatin1String(key::Version)).toDouble());
    const qint64 now = qint64(workspace.value(QStringLiteral("version")).toDouble());
    const QString priceNow = text(carried, key::StripePrice);
    if (!found || now != seen || priceNow != text(carried, key::PriceAfter)) {
        const QUuid repair = planChangeRepairId(request.actionId);
        return DbError::make(
            ErrorKind::Conflict,
            tr("Stripe has already been changed: subscription %1 now bills price %2 (Stripe request %3). But "
               "workspace %4 changed here meanwhile (version %5, now %6), so nothing was written to it. "
               "Write "
               "Stripe's truth into it with billing-sync and this action id: beaconctl billing-sync "
               "--workspace %4 --action-id %7 --reason \"...\".")
                .arg(text(carried, key::Subscription), priceNow, text(carried, key::StripeRequestId))
                .arg(id)
                .arg(seen)
                .arg(found ? QString::number(now) : tr("deleted"))
                .arg(repair.toString(QUuid::WithoutBraces)));
    }
    // What the audit row's after carries besides the row: the Stripe side of the change, never the key.
    const QJsonObject stripe{
        {QStringLiteral("stripe_request_id"), carried.value(QLatin1String(key::StripeRequestId))},
        {QStringLiteral("stripe_subscription_id"), carried.value(QLatin1String(key::Subscription))},
        {QStringLiteral("stripe_price_id"), priceNow},
        {QStringLiteral("proration_behavior"), carried.value(QLatin1String(key::ProrationBehavior))},
        {QStringLiteral("proration_date"), carried.value(QLatin1String(key::ProrationDate))},
        {QStringLiteral("proration_amount"), carried.value(QLatin1String(key::ProrationAmount))},
        {QStringLiteral("currency"), carried.value(QLatin1String(key::Currency))},
    };
    const QJsonValue periodEnd = carried.value(QLatin1String(key::StripePeriodEnd));
    context.lastWrite = {
        QStringLiteral("UPDATE public.workspaces SET plan = $1, subscription_status = $2, "
                       "current_period_end = to_timestamp(CAST($3 AS bigint)), "
                       "read_only = read_only OR CAST($4 AS boolean) WHERE id = CAST($5 AS bigint) "
                       "RETURNING to_jsonb(workspaces.*) || CAST($6 AS jsonb)"),
        {request.plan, text(carried, key::StripeStatus),
         periodEnd.isDouble() ? QVariant(qint64(periodEnd.toDouble()))
                              : QVariant(QMetaType::fromType<qint64>()),
         carried.value(QLatin1String(key::OverQuota)).toBool(), id,
         QString::fromUtf8(QJsonDocument(stripe).toJson(QJsonDocument::Compact))},
        tr("Writing the plan Stripe now bills")};
    context.targetType = QStringLiteral("workspace");
    context.targetId = QString::number(id);
    context.workspaceId = id;
    context.before = workspace;
    context.preview = {{QStringLiteral("rows_affected"), 1},
                       {QStringLiteral("billing"), QStringLiteral("stripe")}};
    const qint64 cents = qint64(carried.value(QLatin1String(key::ProrationAmount)).toDouble());
    context.message =
        tr("Workspace %1 moved from %2 to %3 through Stripe (subscription %4, request %5); proration %6 %7.")
            .arg(QString::number(id), text(carried, key::PlanBefore), request.plan,
                 text(carried, key::Subscription), text(carried, key::StripeRequestId))
            .arg(QString::number(double(cents) / 100.0, 'f', 2), text(carried, key::Currency).toUpper());
    return {};
}

QUuid planChangeRepairId(const QUuid &planChangeId)
{
    return QUuid::createUuidV5(planChangeId, QStringLiteral("billing-sync"));
}

} // namespace beacon::actions
