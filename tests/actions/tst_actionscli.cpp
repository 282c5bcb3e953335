// beaconctl's action commands as scripts and runbooks meet them: the exit codes (0 applied or already
// applied, 2 malformed input, 3 refused, 4 busy, 5 conflict, 6 denied, 7 unavailable) and, with --json,
// exactly one object with ok, action, action_id, outcome, message, before and after. The built binary, a real
// server.
#include "../core/ctlrunner.h"
#include "actionfixture.h"

#include "db/database.h"

#include <QJsonArray>
#include <QSqlQuery>
#include <QTemporaryDir>

using namespace beacon;
using namespace beacon::test::seeded;
using beacon::test::CtlRun;

namespace {

const QString Actor = QStringLiteral("cli.tester");

// The one JSON object beaconctl printed, or an empty one with *problem saying why it is not exactly that.
QJsonObject onlyObject(const CtlRun &run, QString *problem)
{
    const QString out = run.out.trimmed();
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(out.toUtf8(), &error);
    if (out.contains(QLatin1Char('\n')) || error.error != QJsonParseError::NoError || !document.isObject()) {
        *problem =
            QStringLiteral("not exactly one JSON object on stdout:\n%1\nstderr:\n%2").arg(run.out, run.err);
        return {};
    }
    const QJsonObject object = document.object();
    for (const char *field : {"ok", "action", "action_id", "outcome", "message", "before", "after"}) {
        if (!object.contains(QLatin1String(field)))
            *problem += QStringLiteral("no \"%1\" in %2\n").arg(QLatin1String(field), out);
    }
    static const QStringList outcomes = {QStringLiteral("applied"),     QStringLiteral("already-applied"),
                                         QStringLiteral("refused"),     QStringLiteral("busy"),
                                         QStringLiteral("conflict"),    QStringLiteral("denied"),
                                         QStringLiteral("unavailable"), QStringLiteral("error")};
    if (!outcomes.contains(object.value(QStringLiteral("outcome")).toString()))
        *problem += QStringLiteral("outcome \"%1\" is not one of the contract's\n")
                        .arg(object.value(QStringLiteral("outcome")).toString());
    return object;
}

} // namespace

