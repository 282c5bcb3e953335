#include "actionmix.h"

#include "stressserver.h"

#include "actions/action.h"

namespace beacon::stress {

namespace {

// Locks not obtained in this time come back busy: short, so that the lock holder turns actions away quickly.
const QString LockTimeoutMs = QStringLiteral("500");

} // namespace

qint64 ActionMix::workspace()
{
    // One action in five meets the lock holder's workspace, so that every run proves some turned away.
    if (m_random->bounded(5) == 0)
        return m_lockedWorkspace;
    return 1 + m_random->bounded(StressData::Workspaces);
}

qint64 ActionMix::user()
{
    return 1 + m_random->bounded(StressData::Users);
}

qint64 ActionMix::pick(const QList<qint64> &ids, qint64 fallbackMax)
{
    // Now and then an id that may be gone already: a refusal is an outcome too.
    if (ids.isEmpty() || m_random->bounded(10) == 0)
        return 1 + m_random->bounded(fallbackMax);
    return ids.at(m_random->bounded(int(ids.size())));
}

QString ActionMix::pick(const QStringList &values)
{
    return values.at(m_random->bounded(int(values.size())));
}

PlannedAction ActionMix::next(const Targets &targets)
{
    using actions::ActionKind;
    static const QList<ActionKind> kinds = {
        ActionKind::MemberAdd,  ActionKind::MemberRemove, ActionKind::MemberRole, ActionKind::ProjectDelete,
        ActionKind::FileDelete, ActionKind::QuotaRepair,  ActionKind::PlanChange, ActionKind::ReadOnly};
    const ActionKind kind = kinds.at(m_random->bounded(int(kinds.size())));
    PlannedAction action;
    action.id = QUuid::createUuid();
    action.name = actions::actionName(kind);
    const QStringList allowed = actions::rolesAllowedFor(kind);
    // One action in ten goes to a group whose grants do not cover it; otherwise to one whose grants do.
    QStringList candidates;
    const bool wrongGroup = m_random->bounded(10) == 0;
    for (const QString &group : StressServer::groups()) {
        if (allowed.contains(group) != wrongGroup)
            candidates << group;
    }
    if (candidates.isEmpty())
        candidates = allowed;
    action.group = pick(candidates);
    action.permitted = allowed.contains(action.group);

    const auto onWorkspace = [&](QStringList more) {
        action.workspace = workspace();
        return QStringList{QStringLiteral("--workspace"), QString::number(action.workspace)} + more;
    };
    const QStringList roles = {QStringLiteral("admin"), QStringLiteral("member"), QStringLiteral("viewer")};
    switch (kind) {
    case ActionKind::MemberAdd:
        action.options = onWorkspace(
            {QStringLiteral("--user"), QString::number(user()), QStringLiteral("--role"), pick(roles)});
        break;
    case ActionKind::MemberRemove:
        action.options = onWorkspace({QStringLiteral("--user"), QString::number(user())});
        break;
    case ActionKind::MemberRole:
        action.options = onWorkspace(
            {QStringLiteral("--user"), QString::number(user()), QStringLiteral("--role"), pick(roles)});
        break;
    case ActionKind::ProjectDelete:
        action.options = {QStringLiteral("--project"),
                          QString::number(pick(targets.projects,
                                               StressData::Workspaces * StressData::ProjectsPerWorkspace))};
        break;
    case ActionKind::FileDelete:
        action.options = {
            QStringLiteral("--file"),
            QString::number(pick(targets.files, StressData::Workspaces * StressData::ProjectsPerWorkspace *
                                                    StressData::FilesPerProject))};
        break;
    case ActionKind::QuotaRepair:
        action.options = onWorkspace({});
        break;
    case ActionKind::PlanChange:
        // No --allow-over-quota: a plan too small for the members or the files must be refused.
        action.options = onWorkspace(
            {QStringLiteral("--plan"), pick({QStringLiteral("free"), QStringLiteral("starter"),
                                             QStringLiteral("team"), QStringLiteral("business")})});
        break;
    case ActionKind::ReadOnly:
        action.options = onWorkspace({pick({QStringLiteral("--on"), QStringLiteral("--off")})});
        break;
    default:
        Q_UNREACHABLE();
    }
    return action;
}

QStringList commandLine(const PlannedAction &action, const QString &databaseUri)
{
    return QStringList{QStringLiteral("--db"),          databaseUri,
                       QStringLiteral("--json"),        QStringLiteral("--actor"),
                       QStringLiteral("stress.tester"), action.name} +
           action.options +
           QStringList{QStringLiteral("--reason"),       QStringLiteral("STRESS: random action under load"),
                       QStringLiteral("--action-id"),    action.id.toString(QUuid::WithoutBraces),
                       QStringLiteral("--lock-timeout"), LockTimeoutMs};
}

} // namespace beacon::stress
