// The action catalogue: the kinds of action, their names, who may run them, and which requests are well
// formed (action.h).
#include "actions/action.h"

#include <QCoreApplication>

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
    }
    return {};
}

} // namespace beacon::actions
