// Keyset paging against the real server: every row exactly once, in the server's own order, forwards and
// backwards, through ties, NULLs and microsecond timestamps, while others write; and search that takes its
// input literally.
#include "testdatabase.h"

#include "browse/keysetpager.h"
#include "browse/tables.h"

#include <QSqlQuery>

using namespace beacon;
using namespace beacon::browse;

Q_DECLARE_METATYPE(const beacon::browse::TableDefinition *)
Q_DECLARE_METATYPE(QList<beacon::browse::ColumnFilter>)

class TestKeysetPager : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void walkWholeTable_eachRowOnceInServerOrder_data();
    void walkWholeTable_eachRowOnceInServerOrder();
    void backwardFromMiddle_returnsThePrecedingRows();
    void scrollWhileAnotherConnectionWrites_noRowTwice();
    void search_takesInputLiterally_data();
    void search_takesInputLiterally();
    void counts_estimateAndCappedExact();
    void columnFilters_selectWhatTheirSqlSelects_data();
    void columnFilters_selectWhatTheirSqlSelects();
    void matchingIds_pagedById_sameRowsAsTheSearch_data();
    void matchingIds_pagedById_sameRowsAsTheSearch();
    void jumpEstimate_middle_landsNearTheMiddle_data();
    void jumpEstimate_middle_landsNearTheMiddle();
    void unsortableColumn_refused();
    void everyTableDefinition_runsOnTheRealSchema_data();
    void everyTableDefinition_runsOnTheRealSchema();

private:
    QList<qint64> oracle(const QString &orderBy, const QString &where = QStringLiteral("TRUE"));
    QList<qint64> walkAll(const PageRequest &base, Direction direction);
    int columnNamed(const QString &name) const;
    // The ids of the first page of up to 1,000 users for `request`; false (with a test failure) on an error.
    bool firstThousandIds(PageRequest request, QList<qint64> *ids);

    std::unique_ptr<test::TestDatabase> m_database;
};

static const int UserCount = 157;

void TestKeysetPager::initTestCase()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("keyset"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    // Few distinct keys (many ties), a third of the logins NULL, timestamps that differ only in microseconds,
    // and e-mail addresses with the characters search must take literally.
    QVERIFY_SQL(
        query, prepare(QStringLiteral(
                   "INSERT INTO users (provider, provider_user_id, primary_email, display_name, created_at, "
                   "last_login_at) "
                   "SELECT 'google', 'g' || n, "
                   "       CASE n % 7 WHEN 0 THEN 'o''brien' || (n % 3) || '@x.com' "
                   "                  WHEN 1 THEN '100%_sure' || (n % 2) || '@x.com' "
                   "                  WHEN 2 THEN 'back\\slash@x.com' "
                   "                  WHEN 3 THEN 'zoë.łukasz@例え.jp' "
                   "                  ELSE 'user' || (n % 5) || '@x.com' END, "
                   "       'User ' || n, "
                   "       TIMESTAMPTZ '2026-01-01 00:00:00.000001+00' + (n % 4) * INTERVAL '1 microsecond', "
                   "       CASE WHEN n % 3 = 0 THEN NULL "
                   "            ELSE TIMESTAMPTZ '2026-06-01 00:00:00+00' + (n % 5) * INTERVAL '1 day' END "
                   "  FROM generate_series(1, :count) AS n")));
    query.bindValue(QStringLiteral(":count"), UserCount);
    QVERIFY_SQL(query, exec());
    QVERIFY_SQL(query, exec(QStringLiteral("ANALYZE users")));
}

void TestKeysetPager::cleanupTestCase()
{
    m_database.reset();
}

int TestKeysetPager::columnNamed(const QString &name) const
{
    const auto &columns = usersTable().columns;
    for (int i = 0; i < columns.size(); ++i) {
        if (columns.at(i).name == name)
            return i;
    }
    return -1;
}

QList<qint64> TestKeysetPager::oracle(const QString &orderBy, const QString &where)
{
    return test::userIdsInServerOrder(m_database->db(), orderBy, where);
}

