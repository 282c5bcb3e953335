// The actions that mend a workspace's billing columns from what Stripe holds: billing-link records a lost
// customer or subscription id (the ids come from reconciliation, which read them from Stripe), and
// billing-sync writes the subscription's status, period end and plan as Stripe answered for them just before.
#include "actions/actioncontext.h"

#include <QCoreApplication>
#include <QDateTime>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

namespace {

// The column each id goes in, from a fixed list: never built from input.
struct LinkedId {
    const char *column;
    QString id;
    QString noun;
};

} // namespace

DbError runBillingLink(ActionContext &context)
{
    const ActionRequest &request = context.request();
    const qint64 id = *request.workspaceId;
    QJsonObject workspace;
    if (DbError error = context.lockWorkspace(id, &workspace))
        return error;
    QList<LinkedId> links;
    if (!request.stripeCustomerId.isEmpty())
        links.append({"stripe_customer_id", request.stripeCustomerId, tr("customer")});
    if (!request.stripeSubscriptionId.isEmpty())
        links.append({"stripe_subscription_id", request.stripeSubscriptionId, tr("subscription")});
    QStringList changes;
    for (const LinkedId &link : std::as_const(links)) {
        const QString current = workspace.value(QLatin1String(link.column)).toString();
        if (current == link.id)
            continue;
        // The unique constraint is the real guard against two workspaces sharing an id; this look names the
        // other workspace, so that the person knows where to start.
        StatementRows *holder = nullptr;
        const QString sql =
            link.column == QLatin1String("stripe_customer_id")
                ? QStringLiteral("SELECT id FROM public.workspaces WHERE stripe_customer_id = $1 "
                                 "AND id <> CAST($2 AS bigint)")
                : QStringLiteral("SELECT id FROM public.workspaces WHERE "
                                 "stripe_subscription_id = $1 AND id <> CAST($2 AS bigint)");
        if (DbError error =
                context.statements().exec(sql, {link.id, id}, tr("Looking for the id elsewhere"), &holder))
            return error;
        if (holder->next())
            return refuse(tr("Workspace %1 already has Stripe %2 %3. Run reconciliation for both workspaces "
                             "and decide in Stripe which one it belongs to.")
                              .arg(holder->value(0).toString(), link.noun, link.id));
        changes.append(current.isEmpty() ? tr("%1 %2 (it had none)").arg(link.noun, link.id)
                                         : tr("%1 %2 (it had %3)").arg(link.noun, link.id, current));
    }
    if (changes.isEmpty())
        return refuse(tr("Workspace %1 already has these Stripe ids; nothing to change.").arg(id));
    // Nothing is left to check: the engine writes it with the audit row. An id not given keeps its value.
    context.lastWrite = {
        QStringLiteral("UPDATE public.workspaces SET stripe_customer_id = coalesce($1, stripe_customer_id), "
                       "stripe_subscription_id = coalesce($2, stripe_subscription_id) "
                       "WHERE id = CAST($3 AS bigint) RETURNING to_jsonb(workspaces.*)"),
        {request.stripeCustomerId.isEmpty() ? QVariant() : QVariant(request.stripeCustomerId),
         request.stripeSubscriptionId.isEmpty() ? QVariant() : QVariant(request.stripeSubscriptionId), id},
        tr("Linking the Stripe ids")};
    context.targetType = QStringLiteral("workspace");
    context.targetId = QString::number(id);
    context.workspaceId = id;
    context.before = workspace;
    context.preview = {{QStringLiteral("rows_affected"), 1}};
    context.message =
        tr("Workspace %1 now names Stripe %2.").arg(QString::number(id), changes.join(tr(" and ")));
    return {};
}

