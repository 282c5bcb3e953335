// What the engine trusts of its session, against the real server: a COMMIT that the server answers with
// ROLLBACK (the transaction was aborted) or with an error (a deferred constraint failing at commit) is an
// error and nothing of the action remains, and the tables an action touches are found by their qualified
// names, not through search_path.
#include "actionfixture.h"
#include "actionrequests.h"

#include "actions/actionengine.h"
#include "db/statementcache.h"

#include <QSqlQuery>

using namespace beacon;
using namespace beacon::test;
using namespace beacon::test::seeded;
using beacon::actions::ActionRequest;
using beacon::actions::ActionResult;

class TestActionCommit : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void transactionAbortedBeforeCommit_commitAnsweredRollback_errorNothingWritten();
    void deferredConstraintFailsAtCommit_errorNothingWritten_data();
    void deferredConstraintFailsAtCommit_errorNothingWritten();
    void statementCacheCommit_ofAbortedTransaction_isAnError();
    void searchPathWithLookalikeTables_actionsUseTheRealOnes();

private:
    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestActionCommit::init()
{
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_commit"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestActionCommit::cleanup()
{
    m_fixture.reset();
}

void TestActionCommit::transactionAbortedBeforeCommit_commitAnsweredRollback_errorNothingWritten()
{
    auto &fixture = *m_fixture;
    const QString before = fixture.snapshot();
    const qint64 audits = fixture.auditCount();
    // After the action's write and audit row, something on the same session fails and its error is lost:
    // the transaction is aborted, and the server answers the engine's COMMIT with the tag ROLLBACK.
    QSqlDatabase db = fixture.db();
    actions::ActionHooks hooks;
    hooks.afterWrite = [db](int) {
        StatementCache::of(db).exec(QStringLiteral("SELECT 1 / 0"), {}, QStringLiteral("failing"), nullptr);
        return DbError();
    };
    const ActionResult result =
        actions::runAction(fixture.db(), memberRole(Roomy, Cy, QStringLiteral("admin")), hooks);
    QVERIFY2(!result.ok(), qPrintable(describe(result)));
    QCOMPARE(result.error.kind, ErrorKind::Internal);
    QVERIFY2(result.error.message.contains(QLatin1String("rolled the transaction back")),
             qPrintable(result.error.message));
    QCOMPARE(fixture.role(Roomy, Cy), QStringLiteral("member"));
    QCOMPARE(fixture.auditCount(), audits);
    QCOMPARE(fixture.snapshot(), before);
}

void TestActionCommit::deferredConstraintFailsAtCommit_errorNothingWritten_data()
{
    QTest::addColumn<bool>("withHook");
    // Without a hook the COMMIT goes in the same round trip as the write (pipelined); with one, on its own.
    QTest::newRow("COMMIT pipelined with the write") << false;
    QTest::newRow("COMMIT on its own") << true;
}

void TestActionCommit::deferredConstraintFailsAtCommit_errorNothingWritten()
{
    QFETCH(bool, withHook);
    auto &fixture = *m_fixture;
    // As the database's owner: a constraint trigger that fails only when the transaction commits.
    QVERIFY(fixture.exec(QStringLiteral(
        "CREATE FUNCTION public.refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION USING ERRCODE = '23514', MESSAGE = 'deferred check failed at commit'; END $$")));
    QVERIFY(fixture.exec(QStringLiteral(
        "CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER UPDATE ON public.memberships DEFERRABLE "
        "INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.refuse_at_commit()")));
    const QString before = fixture.snapshot();
    const qint64 audits = fixture.auditCount();
    actions::ActionHooks hooks;
    if (withHook)
        hooks.afterWrite = [](int) {
            return DbError();
        };
    const ActionResult result =
        actions::runAction(fixture.db(), memberRole(Roomy, Cy, QStringLiteral("admin")), hooks);
    QVERIFY2(!result.ok(), qPrintable(describe(result)));
    QVERIFY2(result.error.details.contains(QLatin1String("deferred check failed at commit")),
             qPrintable(result.error.fullText()));
    QCOMPARE(fixture.role(Roomy, Cy), QStringLiteral("member"));
    QCOMPARE(fixture.auditCount(), audits);
    QCOMPARE(fixture.snapshot(), before);
}

void TestActionCommit::statementCacheCommit_ofAbortedTransaction_isAnError()
{
    auto connection = m_fixture->otherSession(QStringLiteral("commit-probe"));
    QVERIFY(connection);
    StatementCache &statements = StatementCache::of(connection->database());
    QVERIFY(!statements.command("BEGIN", QStringLiteral("begin")));
    QVERIFY(statements.exec(QStringLiteral("SELECT 1 / 0"), {}, QStringLiteral("failing"), nullptr));
    const DbError commit = statements.command("COMMIT", QStringLiteral("Committing"));
    QVERIFY2(commit.isError(), "COMMIT of an aborted transaction was reported as success");
    QVERIFY2(commit.message.startsWith(QLatin1String("Committing")), qPrintable(commit.message));
    // The same through a pipeline, as the engine sends COMMIT with its last statement.
    QVERIFY(!statements.command("BEGIN", QStringLiteral("begin")));
    QVERIFY(statements.exec(QStringLiteral("SELECT 1 / 0"), {}, QStringLiteral("failing"), nullptr));
    const DbError pipelined =
        statements.pipeline({{"COMMIT", {}, {}, QStringLiteral("Committing in a pipeline"), nullptr}});
    QVERIFY2(pipelined.isError(), "a pipelined COMMIT of an aborted transaction was reported as success");
    QVERIFY2(pipelined.message.startsWith(QLatin1String("Committing in a pipeline")),
             qPrintable(pipelined.message));
    // The session is usable again: the aborted transaction ended with that COMMIT.
    QVERIFY(!statements.exec(QStringLiteral("SELECT 1"), {}, QStringLiteral("after"), nullptr));
}

void TestActionCommit::searchPathWithLookalikeTables_actionsUseTheRealOnes()
{
    auto &fixture = *m_fixture;
    // Tables of the same names, first on the session's search_path: an unqualified name would find these.
    QVERIFY(fixture.exec(QStringLiteral("CREATE SCHEMA lookalike")));
    for (const char *table :
         {"workspaces", "memberships", "users", "projects", "files", "exports", "audit_log", "plans"}) {
        QVERIFY(fixture.exec(
            QStringLiteral("CREATE TABLE lookalike.%1 (LIKE public.%1)").arg(QLatin1String(table))));
    }
    const qint64 audits = fixture.auditCount();
    QVERIFY(fixture.exec(QStringLiteral("SET search_path = lookalike, public")));
    // Each run once: QVERIFY_APPLIED names its argument twice.
    const QList<ActionResult> results = {
        actions::runAction(fixture.db(), memberRole(Roomy, Cy, QStringLiteral("admin"))),
        actions::runAction(fixture.db(), planChange(Roomy, QStringLiteral("business"))),
        actions::runAction(fixture.db(), userMerge(Ada, AdaDuplicate)),
        actions::runActionInBatches(fixture.db(), exportsPurge(30, 2)),
        actions::runAction(fixture.db(), projectDelete(LaunchProject))};
    for (const ActionResult &result : results)
        QVERIFY_APPLIED(result);
    QVERIFY(fixture.exec(QStringLiteral("RESET search_path")));
    QCOMPARE(fixture.role(Roomy, Cy), QStringLiteral("admin"));
    QCOMPARE(fixture.value(QStringLiteral("SELECT plan FROM public.workspaces WHERE id = 1")).toString(),
             QStringLiteral("business"));
    // One row per action, and three for exports-purge (batches of 2 of the 5 expired exports).
    QCOMPARE(
        fixture.value(QStringLiteral("SELECT count(*) FROM public.audit_log WHERE action = 'exports-purge'"))
            .toInt(),
        3);
    QVERIFY(fixture.auditCount() > audits);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM lookalike.audit_log")).toInt(), 0);
}

QTEST_GUILESS_MAIN(TestActionCommit)
#include "tst_actions_commit.moc"
