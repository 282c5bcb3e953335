#include "testdatabase.h"

#include "db/database.h"

#include <QHash>
#include <QSqlQuery>

#include <memory>

using namespace beacon;

namespace {

const QString Support = QStringLiteral("beacon_support");
const QString Finance = QStringLiteral("beacon_finance");
const QString Admin = QStringLiteral("beacon_admin");
const QString Allowed;
const QString Denied = QStringLiteral("42501");
const QString TeamFull = QStringLiteral("BE001");
const QString AuditMissing = QStringLiteral("BE003");

// Fixed ids so that the statements in the table below can name their targets. Workspace 1 has a free seat,
// workspace 2 (free plan) is full.
const char *const Fixture[] = {
    "INSERT INTO users (id, provider, provider_user_id, primary_email) VALUES "
    "(1, 'google', 'g1', 'ada@example.test'), (2, 'github', 'h2', 'bob@example.test'), "
    "(3, 'google', 'g3', 'cy@example.test'), (4, 'github', 'h4', 'ADA@example.test')",
    "INSERT INTO workspaces (id, name, slug, plan) VALUES (1, 'Roomy', 'roomy', 'team'), "
    "(2, 'Crowded', 'crowded', 'free')",
    "INSERT INTO memberships (workspace_id, user_id, role) VALUES (1, 1, 'owner'), (1, 2, 'member'), "
    "(2, 1, 'owner'), (2, 2, 'member'), (2, 4, 'viewer')",
    "INSERT INTO projects (id, workspace_id, name) VALUES (1, 1, 'Launch')",
    "INSERT INTO files (id, project_id, workspace_id, name, size_bytes, storage_key) VALUES "
    "(1, 1, 1, 'plan.pdf', 1024, 'ws1/plan.pdf')",
    "INSERT INTO ai_usage (workspace_id, user_id, provider, model, input_tokens, output_tokens, cost_usd, "
    "request_id) VALUES (1, 1, 'openai', 'gpt-4o', 100, 50, 0.0015, 'req-1')",
    "INSERT INTO exports (id, workspace_id, requested_by, status, storage_key, size_bytes, expires_at) "
    "VALUES "
    "(1, 1, 1, 'ready', 'exports/1.zip', 2048, now() - interval '1 day')",
    "INSERT INTO billing_events (id, stripe_event_id, type, workspace_id, payload) VALUES "
    "(1, 'evt_1', 'invoice.paid', 1, '{\"customer_email\": \"ada@example.test\"}')",
    "INSERT INTO audit_log (actor, action, action_id, target_type, target_id, workspace_id) VALUES "
    "('tester', 'fixture', gen_random_uuid(), 'workspace', '1', 1)",
};

} // namespace

// Every row of the grants table, run as a real login of each group against the real server. Each statement
// runs in its own transaction, rolled back afterwards, so the rows do not depend on each other.
class TestRoles : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void groups_existWithoutLogin();
    void statement_asGroup_serverAllowsOrRefuses_data();
    void statement_asGroup_serverAllowsOrRefuses();
    void everyTableAGroupWrites_hasDeferredAuditCheck();
    void change_asGroup_commitsOnlyWithAuditRowOfSameTransaction_data();
    void change_asGroup_commitsOnlyWithAuditRowOfSameTransaction();

private:
    std::unique_ptr<test::TestDatabase> m_database;
    QHash<QString, std::shared_ptr<Connection>> m_connections;
};

void TestRoles::initTestCase()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("roles"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    for (const char *statement : Fixture)
        QVERIFY_SQL(query, exec(QString::fromLatin1(statement)));
    for (const QString &group : {Support, Finance, Admin}) {
        const QString login = m_database->createLogin(group);
        QVERIFY_TESTDB(*m_database);
        DbError error;
        std::shared_ptr<Connection> connection = Connection::open(m_database->spec(login), group, &error);
        QVERIFY2(connection, qPrintable(error.fullText()));
        m_connections.insert(group, connection);
    }
}

