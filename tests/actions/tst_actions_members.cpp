// The actions on memberships (member-add, member-remove, member-role) and user-merge, each against the real
// server: the rows they leave and the one audit row they write, and every refusal, which must write nothing.
#include "actionfixture.h"

#include "actions/actionengine.h"

#include <QJsonArray>
#include <QSqlError>
#include <QSqlQuery>

using namespace beacon;
using namespace beacon::test::seeded;
using beacon::actions::ActionKind;
using beacon::actions::ActionRequest;
using beacon::actions::ActionResult;

class TestMemberActions : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void memberAdd_byId_memberInsertedAndAudited();
    void memberAdd_byEmailOfOtherCase_thatUserAdded();
    void memberRemove_member_rowDeletedAndAudited();
    void memberRemove_ownerWithAnotherOwner_removed();
    void memberRole_promote_roleChangedAndAudited();
    void memberRole_demoteOwnerWithAnotherOwner_changed();
    void userMerge_duplicate_membershipsMovedStrongerRoleKeptAndDisabled();
    void userMerge_keptUsersOwnWorkspaceLocked_waitsForItBeforeAnyMembership();
    void refusal_nothingWritten_data();
    void refusal_nothingWritten();

private:
    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestMemberActions::init()
{
    // A fresh copy for every test: each one starts from the picture in actionfixture.h.
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_members"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestMemberActions::cleanup()
{
    m_fixture.reset();
}

static ActionRequest memberAdd(qint64 workspace, std::optional<qint64> user, const QString &role,
                               const QString &email = {})
{
    ActionRequest request = test::actionRequest(ActionKind::MemberAdd);
    request.workspaceId = workspace;
    request.userId = user;
    request.userEmail = email;
    request.role = role;
    return request;
}

static ActionRequest memberRemove(qint64 workspace, std::optional<qint64> user)
{
    ActionRequest request = test::actionRequest(ActionKind::MemberRemove);
    request.workspaceId = workspace;
    request.userId = user;
    return request;
}

static ActionRequest memberRole(qint64 workspace, std::optional<qint64> user, const QString &role)
{
    ActionRequest request = test::actionRequest(ActionKind::MemberRole);
    request.workspaceId = workspace;
    request.userId = user;
    request.role = role;
    return request;
}

static ActionRequest userMerge(std::optional<qint64> keep, std::optional<qint64> merge)
{
    ActionRequest request = test::actionRequest(ActionKind::UserMerge);
    request.keepUserId = keep;
    request.mergeUserId = merge;
    return request;
}

static QString membershipId(qint64 workspace, qint64 user)
{
    return QStringLiteral("%1/%2").arg(workspace).arg(user);
}

void TestMemberActions::memberAdd_byId_memberInsertedAndAudited()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const ActionRequest request = memberAdd(Roomy, Fay, QStringLiteral("member"));
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.role(Roomy, Fay), QStringLiteral("member"));
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM memberships WHERE workspace_id = 1")).toInt(),
             6);

    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("membership"),
                                                 membershipId(Roomy, Fay), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QVERIFY(audit.value(QStringLiteral("before")).isNull());
    const QJsonObject after = audit.value(QStringLiteral("after")).toObject();
    QCOMPARE(after.value(QStringLiteral("workspace_id")).toInteger(), Roomy);
    QCOMPARE(after.value(QStringLiteral("user_id")).toInteger(), Fay);
    QCOMPARE(after.value(QStringLiteral("role")).toString(), QStringLiteral("member"));

    QCOMPARE(result.preview.value(QStringLiteral("members_before")).toInteger(), 5);
    QCOMPARE(result.preview.value(QStringLiteral("members_after")).toInteger(), 6);
    QCOMPARE(result.preview.value(QStringLiteral("max_members")).toInteger(), 25);
}

