#include "testdatabase.h"

#include "seed/seeder.h"

#include <QElapsedTimer>
#include <QSqlQuery>
#include <QTimeZone>

using namespace beacon;

namespace {

const QStringList seededTables = {QStringLiteral("users"),       QStringLiteral("workspaces"),
                                  QStringLiteral("memberships"), QStringLiteral("projects"),
                                  QStringLiteral("files"),       QStringLiteral("ai_usage"),
                                  QStringLiteral("exports"),     QStringLiteral("billing_events")};

SeedOptions tinyOptions(quint32 seed = 7)
{
    SeedOptions options;
    options.size = SeedSize::Tiny;
    options.seed = seed;
    options.anchor = QDateTime(QDate(2025, 6, 1), QTime(0, 0), QTimeZone::utc());
    return options;
}

// One md5 per table over every row in a fixed order: equal fingerprints mean equal content.
QString fingerprint(QSqlDatabase db)
{
    QStringList sums;
    for (const QString &table : seededTables) {
        QSqlQuery query(db);
        // Table names come from the fixed list above.
        if (!query.exec(
                QStringLiteral("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
                               "FROM public.%1 AS t")
                    .arg(table)) ||
            !query.next())
            return QStringLiteral("error: ") + query.lastError().text();
        sums.append(table + QLatin1Char('=') + query.value(0).toString());
    }
    return sums.join(QLatin1Char(' '));
}

qint64 scalar(QSqlDatabase db, const QString &sql)
{
    QSqlQuery query(db);
    if (!query.exec(sql) || !query.next()) {
        qWarning() << sql << query.lastError().text();
        return -1;
    }
    return query.value(0).toLongLong();
}

} // namespace

class TestSeeder : public QObject {
    Q_OBJECT
private slots:
    void seed_sameSeedTwice_identicalContent();
    void seed_differentSeed_differentContent();
    void seed_secondTime_refusedAndNothingWritten();
    void seed_report_matchesCountStar();
    void seed_tiny_takesUnderTwoSeconds();
    void seed_tiny_hasRealShapes_data();
    void seed_tiny_hasRealShapes();
    void seed_tiny_referencesHoldAndOnlyPlantedTeamsOverLimit();
    void seed_tiny_storageMatchesFilesExceptPlantedDrift();
    void seed_tiny_plantedDuplicatesDifferOnlyByCaseAcrossProviders();
    void seed_then_insertWithoutId_takesFreshId();
    void seed_then_indexesAreAllBack();
    void progress_reportsRisingPercentagesToHundred();
};

void TestSeeder::seed_sameSeedTwice_identicalContent()
{
    test::TestDatabase first(QStringLiteral("seed_same_a"));
    test::TestDatabase second(QStringLiteral("seed_same_b"));
    QVERIFY_TESTDB(first);
    QVERIFY_TESTDB(second);
    DbError error = seedDatabase(first.db(), tinyOptions());
    QVERIFY2(!error, qPrintable(error.fullText()));
    error = seedDatabase(second.db(), tinyOptions());
    QVERIFY2(!error, qPrintable(error.fullText()));
    const QString print = fingerprint(first.db());
    QVERIFY2(!print.startsWith(QLatin1String("error")), qPrintable(print));
    QCOMPARE(fingerprint(second.db()), print);
}

void TestSeeder::seed_differentSeed_differentContent()
{
    test::TestDatabase first(QStringLiteral("seed_diff_a"));
    test::TestDatabase second(QStringLiteral("seed_diff_b"));
    QVERIFY_TESTDB(first);
    QVERIFY_TESTDB(second);
    DbError error = seedDatabase(first.db(), tinyOptions(7));
    QVERIFY2(!error, qPrintable(error.fullText()));
    error = seedDatabase(second.db(), tinyOptions(8));
    QVERIFY2(!error, qPrintable(error.fullText()));
    const QStringList a = fingerprint(first.db()).split(QLatin1Char(' '));
    const QStringList b = fingerprint(second.db()).split(QLatin1Char(' '));
    QCOMPARE(a.size(), b.size());
    // Every table's content depends on the seed, not just some of it.
    for (int i = 0; i < a.size(); ++i)
        QVERIFY2(a.at(i) != b.at(i), qPrintable(a.at(i)));
}

