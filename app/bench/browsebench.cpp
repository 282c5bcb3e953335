#include "browsebench.h"

#include "browse/tables.h"
#include "db/database.h"
#include "pagedtablemodel.h"
#include "stallmeter.h"
#include "tablepage.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QKeyEvent>
#include <QProcess>
#include <QScrollBar>
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
// The scroll from top to bottom: this many scrollbar positions, with a few Page Down presses at each.
static constexpr int ScrollStops = 400;
static constexpr int PageDownsPerStop = 3;

// The bench drives the event loop itself, like a test does; it is not the console's GUI thread.
bool waitUntil(const std::function<bool()> &condition, int timeoutMs)
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

namespace {

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

// The console's own table page, at a desktop size, with its worker's connection open.
struct ShownPage {
    ShownPage(const QString &key, const browse::TableDefinition &table, const ConnectionSpec &spec)
        : connections(spec)
        , page(QStringLiteral("bench-") + key, table, headersOf(table))
    {
        // Reading speed is measured here, with the session open as it is while a person works; a baseline
        // that runs for more than the idle minute must not make our next figure include a new login. The
        // idle close is measured on its own (runConnectionBench).
        connections.setIdleClose(std::chrono::hours(1));
        page.resize(1200, 700);
        page.show();
        page.setConnection(&connections);
        waitUntil([this] { return screenLoaded(); });
    }
    PagedTableModel &model() { return *page.model(); }
    // Every row on screen has been read (none shows the placeholder).
    bool screenLoaded()
    {
        if (model().isBusy() || model().rowCount() == 0)
            return !model().isBusy();
        QTableView *view = page.view();
        const int top = std::max(0, view->rowAt(0));
        int bottom = view->rowAt(view->viewport()->height() - 1);
        if (bottom < 0)
            bottom = view->model()->rowCount() - 1;
        for (int row = top; row <= bottom; ++row) {
            if (!model().isRowLoaded(page.tableRow(row)))
                return false;
        }
        return true;
    }
    // Waits until every row on screen is in the model.
    void loadScreen()
    {
        waitUntil([this] { return screenLoaded(); });
    }
    // The same, returning how long it took since `since`: taken the moment the last of them arrives, before
    // the paint that the same pass of the event loop goes on to.
    double loadScreen(const QElapsedTimer &since)
    {
        double loadedAt = screenLoaded() ? elapsedMs(since) : -1;
        const QMetaObject::Connection watch =
            QObject::connect(&model(), &QAbstractItemModel::dataChanged, &model(), [&] {
                if (loadedAt < 0 && screenLoaded())
                    loadedAt = elapsedMs(since);
            });
        loadScreen();
        QObject::disconnect(watch);
        return loadedAt >= 0 ? loadedAt : elapsedMs(since);
    }
    // ... and painted: the paint that shows them is the console's own, queued (or done already) when the
    // last of them arrived.
    void showScreen()
    {
        loadScreen();
        QCoreApplication::sendPostedEvents(nullptr, QEvent::UpdateRequest);
    }
    double firstPage()
    {
        QElapsedTimer timer;
        timer.start();
        model().reload();
        showScreen();
        return elapsedMs(timer);
    }
    void pressKey(int key, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
    {
        QKeyEvent press(QEvent::KeyPress, key, modifiers);
        QCoreApplication::sendEvent(page.view(), &press);
    }
    ConnectionBudget connections;
    ui::TablePage page;
};

double baselineFirstPage(const QSqlDatabase &db, const QString &table)
{
    QSqlTableModel model(nullptr, db);
    model.setTable(table);
    QTableView view;
    view.resize(1200, 700);
    view.show();
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
    model.setQuery(QSqlQuery(QStringLiteral("SELECT * FROM public.users ORDER BY id"), db));
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
    query.prepare(
        QStringLiteral("SELECT * FROM public.users ORDER BY id OFFSET CAST(:offset AS bigint) LIMIT 200"));
    query.bindValue(QStringLiteral(":offset"), offset);
    query.exec();
    while (query.next()) {
    }
    return elapsedMs(timer);
}

// Reads, unmeasured, the rows around `position` the way the model will (with its per-row look-ups into
// memberships and the e-mail index), so that the jump is not timed against pages the baseline never
// needed and the operating system has since dropped.
void warmKeysetPages(const QSqlDatabase &db, int position)
{
    browse::PageRequest request;
    browse::Cursor from;
    from.id = std::max(0, position - 1000);
    request.from = from;
    request.limit = 3000;
    QList<browse::Row> rows;
    browse::fetchPage(db, browse::usersTable(), request, &rows);
}

// The plain substring search over the same columns, with no trigram index to help it.
double baselineSearchWithoutIndex(const QSqlDatabase &db, const QString &text)
{
    QElapsedTimer timer;
    timer.start();
    QSqlQuery query(db);
    query.setForwardOnly(true);
    query.prepare(
        QStringLiteral("SELECT * FROM public.users WHERE primary_email ILIKE :p OR display_name ILIKE :q "
                       "ORDER BY id LIMIT 200"));
    query.bindValue(QStringLiteral(":p"), browse::containsPattern(text));
    query.bindValue(QStringLiteral(":q"), browse::containsPattern(text));
    query.exec();
    while (query.next()) {
    }
    return elapsedMs(timer);
}

// VmHWM, not getrusage: a child started by fork and exec inherits its parent's ru_maxrss on Linux, and the
// parent has just held a whole table in a QSqlTableModel.
double peakRssMb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0; // in kB
    }
    return -1;
}

