// Who may run which action, as the server's grants decide it (0002_roles.sql): every action run through the
// engine by a real login of each group role. A missing grant is reported as denied, naming the roles that
// have it, and leaves nothing behind; an allowed action is applied and audited under that login.
#include "actionfixture.h"

#include "actions/actionengine.h"

using namespace beacon;
using namespace beacon::test::seeded;
using beacon::actions::ActionKind;
using beacon::actions::ActionRequest;
using beacon::actions::ActionResult;

namespace {

const QString Support = QStringLiteral("beacon_support");
const QString Finance = QStringLiteral("beacon_finance");
const QString Admin = QStringLiteral("beacon_admin");

// One request per action, each of which the seeded data allows (quota-repair on the drifted workspace, so
// that it has something to write).
ActionRequest requestFor(ActionKind kind)
{
    ActionRequest request = test::actionRequest(kind);
    switch (kind) {
    case ActionKind::PlanChange:
        request.workspaceId = Roomy;
        request.plan = QStringLiteral("starter");
        break;
    case ActionKind::MemberAdd:
        request.workspaceId = Roomy;
        request.userId = Fay;
        request.role = QStringLiteral("member");
        break;
    case ActionKind::MemberRemove:
        request.workspaceId = Roomy;
        request.userId = Cy;
        break;
    case ActionKind::MemberRole:
        request.workspaceId = Roomy;
        request.userId = Cy;
        request.role = QStringLiteral("admin");
        break;
    case ActionKind::ProjectDelete:
        request.projectId = LaunchProject;
        break;
    case ActionKind::FileDelete:
        request.fileId = PlanFile;
        break;
    case ActionKind::QuotaRepair:
        request.workspaceId = Drifted;
        break;
    case ActionKind::ReadOnly:
        request.workspaceId = Roomy;
        request.readOnly = true;
        break;
    case ActionKind::UserMerge:
        request.keepUserId = Ada;
        request.mergeUserId = AdaDuplicate;
        break;
    case ActionKind::ExportsPurge:
        request.olderThanDays = 30;
        break;
    case ActionKind::BillingLink:
        request.workspaceId = Roomy;
        request.stripeCustomerId = QStringLiteral("cus_linkedByRoleTest");
        break;
    case ActionKind::BillingSync:
        // Needs a row that names a subscription: tst_actions_billing checks its roles.
        request.workspaceId = Roomy;
        break;
    }
    return request;
}

} // namespace

class TestActionRoles : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void planChange_asSupport_deniedNamingFinanceAndAdmin();
    void memberAdd_asFinance_deniedNamingSupportAndAdmin();
    void action_asGroupLogin_appliedOrDenied_data();
    void action_asGroupLogin_appliedOrDenied();

