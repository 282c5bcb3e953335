// StatementCache: $n statements sent as they are with their values by position, the count of values checked
// before anything runs, values typed both ways, SQLSTATEs kept, one PREPARE per statement text, and the
// pipelines (several statements in one round trip), each checked against the real server.
#include "testdatabase.h"

#include "db/database.h"
#include "db/statementcache.h"

#include <QDateTime>
#include <QSqlQuery>
#include <QUuid>

using namespace beacon;

namespace {

// The first column of the first row, or the error that stopped the statement.
struct FirstValue {
    DbError error;
    QVariant value;
};

FirstValue firstValue(const QSqlDatabase &db, const QString &sql, const QVariantList &values = {})
{
    FirstValue result;
    StatementRows *rows = nullptr;
    result.error = StatementCache::of(db).exec(sql, values, QStringLiteral("testing"), &rows);
    if (!result.error && rows->next())
        result.value = rows->value(0);
    return result;
}

// A plain QSqlQuery on the same connection: the independent look at what the server holds.
qint64 plainNumber(const QSqlDatabase &db, const QString &sql)
{
    QSqlQuery query(db);
    if (!query.exec(sql) || !query.next()) {
        qWarning() << sql << query.lastError().text();
        return -1;
    }
    return query.value(0).toLongLong();
}

qint64 preparedByCache(const QSqlDatabase &db)
{
    return plainNumber(db, QStringLiteral("SELECT count(*) FROM pg_prepared_statements "
                                          "WHERE name LIKE 'beacon_stmt_%'"));
}

// How many times the server ran the prepared statement whose text is `sql`.
qint64 timesRun(const QSqlDatabase &db, const QString &sql)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral("SELECT generic_plans + custom_plans FROM pg_prepared_statements "
                                 "WHERE name LIKE 'beacon_stmt_%' AND statement = :text"));
    query.bindValue(QStringLiteral(":text"), sql);
    if (!query.exec() || !query.next())
        return -1;
    return query.value(0).toLongLong();
}

const QString insertItem = QStringLiteral("INSERT INTO stmtcache_items (id, label) VALUES ($1, $2)");

bool createItemsTable(const QSqlDatabase &db, const QString &uniqueClause = QStringLiteral("PRIMARY KEY"))
{
    return !execPlain(
        db, QStringLiteral("CREATE TABLE stmtcache_items (id int %1, label text)").arg(uniqueClause),
        QStringLiteral("creating the test table"));
}

QVariantList item(int id)
{
    return {id, QStringLiteral("item %1").arg(id)};
}

} // namespace

class TestStatementCache : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void dollarPlaceholders_data();
    void dollarPlaceholders();
    void values_roundTripByType_data();
    void values_roundTripByType();
    void values_null_bindsSqlNull_data();
    void values_null_bindsSqlNull();
    void values_dateTime_roundTripsThroughTimestamptz_data();
    void values_dateTime_roundTripsThroughTimestamptz();
    void exec_wrongNumberOfValues_refusedInWordsAndNothingRuns_data();
    void exec_wrongNumberOfValues_refusedInWordsAndNothingRuns();
    void pipeline_wrongNumberOfValues_refusedBeforeAnythingRuns();
    void parameterCount_asTheServerCounts_nothingLeftPrepared();
    void exec_unsendableType_isInternal();
    void errors_carrySqlState();
    void errors_abortedTransaction_statementRunsAgainAfterRollback();
    void prepare_sameSqlText_preparedOnceRunManyTimes();
    void execThenCommit_success_visibleFromSecondConnection();
    void execThenCommit_statementFails_noCommitAndConnectionUsable();
    void execThenCommit_commitFails_reportsCommittingStep();
    void release_nextCacheIsEmptyAndWorks();
    void pipeline_runsInOrderAndKeepsEachStatementsRows();
    void pipeline_failureInTheMiddle_reportsItAndSkipsTheRest();
    void pipeline_sameStatementTwiceWithRows_isRefusedBeforeAnythingRuns();
    void pipeline_cacheStartsAgainWhilePreparing_allStatementsStillRun();
};

void TestStatementCache::initTestCase()
{
    // Local time away from UTC (POSIX form, UTC+05:30, no tz database needed), so that a local QDateTime
    // sent as wall time instead of as its instant gives a different timestamptz.
    qputenv("TZ", "XST-5:30");
    QVERIFY(QDateTime(QDate(2026, 1, 2), QTime(0, 0), Qt::LocalTime).offsetFromUtc() == 5 * 3600 + 30 * 60);
}

