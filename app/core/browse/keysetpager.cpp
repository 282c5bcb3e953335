#include "browse/keysetpager.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>

namespace beacon::browse {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::browse", text);
}

static QString castName(KeyType type)
{
    switch (type) {
    case KeyType::BigInt:
        return QStringLiteral("bigint");
    case KeyType::Text:
        return QStringLiteral("text");
    case KeyType::Timestamp:
        return QStringLiteral("timestamptz");
    case KeyType::Boolean:
        return QStringLiteral("boolean");
    case KeyType::Numeric:
        return QStringLiteral("numeric");
    }
    return QStringLiteral("text");
}

QString containsPattern(const QString &text)
{
    QString escaped = text;
    escaped.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    escaped.replace(QLatin1Char('%'), QStringLiteral("\\%"));
    escaped.replace(QLatin1Char('_'), QStringLiteral("\\_"));
    return QLatin1Char('%') + escaped + QLatin1Char('%');
}

namespace {

// The whole order is two runs: rows whose key is set, by (key, id), then rows whose key is NULL, by id.
// A page may need the end of one run and the start of the next, so each run is its own index-friendly query.
enum class Run { SetKeys, NullKeys };

struct Scan {
    const TableDefinition &table;
    QString key;     // the sort expression
    QString keyCast; // its type, for binding the cursor back
    bool sortsById;  // the key is the id itself: a single run with a plain comparison
    bool keyNullable;
    const PageRequest &filter; // search, scope, column filters or an id set
};

// The expression a search index is built on: lower case, letters and digits only. The same text folds the
// search input on the server, so both sides agree on case and on what counts as a letter.
QString alnumFolded(const QString &expression)
{
    return QStringLiteral("regexp_replace(lower(%1), '[^[:alnum:]]+', '', 'g')").arg(expression);
}

// A Contains filter on a searchable column is narrowed by the same folded trigram index as the search.
bool foldedIndexServes(const TableDefinition &table, const ColumnFilter &filter)
{
    return filter.op == ColumnFilter::Op::Contains && table.searchIndexedByAlnumTrigrams &&
           filter.column >= 0 && filter.column < table.columns.size() &&
           table.searchable.contains(table.columns.at(filter.column).expression);
}

QString filterCondition(const Scan &scan, int index, const ColumnFilter &filter)
{
    if (filter.column < 0 || filter.column >= scan.table.columns.size())
        return QStringLiteral("FALSE");
    const Column &column = scan.table.columns.at(filter.column);
    const QString value = QStringLiteral("CAST(:filter%1 AS %2)").arg(index).arg(castName(column.type));
    switch (filter.op) {
    case ColumnFilter::Op::Equals:
        return QStringLiteral("(%1) = %2").arg(column.expression, value);
    case ColumnFilter::Op::Contains:
        return QStringLiteral("CAST((%1) AS text) ILIKE :filter%2 ESCAPE '\\'")
            .arg(column.expression)
            .arg(index);
    case ColumnFilter::Op::AtLeast:
        return QStringLiteral("(%1) >= %2").arg(column.expression, value);
    case ColumnFilter::Op::Below:
        return QStringLiteral("(%1) < %2").arg(column.expression, value);
    case ColumnFilter::Op::IsEmpty:
        return QStringLiteral("(%1) IS NULL").arg(column.expression);
    case ColumnFilter::Op::IsNotEmpty:
        return QStringLiteral("(%1) IS NOT NULL").arg(column.expression);
    }
    return QStringLiteral("FALSE");
}

// The filters every query of a scan shares: the parent scope, then either an id set or the search text and
// column filters, all as bound values.
QString searchCondition(const Scan &scan)
{
    const PageRequest &filter = scan.filter;
    QString condition;
    if (filter.scope && !scan.table.scopeColumn.isEmpty())
        condition = QStringLiteral(" AND %1 = CAST(:scope AS bigint)").arg(scan.table.scopeColumn);
    if (filter.onlyIds)
        return condition + QStringLiteral(" AND %1 = ANY (CAST(:ids AS bigint[]))").arg(scan.table.id);
    for (int i = 0; i < filter.filters.size(); ++i)
        condition += QStringLiteral(" AND ") + filterCondition(scan, i, filter.filters.at(i));
    if (filter.search.isEmpty() || scan.table.searchable.isEmpty())
        return condition;
    QStringList alternatives;
    QStringList folded;
    for (int i = 0; i < scan.table.searchable.size(); ++i) {
        alternatives.append(
            QStringLiteral("%1 ILIKE :pattern%2 ESCAPE '\\'").arg(scan.table.searchable.at(i)).arg(i));
        folded.append(QStringLiteral("%1 LIKE '%' || %2 || '%'")
                          .arg(alnumFolded(scan.table.searchable.at(i)),
                               alnumFolded(QStringLiteral("CAST(:folded%1 AS text)").arg(i))));
    }
    // A necessary condition the indexes answer, then the exact one: a substring of the text is, folded, a
    // substring of the folded text.
    if (scan.table.searchIndexedByAlnumTrigrams)
        condition += QStringLiteral(" AND (%1)").arg(folded.join(QStringLiteral(" OR ")));
    return condition + QStringLiteral(" AND (%1)").arg(alternatives.join(QStringLiteral(" OR ")));
}

QList<std::pair<QString, QVariant>> searchValues(const Scan &scan)
{
    QList<std::pair<QString, QVariant>> values;
    const PageRequest &filter = scan.filter;
    if (filter.scope && !scan.table.scopeColumn.isEmpty())
        values.append({QStringLiteral(":scope"), *filter.scope});
    if (filter.onlyIds) {
        QStringList ids;
        ids.reserve(filter.onlyIds->size());
        for (qint64 id : *filter.onlyIds)
            ids.append(QString::number(id));
        values.append({QStringLiteral(":ids"), QStringLiteral("{%1}").arg(ids.join(QLatin1Char(',')))});
        return values;
    }
    for (int i = 0; i < filter.filters.size(); ++i) {
        const ColumnFilter &columnFilter = filter.filters.at(i);
        if (columnFilter.op == ColumnFilter::Op::IsEmpty || columnFilter.op == ColumnFilter::Op::IsNotEmpty)
            continue;
        const bool contains = columnFilter.op == ColumnFilter::Op::Contains;
        values.append({QStringLiteral(":filter%1").arg(i),
                       contains ? containsPattern(columnFilter.value) : columnFilter.value});
        if (foldedIndexServes(scan.table, columnFilter))
            values.append({QStringLiteral(":filterFolded%1").arg(i), columnFilter.value});
    }
    if (filter.search.isEmpty() || scan.table.searchable.isEmpty())
        return values;
    const QString pattern = containsPattern(filter.search);
    for (int i = 0; i < scan.table.searchable.size(); ++i)
        values.append({QStringLiteral(":pattern%1").arg(i), pattern});
    for (int i = 0; scan.table.searchIndexedByAlnumTrigrams && i < scan.table.searchable.size(); ++i)
        values.append({QStringLiteral(":folded%1").arg(i), filter.search});
    return values;
}

void bindSearch(QSqlQuery &query, const Scan &scan)
{
    for (const auto &[name, value] : searchValues(scan))
        query.bindValue(name, value);
}

// Up to `limit` rows of one run, walking the ascending order forwards or backwards from `after`
// (exclusive; a cursor in this run) or from the run's own edge. Rows come in walking order.
DbError scanRun(const QSqlDatabase &db, const Scan &scan, Run run, bool walkForward, const Cursor *after,
                int limit, QList<Row> *rows)
{
    const QString way = walkForward ? QStringLiteral("ASC") : QStringLiteral("DESC");
    const QString beyond = walkForward ? QStringLiteral(">") : QStringLiteral("<");
    QString where;
    QString orderBy;
    if (scan.sortsById) {
        where = QStringLiteral("TRUE");
        if (after)
            where += QStringLiteral(" AND %1 %2 CAST(:id AS bigint)").arg(scan.table.id, beyond);
        orderBy = QStringLiteral("%1 %2").arg(scan.table.id, way);
    } else if (run == Run::SetKeys) {
        where = QStringLiteral("(%1) IS NOT NULL").arg(scan.key);
        if (after)
            where += QStringLiteral(" AND ((%1), %2) %3 (CAST(:key AS %4), CAST(:id AS bigint))")
                         .arg(scan.key, scan.table.id, beyond, scan.keyCast);
        orderBy = QStringLiteral("%1 %2, %3 %2").arg(scan.key, way, scan.table.id);
    } else {
        where = QStringLiteral("(%1) IS NULL").arg(scan.key);
        if (after)
            where += QStringLiteral(" AND %1 %2 CAST(:id AS bigint)").arg(scan.table.id, beyond);
        orderBy = QStringLiteral("%1 %2").arg(scan.table.id, way);
    }
    QStringList selected = {QStringLiteral("(%1)::text AS browse_cursor_key").arg(scan.key),
                            QStringLiteral("(%1) IS NULL AS browse_cursor_null").arg(scan.key),
                            QStringLiteral("%1 AS browse_cursor_id").arg(scan.table.id)};
    for (const Column &column : scan.table.columns)
        selected.append(column.expression);

    // Every piece of this text is our own fixed table definition; values travel only as bound parameters.
    const QString sql =
        QStringLiteral("SELECT %1 FROM %2 WHERE %3%4 ORDER BY %5 LIMIT CAST(:limit AS integer)")
            .arg(selected.join(QStringLiteral(", ")), scan.table.from, where, searchCondition(scan), orderBy);
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(sql))
        return DbError::fromSql(query.lastError(), tr("Reading a page of rows"));
    if (after) {
        if (!scan.sortsById && run == Run::SetKeys)
            query.bindValue(QStringLiteral(":key"), after->key);
        query.bindValue(QStringLiteral(":id"), after->id);
    }
    bindSearch(query, scan);
    query.bindValue(QStringLiteral(":limit"), limit);
    if (!query.exec())
        return DbError::fromSql(query.lastError(), tr("Reading a page of rows"));
    const int columns = int(scan.table.columns.size());
    while (query.next()) {
        Row row;
        row.cursor.keyIsNull = query.value(1).toBool();
        row.cursor.key = row.cursor.keyIsNull ? QString() : query.value(0).toString();
        row.cursor.id = query.value(2).toLongLong();
        row.values.reserve(columns);
        for (int i = 0; i < columns; ++i)
            row.values.append(query.value(3 + i));
        rows->append(std::move(row));
    }
    if (query.lastError().isValid())
        return DbError::fromSql(query.lastError(), tr("Reading a page of rows"));
    return {};
}

