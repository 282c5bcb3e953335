#pragma once

#include "actions/action.h"
#include "db/dberror.h"

#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace beacon::actions {

// What an action works on, read just before its preview so that the person sees it and so that the GUI can
// ask for the right confirmation: the workspace (with the version the apply then expects), the users named
// by id, and for exports-purge how many exports are due overall (a preview covers one batch only).
struct ActionTarget {
    // The workspace the action works on, given or found through the project or file; none for user-merge
    // and exports-purge.
    std::optional<qint64> workspaceId;
    bool workspaceFound = false;
    QString workspaceSlug;
    QString workspaceName;
    QString workspacePlan;
    bool workspaceReadOnly = false;
    qint64 workspaceVersion = 0;
    // member-add, member-remove, member-role: the user named by id (empty when named by e-mail or unknown).
    QString userEmail;
    // user-merge: the two users' e-mails, empty for an id that does not exist.
    QString keepUserEmail;
    QString mergeUserEmail;
    // exports-purge: every export the action would purge, over all batches.
    qint64 purgeableExports = 0;
    qint64 purgeableBytes = 0;
};

// Reads what the request works on. Outside any transaction: the action itself locks and checks again, and
// the version read here makes it stop with a conflict if the workspace moved on in between.
DbError readActionTarget(const QSqlDatabase &db, const ActionRequest &request, ActionTarget *target);

} // namespace beacon::actions
