#include "billing/billedaction.h"

#include "actions/actionengine.h"
#include "actions/phasedaction.h"
#include "billing/reconciliation.h"
#include "billing/stripeclient.h"
#include "billing/stripeplanchange.h"
#include "billing/stripewait.h"
#include "db/statementcache.h"

#include <QCoreApplication>

namespace beacon::billing {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::billing", text);
}

namespace {

// Whether this plan change goes through Stripe: the row and both plans read without a lock, to choose the
// way, by the engine's own rule (decidePlanBilling); the first phase (or the engine, the other way) decides
// again on the locked row. A run already begun in phases goes on in phases.
DbError goesThroughStripe(const QSqlDatabase &db, const actions::ActionRequest &request, bool *stripe)
{
    StatementRows *rows = nullptr;
    if (DbError error = StatementCache::of(db).exec(
            QStringLiteral(
                "SELECT to_jsonb(w)::text, to_jsonb(current_plan)::text, to_jsonb(new_plan)::text, "
                "EXISTS (SELECT 1 FROM public.action_phases AS ap WHERE ap.action_id = CAST($3 AS "
                "uuid)) FROM public.workspaces AS w JOIN public.plans AS current_plan ON "
                "current_plan.code = w.plan LEFT JOIN public.plans AS new_plan ON new_plan.code = $2 "
                "WHERE w.id = CAST($1 AS bigint)"),
            {*request.workspaceId, request.plan, request.actionId.toString(QUuid::WithoutBraces)},
            tr("Finding how the workspace is billed"), &rows))
        return error;
    *stripe = false;
    if (!rows->next())
        return {};
    if (rows->value(3).toBool()) {
        *stripe = true;
        return {};
    }
    actions::PlanChangeChecks checks;
    checks.workspace = actions::parseJson(rows->value(0)).toObject();
    checks.currentPlan = actions::parseJson(rows->value(1)).toObject();
    checks.newPlan = actions::parseJson(rows->value(2)).toObject();
    // A refusal here is the engine's to give, on the locked row, in the same words.
    actions::PlanBilling billing = actions::PlanBilling::DatabaseOnly;
    *stripe = !actions::decidePlanBilling(checks, &billing) && billing == actions::PlanBilling::ThroughStripe;
    return {};
}

actions::ActionResult runPlanChangeThroughStripe(const QSqlDatabase &db,
                                                 const actions::ActionRequest &request,
                                                 const StripeAccess &stripe,
                                                 const actions::ActionHooks &hooks)
{
    const QList<actions::ActionPhase> phases = stripePlanChangePhases(stripe);
    actions::ActionResult result = actions::runPhasedAction(db, request, phases, hooks);
    if (request.dryRun && result.ok())
        addStripePreview(stripe, &result);
    return result;
}

} // namespace

actions::ActionResult runBilledAction(const QSqlDatabase &db, const actions::ActionRequest &request,
                                      const std::optional<StripeAccess> &stripe,
                                      const actions::ActionHooks &hooks)
{
    using actions::ActionKind;
    actions::ActionResult result;
    result.actionId = request.actionId;
    result.kind = request.kind;
    result.dryRun = request.dryRun;
    if ((result.error = actions::validate(request)))
        return result;
    if (request.kind == ActionKind::PlanChange && stripe) {
        bool throughStripe = false;
        if ((result.error = goesThroughStripe(db, request, &throughStripe)))
            return result;
        if (throughStripe)
            return runPlanChangeThroughStripe(db, request, *stripe, hooks);
    }
    if (request.kind == ActionKind::BillingSync && !request.stripeSubscription) {
        if (!stripe) {
            result.error = DbError::make(
                ErrorKind::Usage, tr("billing-sync writes what Stripe holds, so it needs a Stripe key: in "
                                     "beaconctl STRIPE_API_KEY or --stripe-key-file; in the console, the "
                                     "connection's Stripe key."));
            return result;
        }
        actions::ActionRequest withStripe = request;
        if ((result.error = readSubscriptionForSync(db, *stripe, &withStripe)))
            return result;
        return actions::runAction(db, withStripe, hooks);
    }
    if (request.kind == ActionKind::ExportsPurge && !request.dryRun && !hooks.afterWrite)
        return actions::runActionInBatches(db, request);
    return actions::runAction(db, request, hooks);
}

DbError readSubscriptionForSync(const QSqlDatabase &db, const StripeAccess &access,
                                actions::ActionRequest *request)
{
    StatementRows *rows = nullptr;
    if (DbError error = StatementCache::of(db).exec(
            QStringLiteral(
                "SELECT stripe_subscription_id FROM public.workspaces WHERE id = CAST($1 AS bigint)"),
            {*request->workspaceId}, tr("Reading the workspace's subscription id"), &rows))
        return error;
    if (!rows->next() || rows->value(0).isNull())
        return {};
    const QString subscriptionId = rows->value(0).toString();
    StripeClient stripe(*access.key, *access.endpoint, access.clientOptions);
    StripeCall *call = stripe.get(QStringLiteral("/v1/subscriptions/") + subscriptionId, {},
                                  tr("Reading subscription %1 from Stripe").arg(subscriptionId));
    if (waitForCall(call)) {
        if (call->httpStatus() != 404)
            return call->error();
        DbError gone = call->error();
        gone.message =
            tr("Stripe does not know subscription %1, which workspace %2 names. Check that the key "
               "is for the right account and mode (test or live); if the id is wrong, link the right "
               "one with billing-link.")
                .arg(subscriptionId)
                .arg(*request->workspaceId);
        return gone;
    }
    const StripeSubscription subscription = subscriptionFromJson(call->object());
    actions::StripeSubscriptionState state;
    state.subscriptionId = subscription.id;
    state.status = subscription.status;
    if (subscription.currentPeriodEnd.isValid())
        state.currentPeriodEnd = subscription.currentPeriodEnd.toSecsSinceEpoch();
    state.priceId = subscription.priceId;
    state.requestId = call->requestId();
    request->stripeSubscription = state;
    return {};
}

} // namespace beacon::billing