// Walks the whole ascending order (set keys, then NULL keys) across the boundary between the two runs.
DbError walk(const QSqlDatabase &db, const Scan &scan, bool walkForward, const std::optional<Cursor> &from,
             int limit, QList<Row> *rows)
{
    if (scan.sortsById || !scan.keyNullable)
        return scanRun(db, scan, Run::SetKeys, walkForward, from ? &*from : nullptr, limit, rows);
    const Run first = walkForward ? Run::SetKeys : Run::NullKeys;
    const Run second = walkForward ? Run::NullKeys : Run::SetKeys;
    const bool cursorInSecond = from && (from->keyIsNull == (second == Run::NullKeys));
    if (!cursorInSecond) {
        if (DbError error = scanRun(db, scan, first, walkForward, from ? &*from : nullptr, limit, rows))
            return error;
        if (rows->size() >= limit)
            return {};
        return scanRun(db, scan, second, walkForward, nullptr, limit - int(rows->size()), rows);
    }
    return scanRun(db, scan, second, walkForward, &*from, limit, rows);
}

} // namespace

DbError fetchPage(const QSqlDatabase &db, const TableDefinition &table, const PageRequest &request,
                  QList<Row> *rows)
{
    rows->clear();
    if (request.sortColumn >= table.columns.size() ||
        (request.sortColumn >= 0 && !table.columns.at(request.sortColumn).sortable))
        return DbError::make(ErrorKind::Usage, tr("This column cannot be sorted."));
    if (request.limit <= 0)
        return {};
    const bool byId = request.sortColumn < 0;
    const Column *column = byId ? nullptr : &table.columns.at(request.sortColumn);
    const Scan scan{table,
                    byId ? table.id : column->expression,
                    byId ? QStringLiteral("bigint") : castName(column->type),
                    byId,
                    !byId && column->nullable,
                    request};
    // Descending display is the ascending order walked the other way; a backward page is read walking away
    // from the cursor and then turned round into display order.
    const bool displayAscending = request.order == Qt::AscendingOrder;
    const bool pageForward = request.direction == Direction::Forward;
    const bool walkForward = displayAscending == pageForward;
    if (DbError error = walk(db, scan, walkForward, request.from, request.limit, rows))
        return error;
    if (!pageForward)
        std::reverse(rows->begin(), rows->end());
    return {};
}

