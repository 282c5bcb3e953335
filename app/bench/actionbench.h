#pragma once

#include "browsebench.h"

namespace beacon::bench {

// pgbench from the PATH or PostgreSQL 15's own folder. Empty when it is missing, with *error saying which
// package brings it.
QString findPgbench(DbError *error);

// The admin action engine against pgbench running the very statements it sends, on the same rows: one
// action's latency (p50, p99) with one client, and actions per second with 8 clients on one workspace and
// on different ones. The action is member-role, switching non-owner members between member and admin; every
// member it touched has its first role back at the end, through the engine (so the audit log records that
// too). Every action, ours and pgbench's, adds one audit row.
DbError runActionBench(const ConnectionSpec &spec, const QString &pgbench, QList<Figure> *figures);

} // namespace beacon::bench