void TestRoles::cleanupTestCase()
{
    m_connections.clear();
    m_database.reset();
}

void TestRoles::groups_existWithoutLogin()
{
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT rolname, rolcanlogin, rolsuper FROM pg_roles "
                                           "WHERE rolname LIKE 'beacon\\_%' ORDER BY rolname")));
    QStringList groups;
    while (query.next()) {
        groups.append(query.value(0).toString());
        QVERIFY2(!query.value(1).toBool(), qPrintable(groups.last()));
        QVERIFY2(!query.value(2).toBool(), qPrintable(groups.last()));
    }
    QCOMPARE(groups, QStringList({Admin, Finance, Support}));
}

void TestRoles::statement_asGroup_serverAllowsOrRefuses_data()
{
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("statement");
    QTest::addColumn<QString>("expectedState"); // empty: allowed
    struct Case {
        const char *what;
        const char *sql;
        QString support, finance, admin;
    };
    const Case cases[] = {
        // Reading: every table, except the Stripe payload for support.
        {"read plans", "SELECT count(*) FROM plans", Allowed, Allowed, Allowed},
        {"read users", "SELECT count(*) FROM users", Allowed, Allowed, Allowed},
        {"read workspaces", "SELECT count(*) FROM workspaces", Allowed, Allowed, Allowed},
        {"read memberships", "SELECT count(*) FROM memberships", Allowed, Allowed, Allowed},
        {"read projects", "SELECT count(*) FROM projects", Allowed, Allowed, Allowed},
        {"read files", "SELECT count(*) FROM files", Allowed, Allowed, Allowed},
        {"read ai_usage", "SELECT count(*) FROM ai_usage", Allowed, Allowed, Allowed},
        {"read exports", "SELECT count(*) FROM exports", Allowed, Allowed, Allowed},
        {"read audit_log", "SELECT count(*) FROM audit_log", Allowed, Allowed, Allowed},
        {"read schema version", "SELECT max(version) FROM schema_migrations", Allowed, Allowed, Allowed},
        {"read billing_events without payload",
         "SELECT id, stripe_event_id, type, workspace_id, received_at, processed_at FROM billing_events",
         Allowed, Allowed, Allowed},
        {"read billing_events payload", "SELECT payload FROM billing_events", Denied, Allowed, Allowed},
        {"read billing_events star", "SELECT * FROM billing_events", Denied, Allowed, Allowed},
        // Every acting role locks the workspace first.
        {"lock workspace", "SELECT id FROM workspaces WHERE id = 1 FOR UPDATE", Allowed, Allowed, Allowed},
        // Members, projects, files, quota: support and admin.
        {"member add", "INSERT INTO memberships (workspace_id, user_id, role) VALUES (1, 3, 'member')",
         Allowed, Denied, Allowed},
        // Adding a member writes the workspace, the user and the role; when it happened is the server's.
        {"member add with created_at",
         "INSERT INTO memberships (workspace_id, user_id, role, created_at) "
         "VALUES (1, 3, 'member', now() - interval '1 year')",
         Denied, Denied, Denied},
        {"member add to full team",
         "INSERT INTO memberships (workspace_id, user_id, role) VALUES (2, 3, 'member')", TeamFull, Denied,
         TeamFull},
        {"member remove", "DELETE FROM memberships WHERE workspace_id = 1 AND user_id = 2", Allowed, Denied,
         Allowed},
        {"member role change", "UPDATE memberships SET role = 'admin' WHERE workspace_id = 1 AND user_id = 2",
         Allowed, Denied, Allowed},
        {"project delete", "DELETE FROM projects WHERE id = 1", Allowed, Denied, Allowed},
        {"file delete", "DELETE FROM files WHERE id = 1", Allowed, Denied, Allowed},
        {"quota repair",
         "UPDATE workspaces SET storage_used_bytes = (SELECT coalesce(sum(size_bytes), 0) FROM files "
         "WHERE workspace_id = 1) WHERE id = 1",
         Allowed, Denied, Allowed},
        // Plan and read-only mode: finance and admin.
        {"plan change", "UPDATE workspaces SET plan = 'business' WHERE id = 1", Denied, Allowed, Allowed},
        {"read-only on", "UPDATE workspaces SET read_only = true WHERE id = 1", Denied, Allowed, Allowed},
        // User merge and export purge: admin only.
        {"merge moves membership",
         "UPDATE memberships SET user_id = 4 WHERE workspace_id = 1 AND user_id = 1", Denied, Denied,
         Allowed},
        {"merge disables user", "UPDATE users SET disabled_at = now() WHERE id = 4", Denied, Denied, Allowed},
        {"export purge",
         "UPDATE exports SET status = 'purged', purged_at = now() WHERE id = 1 AND expires_at < now()",
         Denied, Denied, Allowed},
        // The audit log: everyone appends, nobody changes.
        {"audit append",
         "INSERT INTO audit_log (actor, action, action_id, target_type, target_id, workspace_id) "
         "VALUES ('tester', 'plan.change', gen_random_uuid(), 'workspace', '1', 1) RETURNING id",
         Allowed, Allowed, Allowed},
        {"audit update", "UPDATE audit_log SET reason = 'rewritten'", Denied, Denied, Denied},
        {"audit delete", "DELETE FROM audit_log", Denied, Denied, Denied},
        {"audit truncate", "TRUNCATE audit_log", Denied, Denied, Denied},
        // What the server stamps, and the identity, are not the client's: a planted id ahead of the sequence
        // would make a later real action fail on the primary key.
        {"audit plants id",
         "INSERT INTO audit_log (id, actor, action, action_id, target_type) OVERRIDING SYSTEM VALUE "
         "VALUES (1000000, 'tester', 'forged', gen_random_uuid(), 'workspace')",
         Denied, Denied, Denied},
        {"audit sends occurred_at",
         "INSERT INTO audit_log (occurred_at, actor, action, action_id, target_type) "
         "VALUES (now() - interval '1 year', 'tester', 'forged', gen_random_uuid(), 'workspace')",
         Denied, Denied, Denied},
        {"audit sends db_user",
         "INSERT INTO audit_log (db_user, actor, action, action_id, target_type) "
         "VALUES ('someone_else', 'tester', 'forged', gen_random_uuid(), 'workspace')",
         Denied, Denied, Denied},
        {"audit sends txid",
         "INSERT INTO audit_log (txid, actor, action, action_id, target_type) "
         "VALUES ('1', 'tester', 'forged', gen_random_uuid(), 'workspace')",
         Denied, Denied, Denied},
        {"audit sequence nextval", "SELECT nextval('public.audit_log_id_seq')", Denied, Denied, Denied},
        // Action phases: the engine's columns only.
        {"phase append",
         "INSERT INTO action_phases (action_id, seq, action, phase, carried) "
         "VALUES (gen_random_uuid(), 0, 'plan.change', 'reserve', '{}')",
         Allowed, Allowed, Allowed},
        {"phase sends recorded_at",
         "INSERT INTO action_phases (action_id, seq, action, phase, recorded_at) "
         "VALUES (gen_random_uuid(), 0, 'plan.change', 'reserve', now() - interval '1 year')",
         Denied, Denied, Denied},
        {"phase sends db_user",
         "INSERT INTO action_phases (action_id, seq, action, phase, db_user) "
         "VALUES (gen_random_uuid(), 0, 'plan.change', 'reserve', 'someone_else')",
         Denied, Denied, Denied},
        {"phase update", "UPDATE action_phases SET phase = 'x'", Denied, Denied, Denied},
        // What the trigger owns, and what no console action needs.
        {"version write", "UPDATE workspaces SET version = 99 WHERE id = 1", Denied, Denied, Denied},
        {"updated_at write", "UPDATE workspaces SET updated_at = now() WHERE id = 1", Denied, Denied, Denied},
        // Stripe's view of the row: billing-sync, billing-link and the plan change through Stripe (0007).
        {"subscription status write", "UPDATE workspaces SET subscription_status = 'active' WHERE id = 1",
         Denied, Allowed, Allowed},
        {"stripe ids write",
         "UPDATE workspaces SET stripe_customer_id = 'cus_x', stripe_subscription_id = 'sub_x', "
         "current_period_end = now() WHERE id = 1",
         Denied, Allowed, Allowed},
        {"workspace delete", "DELETE FROM workspaces WHERE id = 1", Denied, Denied, Denied},
        {"user insert",
         "INSERT INTO users (provider, provider_user_id, primary_email) VALUES ('google', 'x', "
         "'x@example.test')",
         Denied, Denied, Denied},
        {"user email change", "UPDATE users SET primary_email = 'z@example.test' WHERE id = 1", Denied,
         Denied, Denied},
        {"plan limits change", "UPDATE plans SET max_members = 1000 WHERE code = 'free'", Denied, Denied,
         Denied},
        {"billing event change", "UPDATE billing_events SET processed_at = now()", Denied, Denied, Denied},
        {"ai usage delete", "DELETE FROM ai_usage", Denied, Denied, Denied},
        {"export delete", "DELETE FROM exports", Denied, Denied, Denied},
        {"file insert",
         "INSERT INTO files (project_id, workspace_id, name, size_bytes, storage_key) "
         "VALUES (1, 1, 'x', 1, 'k')",
         Denied, Denied, Denied},
        {"create table", "CREATE TABLE public.scratch (n integer)", Denied, Denied, Denied},
        {"call definer function", "SELECT public.memberships_enforce_team_size()", Denied, Denied, Denied},
    };
    for (const Case &c : cases) {
        const QString sql = QString::fromLatin1(c.sql);
        QTest::addRow("support %s", c.what) << Support << sql << c.support;
        QTest::addRow("finance %s", c.what) << Finance << sql << c.finance;
        QTest::addRow("admin %s", c.what) << Admin << sql << c.admin;
    }
}