void TestStatementCache::dollarPlaceholders_data()
{
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QVariantList>("values");
    QTest::addColumn<QVariant>("expected");
    // The text goes to the server as it is. Each row holds something the old :name rewriter misread: a
    // quote or a ":word" in a comment, an E'' string or a $$ body was taken for a quote or a placeholder.
    QTest::newRow("$1 used twice is one value")
        << "SELECT CAST($1 AS int) + CAST($1 AS int)" << QVariantList{2} << QVariant(qint64(4));
    QTest::newRow(":: cast beside a placeholder")
        << "SELECT CAST($1 AS text)::int" << QVariantList{"41"} << QVariant(qint64(41));
    QTest::newRow("line comment with a quote, :word and $9")
        << "-- it's :notaname and $9\nSELECT CAST($1 AS text) || 'x'" << QVariantList{"!"} << QVariant("!x");
    QTest::newRow("block comment with a quote and :word")
        << "SELECT /* don't :bind */ CAST($1 AS int) * 2" << QVariantList{21} << QVariant(qint64(42));
    QTest::newRow("E'' string with an escaped quote and :word")
        << "SELECT E'it\\'s :notaname ' || CAST($1 AS text)" << QVariantList{"!"}
        << QVariant("it's :notaname !");
    QTest::newRow("$$ body with a quote, :word and $1")
        << "SELECT $$it's :notaname $1$$ || CAST($1 AS text)" << QVariantList{"!"}
        << QVariant("it's :notaname $1!");
    QTest::newRow("tagged $q$ body") << "SELECT $q$ :a 'b $2 $q$ || CAST($1 AS text)" << QVariantList{"!"}
                                     << QVariant(" :a 'b $2 !");
    QTest::newRow("placeholders beside operators")
        << "SELECT CAST($1 AS int)*CAST($2 AS int)" << QVariantList{6, 7} << QVariant(qint64(42));
}

void TestStatementCache::dollarPlaceholders()
{
    QFETCH(QString, sql);
    QFETCH(QVariantList, values);
    QFETCH(QVariant, expected);
    test::TestDatabase database(QStringLiteral("stmt_placeholders"));
    QVERIFY_TESTDB(database);
    const FirstValue result = firstValue(database.db(), sql, values);
    QVERIFY2(!result.error, qPrintable(result.error.fullText()));
    QCOMPARE(result.value, expected);
    // The server took the text as it was given, with as many parameters as values.
    QCOMPARE(timesRun(database.db(), sql), qint64(1));
    QCOMPARE(
        plainNumber(database.db(), QStringLiteral("SELECT cardinality(parameter_types) FROM "
                                                  "pg_prepared_statements WHERE name LIKE 'beacon_stmt_%'")),
        qint64(values.size()));
    int count = -1;
    QVERIFY(!StatementCache::of(database.db()).parameterCount(sql, QStringLiteral("counting"), &count));
    QCOMPARE(count, int(values.size()));
}

void TestStatementCache::values_roundTripByType_data()
{
    QTest::addColumn<QString>("sqlType");
    QTest::addColumn<QVariant>("sent");
    QTest::addColumn<QVariant>("expected");
    // Booleans must come back as bool: the text "f" would be truthy as a QVariant.
    QTest::newRow("bool true") << "boolean" << QVariant(true) << QVariant(true);
    QTest::newRow("bool false") << "boolean" << QVariant(false) << QVariant(false);
    QTest::newRow("int") << "int" << QVariant(-42) << QVariant(qint64(-42));
    QTest::newRow("qint64") << "bigint" << QVariant(qint64(9'000'000'000'123))
                            << QVariant(qint64(9'000'000'000'123));
    QTest::newRow("double, every digit") << "float8" << QVariant(1.0 / 3.0) << QVariant(1.0 / 3.0);
    QTest::newRow("text with quotes, backslash, percent, non-ASCII")
        << "text" << QVariant(QStringLiteral("O'Brien \\ 100% — Zoë \"x\" :y"))
        << QVariant(QStringLiteral("O'Brien \\ 100% — Zoë \"x\" :y"));
    const QUuid uuid = QUuid::fromString(QStringLiteral("{0f8fad5b-d9cb-469f-a165-70867728950e}"));
    QTest::newRow("uuid, returned as text")
        << "uuid" << QVariant(uuid) << QVariant(uuid.toString(QUuid::WithoutBraces));
}