void TestSeeder::seed_secondTime_refusedAndNothingWritten()
{
    test::TestDatabase database(QStringLiteral("seed_twice"));
    QVERIFY_TESTDB(database);
    DbError error = seedDatabase(database.db(), tinyOptions());
    QVERIFY2(!error, qPrintable(error.fullText()));
    const QString before = fingerprint(database.db());
    error = seedDatabase(database.db(), tinyOptions(9));
    QCOMPARE(error.kind, ErrorKind::Refused);
    QCOMPARE(error.exitCode(), 3);
    QVERIFY2(error.message.contains(QLatin1String("empty database")), qPrintable(error.message));
    QCOMPARE(fingerprint(database.db()), before);
    // The refused run left no scratch objects behind in the session.
    QCOMPARE(scalar(database.db(), QStringLiteral("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON "
                                                  "n.oid = p.pronamespace WHERE n.nspname LIKE 'pg_temp%'")),
             0);
}

void TestSeeder::seed_report_matchesCountStar()
{
    test::TestDatabase database(QStringLiteral("seed_counts"));
    QVERIFY_TESTDB(database);
    SeedReport report;
    const DbError error = seedDatabase(database.db(), tinyOptions(), {}, &report);
    QVERIFY2(!error, qPrintable(error.fullText()));
    const std::pair<QString, qint64> expected[] = {{QStringLiteral("users"), report.users},
                                                   {QStringLiteral("workspaces"), report.workspaces},
                                                   {QStringLiteral("memberships"), report.memberships},
                                                   {QStringLiteral("projects"), report.projects},
                                                   {QStringLiteral("files"), report.files},
                                                   {QStringLiteral("ai_usage"), report.aiUsage},
                                                   {QStringLiteral("exports"), report.exports},
                                                   {QStringLiteral("billing_events"), report.billingEvents}};
    for (const auto &[table, count] : expected) {
        QVERIFY2(count > 0, qPrintable(table));
        QCOMPARE(scalar(database.db(), QStringLiteral("SELECT count(*) FROM public.%1").arg(table)), count);
    }
    const SeedScale scale = seedScale(SeedSize::Tiny);
    QCOMPARE(report.users, scale.users);
    QCOMPARE(report.workspaces, scale.workspaces);
    QCOMPARE(report.aiUsage, scale.aiUsage);
    QCOMPARE(report.exports, scale.exports);
}

void TestSeeder::seed_tiny_takesUnderTwoSeconds()
{
    test::TestDatabase database(QStringLiteral("seed_fast"));
    QVERIFY_TESTDB(database);
    QElapsedTimer timer;
    timer.start();
    const DbError error = seedDatabase(database.db(), tinyOptions());
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
}