BoundConditions requestConditions(const TableDefinition &table, const PageRequest &request)
{
    const Scan scan{table, table.id, QStringLiteral("bigint"), true, false, request};
    return {searchCondition(scan), searchValues(scan)};
}

DbError fetchRowById(const QSqlDatabase &db, const TableDefinition &table, qint64 id, Row *row, bool *found)
{
    QStringList selected;
    for (const Column &column : table.columns)
        selected.append(column.expression);
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(QStringLiteral("SELECT %1 FROM %2 WHERE %3 = CAST(:id AS bigint)")
                           .arg(selected.join(QStringLiteral(", ")), table.from, table.id)))
        return DbError::fromSql(query.lastError(), tr("Reading a changed row"));
    query.bindValue(QStringLiteral(":id"), id);
    if (!query.exec())
        return DbError::fromSql(query.lastError(), tr("Reading a changed row"));
    *found = query.next();
    if (*found) {
        row->values.clear();
        for (int i = 0; i < table.columns.size(); ++i)
            row->values.append(query.value(i));
    }
    return {};
}

DbError estimateRowCount(const QSqlDatabase &db, const TableDefinition &table, qint64 *count)
{
    QSqlQuery query(db);
    query.prepare(
        QStringLiteral("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:relation)"));
    query.bindValue(QStringLiteral(":relation"), table.relation);
    if (!query.exec())
        return DbError::fromSql(query.lastError(), tr("Estimating the number of rows"));
    *count = query.next() ? query.value(0).toLongLong() : -1;
    return {};
}

