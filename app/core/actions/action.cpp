// The action catalogue: the kinds of action, their names, who may run them, how they are described to a
// person, and which requests are well formed (action.h).
#include "actions/action.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QJsonDocument>
#include <QRegularExpression>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

namespace {

struct KindInfo {
    ActionKind kind;
    const char *name;
    QStringList roles;
    bool destructive;
};

const QList<KindInfo> &kinds()
{
    static const QList<KindInfo> list = {
        {ActionKind::PlanChange,
         "plan-change",
         {QStringLiteral("beacon_finance"), QStringLiteral("beacon_admin")},
         false},
        {ActionKind::MemberAdd,
         "member-add",
         {QStringLiteral("beacon_support"), QStringLiteral("beacon_admin")},
         false},
        {ActionKind::MemberRemove,
         "member-remove",
         {QStringLiteral("beacon_support"), QStringLiteral("beacon_admin")},
         true},
        {ActionKind::MemberRole,
         "member-role",
         {QStringLiteral("beacon_support"), QStringLiteral("beacon_admin")},
         false},
        {ActionKind::ProjectDelete,
         "project-delete",
         {QStringLiteral("beacon_support"), QStringLiteral("beacon_admin")},
         true},
        {ActionKind::FileDelete,
         "file-delete",
         {QStringLiteral("beacon_support"), QStringLiteral("beacon_admin")},
         true},
        {ActionKind::QuotaRepair,
         "quota-repair",
         {QStringLiteral("beacon_support"), QStringLiteral("beacon_admin")},
         false},
        {ActionKind::ReadOnly,
         "read-only",
         {QStringLiteral("beacon_finance"), QStringLiteral("beacon_admin")},
         true},
        {ActionKind::UserMerge, "user-merge", {QStringLiteral("beacon_admin")}, true},
        {ActionKind::ExportsPurge, "exports-purge", {QStringLiteral("beacon_admin")}, true},
        {ActionKind::BillingLink,
         "billing-link",
         {QStringLiteral("beacon_finance"), QStringLiteral("beacon_admin")},
         false},
        {ActionKind::BillingSync,
         "billing-sync",
         {QStringLiteral("beacon_finance"), QStringLiteral("beacon_admin")},
         false},
    };
    return list;
}

const KindInfo &infoOf(ActionKind kind)
{
    for (const KindInfo &info : kinds()) {
        if (info.kind == kind)
            return info;
    }
    Q_UNREACHABLE();
}

DbError usage(const QString &message)
{
    return DbError::make(ErrorKind::Usage, message);
}

} // namespace

QString actionName(ActionKind kind)
{
    return QLatin1String(infoOf(kind).name);
}

std::optional<ActionKind> actionFromName(const QString &name)
{
    for (const KindInfo &info : kinds()) {
        if (name == QLatin1String(info.name))
            return info.kind;
    }
    return std::nullopt;
}

QList<ActionKind> allActions()
{
    QList<ActionKind> list;
    for (const KindInfo &info : kinds())
        list.append(info.kind);
    return list;
}

QStringList rolesAllowedFor(ActionKind kind)
{
    return infoOf(kind).roles;
}

bool isDestructive(ActionKind kind)
{
    return infoOf(kind).destructive;
}

const QStringList &memberRoles()
{
    static const QStringList roles = {QStringLiteral("owner"), QStringLiteral("admin"),
                                      QStringLiteral("member"), QStringLiteral("viewer")};
    return roles;
}