// Parses beaconctl's single JSON object into `object`, failing the test when it is not exactly that.
#define PARSE_ONLY_OBJECT(object, run)                                                                       \
    QString object##Problem;                                                                                 \
    const QJsonObject object = onlyObject(run, &object##Problem);                                            \
    QVERIFY2(object##Problem.isEmpty(), qPrintable(object##Problem))

class TestActionsCli : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void planChange_applied_exitZeroOneObjectAndAudited();
    void sameActionIdAgain_alreadyAppliedExitZeroNothingChanged();
    void memberAdd_byEmail_applied();
    void billingLink_customerAndSubscription_applied();
    void malformedInput_exitTwoNothingWritten_data();
    void malformedInput_exitTwoNothingWritten();
    void refusedByData_exitThreeNothingWritten_data();
    void refusedByData_exitThreeNothingWritten();
    void workspaceLockedElsewhere_exitFourBusy();
    void staleExpectVersion_exitFiveConflictThenCurrentApplies();
    void supportLogin_planChange_exitSixDeniedNamingRoles();
    void financeLogin_memberAdd_exitSixDenied();
    void serverDown_exitSevenUnavailable();
    void dryRun_exitZeroPreviewAndNothingChanged();
    void exportsPurge_batchesOfLimit_oneAuditRowEachAndRerunStops();
    void exportsPurge_countAMultipleOfLimit_noEmptyLastBatch();
    void withoutJson_messageOnStdoutRefusalOnStderr();

private:
    // beaconctl --db URI --json --actor ARGS, as the superuser unless another login's URI is given.
    CtlRun ctl(const QStringList &arguments, const QString &uri = {});

    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestActionsCli::init()
{
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_cli"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestActionsCli::cleanup()
{
    m_fixture.reset();
}

CtlRun TestActionsCli::ctl(const QStringList &arguments, const QString &uri)
{
    return test::runBeaconctl(QStringList{QStringLiteral("--db"), uri.isEmpty() ? m_fixture->uri() : uri,
                                          QStringLiteral("--json"), QStringLiteral("--actor"), Actor} +
                              arguments);
}

static QStringList planChangeArguments(const QString &workspace, const QString &plan)
{
    return {QStringLiteral("plan-change"),
            QStringLiteral("--workspace"),
            workspace,
            QStringLiteral("--plan"),
            plan,
            QStringLiteral("--reason"),
            QStringLiteral("TICKET-9: downgrade")};
}

void TestActionsCli::planChange_applied_exitZeroOneObjectAndAudited()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const CtlRun run = ctl(planChangeArguments(QStringLiteral("1"), QStringLiteral("starter")) +
                           QStringList{QStringLiteral("--action-id"), id});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(object.value(QStringLiteral("action")).toString(), QStringLiteral("plan-change"));
    QCOMPARE(object.value(QStringLiteral("action_id")).toString(), id);
    QCOMPARE(object.value(QStringLiteral("outcome")).toString(), QStringLiteral("applied"));
    QVERIFY(
        object.value(QStringLiteral("message")).toString().contains(QLatin1String("from team to starter")));
    QCOMPARE(object.value(QStringLiteral("before")).toObject().value(QStringLiteral("plan")).toString(),
             QStringLiteral("team"));
    QCOMPARE(object.value(QStringLiteral("after")).toObject().value(QStringLiteral("plan")).toString(),
             QStringLiteral("starter"));
    QCOMPARE(object.value(QStringLiteral("exit_code")).toInt(-1), 0);
    QCOMPARE(object.value(QStringLiteral("dry_run")).toBool(true), false);

    QCOMPARE(fixture.value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("starter"));
    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    QCOMPARE(audit.value(QStringLiteral("action_id")).toString(), id);
    QCOMPARE(audit.value(QStringLiteral("actor")).toString(), Actor);
    QCOMPARE(audit.value(QStringLiteral("reason")).toString(), QStringLiteral("TICKET-9: downgrade"));
    QCOMPARE(audit.value(QStringLiteral("workspace_id")).toInteger(), Roomy);
    QCOMPARE(audit.value(QStringLiteral("client")).toObject().value(QStringLiteral("program")).toString(),
             QStringLiteral("beaconctl"));
    QCOMPARE(audit.value(QStringLiteral("after")), object.value(QStringLiteral("after")));
}

void TestActionsCli::sameActionIdAgain_alreadyAppliedExitZeroNothingChanged()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const QStringList arguments =
        QStringList{QStringLiteral("member-role"), QStringLiteral("--workspace"), QStringLiteral("1"),
                    QStringLiteral("--user"),      QStringLiteral("3"),           QStringLiteral("--role"),
                    QStringLiteral("admin"),       QStringLiteral("--reason"),    QStringLiteral("promote"),
                    QStringLiteral("--action-id"), QUuid::createUuid().toString()};
    const CtlRun first = ctl(arguments);
    QVERIFY2(first.exitCode == 0, qPrintable(first.out + first.err));
    PARSE_ONLY_OBJECT(firstObject, first);
    const QString afterFirst = fixture.snapshot();

    const CtlRun second = ctl(arguments);
    QVERIFY2(second.exitCode == 0, qPrintable(second.out + second.err));
    PARSE_ONLY_OBJECT(secondObject, second);
    QCOMPARE(secondObject.value(QStringLiteral("outcome")).toString(), QStringLiteral("already-applied"));
    QCOMPARE(secondObject.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(secondObject.value(QStringLiteral("before")), firstObject.value(QStringLiteral("before")));
    QCOMPARE(secondObject.value(QStringLiteral("after")), firstObject.value(QStringLiteral("after")));
    QCOMPARE(fixture.snapshot(), afterFirst);
    QCOMPARE(fixture.auditCount(), audits + 1);
}

void TestActionsCli::memberAdd_byEmail_applied()
{
    const CtlRun run =
        ctl({QStringLiteral("member-add"), QStringLiteral("--workspace"), QStringLiteral("1"),
             QStringLiteral("--user"), QStringLiteral("Eve@Example.test"), QStringLiteral("--role"),
             QStringLiteral("viewer"), QStringLiteral("--reason"), QStringLiteral("invite")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("after")).toObject().value(QStringLiteral("user_id")).toInteger(),
             Eve);
    QCOMPARE(m_fixture->role(Roomy, Eve), QStringLiteral("viewer"));
}

void TestActionsCli::billingLink_customerAndSubscription_applied()
{
    const CtlRun run =
        ctl({QStringLiteral("billing-link"), QStringLiteral("--workspace"), QStringLiteral("1"),
             QStringLiteral("--customer"), QStringLiteral("cus_FromCli"), QStringLiteral("--subscription"),
             QStringLiteral("sub_FromCli"), QStringLiteral("--reason"), QStringLiteral("reconciliation")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("action")).toString(), QStringLiteral("billing-link"));
    const QJsonObject after = object.value(QStringLiteral("after")).toObject();
    QCOMPARE(after.value(QStringLiteral("stripe_customer_id")).toString(), QStringLiteral("cus_FromCli"));
    QCOMPARE(after.value(QStringLiteral("stripe_subscription_id")).toString(), QStringLiteral("sub_FromCli"));
    QCOMPARE(
        m_fixture->value(QStringLiteral("SELECT stripe_customer_id FROM workspaces WHERE id = 1")).toString(),
        QStringLiteral("cus_FromCli"));
}

void TestActionsCli::malformedInput_exitTwoNothingWritten_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("words");
    const QStringList reason = {QStringLiteral("--reason"), QStringLiteral("why")};
    const QStringList planChange = {QStringLiteral("plan-change"), QStringLiteral("--workspace"),
                                    QStringLiteral("1"), QStringLiteral("--plan"), QStringLiteral("starter")};

    QTest::newRow("non-numeric id") << planChangeArguments(QStringLiteral("abc"), QStringLiteral("starter"))
                                    << QStringLiteral(
                                           "--workspace takes a positive whole number, not \"abc\"");
    QTest::newRow("negative id") << planChangeArguments(QStringLiteral("-3"), QStringLiteral("starter"))
                                 << QStringLiteral("--workspace takes a positive whole number");
    QTest::newRow("malformed UUID") << planChange + reason +
                                           QStringList{QStringLiteral("--action-id"), QStringLiteral("12-34")}
                                    << QStringLiteral("--action-id takes a UUID");
    QTest::newRow("empty reason") << planChange + QStringList{QStringLiteral("--reason"), QString()}
                                  << QStringLiteral("Give a reason");
    QTest::newRow("blank reason") << planChange +
                                         QStringList{QStringLiteral("--reason"), QStringLiteral("  ")}
                                  << QStringLiteral("Give a reason");
    QTest::newRow("no reason") << planChange << QStringLiteral("Give a reason");
    QTest::newRow("missing option") << QStringList{QStringLiteral("plan-change"),
                                                   QStringLiteral("--workspace"), QStringLiteral("1")} +
                                           reason
                                    << QStringLiteral("--plan CODE");
    QTest::newRow("unknown option") << planChange + reason + QStringList{QStringLiteral("--force")}
                                    << QStringLiteral("Unknown option 'force'");
    QTest::newRow("option of another action")
        << planChange + reason + QStringList{QStringLiteral("--project"), QStringLiteral("10")}
        << QStringLiteral("The option --project does not apply to \"plan-change\"");
    QTest::newRow("unknown role") << QStringList{QStringLiteral("member-add"), QStringLiteral("--workspace"),
                                                 QStringLiteral("1"),          QStringLiteral("--user"),
                                                 QStringLiteral("8"),          QStringLiteral("--role"),
                                                 QStringLiteral("superuser")} +
                                         reason
                                  << QStringLiteral("--role must be one of owner, admin, member, viewer");
    QTest::newRow("user neither id nor e-mail")
        << QStringList{QStringLiteral("member-add"), QStringLiteral("--workspace"), QStringLiteral("1"),
                       QStringLiteral("--user"),     QStringLiteral("fay"),         QStringLiteral("--role"),
                       QStringLiteral("member")} +
               reason
        << QStringLiteral("--user takes a user's id or e-mail address, not \"fay\"");
    QTest::newRow("on and off") << QStringList{QStringLiteral("read-only"), QStringLiteral("--workspace"),
                                               QStringLiteral("1"), QStringLiteral("--on"),
                                               QStringLiteral("--off")} +
                                       reason
                                << QStringLiteral("not both");
    QTest::newRow("non-numeric lock timeout")
        << planChange + reason + QStringList{QStringLiteral("--lock-timeout"), QStringLiteral("soon")}
        << QStringLiteral("--lock-timeout takes a whole number");
    QTest::newRow("expected version of a merge")
        << QStringList{QStringLiteral("user-merge"), QStringLiteral("--keep"),
                       QStringLiteral("1"),          QStringLiteral("--merge"),
                       QStringLiteral("6"),          QStringLiteral("--expect-version"),
                       QStringLiteral("1")} +
               reason
        << QStringLiteral("does not apply");
    QTest::newRow("same user kept and merged")
        << QStringList{QStringLiteral("user-merge"), QStringLiteral("--keep"), QStringLiteral("1"),
                       QStringLiteral("--merge"), QStringLiteral("1")} +
               reason
        << QStringLiteral("name the same user");
}

void TestActionsCli::malformedInput_exitTwoNothingWritten()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, words);
    const QString before = m_fixture->snapshot();
    const CtlRun run = ctl(arguments);
    QVERIFY2(run.exitCode == 2,
             qPrintable(QStringLiteral("exit %1\n%2%3").arg(run.exitCode).arg(run.out, run.err)));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("ok")).toBool(true), false);
    QCOMPARE(object.value(QStringLiteral("action")).toString(), arguments.first());
    // The contract has no "usage" outcome: malformed input is refused, and the exit code tells it apart.
    QCOMPARE(object.value(QStringLiteral("outcome")).toString(), QStringLiteral("refused"));
    QCOMPARE(object.value(QStringLiteral("exit_code")).toInt(), 2);
    QVERIFY2(object.value(QStringLiteral("message")).toString().contains(words),
             qPrintable(object.value(QStringLiteral("message")).toString()));
    // A malformed --action-id is not echoed as the nil UUID, which a script could take for a real id.
    const qsizetype idAt = arguments.indexOf(QStringLiteral("--action-id"));
    if (idAt >= 0 && QUuid::fromString(arguments.value(idAt + 1)).isNull())
        QVERIFY2(object.value(QStringLiteral("action_id")).isNull(),
                 qPrintable(object.value(QStringLiteral("action_id")).toString()));
    QCOMPARE(m_fixture->snapshot(), before);
}