void TestSeeder::seed_tiny_hasRealShapes_data()
{
    QTest::addColumn<QString>("sql");
    // Each query returns true when the shape holds.
    QTest::newRow("most workspaces free")
        << "SELECT count(*) FILTER (WHERE plan = 'free') * 2 > count(*) FROM workspaces";
    QTest::newRow("several plans used") << "SELECT count(DISTINCT plan) >= 3 FROM workspaces";
    QTest::newRow("paid workspaces have Stripe ids")
        << "SELECT bool_and(stripe_customer_id LIKE 'cus\\_%' AND (stripe_subscription_id LIKE 'sub\\_%' "
           "OR plan = 'enterprise' OR subscription_status = 'none')) FROM workspaces WHERE plan <> 'free' "
           "AND id <> ALL ('{4,10,16}')";
    QTest::newRow("free workspaces have no subscription")
        << "SELECT bool_and(stripe_subscription_id IS NULL) FROM workspaces WHERE plan = 'free'";
    QTest::newRow("subscriptions mostly active")
        << "SELECT count(*) FILTER (WHERE subscription_status IN ('active', 'trialing')) * 2 > count(*) "
           "FROM workspaces WHERE stripe_subscription_id IS NOT NULL AND id <> ALL ('{3,9,15}')";
    QTest::newRow("every workspace has an owner")
        << "SELECT count(*) = 0 FROM workspaces w WHERE NOT EXISTS (SELECT 1 FROM memberships m "
           "WHERE m.workspace_id = w.id AND m.role = 'owner')";
    QTest::newRow("users from three OAuth providers") << "SELECT count(DISTINCT provider) = 3 FROM users";
    QTest::newRow("emails look like emails")
        << "SELECT bool_and(primary_email ~ '^[A-Za-z0-9._]+@[A-Za-z0-9.]+\\.[A-Za-z]+$') FROM users";
    QTest::newRow("most users logged in, some disabled or never")
        << "SELECT count(last_login_at) * 10 > count(*) * 8 AND count(last_login_at) < count(*) + 1 FROM "
           "users";
    QTest::newRow("file sizes span five orders of magnitude")
        << "SELECT max(size_bytes) >= min(size_bytes) * 100000 FROM files";
    QTest::newRow("twelve months of AI usage")
        << "SELECT max(created_at) - min(created_at) > interval '330 days' AND max(created_at) <= "
           "'2025-06-01Z' AND min(created_at) >= '2025-06-01Z'::timestamptz - interval '365 days' FROM "
           "ai_usage";
    QTest::newRow("several AI providers and models")
        << "SELECT count(DISTINCT provider) >= 3 AND count(DISTINCT model) >= 6 FROM ai_usage";
    QTest::newRow("AI usage by members of its workspace")
        << "SELECT bool_and(EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = a.workspace_id AND "
           "m.user_id = a.user_id)) FROM ai_usage a";
    QTest::newRow("AI cost follows tokens")
        << "SELECT bool_and(cost_usd >= 0) AND sum(cost_usd) > 0 FROM ai_usage";
    QTest::newRow("some exports expired and not purged")
        << "SELECT count(*) >= 2 FROM exports WHERE expires_at < '2025-06-01Z' AND purged_at IS NULL";
    QTest::newRow("billing events carry Stripe payloads")
        << "SELECT count(*) > 0 AND bool_and(stripe_event_id LIKE 'evt\\_%' AND payload->>'type' = type) "
           "FROM billing_events";
}

void TestSeeder::seed_tiny_hasRealShapes()
{
    QFETCH(QString, sql);
    // The planted ids named in the data table are those of plantedAnomalies(Tiny).
    const PlantedAnomalies planted = plantedAnomalies(SeedSize::Tiny);
    QCOMPARE(planted.canceledWritableWorkspaces, (QList<qint64>{3, 9, 15}));
    QCOMPARE(planted.overMemberLimitWorkspaces, (QList<qint64>{4, 10, 16}));
    test::TestDatabase database(QStringLiteral("seed_shapes"));
    QVERIFY_TESTDB(database);
    const DbError error = seedDatabase(database.db(), tinyOptions());
    QVERIFY2(!error, qPrintable(error.fullText()));
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(sql));
    QVERIFY(query.next());
    QVERIFY2(query.value(0).toBool(), qPrintable(sql));
}