void TestStatementCache::values_roundTripByType()
{
    QFETCH(QString, sqlType);
    QFETCH(QVariant, sent);
    QFETCH(QVariant, expected);
    test::TestDatabase database(QStringLiteral("stmt_types"));
    QVERIFY_TESTDB(database);
    const FirstValue result =
        firstValue(database.db(), QStringLiteral("SELECT CAST($1 AS %1)").arg(sqlType), {sent});
    QVERIFY2(!result.error, qPrintable(result.error.fullText()));
    QCOMPARE(result.value.typeId(), expected.typeId());
    // QVariant's == would compare doubles fuzzily; the 17 digits sent must give back the very same double.
    if (expected.typeId() == QMetaType::Double)
        QVERIFY(result.value.toDouble() == expected.toDouble());
    else
        QCOMPARE(result.value, expected);
    QCOMPARE(result.value.toBool(), expected.toBool());
}

void TestStatementCache::values_null_bindsSqlNull_data()
{
    QTest::addColumn<QVariant>("sent");
    QTest::addColumn<bool>("isSqlNull");
    QTest::newRow("invalid QVariant") << QVariant() << true;
    // What QSqlQuery and the engine use for "no value of this type".
    QTest::newRow("typed null string") << QVariant(QMetaType::fromType<QString>()) << true;
    QTest::newRow("typed null int") << QVariant(QMetaType::fromType<int>()) << true;
    QTest::newRow("empty string is not NULL") << QVariant(QString(QLatin1String(""))) << false;
}

void TestStatementCache::values_null_bindsSqlNull()
{
    QFETCH(QVariant, sent);
    QFETCH(bool, isSqlNull);
    test::TestDatabase database(QStringLiteral("stmt_null"));
    QVERIFY_TESTDB(database);
    const FirstValue test =
        firstValue(database.db(), QStringLiteral("SELECT CAST($1 AS text) IS NULL"), {sent});
    QVERIFY2(!test.error, qPrintable(test.error.fullText()));
    QCOMPARE(test.value, QVariant(isSqlNull));
    const FirstValue back = firstValue(database.db(), QStringLiteral("SELECT CAST($1 AS text)"), {sent});
    QVERIFY2(!back.error, qPrintable(back.error.fullText()));
    QCOMPARE(back.value.isNull(), isSqlNull);
    if (!isSqlNull)
        QCOMPARE(back.value, QVariant(QString(QLatin1String(""))));
}

void TestStatementCache::values_dateTime_roundTripsThroughTimestamptz_data()
{
    QTest::addColumn<QDateTime>("sent");
    const QDateTime utc(QDate(2026, 1, 2), QTime(3, 4, 5, 678), Qt::UTC);
    QTest::newRow("UTC") << utc;
    // The same instant written with another offset: it must be sent as that instant, not as wall time.
    QTest::newRow("UTC+02:00") << utc.toOffsetFromUtc(2 * 3600);
    QTest::newRow("local time") << utc.toLocalTime();
}

void TestStatementCache::values_dateTime_roundTripsThroughTimestamptz()
{
    QFETCH(QDateTime, sent);
    test::TestDatabase database(QStringLiteral("stmt_time"));
    QVERIFY_TESTDB(database);
    const FirstValue same = firstValue(
        database.db(),
        QStringLiteral("SELECT CAST($1 AS timestamptz) = '2026-01-02T03:04:05.678Z'::timestamptz"), {sent});
    QVERIFY2(!same.error, qPrintable(same.error.fullText()));
    QCOMPARE(same.value, QVariant(true));
    // Back as text (the session is UTC): parsed, it is the instant that was sent, to the millisecond.
    const FirstValue back =
        firstValue(database.db(),
                   QStringLiteral("SELECT to_char(CAST($1 AS timestamptz) AT TIME ZONE 'UTC', "
                                  "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"),
                   {sent});
    QVERIFY2(!back.error, qPrintable(back.error.fullText()));
    QCOMPARE(QDateTime::fromString(back.value.toString(), Qt::ISODateWithMs), sent.toUTC());
}