void TestActionsCli::refusedByData_exitThreeNothingWritten_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("words");
    const QStringList reason = {QStringLiteral("--reason"), QStringLiteral("why")};
    QTest::newRow("unknown plan") << planChangeArguments(QStringLiteral("1"), QStringLiteral("gold"))
                                  << QStringLiteral("There is no plan \"gold\"");
    QTest::newRow("nonexistent workspace")
        << planChangeArguments(QStringLiteral("999"), QStringLiteral("starter"))
        << QStringLiteral("Workspace 999 does not exist");
    QTest::newRow("full team") << QStringList{QStringLiteral("member-add"), QStringLiteral("--workspace"),
                                              QStringLiteral("2"),          QStringLiteral("--user"),
                                              QStringLiteral("8"),          QStringLiteral("--role"),
                                              QStringLiteral("member")} +
                                      reason
                               << QStringLiteral("The team is full");
    QTest::newRow("last owner removed")
        << QStringList{QStringLiteral("member-remove"), QStringLiteral("--workspace"), QStringLiteral("1"),
                       QStringLiteral("--user"), QStringLiteral("1")} +
               reason
        << QStringLiteral("last owner");
    QTest::newRow("last owner demoted")
        << QStringList{QStringLiteral("member-role"), QStringLiteral("--workspace"), QStringLiteral("1"),
                       QStringLiteral("--user"),      QStringLiteral("1"),           QStringLiteral("--role"),
                       QStringLiteral("viewer")} +
               reason
        << QStringLiteral("last owner");
    QTest::newRow("nonexistent project")
        << QStringList{QStringLiteral("project-delete"), QStringLiteral("--project"), QStringLiteral("999")} +
               reason
        << QStringLiteral("Project 999 does not exist");
}