DbError countUpTo(const QSqlDatabase &db, const TableDefinition &table, const QString &search, qint64 cap,
                  qint64 *count, std::optional<qint64> scope, const QList<ColumnFilter> &filters)
{
    PageRequest filter;
    filter.search = search;
    filter.scope = scope;
    filter.filters = filters;
    const Scan scan{table, table.id, QStringLiteral("bigint"), true, false, filter};
    QSqlQuery query(db);
    const QString sql =
        QStringLiteral("SELECT count(*) FROM (SELECT 1 FROM %1 WHERE TRUE%2 LIMIT CAST(:cap AS bigint)) "
                       "AS capped")
            .arg(table.from, searchCondition(scan));
    if (!query.prepare(sql))
        return DbError::fromSql(query.lastError(), tr("Counting rows"));
    bindSearch(query, scan);
    query.bindValue(QStringLiteral(":cap"), cap);
    if (!query.exec() || !query.next())
        return DbError::fromSql(query.lastError(), tr("Counting rows"));
    *count = query.value(0).toLongLong();
    return {};
}

DbError matchingIds(const QSqlDatabase &db, const TableDefinition &table, const PageRequest &request,
                    qint64 cap, QList<qint64> *ids)
{
    ids->clear();
    const Scan scan{table, table.id, QStringLiteral("bigint"), true, false, request};
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(QStringLiteral("SELECT %1 FROM %2 WHERE TRUE%3 LIMIT CAST(:cap AS bigint)")
                           .arg(table.id, table.from, searchCondition(scan))))
        return DbError::fromSql(query.lastError(), tr("Searching"));
    bindSearch(query, scan);
    query.bindValue(QStringLiteral(":cap"), cap);
    if (!query.exec())
        return DbError::fromSql(query.lastError(), tr("Searching"));
    while (query.next())
        ids->append(query.value(0).toLongLong());
    if (query.lastError().isValid())
        return DbError::fromSql(query.lastError(), tr("Searching"));
    return {};
}

