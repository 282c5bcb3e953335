// The engine's promise about action ids (app/core/actions/actionengine.h), against the real server: an
// action id is applied once, a retry with it reports the first outcome even after later changes, the id
// reused for another action, target or parameters is a conflict (exit 5) with nothing written and words that
// say what it was used for, the request's fingerprint is what is compared, a refusal or a dry run does not
// claim it, and the same request goes through once the data allows it.
#include "actionfixture.h"
#include "actionrequests.h"

#include "actions/actionengine.h"

#include <QCryptographicHash>
#include <QJsonDocument>

using namespace beacon;
using namespace beacon::test;
using namespace beacon::test::seeded;
using beacon::actions::ActionRequest;
using beacon::actions::ActionResult;

class TestActionIds : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void sameActionIdTwice_appliedOnceAndFirstOutcomeReported();
    void sameActionIdAfterLaterChange_notAppliedAgain();
    void sameActionIdForOtherAction_conflictNothingWritten();
    void sameActionIdOtherParameters_conflictNothingWritten_data();
    void sameActionIdOtherParameters_conflictNothingWritten();
    void auditRow_recordsFingerprintOfActionAndParameters();
    void recordedFingerprintDiffers_conflictEvenWithSameParameters();
    void sameActionIdAfterRefusal_appliedOnceDataAllows();
    void dryRunThenSameActionId_appliedForReal();

private:
    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestActionIds::init()
{
    // A fresh copy for every test: each one starts from the picture in actionfixture.h.
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_ids"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestActionIds::cleanup()
{
    m_fixture.reset();
}

void TestActionIds::sameActionIdTwice_appliedOnceAndFirstOutcomeReported()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const ActionRequest request = memberAdd(Roomy, Fay);
    const ActionResult first = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(first);
    QVERIFY(!first.alreadyApplied);
    const QString afterFirst = fixture.snapshot();

    const ActionResult second = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(second);
    QVERIFY(second.alreadyApplied);
    QCOMPARE(second.outcome(), QStringLiteral("already-applied"));
    QCOMPARE(second.exitCode(), 0);
    QCOMPARE(second.before, first.before);
    QCOMPARE(second.after, first.after);
    QCOMPARE(second.actionId, request.actionId);
    QCOMPARE(fixture.snapshot(), afterFirst);
    QCOMPARE(fixture.auditCount(), audits + 1);
}

void TestActionIds::sameActionIdAfterLaterChange_notAppliedAgain()
{
    auto &fixture = *m_fixture;
    // Roomy goes to starter, then someone else moves it to business; a retry of the first action must not
    // put it back on starter.
    const ActionRequest toStarter = planChange(Roomy, QStringLiteral("starter"));
    const ActionResult first = actions::runAction(fixture.db(), toStarter);
    QVERIFY_APPLIED(first);
    QVERIFY_APPLIED(actions::runAction(fixture.db(), planChange(Roomy, QStringLiteral("business"))));
    const QString beforeRetry = fixture.snapshot();

    const ActionResult retry = actions::runAction(fixture.db(), toStarter);
    QVERIFY_APPLIED(retry);
    QVERIFY(retry.alreadyApplied);
    QCOMPARE(fixture.value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("business"));
    QCOMPARE(fixture.snapshot(), beforeRetry);
    // What is reported is the first outcome, not the current state.
    QCOMPARE(retry.after.toObject().value(QStringLiteral("plan")).toString(), QStringLiteral("starter"));
    QCOMPARE(retry.after, first.after);
}