void TestActionsCli::refusedByData_exitThreeNothingWritten()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, words);
    const QString before = m_fixture->snapshot();
    const CtlRun run = ctl(arguments);
    QVERIFY2(run.exitCode == 3,
             qPrintable(QStringLiteral("exit %1\n%2%3").arg(run.exitCode).arg(run.out, run.err)));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("ok")).toBool(true), false);
    QCOMPARE(object.value(QStringLiteral("outcome")).toString(), QStringLiteral("refused"));
    QCOMPARE(object.value(QStringLiteral("action")).toString(), arguments.first());
    QVERIFY2(object.value(QStringLiteral("message")).toString().contains(words),
             qPrintable(object.value(QStringLiteral("message")).toString()));
    QCOMPARE(m_fixture->snapshot(), before);
}

void TestActionsCli::workspaceLockedElsewhere_exitFourBusy()
{
    auto &fixture = *m_fixture;
    DbError error;
    const auto holder = Connection::open(fixture.database().spec(), QStringLiteral("holder"), &error);
    QVERIFY2(holder, qPrintable(error.fullText()));
    QSqlQuery hold(holder->database());
    QVERIFY_SQL(hold, exec(QStringLiteral("BEGIN")));
    QVERIFY_SQL(hold, exec(QStringLiteral("SELECT id FROM workspaces WHERE id = 1 FOR UPDATE")));
    const QString before = fixture.snapshot();

    const CtlRun run = ctl(planChangeArguments(QStringLiteral("1"), QStringLiteral("starter")) +
                           QStringList{QStringLiteral("--lock-timeout"), QStringLiteral("300")});
    QVERIFY2(run.exitCode == 4,
             qPrintable(QStringLiteral("exit %1\n%2%3").arg(run.exitCode).arg(run.out, run.err)));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("outcome")).toString(), QStringLiteral("busy"));
    QVERIFY2(object.value(QStringLiteral("message")).toString().contains(QLatin1String("300 ms")),
             qPrintable(object.value(QStringLiteral("message")).toString()));
    QCOMPARE(fixture.snapshot(), before);
    QVERIFY_SQL(hold, exec(QStringLiteral("ROLLBACK")));
}