ActionText actionText(ActionKind kind)
{
    // One context for all of them, so that translators find each action's words together.
    const auto t = [](const char *text) {
        return QCoreApplication::translate("beacon::actions::ActionText", text);
    };
    const QString slug = t("Type the workspace's slug, %1, to confirm:");
    const QString auditLog = QStringLiteral("audit_log");
    switch (kind) {
    case ActionKind::PlanChange:
        return {
            t("Change plan"),
            t("Moves the workspace to another plan. A plan with fewer seats than the workspace has members "
              "is refused; a plan with less storage than it uses needs \"allow over quota\", and then makes "
              "the workspace read-only."),
            t("Move workspace %1 to the new plan?"),
            {QStringLiteral("workspaces"), auditLog}};
    case ActionKind::ReadOnly:
        return {t("Read-only on or off"),
                t("A read-only workspace can be looked at but not changed by its members."),
                slug,
                {QStringLiteral("workspaces"), auditLog}};
    case ActionKind::QuotaRepair:
        return {t("Repair storage quota"),
                t("Sets the workspace's storage counter to the sum of its files' sizes."),
                t("Set the storage counter of workspace %1 to the sum of its files?"),
                {QStringLiteral("workspaces"), auditLog}};
    case ActionKind::MemberAdd:
        return {t("Add member"),
                t("Adds a user to the workspace with a role. Refused when the plan's seats are all taken."),
                t("Add the user to workspace %1?"),
                {QStringLiteral("memberships"), auditLog}};
    case ActionKind::MemberRemove:
        return {t("Remove member"),
                t("Removes the user from the workspace. The last owner cannot be removed."),
                slug,
                {QStringLiteral("memberships"), auditLog}};
    case ActionKind::MemberRole:
        return {t("Change member role"),
                t("Changes the user's role in the workspace. The last owner keeps the role."),
                t("Change the user's role in workspace %1?"),
                {QStringLiteral("memberships"), auditLog}};
    case ActionKind::ProjectDelete:
        return {
            t("Delete project"),
            t("Deletes the project with all of its files, and gives their space back to the workspace."),
            slug,
            {QStringLiteral("projects"), QStringLiteral("files"), QStringLiteral("workspaces"), auditLog}};
    case ActionKind::FileDelete:
        return {t("Delete file"),
                t("Deletes the file and gives its space back to the workspace."),
                slug,
                {QStringLiteral("files"), QStringLiteral("workspaces"), auditLog}};
    case ActionKind::UserMerge:
        return {t("Merge users"),
                t("Moves the duplicate's memberships to the user kept (where both are members, the stronger "
                  "role stays) and disables the duplicate."),
                t("Type the id of the duplicate that will be disabled, %1, to confirm:"),
                {QStringLiteral("memberships"), QStringLiteral("users"), auditLog}};
    case ActionKind::ExportsPurge:
        return {t("Purge expired exports"),
                t("Marks the export archives that expired more than the given number of days ago as purged, "
                  "in batches."),
                t("Type the number of exports that will be purged, %1, to confirm:"),
                {QStringLiteral("exports"), auditLog}};
    case ActionKind::BillingLink:
        return {t("Link Stripe ids"),
                t("Records the Stripe customer or subscription id that the workspace's row lost, as "
                  "reconciliation found it. Refused when another workspace already has the id."),
                t("Link workspace %1 to these Stripe ids?"),
                {QStringLiteral("workspaces"), auditLog}};
    case ActionKind::BillingSync:
        return {t("Sync billing from Stripe"),
                t("Writes the subscription's status, current period end and plan, as Stripe has them, into "
                  "the workspace's row. A plan with fewer seats than the workspace has members is refused; "
                  "one with less storage than it uses needs \"allow over quota\", and then makes the "
                  "workspace read-only."),
                t("Write Stripe's view of the subscription into workspace %1?"),
                {QStringLiteral("workspaces"), auditLog}};
    }
    return {};
}

const QStringList &prorationChoices()
{
    static const QStringList choices{QStringLiteral("create"), QStringLiteral("none"),
                                     QStringLiteral("always-invoice")};
    return choices;
}

QString stripeProrationBehavior(const QString &proration)
{
    if (proration == QLatin1String("none"))
        return QStringLiteral("none");
    if (proration == QLatin1String("always-invoice"))
        return QStringLiteral("always_invoice");
    return QStringLiteral("create_prorations");
}