void TestRoles::statement_asGroup_serverAllowsOrRefuses()
{
    QFETCH(QString, group);
    QFETCH(QString, statement);
    QFETCH(QString, expectedState);
    QVERIFY(m_connections.contains(group));
    const QSqlDatabase db = m_connections.value(group)->database();

    QSqlQuery query(db);
    QVERIFY_SQL(query, exec(QStringLiteral("BEGIN")));
    const bool succeeded = query.exec(statement);
    const QString state = succeeded ? QString() : query.lastError().nativeErrorCode();
    const QString serverText = query.lastError().databaseText();
    QVERIFY_SQL(query, exec(QStringLiteral("ROLLBACK")));

    QVERIFY2(state == expectedState,
             qPrintable(QStringLiteral("%1 ran \"%2\": expected %3, got %4 (%5)")
                            .arg(group, statement,
                                 expectedState.isEmpty() ? QStringLiteral("success") : expectedState,
                                 state.isEmpty() ? QStringLiteral("success") : state, serverText)));
}

// "Anything later added": a table that a group may write but that carries no audit check would be a way
// around the audit, so a new migration that grants a write must add the trigger too.
void TestRoles::everyTableAGroupWrites_hasDeferredAuditCheck()
{
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query,
                exec(QStringLiteral(
                    "SELECT c.relname, EXISTS (SELECT FROM pg_trigger AS t WHERE t.tgrelid = c.oid AND "
                    "t.tgdeferrable "
                    "AND t.tginitdeferred AND t.tgenabled <> 'D' AND t.tgfoid = "
                    "'public.audit_require_same_transaction()'::regprocedure) "
                    "FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
                    "CROSS JOIN unnest(ARRAY['beacon_support', 'beacon_finance', 'beacon_admin']) AS g(name) "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
                    "AND c.relname NOT IN ('audit_log', 'action_phases') "
                    "AND (has_table_privilege(g.name, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') "
                    "     OR has_any_column_privilege(g.name, c.oid, 'INSERT, UPDATE')) "
                    "GROUP BY c.oid, c.relname ORDER BY c.relname")));
    QStringList written;
    while (query.next()) {
        written.append(query.value(0).toString());
        QVERIFY2(query.value(1).toBool(), qPrintable(written.last() + QStringLiteral(" has no audit check")));
    }
    QCOMPARE(written, QStringList({QStringLiteral("exports"), QStringLiteral("files"),
                                   QStringLiteral("memberships"), QStringLiteral("projects"),
                                   QStringLiteral("users"), QStringLiteral("workspaces")}));
}

