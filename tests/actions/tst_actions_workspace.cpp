// The actions on one workspace row (plan-change, read-only, quota-repair), each against the real server:
// the rows they leave and the one audit row they write, and every refusal, which must write nothing.
#include "actionfixture.h"

#include "actions/actionengine.h"

#include <QJsonArray>

using namespace beacon;
using namespace beacon::test::seeded;
using beacon::actions::ActionKind;
using beacon::actions::ActionRequest;
using beacon::actions::ActionResult;

class TestWorkspaceActions : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void planChange_downgradeToExactMemberLimit_appliedAndAudited();
    void planChange_upgrade_newLimitsApplyToTheTeam();
    void planChange_overQuotaAllowed_appliedAndMadeReadOnly();
    void planChange_allowOverQuotaWithinQuota_staysWritable();
    void readOnly_onThenOff_eachAppliedAndAudited();
    void quotaRepair_drift_counterSetFromFilesAndDeltaRecorded();
    void quotaRepair_noDrift_counterUntouchedAndZeroDeltaRecorded();
    void refusal_nothingWritten_data();
    void refusal_nothingWritten();

private:
    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestWorkspaceActions::init()
{
    // A fresh copy for every test: each one starts from the picture in actionfixture.h.
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_ws"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestWorkspaceActions::cleanup()
{
    m_fixture.reset();
}

static ActionRequest planChange(qint64 workspace, const QString &plan)
{
    ActionRequest request = test::actionRequest(ActionKind::PlanChange);
    request.workspaceId = workspace;
    request.plan = plan;
    return request;
}

static ActionRequest readOnly(qint64 workspace, std::optional<bool> on)
{
    ActionRequest request = test::actionRequest(ActionKind::ReadOnly);
    request.workspaceId = workspace;
    request.readOnly = on;
    return request;
}

static ActionRequest quotaRepair(std::optional<qint64> workspace)
{
    ActionRequest request = test::actionRequest(ActionKind::QuotaRepair);
    request.workspaceId = workspace;
    return request;
}

void TestWorkspaceActions::planChange_downgradeToExactMemberLimit_appliedAndAudited()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    // Roomy has 5 members, and starter allows exactly 5: the new plan admits the team.
    const ActionRequest request = planChange(Roomy, QStringLiteral("starter"));
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(result.outcome(), QStringLiteral("applied"));
    QCOMPARE(result.attempts, 1);

    const QJsonObject row =
        fixture.object(QStringLiteral("SELECT to_jsonb(w) FROM workspaces w WHERE id = 1"));
    QCOMPARE(row.value(QStringLiteral("plan")).toString(), QStringLiteral("starter"));
    QCOMPARE(row.value(QStringLiteral("read_only")).toBool(), false);
    QCOMPARE(row.value(QStringLiteral("version")).toInteger(), 2);
    // Nothing else moved: the other workspaces keep their plans.
    QCOMPARE(
        fixture.value(QStringLiteral("SELECT string_agg(plan, ',' ORDER BY id) FROM workspaces")).toString(),
        QStringLiteral("starter,free,starter,team,team,free"));

    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("workspace"),
                                                 QString::number(Roomy), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    const QJsonObject before = audit.value(QStringLiteral("before")).toObject();
    const QJsonObject after = audit.value(QStringLiteral("after")).toObject();
    QCOMPARE(before.value(QStringLiteral("plan")).toString(), QStringLiteral("team"));
    QCOMPARE(before.value(QStringLiteral("version")).toInteger(), 1);
    QCOMPARE(after.value(QStringLiteral("plan")).toString(), QStringLiteral("starter"));
    QCOMPARE(after.value(QStringLiteral("version")).toInteger(), 2);
    QCOMPARE(after, row);

    QCOMPARE(result.preview.value(QStringLiteral("members_before")).toInteger(), 5);
    QCOMPARE(result.preview.value(QStringLiteral("members_after")).toInteger(), 5);
    const QJsonObject limits = result.preview.value(QStringLiteral("new_limits")).toObject();
    QCOMPARE(limits.value(QStringLiteral("max_members")).toInteger(), 5);
    QCOMPARE(limits.value(QStringLiteral("storage_quota_bytes")).toInteger(), 10 * GiB);
}

