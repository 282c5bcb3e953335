#include "testdatabase.h"

#include "db/database.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QSqlQuery>
#include <QThread>

#include <atomic>

using namespace beacon;

namespace {

// Runs one value-free statement and returns its SQLSTATE, empty when it succeeded.
QString sqlStateOf(const QSqlDatabase &db, const QString &sql)
{
    QSqlQuery query(db);
    if (query.exec(sql))
        return {};
    const QString state = query.lastError().nativeErrorCode();
    return state.isEmpty() ? QStringLiteral("(no SQLSTATE: %1)").arg(query.lastError().text()) : state;
}

bool insertUsers(const QSqlDatabase &db, int count)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral("INSERT INTO users (provider, provider_user_id, primary_email) "
                                 "SELECT 'github', 'schema-' || g, 'user' || g || '@example.test' "
                                 "FROM generate_series(1, :count) AS g"));
    query.bindValue(QStringLiteral(":count"), count);
    return query.exec();
}

qint64 insertWorkspace(const QSqlDatabase &db, const QString &slug, const QString &plan)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral("INSERT INTO workspaces (name, slug, plan) VALUES (:name, :slug, :plan) "
                                 "RETURNING id"));
    query.bindValue(QStringLiteral(":name"), slug.toUpper());
    query.bindValue(QStringLiteral(":slug"), slug);
    query.bindValue(QStringLiteral(":plan"), plan);
    if (!query.exec() || !query.next())
        return -1;
    return query.value(0).toLongLong();
}

QString addMember(const QSqlDatabase &db, qint64 workspaceId, qint64 userId, QString *message = nullptr)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral("INSERT INTO memberships (workspace_id, user_id, role) "
                                 "VALUES (:workspace, :user, 'member')"));
    query.bindValue(QStringLiteral(":workspace"), workspaceId);
    query.bindValue(QStringLiteral(":user"), userId);
    if (query.exec())
        return {};
    if (message)
        *message = query.lastError().databaseText();
    return query.lastError().nativeErrorCode();
}

qint64 memberCount(const QSqlDatabase &db, qint64 workspaceId)
{
    QSqlQuery query(db);
    query.prepare(QStringLiteral("SELECT count(*) FROM memberships WHERE workspace_id = :workspace"));
    query.bindValue(QStringLiteral(":workspace"), workspaceId);
    if (!query.exec() || !query.next())
        return -1;
    return query.value(0).toLongLong();
}

} // namespace

class TestSchema : public QObject {
    Q_OBJECT
private slots:
    void contract_tableHasColumns_data();
    void contract_tableHasColumns();
    void plans_referenceRows_freeAllowsThreeMembers();
    void workspaceUpdate_clientSendsVersion_serverIncrementsEveryTime();
    void auditInsert_clientSendsTimeAndLogin_serverStampsItsOwn();
    void auditChange_superuserAndOwner_refusedWithBE002_data();
    void auditChange_superuserAndOwner_refusedWithBE002();
    void auditChange_groupLogins_refused_data();
    void auditChange_groupLogins_refused();
    void addMember_teamFull_refusedWithLimitAndNothingWritten();
    void planLoweredAfterwards_overLimitKept_furtherAddsRefused();
    void addMember_twoTransactionsOneSeat_secondWaitsThenRefused();
    void index_forListSortOrSearch_exists_data();
    void index_forListSortOrSearch_exists();
    void substringSearch_onEmail_usesFoldedTrigramIndex();
    void fileInsert_workspaceNotItsProjects_refusedWithForeignKeyViolation();
    void projectDelete_filesGoWithIt();
    void projectWorkspaceMigration_existingMismatchedFile_stopsWithCountAndIds();
};

