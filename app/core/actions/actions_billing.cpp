// The actions that mend a workspace's billing columns from what Stripe holds: billing-link records a lost
// customer or subscription id. The ids come from reconciliation, which read them from Stripe.
#include "actions/actioncontext.h"

#include <QCoreApplication>

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

} // namespace beacon::actions