QList<qint64> TestKeysetPager::walkAll(const PageRequest &base, Direction direction)
{
    QList<qint64> ids;
    PageRequest request = base;
    request.direction = direction;
    request.from.reset();
    for (int guard = 0; guard < 10000; ++guard) {
        QList<Row> rows;
        const DbError error = fetchPage(m_database->db(), usersTable(), request, &rows);
        if (error) {
            qWarning() << error.fullText();
            return {};
        }
        if (rows.isEmpty())
            break;
        if (direction == Direction::Forward) {
            for (const Row &row : std::as_const(rows))
                ids.append(row.cursor.id);
            request.from = rows.last().cursor;
        } else {
            for (auto it = rows.crbegin(); it != rows.crend(); ++it)
                ids.prepend(it->cursor.id);
            request.from = rows.first().cursor;
        }
    }
    return ids;
}

void TestKeysetPager::walkWholeTable_eachRowOnceInServerOrder_data()
{
    QTest::addColumn<QString>("column");
    QTest::addColumn<bool>("ascending");
    QTest::addColumn<int>("pageSize");
    QTest::addColumn<QString>("orderBy");
    for (int pageSize : {1, 7, 200}) {
        const auto row = [&](const char *column, bool ascending, const char *orderBy) {
            QTest::addRow("%s %s page %d", column, ascending ? "asc" : "desc", pageSize)
                << QString::fromLatin1(column) << ascending << pageSize << QString::fromLatin1(orderBy);
        };
        row("id", true, "u.id ASC");
        row("id", false, "u.id DESC");
        row("email", true, "u.primary_email ASC, u.id ASC");
        row("email", false, "u.primary_email DESC, u.id DESC");
        row("created", true, "u.created_at ASC, u.id ASC");
        row("created", false, "u.created_at DESC, u.id DESC");
        row("last_login", true, "u.last_login_at ASC NULLS LAST, u.id ASC");
        row("last_login", false, "u.last_login_at DESC NULLS FIRST, u.id DESC");
    }
}

void TestKeysetPager::walkWholeTable_eachRowOnceInServerOrder()
{
    QFETCH(QString, column);
    QFETCH(bool, ascending);
    QFETCH(int, pageSize);
    QFETCH(QString, orderBy);
    PageRequest request;
    request.sortColumn = column == QLatin1String("id") ? -1 : columnNamed(column);
    request.order = ascending ? Qt::AscendingOrder : Qt::DescendingOrder;
    request.limit = pageSize;
    const QList<qint64> expected = oracle(orderBy);
    QCOMPARE(expected.size(), UserCount);
    QCOMPARE(walkAll(request, Direction::Forward), expected);
    QCOMPARE(walkAll(request, Direction::Backward), expected);
}

void TestKeysetPager::backwardFromMiddle_returnsThePrecedingRows()
{
    PageRequest request;
    request.sortColumn = columnNamed(QStringLiteral("last_login"));
    request.limit = 120; // far enough to cross from the set keys into the NULL run
    QList<Row> firstPage;
    QVERIFY(!fetchPage(m_database->db(), usersTable(), request, &firstPage));
    QCOMPARE(firstPage.size(), 120);
    QList<Row> secondPage;
    request.from = firstPage.last().cursor;
    QVERIFY(!fetchPage(m_database->db(), usersTable(), request, &secondPage));
    QVERIFY(!secondPage.isEmpty());
    QVERIFY2(secondPage.last().cursor.keyIsNull, "the walk must reach the NULL logins");

    request.direction = Direction::Backward;
    request.from = secondPage.last().cursor;
    request.limit = 40;
    QList<Row> back;
    QVERIFY(!fetchPage(m_database->db(), usersTable(), request, &back));
    QList<Row> all = firstPage + secondPage;
    QCOMPARE(back.size(), 40);
    for (int i = 0; i < 40; ++i)
        QCOMPARE(back.at(i).cursor.id, all.at(all.size() - 41 + i).cursor.id);
}

