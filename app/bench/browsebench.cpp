#include "browsebench.h"

#include "browse/tables.h"
#include "db/database.h"
#include "pagedtablemodel.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QSqlQuery>
#include <QSqlQueryModel>
#include <QSqlTableModel>
#include <QTableView>

#include <algorithm>
#include <functional>

namespace beacon::bench {

using models::PagedTableModel;

static constexpr qint64 LargeUsers = 1'000'000;
static constexpr qint64 LargeWorkspaces = 200'000;
static constexpr qint64 LargeAiUsage = 10'000'000;
static constexpr int OurRuns = 7;

namespace {

// The bench drives the event loop itself, like a test does; it is not the console's GUI thread.
bool waitUntil(const std::function<bool()> &condition, int timeoutMs = 120000)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return true;
}

// The console's own table settings (ui/tablepage.cpp), used for ours and the baselines alike.
void configureView(QTableView &view)
{
    view.resize(1200, 700);
    view.verticalHeader()->setVisible(false);
    view.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view.verticalHeader()->setDefaultSectionSize(view.fontMetrics().height() + 6);
    view.show();
}

double elapsedMs(const QElapsedTimer &timer)
{
    return double(timer.nsecsElapsed()) / 1e6;
}

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0 : values.at(values.size() / 2);
}

QStringList headersOf(const browse::TableDefinition &table)
{
    QStringList headers;
    for (const auto &column : table.columns)
        headers.append(column.name);
    return headers;
}

// A model with its worker's connection already open, as in the console after connecting, shown in a view.
struct ShownModel {
    explicit ShownModel(const browse::TableDefinition &table, const ConnectionSpec &spec)
        : model(table, headersOf(table))
    {
        view.setModel(&model);
        configureView(view);
        model.setConnection(spec);
        waitUntil([this] { return model.rowCount() > 0 && model.isRowLoaded(0); });
    }
    // Time until `row` is read and the view has painted it.
    double showRow(int row)
    {
        QElapsedTimer timer;
        timer.start();
        model.data(model.index(row, 0));
        waitUntil([&] { return model.isRowLoaded(row); });
        view.scrollTo(model.index(row, 0));
        view.viewport()->grab();
        return elapsedMs(timer);
    }
    double firstPage()
    {
        QElapsedTimer timer;
        timer.start();
        model.reload();
        waitUntil([this] { return model.rowCount() > 0 && model.isRowLoaded(0); });
        view.viewport()->grab();
        return elapsedMs(timer);
    }
    PagedTableModel model;
    QTableView view;
};

double baselineFirstPage(const QSqlDatabase &db, const QString &table)
{
    QSqlTableModel model(nullptr, db);
    model.setTable(table);
    QTableView view;
    configureView(view);
    QElapsedTimer timer;
    timer.start();
    model.select();
    view.setModel(&model);
    view.viewport()->grab();
    return elapsedMs(timer);
}

double baselineFetchToEnd(const QSqlDatabase &db)
{
    QSqlQueryModel model;
    QElapsedTimer timer;
    timer.start();
    model.setQuery(QSqlQuery(QStringLiteral("SELECT * FROM users ORDER BY id"), db));
    while (model.canFetchMore())
        model.fetchMore();
    return elapsedMs(timer);
}

double baselineOffset(const QSqlDatabase &db, int offset)
{
    QElapsedTimer timer;
    timer.start();
    QSqlQuery query(db);
    query.setForwardOnly(true);
    query.prepare(QStringLiteral("SELECT * FROM users ORDER BY id OFFSET CAST(:offset AS bigint) LIMIT 200"));
    query.bindValue(QStringLiteral(":offset"), offset);
    query.exec();
    while (query.next()) {
    }
    return elapsedMs(timer);
}

// The same page query the model sends, with the trigram index out of the planner's reach.
double baselineSearchWithoutIndex(const QSqlDatabase &db, const QString &text)
{
    QSqlDatabase connection = db;
    connection.transaction();
    QSqlQuery(QStringLiteral("SET LOCAL enable_bitmapscan = off"), connection);
    QElapsedTimer timer;
    timer.start();
    browse::PageRequest request;
    request.search = text;
    QList<browse::Row> rows;
    browse::fetchPage(connection, browse::usersTable(), request, &rows);
    const double ms = elapsedMs(timer);
    connection.rollback();
    return ms;
}

} // namespace