void TestActionsCli::staleExpectVersion_exitFiveConflictThenCurrentApplies()
{
    auto &fixture = *m_fixture;
    const QString before = fixture.snapshot();
    const QStringList arguments = {QStringLiteral("read-only"), QStringLiteral("--workspace"),
                                   QStringLiteral("1"),         QStringLiteral("--on"),
                                   QStringLiteral("--reason"),  QStringLiteral("abuse")};
    const CtlRun stale =
        ctl(arguments + QStringList{QStringLiteral("--expect-version"), QStringLiteral("7")});
    QVERIFY2(stale.exitCode == 5, qPrintable(stale.out + stale.err));
    PARSE_ONLY_OBJECT(object, stale);
    QCOMPARE(object.value(QStringLiteral("outcome")).toString(), QStringLiteral("conflict"));
    QVERIFY2(object.value(QStringLiteral("message")).toString().contains(QLatin1String("version 7, now 1")),
             qPrintable(object.value(QStringLiteral("message")).toString()));
    QCOMPARE(fixture.snapshot(), before);

    const CtlRun current =
        ctl(arguments + QStringList{QStringLiteral("--expect-version"), QStringLiteral("1")});
    QVERIFY2(current.exitCode == 0, qPrintable(current.out + current.err));
    QCOMPARE(fixture.value(QStringLiteral("SELECT read_only FROM workspaces WHERE id = 1")).toBool(), true);
}