void TestKeysetPager::scrollWhileAnotherConnectionWrites_noRowTwice()
{
    DbError error;
    auto writer = Connection::open(m_database->spec(), QStringLiteral("writer"), &error);
    QVERIFY2(writer, qPrintable(error.fullText()));
    QSqlQuery write(writer->database());
    const QList<qint64> before = oracle(QStringLiteral("u.created_at, u.id"));

    PageRequest request;
    request.sortColumn = columnNamed(QStringLiteral("created"));
    request.limit = 10;
    QList<qint64> seen;
    QList<qint64> deleted;
    for (int page = 0; page < 1000; ++page) {
        QList<Row> rows;
        error = fetchPage(m_database->db(), usersTable(), request, &rows);
        QVERIFY2(!error, qPrintable(error.fullText()));
        if (rows.isEmpty())
            break;
        for (const Row &row : std::as_const(rows))
            seen.append(row.cursor.id);
        request.from = rows.last().cursor;
        // Between pages, someone else adds a user at the same timestamp and removes one not yet shown.
        QVERIFY_SQL(
            write, prepare(QStringLiteral(
                       "INSERT INTO users (provider, provider_user_id, primary_email, created_at) "
                       "VALUES ('github', :uid, 'new@x.com', TIMESTAMPTZ '2026-01-01 00:00:00.000002+00')")));
        write.bindValue(QStringLiteral(":uid"), QStringLiteral("w%1").arg(page));
        QVERIFY_SQL(write, exec());
        QVERIFY_SQL(write, exec(QStringLiteral("DELETE FROM users WHERE id = (SELECT max(id) FROM users "
                                               "WHERE provider = 'google') RETURNING id")));
        if (write.next())
            deleted.append(write.value(0).toLongLong());
    }
    QCOMPARE(QSet<qint64>(seen.begin(), seen.end()).size(), seen.size());
    // Every original row that nobody deleted was shown.
    for (qint64 id : before) {
        if (!deleted.contains(id))
            QVERIFY2(seen.contains(id), qPrintable(QString::number(id)));
    }
    // Restore the shared fixture for the tests that follow.
    QVERIFY_SQL(write, exec(QStringLiteral("DELETE FROM users WHERE provider = 'github'")));
    cleanupTestCase();
    initTestCase();
}

bool TestKeysetPager::firstThousandIds(PageRequest request, QList<qint64> *ids)
{
    request.limit = 1000;
    QList<Row> rows;
    const DbError error = fetchPage(m_database->db(), usersTable(), request, &rows);
    if (error) {
        QTest::qFail(qPrintable(error.fullText()), __FILE__, __LINE__);
        return false;
    }
    ids->clear();
    for (const Row &row : std::as_const(rows))
        ids->append(row.cursor.id);
    return true;
}

void TestKeysetPager::search_takesInputLiterally_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("where");
    QTest::newRow("quote") << "o'brien"
                           << "u.primary_email LIKE 'o''brien%'";
    QTest::newRow("percent and underscore") << "100%_sure1"
                                            << "u.primary_email LIKE '100\\%\\_sure1@%'";
    QTest::newRow("lone percent") << "%"
                                  << "u.primary_email LIKE '%\\%%'";
    QTest::newRow("lone underscore") << "_"
                                     << "u.primary_email LIKE '%\\_%'";
    QTest::newRow("backslash") << "k\\sl"
                               << "u.primary_email LIKE 'back\\\\slash%'";
    QTest::newRow("unicode, other case") << "ZOË.ŁUKASZ@例え"
                                         << "u.primary_email LIKE 'zoë%'";
    QTest::newRow("display name") << "user 15"
                                  << "u.display_name ILIKE 'user 15%'";
    QTest::newRow("10,000 characters") << QString(10000, QLatin1Char('a')) << "FALSE";
    QTest::newRow("no match") << "nobody-has-this"
                              << "FALSE";
}

void TestKeysetPager::search_takesInputLiterally()
{
    QFETCH(QString, text);
    QFETCH(QString, where);
    PageRequest request;
    request.search = text;
    QList<qint64> ids;
    QVERIFY(firstThousandIds(request, &ids));
    QCOMPARE(ids, oracle(QStringLiteral("u.id"), where));
    if (where != QLatin1String("FALSE"))
        QVERIFY(!ids.isEmpty());
}

