// Actions run in recorded phases (app/core/actions/phasedaction.h), as plan changes will once they also go
// through Stripe, against the real server: no transaction and no row lock is held while the outside call
// runs, each finished phase is recorded, a failed call is resumed with the same action id without redoing
// what was done, the audit row is written once, and a change made between the phases is a conflict.
#include "actionfixture.h"
#include "actionrequests.h"

#include "actions/phasedaction.h"
#include "db/database.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>

using namespace beacon;
using namespace beacon::test::seeded;
using beacon::actions::ActionContext;
using beacon::actions::ActionKind;
using beacon::actions::ActionPhase;
using beacon::actions::ActionRequest;
using beacon::actions::ActionResult;

namespace {

// A plan change with a call to "Stripe" in the middle: check, call, apply. The call is a test double that
// looks at the server while it "waits for the network"; everything else is the real engine and the real
// plan-change.
struct PhasedPlanChange {
    int checks = 0;
    int calls = 0;
    int applies = 0;
    int failCalls = 0; // the first N calls fail, as a lost network would
    std::function<void()> duringCall;
    QString lockProbe;    // what the call saw when it tried to lock the workspace from another session
    QString sessionState; // what pg_stat_activity said of the engine's session during the call

    QList<ActionPhase> phases()
    {
        ActionPhase check;
        check.name = QStringLiteral("check");
        check.inDatabase = [this](ActionContext &context) -> DbError {
            ++checks;
            QJsonObject workspace;
            if (DbError error = context.lockWorkspace(*context.request().workspaceId, &workspace))
                return error;
            context.carried.insert(QStringLiteral("version"), workspace.value(QStringLiteral("version")));
            context.carried.insert(QStringLiteral("plan_before"), workspace.value(QStringLiteral("plan")));
            context.preview = {{QStringLiteral("plan_before"), workspace.value(QStringLiteral("plan"))}};
            context.message = QStringLiteral("checked");
            return {};
        };
        ActionPhase call;
        call.name = QStringLiteral("stripe");
        call.outside = [this](const ActionRequest &, QJsonObject *carried) -> DbError {
            ++calls;
            if (duringCall)
                duringCall();
            if (calls <= failCalls)
                return DbError::make(ErrorKind::Unavailable, QStringLiteral("Stripe did not answer."));
            carried->insert(QStringLiteral("subscription_status"), QStringLiteral("active"));
            return {};
        };
        ActionPhase apply;
        apply.name = QStringLiteral("apply");
        apply.inDatabase = [this](ActionContext &context) -> DbError {
            ++applies;
            QJsonObject workspace;
            if (DbError error = context.lockWorkspace(*context.request().workspaceId, &workspace))
                return error;
            // The row was let go during the call: check it again.
            if (workspace.value(QStringLiteral("version")) !=
                context.carried.value(QStringLiteral("version")))
                return DbError::make(ErrorKind::Conflict,
                                     QStringLiteral("The workspace changed while Stripe was called."));
            if (context.carried.value(QStringLiteral("subscription_status")).toString() !=
                QLatin1String("active"))
                return DbError::make(ErrorKind::Internal,
                                     QStringLiteral("The call's answer was not handed on."));
            return actions::runPlanChange(context);
        };
        return {check, call, apply};
    }
};

} // namespace

class TestPhasedActions : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void phases_noTransactionOrLockDuringTheCall_recordedAndAuditedOnce();
    void callFails_resumedWithSameId_finishedPhasesNotRepeated();
    void appliedAction_runAgain_nothingCalledOrChanged();
    void workspaceChangedDuringTheCall_conflictAndNoAudit();
    void sameIdWhileRunning_busyAndTheCallNotRepeated();
    void dryRun_checksOnlyNothingCalledOrRecorded();
    void phaseRecords_appendOnly();
    void phaseRecordsByLoginOutsideBeaconGroups_notTrustedNothingRun();
    void everyPhaseRecordedButNoAuditRow_errorNothingRun();