void TestStatementCache::exec_wrongNumberOfValues_refusedInWordsAndNothingRuns_data()
{
    QTest::addColumn<QVariantList>("values");
    QTest::newRow("none") << QVariantList{};
    QTest::newRow("one fewer") << QVariantList{1};
    QTest::newRow("one more") << QVariantList{1, QStringLiteral("a"), QStringLiteral("b")};
}

void TestStatementCache::exec_wrongNumberOfValues_refusedInWordsAndNothingRuns()
{
    QFETCH(QVariantList, values);
    test::TestDatabase database(QStringLiteral("stmt_count"));
    QVERIFY_TESTDB(database);
    QVERIFY(createItemsTable(database.db()));
    StatementCache &cache = StatementCache::of(database.db());
    StatementRows *rows = nullptr;
    const DbError error = cache.exec(insertItem, values, QStringLiteral("adding an item"), &rows);
    QCOMPARE(error.kind, ErrorKind::Internal);
    QVERIFY2(error.message.startsWith(QLatin1String("adding an item")), qPrintable(error.message));
    QVERIFY2(error.message.contains(QStringLiteral("takes 2 values, but %1 were given").arg(values.size())),
             qPrintable(error.message));
    QVERIFY2(error.message.contains(QLatin1String("nothing was run")), qPrintable(error.message));
    // Not run with a NULL in a missing value's place, nor with the extra one dropped.
    QCOMPARE(timesRun(database.db(), insertItem), qint64(0));
    QCOMPARE(plainNumber(database.db(), QStringLiteral("SELECT count(*) FROM stmtcache_items")), qint64(0));
    // The statement is kept, and runs with the right values.
    QVERIFY(!cache.exec(insertItem, item(1), QStringLiteral("adding an item"), nullptr));
    QCOMPARE(timesRun(database.db(), insertItem), qint64(1));
}

void TestStatementCache::pipeline_wrongNumberOfValues_refusedBeforeAnythingRuns()
{
    test::TestDatabase database(QStringLiteral("stmt_pipeline_count"));
    QVERIFY_TESTDB(database);
    QVERIFY(createItemsTable(database.db()));
    StatementCache &cache = StatementCache::of(database.db());
    const QString count = QStringLiteral("SELECT count(*) FROM stmtcache_items WHERE id > $1");
    StatementRows *rows = nullptr;
    // The faulty statement is the last: the ones before it must not have been sent either.
    const DbError error = cache.pipeline({{"BEGIN", {}, {}, QStringLiteral("beginning"), nullptr},
                                          {nullptr, insertItem, item(1), QStringLiteral("adding 1"), nullptr},
                                          {nullptr, count, {1, 2}, QStringLiteral("counting"), &rows},
                                          {"COMMIT", {}, {}, QStringLiteral("saving"), nullptr}});
    QCOMPARE(error.kind, ErrorKind::Internal);
    QVERIFY2(error.message.startsWith(QLatin1String("counting")), qPrintable(error.message));
    QVERIFY2(error.message.contains(QLatin1String("takes 1 values, but 2 were given")),
             qPrintable(error.message));
    QVERIFY(!rows);
    QCOMPARE(timesRun(database.db(), insertItem), qint64(0));
    QCOMPARE(timesRun(database.db(), count), qint64(0));
    // No BEGIN went either: a plain query is outside any transaction (now() is its own statement's time),
    // and the table is empty.
    QCOMPARE(plainNumber(database.db(), QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE pid = "
                                                       "pg_backend_pid() AND xact_start = query_start")),
             qint64(1));
    QCOMPARE(plainNumber(database.db(), QStringLiteral("SELECT count(*) FROM stmtcache_items")), qint64(0));
}

void TestStatementCache::parameterCount_asTheServerCounts_nothingLeftPrepared()
{
    test::TestDatabase database(QStringLiteral("stmt_parameter_count"));
    QVERIFY_TESTDB(database);
    StatementCache &cache = StatementCache::of(database.db());
    int count = -1;
    QVERIFY(!cache.parameterCount(QStringLiteral("SELECT $$ $7 $$, CAST($2 AS int) + CAST($1 AS int) -- $9"),
                                  QStringLiteral("counting"), &count));
    // The highest number outside the comment and the $$ body.
    QCOMPARE(count, 2);
    QVERIFY(!cache.parameterCount(QStringLiteral("SELECT 1"), QStringLiteral("counting"), &count));
    QCOMPARE(count, 0);
    QCOMPARE(preparedByCache(database.db()), qint64(0));
    QCOMPARE(cache.size(), 0);
    const DbError error =
        cache.parameterCount(QStringLiteral("SELEC $1"), QStringLiteral("counting a typo"), &count);
    QCOMPARE(error.sqlState, QStringLiteral("42601"));
    QVERIFY2(error.message.startsWith(QLatin1String("counting a typo")), qPrintable(error.message));
    // The connection left pipeline mode: a statement runs after the failure.
    const FirstValue after = firstValue(database.db(), QStringLiteral("SELECT CAST($1 AS int)"), {8});
    QVERIFY2(!after.error, qPrintable(after.error.fullText()));
    QCOMPARE(after.value, QVariant(qint64(8)));
}