void TestKeysetPager::columnFilters_selectWhatTheirSqlSelects_data()
{
    QTest::addColumn<QList<ColumnFilter>>("filters");
    QTest::addColumn<QString>("search");
    QTest::addColumn<QString>("where");
    auto filter = [this](const char *column, ColumnFilter::Op op, const QString &value = {}) {
        ColumnFilter result;
        result.column = columnNamed(QLatin1String(column));
        result.op = op;
        result.value = value;
        return result;
    };
    using Op = ColumnFilter::Op;
    QTest::newRow("text is") << QList{filter("provider", Op::Equals, QStringLiteral("google"))} << QString()
                             << "u.provider = 'google'";
    QTest::newRow("text is, nothing")
        << QList{filter("provider", Op::Equals, QStringLiteral("github"))} << QString() << "FALSE";
    QTest::newRow("contains, quote, other case")
        << QList{filter("email", Op::Contains, QStringLiteral("O'BRIEN1"))} << QString()
        << "u.primary_email LIKE 'o''brien1@%'";
    QTest::newRow("contains, wildcards literally")
        << QList{filter("email", Op::Contains, QStringLiteral("1%_s"))} << QString() << "FALSE";
    QTest::newRow("contains, percent and underscore")
        << QList{filter("email", Op::Contains, QStringLiteral("%_sure1"))} << QString()
        << "u.primary_email LIKE '100\\%\\_sure1@%'";
    QTest::newRow("number range") << QList{filter("id", Op::AtLeast, QStringLiteral("50")),
                                           filter("id", Op::Below, QStringLiteral("60"))}
                                  << QString() << "u.id >= 50 AND u.id < 60";
    QTest::newRow("time range, microseconds")
        << QList{filter("created", Op::AtLeast, QStringLiteral("2026-01-01T00:00:00.000002Z")),
                 filter("created", Op::Below, QStringLiteral("2026-01-01T00:00:00.000004Z"))}
        << QString()
        << "u.created_at >= '2026-01-01 00:00:00.000002+00' AND u.created_at < '2026-01-01 "
           "00:00:00.000004+00'";
    QTest::newRow("empty") << QList{filter("last_login", Op::IsEmpty)} << QString()
                           << "u.last_login_at IS NULL";
    QTest::newRow("not empty, with a search")
        << QList{filter("last_login", Op::IsNotEmpty)} << QStringLiteral("user3")
        << "u.last_login_at IS NOT NULL AND (u.primary_email LIKE '%user3%' OR u.display_name ILIKE "
           "'%user3%')";
    QTest::newRow("yes or no") << QList{filter("email_shared", Op::Equals, QStringLiteral("false"))}
                               << QString() << "FALSE";
}

void TestKeysetPager::columnFilters_selectWhatTheirSqlSelects()
{
    QFETCH(QList<ColumnFilter>, filters);
    QFETCH(QString, search);
    QFETCH(QString, where);
    PageRequest request;
    request.filters = filters;
    request.search = search;
    QList<qint64> ids;
    QVERIFY(firstThousandIds(request, &ids));
    const QList<qint64> expected = oracle(QStringLiteral("u.id"), where);
    QCOMPARE(ids, expected);
    qint64 count = 0;
    QVERIFY(!countUpTo(m_database->db(), usersTable(), search, 1000, &count, std::nullopt, filters));
    QCOMPARE(count, qint64(expected.size()));
}

void TestKeysetPager::matchingIds_pagedById_sameRowsAsTheSearch_data()
{
    search_takesInputLiterally_data();
}

void TestKeysetPager::matchingIds_pagedById_sameRowsAsTheSearch()
{
    QFETCH(QString, text);
    QFETCH(QString, where);
    PageRequest request;
    request.search = text;
    QList<qint64> ids;
    QVERIFY(!matchingIds(m_database->db(), usersTable(), request, 1000, &ids));
    // Paged in the email order, backwards from the end, a few rows at a time.
    request.onlyIds = ids;
    request.sortColumn = columnNamed(QStringLiteral("email"));
    request.direction = Direction::Backward;
    request.limit = 7;
    QList<qint64> walked;
    for (;;) {
        QList<Row> rows;
        const DbError error = fetchPage(m_database->db(), usersTable(), request, &rows);
        QVERIFY2(!error, qPrintable(error.fullText()));
        if (rows.isEmpty())
            break;
        for (auto row = rows.crbegin(); row != rows.crend(); ++row)
            walked.prepend(row->cursor.id);
        request.from = rows.first().cursor;
    }
    QCOMPARE(walked, oracle(QStringLiteral("u.primary_email, u.id"), where));
}

void TestKeysetPager::counts_estimateAndCappedExact()
{
    qint64 estimate = 0;
    QVERIFY(!estimateRowCount(m_database->db(), usersTable(), &estimate));
    QCOMPARE(estimate, qint64(UserCount));
    qint64 exact = 0;
    QVERIFY(!countUpTo(m_database->db(), usersTable(), QStringLiteral("o'brien"), 1000, &exact));
    QCOMPARE(
        exact,
        qint64(oracle(QStringLiteral("u.id"), QStringLiteral("u.primary_email LIKE 'o''brien%'")).size()));
    QVERIFY(!countUpTo(m_database->db(), usersTable(), QString(), 10, &exact));
    QCOMPARE(exact, qint64(10));
}