void TestRoles::change_asGroup_commitsOnlyWithAuditRowOfSameTransaction_data()
{
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("write");
    QTest::addColumn<QString>("changed"); // a query, run as the owner, that answers whether the write stuck
    QTest::newRow("support quota repair")
        << Support << QStringLiteral("UPDATE workspaces SET storage_used_bytes = 4096 WHERE id = 1")
        << QStringLiteral("SELECT storage_used_bytes = 4096 FROM workspaces WHERE id = 1");
    QTest::newRow("support member add")
        << Support
        << QStringLiteral("INSERT INTO memberships (workspace_id, user_id, role) VALUES (1, 3, 'owner')")
        << QStringLiteral("SELECT EXISTS (SELECT FROM memberships WHERE workspace_id = 1 AND user_id = 3)");
    QTest::newRow("finance read-only on")
        << Finance << QStringLiteral("UPDATE workspaces SET read_only = true WHERE id = 1")
        << QStringLiteral("SELECT read_only FROM workspaces WHERE id = 1");
    QTest::newRow("admin export purge")
        << Admin << QStringLiteral("UPDATE exports SET status = 'purged', purged_at = now() WHERE id = 1")
        << QStringLiteral("SELECT status = 'purged' FROM exports WHERE id = 1");
    QTest::newRow("admin file delete")
        << Admin << QStringLiteral("DELETE FROM files WHERE id = 1")
        << QStringLiteral("SELECT NOT EXISTS (SELECT FROM files WHERE id = 1)");
}