void TestStatementCache::exec_unsendableType_isInternal()
{
    test::TestDatabase database(QStringLiteral("stmt_unsendable"));
    QVERIFY_TESTDB(database);
    const FirstValue result = firstValue(database.db(), QStringLiteral("SELECT CAST($1 AS text)"),
                                         {QVariant(QStringList{QStringLiteral("a")})});
    QCOMPARE(result.error.kind, ErrorKind::Internal);
    QVERIFY2(result.error.message.contains(QLatin1String("$1")), qPrintable(result.error.message));
    QVERIFY2(result.error.message.contains(QLatin1String("QStringList")), qPrintable(result.error.message));
}

void TestStatementCache::errors_carrySqlState()
{
    test::TestDatabase database(QStringLiteral("stmt_sqlstate"));
    QVERIFY_TESTDB(database);
    const FirstValue division =
        firstValue(database.db(), QStringLiteral("SELECT CAST($1 AS int) / CAST($2 AS int)"), {1, 0});
    QCOMPARE(division.error.sqlState, QStringLiteral("22012"));
    QCOMPARE(division.error.kind, ErrorKind::Refused);
    QVERIFY2(division.error.details.contains(QLatin1String("division by zero")),
             qPrintable(division.error.details));

    QVERIFY(createItemsTable(database.db()));
    StatementCache &cache = StatementCache::of(database.db());
    QVERIFY(!cache.exec(insertItem, item(1), QStringLiteral("adding"), nullptr));
    const DbError duplicate = cache.exec(insertItem, item(1), QStringLiteral("adding again"), nullptr);
    QCOMPARE(duplicate.sqlState, QStringLiteral("23505"));
    QVERIFY2(duplicate.message.startsWith(QLatin1String("adding again")), qPrintable(duplicate.message));
}

void TestStatementCache::errors_abortedTransaction_statementRunsAgainAfterRollback()
{
    test::TestDatabase database(QStringLiteral("stmt_aborted"));
    QVERIFY_TESTDB(database);
    QVERIFY(createItemsTable(database.db()));
    StatementCache &cache = StatementCache::of(database.db());
    QVERIFY(!cache.command("BEGIN", QStringLiteral("beginning")));
    // Prepared for the first time inside the transaction that is about to fail.
    QVERIFY(!cache.exec(insertItem, item(1), QStringLiteral("adding"), nullptr));
    QCOMPARE(cache.exec(insertItem, item(1), QStringLiteral("adding"), nullptr).sqlState,
             QStringLiteral("23505"));
    QCOMPARE(cache.exec(insertItem, item(2), QStringLiteral("adding"), nullptr).sqlState,
             QStringLiteral("25P02"));
    QVERIFY(!cache.command("ROLLBACK", QStringLiteral("rolling back")));

    const DbError again = cache.exec(insertItem, item(2), QStringLiteral("adding after rollback"), nullptr);
    QVERIFY2(!again, qPrintable(again.fullText()));
    QCOMPARE(cache.size(), 1);
    QCOMPARE(preparedByCache(database.db()), qint64(1));
    // Only the row added after ROLLBACK is there.
    QCOMPARE(plainNumber(database.db(), QStringLiteral("SELECT count(*) FROM stmtcache_items")), qint64(1));
    QCOMPARE(plainNumber(database.db(), QStringLiteral("SELECT min(id) FROM stmtcache_items")), qint64(2));
}