void TestKeysetPager::jumpEstimate_middle_landsNearTheMiddle_data()
{
    QTest::addColumn<QString>("column");
    QTest::addColumn<bool>("ascending");
    QTest::addColumn<QString>("orderBy");
    QTest::newRow("id") << "id" << true << "u.id ASC";
    QTest::newRow("id desc") << "id" << false << "u.id DESC";
    QTest::newRow("last login") << "last_login" << true << "u.last_login_at ASC NULLS LAST, u.id ASC";
    QTest::newRow("created desc") << "created" << false << "u.created_at DESC, u.id DESC";
}

void TestKeysetPager::jumpEstimate_middle_landsNearTheMiddle()
{
    QFETCH(QString, column);
    QFETCH(bool, ascending);
    QFETCH(QString, orderBy);
    const int sortColumn = column == QLatin1String("id") ? -1 : columnNamed(column);
    const Qt::SortOrder order = ascending ? Qt::AscendingOrder : Qt::DescendingOrder;
    std::optional<Cursor> cursor;
    const DbError error = estimateCursorAt(m_database->db(), usersTable(), sortColumn, order, 0.5, &cursor);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(cursor.has_value());
    PageRequest request;
    request.sortColumn = sortColumn;
    request.order = order;
    request.from = cursor;
    request.limit = 10;
    QList<Row> rows;
    QVERIFY(!fetchPage(m_database->db(), usersTable(), request, &rows));
    QVERIFY(!rows.isEmpty());
    // With few distinct keys the histogram is coarse, so "near" is generous; it is never the very start.
    const qsizetype position = oracle(orderBy).indexOf(rows.first().cursor.id);
    QVERIFY2(position > 0 && position < UserCount - 1, qPrintable(QString::number(position)));
}

void TestKeysetPager::unsortableColumn_refused()
{
    PageRequest request;
    request.sortColumn = columnNamed(QStringLiteral("workspaces"));
    QList<Row> rows;
    QCOMPARE(fetchPage(m_database->db(), usersTable(), request, &rows).kind, ErrorKind::Usage);
}

void TestKeysetPager::everyTableDefinition_runsOnTheRealSchema_data()
{
    QTest::addColumn<const TableDefinition *>("table");
    QTest::newRow("users") << &usersTable();
    QTest::newRow("workspaces") << &workspacesTable();
    QTest::newRow("ai_usage") << &aiUsageTable();
    QTest::newRow("subscriptions") << &subscriptionsTable();
    QTest::newRow("quotas") << &quotasTable();
    QTest::newRow("exports") << &exportsTable();
    QTest::newRow("audit log") << &auditLogTable();
    QTest::newRow("workspace members") << &workspaceMembersTable();
    QTest::newRow("workspace projects") << &workspaceProjectsTable();
    QTest::newRow("workspace audit") << &workspaceAuditTable();
}

void TestKeysetPager::everyTableDefinition_runsOnTheRealSchema()
{
    QFETCH(const TableDefinition *, table);
    // Aggregate initialisation is positional: a value in the wrong field shows up here.
    QVERIFY(table->scopeColumn.isEmpty() || table->scopeColumn.contains(QLatin1Char('.')));
    QVERIFY(table->changeChannel.isEmpty() || table->changeChannel.startsWith(QLatin1String("beacon_")));
    QVERIFY(table->relation.startsWith(QLatin1String("public.")));
    for (int column = -1; column < table->columns.size(); ++column) {
        if (column >= 0 && !table->columns.at(column).sortable)
            continue;
        for (const Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
            PageRequest request;
            request.sortColumn = column;
            request.order = order;
            request.search = QStringLiteral("x");
            if (!table->scopeColumn.isEmpty())
                request.scope = 1;
            QList<Row> rows;
            const DbError error = fetchPage(m_database->db(), *table, request, &rows);
            QVERIFY2(!error, qPrintable(error.fullText()));
            std::optional<Cursor> cursor;
            QVERIFY(!estimateCursorAt(m_database->db(), *table, column, order, 0.5, &cursor));
        }
    }
    qint64 count = 0;
    QVERIFY(!countUpTo(m_database->db(), *table, QStringLiteral("x"), 10, &count,
                       table->scopeColumn.isEmpty() ? std::nullopt : std::optional<qint64>(1)));
}

QTEST_GUILESS_MAIN(TestKeysetPager)
#include "tst_keysetpager.moc"