void TestSchema::contract_tableHasColumns_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QStringList>("columns");
    auto row = [](const char *table, const QString &columns) {
        QTest::newRow(table) << QString::fromLatin1(table) << columns.split(QLatin1Char(' '));
    };
    row("plans",
        QStringLiteral("code name max_members storage_quota_bytes ai_monthly_tokens monthly_price_cents "
                       "stripe_price_id"));
    row("users",
        QStringLiteral("id provider provider_user_id primary_email display_name avatar_url created_at "
                       "last_login_at disabled_at"));
    row("workspaces", QStringLiteral("id name slug plan stripe_customer_id stripe_subscription_id "
                                     "subscription_status current_period_end read_only storage_used_bytes "
                                     "created_at updated_at version"));
    row("memberships", QStringLiteral("workspace_id user_id role created_at"));
    row("projects", QStringLiteral("id workspace_id name created_at"));
    row("files", QStringLiteral("id project_id workspace_id name size_bytes storage_key created_at"));
    row("ai_usage",
        QStringLiteral("id workspace_id user_id provider model input_tokens output_tokens cost_usd "
                       "request_id created_at"));
    row("exports", QStringLiteral("id workspace_id requested_by status storage_key size_bytes created_at "
                                  "expires_at purged_at"));
    row("billing_events",
        QStringLiteral("id stripe_event_id type workspace_id payload received_at processed_at"));
    row("audit_log", QStringLiteral("id occurred_at db_user actor action action_id target_type target_id "
                                    "workspace_id reason before after client"));
}

void TestSchema::contract_tableHasColumns()
{
    QFETCH(QString, table);
    QFETCH(QStringList, columns);
    test::TestDatabase database(QStringLiteral("schema_columns"));
    QVERIFY_TESTDB(database);
    QSqlQuery query(database.db());
    query.prepare(QStringLiteral("SELECT column_name FROM information_schema.columns "
                                 "WHERE table_schema = 'public' AND table_name = :table"));
    query.bindValue(QStringLiteral(":table"), table);
    QVERIFY_SQL(query, exec());
    QStringList found;
    while (query.next())
        found.append(query.value(0).toString());
    for (const QString &column : columns)
        QVERIFY2(found.contains(column), qPrintable(QStringLiteral("%1.%2 is missing").arg(table, column)));
}

void TestSchema::plans_referenceRows_freeAllowsThreeMembers()
{
    test::TestDatabase database(QStringLiteral("schema_plans"));
    QVERIFY_TESTDB(database);
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT code, max_members, monthly_price_cents, stripe_price_id "
                                           "FROM plans ORDER BY monthly_price_cents, code")));
    QStringList codes;
    while (query.next()) {
        codes.append(query.value(0).toString());
        if (codes.last() == QLatin1String("free")) {
            QCOMPARE(query.value(1).toInt(), 3);
            QCOMPARE(query.value(2).toInt(), 0);
            QVERIFY(query.value(3).isNull());
        }
    }
    QCOMPARE(codes, QStringList({QStringLiteral("free"), QStringLiteral("starter"), QStringLiteral("team"),
                                 QStringLiteral("business"), QStringLiteral("enterprise")}));
}

void TestSchema::workspaceUpdate_clientSendsVersion_serverIncrementsEveryTime()
{
    test::TestDatabase database(QStringLiteral("schema_version"));
    QVERIFY_TESTDB(database);
    const qint64 id = insertWorkspace(database.db(), QStringLiteral("versioned"), QStringLiteral("free"));
    QVERIFY(id > 0);

    auto readVersion = [&](qint64 *version, QDateTime *updatedAt) {
        QSqlQuery query(database.db());
        query.prepare(QStringLiteral("SELECT version, updated_at FROM workspaces WHERE id = :id"));
        query.bindValue(QStringLiteral(":id"), id);
        QVERIFY_SQL(query, exec());
        QVERIFY(query.next());
        *version = query.value(0).toLongLong();
        *updatedAt = query.value(1).toDateTime();
    };
    qint64 version = 0;
    QDateTime updatedAt;
    readVersion(&version, &updatedAt);
    QCOMPARE(version, 1);

    // A client that sends an old or a made-up version, or a no-op update, still moves the version on.
    const QStringList updates = {
        QStringLiteral("UPDATE workspaces SET version = 1, updated_at = '2001-01-01' WHERE id = :id"),
        QStringLiteral("UPDATE workspaces SET version = 1000 WHERE id = :id"),
        QStringLiteral("UPDATE workspaces SET name = name WHERE id = :id"),
    };
    qint64 expected = 1;
    for (const QString &sql : updates) {
        QSqlQuery query(database.db());
        query.prepare(sql);
        query.bindValue(QStringLiteral(":id"), id);
        QVERIFY_SQL(query, exec());
        readVersion(&version, &updatedAt);
        QCOMPARE(version, ++expected);
        QVERIFY2(updatedAt.date().year() > 2020, qPrintable(updatedAt.toString(Qt::ISODate)));
    }
}

