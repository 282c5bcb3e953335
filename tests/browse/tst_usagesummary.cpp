// AI usage summed per day or month against the real server: exact sums and counts per group, the order
// finance reads (newest period, then most expensive), filters, a [from, to) range to the microsecond, the cut
// at the row limit, money kept to the last decimal, and a model filter that takes its text literally.
#include "testdatabase.h"

#include "browse/usagesummary.h"

#include <QSqlQuery>

using namespace beacon;
using namespace beacon::browse;

using Rows = QList<UsageSummaryRow>;
Q_DECLARE_METATYPE(beacon::browse::UsageSummaryRequest)

namespace {

constexpr qint64 Acme = 101;
constexpr qint64 Globex = 102;
constexpr qint64 Initech = 103;
constexpr qint64 Alice = 201;
constexpr qint64 Bob = 202;
const QString TrickyModel = QStringLiteral("o'brien\\100%_model");

QDateTime utc(const char *iso)
{
    QDateTime moment = QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODateWithMs);
    return moment.toUTC();
}

UsageSummaryRow row(const char *period, const QVariant &key, qint64 requests, qint64 input, qint64 output,
                    const char *cost)
{
    UsageSummaryRow expected;
    expected.periodStart = QString::fromLatin1(period);
    expected.groupKey = key;
    expected.requests = requests;
    expected.inputTokens = input;
    expected.outputTokens = output;
    expected.costUsd = QString::fromLatin1(cost);
    return expected;
}

QString describe(const Rows &rows)
{
    QStringList lines;
    for (const UsageSummaryRow &r : rows)
        lines.append(
            QStringLiteral("%1 %2 n=%3 in=%4 out=%5 $%6")
                .arg(r.periodStart, r.groupKey.isValid() ? r.groupKey.toString() : QStringLiteral("NULL"))
                .arg(r.requests)
                .arg(r.inputTokens)
                .arg(r.outputTokens)
                .arg(r.costUsd));
    return lines.join(QLatin1Char('\n'));
}

UsageSummaryRequest march(UsageGrouping grouping, UsagePeriod period)
{
    UsageSummaryRequest request;
    request.grouping = grouping;
    request.period = period;
    request.from = utc("2026-03-01T00:00:00Z");
    request.to = utc("2026-05-01T00:00:00Z");
    return request;
}

} // namespace

class TestUsageSummary : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void summary_groupedAndOrdered_data();
    void summary_groupedAndOrdered();
    void range_fromInclusiveToExclusive_data();
    void range_fromInclusiveToExclusive();
    void limit_moreGroupsThanLimit_truncatedAtTheLimit();
    void cost_keepsExactDecimals();
    void modelFilter_specialCharacters_matchedLiterally_data();
    void modelFilter_specialCharacters_matchedLiterally();
    void sessionTimeZone_dayBoundariesStayUtc();
    void invalidRequest_refusedAsUsage_data();
    void invalidRequest_refusedAsUsage();
    void financeRole_mayReadTheSummary();

private:
    Rows fetch(const UsageSummaryRequest &request, bool *truncated = nullptr);

    std::unique_ptr<test::TestDatabase> m_database;
};

