#pragma once

#include "browse/keysetpager.h"

namespace beacon::browse {

// The browsable tables. Sortable columns are exactly those with an index on (column, id) in the schema.
const TableDefinition &usersTable();
const TableDefinition &workspacesTable();
const TableDefinition &aiUsageTable();
// Finance's view of billing: a mismatch where a canceled subscription is still writable, or an active one
// read-only.
const TableDefinition &subscriptionsTable();
// Members, storage (with drift against the files, computed for the rows read only) and this month's AI
// tokens, each against the plan.
const TableDefinition &quotasTable();

const TableDefinition &exportsTable();
// The whole audit log, newest first by default in the view; searchable by actor, action and reason.
const TableDefinition &auditLogTable();

// Every file. Not searchable: no index serves a substring match on files.name, and an ILIKE would scan every
// row. Sorted by id only: there is no index on (column, id) for any of its other columns.
const TableDefinition &filesTable();

// The workspace detail pane's tables, narrowed to one workspace by PageRequest::scope.
const TableDefinition &workspaceMembersTable();
const TableDefinition &workspaceProjectsTable();
// Sortable by time, which the (workspace_id, occurred_at, id) index serves within one workspace.
const TableDefinition &workspaceAuditTable();
// Sortable by time, which the (workspace_id, created_at, id) index serves within one workspace.
const TableDefinition &workspaceAiUsageTable();
// The one workspace's row of the Subscriptions table (scope: the workspace's id).
const TableDefinition &workspaceSubscriptionTable();
// The files of one project (scope: the project's id), for the workspace detail pane's Projects tab.
const TableDefinition &projectFilesTable();

// The user detail pane's tables, narrowed to one user by PageRequest::scope.
// The workspaces the user belongs to, one row per membership (id: the workspace's id).
const TableDefinition &userMembershipsTable();
// Sortable by time, which the (user_id, created_at, id) index serves within one user.
const TableDefinition &userAiUsageTable();
// Audit entries whose target is the user (target_type 'user', target_id the user's id as text). No index
// leads to target_id, so this reads the audit log through; an entry whose target_id is not a number never
// matches and never fails the query.
const TableDefinition &userAuditTable();

} // namespace beacon::browse