DbError runBillingSync(ActionContext &context)
{
    const ActionRequest &request = context.request();
    const qint64 id = *request.workspaceId;
    QJsonObject workspace;
    if (DbError error = context.lockWorkspace(id, &workspace))
        return error;
    const QString named = workspace.value(QStringLiteral("stripe_subscription_id")).toString();
    if (named.isEmpty())
        return refuse(tr("Workspace %1 names no Stripe subscription. Link it first with billing-link "
                         "(reconciliation says which), then sync.")
                          .arg(id));
    if (!request.stripeSubscription)
        return DbError::make(ErrorKind::Internal,
                             tr("billing-sync ran without Stripe's view of the subscription; it is read by "
                                "beaconctl or the console just before the action."));
    const StripeSubscriptionState &stripe = *request.stripeSubscription;
    // Stripe was read for the subscription the row named then; if the row moved on since, that view is not
    // this row's.
    if (named != stripe.subscriptionId)
        return DbError::make(ErrorKind::Conflict,
                             tr("Workspace %1 now names subscription %2, not %3 that Stripe was asked about. "
                                "Run billing-sync again.")
                                 .arg(QString::number(id), named, stripe.subscriptionId));

    QJsonValue plan;
    bool found = false;
    if (DbError error = context.json(
            QStringLiteral("SELECT to_jsonb(p) FROM public.plans AS p WHERE p.stripe_price_id = $1"),
            {stripe.priceId}, tr("Finding the plan of Stripe's price"), &plan, &found))
        return error;
    if (!found)
        return refuse(
            tr("Subscription %1 bills price %2, which no Beacon plan has. Find which plan it stands "
               "for (in Stripe's dashboard) before syncing.")
                .arg(stripe.subscriptionId, stripe.priceId.isEmpty() ? tr("(none)") : stripe.priceId));
    const QJsonObject newPlan = plan.toObject();
    const QString planCode = newPlan.value(QStringLiteral("code")).toString();
    const QString oldPlan = workspace.value(QStringLiteral("plan")).toString();
    bool overQuota = false;
    if (planCode != oldPlan) {
        // Stripe bills what the customer chose; the seats and storage rules still hold in Beacon.
        qint64 members = 0;
        if (DbError error = memberCount(context, id, &members))
            return error;
        const qint64 maxMembers = qint64(newPlan.value(QStringLiteral("max_members")).toDouble());
        if (members > maxMembers)
            return refuse(tr("Stripe bills workspace %1 for the %2 plan, which allows %3 members; it has %4. "
                             "Remove members, or change the subscription in Stripe, then sync.")
                              .arg(QString::number(id), planCode)
                              .arg(maxMembers)
                              .arg(members));
        const qint64 used = qint64(workspace.value(QStringLiteral("storage_used_bytes")).toDouble());
        const qint64 quota = qint64(newPlan.value(QStringLiteral("storage_quota_bytes")).toDouble());
        overQuota = used > quota;
        if (overQuota && !request.allowOverQuota)
            return refuse(
                tr("Stripe bills workspace %1 for the %2 plan, whose storage quota is smaller than "
                   "what it stores. Free space first, or sync anyway with --allow-over-quota, which "
                   "also makes the workspace read-only.")
                    .arg(QString::number(id), planCode));
    }
    const QString oldStatus = workspace.value(QStringLiteral("subscription_status")).toString();
    // The row's period end in whole seconds, as Stripe counts them (the row is locked already).
    StatementRows *end = nullptr;
    if (DbError error =
            context.row(end,
                        QStringLiteral("SELECT floor(extract(epoch FROM current_period_end))::bigint "
                                       "FROM public.workspaces WHERE id = CAST($1 AS bigint)"),
                        {id}, tr("Reading the period end")))
        return error;
    std::optional<qint64> oldEnd;
    if (!end->value(0).isNull())
        oldEnd = end->value(0).toLongLong();
    if (planCode == oldPlan && oldStatus == stripe.status && oldEnd == stripe.currentPeriodEnd)
        return refuse(tr("Workspace %1 already agrees with Stripe on subscription %2; nothing to change.")
                          .arg(QString::number(id), stripe.subscriptionId));

    context.lastWrite = {
        QStringLiteral("UPDATE public.workspaces SET plan = $1, subscription_status = $2, "
                       "current_period_end = to_timestamp(CAST($3 AS bigint)), "
                       "read_only = read_only OR CAST($4 AS boolean) WHERE id = CAST($5 AS bigint) "
                       "RETURNING to_jsonb(workspaces.*) || jsonb_build_object('stripe_request_id', "
                       "CAST($6 AS text))"),
        {planCode, stripe.status,
         stripe.currentPeriodEnd ? QVariant(*stripe.currentPeriodEnd)
                                 : QVariant(QMetaType::fromType<qint64>()),
         overQuota, id, stripe.requestId},
        tr("Writing Stripe's view of the subscription")};
    context.targetType = QStringLiteral("workspace");
    context.targetId = QString::number(id);
    context.workspaceId = id;
    context.before = workspace;
    context.preview = {{QStringLiteral("rows_affected"), 1},
                       {QStringLiteral("plan_after"), planCode},
                       {QStringLiteral("status_after"), stripe.status},
                       {QStringLiteral("read_only_after"),
                        overQuota || workspace.value(QStringLiteral("read_only")).toBool()}};
    QStringList changes;
    if (planCode != oldPlan)
        changes.append(tr("plan %1 (was %2)").arg(planCode, oldPlan));
    if (oldStatus != stripe.status)
        changes.append(
            tr("status %1 (was %2)").arg(stripe.status, oldStatus.isEmpty() ? tr("none") : oldStatus));
    if (oldEnd != stripe.currentPeriodEnd)
        changes.append(tr("period end %1")
                           .arg(stripe.currentPeriodEnd
                                    ? QDateTime::fromSecsSinceEpoch(*stripe.currentPeriodEnd)
                                          .toUTC()
                                          .toString(Qt::ISODate)
                                    : tr("none")));
    context.message = tr("Workspace %1 now has Stripe's %2%3.")
                          .arg(QString::number(id), changes.join(tr(", ")),
                               overQuota ? tr("; over its quota, so it is now read-only") : QString());
    return {};
}

} // namespace beacon::actions