private:
    // A connection as a fresh login of `group`.
    std::unique_ptr<Connection> connectAs(const QString &group, QString *login);

    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestActionRoles::init()
{
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_roles"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestActionRoles::cleanup()
{
    m_fixture.reset();
}

std::unique_ptr<Connection> TestActionRoles::connectAs(const QString &group, QString *login)
{
    *login = m_fixture->database().createLogin(group);
    if (login->isEmpty()) {
        qWarning().noquote() << "createLogin failed:" << m_fixture->database().errorText();
        return nullptr;
    }
    DbError error;
    auto connection = Connection::open(m_fixture->database().spec(*login), group, &error);
    if (!connection)
        qWarning().noquote() << "connecting as" << *login << "failed:" << error.fullText();
    return connection;
}

void TestActionRoles::planChange_asSupport_deniedNamingFinanceAndAdmin()
{
    auto &fixture = *m_fixture;
    QString login;
    const auto connection = connectAs(Support, &login);
    QVERIFY(connection);
    const QString before = fixture.snapshot();
    const qint64 audits = fixture.auditCount();

    const ActionResult result =
        actions::runAction(connection->database(), requestFor(ActionKind::PlanChange));
    QCOMPARE(result.error.kind, ErrorKind::Denied);
    QCOMPARE(result.outcome(), QStringLiteral("denied"));
    QCOMPARE(result.exitCode(), 6);
    QCOMPARE(result.error.sqlState, QStringLiteral("42501"));
    QVERIFY2(result.error.message.contains(QLatin1String("beacon_finance")),
             qPrintable(result.error.message));
    QVERIFY2(result.error.message.contains(QLatin1String("beacon_admin")), qPrintable(result.error.message));
    QVERIFY2(result.error.message.contains(QLatin1String("plan-change")), qPrintable(result.error.message));
    // A missing grant does not go away by trying again.
    QCOMPARE(result.attempts, 1);
    QCOMPARE(fixture.auditCount(), audits);
    QCOMPARE(fixture.snapshot(), before);
}

void TestActionRoles::memberAdd_asFinance_deniedNamingSupportAndAdmin()
{
    auto &fixture = *m_fixture;
    QString login;
    const auto connection = connectAs(Finance, &login);
    QVERIFY(connection);
    const QString before = fixture.snapshot();
    const qint64 audits = fixture.auditCount();

    const ActionResult result = actions::runAction(connection->database(), requestFor(ActionKind::MemberAdd));
    QCOMPARE(result.error.kind, ErrorKind::Denied);
    QVERIFY2(result.error.message.contains(QLatin1String("beacon_support")),
             qPrintable(result.error.message));
    QVERIFY2(result.error.message.contains(QLatin1String("beacon_admin")), qPrintable(result.error.message));
    QCOMPARE(fixture.auditCount(), audits);
    QCOMPARE(fixture.snapshot(), before);
    QVERIFY(fixture.role(Roomy, Fay).isEmpty());
}

void TestActionRoles::action_asGroupLogin_appliedOrDenied_data()
{
    QTest::addColumn<ActionRequest>("request");
    QTest::addColumn<QString>("group");
    QTest::addColumn<bool>("allowed");
    // README's "who may" column, written out here rather than taken from the engine's own table.
    const struct {
        ActionKind kind;
        bool support, finance, admin;
    } table[] = {
        {ActionKind::PlanChange, false, true, true},    {ActionKind::MemberAdd, true, false, true},
        {ActionKind::MemberRemove, true, false, true},  {ActionKind::MemberRole, true, false, true},
        {ActionKind::ProjectDelete, true, false, true}, {ActionKind::FileDelete, true, false, true},
        {ActionKind::QuotaRepair, true, false, true},   {ActionKind::ReadOnly, false, true, true},
        {ActionKind::UserMerge, false, false, true},    {ActionKind::ExportsPurge, false, false, true},
        {ActionKind::BillingLink, false, true, true},
    };
    for (const auto &row : table) {
        const QByteArray name = actions::actionName(row.kind).toUtf8();
        QTest::addRow("%s as support", name.constData()) << requestFor(row.kind) << Support << row.support;
        QTest::addRow("%s as finance", name.constData()) << requestFor(row.kind) << Finance << row.finance;
        QTest::addRow("%s as admin", name.constData()) << requestFor(row.kind) << Admin << row.admin;
    }
    // A counter that is already right needs no write, so no grant is checked on the way: the engine must
    // still refuse a login that could not have corrected it, rather than audit a repair by it.
    ActionRequest noDrift = requestFor(ActionKind::QuotaRepair);
    noDrift.workspaceId = Roomy;
    QTest::newRow("quota-repair without drift as support") << noDrift << Support << true;
    QTest::newRow("quota-repair without drift as finance") << noDrift << Finance << false;
    QTest::newRow("quota-repair without drift as admin") << noDrift << Admin << true;
}

void TestActionRoles::action_asGroupLogin_appliedOrDenied()
{
    QFETCH(ActionRequest, request);
    QFETCH(QString, group);
    QFETCH(bool, allowed);
    auto &fixture = *m_fixture;
    QString login;
    const auto connection = connectAs(group, &login);
    QVERIFY(connection);
    const QString before = fixture.snapshot();
    const qint64 audits = fixture.auditCount();

    const ActionResult result = actions::runAction(connection->database(), request);
    if (allowed) {
        QVERIFY_APPLIED(result);
        QCOMPARE(fixture.auditCount(), audits + 1);
        // The log names the login that acted, beside the person.
        QCOMPARE(fixture.lastAudit().value(QStringLiteral("db_user")).toString(), login);
        QVERIFY(fixture.snapshot() != before);
        return;
    }
    QVERIFY2(result.error.kind == ErrorKind::Denied, qPrintable(test::describe(result)));
    for (const QString &role : actions::rolesAllowedFor(request.kind))
        QVERIFY2(result.error.message.contains(role), qPrintable(result.error.message));
    QVERIFY2(!result.error.message.contains(group), qPrintable(result.error.message));
    QCOMPARE(fixture.auditCount(), audits);
    QCOMPARE(fixture.snapshot(), before);
}

QTEST_GUILESS_MAIN(TestActionRoles)
#include "tst_actions_roles.moc"