void TestStatementCache::prepare_sameSqlText_preparedOnceRunManyTimes()
{
    test::TestDatabase database(QStringLiteral("stmt_once"));
    QVERIFY_TESTDB(database);
    const QString sql = QStringLiteral("SELECT CAST($1 AS int) * 2");
    QCOMPARE(preparedByCache(database.db()), qint64(0));
    for (int n = 1; n <= 5; ++n) {
        const FirstValue result = firstValue(database.db(), sql, {n});
        QVERIFY2(!result.error, qPrintable(result.error.fullText()));
        QCOMPARE(result.value, QVariant(qint64(2 * n))); // each run bound its own value
        QCOMPARE(preparedByCache(database.db()), qint64(1));
    }
    QCOMPARE(StatementCache::of(database.db()).size(), 1);
    QCOMPARE(timesRun(database.db(), QStringLiteral("SELECT CAST($1 AS int) * 2")), qint64(5));
}

void TestStatementCache::execThenCommit_success_visibleFromSecondConnection()
{
    test::TestDatabase database(QStringLiteral("stmt_commit"));
    QVERIFY_TESTDB(database);
    QVERIFY(createItemsTable(database.db()));
    DbError error;
    auto observer = Connection::open(database.spec(), QStringLiteral("observer"), &error);
    QVERIFY2(observer, qPrintable(error.fullText()));

    StatementCache &cache = StatementCache::of(database.db());
    QVERIFY(!cache.command("BEGIN", QStringLiteral("beginning")));
    error = cache.execThenCommit(insertItem, item(7), QStringLiteral("adding"), QStringLiteral("saving"));
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(plainNumber(observer->database(),
                         QStringLiteral("SELECT count(*) FROM stmtcache_items WHERE id = 7")),
             qint64(1));
    // Out of pipeline mode and out of the transaction: a plain synchronous statement runs.
    const FirstValue after = firstValue(database.db(), QStringLiteral("SELECT CAST($1 AS int)"), {3});
    QVERIFY2(!after.error, qPrintable(after.error.fullText()));
    QCOMPARE(after.value, QVariant(qint64(3)));
}

void TestStatementCache::execThenCommit_statementFails_noCommitAndConnectionUsable()
{
    test::TestDatabase database(QStringLiteral("stmt_commit_fail"));
    QVERIFY_TESTDB(database);
    QVERIFY(createItemsTable(database.db()));
    StatementCache &cache = StatementCache::of(database.db());
    QVERIFY(!cache.exec(insertItem, item(1), QStringLiteral("adding"), nullptr));
    DbError error;
    auto observer = Connection::open(database.spec(), QStringLiteral("observer"), &error);
    QVERIFY2(observer, qPrintable(error.fullText()));

    QVERIFY(!cache.command("BEGIN", QStringLiteral("beginning")));
    QVERIFY(!cache.exec(insertItem, item(2), QStringLiteral("adding"), nullptr));
    error = cache.execThenCommit(insertItem, item(1), QStringLiteral("adding a duplicate"),
                                 QStringLiteral("saving"));
    QCOMPARE(error.sqlState, QStringLiteral("23505"));
    QVERIFY2(error.message.startsWith(QLatin1String("adding a duplicate")), qPrintable(error.message));
    // Had COMMIT run it would have ended the transaction; it is still open and aborted, for the caller.
    const FirstValue inAborted = firstValue(database.db(), QStringLiteral("SELECT CAST($1 AS int)"), {1});
    QCOMPARE(inAborted.error.sqlState, QStringLiteral("25P02"));
    QVERIFY(!cache.command("ROLLBACK", QStringLiteral("rolling back")));
    QCOMPARE(plainNumber(observer->database(),
                         QStringLiteral("SELECT count(*) FROM stmtcache_items WHERE id = 2")),
             qint64(0));
    // Left pipeline mode: synchronous libpq calls are refused inside it.
    const FirstValue after = firstValue(database.db(), QStringLiteral("SELECT CAST($1 AS int)"), {5});
    QVERIFY2(!after.error, qPrintable(after.error.fullText()));
    QCOMPARE(after.value, QVariant(qint64(5)));
    QVERIFY(!cache.exec(insertItem, item(3), QStringLiteral("adding"), nullptr));
}