void TestMemberActions::memberAdd_byEmailOfOtherCase_thatUserAdded()
{
    auto &fixture = *m_fixture;
    // Sign-in treats e-mail case-insensitively, and so does the lookup.
    const ActionRequest request =
        memberAdd(Roomy, std::nullopt, QStringLiteral("viewer"), QStringLiteral(" EVE@Example.TEST "));
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.role(Roomy, Eve), QStringLiteral("viewer"));
    // The audit names the user by id, whatever the person typed.
    const QString problems = test::auditMismatch(
        fixture.lastAudit(), request, result, QStringLiteral("membership"), membershipId(Roomy, Eve), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestMemberActions::memberRemove_member_rowDeletedAndAudited()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const ActionRequest request = memberRemove(Roomy, Cy);
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QVERIFY(fixture.role(Roomy, Cy).isEmpty());
    // Only that membership: Cy stays in Crowded.
    QCOMPARE(fixture.role(Crowded, Cy), QStringLiteral("viewer"));
    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("membership"),
                                                 membershipId(Roomy, Cy), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QCOMPARE(audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("role")).toString(),
             QStringLiteral("member"));
    QVERIFY(audit.value(QStringLiteral("after")).isNull());
    QCOMPARE(result.preview.value(QStringLiteral("members_before")).toInteger(), 5);
    QCOMPARE(result.preview.value(QStringLiteral("members_after")).toInteger(), 4);
}

void TestMemberActions::memberRemove_ownerWithAnotherOwner_removed()
{
    auto &fixture = *m_fixture;
    // Shared has two owners: removing one leaves Eve in charge.
    const ActionResult result = actions::runAction(fixture.db(), memberRemove(Shared, Ada));
    QVERIFY_APPLIED(result);
    QVERIFY(fixture.role(Shared, Ada).isEmpty());
    QCOMPARE(fixture.role(Shared, Eve), QStringLiteral("owner"));
    // Now Eve is the last owner, and stays.
    const QString problems = test::runExpectingFailure(fixture, memberRemove(Shared, Eve), ErrorKind::Refused,
                                                       QStringLiteral("last owner"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestMemberActions::memberRole_promote_roleChangedAndAudited()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const ActionRequest request = memberRole(Roomy, Cy, QStringLiteral("admin"));
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.role(Roomy, Cy), QStringLiteral("admin"));
    QCOMPARE(fixture.role(Crowded, Cy), QStringLiteral("viewer"));
    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("membership"),
                                                 membershipId(Roomy, Cy), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QCOMPARE(audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("role")).toString(),
             QStringLiteral("member"));
    QCOMPARE(audit.value(QStringLiteral("after")).toObject().value(QStringLiteral("role")).toString(),
             QStringLiteral("admin"));
}

void TestMemberActions::memberRole_demoteOwnerWithAnotherOwner_changed()
{
    auto &fixture = *m_fixture;
    const ActionResult result =
        actions::runAction(fixture.db(), memberRole(Shared, Eve, QStringLiteral("member")));
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.role(Shared, Eve), QStringLiteral("member"));
    // Ada is now the only owner of Shared and cannot step down.
    const QString problems =
        test::runExpectingFailure(fixture, memberRole(Shared, Ada, QStringLiteral("viewer")),
                                  ErrorKind::Refused, QStringLiteral("last owner"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestMemberActions::userMerge_duplicate_membershipsMovedStrongerRoleKeptAndDisabled()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    // Ada's duplicate is a member of Roomy (Ada: owner), admin of Drifted (Ada: viewer) and owner of Solo.
    const ActionRequest request = userMerge(Ada, AdaDuplicate);
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);

    QCOMPARE(fixture.role(Roomy, Ada), QStringLiteral("owner"));   // hers was the stronger role
    QCOMPARE(fixture.role(Drifted, Ada), QStringLiteral("admin")); // the duplicate's was
    QCOMPARE(fixture.role(Solo, Ada), QStringLiteral("owner"));    // moved
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM memberships WHERE user_id = 6")).toInt(), 0);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM memberships WHERE workspace_id = 1")).toInt(),
             4);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM memberships WHERE workspace_id = 4")).toInt(),
             2);
    QCOMPARE(fixture.value(QStringLiteral("SELECT disabled_at IS NOT NULL FROM users WHERE id = 6")).toBool(),
             true);
    QCOMPARE(fixture.value(QStringLiteral("SELECT disabled_at IS NULL FROM users WHERE id = 1")).toBool(),
             true);
    // Nobody else's memberships moved.
    QCOMPARE(fixture.role(Drifted, Dee), QStringLiteral("owner"));

    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    // A merge spans workspaces, so its audit row names none.
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("user"),
                                                 QString::number(AdaDuplicate), std::nullopt);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    const QJsonObject before = audit.value(QStringLiteral("before")).toObject();
    const QJsonObject after = audit.value(QStringLiteral("after")).toObject();
    QCOMPARE(before.value(QStringLiteral("merged_memberships")).toArray().size(), 3);
    QCOMPARE(before.value(QStringLiteral("kept_memberships")).toArray().size(), 5);
    QVERIFY(
        before.value(QStringLiteral("merged_user")).toObject().value(QStringLiteral("disabled_at")).isNull());
    QVERIFY(
        !after.value(QStringLiteral("merged_user")).toObject().value(QStringLiteral("disabled_at")).isNull());
    QCOMPARE(after.value(QStringLiteral("merged_memberships")).toArray().size(), 0);
    QCOMPARE(after.value(QStringLiteral("kept_memberships")).toArray().size(), 6);
    QCOMPARE(result.preview.value(QStringLiteral("memberships_moved")).toInt(), 1);
    QCOMPARE(result.preview.value(QStringLiteral("memberships_combined")).toInt(), 2);
}