// The matrix above rolls every statement back, so it never reaches the deferred check: these commit.
void TestRoles::change_asGroup_commitsOnlyWithAuditRowOfSameTransaction()
{
    QFETCH(QString, group);
    QFETCH(QString, write);
    QFETCH(QString, changed);
    const QSqlDatabase db = m_connections.value(group)->database();
    const auto hasChanged = [&](bool *result) {
        QSqlQuery check(m_database->db());
        QVERIFY_SQL(check, exec(changed));
        QVERIFY(check.next());
        *result = check.value(0).toBool();
    };

    QSqlQuery query(db);
    QVERIFY_SQL(query, exec(QStringLiteral("BEGIN")));
    QVERIFY_SQL(query, exec(write));
    QVERIFY2(!query.exec(QStringLiteral("COMMIT")), "the change committed without an audit row");
    QCOMPARE(query.lastError().nativeErrorCode(), AuditMissing);
    // What a person at the console would read, if ever an action forgot its audit row.
    const DbError refused = DbError::fromSql(query.lastError(), QStringLiteral("Saving the change"));
    QCOMPARE(refused.kind, ErrorKind::Refused);
    QVERIFY2(refused.message.contains(QLatin1String("audit log")), qPrintable(refused.message));
    bool stuck = true;
    hasChanged(&stuck);
    QVERIFY2(!stuck, "the refused change is in the table");

    QVERIFY_SQL(query, exec(QStringLiteral("BEGIN")));
    QVERIFY_SQL(query, exec(write));
    QVERIFY_SQL(query,
                exec(QStringLiteral("INSERT INTO audit_log (actor, action, action_id, target_type) "
                                    "VALUES ('tester', 'roles.commit', gen_random_uuid(), 'workspace')")));
    QVERIFY_SQL(query, exec(QStringLiteral("COMMIT")));
    hasChanged(&stuck);
    QVERIFY2(stuck, "the audited change is not in the table");
}

QTEST_GUILESS_MAIN(TestRoles)
#include "tst_roles.moc"