DbError estimateCursorAt(const QSqlDatabase &db, const TableDefinition &table, int sortColumn,
                         Qt::SortOrder order, double fraction, std::optional<Cursor> *cursor)
{
    cursor->reset();
    fraction = std::clamp(fraction, 0.0, 1.0);
    // The ascending position of a descending display's row.
    const double ascending = order == Qt::AscendingOrder ? fraction : 1.0 - fraction;
    QSqlQuery query(db);
    if (sortColumn < 0) {
        if (!query.exec(QStringLiteral("SELECT min(%1), max(%1) FROM %2").arg(table.id, table.from)) ||
            !query.next())
            return DbError::fromSql(query.lastError(), tr("Estimating where to jump"));
        if (query.value(0).isNull())
            return {};
        const qint64 low = query.value(0).toLongLong();
        const qint64 high = query.value(1).toLongLong();
        Cursor estimate;
        estimate.id = low + qint64(double(high - low) * ascending);
        *cursor = estimate;
        return {};
    }
    const Column &column = table.columns.at(sortColumn);
    if (column.attribute.isEmpty())
        return {};
    const QString relation = table.relation.section(QLatin1Char('.'), -1);
    // A column with many distinct values has a histogram of equal-count buckets; one with few has only its
    // most common values and their frequencies. Either gives a key at the wanted fraction.
    const QString fromHistogram = QStringLiteral(
        "SELECT h.bound FROM pg_stats AS s, "
        "       unnest(CAST(s.histogram_bounds::text AS text[])) WITH ORDINALITY AS h(bound, n) "
        " WHERE s.schemaname = 'public' AND s.tablename = :relation AND s.attname = :attribute "
        "   AND h.n = 1 + round(CAST(:fraction AS float8) * "
        "                       (cardinality(CAST(s.histogram_bounds::text AS text[])) - 1))");
    const QString fromCommonValues =
        QStringLiteral(
            "SELECT value FROM (SELECT m.value, sum(m.freq) OVER (ORDER BY CAST(m.value AS %1)) / "
            "                        sum(m.freq) OVER () AS reached "
            "  FROM pg_stats AS s, unnest(CAST(s.most_common_vals::text AS text[]), "
            "                             s.most_common_freqs) AS m(value, freq) "
            " WHERE s.schemaname = 'public' AND s.tablename = :relation AND s.attname = :attribute) AS c "
            "WHERE reached >= CAST(:fraction AS float8) ORDER BY reached LIMIT 1")
            .arg(castName(column.type));
    for (const QString &sql : {fromHistogram, fromCommonValues}) {
        query.prepare(sql);
        query.bindValue(QStringLiteral(":relation"), relation);
        query.bindValue(QStringLiteral(":attribute"), column.attribute);
        query.bindValue(QStringLiteral(":fraction"), ascending);
        if (!query.exec())
            return DbError::fromSql(query.lastError(), tr("Estimating where to jump"));
        if (query.next() && !query.value(0).isNull())
            break;
    }
    if (!query.isValid())
        return {};
    Cursor estimate;
    estimate.key = query.value(0).toString();
    // Id 0 sits before every row with this key in ascending order.
    estimate.id = 0;
    *cursor = estimate;
    return {};
}

} // namespace beacon::browse
