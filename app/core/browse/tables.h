#pragma once

#include "browse/keysetpager.h"

namespace beacon::browse {

// The browsable tables. Sortable columns are exactly those with an index on (column, id) in the schema.
const TableDefinition &usersTable();
const TableDefinition &workspacesTable();
const TableDefinition &aiUsageTable();

} // namespace beacon::browse