void TestStatementCache::execThenCommit_commitFails_reportsCommittingStep()
{
    test::TestDatabase database(QStringLiteral("stmt_commit_deferred"));
    QVERIFY_TESTDB(database);
    // A deferred unique check lets the INSERT pass and fails the COMMIT itself.
    QVERIFY(createItemsTable(database.db(), QStringLiteral("UNIQUE DEFERRABLE INITIALLY DEFERRED")));
    StatementCache &cache = StatementCache::of(database.db());
    QVERIFY(!cache.exec(insertItem, item(1), QStringLiteral("adding"), nullptr));

    QVERIFY(!cache.command("BEGIN", QStringLiteral("beginning")));
    const DbError error = cache.execThenCommit(insertItem, item(1), QStringLiteral("adding"),
                                               QStringLiteral("saving the items"));
    QCOMPARE(error.sqlState, QStringLiteral("23505"));
    QVERIFY2(error.message.startsWith(QLatin1String("saving the items")), qPrintable(error.message));
    // A failed COMMIT ends the transaction: the next statement runs outside it, and nothing was saved.
    QCOMPARE(plainNumber(database.db(), QStringLiteral("SELECT count(*) FROM stmtcache_items")), qint64(1));
    QVERIFY(!cache.exec(insertItem, item(2), QStringLiteral("adding"), nullptr));
}

void TestStatementCache::release_nextCacheIsEmptyAndWorks()
{
    test::TestDatabase database(QStringLiteral("stmt_release"));
    QVERIFY_TESTDB(database);
    const QSqlDatabase db = database.db();
    QVERIFY(!firstValue(db, QStringLiteral("SELECT CAST($1 AS int)"), {1}).error);
    QCOMPARE(StatementCache::of(db).size(), 1);

    StatementCache::release(db.connectionName());
    QCOMPARE(StatementCache::of(db).size(), 0);
    // The session still holds the first cache's statements; the new cache must not collide with them.
    const FirstValue result = firstValue(db, QStringLiteral("SELECT CAST($1 AS int) + 1"), {1});
    QVERIFY2(!result.error, qPrintable(result.error.fullText()));
    QCOMPARE(result.value, QVariant(qint64(2)));
    QCOMPARE(StatementCache::of(db).size(), 1);
}

void TestStatementCache::pipeline_runsInOrderAndKeepsEachStatementsRows()
{
    test::TestDatabase database(QStringLiteral("stmt_pipeline"));
    QVERIFY_TESTDB(database);
    QVERIFY(createItemsTable(database.db()));
    StatementCache &cache = StatementCache::of(database.db());
    StatementRows *count = nullptr;
    StatementRows *labels = nullptr;
    const DbError error =
        cache.pipeline({{"BEGIN", {}, {}, QStringLiteral("beginning"), nullptr},
                        {nullptr, insertItem, item(1), QStringLiteral("adding 1"), nullptr},
                        {nullptr, QStringLiteral("INSERT INTO stmtcache_items (id, label) VALUES ($1, $2)  "),
                         item(2), QStringLiteral("adding 2"), nullptr},
                        // Run after the inserts, in the same transaction: it sees both.
                        {nullptr,
                         QStringLiteral("SELECT count(*) FROM stmtcache_items WHERE id <= CAST($1 AS int)"),
                         {10},
                         QStringLiteral("counting"),
                         &count},
                        {nullptr,
                         QStringLiteral("SELECT label FROM stmtcache_items ORDER BY id"),
                         {},
                         QStringLiteral("listing"),
                         &labels},
                        {"COMMIT", {}, {}, QStringLiteral("saving"), nullptr}});
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(count && labels);
    QVERIFY(count->next());
    QCOMPARE(count->value(0), QVariant(qint64(2)));
    QCOMPARE(labels->size(), 2);
    QVERIFY(labels->next());
    QCOMPARE(labels->value(0), QVariant(QStringLiteral("item 1")));
    QVERIFY(labels->next());
    QCOMPARE(labels->value(0), QVariant(QStringLiteral("item 2")));
    // Committed, and out of pipeline mode: a plain statement on the connection sees the rows.
    QCOMPARE(plainNumber(database.db(), QStringLiteral("SELECT count(*) FROM stmtcache_items")), qint64(2));
}