void TestSeeder::seed_tiny_referencesHoldAndOnlyPlantedTeamsOverLimit()
{
    // The seed runs with foreign-key triggers off for speed, so the references are proven here instead.
    test::TestDatabase database(QStringLiteral("seed_refs"));
    QVERIFY_TESTDB(database);
    const DbError error = seedDatabase(database.db(), tinyOptions());
    QVERIFY2(!error, qPrintable(error.fullText()));
    const QStringList orphans = {
        QStringLiteral("SELECT count(*) FROM memberships m LEFT JOIN users u ON u.id = m.user_id "
                       "LEFT JOIN workspaces w ON w.id = m.workspace_id WHERE u.id IS NULL OR w.id IS NULL"),
        QStringLiteral("SELECT count(*) FROM projects p LEFT JOIN workspaces w ON w.id = p.workspace_id "
                       "WHERE w.id IS NULL"),
        QStringLiteral("SELECT count(*) FROM files f LEFT JOIN projects p ON p.id = f.project_id "
                       "WHERE p.id IS NULL OR p.workspace_id <> f.workspace_id"),
        QStringLiteral("SELECT count(*) FROM ai_usage a LEFT JOIN users u ON u.id = a.user_id "
                       "LEFT JOIN workspaces w ON w.id = a.workspace_id WHERE u.id IS NULL OR w.id IS NULL"),
        QStringLiteral("SELECT count(*) FROM exports e LEFT JOIN users u ON u.id = e.requested_by "
                       "LEFT JOIN workspaces w ON w.id = e.workspace_id WHERE u.id IS NULL OR w.id IS NULL"),
        QStringLiteral(
            "SELECT count(*) FROM billing_events b LEFT JOIN workspaces w ON w.id = b.workspace_id "
            "WHERE w.id IS NULL")};
    for (const QString &sql : orphans)
        QVERIFY2(scalar(database.db(), sql) == 0, qPrintable(sql));

    QSqlQuery query(database.db());
    QVERIFY_SQL(query,
                exec(QStringLiteral(
                    "SELECT m.workspace_id FROM memberships m JOIN workspaces w ON w.id = m.workspace_id "
                    "JOIN plans p ON p.code = w.plan GROUP BY m.workspace_id, p.max_members "
                    "HAVING count(*) > p.max_members ORDER BY 1")));
    QList<qint64> overLimit;
    while (query.next())
        overLimit.append(query.value(0).toLongLong());
    QCOMPARE(overLimit, plantedAnomalies(SeedSize::Tiny).overMemberLimitWorkspaces);
    // The team-size trigger is back on after the seed.
    QCOMPARE(scalar(database.db(), QStringLiteral("SELECT count(*) FROM pg_trigger WHERE tgname = "
                                                  "'memberships_enforce_team_size' AND tgenabled = 'O'")),
             1);
}

void TestSeeder::seed_tiny_storageMatchesFilesExceptPlantedDrift()
{
    test::TestDatabase database(QStringLiteral("seed_storage"));
    QVERIFY_TESTDB(database);
    const DbError error = seedDatabase(database.db(), tinyOptions());
    QVERIFY2(!error, qPrintable(error.fullText()));
    QSqlQuery query(database.db());
    QVERIFY_SQL(query,
                exec(QStringLiteral(
                    "SELECT w.id FROM workspaces w LEFT JOIN (SELECT workspace_id, sum(size_bytes) AS s "
                    "FROM files GROUP BY 1) f ON f.workspace_id = w.id "
                    "WHERE w.storage_used_bytes <> coalesce(f.s, 0) ORDER BY 1")));
    QList<qint64> drifting;
    while (query.next())
        drifting.append(query.value(0).toLongLong());
    QCOMPARE(drifting, plantedAnomalies(SeedSize::Tiny).storageDriftWorkspaces);
}