void TestActionsCli::supportLogin_planChange_exitSixDeniedNamingRoles()
{
    auto &fixture = *m_fixture;
    const QString login = fixture.database().createLogin(QStringLiteral("beacon_support"));
    QVERIFY_TESTDB(fixture.database());
    const QString before = fixture.snapshot();
    const CtlRun run =
        ctl(planChangeArguments(QStringLiteral("1"), QStringLiteral("starter")), fixture.uri(login));
    QVERIFY2(run.exitCode == 6,
             qPrintable(QStringLiteral("exit %1\n%2%3").arg(run.exitCode).arg(run.out, run.err)));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("outcome")).toString(), QStringLiteral("denied"));
    const QString message = object.value(QStringLiteral("message")).toString();
    QVERIFY2(message.contains(QLatin1String("beacon_finance")) &&
                 message.contains(QLatin1String("beacon_admin")),
             qPrintable(message));
    QCOMPARE(fixture.snapshot(), before);
}

void TestActionsCli::financeLogin_memberAdd_exitSixDenied()
{
    auto &fixture = *m_fixture;
    const QString login = fixture.database().createLogin(QStringLiteral("beacon_finance"));
    QVERIFY_TESTDB(fixture.database());
    const QString before = fixture.snapshot();
    const CtlRun run = ctl({QStringLiteral("member-add"), QStringLiteral("--workspace"), QStringLiteral("1"),
                            QStringLiteral("--user"), QStringLiteral("8"), QStringLiteral("--role"),
                            QStringLiteral("member"), QStringLiteral("--reason"), QStringLiteral("invite")},
                           fixture.uri(login));
    QVERIFY2(run.exitCode == 6,
             qPrintable(QStringLiteral("exit %1\n%2%3").arg(run.exitCode).arg(run.out, run.err)));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("outcome")).toString(), QStringLiteral("denied"));
    QVERIFY(object.value(QStringLiteral("message")).toString().contains(QLatin1String("beacon_support")));
    QCOMPARE(fixture.snapshot(), before);
}

void TestActionsCli::serverDown_exitSevenUnavailable()
{
    QTemporaryDir noServerHere;
    const CtlRun run = ctl(planChangeArguments(QStringLiteral("1"), QStringLiteral("starter")),
                           QStringLiteral("postgresql://postgres@/beacon?host=%1").arg(noServerHere.path()));
    QCOMPARE(run.exitCode, 7);
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("outcome")).toString(), QStringLiteral("unavailable"));
    QCOMPARE(object.value(QStringLiteral("action")).toString(), QStringLiteral("plan-change"));
}

void TestActionsCli::dryRun_exitZeroPreviewAndNothingChanged()
{
    auto &fixture = *m_fixture;
    const QString before = fixture.snapshot();
    const CtlRun run =
        ctl({QStringLiteral("project-delete"), QStringLiteral("--project"), QStringLiteral("10"),
             QStringLiteral("--reason"), QStringLiteral("cleanup"), QStringLiteral("--dry-run")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("dry_run")).toBool(), true);
    const QJsonObject preview = object.value(QStringLiteral("preview")).toObject();
    QCOMPARE(preview.value(QStringLiteral("bytes_freed")).toInteger(), 3000);
    QCOMPARE(preview.value(QStringLiteral("rows_affected")).toInteger(), 3);
    QVERIFY(object.value(QStringLiteral("message")).toString().startsWith(QLatin1String("Preview only")));
    QCOMPARE(fixture.snapshot(), before);
}