void TestUsageSummary::initTestCase()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("usage_summary"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, exec(QStringLiteral("INSERT INTO workspaces (id, name, slug) VALUES "
                                           "(101, 'Acme', 'acme'), (102, 'Globex', 'globex'), "
                                           "(103, 'Initech', 'initech')")));
    QVERIFY_SQL(query, exec(QStringLiteral(
                           "INSERT INTO users (id, provider, provider_user_id, primary_email) VALUES "
                           "(201, 'google', 'alice', 'alice@x.com'), (202, 'google', 'bob', 'bob@x.com')")));
    // Every row is bound, the tricky model name included: the fixture must not depend on the code under test
    // quoting anything.
    QVERIFY_SQL(query, prepare(QStringLiteral(
                           "INSERT INTO ai_usage (workspace_id, user_id, provider, model, input_tokens, "
                           "output_tokens, cost_usd, created_at) VALUES (CAST(:workspace AS bigint), "
                           "CAST(:user AS bigint), 'openai', CAST(:model AS text), CAST(:input AS integer), "
                           "CAST(:output AS integer), CAST(:cost AS numeric), CAST(:at AS timestamptz))")));
    struct Usage {
        qint64 workspace;
        qint64 user; // 0: no user
        QString model;
        int input;
        int output;
        const char *cost;
        const char *at;
    };
    const QString gpt = QStringLiteral("gpt-4o");
    const QString claude = QStringLiteral("claude-3");
    const QList<Usage> usage = {
        // Just before the range: never counted.
        {Acme, Alice, gpt, 999, 999, "9.000000", "2026-02-28 23:59:59.999999+00"},
        // 1 March: the first microsecond of the range and the last one of the day.
        {Acme, Alice, gpt, 100, 10, "0.000123", "2026-03-01 00:00:00+00"},
        {Acme, Alice, gpt, 200, 20, "1.500000", "2026-03-01 23:59:59.999999+00"},
        {Globex, Bob, claude, 30, 3, "0.100000", "2026-03-01 12:00:00+00"},
        // 2 March: written in New York time, 2 March in UTC.
        {Acme, Bob, claude, 50, 5, "0.250000", "2026-03-01 23:30:00-05"},
        {Globex, 0, gpt, 1000, 100, "3.000000", "2026-03-02 08:00:00+00"},
        {Globex, 0, gpt, 1, 1, "0.000001", "2026-03-02 09:00:00+00"},
        // 15 March: the model whose name is full of quoting and LIKE characters.
        {Globex, Bob, TrickyModel, 7, 3, "0.000001", "2026-03-15 00:00:00+00"},
        // April.
        {Initech, Alice, gpt, 10, 1, "0.100000", "2026-04-01 00:00:00+00"},
        {Initech, Alice, gpt, 20, 2, "0.200000", "2026-04-30 23:59:59.999999+00"},
        {Acme, 0, claude, 5, 5, "0.050000", "2026-04-10 10:00:00+00"},
        // Just after the range: never counted.
        {Acme, Alice, gpt, 999, 999, "9.000000", "2026-05-01 00:00:00+00"},
    };
    for (const Usage &u : usage) {
        query.bindValue(QStringLiteral(":workspace"), u.workspace);
        query.bindValue(QStringLiteral(":user"), u.user == 0 ? QVariant() : QVariant(u.user));
        query.bindValue(QStringLiteral(":model"), u.model);
        query.bindValue(QStringLiteral(":input"), u.input);
        query.bindValue(QStringLiteral(":output"), u.output);
        query.bindValue(QStringLiteral(":cost"), QString::fromLatin1(u.cost));
        query.bindValue(QStringLiteral(":at"), QString::fromLatin1(u.at));
        QVERIFY_SQL(query, exec());
    }
}

void TestUsageSummary::cleanupTestCase()
{
    m_database.reset();
}

Rows TestUsageSummary::fetch(const UsageSummaryRequest &request, bool *truncated)
{
    Rows rows;
    bool cut = true;
    const DbError error = fetchUsageSummary(m_database->db(), request, &rows, &cut);
    if (error)
        qWarning() << error.fullText();
    if (truncated)
        *truncated = cut;
    return error ? Rows{row("error", error.sqlState, -1, -1, -1, "")} : rows;
}