void TestSeeder::seed_tiny_plantedDuplicatesDifferOnlyByCaseAcrossProviders()
{
    test::TestDatabase database(QStringLiteral("seed_dupes"));
    QVERIFY_TESTDB(database);
    const DbError error = seedDatabase(database.db(), tinyOptions());
    QVERIFY2(!error, qPrintable(error.fullText()));
    const PlantedAnomalies planted = plantedAnomalies(SeedSize::Tiny);
    bool sawCaseDifference = false;
    for (int i = 0; i < planted.duplicateSourceUsers.size(); ++i) {
        QSqlQuery query(database.db());
        QVERIFY_SQL(
            query, prepare(QStringLiteral("SELECT a.primary_email, b.primary_email, a.provider, "
                                          "b.provider FROM users a, users b WHERE a.id = :a AND b.id = :b")));
        query.bindValue(QStringLiteral(":a"), planted.duplicateSourceUsers.at(i));
        query.bindValue(QStringLiteral(":b"), planted.duplicateCopyUsers.at(i));
        QVERIFY_SQL(query, exec());
        QVERIFY(query.next());
        QCOMPARE(query.value(0).toString().toLower(), query.value(1).toString().toLower());
        QVERIFY(query.value(2).toString() != query.value(3).toString());
        sawCaseDifference = sawCaseDifference || query.value(0).toString() != query.value(1).toString();
    }
    QVERIFY(sawCaseDifference);
    // Nobody else shares an address: the check's findings are exactly the planted ones.
    QCOMPARE(scalar(database.db(),
                    QStringLiteral("SELECT count(*) FROM (SELECT lower(primary_email) FROM users GROUP BY 1 "
                                   "HAVING count(*) > 1) d")),
             qint64(planted.duplicateSourceUsers.size()));
}

void TestSeeder::seed_then_insertWithoutId_takesFreshId()
{
    test::TestDatabase database(QStringLiteral("seed_ids"));
    QVERIFY_TESTDB(database);
    const DbError error = seedDatabase(database.db(), tinyOptions());
    QVERIFY2(!error, qPrintable(error.fullText()));
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(QStringLiteral("INSERT INTO users (provider, provider_user_id, primary_email) "
                                           "VALUES ('github', 'new-one', 'new@example.com') RETURNING id")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toLongLong(), seedScale(SeedSize::Tiny).users + 1);
    QVERIFY_SQL(query, exec(QStringLiteral("INSERT INTO workspaces (name, slug) VALUES ('New', 'new-ws') "
                                           "RETURNING id")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toLongLong(), seedScale(SeedSize::Tiny).workspaces + 1);
    QVERIFY_SQL(query,
                exec(QStringLiteral("INSERT INTO ai_usage (workspace_id, provider, model, input_tokens, "
                                    "output_tokens, cost_usd) VALUES (1, 'openai', 'gpt-4o', 1, 1, 0) "
                                    "RETURNING id")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toLongLong(), seedScale(SeedSize::Tiny).aiUsage + 1);
}

void TestSeeder::seed_then_indexesAreAllBack()
{
    test::TestDatabase database(QStringLiteral("seed_indexes"));
    QVERIFY_TESTDB(database);
    const QString listIndexes = QStringLiteral(
        "SELECT string_agg(indexname || ':' || indexdef, E'\\n' ORDER BY indexname) FROM pg_indexes "
        "WHERE schemaname = 'public'");
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(listIndexes));
    QVERIFY(query.next());
    const QString before = query.value(0).toString();
    QVERIFY(before.contains(QLatin1String("users_primary_email_alnum_trgm_idx")));
    const DbError error = seedDatabase(database.db(), tinyOptions());
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY_SQL(query, exec(listIndexes));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toString(), before);
}

void TestSeeder::progress_reportsRisingPercentagesToHundred()
{
    test::TestDatabase database(QStringLiteral("seed_progress"));
    QVERIFY_TESTDB(database);
    QList<int> percents;
    QStringList steps;
    const DbError error = seedDatabase(database.db(), tinyOptions(), [&](const QString &step, int percent) {
        steps.append(step);
        percents.append(percent);
    });
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(percents.size() >= 8);
    QCOMPARE(percents.first(), 0);
    QCOMPARE(percents.last(), 100);
    for (int i = 1; i < percents.size(); ++i)
        QVERIFY2(percents.at(i) >= percents.at(i - 1), qPrintable(steps.at(i)));
}

QTEST_GUILESS_MAIN(TestSeeder)
#include "tst_seeder.moc"