QJsonObject requestParameters(const ActionRequest &request)
{
    QJsonObject parameters;
    const auto id = [&parameters](const char *name, const std::optional<qint64> &value) {
        if (value)
            parameters.insert(QLatin1String(name), QString::number(*value));
    };
    const auto text = [&parameters](const char *name, const QString &value) {
        if (!value.isEmpty())
            parameters.insert(QLatin1String(name), value);
    };
    id("workspace", request.workspaceId);
    id("user", request.userId);
    text("user_email", request.userEmail.trimmed().toLower());
    id("project", request.projectId);
    id("file", request.fileId);
    id("keep", request.keepUserId);
    id("merge", request.mergeUserId);
    text("plan", request.plan);
    text("role", request.role);
    if (request.allowOverQuota)
        parameters.insert(QStringLiteral("allow_over_quota"), true);
    if (request.readOnly)
        parameters.insert(QStringLiteral("read_only"), *request.readOnly);
    if (request.kind == ActionKind::ExportsPurge) {
        parameters.insert(QStringLiteral("older_than_days"), request.olderThanDays);
        parameters.insert(QStringLiteral("limit"), request.limit);
    }
    text("stripe_customer_id", request.stripeCustomerId);
    text("stripe_subscription_id", request.stripeSubscriptionId);
    if (request.kind == ActionKind::PlanChange) {
        parameters.insert(QStringLiteral("proration"), request.proration);
        id("proration_date", request.prorationDate);
    }
    return parameters;
}

QString requestFingerprint(const ActionRequest &request)
{
    // QJsonObject keeps its keys sorted, so the compact text is the same for the same request.
    const QJsonObject canonical{{QStringLiteral("action"), actionName(request.kind)},
                                {QStringLiteral("parameters"), requestParameters(request)}};
    return QString::fromLatin1(
        QCryptographicHash::hash(QJsonDocument(canonical).toJson(QJsonDocument::Compact),
                                 QCryptographicHash::Sha256)
            .toHex());
}

QString ActionResult::outcome() const
{
    if (!error)
        return alreadyApplied ? QStringLiteral("already-applied") : QStringLiteral("applied");
    if (error.kind == ErrorKind::Usage)
        return QStringLiteral("refused");
    return kindName(error.kind);
}