void TestActionIds::sameActionIdForOtherAction_conflictNothingWritten()
{
    auto &fixture = *m_fixture;
    const ActionRequest request = memberAdd(Roomy, Fay);
    QVERIFY_APPLIED(actions::runAction(fixture.db(), request));
    ActionRequest other = memberRole(Roomy, Cy, QStringLiteral("admin"));
    other.actionId = request.actionId;
    const QString problems =
        test::runExpectingFailure(fixture, other, ErrorKind::Conflict,
                                  QStringLiteral("was already used for a different request (member-add"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QCOMPARE(fixture.role(Roomy, Cy), QStringLiteral("member"));
    const ActionResult result = actions::runAction(fixture.db(), other);
    QCOMPARE(result.exitCode(), 5);
    QCOMPARE(result.outcome(), QStringLiteral("conflict"));
    QVERIFY2(result.error.message.contains(QLatin1String("new action id")), qPrintable(result.error.message));
}

void TestActionIds::sameActionIdOtherParameters_conflictNothingWritten_data()
{
    QTest::addColumn<ActionRequest>("first");
    QTest::addColumn<ActionRequest>("other");
    const auto pair = [](const char *name, const ActionRequest &first, ActionRequest other) {
        other.actionId = first.actionId;
        QTest::newRow(name) << first << other;
    };
    pair("plan-change, another plan", planChange(Roomy, QStringLiteral("starter")),
         planChange(Roomy, QStringLiteral("business")));
    pair("plan-change, another workspace", planChange(Roomy, QStringLiteral("starter")),
         planChange(Shared, QStringLiteral("starter")));
    pair("member-role, another role", memberRole(Roomy, Cy, QStringLiteral("admin")),
         memberRole(Roomy, Cy, QStringLiteral("viewer")));
    pair("read-only, on then off", readOnly(Roomy, true), readOnly(Roomy, false));
    pair("exports-purge, another limit", exportsPurge(30, 1000), exportsPurge(30, 2));
}

void TestActionIds::sameActionIdOtherParameters_conflictNothingWritten()
{
    // As Stripe does with an idempotency key: the same id is a retry of the same request, never another one.
    QFETCH(ActionRequest, first);
    QFETCH(ActionRequest, other);
    auto &fixture = *m_fixture;
    QVERIFY_APPLIED(actions::runAction(fixture.db(), first));
    const QString problems =
        test::runExpectingFailure(fixture, other, ErrorKind::Conflict,
                                  QStringLiteral("was already used for a different request (%1 with")
                                      .arg(actions::actionName(first.kind)));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    // The same request again is still a retry, reported as already applied.
    ActionRequest retry = first;
    retry.reason = QStringLiteral("retried with other words");
    const ActionResult again = actions::runAction(fixture.db(), retry);
    QVERIFY_APPLIED(again);
    QVERIFY(again.alreadyApplied);
}

void TestActionIds::auditRow_recordsFingerprintOfActionAndParameters()
{
    auto &fixture = *m_fixture;
    const ActionRequest request = memberRole(Roomy, Cy, QStringLiteral("admin"));
    QVERIFY_APPLIED(actions::runAction(fixture.db(), request));
    const QJsonObject client = fixture.lastAudit().value(QStringLiteral("client")).toObject();
    // Computed here from its definition, not by the function under test: SHA-256 of the canonical JSON.
    const QByteArray canonical =
        QJsonDocument(QJsonObject{{QStringLiteral("action"), QStringLiteral("member-role")},
                                  {QStringLiteral("parameters"),
                                   QJsonObject{{QStringLiteral("workspace"), QString::number(Roomy)},
                                               {QStringLiteral("user"), QString::number(Cy)},
                                               {QStringLiteral("role"), QStringLiteral("admin")}}}})
            .toJson(QJsonDocument::Compact);
    QCOMPARE(client.value(QStringLiteral("request_fingerprint")).toString(),
             QString::fromLatin1(QCryptographicHash::hash(canonical, QCryptographicHash::Sha256).toHex()));
}

void TestActionIds::recordedFingerprintDiffers_conflictEvenWithSameParameters()
{
    // The fingerprint decides, not the readable copy of the parameters beside it: a row whose fingerprint
    // belongs to another request is another request.
    auto &fixture = *m_fixture;
    const ActionRequest request = quotaRepair(Drifted);
    QVERIFY(fixture.exec(
        QStringLiteral(
            "INSERT INTO audit_log (actor, action, action_id, target_type, target_id, reason, client) "
            "VALUES ('someone', 'quota-repair', CAST(:id AS uuid), 'workspace', '4', 'earlier', "
            "jsonb_build_object('request', jsonb_build_object('workspace', '4'), "
            "'request_fingerprint', repeat('0', 64)))"),
        {{QStringLiteral("id"), request.actionId.toString(QUuid::WithoutBraces)}}));
    const QString problems = test::runExpectingFailure(
        fixture, request, ErrorKind::Conflict, QStringLiteral("already used for a different request"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestActionIds::sameActionIdAfterRefusal_appliedOnceDataAllows()
{
    auto &fixture = *m_fixture;
    // A refusal leaves no trace of its id, so the same request may go through once the data allows it.
    const ActionRequest request = memberAdd(Crowded, Fay);
    QCOMPARE(actions::runAction(fixture.db(), request).error.kind, ErrorKind::Refused);
    QVERIFY_APPLIED(actions::runAction(fixture.db(), planChange(Crowded, QStringLiteral("starter"))));
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QVERIFY(!result.alreadyApplied);
    QCOMPARE(fixture.role(Crowded, Fay), QStringLiteral("member"));
}

void TestActionIds::dryRunThenSameActionId_appliedForReal()
{
    auto &fixture = *m_fixture;
    ActionRequest request = projectDelete(LaunchProject);
    request.dryRun = true;
    QVERIFY_APPLIED(actions::runAction(fixture.db(), request));
    // The preview must not have claimed the id: the real run with it is applied, not "already applied".
    request.dryRun = false;
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QVERIFY(!result.alreadyApplied);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM projects WHERE id = 10")).toInt(), 0);
    QCOMPARE(fixture.storageUsed(Roomy), RoomyBytes - 3000);
}

QTEST_GUILESS_MAIN(TestActionIds)
#include "tst_actions_ids.moc"
