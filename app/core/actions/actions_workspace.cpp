// The actions on one workspace row: plan change, read-only on or off, and the storage quota repair.
#include "actions/actioncontext.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QLocale>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

static qint64 integer(const QJsonObject &row, const char *field)
{
    return qint64(row.value(QLatin1String(field)).toDouble());
}

static QString bytes(qint64 value)
{
    return QLocale().formattedDataSize(value, 1, QLocale::DataSizeTraditionalFormat);
}

DbError checkPlanChange(ActionContext &context, PlanChangeChecks *checks)
{
    const ActionRequest &request = context.request();
    const qint64 id = *request.workspaceId;
    if (DbError error = context.lockWorkspace(id, &checks->workspace))
        return error;
    const QJsonObject &workspace = checks->workspace;
    QJsonValue plans;
    if (DbError error = context.json(
            QStringLiteral("SELECT jsonb_build_object('new', (SELECT to_jsonb(p) FROM public.plans AS p "
                           "WHERE p.code = $1), 'current', (SELECT to_jsonb(p) FROM public.plans AS p "
                           "WHERE p.code = $2))"),
            {request.plan, workspace.value(QStringLiteral("plan")).toString()}, tr("Reading the plans"),
            &plans))
        return error;
    checks->newPlan = plans.toObject().value(QStringLiteral("new")).toObject();
    checks->currentPlan = plans.toObject().value(QStringLiteral("current")).toObject();
    if (checks->newPlan.isEmpty()) {
        StatementRows *codes = nullptr;
        if (DbError error = context.row(
                codes,
                QStringLiteral(
                    "SELECT string_agg(code, ', ' ORDER BY monthly_price_cents) FROM public.plans"),
                {}, tr("Listing the plans")))
            return error;
        return refuse(
            tr("There is no plan \"%1\". The plans are: %2.").arg(request.plan, codes->value(0).toString()));
    }
    const QJsonObject &newPlan = checks->newPlan;
    if (workspace.value(QStringLiteral("plan")).toString() == request.plan)
        return refuse(
            tr("Workspace %1 is already on the %2 plan; nothing to change.").arg(id).arg(request.plan));
    // How it is billed comes first: a move that billing rules out is refused whatever the seats say.
    if (DbError error = decidePlanBilling(*checks, &checks->billing))
        return error;

    if (DbError error = memberCount(context, id, &checks->members))
        return error;
    const qint64 members = checks->members;
    const qint64 maxMembers = integer(newPlan, "max_members");
    if (members > maxMembers)
        return refuse(
            tr("Workspace %1 has %2 members, and the %3 plan allows %4. Remove %5 members first, or "
               "choose a bigger plan.")
                .arg(id)
                .arg(members)
                .arg(request.plan)
                .arg(maxMembers)
                .arg(members - maxMembers));
    const qint64 used = integer(workspace, "storage_used_bytes");
    const qint64 quota = integer(newPlan, "storage_quota_bytes");
    checks->overQuota = used > quota;
    if (checks->overQuota && !request.allowOverQuota)
        return refuse(
            tr("Workspace %1 stores %2, more than the %3 plan's %4. Free space first, or change the "
               "plan anyway with --allow-over-quota, which also makes the workspace read-only.")
                .arg(id)
                .arg(bytes(used), request.plan, bytes(quota)));
    return {};
}

QJsonObject planChangePreview(const PlanChangeChecks &checks, bool readOnlyAfter)
{
    return {
        {QStringLiteral("members_before"), checks.members},
        {QStringLiteral("members_after"), checks.members},
        {QStringLiteral("new_limits"),
         QJsonObject{{QStringLiteral("max_members"), integer(checks.newPlan, "max_members")},
                     {QStringLiteral("storage_quota_bytes"), integer(checks.newPlan, "storage_quota_bytes")},
                     {QStringLiteral("ai_monthly_tokens"),
                      checks.newPlan.value(QStringLiteral("ai_monthly_tokens"))}}},
        {QStringLiteral("read_only_after"), readOnlyAfter}};
}

QString planChangeSummary(const PlanChangeChecks &checks)
{
    const QJsonObject &workspace = checks.workspace;
    return tr("from %1 to %2 (%3 members of %4, %5 of %6)%7")
        .arg(workspace.value(QStringLiteral("plan")).toString(),
             checks.newPlan.value(QStringLiteral("code")).toString())
        .arg(checks.members)
        .arg(integer(checks.newPlan, "max_members"))
        .arg(bytes(integer(workspace, "storage_used_bytes")),
             bytes(integer(checks.newPlan, "storage_quota_bytes")),
             checks.overQuota ? tr("; over its quota, so it is now read-only") : QString());
}