void TestWorkspaceActions::planChange_upgrade_newLimitsApplyToTheTeam()
{
    auto &fixture = *m_fixture;
    // Crowded is full on free (3 of 3); on starter it has two free seats, which member-add then uses.
    const ActionResult result =
        actions::runAction(fixture.db(), planChange(Crowded, QStringLiteral("starter")));
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 2")).toString(),
             QStringLiteral("starter"));
    ActionRequest add = test::actionRequest(ActionKind::MemberAdd);
    add.workspaceId = Crowded;
    add.userId = Fay;
    add.role = QStringLiteral("member");
    const ActionResult added = actions::runAction(fixture.db(), add);
    QVERIFY_APPLIED(added);
    QCOMPARE(fixture.role(Crowded, Fay), QStringLiteral("member"));
}

void TestWorkspaceActions::planChange_overQuotaAllowed_appliedAndMadeReadOnly()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    // Heavy stores 5 GiB; free allows 1 GiB. Allowed anyway, the workspace must stop growing.
    ActionRequest request = planChange(Heavy, QStringLiteral("free"));
    request.allowOverQuota = true;
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    const QJsonObject row =
        fixture.object(QStringLiteral("SELECT to_jsonb(w) FROM workspaces w WHERE id = 3"));
    QCOMPARE(row.value(QStringLiteral("plan")).toString(), QStringLiteral("free"));
    QCOMPARE(row.value(QStringLiteral("read_only")).toBool(), true);
    // The bytes are not touched: the plan changes, the data stays.
    QCOMPARE(fixture.storageUsed(Heavy), 5 * GiB);
    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("workspace"),
                                                 QString::number(Heavy), Heavy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QCOMPARE(audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("read_only")).toBool(),
             false);
    QCOMPARE(audit.value(QStringLiteral("after")).toObject().value(QStringLiteral("read_only")).toBool(),
             true);
    QCOMPARE(result.preview.value(QStringLiteral("read_only_after")).toBool(), true);
    QVERIFY2(result.message.contains(QLatin1String("read-only")), qPrintable(result.message));
}

void TestWorkspaceActions::planChange_allowOverQuotaWithinQuota_staysWritable()
{
    auto &fixture = *m_fixture;
    // The flag only permits going over; a workspace that fits the new quota must stay writable.
    ActionRequest request = planChange(Roomy, QStringLiteral("business"));
    request.allowOverQuota = true;
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.value(QStringLiteral("SELECT read_only FROM workspaces WHERE id = 1")).toBool(), false);
    QCOMPARE(fixture.value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("business"));
}

void TestWorkspaceActions::readOnly_onThenOff_eachAppliedAndAudited()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const ActionRequest on = readOnly(Roomy, true);
    const ActionResult onResult = actions::runAction(fixture.db(), on);
    QVERIFY_APPLIED(onResult);
    QCOMPARE(fixture.value(QStringLiteral("SELECT read_only FROM workspaces WHERE id = 1")).toBool(), true);
    QCOMPARE(fixture.auditCount(), audits + 1);
    QJsonObject audit = fixture.lastAudit();
    QString problems =
        test::auditMismatch(audit, on, onResult, QStringLiteral("workspace"), QString::number(Roomy), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QCOMPARE(audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("read_only")).toBool(),
             false);
    QCOMPARE(audit.value(QStringLiteral("after")).toObject().value(QStringLiteral("read_only")).toBool(),
             true);

    const ActionRequest off = readOnly(Roomy, false);
    const ActionResult offResult = actions::runAction(fixture.db(), off);
    QVERIFY_APPLIED(offResult);
    QCOMPARE(fixture.value(QStringLiteral("SELECT read_only FROM workspaces WHERE id = 1")).toBool(), false);
    QCOMPARE(fixture.auditCount(), audits + 2);
    audit = fixture.lastAudit();
    problems = test::auditMismatch(audit, off, offResult, QStringLiteral("workspace"), QString::number(Roomy),
                                   Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QCOMPARE(audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("read_only")).toBool(),
             true);
    QCOMPARE(audit.value(QStringLiteral("after")).toObject().value(QStringLiteral("read_only")).toBool(),
             false);
    // Two changes, two versions.
    QCOMPARE(fixture.version(Roomy), 3);
}