void TestUsageSummary::summary_groupedAndOrdered_data()
{
    QTest::addColumn<UsageSummaryRequest>("request");
    QTest::addColumn<Rows>("expected");
    const QVariant gpt = QStringLiteral("gpt-4o");
    const QVariant claude = QStringLiteral("claude-3");
    const QVariant noUser;

    QTest::newRow("workspace per day") << march(UsageGrouping::Workspace, UsagePeriod::Day)
                                       << Rows{row("2026-04-30", Initech, 1, 20, 2, "0.200000"),
                                               row("2026-04-10", Acme, 1, 5, 5, "0.050000"),
                                               row("2026-04-01", Initech, 1, 10, 1, "0.100000"),
                                               row("2026-03-15", Globex, 1, 7, 3, "0.000001"),
                                               row("2026-03-02", Globex, 2, 1001, 101, "3.000001"),
                                               row("2026-03-02", Acme, 1, 50, 5, "0.250000"),
                                               row("2026-03-01", Acme, 2, 300, 30, "1.500123"),
                                               row("2026-03-01", Globex, 1, 30, 3, "0.100000")};
    QTest::newRow("workspace per month")
        << march(UsageGrouping::Workspace, UsagePeriod::Month)
        << Rows{row("2026-04", Initech, 2, 30, 3, "0.300000"), row("2026-04", Acme, 1, 5, 5, "0.050000"),
                row("2026-03", Globex, 4, 1038, 107, "3.100002"),
                row("2026-03", Acme, 3, 350, 35, "1.750123")};
    // Usage without a user is a group of its own, sorted by cost like the others.
    QTest::newRow("user per month") << march(UsageGrouping::User, UsagePeriod::Month)
                                    << Rows{row("2026-04", Alice, 2, 30, 3, "0.300000"),
                                            row("2026-04", noUser, 1, 5, 5, "0.050000"),
                                            row("2026-03", noUser, 2, 1001, 101, "3.000001"),
                                            row("2026-03", Alice, 2, 300, 30, "1.500123"),
                                            row("2026-03", Bob, 3, 87, 11, "0.350001")};
    QTest::newRow("model per month") << march(UsageGrouping::Model, UsagePeriod::Month)
                                     << Rows{row("2026-04", gpt, 2, 30, 3, "0.300000"),
                                             row("2026-04", claude, 1, 5, 5, "0.050000"),
                                             row("2026-03", gpt, 4, 1301, 131, "4.500124"),
                                             row("2026-03", claude, 2, 80, 8, "0.350000"),
                                             row("2026-03", TrickyModel, 1, 7, 3, "0.000001")};

    UsageSummaryRequest acme = march(UsageGrouping::Model, UsagePeriod::Month);
    acme.workspaceId = Acme;
    QTest::newRow("workspace filter")
        << acme
        << Rows{row("2026-04", claude, 1, 5, 5, "0.050000"), row("2026-03", gpt, 2, 300, 30, "1.500123"),
                row("2026-03", claude, 1, 50, 5, "0.250000")};
    UsageSummaryRequest bob = march(UsageGrouping::Workspace, UsagePeriod::Day);
    bob.userId = Bob;
    QTest::newRow("user filter") << bob
                                 << Rows{row("2026-03-15", Globex, 1, 7, 3, "0.000001"),
                                         row("2026-03-02", Acme, 1, 50, 5, "0.250000"),
                                         row("2026-03-01", Globex, 1, 30, 3, "0.100000")};
    UsageSummaryRequest gptOnly = march(UsageGrouping::User, UsagePeriod::Month);
    gptOnly.model = QStringLiteral("gpt-4o");
    QTest::newRow("model filter") << gptOnly
                                  << Rows{row("2026-04", Alice, 2, 30, 3, "0.300000"),
                                          row("2026-03", noUser, 2, 1001, 101, "3.000001"),
                                          row("2026-03", Alice, 2, 300, 30, "1.500123")};
    UsageSummaryRequest all = march(UsageGrouping::Workspace, UsagePeriod::Month);
    all.workspaceId = Globex;
    all.userId = Bob;
    all.model = QStringLiteral("claude-3");
    QTest::newRow("all filters together") << all << Rows{row("2026-03", Globex, 1, 30, 3, "0.100000")};
    UsageSummaryRequest nobody = march(UsageGrouping::Workspace, UsagePeriod::Day);
    nobody.workspaceId = 999999;
    QTest::newRow("no match") << nobody << Rows{};
}

void TestUsageSummary::summary_groupedAndOrdered()
{
    QFETCH(UsageSummaryRequest, request);
    QFETCH(Rows, expected);
    bool truncated = true;
    const Rows rows = fetch(request, &truncated);
    QVERIFY2(rows == expected,
             qPrintable(QStringLiteral("got:\n%1\nexpected:\n%2").arg(describe(rows), describe(expected))));
    QVERIFY(!truncated);
    // Ids come back as one integer type, whatever QPSQL made of the int8.
    for (const UsageSummaryRow &r : rows) {
        if (r.groupKey.isValid() && request.grouping != UsageGrouping::Model)
            QCOMPARE(r.groupKey.typeId(), int(QMetaType::LongLong));
    }
}

