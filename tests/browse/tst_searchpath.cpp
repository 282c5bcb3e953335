#include "testdatabase.h"

#include "browse/quickfind.h"
#include "browse/tables.h"
#include "db/database.h"
#include "db/migrator.h"

#include <QSqlQuery>

#include <memory>

using namespace beacon;
using namespace beacon::browse;

Q_DECLARE_METATYPE(const beacon::browse::TableDefinition *)

namespace {

// One row in every table the console reads, each with id 1, so that every scoped table has scope 1.
const char *const PublicRows[] = {
    "INSERT INTO public.users (id, provider, provider_user_id, primary_email) "
    "VALUES (1, 'google', 'g1', 'real@example.test')",
    "INSERT INTO public.workspaces (id, name, slug, plan) VALUES (1, 'Real', 'real-ws', 'team')",
    "INSERT INTO public.memberships (workspace_id, user_id, role) VALUES (1, 1, 'owner')",
    "INSERT INTO public.projects (id, workspace_id, name) VALUES (1, 1, 'Real project')",
    "INSERT INTO public.files (id, project_id, workspace_id, name, size_bytes, storage_key) "
    "VALUES (1, 1, 1, 'real.pdf', 10, 'k')",
    "INSERT INTO public.ai_usage (id, workspace_id, user_id, provider, model, input_tokens, output_tokens, "
    "cost_usd) VALUES (1, 1, 1, 'openai', 'gpt-4o', 1, 1, 0.01)",
    "INSERT INTO public.exports (id, workspace_id, requested_by, status) VALUES (1, 1, 1, 'ready')",
    "INSERT INTO public.audit_log (actor, action, action_id, target_type, target_id, workspace_id) "
    "VALUES ('tester', 'real', gen_random_uuid(), 'user', '1', 1)",
};

// A schema that shadows every public table with an empty copy, and the two that quick open searches with a
// row of their own. Whatever reads a decoy reads nothing, or the decoy's row.
const char *const DecoySetup[] = {
    "CREATE SCHEMA decoy",
    "DO $$ DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP "
    "EXECUTE format('CREATE TABLE decoy.%I (LIKE public.%I INCLUDING DEFAULTS)', t, t); END LOOP; END $$",
    "INSERT INTO decoy.workspaces (id, name, slug, plan) VALUES (99, 'Decoy', 'decoy-ws', 'team')",
    "INSERT INTO decoy.users (id, provider, provider_user_id, primary_email) "
    "VALUES (99, 'google', 'g99', 'decoy@example.test')",
};

} // namespace

// The console names public.… itself instead of trusting the session's search_path: a login whose search_path
// puts another schema first (set by whoever may ALTER ROLE, or by the login itself) still sees public's rows.
class TestSearchPath : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void decoyFirst_unqualifiedNameReadsDecoy();
    void browseTable_decoyFirstInSearchPath_readsPublicRows_data();
    void browseTable_decoyFirstInSearchPath_readsPublicRows();
    void quickFind_decoyFirstInSearchPath_findsPublicRowsOnly();
    void schemaVersion_decoyFirstInSearchPath_readsPublicVersion();

private:
    std::unique_ptr<test::TestDatabase> m_database;
    std::shared_ptr<Connection> m_connection;
};

void TestSearchPath::initTestCase()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("searchpath"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    for (const char *statement : PublicRows)
        QVERIFY_SQL(query, exec(QString::fromLatin1(statement)));
    for (const char *statement : DecoySetup)
        QVERIFY_SQL(query, exec(QString::fromLatin1(statement)));
    const QString login = m_database->createLogin(QStringLiteral("beacon_admin"));
    QVERIFY_TESTDB(*m_database);
    // Identifiers from this test's own database name; ALTER ROLE takes no bound parameters.
    QVERIFY_SQL(query, exec(QStringLiteral("GRANT USAGE ON SCHEMA decoy TO %1").arg(login)));
    QVERIFY_SQL(query, exec(QStringLiteral("GRANT SELECT ON ALL TABLES IN SCHEMA decoy TO %1").arg(login)));
    QVERIFY_SQL(query, exec(QStringLiteral("ALTER ROLE %1 SET search_path = decoy, public").arg(login)));
    DbError error;
    m_connection = Connection::open(m_database->spec(login), QStringLiteral("searchpath"), &error);
    QVERIFY2(m_connection, qPrintable(error.fullText()));
}