private:
    qint64 phaseCount(const ActionRequest &request)
    {
        return m_fixture
            ->value(QStringLiteral("SELECT count(*) FROM action_phases WHERE action_id = CAST(:id AS uuid)"),
                    {{QStringLiteral("id"), request.actionId.toString(QUuid::WithoutBraces)}})
            .toLongLong();
    }
    qint64 auditCountFor(const ActionRequest &request)
    {
        return m_fixture
            ->value(QStringLiteral("SELECT count(*) FROM audit_log WHERE action_id = CAST(:id AS uuid)"),
                    {{QStringLiteral("id"), request.actionId.toString(QUuid::WithoutBraces)}})
            .toLongLong();
    }
    QString plan(qint64 workspace)
    {
        return m_fixture
            ->value(QStringLiteral("SELECT plan FROM workspaces WHERE id = CAST(:w AS bigint)"),
                    {{QStringLiteral("w"), workspace}})
            .toString();
    }

    // Records phases `names` (seq 0, 1, …) of the request's action id as `login` would, on its own session.
    bool recordPhasesAs(const QString &login, const ActionRequest &request, const QStringList &names,
                        const QJsonObject &carried)
    {
        DbError error;
        auto session =
            Connection::open(m_fixture->database().spec(login), QStringLiteral("phase-writer"), &error);
        if (!session) {
            qWarning().noquote() << error.fullText();
            return false;
        }
        for (int seq = 0; seq < names.size(); ++seq) {
            QSqlQuery insert(session->database());
            insert.prepare(QStringLiteral(
                "INSERT INTO public.action_phases (action_id, seq, action, phase, carried) VALUES (CAST(:id "
                "AS "
                "uuid), CAST(:seq AS integer), 'plan-change', :phase, CAST(:carried AS jsonb))"));
            insert.bindValue(QStringLiteral(":id"), request.actionId.toString(QUuid::WithoutBraces));
            insert.bindValue(QStringLiteral(":seq"), seq);
            insert.bindValue(QStringLiteral(":phase"), names.at(seq));
            insert.bindValue(QStringLiteral(":carried"),
                             QString::fromUtf8(QJsonDocument(carried).toJson(QJsonDocument::Compact)));
            if (!insert.exec()) {
                qWarning().noquote() << insert.lastError().text();
                return false;
            }
        }
        return true;
    }

    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestPhasedActions::init()
{
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_phases"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestPhasedActions::cleanup()
{
    m_fixture.reset();
}

void TestPhasedActions::phases_noTransactionOrLockDuringTheCall_recordedAndAuditedOnce()
{
    const auto other = m_fixture->otherSession(QStringLiteral("other"));
    QVERIFY(other);
    const int enginePid = m_fixture->value(QStringLiteral("SELECT pg_backend_pid()")).toInt();
    PhasedPlanChange action;
    action.duringCall = [&] {
        // Another session can lock the workspace at once (NOWAIT fails with 55P03 if it is held)...
        QSqlQuery probe(other->database());
        probe.exec(QStringLiteral("BEGIN"));
        action.lockProbe =
            probe.exec(QStringLiteral("SELECT id FROM workspaces WHERE id = 1 FOR UPDATE NOWAIT"))
                ? QStringLiteral("locked")
                : probe.lastError().nativeErrorCode();
        probe.exec(QStringLiteral("ROLLBACK"));
        // ...and the engine's session has no transaction open.
        QSqlQuery state(other->database());
        state.prepare(QStringLiteral("SELECT state FROM pg_stat_activity WHERE pid = CAST(:pid AS integer)"));
        state.bindValue(QStringLiteral(":pid"), enginePid);
        action.sessionState = state.exec() && state.next() ? state.value(0).toString() : QStringLiteral("?");
    };
    const ActionRequest request = test::planChange(Roomy, QStringLiteral("business"));
    const ActionResult result = actions::runPhasedAction(m_fixture->db(), request, action.phases());
    QVERIFY_APPLIED(result);
    QCOMPARE(action.lockProbe, QStringLiteral("locked"));
    QCOMPARE(action.sessionState, QStringLiteral("idle"));
    QCOMPARE(action.checks, 1);
    QCOMPARE(action.calls, 1);
    QCOMPARE(action.applies, 1);
    QCOMPARE(plan(Roomy), QStringLiteral("business"));
    QCOMPARE(phaseCount(request), 3);
    QCOMPARE(auditCountFor(request), 1);
    // The one audit row is the plan change's, with its before and after.
    const QString problems = test::auditMismatch(m_fixture->lastAudit(), request, result,
                                                 QStringLiteral("workspace"), QString::number(Roomy), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    // What each phase handed on is recorded with it, for a resumed run.
    QCOMPARE(m_fixture
                 ->value(QStringLiteral("SELECT carried->>'subscription_status' FROM action_phases WHERE "
                                        "action_id = CAST(:id AS uuid) AND phase = 'stripe'"),
                         {{QStringLiteral("id"), request.actionId.toString(QUuid::WithoutBraces)}})
                 .toString(),
             QStringLiteral("active"));
}

void TestPhasedActions::callFails_resumedWithSameId_finishedPhasesNotRepeated()
{
    PhasedPlanChange action;
    action.failCalls = 1;
    const ActionRequest request = test::planChange(Roomy, QStringLiteral("business"));
    const ActionResult failed = actions::runPhasedAction(m_fixture->db(), request, action.phases());
    QCOMPARE(failed.error.kind, ErrorKind::Unavailable);
    QVERIFY2(failed.error.message.contains(request.actionId.toString(QUuid::WithoutBraces)),
             qPrintable(failed.error.message));
    QCOMPARE(plan(Roomy), QStringLiteral("team"));
    QCOMPARE(phaseCount(request), 1); // the check
    QCOMPARE(auditCountFor(request), 0);

    const ActionResult resumed = actions::runPhasedAction(m_fixture->db(), request, action.phases());
    QVERIFY_APPLIED(resumed);
    QVERIFY(!resumed.alreadyApplied);
    QCOMPARE(action.checks, 1); // not run again: its record and what it handed on were read back
    QCOMPARE(action.calls, 2);
    QCOMPARE(action.applies, 1);
    QCOMPARE(plan(Roomy), QStringLiteral("business"));
    QCOMPARE(phaseCount(request), 3);
    QCOMPARE(auditCountFor(request), 1);
}

void TestPhasedActions::appliedAction_runAgain_nothingCalledOrChanged()
{
    PhasedPlanChange action;
    const ActionRequest request = test::planChange(Roomy, QStringLiteral("business"));
    QVERIFY_APPLIED(actions::runPhasedAction(m_fixture->db(), request, action.phases()));
    const QString before = m_fixture->snapshot();
    const ActionResult again = actions::runPhasedAction(m_fixture->db(), request, action.phases());
    QVERIFY_APPLIED(again);
    QVERIFY(again.alreadyApplied);
    QCOMPARE(action.calls, 1);
    QCOMPARE(action.checks, 1);
    QCOMPARE(m_fixture->snapshot(), before);
    QCOMPARE(phaseCount(request), 3);
}

void TestPhasedActions::workspaceChangedDuringTheCall_conflictAndNoAudit()
{
    const auto other = m_fixture->otherSession(QStringLiteral("other"));
    QVERIFY(other);
    PhasedPlanChange action;
    action.duringCall = [&] {
        // A webhook-style update while the call is out: the version moves on.
        QSqlQuery update(other->database());
        update.exec(QStringLiteral("UPDATE workspaces SET read_only = true WHERE id = 1"));
    };
    const ActionRequest request = test::planChange(Roomy, QStringLiteral("business"));
    const ActionResult result = actions::runPhasedAction(m_fixture->db(), request, action.phases());
    QCOMPARE(result.error.kind, ErrorKind::Conflict);
    QCOMPARE(plan(Roomy), QStringLiteral("team"));
    QCOMPARE(phaseCount(request), 2); // check and call are done and recorded; apply is not
    QCOMPARE(auditCountFor(request), 0);
}

void TestPhasedActions::sameIdWhileRunning_busyAndTheCallNotRepeated()
{
    const auto second = m_fixture->otherSession(QStringLiteral("other"));
    QVERIFY(second);
    PhasedPlanChange action;
    PhasedPlanChange duplicate;
    const ActionRequest request = test::planChange(Roomy, QStringLiteral("business"));
    ActionResult secondResult;
    action.duringCall = [&] {
        // A double submit while the first run waits for the network.
        secondResult = actions::runPhasedAction(second->database(), request, duplicate.phases());
    };
    const ActionResult first = actions::runPhasedAction(m_fixture->db(), request, action.phases());
    QVERIFY_APPLIED(first);
    QCOMPARE(secondResult.error.kind, ErrorKind::Busy);
    QCOMPARE(duplicate.checks + duplicate.calls + duplicate.applies, 0);
    QCOMPARE(auditCountFor(request), 1);
    // Once the first is done, the same id reports its outcome.
    const ActionResult after = actions::runPhasedAction(second->database(), request, duplicate.phases());
    QVERIFY_APPLIED(after);
    QVERIFY(after.alreadyApplied);
}

void TestPhasedActions::dryRun_checksOnlyNothingCalledOrRecorded()
{
    PhasedPlanChange action;
    ActionRequest request = test::planChange(Roomy, QStringLiteral("business"));
    request.dryRun = true;
    const QString before = m_fixture->snapshot();
    const ActionResult result = actions::runPhasedAction(m_fixture->db(), request, action.phases());
    QVERIFY_APPLIED(result);
    QCOMPARE(result.preview.value(QStringLiteral("plan_before")).toString(), QStringLiteral("team"));
    QCOMPARE(action.checks, 1);
    QCOMPARE(action.calls, 0);
    QCOMPARE(phaseCount(request), 0);
    QCOMPARE(auditCountFor(request), 0);
    QCOMPARE(m_fixture->snapshot(), before);
}

void TestPhasedActions::phaseRecords_appendOnly()
{
    PhasedPlanChange action;
    const ActionRequest request = test::planChange(Roomy, QStringLiteral("business"));
    QVERIFY_APPLIED(actions::runPhasedAction(m_fixture->db(), request, action.phases()));
    for (const QString &statement :
         {QStringLiteral("UPDATE action_phases SET phase = 'x'"), QStringLiteral("DELETE FROM action_phases"),
          QStringLiteral("TRUNCATE action_phases")}) {
        QSqlQuery query(m_fixture->db());
        QVERIFY2(!query.exec(statement), qPrintable(statement));
        QCOMPARE(query.lastError().nativeErrorCode(), QStringLiteral("BE002"));
    }
    QCOMPARE(phaseCount(request), 3);
}

void TestPhasedActions::phaseRecordsByLoginOutsideBeaconGroups_notTrustedNothingRun()
{
    // A login outside the Beacon groups that can insert into action_phases (a backend login granted it by
    // mistake; the owner) records "check" and "stripe" as done, so that a run would skip to "apply" without
    // its checks or its Stripe call.
    auto &fixture = *m_fixture;
    const QString forger = fixture.database().createLogin(QStringLiteral("beacon_support"));
    QVERIFY(!forger.isEmpty());
    // Identifiers from the test's own database name (createLogin()).
    QVERIFY(fixture.exec(QStringLiteral("REVOKE beacon_support FROM %1").arg(forger)));
    QVERIFY(fixture.exec(QStringLiteral("GRANT USAGE ON SCHEMA public TO %1").arg(forger)));
    QVERIFY(fixture.exec(QStringLiteral("GRANT INSERT ON public.action_phases TO %1").arg(forger)));
    const ActionRequest request = test::planChange(Roomy, QStringLiteral("business"));
    const QJsonObject carried{{QStringLiteral("version"), fixture.version(Roomy)},
                              {QStringLiteral("plan_before"), QStringLiteral("team")},
                              {QStringLiteral("subscription_status"), QStringLiteral("active")}};
    QVERIFY(recordPhasesAs(forger, request, {QStringLiteral("check"), QStringLiteral("stripe")}, carried));
    QCOMPARE(phaseCount(request), 2);

    PhasedPlanChange action;
    const ActionResult result = actions::runPhasedAction(fixture.db(), request, action.phases());
    QVERIFY(fixture.exec(QStringLiteral("REVOKE INSERT ON public.action_phases FROM %1").arg(forger)));
    QVERIFY(fixture.exec(QStringLiteral("REVOKE USAGE ON SCHEMA public FROM %1").arg(forger)));
    QVERIFY2(!result.ok(), qPrintable(test::describe(result)));
    QCOMPARE(result.error.kind, ErrorKind::Conflict);
    QVERIFY2(result.error.message.contains(forger) &&
                 result.error.message.contains(QLatin1String("not in a "
                                                             "Beacon group")),
             qPrintable(result.error.message));
    QCOMPARE(action.applies, 0);
    QCOMPARE(action.calls, 0);
    QCOMPARE(plan(Roomy), QStringLiteral("team"));
    QCOMPARE(auditCountFor(request), 0);
}

void TestPhasedActions::everyPhaseRecordedButNoAuditRow_errorNothingRun()
{
    // A Beacon login's records say the action finished, and the audit log has no row for it.
    auto &fixture = *m_fixture;
    const QString admin = fixture.database().createLogin(QStringLiteral("beacon_admin"));
    QVERIFY(!admin.isEmpty());
    const ActionRequest request = test::planChange(Roomy, QStringLiteral("business"));
    QVERIFY(recordPhasesAs(admin, request,
                           {QStringLiteral("check"), QStringLiteral("stripe"), QStringLiteral("apply")},
                           QJsonObject{{QStringLiteral("version"), fixture.version(Roomy)}}));
    PhasedPlanChange action;
    const ActionResult result = actions::runPhasedAction(fixture.db(), request, action.phases());
    QVERIFY2(!result.ok(), qPrintable(test::describe(result)));
    QCOMPARE(result.error.kind, ErrorKind::Internal);
    QVERIFY2(result.error.message.contains(QLatin1String("audit record is missing")) &&
                 result.error.message.contains(request.actionId.toString(QUuid::WithoutBraces)),
             qPrintable(result.error.message));
    QCOMPARE(action.checks + action.calls + action.applies, 0);
    QCOMPARE(plan(Roomy), QStringLiteral("team"));
}

QTEST_GUILESS_MAIN(TestPhasedActions)
#include "tst_actions_phases.moc"