void TestActionsCli::exportsPurge_batchesOfLimit_oneAuditRowEachAndRerunStops()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QStringList arguments = {QStringLiteral("exports-purge"),
                                   QStringLiteral("--older-than"),
                                   QStringLiteral("30"),
                                   QStringLiteral("--limit"),
                                   QStringLiteral("2"),
                                   QStringLiteral("--reason"),
                                   QStringLiteral("retention"),
                                   QStringLiteral("--action-id"),
                                   id};
    const CtlRun run = ctl(arguments);
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("action_id")).toString(), id);
    // Five expired exports in batches of two: 2, 2 and 1, the short one ending the run.
    QCOMPARE(object.value(QStringLiteral("batches")).toInt(), 3);
    QCOMPARE(object.value(QStringLiteral("purged")).toInt(), LongExpiredExports);
    QCOMPARE(object.value(QStringLiteral("after")).toArray().size(), 3);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM exports WHERE status = 'purged'")).toInt(),
             6);

    // One audit row per batch, the first under the given id, the others under ids derived from it.
    QCOMPARE(fixture.auditCount(), audits + 3);
    QSqlQuery rows(fixture.db());
    QVERIFY_SQL(rows, exec(QStringLiteral("SELECT action_id::text, jsonb_array_length(after->'ids') FROM "
                                          "audit_log WHERE action = 'exports-purge' ORDER BY id")));
    QList<int> sizes;
    QSet<QString> ids;
    while (rows.next()) {
        ids.insert(rows.value(0).toString());
        sizes.append(rows.value(1).toInt());
    }
    QCOMPARE(sizes, QList<int>({2, 2, 1}));
    QCOMPARE(ids.size(), 3);
    QVERIFY(ids.contains(id));

    // Run again with the same id: the first batch is recognised, and nothing more is done.
    const QString afterRun = fixture.snapshot();
    const CtlRun rerun = ctl(arguments);
    QVERIFY2(rerun.exitCode == 0, qPrintable(rerun.out + rerun.err));
    PARSE_ONLY_OBJECT(rerunObject, rerun);
    QCOMPARE(rerunObject.value(QStringLiteral("outcome")).toString(), QStringLiteral("already-applied"));
    QCOMPARE(fixture.snapshot(), afterRun);
}

// Five expired exports in batches of five: one full batch, and no second, empty one recorded after it.
void TestActionsCli::exportsPurge_countAMultipleOfLimit_noEmptyLastBatch()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const CtlRun run =
        ctl({QStringLiteral("exports-purge"), QStringLiteral("--older-than"), QStringLiteral("30"),
             QStringLiteral("--limit"), QString::number(LongExpiredExports), QStringLiteral("--reason"),
             QStringLiteral("retention")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    PARSE_ONLY_OBJECT(object, run);
    QCOMPARE(object.value(QStringLiteral("batches")).toInt(), 1);
    QCOMPARE(object.value(QStringLiteral("purged")).toInt(), LongExpiredExports);
    QCOMPARE(fixture.auditCount(), audits + 1);
}

void TestActionsCli::withoutJson_messageOnStdoutRefusalOnStderr()
{
    auto &fixture = *m_fixture;
    const QStringList common = {QStringLiteral("--db"), fixture.uri(), QStringLiteral("--actor"), Actor};
    CtlRun run =
        test::runBeaconctl(common + planChangeArguments(QStringLiteral("1"), QStringLiteral("starter")));
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    QVERIFY2(run.out.contains(QLatin1String("Workspace 1 moved from team to starter")), qPrintable(run.out));
    QVERIFY(!run.out.trimmed().startsWith(QLatin1Char('{')));

    run = test::runBeaconctl(common + planChangeArguments(QStringLiteral("1"), QStringLiteral("free")));
    QCOMPARE(run.exitCode, 3);
    QVERIFY2(run.out.isEmpty(), qPrintable(run.out));
    // After the line with the action id, which comes before the action starts.
    QVERIFY2(run.err.section(QLatin1Char('\n'), 1).startsWith(QLatin1String("beaconctl: ")),
             qPrintable(run.err));
    QVERIFY2(run.err.contains(QLatin1String("the free plan allows 3")), qPrintable(run.err));
}

QTEST_GUILESS_MAIN(TestActionsCli)
#include "tst_actionscli.moc"