void TestWorkspaceActions::quotaRepair_drift_counterSetFromFilesAndDeltaRecorded()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    // Drifted's counter says 9,999 bytes; its files hold 1,500.
    const ActionRequest request = quotaRepair(Drifted);
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.storageUsed(Drifted), 1500);
    QCOMPARE(fixture.version(Drifted), 2);
    // The other counters are not recomputed.
    QCOMPARE(fixture.storageUsed(Roomy), RoomyBytes);
    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("workspace"),
                                                 QString::number(Drifted), Drifted);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    const QJsonObject before = audit.value(QStringLiteral("before")).toObject();
    const QJsonObject after = audit.value(QStringLiteral("after")).toObject();
    QCOMPARE(before.value(QStringLiteral("storage_used_bytes")).toInteger(), 9999);
    QCOMPARE(after.value(QStringLiteral("storage_used_bytes")).toInteger(), 1500);
    QCOMPARE(after.value(QStringLiteral("delta_bytes")).toInteger(), -8499);
    QCOMPARE(after.value(QStringLiteral("files")).toInteger(), 2);
}

void TestWorkspaceActions::quotaRepair_noDrift_counterUntouchedAndZeroDeltaRecorded()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const ActionRequest request = quotaRepair(Roomy);
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    // No write when the counter is right: the version stays, and live views are not told of a change.
    QCOMPARE(fixture.version(Roomy), 1);
    QCOMPARE(fixture.storageUsed(Roomy), RoomyBytes);
    // The check itself is recorded, with a delta of zero.
    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("workspace"),
                                                 QString::number(Roomy), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QCOMPARE(
        audit.value(QStringLiteral("after")).toObject().value(QStringLiteral("delta_bytes")).toInteger(-1),
        0);
}

void TestWorkspaceActions::refusal_nothingWritten_data()
{
    QTest::addColumn<ActionRequest>("request");
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<QString>("words");

    QTest::newRow("plan-change: unknown plan")
        << planChange(Roomy, QStringLiteral("platinum")) << ErrorKind::Refused
        << QStringLiteral("There is no plan \"platinum\". The plans are: free, starter, team, business, "
                          "enterprise");
    QTest::newRow("plan-change: no such workspace")
        << planChange(NoSuchWorkspace, QStringLiteral("starter")) << ErrorKind::Refused
        << QStringLiteral("Workspace 999 does not exist");
    QTest::newRow("plan-change: already on the plan")
        << planChange(Roomy, QStringLiteral("team")) << ErrorKind::Refused
        << QStringLiteral("already on the team plan");
    QTest::newRow("plan-change: too many members for the new plan")
        << planChange(Roomy, QStringLiteral("free")) << ErrorKind::Refused
        << QStringLiteral("has 5 members, and the free plan allows 3. Remove 2 members first");
    QTest::newRow("plan-change: over the new quota")
        << planChange(Heavy, QStringLiteral("free")) << ErrorKind::Refused
        << QStringLiteral("--allow-over-quota");
    QTest::newRow("plan-change: no plan given")
        << planChange(Roomy, QStringLiteral(" ")) << ErrorKind::Usage << QStringLiteral("--plan CODE");
    ActionRequest noWorkspace = planChange(Roomy, QStringLiteral("starter"));
    noWorkspace.workspaceId.reset();
    QTest::newRow("plan-change: no workspace given")
        << noWorkspace << ErrorKind::Usage << QStringLiteral("--workspace ID");

    QTest::newRow("read-only: already read-only")
        << readOnly(Solo, true) << ErrorKind::Refused << QStringLiteral("already read-only");
    QTest::newRow("read-only: already writable")
        << readOnly(Roomy, false) << ErrorKind::Refused << QStringLiteral("already writable");
    QTest::newRow("read-only: no such workspace")
        << readOnly(NoSuchWorkspace, true) << ErrorKind::Refused << QStringLiteral("does not exist");
    QTest::newRow("read-only: neither on nor off")
        << readOnly(Roomy, std::nullopt) << ErrorKind::Usage << QStringLiteral("--on or --off");

    QTest::newRow("quota-repair: no such workspace")
        << quotaRepair(NoSuchWorkspace) << ErrorKind::Refused << QStringLiteral("does not exist");
    QTest::newRow("quota-repair: no workspace given")
        << quotaRepair(std::nullopt) << ErrorKind::Usage << QStringLiteral("--workspace ID");
}

void TestWorkspaceActions::refusal_nothingWritten()
{
    QFETCH(ActionRequest, request);
    QFETCH(ErrorKind, kind);
    QFETCH(QString, words);
    const QString problems = test::runExpectingFailure(*m_fixture, request, kind, words);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

QTEST_GUILESS_MAIN(TestWorkspaceActions)
#include "tst_actions_workspace.moc"
