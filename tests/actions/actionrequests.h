#pragma once

// The requests tst_actions and tst_actions_ids both make, in one place so that neither carries a copy.

#include "actionfixture.h"

namespace beacon::test {

inline actions::ActionRequest planChange(qint64 workspace, const QString &plan)
{
    actions::ActionRequest request = actionRequest(actions::ActionKind::PlanChange);
    request.workspaceId = workspace;
    request.plan = plan;
    return request;
}

inline actions::ActionRequest memberAdd(qint64 workspace, qint64 user)
{
    actions::ActionRequest request = actionRequest(actions::ActionKind::MemberAdd);
    request.workspaceId = workspace;
    request.userId = user;
    request.role = QStringLiteral("member");
    return request;
}

inline actions::ActionRequest memberRemove(qint64 workspace, qint64 user)
{
    actions::ActionRequest request = actionRequest(actions::ActionKind::MemberRemove);
    request.workspaceId = workspace;
    request.userId = user;
    return request;
}

inline actions::ActionRequest memberRole(qint64 workspace, qint64 user, const QString &role)
{
    actions::ActionRequest request = actionRequest(actions::ActionKind::MemberRole);
    request.workspaceId = workspace;
    request.userId = user;
    request.role = role;
    return request;
}

inline actions::ActionRequest projectDelete(qint64 project)
{
    actions::ActionRequest request = actionRequest(actions::ActionKind::ProjectDelete);
    request.projectId = project;
    return request;
}

inline actions::ActionRequest fileDelete(qint64 file)
{
    actions::ActionRequest request = actionRequest(actions::ActionKind::FileDelete);
    request.fileId = file;
    return request;
}

inline actions::ActionRequest quotaRepair(qint64 workspace)
{
    actions::ActionRequest request = actionRequest(actions::ActionKind::QuotaRepair);
    request.workspaceId = workspace;
    return request;
}

inline actions::ActionRequest readOnly(qint64 workspace, bool on)
{
    actions::ActionRequest request = actionRequest(actions::ActionKind::ReadOnly);
    request.workspaceId = workspace;
    request.readOnly = on;
    return request;
}

inline actions::ActionRequest userMerge(qint64 keep, qint64 merge)
{
    actions::ActionRequest request = actionRequest(actions::ActionKind::UserMerge);
    request.keepUserId = keep;
    request.mergeUserId = merge;
    return request;
}

inline actions::ActionRequest exportsPurge(int olderThanDays, int limit)
{
    actions::ActionRequest request = actionRequest(actions::ActionKind::ExportsPurge);
    request.olderThanDays = olderThanDays;
    request.limit = limit;
    return request;
}

} // namespace beacon::test
