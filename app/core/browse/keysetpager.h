#pragma once

#include "db/dberror.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <optional>
#include <utility>

namespace beacon::browse {

// How a sort key travels: always as the server's own text, bound back with a cast, because QDateTime
// rounds timestamps to milliseconds and a rounded cursor repeats or skips rows.
enum class KeyType { BigInt, Text, Timestamp, Boolean, Numeric };

struct Column {
    QString name;       // stable identifier, used for settings and tests
    QString expression; // SQL over the table's FROM; our own fixed text, never user input
    KeyType type = KeyType::Text;
    bool sortable = false; // only where an index on (expression, id) makes a page cheap
    bool nullable = false;
    QString attribute; // the relation's column behind a sortable expression, for its statistics
};

struct TableDefinition {
    QString relation;            // whose planner statistics give the estimated row count, e.g. "public.users"
    QString from;                // e.g. "public.users AS u"
    QString id;                  // the unique tie-breaker, e.g. "u.id"
    QList<Column> columns;       // what each row shows
    QStringList searchable = {}; // expressions matched by substring (ILIKE)
    // The schema has a pg_trgm index on alnumFolded(expression) for each searchable expression (see
    // 0004_search_indexes.sql), so a search narrows by that index first. Plain trigram indexes treat
    // punctuation as a word break, and "en.nguye" then matches tens of thousands of candidates to recheck.
    bool searchIndexedByAlnumTrigrams = false;
    // When set, the table can be narrowed to the rows of one parent (the detail pane: one workspace's
    // members).
    QString scopeColumn = {};
    // The NOTIFY channel whose payload is the id of a row of this table that changed; empty if none.
    QString changeChannel = {};
};

// A position between rows: the sort key as text (or NULL) and the id.
struct Cursor {
    QString key;
    bool keyIsNull = false;
    qint64 id = 0;
    bool operator==(const Cursor &) const = default;
};

enum class Direction { Forward, Backward };

// A condition on one column, typed by the column: its value travels bound and is cast to the column's type
// on the server, so a time range is two filters (AtLeast and Below) on one timestamp column.
struct ColumnFilter {
    enum class Op { Equals, Contains, AtLeast, Below, IsEmpty, IsNotEmpty };
    int column = 0; // an index into the table's columns
    Op op = Op::Equals;
    QString value; // unused by IsEmpty and IsNotEmpty
    bool operator==(const ColumnFilter &) const = default;
};

struct PageRequest {
    int sortColumn = -1; // an index into columns; -1 sorts by id alone
    Qt::SortOrder order = Qt::AscendingOrder;
    Direction direction = Direction::Forward;
    // Exclusive. Without it, Forward starts at the first row and Backward at the last.
    std::optional<Cursor> from;
    int limit = 200;
    QString search;              // plain text; matched as a substring, % _ and \ taken literally
    std::optional<qint64> scope; // only rows whose scopeColumn equals this
    QList<ColumnFilter> filters; // all must hold
    // The rows matching search and filters, collected once by matchingIds(): paging then looks rows up by
    // id instead of rechecking the search on every page. Search and filters are ignored when this is set.
    std::optional<QList<qint64>> onlyIds;
};

struct Row {
    Cursor cursor;
    QList<QVariant> values; // one per column
};

// One page by key, never by OFFSET: the cost does not grow with the position. Rows come back in display
// order in both directions. Ascending order puts NULL keys last; descending is its exact mirror.
DbError fetchPage(const QSqlDatabase &db, const TableDefinition &table, const PageRequest &request,
                  QList<Row> *rows);

// A cursor at roughly `fraction` (0..1) of the display order, from the planner's statistics (the column's
// histogram, or the id range when sorting by id), so that a jump to any scrollbar position costs one index
// lookup instead of an OFFSET scan. Empty when the statistics have nothing to offer.
DbError estimateCursorAt(const QSqlDatabase &db, const TableDefinition &table, int sortColumn,
                         Qt::SortOrder order, double fraction, std::optional<Cursor> *cursor);

// One row by its id, with the same columns as a page; *found is false when it no longer exists.
DbError fetchRowById(const QSqlDatabase &db, const TableDefinition &table, qint64 id, Row *row, bool *found);

// The planner's estimate (pg_class.reltuples): instant at any size, approximate. -1 when never analysed.
DbError estimateRowCount(const QSqlDatabase &db, const TableDefinition &table, qint64 *count);

// The exact number of rows matching `search`, or `cap` when there are at least that many.
DbError countUpTo(const QSqlDatabase &db, const TableDefinition &table, const QString &search, qint64 cap,
                  qint64 *count, std::optional<qint64> scope = std::nullopt,
                  const QList<ColumnFilter> &filters = {});

// The ids of the rows matching the request's search, scope and filters, at most `cap` of them (cap reached
// means there may be more). One pass over the search indexes; pages of a small result then cost a primary
// key lookup each (PageRequest::onlyIds).
DbError matchingIds(const QSqlDatabase &db, const TableDefinition &table, const PageRequest &request,
                    qint64 cap, QList<qint64> *ids);

// The conditions fetchPage, countUpTo and matchingIds append to their WHERE for a request's scope, id set,
// search and column filters (each starts with " AND "), and the values bound to their placeholders by name.
// Public so that the fuzz target can check that no value ever becomes SQL text.
struct BoundConditions {
    QString sql;
    QList<std::pair<QString, QVariant>> values;
};
BoundConditions requestConditions(const TableDefinition &table, const PageRequest &request);

// A LIKE pattern that finds `text` anywhere, with LIKE's own wildcards and escape made literal.
QString containsPattern(const QString &text);

} // namespace beacon::browse