void TestMemberActions::refusal_nothingWritten_data()
{
    QTest::addColumn<ActionRequest>("request");
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<QString>("words");
    const QString member = QStringLiteral("member");

    QTest::newRow("member-add: team full")
        << memberAdd(Crowded, Fay, member) << ErrorKind::Refused
        << QStringLiteral("The team is full: workspace 2 on the free plan has 3 of 3 seats");
    QTest::newRow("member-add: already a member")
        << memberAdd(Roomy, Bob, member) << ErrorKind::Refused
        << QStringLiteral("User 2 is already a member of workspace 1 (as admin)");
    QTest::newRow("member-add: no such user id") << memberAdd(Roomy, NoSuchUser, member) << ErrorKind::Refused
                                                 << QStringLiteral("There is no user 999");
    QTest::newRow("member-add: no such e-mail")
        << memberAdd(Roomy, std::nullopt, member, QStringLiteral("nobody@example.test")) << ErrorKind::Refused
        << QStringLiteral("There is no user nobody@example.test");
    QTest::newRow("member-add: e-mail shared by two users")
        << memberAdd(Roomy, std::nullopt, member, QStringLiteral("ada@example.test")) << ErrorKind::Refused
        << QStringLiteral("Several users have the e-mail ada@example.test (ids 1, 6)");
    QTest::newRow("member-add: disabled user")
        << memberAdd(Roomy, Gone, member) << ErrorKind::Refused << QStringLiteral("User 7 is disabled");
    QTest::newRow("member-add: no such workspace")
        << memberAdd(NoSuchWorkspace, Fay, member) << ErrorKind::Refused << QStringLiteral("does not exist");
    QTest::newRow("member-add: unknown role")
        << memberAdd(Roomy, Fay, QStringLiteral("superuser")) << ErrorKind::Usage
        << QStringLiteral("--role must be one of owner, admin, member, viewer");
    QTest::newRow("member-add: no user given")
        << memberAdd(Roomy, std::nullopt, member) << ErrorKind::Usage << QStringLiteral("--user ID");

    QTest::newRow("member-remove: last owner")
        << memberRemove(Roomy, Ada) << ErrorKind::Refused
        << QStringLiteral("User 1 is the last owner of workspace 1 and cannot be removed");
    QTest::newRow("member-remove: not a member") << memberRemove(Roomy, Fay) << ErrorKind::Refused
                                                 << QStringLiteral("User 8 is not a member of workspace 1");
    QTest::newRow("member-remove: no such workspace")
        << memberRemove(NoSuchWorkspace, Ada) << ErrorKind::Refused << QStringLiteral("does not exist");
    QTest::newRow("member-remove: no user given")
        << memberRemove(Roomy, std::nullopt) << ErrorKind::Usage << QStringLiteral("--user ID");

    QTest::newRow("member-role: last owner demoted")
        << memberRole(Roomy, Ada, QStringLiteral("admin")) << ErrorKind::Refused
        << QStringLiteral("User 1 is the last owner of workspace 1 and cannot be made admin");
    QTest::newRow("member-role: same role")
        << memberRole(Roomy, Bob, QStringLiteral("admin")) << ErrorKind::Refused
        << QStringLiteral("User 2 is already admin of workspace 1");
    QTest::newRow("member-role: not a member") << memberRole(Roomy, Fay, QStringLiteral("admin"))
                                               << ErrorKind::Refused << QStringLiteral("is not a member");
    QTest::newRow("member-role: no such workspace")
        << memberRole(NoSuchWorkspace, Ada, QStringLiteral("admin")) << ErrorKind::Refused
        << QStringLiteral("does not exist");
    QTest::newRow("member-role: unknown role") << memberRole(Roomy, Cy, QStringLiteral("boss"))
                                               << ErrorKind::Usage << QStringLiteral("--role must be");
    ActionRequest byEmail = memberRole(Roomy, std::nullopt, QStringLiteral("admin"));
    byEmail.userEmail = QStringLiteral("cy@example.test");
    QTest::newRow("member-role: user by e-mail")
        << byEmail << ErrorKind::Usage << QStringLiteral("needs the user's id");

    QTest::newRow("user-merge: no user to keep") << userMerge(NoSuchUser, AdaDuplicate) << ErrorKind::Refused
                                                 << QStringLiteral("There is no user 999 to keep");
    QTest::newRow("user-merge: no user to merge") << userMerge(Ada, NoSuchUser) << ErrorKind::Refused
                                                  << QStringLiteral("There is no user 999 to merge");
    QTest::newRow("user-merge: duplicate already disabled")
        << userMerge(Ada, Gone) << ErrorKind::Refused << QStringLiteral("User 7 is already disabled");
    QTest::newRow("user-merge: kept user disabled")
        << userMerge(Gone, AdaDuplicate) << ErrorKind::Refused
        << QStringLiteral("User 7 is disabled; keep an active user");
    QTest::newRow("user-merge: same user twice")
        << userMerge(Ada, Ada) << ErrorKind::Usage << QStringLiteral("name the same user");
    QTest::newRow("user-merge: no duplicate given")
        << userMerge(Ada, std::nullopt) << ErrorKind::Usage << QStringLiteral("--keep ID and --merge ID");
}