double runMemoryProbe(const QString &uri, const QString &which)
{
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(),
                {QStringLiteral("--db"), uri, QStringLiteral("--memory-probe"), which});
    if (!child.waitForFinished(30 * 60 * 1000) || child.exitCode() != 0)
        return -1;
    return QString::fromUtf8(child.readAllStandardOutput()).trimmed().toDouble();
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
            "SELECT (SELECT count(*) FROM public.users), (SELECT count(*) FROM public.workspaces), "
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

// Like is measured against like. The first-page scenarios time the rows and their first paint on both sides
// (the baseline paints a QTableView over QSqlTableModel). The jumps and the search time the rows on screen
// being in the model, as their baselines time a query alone; the paint after them is the same in both and
// is a few milliseconds on this machine's software rasteriser.
DbError runBrowseBench(const ConnectionSpec &spec, const QString &uri, QList<Figure> *figures)
{
    DbError error;
    auto connection = Connection::open(spec, QStringLiteral("bench-baseline"), &error);
    if (!connection)
        return error;
    const QSqlDatabase db = connection->database();
    auto *app = StallMeteringApplication::instance();
    // Our scenarios run with the stall meter on; the baselines block the GUI thread by design, so not theirs.
    auto ours = [app](const std::function<double()> &scenario) {
        app->setMetering(true);
        const double ms = scenario();
        app->setMetering(false);
        return ms;
    };

    ShownPage users(QStringLiteral("users"), browse::usersTable(), spec);
    ShownPage aiUsage(QStringLiteral("ai_usage"), browse::aiUsageTable(), spec);
    QList<double> runs;

    for (int i = 0; i < OurRuns; ++i)
        runs.append(ours([&] { return users.firstPage(); }));
    figures->append({QStringLiteral("first page shown, users (1M rows)"), median(runs),
                     baselineFirstPage(db, QStringLiteral("public.users")), QStringLiteral("ms"), 50, 10});

    runs.clear();
    for (int i = 0; i < OurRuns; ++i)
        runs.append(ours([&] { return aiUsage.firstPage(); }));
    figures->append({QStringLiteral("first page shown, ai_usage (10M rows)"), median(runs),
                     baselineFirstPage(db, QStringLiteral("public.ai_usage")), QStringLiteral("ms"), 500,
                     10});

    runs.clear();
    for (int i = 0; i < OurRuns; ++i) {
        users.firstPage(); // back to the top, so that every run jumps from there
        runs.append(ours([&] {
            QElapsedTimer timer;
            timer.start();
            users.pressKey(Qt::Key_End, Qt::ControlModifier);
            return users.loadScreen(timer);
        }));
    }
    // The figure is only worth anything if Ctrl+End really reached the last row of the table.
    const QModelIndex reached = users.page.view()->currentIndex();
    if (!reached.isValid() || users.page.tableRow(reached.row()) != users.model().rowCount() - 1)
        return DbError::make(
            ErrorKind::Unavailable,
            QCoreApplication::translate("beacon-bench", "Ctrl+End did not reach the last row."));
    figures->append({QStringLiteral("jump to the last row (End)"), median(runs), baselineFetchToEnd(db),
                     QStringLiteral("ms"), 20, 30});

    runs.clear();
    QList<double> offsets;
    for (int i = 0; i < OurRuns; ++i) {
        users.firstPage();
        const int middle = users.model().rowCount() / 2 + i * PagedTableModel::BlockSize;
        // Each run lands somewhere new: the rows there are read from disk once, unmeasured, so that neither
        // side is timed against a cold cache the other then warms for it.
        baselineOffset(db, middle);
        warmKeysetPages(db, middle);
        runs.append(ours([&] {
            QElapsedTimer timer;
            timer.start();
            users.page.positionBar()->setValue(middle); // as a drag of the scrollbar would
            return users.loadScreen(timer);
        }));
        offsets.append(baselineOffset(db, middle));
    }
    figures->append({QStringLiteral("jump to the middle by scrollbar"), median(runs), median(offsets),
                     QStringLiteral("ms"), 10, 10});

    // A substring from the middle of a real address, so that the search has a few hundred matches.
    QSqlQuery sample(db);
    sample.exec(QStringLiteral("SELECT substr(primary_email, 2, 8) FROM public.users WHERE id = 500001"));
    const QString text = sample.next() ? sample.value(0).toString() : QStringLiteral("example");
    runs.clear();
    QList<double> withoutIndex;
    for (int i = 0; i < OurRuns; ++i) {
        users.page.showSearch({});
        users.showScreen();
        runs.append(ours([&] {
            QElapsedTimer timer;
            timer.start();
            users.page.showSearch(text);
            return users.loadScreen(timer);
        }));
        withoutIndex.append(baselineSearchWithoutIndex(db, text));
    }
    figures->append({QStringLiteral("email substring search, 1M users"), median(runs), median(withoutIndex),
                     QStringLiteral("ms"), 20, 10});

    qInfo("longest stall: %s", qPrintable(app->longestStallWhat()));
    if (qEnvironmentVariableIsSet("BEACON_BENCH_SKIP_MEMORY"))
        return {};
    const double ourMemory = runMemoryProbe(uri, QStringLiteral("ours"));
    const double baselineMemory = runMemoryProbe(uri, QStringLiteral("baseline"));
    if (ourMemory < 0 || baselineMemory < 0)
        return DbError::make(ErrorKind::Unavailable,
                             QCoreApplication::translate("beacon-bench",
                                                         "A memory probe (a child beacon-bench) failed; run "
                                                         "it alone with --memory-probe ours or baseline."));
    figures->append({QStringLiteral("peak memory, scrolling ai_usage top to bottom"), ourMemory,
                     baselineMemory, QStringLiteral("MB"), 10, 150});

    // Measured over every one of our scenarios above; the bar is one frame at 60 Hz, the baseline too.
    figures->append({QStringLiteral("longest GUI-thread stall, all of the above"), app->longestStallMs(), 16,
                     QStringLiteral("ms"), 1, 16});
    return {};
}

