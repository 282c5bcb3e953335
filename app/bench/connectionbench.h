#pragma once

#include "browsebench.h"

namespace beacon::bench {

// How many database sessions one console window holds: the peak while it visits every page and detail tab,
// runs a summary and a quick-open look-up and applies an action, and what is left open once it has been idle
// for the budget's idle time. Counted by the server (pg_stat_activity), sampled from a thread of its own.
DbError runConnectionBench(const ConnectionSpec &spec, QList<Figure> *figures);

} // namespace beacon::bench