DbError checkLargeDatabase(const ConnectionSpec &spec)
{
    DbError error;
    auto connection = Connection::open(spec, QStringLiteral("bench-check"), &error);
    if (!connection)
        return error;
    QSqlQuery query(connection->database());
    if (!query.exec(QStringLiteral(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM workspaces), "
            "(SELECT reltuples::bigint FROM pg_class WHERE oid = 'public.ai_usage'::regclass)")) ||
        !query.next())
        return DbError::make(ErrorKind::Refused,
                             QCoreApplication::translate(
                                 "beacon-bench", "This database has no Beacon schema. beacon-bench needs a "
                                                 "database filled with \"beaconctl seed --size large\"."),
                             query.lastError().text());
    const qint64 users = query.value(0).toLongLong();
    const qint64 workspaces = query.value(1).toLongLong();
    const qint64 aiUsage = query.value(2).toLongLong();
    // ai_usage is judged by the planner's estimate (counting ten million rows would take seconds): 95% of it.
    if (users < LargeUsers || workspaces < LargeWorkspaces || aiUsage < LargeAiUsage * 95 / 100)
        return DbError::make(
            ErrorKind::Refused,
            QCoreApplication::translate(
                "beacon-bench",
                "beacon-bench measures against a database seeded with \"beaconctl seed --size "
                "large\" (at least 1,000,000 users, 200,000 workspaces and 10,000,000 AI "
                "usage rows); this one has %1 users, %2 workspaces and about %3 AI usage "
                "rows. Seed an empty, migrated database with --size large and run again.")
                .arg(users)
                .arg(workspaces)
                .arg(aiUsage));
    return {};
}

DbError runBrowseBench(const ConnectionSpec &spec, QList<Figure> *figures)
{
    DbError error;
    auto connection = Connection::open(spec, QStringLiteral("bench-baseline"), &error);
    if (!connection)
        return error;
    const QSqlDatabase db = connection->database();

    ShownModel users(browse::usersTable(), spec);
    ShownModel aiUsage(browse::aiUsageTable(), spec);
    QList<double> runs;

    for (int i = 0; i < OurRuns; ++i)
        runs.append(users.firstPage());
    figures->append({QStringLiteral("first page shown, users (1M rows)"), median(runs),
                     baselineFirstPage(db, QStringLiteral("users")), QStringLiteral("ms"), 50});

    runs.clear();
    for (int i = 0; i < OurRuns; ++i)
        runs.append(aiUsage.firstPage());
    figures->append({QStringLiteral("first page shown, ai_usage (10M rows)"), median(runs),
                     baselineFirstPage(db, QStringLiteral("ai_usage")), QStringLiteral("ms"), 500});

    runs.clear();
    for (int i = 0; i < OurRuns; ++i) {
        users.firstPage(); // back to the top, so that every run jumps from there
        runs.append(users.showRow(users.model.rowCount() - 1));
    }
    figures->append({QStringLiteral("jump to the last row (End)"), median(runs), baselineFetchToEnd(db),
                     QStringLiteral("ms"), 20});

    runs.clear();
    QList<double> offsets;
    for (int i = 0; i < OurRuns; ++i) {
        users.firstPage();
        const int middle = users.model.rowCount() / 2 + i * PagedTableModel::BlockSize;
        runs.append(users.showRow(middle));
        offsets.append(baselineOffset(db, middle));
    }
    figures->append({QStringLiteral("jump to the middle by scrollbar"), median(runs), median(offsets),
                     QStringLiteral("ms"), 10});

    // A substring from the middle of a real address, so that the search has a handful of matches.
    QSqlQuery sample(db);
    sample.exec(QStringLiteral("SELECT substr(primary_email, 2, 8) FROM users WHERE id = 500001"));
    const QString text = sample.next() ? sample.value(0).toString() : QStringLiteral("example");
    runs.clear();
    QList<double> withoutIndex;
    for (int i = 0; i < OurRuns; ++i) {
        users.model.setSearch({});
        waitUntil([&] { return !users.model.isBusy(); });
        QElapsedTimer timer;
        timer.start();
        users.model.setSearch(text);
        waitUntil([&] {
            return !users.model.isBusy() && (users.model.rowCount() == 0 || users.model.isRowLoaded(0));
        });
        if (users.model.rowCount() > 0)
            users.model.data(users.model.index(0, 0));
        waitUntil([&] { return !users.model.isBusy(); });
        users.view.viewport()->grab();
        runs.append(elapsedMs(timer));
        withoutIndex.append(baselineSearchWithoutIndex(db, text));
    }
    figures->append({QStringLiteral("email substring search, 1M users"), median(runs), median(withoutIndex),
                     QStringLiteral("ms"), 20});
    return {};
}

} // namespace beacon::bench