void TestMemberActions::refusal_nothingWritten()
{
    QFETCH(ActionRequest, request);
    QFETCH(ErrorKind, kind);
    QFETCH(QString, words);
    const QString problems = test::runExpectingFailure(*m_fixture, request, kind, words);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

void TestMemberActions::userMerge_keptUsersOwnWorkspaceLocked_waitsForItBeforeAnyMembership()
{
    // The global lock order: workspaces first. Crowded (2) is the kept user's and not the duplicate's, and
    // the merge locks (and may change) the kept user's membership there, so it must take Crowded's row
    // before that membership. A backend that holds Crowded and then goes for its memberships, in the same
    // order, would otherwise meet the merge holding them the other way round.
    auto &fixture = *m_fixture;
    auto holder = fixture.otherSession(QStringLiteral("workspace-holder"));
    QVERIFY(holder);
    QSqlQuery hold(holder->database());
    QVERIFY(holder->database().transaction());
    QVERIFY_SQL(hold, exec(QStringLiteral("SELECT id FROM public.workspaces WHERE id = 2 FOR UPDATE")));
    const QString before = fixture.snapshot();
    ActionRequest request = userMerge(Ada, AdaDuplicate);
    request.lockTimeoutMs = 300;
    const ActionResult waited = actions::runAction(fixture.db(), request);
    QCOMPARE(waited.error.kind, ErrorKind::Busy);
    QCOMPARE(fixture.snapshot(), before);
    // The holder goes on in the global order (the workspace's memberships next) without waiting on the merge.
    QVERIFY_SQL(hold, exec(QStringLiteral("SELECT user_id FROM public.memberships WHERE workspace_id = 2 "
                                          "ORDER BY user_id FOR UPDATE NOWAIT")));
    QVERIFY(holder->database().rollback());
    QVERIFY_APPLIED(actions::runAction(fixture.db(), request));
    QCOMPARE(fixture.role(Crowded, Ada), QStringLiteral("owner"));
}

QTEST_GUILESS_MAIN(TestMemberActions)
#include "tst_actions_members.moc"