void TestSearchPath::cleanupTestCase()
{
    m_connection.reset();
    m_database.reset();
}

// Without this the test would prove nothing: the session really does resolve bare names to the decoy.
void TestSearchPath::decoyFirst_unqualifiedNameReadsDecoy()
{
    QSqlQuery query(m_connection->database());
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT string_agg(slug, ',') FROM workspaces")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toString(), QStringLiteral("decoy-ws"));
}

void TestSearchPath::browseTable_decoyFirstInSearchPath_readsPublicRows_data()
{
    QTest::addColumn<const TableDefinition *>("table");
    QTest::newRow("users") << &usersTable();
    QTest::newRow("workspaces") << &workspacesTable();
    QTest::newRow("ai usage") << &aiUsageTable();
    QTest::newRow("subscriptions") << &subscriptionsTable();
    QTest::newRow("quotas") << &quotasTable();
    QTest::newRow("exports") << &exportsTable();
    QTest::newRow("audit log") << &auditLogTable();
    QTest::newRow("files") << &filesTable();
    QTest::newRow("workspace members") << &workspaceMembersTable();
    QTest::newRow("workspace projects") << &workspaceProjectsTable();
    QTest::newRow("workspace audit") << &workspaceAuditTable();
    QTest::newRow("workspace ai usage") << &workspaceAiUsageTable();
    QTest::newRow("workspace subscription") << &workspaceSubscriptionTable();
    QTest::newRow("project files") << &projectFilesTable();
    QTest::newRow("user memberships") << &userMembershipsTable();
    QTest::newRow("user ai usage") << &userAiUsageTable();
    QTest::newRow("user audit") << &userAuditTable();
}

void TestSearchPath::browseTable_decoyFirstInSearchPath_readsPublicRows()
{
    QFETCH(const TableDefinition *, table);
    PageRequest request;
    if (!table->scopeColumn.isEmpty())
        request.scope = 1;
    QList<Row> rows;
    const DbError error = fetchPage(m_connection->database(), *table, request, &rows);
    QVERIFY2(!error, qPrintable(error.fullText()));
    // Every decoy is empty, and public has exactly one row for each table and scope.
    QCOMPARE(rows.size(), 1);
    for (const QVariant &value : std::as_const(rows.first().values))
        QVERIFY2(!value.toString().contains(QLatin1String("decoy")), qPrintable(value.toString()));

    bool found = false;
    Row row;
    const DbError byIdError =
        fetchRowById(m_connection->database(), *table, rows.first().cursor.id, &row, &found);
    QVERIFY2(!byIdError, qPrintable(byIdError.fullText()));
    QVERIFY(found);
}

void TestSearchPath::quickFind_decoyFirstInSearchPath_findsPublicRowsOnly()
{
    QList<QuickFindHit> hits;
    DbError error = quickFind(m_connection->database(), QStringLiteral("real-ws"), &hits);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(hits.size(), 1);
    QCOMPARE(hits.first().id, 1);
    error = quickFind(m_connection->database(), QStringLiteral("real@example.test"), &hits);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(hits.size(), 1);
    QCOMPARE(hits.first().kind, QuickFindHit::Kind::User);
    error = quickFind(m_connection->database(), QStringLiteral("decoy-ws"), &hits);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(hits.isEmpty());
}

// The console refuses a schema it does not know; reading decoy.schema_migrations (empty) would call a current
// database unmigrated.
void TestSearchPath::schemaVersion_decoyFirstInSearchPath_readsPublicVersion()
{
    DbError error;
    QCOMPARE(Migrator::currentVersion(m_connection->database(), &error), Migrator::expectedVersion());
    QVERIFY2(!error, qPrintable(error.fullText()));
}

QTEST_GUILESS_MAIN(TestSearchPath)
#include "tst_searchpath.moc"