void TestStatementCache::pipeline_failureInTheMiddle_reportsItAndSkipsTheRest()
{
    test::TestDatabase database(QStringLiteral("stmt_pipeline_fail"));
    QVERIFY_TESTDB(database);
    QVERIFY(createItemsTable(database.db()));
    StatementCache &cache = StatementCache::of(database.db());
    QVERIFY(!cache.exec(insertItem, item(1), QStringLiteral("adding"), nullptr));
    StatementRows *after = nullptr;
    const DbError error =
        cache.pipeline({{"BEGIN", {}, {}, QStringLiteral("beginning"), nullptr},
                        {nullptr, QStringLiteral("INSERT INTO stmtcache_items (id, label) VALUES ($1, $2) "),
                         item(2), QStringLiteral("adding 2"), nullptr},
                        {nullptr, insertItem, item(1), QStringLiteral("adding a duplicate"), nullptr},
                        {nullptr,
                         QStringLiteral("SELECT count(*) FROM stmtcache_items"),
                         {},
                         QStringLiteral("counting"),
                         &after}});
    QCOMPARE(error.sqlState, QStringLiteral("23505"));
    QVERIFY2(error.message.startsWith(QLatin1String("adding a duplicate")), qPrintable(error.message));
    QVERIFY(!after); // skipped by the server, so never set
    // The transaction is left open and aborted for the caller, as execThenCommit leaves it.
    QCOMPARE(firstValue(database.db(), QStringLiteral("SELECT CAST($1 AS int)"), {1}).error.sqlState,
             QStringLiteral("25P02"));
    QVERIFY(!cache.command("ROLLBACK", QStringLiteral("rolling back")));
    QCOMPARE(plainNumber(database.db(), QStringLiteral("SELECT count(*) FROM stmtcache_items")), qint64(1));
    // The skipped statement runs fine on its own afterwards.
    const FirstValue count =
        firstValue(database.db(), QStringLiteral("SELECT count(*) FROM stmtcache_items"));
    QVERIFY2(!count.error, qPrintable(count.error.fullText()));
    QCOMPARE(count.value, QVariant(qint64(1)));
}

void TestStatementCache::pipeline_sameStatementTwiceWithRows_isRefusedBeforeAnythingRuns()
{
    test::TestDatabase database(QStringLiteral("stmt_pipeline_twice"));
    QVERIFY_TESTDB(database);
    QVERIFY(createItemsTable(database.db()));
    StatementCache &cache = StatementCache::of(database.db());
    StatementRows *first = nullptr;
    const QString returning =
        QStringLiteral("INSERT INTO stmtcache_items (id, label) VALUES ($1, $2) RETURNING id");
    const DbError error =
        cache.pipeline({{nullptr, returning, item(1), QStringLiteral("adding 1"), &first},
                        {nullptr, returning, item(2), QStringLiteral("adding 2"), nullptr}});
    QCOMPARE(error.kind, ErrorKind::Internal);
    QVERIFY2(error.message.startsWith(QLatin1String("adding 2")), qPrintable(error.message));
    QCOMPARE(plainNumber(database.db(), QStringLiteral("SELECT count(*) FROM stmtcache_items")), qint64(0));
    // Twice without rows wanted is fine: each runs with its own values.
    QVERIFY(!cache.pipeline({{nullptr, returning, item(1), QStringLiteral("adding 1"), nullptr},
                             {nullptr, returning, item(2), QStringLiteral("adding 2"), nullptr}}));
    QCOMPARE(plainNumber(database.db(), QStringLiteral("SELECT count(*) FROM stmtcache_items")), qint64(2));
}

void TestStatementCache::pipeline_cacheStartsAgainWhilePreparing_allStatementsStillRun()
{
    test::TestDatabase database(QStringLiteral("stmt_pipeline_full"));
    QVERIFY_TESTDB(database);
    StatementCache &cache = StatementCache::of(database.db());
    // Fill the cache to one below its limit (128), so that the pipeline's second new statement starts it
    // again after the first was prepared.
    for (int n = 0; cache.size() < 127; ++n)
        QVERIFY(!firstValue(database.db(), QStringLiteral("SELECT %1 + CAST($1 AS int)").arg(n), {0}).error);
    StatementRows *first = nullptr;
    StatementRows *second = nullptr;
    const DbError error = cache.pipeline(
        {{nullptr, QStringLiteral("SELECT CAST($1 AS int) * 10"), {4}, QStringLiteral("first"), &first},
         {nullptr, QStringLiteral("SELECT CAST($1 AS int) * 100"), {5}, QStringLiteral("second"), &second}});
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(first && second && first->next() && second->next());
    QCOMPARE(first->value(0), QVariant(qint64(40)));
    QCOMPARE(second->value(0), QVariant(qint64(500)));
    QCOMPARE(cache.size(), 2);
    QCOMPARE(preparedByCache(database.db()), qint64(2));
}

QTEST_GUILESS_MAIN(TestStatementCache)
#include "tst_statementcache.moc"