// A group may not even send the columns the server stamps (0008); the superuser may, and the server
// overrides them anyway, with the transaction that wrote the row besides.
void TestSchema::auditInsert_clientSendsTimeAndLogin_serverStampsItsOwn()
{
    test::TestDatabase database(QStringLiteral("schema_audit_stamp"));
    QVERIFY_TESTDB(database);
    const QString login = database.createLogin(QStringLiteral("beacon_support"));
    QVERIFY_TESTDB(database);
    DbError error;
    auto connection = Connection::open(database.spec(login), QStringLiteral("audit-stamp"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
    const QString forgedInsert = QStringLiteral(
        "INSERT INTO audit_log (occurred_at, db_user, actor, action, action_id, target_type, target_id) "
        "VALUES (:forgedTime, :forgedLogin, 'tester', 'quota.repair', gen_random_uuid(), 'workspace', '1') "
        "RETURNING occurred_at, db_user, txid = pg_current_xact_id()");

    QSqlQuery groupQuery(connection->database());
    groupQuery.prepare(forgedInsert);
    groupQuery.bindValue(QStringLiteral(":forgedTime"), QStringLiteral("2001-01-01T00:00:00Z"));
    groupQuery.bindValue(QStringLiteral(":forgedLogin"), QStringLiteral("someone_else"));
    QVERIFY(!groupQuery.exec());
    QCOMPARE(groupQuery.lastError().nativeErrorCode(), QStringLiteral("42501"));

    const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-60);
    QSqlQuery query(database.db());
    query.prepare(forgedInsert);
    query.bindValue(QStringLiteral(":forgedTime"), QStringLiteral("2001-01-01T00:00:00Z"));
    query.bindValue(QStringLiteral(":forgedLogin"), QStringLiteral("someone_else"));
    QVERIFY_SQL(query, exec());
    QVERIFY(query.next());
    QVERIFY2(query.value(0).toDateTime() >= before, qPrintable(query.value(0).toString()));
    QCOMPARE(query.value(1).toString(), QStringLiteral("postgres"));
    QVERIFY(query.value(2).toBool());
}

void TestSchema::auditChange_superuserAndOwner_refusedWithBE002_data()
{
    QTest::addColumn<QString>("setup");
    QTest::addColumn<QString>("statement");
    const QStringList statements = {QStringLiteral("UPDATE audit_log SET reason = 'rewritten'"),
                                    QStringLiteral("DELETE FROM audit_log"),
                                    QStringLiteral("TRUNCATE audit_log")};
    const QStringList names = {QStringLiteral("update"), QStringLiteral("delete"),
                               QStringLiteral("truncate")};
    for (int i = 0; i < statements.size(); ++i) {
        QTest::addRow("superuser %s", qPrintable(names[i])) << QString() << statements[i];
        // Silences ordinary triggers (bulk loads do this); the audit log's fire ALWAYS.
        QTest::addRow("superuser replica mode %s", qPrintable(names[i]))
            << QStringLiteral("SET session_replication_role = replica") << statements[i];
        // The table's owner passes every privilege check, so only the trigger stands in the way.
        QTest::addRow("owner %s", qPrintable(names[i]))
            << QStringLiteral("CREATE ROLE %1 NOLOGIN; ALTER TABLE audit_log OWNER TO %1; SET ROLE %1")
            << statements[i];
    }
}

void TestSchema::auditChange_superuserAndOwner_refusedWithBE002()
{
    QFETCH(QString, setup);
    QFETCH(QString, statement);
    test::TestDatabase database(QStringLiteral("schema_audit_su"));
    QVERIFY_TESTDB(database);
    QSqlDatabase db = database.db();
    QCOMPARE(sqlStateOf(db, QStringLiteral("INSERT INTO audit_log (actor, action, action_id, target_type) "
                                           "VALUES ('tester', 'seed', gen_random_uuid(), 'none')")),
             QString());
    QCOMPARE(sqlStateOf(db, QStringLiteral("BEGIN")), QString());
    // The owner role is cluster-wide, so it is named after this test's database and rolled back with it.
    const QString steps =
        setup.contains(QStringLiteral("%1")) ? setup.arg(database.name() + QStringLiteral("_owner")) : setup;
    for (const QString &step : steps.split(QLatin1Char(';'), Qt::SkipEmptyParts))
        QCOMPARE(sqlStateOf(db, step.trimmed()), QString());
    QCOMPARE(sqlStateOf(db, statement), QStringLiteral("BE002"));
    QCOMPARE(sqlStateOf(db, QStringLiteral("ROLLBACK")), QString());
    QSqlQuery query(db);
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT count(*), min(reason) IS NULL FROM audit_log")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toInt(), 1);
    QVERIFY(query.value(1).toBool());
}

void TestSchema::auditChange_groupLogins_refused_data()
{
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("statement");
    for (const char *group : {"beacon_support", "beacon_finance", "beacon_admin"}) {
        QTest::addRow("%s update", group)
            << QString::fromLatin1(group) << QStringLiteral("UPDATE audit_log SET reason = 'rewritten'");
        QTest::addRow("%s delete", group)
            << QString::fromLatin1(group) << QStringLiteral("DELETE FROM audit_log");
        QTest::addRow("%s truncate", group)
            << QString::fromLatin1(group) << QStringLiteral("TRUNCATE audit_log");
    }
}

void TestSchema::auditChange_groupLogins_refused()
{
    QFETCH(QString, group);
    QFETCH(QString, statement);
    test::TestDatabase database(QStringLiteral("schema_audit_group"));
    QVERIFY_TESTDB(database);
    QCOMPARE(sqlStateOf(database.db(), QStringLiteral("INSERT INTO audit_log (actor, action, action_id, "
                                                      "target_type) VALUES ('tester', 'seed', "
                                                      "gen_random_uuid(), 'none')")),
             QString());
    const QString login = database.createLogin(group);
    QVERIFY_TESTDB(database);
    DbError error;
    auto connection = Connection::open(database.spec(login), QStringLiteral("audit-group"), &error);
    QVERIFY2(connection, qPrintable(error.fullText()));
    // A group never holds the privilege, so the server refuses before the trigger is even reached.
    QCOMPARE(sqlStateOf(connection->database(), statement), QStringLiteral("42501"));
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT count(*) FROM audit_log WHERE reason IS NULL")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toInt(), 1);
}

void TestSchema::addMember_teamFull_refusedWithLimitAndNothingWritten()
{
    test::TestDatabase database(QStringLiteral("schema_team_full"));
    QVERIFY_TESTDB(database);
    QSqlDatabase db = database.db();
    QVERIFY(insertUsers(db, 4));
    const qint64 workspace = insertWorkspace(db, QStringLiteral("full-team"), QStringLiteral("free"));
    QVERIFY(workspace > 0);
    for (qint64 user = 1; user <= 3; ++user)
        QCOMPARE(addMember(db, workspace, user), QString());

    QString message;
    QCOMPARE(addMember(db, workspace, 4, &message), QStringLiteral("BE001"));
    QVERIFY2(message.contains(QStringLiteral("allows 3 members")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("\"free\"")), qPrintable(message));
    QVERIFY2(message.contains(QString::number(workspace)), qPrintable(message));
    QCOMPARE(memberCount(db, workspace), 3);
}

void TestSchema::planLoweredAfterwards_overLimitKept_furtherAddsRefused()
{
    test::TestDatabase database(QStringLiteral("schema_over_limit"));
    QVERIFY_TESTDB(database);
    QSqlDatabase db = database.db();
    QVERIFY(insertUsers(db, 6));
    const qint64 workspace = insertWorkspace(db, QStringLiteral("shrunk"), QStringLiteral("starter"));
    QVERIFY(workspace > 0);
    for (qint64 user = 1; user <= 5; ++user)
        QCOMPARE(addMember(db, workspace, user), QString());

    // Downgrading leaves five members on a three-seat plan: an anomaly the console reports, not one the
    // database refuses, so the seeder can plant it.
    QSqlQuery query(db);
    query.prepare(QStringLiteral("UPDATE workspaces SET plan = 'free' WHERE id = :id"));
    query.bindValue(QStringLiteral(":id"), workspace);
    QVERIFY_SQL(query, exec());
    QCOMPARE(memberCount(db, workspace), 5);
    QCOMPARE(addMember(db, workspace, 6), QStringLiteral("BE001"));
    QCOMPARE(memberCount(db, workspace), 5);
}

void TestSchema::addMember_twoTransactionsOneSeat_secondWaitsThenRefused()
{
    test::TestDatabase database(QStringLiteral("schema_team_race"));
    QVERIFY_TESTDB(database);
    QSqlDatabase db = database.db();
    QVERIFY(insertUsers(db, 4));
    const qint64 workspace = insertWorkspace(db, QStringLiteral("one-seat-left"), QStringLiteral("free"));
    QVERIFY(workspace > 0);
    for (qint64 user = 1; user <= 2; ++user)
        QCOMPARE(addMember(db, workspace, user), QString());

    DbError error;
    auto first = Connection::open(database.spec(), QStringLiteral("race-a"), &error);
    QVERIFY2(first, qPrintable(error.fullText()));
    QCOMPARE(sqlStateOf(first->database(), QStringLiteral("BEGIN")), QString());
    QCOMPARE(addMember(first->database(), workspace, 3), QString());

    // The second adder runs in its own thread, because its INSERT must block until the first commits.
    const ConnectionSpec spec = database.spec();
    std::atomic<int> secondPid{0};
    QString secondState = QStringLiteral("not run");
    QString secondMessage;
    QThread *second = QThread::create([&] {
        DbError openError;
        auto connection = Connection::open(spec, QStringLiteral("race-b"), &openError);
        if (!connection) {
            secondState = openError.fullText();
            return;
        }
        QSqlQuery pid(connection->database());
        if (!pid.exec(QStringLiteral("SELECT pg_backend_pid()")) || !pid.next()) {
            secondState = pid.lastError().text();
            return;
        }
        secondPid = pid.value(0).toInt();
        QSqlQuery insert(connection->database());
        // Not prepared: a prepared statement cannot be freed inside the aborted transaction it failed in.
        if (!insert.exec(QStringLiteral("BEGIN")) ||
            !insert.exec(
                QStringLiteral("INSERT INTO memberships (workspace_id, user_id, role) "
                               "SELECT id, 4, 'member' FROM workspaces WHERE slug = 'one-seat-left'"))) {
            secondState = insert.lastError().nativeErrorCode();
            secondMessage = insert.lastError().databaseText();
        } else {
            secondState.clear();
        }
        insert.exec(QStringLiteral("ROLLBACK"));
    });
    second->start();

    // Proof that the trigger's FOR UPDATE makes the second insert wait on the first one's row lock.
    QElapsedTimer timer;
    timer.start();
    bool secondWaitsOnLock = false;
    while (!secondWaitsOnLock && timer.elapsed() < 30000) {
        QThread::msleep(20);
        if (secondPid == 0)
            continue;
        QSqlQuery query(db);
        query.prepare(
            QStringLiteral("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"));
        query.bindValue(QStringLiteral(":pid"), secondPid.load());
        QVERIFY_SQL(query, exec());
        secondWaitsOnLock = query.next() && query.value(0).toBool();
    }
    QVERIFY2(secondWaitsOnLock, "the second insert never waited on the first one's lock");
    QVERIFY(!second->isFinished());

    QCOMPARE(sqlStateOf(first->database(), QStringLiteral("COMMIT")), QString());
    QVERIFY(second->wait(30000));
    delete second;
    QCOMPARE(secondState, QStringLiteral("BE001"));
    QVERIFY2(secondMessage.contains(QStringLiteral("allows 3 members")), qPrintable(secondMessage));
    QCOMPARE(memberCount(db, workspace), 3);
}

void TestSchema::index_forListSortOrSearch_exists_data()
{
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("definition");
    auto row = [](const char *table, const char *definition) {
        QTest::addRow("%s %s", table, definition)
            << QString::fromLatin1(table) << QString::fromLatin1(definition);
    };
    row("users", "btree (created_at, id)");
    row("users", "btree (last_login_at, id)");
    row("users", "btree (primary_email, id)");
    row("users", "btree (lower(primary_email))");
    row("users", "gin (regexp_replace(lower(primary_email), '[^[:alnum:]]+'::text, ''::text, 'g'::text) "
                 "gin_trgm_ops)");
    row("users",
        "gin (regexp_replace(lower(display_name), '[^[:alnum:]]+'::text, ''::text, 'g'::text) gin_trgm_ops)");
    row("workspaces", "btree (created_at, id)");
    row("workspaces", "btree (name, id)");
    row("workspaces", "btree (slug, id)");
    row("workspaces", "btree (plan, id)");
    row("workspaces",
        "gin (regexp_replace(lower(name), '[^[:alnum:]]+'::text, ''::text, 'g'::text) gin_trgm_ops)");
    row("workspaces",
        "gin (regexp_replace(lower(slug), '[^[:alnum:]]+'::text, ''::text, 'g'::text) gin_trgm_ops)");
    row("ai_usage", "btree (workspace_id, created_at");
    row("ai_usage", "btree (user_id, created_at");
    row("ai_usage", "btree (created_at");
    row("memberships", "btree (user_id)");
    row("files", "btree (project_id)");
    row("files", "btree (workspace_id)");
    row("exports", "btree (expires_at) WHERE (purged_at IS NULL)");
    row("audit_log", "btree (occurred_at");
    row("audit_log", "btree (workspace_id, occurred_at");
    row("audit_log", "btree (actor, occurred_at");
    row("audit_log", "btree ((\nCASE\n    WHEN ((target_type = 'user'::text) AND (target_id ~ "
                     "'^(0|[1-9][0-9]{0,17})$'::text)) THEN (target_id)::bigint\n    ELSE "
                     "NULL::bigint\nEND), occurred_at, id)");
    row("audit_log", "UNIQUE INDEX audit_log_action_id_key ON public.audit_log USING btree (action_id)");
    row("ai_usage", "UNIQUE INDEX ai_usage_request_id_key ON public.ai_usage USING btree (request_id)");
}

void TestSchema::index_forListSortOrSearch_exists()
{
    QFETCH(QString, table);
    QFETCH(QString, definition);
    test::TestDatabase database(QStringLiteral("schema_indexes"));
    QVERIFY_TESTDB(database);
    QSqlQuery query(database.db());
    // The operator class is printed schema-qualified when public is not on the search path; compare without.
    query.prepare(
        QStringLiteral("SELECT string_agg(replace(indexdef, 'public.gin_trgm_ops', 'gin_trgm_ops'), "
                       "E'\\n') FROM pg_indexes WHERE schemaname = 'public' AND tablename = :table"));
    query.bindValue(QStringLiteral(":table"), table);
    QVERIFY_SQL(query, exec());
    QVERIFY(query.next());
    const QString indexes = query.value(0).toString();
    QVERIFY2(indexes.contains(definition), qPrintable(indexes));
}

void TestSchema::substringSearch_onEmail_usesFoldedTrigramIndex()
{
    test::TestDatabase database(QStringLiteral("schema_trgm"));
    QVERIFY_TESTDB(database);
    QSqlDatabase db = database.db();
    QVERIFY(insertUsers(db, 2000));
    // VACUUM moves the fresh rows out of the GIN pending list, which the planner would otherwise price as a
    // scan.
    QCOMPARE(sqlStateOf(db, QStringLiteral("VACUUM ANALYZE users")), QString());
    // On a small table the planner may rightly prefer a scan; this proves the index can serve the search.
    QCOMPARE(sqlStateOf(db, QStringLiteral("SET enable_seqscan = off")), QString());
    QSqlQuery query(db);
    // EXPLAIN takes no bound parameters; the pattern is a constant of this test.
    QVERIFY_SQL(query, exec(QStringLiteral(
                           "EXPLAIN SELECT id FROM users WHERE regexp_replace(lower(primary_email), "
                           "'[^[:alnum:]]+', '', 'g') LIKE '%er1234%' AND primary_email ILIKE '%er1234%'")));
    QString plan;
    while (query.next())
        plan += query.value(0).toString() + QLatin1Char('\n');
    QVERIFY2(plan.contains(QStringLiteral("users_primary_email_alnum_trgm_idx")), qPrintable(plan));
}

namespace {

// Two workspaces with one project each, as the owner.
bool insertTwoProjects(const QSqlDatabase &db)
{
    QSqlQuery query(db);
    return query.exec(QStringLiteral("INSERT INTO workspaces (id, name, slug) VALUES (1, 'One', 'one'), "
                                     "(2, 'Two', 'two')")) &&
           query.exec(QStringLiteral("INSERT INTO projects (id, workspace_id, name) VALUES (1, 1, 'Alpha'), "
                                     "(2, 2, 'Beta')"));
}

} // namespace

void TestSchema::fileInsert_workspaceNotItsProjects_refusedWithForeignKeyViolation()
{
    test::TestDatabase database(QStringLiteral("schema_file_ws"));
    QVERIFY_TESTDB(database);
    QVERIFY(insertTwoProjects(database.db()));
    // Project 1 is workspace 1's: filing it under workspace 2 would count its bytes against the wrong one.
    QCOMPARE(sqlStateOf(database.db(), QStringLiteral("INSERT INTO files (project_id, workspace_id, name, "
                                                      "size_bytes, storage_key) VALUES (1, 2, 'a', 1, 'k')")),
             QStringLiteral("23503"));
    QCOMPARE(sqlStateOf(database.db(), QStringLiteral("INSERT INTO files (project_id, workspace_id, name, "
                                                      "size_bytes, storage_key) VALUES (1, 1, 'a', 1, 'k')")),
             QString());
    QCOMPARE(
        sqlStateOf(database.db(), QStringLiteral("UPDATE files SET workspace_id = 2 WHERE project_id = 1")),
        QStringLiteral("23503"));
}

void TestSchema::projectDelete_filesGoWithIt()
{
    test::TestDatabase database(QStringLiteral("schema_file_cascade"));
    QVERIFY_TESTDB(database);
    QVERIFY(insertTwoProjects(database.db()));
    QCOMPARE(sqlStateOf(database.db(), QStringLiteral("INSERT INTO files (project_id, workspace_id, name, "
                                                      "size_bytes, storage_key) VALUES (1, 1, 'a', 1, 'k'), "
                                                      "(2, 2, 'b', 1, 'l')")),
             QString());
    QCOMPARE(sqlStateOf(database.db(), QStringLiteral("DELETE FROM projects WHERE id = 1")), QString());
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT string_agg(name, ',' ORDER BY name) FROM files")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toString(), QStringLiteral("b"));
}

// An existing database may already hold a file filed under another workspace than its project's: the
// migration must stop and say so, not pick one of the two columns.
void TestSchema::projectWorkspaceMigration_existingMismatchedFile_stopsWithCountAndIds()
{
    test::TestDatabase database(QStringLiteral("schema_file_migrate"));
    QVERIFY_TESTDB(database);
    QSqlDatabase db = database.db();
    QVERIFY(insertTwoProjects(db));
    // Back to the schema before the migration, with a file that breaks the new rule.
    QCOMPARE(sqlStateOf(
                 db, QStringLiteral("ALTER TABLE files DROP CONSTRAINT files_project_id_workspace_id_fkey")),
             QString());
    QCOMPARE(
        sqlStateOf(db, QStringLiteral("ALTER TABLE projects DROP CONSTRAINT projects_id_workspace_id_key")),
        QString());
    QCOMPARE(
        sqlStateOf(db, QStringLiteral("ALTER TABLE files ADD CONSTRAINT files_project_id_fkey FOREIGN KEY "
                                      "(project_id) REFERENCES projects (id) ON DELETE CASCADE")),
        QString());
    QCOMPARE(
        sqlStateOf(db, QStringLiteral("INSERT INTO files (id, project_id, workspace_id, name, size_bytes, "
                                      "storage_key) VALUES (7, 1, 2, 'stray', 1, 'k')")),
        QString());

    QFile migration(QStringLiteral(":/sql/0009_files_project_workspace.sql"));
    QVERIFY(migration.open(QIODevice::ReadOnly));
    const QString script = QString::fromUtf8(migration.readAll());
    QSqlQuery query(db);
    QVERIFY(query.exec(QStringLiteral("BEGIN")));
    QVERIFY2(!query.exec(script), "the migration went through over a mismatched file");
    QCOMPARE(query.lastError().nativeErrorCode(), QStringLiteral("23503"));
    QVERIFY2(query.lastError().databaseText().contains(
                 QStringLiteral("1 of the files belong to a project of another "
                                "workspace")),
             qPrintable(query.lastError().databaseText()));
    QVERIFY(query.exec(QStringLiteral("ROLLBACK")));

    // Once the file is put right, the same script applies.
    QCOMPARE(sqlStateOf(db, QStringLiteral("UPDATE files SET workspace_id = 1 WHERE id = 7")), QString());
    QVERIFY_SQL(query, exec(script));
    QCOMPARE(sqlStateOf(db, QStringLiteral("INSERT INTO files (project_id, workspace_id, name, size_bytes, "
                                           "storage_key) VALUES (1, 2, 'a', 1, 'k')")),
             QStringLiteral("23503"));
}

QTEST_GUILESS_MAIN(TestSchema)
#include "tst_schema.moc"