void TestUsageSummary::range_fromInclusiveToExclusive_data()
{
    QTest::addColumn<QDateTime>("from");
    QTest::addColumn<QDateTime>("to");
    QTest::addColumn<qint64>("requests");
    // Rows sit at exactly 2026-03-01 00:00:00 and 23:59:59.999999, and at 2026-02-28 23:59:59.999999.
    QTest::newRow("from at a row includes it")
        << utc("2026-03-01T00:00:00Z") << utc("2026-03-01T00:00:01Z") << qint64(1);
    QTest::newRow("to at a row excludes it")
        << utc("2026-02-28T00:00:00Z") << utc("2026-03-01T00:00:00Z") << qint64(1);
    QTest::newRow("whole first of March")
        << utc("2026-03-01T00:00:00Z") << utc("2026-03-02T00:00:00Z") << qint64(3);
    QTest::newRow("a millisecond short of midnight misses the last microseconds")
        << utc("2026-03-01T00:00:00Z") << utc("2026-03-01T23:59:59.999Z") << qint64(2);
    QTest::newRow("to exclusive at the end of the range")
        << utc("2026-04-30T00:00:00Z") << utc("2026-05-01T00:00:00Z") << qint64(1);
    QTest::newRow("to one millisecond later includes it")
        << utc("2026-04-30T00:00:00Z") << utc("2026-05-01T00:00:00.001Z") << qint64(2);
    // A range given in another zone means the same instants.
    QTest::newRow("offset range") << QDateTime::fromString(QStringLiteral("2026-03-01T01:00:00+01:00"),
                                                           Qt::ISODate)
                                  << QDateTime::fromString(QStringLiteral("2026-03-01T01:00:01+01:00"),
                                                           Qt::ISODate)
                                  << qint64(1);
}

void TestUsageSummary::range_fromInclusiveToExclusive()
{
    QFETCH(QDateTime, from);
    QFETCH(QDateTime, to);
    QFETCH(qint64, requests);
    UsageSummaryRequest request;
    request.grouping = UsageGrouping::Model;
    request.period = UsagePeriod::Month;
    request.from = from;
    request.to = to;
    qint64 counted = 0;
    for (const UsageSummaryRow &r : fetch(request))
        counted += r.requests;
    QCOMPARE(counted, requests);
}

void TestUsageSummary::limit_moreGroupsThanLimit_truncatedAtTheLimit()
{
    // Eight day-and-workspace groups in the range (see summary_groupedAndOrdered).
    UsageSummaryRequest request = march(UsageGrouping::Workspace, UsagePeriod::Day);
    request.limit = 8;
    bool truncated = true;
    const Rows all = fetch(request, &truncated);
    QCOMPARE(all.size(), 8);
    QVERIFY(!truncated);

    request.limit = 7;
    const Rows cut = fetch(request, &truncated);
    QVERIFY(truncated);
    QCOMPARE(cut, all.mid(0, 7)); // the first groups of the same order, not any seven

    request.limit = 1;
    QCOMPARE(fetch(request, &truncated), all.mid(0, 1));
    QVERIFY(truncated);
}

void TestUsageSummary::cost_keepsExactDecimals()
{
    // 0.1 + 0.2 is 0.30000000000000004 in a double; six decimals of money must come back as written.
    UsageSummaryRequest request = march(UsageGrouping::Workspace, UsagePeriod::Month);
    request.workspaceId = Initech;
    const Rows rows = fetch(request);
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.first().costUsd, QStringLiteral("0.300000"));

    request.workspaceId = Acme;
    request.from = utc("2026-03-01T00:00:00Z");
    request.to = utc("2026-03-01T00:00:01Z");
    const Rows tiny = fetch(request);
    QCOMPARE(tiny.size(), 1);
    QCOMPARE(tiny.first().costUsd, QStringLiteral("0.000123"));
}

