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

// The detail pane's tables, narrowed to one workspace by PageRequest::scope.
const TableDefinition &workspaceMembersTable();
const TableDefinition &workspaceProjectsTable();
const TableDefinition &workspaceAuditTable();

} // namespace beacon::browse