double memoryProbe(const ConnectionSpec &spec, const QString &which)
{
    if (which == QLatin1String("baseline")) {
        DbError error;
        auto connection = Connection::open(spec, QStringLiteral("bench-memory"), &error);
        if (!connection)
            return -1;
        QSqlQueryModel model;
        model.setQuery(
            QSqlQuery(QStringLiteral("SELECT * FROM public.ai_usage ORDER BY id"), connection->database()));
        while (model.canFetchMore())
            model.fetchMore();
        return model.rowCount() > 0 ? peakRssMb() : -1;
    }
    if (which != QLatin1String("ours"))
        return -1;
    ShownPage usage(QStringLiteral("ai_usage"), browse::aiUsageTable(), spec);
    const int last = usage.page.positionBar()->maximum();
    for (int stop = 0; stop <= ScrollStops; ++stop) {
        usage.page.positionBar()->setValue(int(qint64(last) * stop / ScrollStops));
        usage.showScreen();
        for (int press = 0; press < PageDownsPerStop; ++press) {
            usage.pressKey(Qt::Key_PageDown);
            usage.showScreen();
        }
    }
    usage.pressKey(Qt::Key_End, Qt::ControlModifier);
    usage.showScreen();
    return usage.model().rowCount() > 0 ? peakRssMb() : -1;
}

} // namespace beacon::bench