DbError runPlanChange(ActionContext &context)
{
    const ActionRequest &request = context.request();
    const qint64 id = *request.workspaceId;
    PlanChangeChecks checks;
    if (DbError error = checkPlanChange(context, &checks))
        return error;
    if (checks.billing == PlanBilling::ThroughStripe)
        return refuse(
            tr("Workspace %1 pays through Stripe (subscription %2), so its plan changes in Stripe first, or "
               "the customer would go on paying the old price. Run it with a Stripe key: in beaconctl "
               "STRIPE_API_KEY or --stripe-key-file; in the console, the connection's Stripe key.")
                .arg(QString::number(id),
                     checks.workspace.value(QStringLiteral("stripe_subscription_id")).toString()));
    const QJsonObject &workspace = checks.workspace;
    const bool overQuota = checks.overQuota;
    QJsonValue after;
    if (DbError error =
            context.json(QStringLiteral("UPDATE public.workspaces SET plan = $1, read_only = read_only OR "
                                        "CAST($2 AS boolean) WHERE id = CAST($3 AS bigint) "
                                        "RETURNING to_jsonb(workspaces.*)"),
                         {request.plan, overQuota, id}, tr("Changing the plan"), &after))
        return error;
    if (DbError error = context.wrote())
        return error;
    context.targetType = QStringLiteral("workspace");
    context.targetId = QString::number(id);
    context.workspaceId = id;
    context.before = workspace;
    context.after = after;
    context.preview = planChangePreview(checks, after.toObject().value(QStringLiteral("read_only")).toBool());
    context.preview.insert(QStringLiteral("billing"), QStringLiteral("none"));
    // A workspace without a subscription pays nothing through Stripe, whatever its plan: say so, so that a
    // move to a paid plan is seen for what it is (a grant), not mistaken for a sale.
    const bool paidPlan = !checks.newPlan.value(QStringLiteral("stripe_price_id")).toString().isEmpty();
    context.message =
        tr("Workspace %1 moved %2.").arg(QString::number(id), planChangeSummary(checks)) +
        (paidPlan ? QLatin1Char(' ') + tr("Stripe bills nothing for it: the workspace has no subscription "
                                          "(subscriptions begin at the customer's checkout).")
                  : QString());
    return {};
}

DbError runReadOnly(ActionContext &context)
{
    const ActionRequest &request = context.request();
    const qint64 id = *request.workspaceId;
    QJsonObject workspace;
    if (DbError error = context.lockWorkspace(id, &workspace))
        return error;
    const bool on = *request.readOnly;
    if (workspace.value(QStringLiteral("read_only")).toBool() == on)
        return refuse(on ? tr("Workspace %1 is already read-only.").arg(id)
                         : tr("Workspace %1 is already writable.").arg(id));
    // Nothing is left to check once it is set: the engine writes it with the audit row.
    context.lastWrite = {
        QStringLiteral("UPDATE public.workspaces SET read_only = CAST($1 AS boolean) WHERE id = "
                       "CAST($2 AS bigint) RETURNING to_jsonb(workspaces.*)"),
        {on, id},
        tr("Setting read-only")};
    context.targetType = QStringLiteral("workspace");
    context.targetId = QString::number(id);
    context.workspaceId = id;
    context.before = workspace;
    // A dry run reports what it would touch, as every other action's does.
    context.preview = {{QStringLiteral("rows_affected"), 1}, {QStringLiteral("read_only_after"), on}};
    context.message =
        on ? tr("Workspace %1 is now read-only.").arg(id) : tr("Workspace %1 is writable again.").arg(id);
    return {};
}

DbError runQuotaRepair(ActionContext &context)
{
    const ActionRequest &request = context.request();
    const qint64 id = *request.workspaceId;
    QJsonObject workspace;
    // Uploads lock the workspace before they add a file and its bytes, so with the lock held the files are
    // exactly what the counter must say.
    if (DbError error = context.lockWorkspace(id, &workspace))
        return error;
    StatementRows *sum = nullptr;
    if (DbError error =
            context.row(sum,
                        QStringLiteral("SELECT coalesce(sum(size_bytes), 0), count(*) FROM public.files "
                                       "WHERE workspace_id = CAST($1 AS bigint)"),
                        {id}, tr("Adding up the files")))
        return error;
    const qint64 actual = sum->value(0).toLongLong();
    const qint64 recorded = integer(workspace, "storage_used_bytes");
    const qint64 delta = actual - recorded;
    QJsonValue after = workspace;
    if (delta == 0) {
        // With nothing to write the server checks no grant, and a login that may not repair quotas would
        // still record a repair: ask the server whether this login could have written the counter.
        StatementRows *allowed = nullptr;
        if (DbError error = context.row(allowed,
                                        QStringLiteral("SELECT has_column_privilege('public.workspaces', "
                                                       "'storage_used_bytes', 'UPDATE')"),
                                        {}, tr("Checking the right to repair the quota")))
            return error;
        if (!allowed->value(0).toBool()) {
            DbError denied =
                DbError::make(ErrorKind::Denied, tr("This login may not change storage counters."));
            denied.sqlState = QStringLiteral("42501");
            return denied;
        }
    } else {
        if (DbError error = context.json(QStringLiteral("UPDATE public.workspaces SET storage_used_bytes = "
                                                        "CAST($1 AS bigint) WHERE id = CAST($2 AS bigint) "
                                                        "RETURNING to_jsonb(workspaces.*)"),
                                         {actual, id}, tr("Correcting the storage counter"), &after))
            return error;
        if (DbError error = context.wrote())
            return error;
    }
    context.targetType = QStringLiteral("workspace");
    context.targetId = QString::number(id);
    context.workspaceId = id;
    context.before = QJsonObject{{QStringLiteral("storage_used_bytes"), recorded}};
    context.after = QJsonObject{{QStringLiteral("storage_used_bytes"), actual},
                                {QStringLiteral("delta_bytes"), delta},
                                {QStringLiteral("files"), sum->value(1).toLongLong()}};
    context.preview = {{QStringLiteral("delta_bytes"), delta},
                       {QStringLiteral("files"), sum->value(1).toLongLong()}};
    context.message = delta == 0
                          ? tr("Workspace %1's storage counter was already right (%2); nothing changed.")
                                .arg(id)
                                .arg(bytes(actual))
                          : tr("Workspace %1's storage counter corrected from %2 to %3 bytes (%4%5).")
                                .arg(id)
                                .arg(recorded)
                                .arg(actual)
                                .arg(delta > 0 ? QStringLiteral("+") : QString())
                                .arg(delta);
    return {};
}

} // namespace beacon::actions