DbError validate(const ActionRequest &request)
{
    // A NUL would be cut off on the way to the server (libpq sends C strings): what was stored would not be
    // what was typed.
    const QList<std::pair<const char *, const QString *>> texts = {
        {"the actor", &request.actor},
        {"the reason", &request.reason},
        {"the client", &request.client},
        {"the user's e-mail", &request.userEmail},
        {"the plan", &request.plan},
        {"the role", &request.role},
        {"the proration", &request.proration},
        {"the Stripe customer id", &request.stripeCustomerId},
        {"the Stripe subscription id", &request.stripeSubscriptionId}};
    for (const auto &[what, text] : texts) {
        if (text->contains(QChar(u'\0')))
            return usage(tr("The text given for %1 contains a NUL character, which cannot be stored; remove "
                            "it and try again.")
                             .arg(QCoreApplication::translate("beacon::actions", what)));
    }
    if (request.actor.size() > MaxActorLength)
        return usage(tr("The actor is %1 characters long; at most %2 are accepted.")
                         .arg(request.actor.size())
                         .arg(MaxActorLength));
    if (request.reason.size() > MaxReasonLength)
        return usage(tr("The reason is %1 characters long; at most %2 are accepted. Give a ticket reference "
                        "or a short sentence, and keep longer notes in the ticket.")
                         .arg(request.reason.size())
                         .arg(MaxReasonLength));
    if (request.reason.trimmed().isEmpty())
        return usage(
            tr("Give a reason (for example a ticket reference); every change is recorded with one."));
    if (request.actor.trimmed().isEmpty())
        return usage(tr("Say who is acting (--actor); the audit log records the person beside the login."));
    if (request.actionId.isNull())
        return usage(tr("The action id must be a UUID other than the nil UUID."));
    if (request.lockTimeoutMs <= 0 || request.statementTimeoutMs <= 0)
        return usage(tr("Timeouts must be positive numbers of milliseconds."));
    const auto need = [](bool present, const QString &what) {
        return present ? DbError() : usage(tr("This action needs %1.").arg(what));
    };
    switch (request.kind) {
    case ActionKind::PlanChange:
        if (DbError error = need(request.workspaceId.has_value(), QStringLiteral("--workspace ID")))
            return error;
        if (!prorationChoices().contains(request.proration))
            return usage(
                tr("--proration must be one of %1.").arg(prorationChoices().join(QStringLiteral(", "))));
        if (request.prorationDate && *request.prorationDate <= 0)
            return usage(tr("--proration-date must be a moment in Unix seconds, as the preview shows it."));
        return need(!request.plan.trimmed().isEmpty(), QStringLiteral("--plan CODE"));
    case ActionKind::MemberAdd:
    case ActionKind::MemberRole:
        if (DbError error = need(request.workspaceId.has_value(), QStringLiteral("--workspace ID")))
            return error;
        if (DbError error =
                need(request.userId || !request.userEmail.trimmed().isEmpty(), QStringLiteral("--user ID")))
            return error;
        if (!memberRoles().contains(request.role))
            return usage(tr("--role must be one of %1.").arg(memberRoles().join(QStringLiteral(", "))));
        return {};
    case ActionKind::MemberRemove:
        if (DbError error = need(request.workspaceId.has_value(), QStringLiteral("--workspace ID")))
            return error;
        return need(request.userId.has_value(), QStringLiteral("--user ID"));
    case ActionKind::ProjectDelete:
        return need(request.projectId.has_value(), QStringLiteral("--project ID"));
    case ActionKind::FileDelete:
        return need(request.fileId.has_value(), QStringLiteral("--file ID"));
    case ActionKind::QuotaRepair:
        return need(request.workspaceId.has_value(), QStringLiteral("--workspace ID"));
    case ActionKind::ReadOnly:
        if (DbError error = need(request.workspaceId.has_value(), QStringLiteral("--workspace ID")))
            return error;
        return need(request.readOnly.has_value(), QStringLiteral("--on or --off"));
    case ActionKind::UserMerge:
        if (DbError error =
                need(request.keepUserId && request.mergeUserId, QStringLiteral("--keep ID and --merge ID")))
            return error;
        if (*request.keepUserId == *request.mergeUserId)
            return usage(tr("--keep and --merge name the same user; give two different users."));
        return {};
    case ActionKind::ExportsPurge:
        if (request.olderThanDays < 0)
            return usage(tr("This action needs --older-than DAYS (0 or more)."));
        if (request.limit <= 0)
            return usage(tr("--limit must be a positive number."));
        return {};
    case ActionKind::BillingSync:
        // Stripe's view is read by the command, after these checks; the engine refuses to run without it.
        return need(request.workspaceId.has_value(), QStringLiteral("--workspace ID"));
    case ActionKind::BillingLink: {
        if (DbError error = need(request.workspaceId.has_value(), QStringLiteral("--workspace ID")))
            return error;
        if (DbError error =
                need(!request.stripeCustomerId.isEmpty() || !request.stripeSubscriptionId.isEmpty(),
                     QStringLiteral("--customer ID or --subscription ID")))
            return error;
        // Stripe's ids are a prefix and letters, digits and underscores; anything else is a typing slip.
        static const QRegularExpression customer(QStringLiteral("^cus_[A-Za-z0-9_]+$"));
        static const QRegularExpression subscription(QStringLiteral("^sub_[A-Za-z0-9_]+$"));
        if (!request.stripeCustomerId.isEmpty() && !customer.match(request.stripeCustomerId).hasMatch())
            return usage(tr("--customer takes a Stripe customer id such as cus_NffrFeUfNV2Hib, not \"%1\".")
                             .arg(request.stripeCustomerId));
        if (!request.stripeSubscriptionId.isEmpty() &&
            !subscription.match(request.stripeSubscriptionId).hasMatch())
            return usage(
                tr("--subscription takes a Stripe subscription id such as sub_1MowQVLkdIwHu7ix, not \"%1\".")
                    .arg(request.stripeSubscriptionId));
        return {};
    }
    }
    return {};
}

} // namespace beacon::actions