void TestUsageSummary::modelFilter_specialCharacters_matchedLiterally_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<qint64>("requests");
    QTest::newRow("the tricky name itself") << TrickyModel << qint64(1);
    QTest::newRow("percent alone") << QStringLiteral("%") << qint64(0);
    QTest::newRow("underscore pattern") << QStringLiteral("gpt_4o") << qint64(0);
    QTest::newRow("backslash") << QStringLiteral("\\") << qint64(0);
    QTest::newRow("quote injection") << QStringLiteral("gpt-4o' OR '1'='1") << qint64(0);
    QTest::newRow("different case") << QStringLiteral("GPT-4O") << qint64(0);
    QTest::newRow("prefix only") << QStringLiteral("gpt") << qint64(0);
    QTest::newRow("empty text") << QString() << qint64(0);
}

void TestUsageSummary::modelFilter_specialCharacters_matchedLiterally()
{
    QFETCH(QString, model);
    QFETCH(qint64, requests);
    UsageSummaryRequest request = march(UsageGrouping::Model, UsagePeriod::Month);
    request.model = model;
    Rows rows;
    bool truncated = false;
    const DbError error = fetchUsageSummary(m_database->db(), request, &rows, &truncated);
    QVERIFY2(!error, qPrintable(error.fullText()));
    qint64 counted = 0;
    for (const UsageSummaryRow &r : std::as_const(rows)) {
        QCOMPARE(r.groupKey.toString(), model);
        counted += r.requests;
    }
    QCOMPARE(counted, requests);
}

void TestUsageSummary::sessionTimeZone_dayBoundariesStayUtc()
{
    // A session left in another zone must not move usage to another day: finance's days are UTC days.
    DbError error;
    auto connection = Connection::open(m_database->spec(), QStringLiteral("tz"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
    QVERIFY(!execPlain(connection->database(), QStringLiteral("SET TIME ZONE 'Pacific/Auckland'"), {}));
    UsageSummaryRequest request = march(UsageGrouping::Workspace, UsagePeriod::Day);
    request.workspaceId = Acme;
    Rows rows;
    bool truncated = false;
    error = fetchUsageSummary(connection->database(), request, &rows, &truncated);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(rows, (Rows{row("2026-04-10", Acme, 1, 5, 5, "0.050000"),
                         row("2026-03-02", Acme, 1, 50, 5, "0.250000"),
                         row("2026-03-01", Acme, 2, 300, 30, "1.500123")}));
}

void TestUsageSummary::invalidRequest_refusedAsUsage_data()
{
    QTest::addColumn<UsageSummaryRequest>("request");
    UsageSummaryRequest inverted = march(UsageGrouping::Workspace, UsagePeriod::Day);
    std::swap(inverted.from, inverted.to);
    QTest::newRow("from after to") << inverted;
    UsageSummaryRequest empty = march(UsageGrouping::Workspace, UsagePeriod::Day);
    empty.to = empty.from;
    QTest::newRow("empty range") << empty;
    UsageSummaryRequest noStart = march(UsageGrouping::Workspace, UsagePeriod::Day);
    noStart.from = {};
    QTest::newRow("no start") << noStart;
    UsageSummaryRequest noRows = march(UsageGrouping::Workspace, UsagePeriod::Day);
    noRows.limit = 0;
    QTest::newRow("zero limit") << noRows;
}

void TestUsageSummary::invalidRequest_refusedAsUsage()
{
    QFETCH(UsageSummaryRequest, request);
    Rows rows = {row("stale", {}, 0, 0, 0, "")};
    bool truncated = true;
    const DbError error = fetchUsageSummary(m_database->db(), request, &rows, &truncated);
    QCOMPARE(error.kind, ErrorKind::Usage);
    QVERIFY(!error.message.isEmpty());
    QVERIFY(rows.isEmpty());
    QVERIFY(!truncated);
}

void TestUsageSummary::financeRole_mayReadTheSummary()
{
    const QString login = m_database->createLogin(QStringLiteral("beacon_finance"));
    QVERIFY2(!login.isEmpty(), qPrintable(m_database->errorText()));
    DbError error;
    auto connection = Connection::open(m_database->spec(login), QStringLiteral("finance"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
    Rows rows;
    bool truncated = false;
    error = fetchUsageSummary(connection->database(), march(UsageGrouping::User, UsagePeriod::Month), &rows,
                              &truncated);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(rows.size(), 5);
}

QTEST_GUILESS_MAIN(TestUsageSummary)
#include "tst_usagesummary.moc"
