// beaconctl's action commands against what people and scripts really meet, the built binary against a real
// server: the action id on stderr before the action starts (so that a client killed after COMMIT can be run
// again with it), input with a NUL or over the stated limits refused with exit 2 before anything is sent,
// terminal controls from the database or the command line never printed, and an interrupted exports-purge
// finished by a rerun with the same id.
#include "../core/ctlrunner.h"
#include "actionfixture.h"

#include "cli/ctlapp.h"
#include "db/database.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSqlError>
#include <QSqlQuery>

using namespace beacon;
using namespace beacon::test::seeded;
using beacon::test::CtlRun;

namespace {

const QString Actor = QStringLiteral("cli.tester");

// What a terminal would obey: ESC, BEL, the other C0 controls but newline and tab, DEL and C1.
bool hasTerminalControls(const QString &text)
{
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if ((u < 0x20 && u != u'\n' && u != u'\t' && u != u'\r') || u == 0x7f || (u >= 0x80 && u <= 0x9f))
            return true;
    }
    return false;
}

QString visible(const QString &text)
{
    QString shown;
    for (const QChar c : text)
        shown += c.unicode() < 0x20 || (c.unicode() >= 0x7f && c.unicode() <= 0x9f)
                     ? QStringLiteral("<%1>").arg(int(c.unicode()), 2, 16, QLatin1Char('0'))
                     : QString(c);
    return shown;
}

} // namespace

class TestActionsCliInput : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void actionId_json_firstLineOnStderrBeforeTheAction();
    void actionId_withoutJson_humanLineOnStderr();
    void clientKilledAfterCommit_rerunWithPrintedId_alreadyApplied();
    void nulInAnOption_exitTwoNothingWritten_data();
    void nulInAnOption_exitTwoNothingWritten();
    void reasonAndActorLimits_overRefusedExitTwo_atLimitStoredWhole();
    void help_statesTheLimits();
    void terminalSafe_removesControlsAndSequences_data();
    void terminalSafe_removesControlsAndSequences();
    void controlsFromTheDatabase_neverPrinted();
    void exportsPurgeInterrupted_rerunSameId_finishesTheRest();
    void exportsPurgeBatchFails_messageNamesTheGivenId();

private:
    CtlRun ctl(const QStringList &arguments, bool json = true);
    QStringList memberRoleArguments(const QString &role) const;
    qint64 auditRowsFor(const QString &actionId);

    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestActionsCliInput::init()
{
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_cli_in"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestActionsCliInput::cleanup()
{
    m_fixture.reset();
}

CtlRun TestActionsCliInput::ctl(const QStringList &arguments, bool json)
{
    QStringList all{QStringLiteral("--db"), m_fixture->uri(), QStringLiteral("--actor"), Actor};
    if (json)
        all.append(QStringLiteral("--json"));
    return test::runBeaconctl(all + arguments);
}

QStringList TestActionsCliInput::memberRoleArguments(const QString &role) const
{
    return {QStringLiteral("member-role"),
            QStringLiteral("--workspace"),
            QString::number(Roomy),
            QStringLiteral("--user"),
            QString::number(Cy),
            QStringLiteral("--role"),
            role,
            QStringLiteral("--reason"),
            QStringLiteral("T-77")};
}

qint64 TestActionsCliInput::auditRowsFor(const QString &actionId)
{
    return m_fixture
        ->value(QStringLiteral("SELECT count(*) FROM audit_log WHERE action_id = CAST(:id AS uuid)"),
                {{QStringLiteral("id"), actionId}})
        .toLongLong();
}

void TestActionsCliInput::actionId_json_firstLineOnStderrBeforeTheAction()
{
    const CtlRun run = ctl(memberRoleArguments(QStringLiteral("admin")));
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    const QString firstLine = run.err.section(QLatin1Char('\n'), 0, 0);
    const QJsonObject announced = QJsonDocument::fromJson(firstLine.toUtf8()).object();
    const QString id = announced.value(QStringLiteral("action_id")).toString();
    QVERIFY2(!QUuid::fromString(id).isNull(), qPrintable(run.err));
    QCOMPARE(run.json().value(QStringLiteral("action_id")).toString(), id);
    QCOMPARE(auditRowsFor(id), 1);
}

void TestActionsCliInput::actionId_withoutJson_humanLineOnStderr()
{
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const CtlRun run = ctl(
        memberRoleArguments(QStringLiteral("admin")) + QStringList{QStringLiteral("--action-id"), id}, false);
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    QVERIFY2(run.err.startsWith(QStringLiteral("action id: %1\n").arg(id)), qPrintable(run.err));
}

void TestActionsCliInput::clientKilledAfterCommit_rerunWithPrintedId_alreadyApplied()
{
    auto &fixture = *m_fixture;
    // The workspace is held elsewhere, so that beaconctl is still waiting when its id has been printed.
    auto holder = fixture.otherSession(QStringLiteral("holder"));
    QVERIFY(holder);
    QVERIFY(holder->database().transaction());
    QSqlQuery hold(holder->database());
    QVERIFY_SQL(hold, exec(QStringLiteral("SELECT id FROM workspaces WHERE id = 1 FOR UPDATE")));

    QProcess process;
    process.start(qEnvironmentVariable("BEACONCTL"),
                  QStringList{QStringLiteral("--db"), fixture.uri(), QStringLiteral("--json"),
                              QStringLiteral("--actor"), Actor, QStringLiteral("--lock-timeout"),
                              QStringLiteral("60000")} +
                      memberRoleArguments(QStringLiteral("admin")));
    QVERIFY2(process.waitForStarted(10000), qPrintable(process.errorString()));
    QByteArray err;
    QElapsedTimer waited;
    waited.start();
    while (!err.contains('\n') && waited.elapsed() < 15000) {
        process.waitForReadyRead(200);
        err += process.readAllStandardError();
    }
    const QString id = QJsonDocument::fromJson(err.left(err.indexOf('\n')))
                           .object()
                           .value(QStringLiteral("action_id"))
                           .toString();
    QVERIFY2(!QUuid::fromString(id).isNull(), err.constData());
    QCOMPARE(auditRowsFor(id), 0); // printed before the action, which is still waiting

    // The lock goes; beaconctl commits; it is killed before anyone reads its answer.
    QVERIFY(holder->database().rollback());
    QTRY_COMPARE_WITH_TIMEOUT(auditRowsFor(id), 1, 15000);
    process.kill();
    process.waitForFinished(10000);
    QCOMPARE(fixture.role(Roomy, Cy), QStringLiteral("admin"));

    // The person reruns with the id they saw: the first outcome is reported and nothing is done again.
    const QString before = fixture.snapshot();
    const CtlRun rerun =
        ctl(memberRoleArguments(QStringLiteral("admin")) + QStringList{QStringLiteral("--action-id"), id});
    QVERIFY2(rerun.exitCode == 0, qPrintable(rerun.out + rerun.err));
    QCOMPARE(rerun.json().value(QStringLiteral("outcome")).toString(), QStringLiteral("already-applied"));
    QCOMPARE(fixture.snapshot(), before);
    QCOMPARE(auditRowsFor(id), 1);
}

void TestActionsCliInput::nulInAnOption_exitTwoNothingWritten_data()
{
    QTest::addColumn<QStringList>("arguments");
    const QString nul(QChar(u'\0'));
    const QStringList memberRole = {QStringLiteral("member-role"), QStringLiteral("--workspace"),
                                    QStringLiteral("1"),           QStringLiteral("--user"),
                                    QStringLiteral("3"),           QStringLiteral("--role"),
                                    QStringLiteral("admin")};
    QTest::newRow("--reason") << memberRole +
                                     QStringList{QStringLiteral("--reason"),
                                                 QStringLiteral("T-1") + nul + QStringLiteral("rest")};
    QTest::newRow("--actor") << QStringList{QStringLiteral("--actor"),
                                            QStringLiteral("ann") + nul + QStringLiteral("other")} +
                                    memberRole +
                                    QStringList{QStringLiteral("--reason"), QStringLiteral("T-1")};
    QTest::newRow("--role") << QStringList{
        QStringLiteral("member-role"), QStringLiteral("--workspace"), QStringLiteral("1"),
        QStringLiteral("--user"),      QStringLiteral("3"),           QStringLiteral("--role"),
        QStringLiteral("admin") + nul, QStringLiteral("--reason"),    QStringLiteral("T-1")};
    QTest::newRow("--plan") << QStringList{QStringLiteral("plan-change"),
                                           QStringLiteral("--workspace"),
                                           QStringLiteral("1"),
                                           QStringLiteral("--plan"),
                                           QStringLiteral("starter") + nul + QStringLiteral("x"),
                                           QStringLiteral("--reason"),
                                           QStringLiteral("T-1")};
    QTest::newRow("--user e-mail") << QStringList{QStringLiteral("member-add"),
                                                  QStringLiteral("--workspace"),
                                                  QStringLiteral("1"),
                                                  QStringLiteral("--user"),
                                                  QStringLiteral("fay@example.test") + nul +
                                                      QStringLiteral("x"),
                                                  QStringLiteral("--role"),
                                                  QStringLiteral("member"),
                                                  QStringLiteral("--reason"),
                                                  QStringLiteral("T-1")};
}

void TestActionsCliInput::nulInAnOption_exitTwoNothingWritten()
{
    // A process's arguments cannot hold a NUL, so beaconctl's own entry point is called with them, as main()
    // calls it; everything after the arguments is the real thing.
    QFETCH(QStringList, arguments);
    auto &fixture = *m_fixture;
    const QString before = fixture.snapshot();
    QString out;
    QString err;
    QTextStream outStream(&out);
    QTextStream errStream(&err);
    QStringList all{QStringLiteral("beaconctl"), QStringLiteral("--db"), fixture.uri(),
                    QStringLiteral("--json")};
    if (!arguments.contains(QStringLiteral("--actor")))
        all << QStringLiteral("--actor") << Actor;
    const int code = cli::runCtl(all + arguments, outStream, errStream);
    outStream.flush();
    errStream.flush();
    QVERIFY2(code == 2, qPrintable(QStringLiteral("exit %1: %2 %3").arg(code).arg(out, err)));
    QVERIFY2(out.contains(QLatin1String("NUL")), qPrintable(out));
    QCOMPARE(fixture.snapshot(), before);
}

void TestActionsCliInput::reasonAndActorLimits_overRefusedExitTwo_atLimitStoredWhole()
{
    auto &fixture = *m_fixture;
    const QString before = fixture.snapshot();
    const QStringList action = {QStringLiteral("quota-repair"), QStringLiteral("--workspace"),
                                QString::number(Drifted)};
    const CtlRun long10k = ctl(action + QStringList{QStringLiteral("--reason"), QString(10240, u'r')});
    QVERIFY2(long10k.exitCode == 2, qPrintable(long10k.out + long10k.err));
    QVERIFY2(
        long10k.json().value(QStringLiteral("message")).toString().contains(QLatin1String("at most 2000")),
        qPrintable(long10k.out));
    const CtlRun longActor =
        test::runBeaconctl(QStringList{QStringLiteral("--db"), fixture.uri(), QStringLiteral("--json"),
                                       QStringLiteral("--actor"), QString(201, u'a')} +
                           action + QStringList{QStringLiteral("--reason"), QStringLiteral("T-1")});
    QVERIFY2(longActor.exitCode == 2, qPrintable(longActor.out + longActor.err));
    QCOMPARE(fixture.snapshot(), before);

    // At the limits, everything is stored, to the last character.
    const QString reason = QStringLiteral("T-1 ") + QString(1996, u'\u00e9');
    const QString actor = QString(200, u'a');
    const CtlRun atLimit =
        test::runBeaconctl(QStringList{QStringLiteral("--db"), fixture.uri(), QStringLiteral("--json"),
                                       QStringLiteral("--actor"), actor} +
                           action + QStringList{QStringLiteral("--reason"), reason});
    QVERIFY2(atLimit.exitCode == 0, qPrintable(atLimit.out + atLimit.err));
    const QJsonObject audit = fixture.lastAudit();
    QCOMPARE(audit.value(QStringLiteral("reason")).toString(), reason);
    QCOMPARE(audit.value(QStringLiteral("actor")).toString(), actor);
}

void TestActionsCliInput::help_statesTheLimits()
{
    const CtlRun help = test::runBeaconctl({QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    // The help is wrapped to the terminal's width: compare its words, not its lines.
    const QString words = help.out.simplified();
    QVERIFY2(words.contains(QLatin1String("at most 2000 characters")), qPrintable(help.out));
    QVERIFY2(words.contains(QLatin1String("at most 200 characters")), qPrintable(help.out));
    QVERIFY2(words.contains(QLatin1String("printed on stderr")), qPrintable(help.out));
}

void TestActionsCliInput::terminalSafe_removesControlsAndSequences_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("OSC title, BEL-terminated")
        << QStringLiteral("a\x1b]0;pwned\x07z") << QStringLiteral("az");
    QTest::newRow("OSC, ST-terminated") << QStringLiteral("a\x1b]8;;http://x\x1b\\z") << QStringLiteral("az");
    QTest::newRow("clear screen") << QStringLiteral("a\x1b[2Jz") << QStringLiteral("az");
    QTest::newRow("colour") << QStringLiteral("a\x1b[1;31mz") << QStringLiteral("az");
    QTest::newRow("two-character escape") << QStringLiteral("a\x1b"
                                                            "cz")
                                          << QStringLiteral("az");
    QTest::newRow("C1 CSI") << QStringLiteral("a\u009b2Jz") << QStringLiteral("az");
    QTest::newRow("C1 OSC") << QStringLiteral("a\u009d0;t\u009cz") << QStringLiteral("az");
    QTest::newRow("C0, DEL, C1") << QStringLiteral("a\x01\x08\r\x7f\u0085z") << QStringLiteral("az");
    QTest::newRow("newline and tab kept") << QStringLiteral("a\n\tz") << QStringLiteral("a\n\tz");
    QTest::newRow("text kept") << QStringLiteral("Zoë's [team] ~ café")
                               << QStringLiteral("Zoë's [team] ~ café");
}

void TestActionsCliInput::terminalSafe_removesControlsAndSequences()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(cli::terminalSafe(text), expected);
}

void TestActionsCliInput::controlsFromTheDatabase_neverPrinted()
{
    auto &fixture = *m_fixture;
    const QString evil = QStringLiteral("\x1b]0;pwned\x07\x1b[2J\u009b2J\x7f");
    QVERIFY(fixture.exec(QStringLiteral("UPDATE users SET primary_email = :email WHERE id = 8"),
                         {{QStringLiteral("email"),
                           QString(QStringLiteral("fay") + evil + QStringLiteral("@example.test"))}}));
    QVERIFY(fixture.exec(QStringLiteral("UPDATE workspaces SET name = :name WHERE id = 1"),
                         {{QStringLiteral("name"), QString(QStringLiteral("Roomy") + evil)}}));

    // The e-mail is in the message a person reads.
    const QStringList memberAdd = {
        QStringLiteral("member-add"), QStringLiteral("--workspace"), QStringLiteral("1"),
        QStringLiteral("--user"),     QStringLiteral("8"),           QStringLiteral("--role"),
        QStringLiteral("member"),     QStringLiteral("--reason"),    QStringLiteral("T-9")};
    const CtlRun human = ctl(memberAdd + QStringList{QStringLiteral("--dry-run")}, false);
    QVERIFY2(human.exitCode == 0, qPrintable(visible(human.out + human.err)));
    QVERIFY2(human.out.contains(QLatin1String("fay@example.test")), qPrintable(visible(human.out)));
    QVERIFY2(!hasTerminalControls(human.out + human.err), qPrintable(visible(human.out + human.err)));
    // With --json the data stays exact, escaped.
    const CtlRun json = ctl(memberAdd + QStringList{QStringLiteral("--dry-run")});
    QVERIFY2(json.exitCode == 0, qPrintable(visible(json.out + json.err)));
    QVERIFY2(!hasTerminalControls(json.out + json.err), qPrintable(visible(json.out + json.err)));
    QVERIFY2(json.json().value(QStringLiteral("message")).toString().contains(evil),
             qPrintable(visible(json.out)));

    // The workspace's row, name and all, is in a conflict's details on stderr.
    const QStringList stale = {QStringLiteral("read-only"),
                               QStringLiteral("--workspace"),
                               QStringLiteral("1"),
                               QStringLiteral("--on"),
                               QStringLiteral("--reason"),
                               QStringLiteral("T-9"),
                               QStringLiteral("--expect-version"),
                               QStringLiteral("999")};
    const CtlRun conflict = ctl(stale, false);
    QCOMPARE(conflict.exitCode, 5);
    QVERIFY2(conflict.err.contains(QLatin1String("Roomy")), qPrintable(visible(conflict.err)));
    QVERIFY2(!hasTerminalControls(conflict.out + conflict.err), qPrintable(visible(conflict.err)));
}

void TestActionsCliInput::exportsPurgeInterrupted_rerunSameId_finishesTheRest()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    // What an interrupted run leaves: its first batch of two committed, under the given id.
    actions::ActionRequest first = actions::ActionRequest();
    first.kind = actions::ActionKind::ExportsPurge;
    first.actionId = QUuid::fromString(id);
    first.actor = Actor;
    first.reason = QStringLiteral("retention");
    first.client = QStringLiteral("beaconctl");
    first.olderThanDays = 30;
    first.limit = 2;
    QVERIFY_APPLIED(actions::runAction(fixture.db(), first));
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM exports WHERE status = 'purged'")).toInt(),
             3);

    const QStringList arguments = {QStringLiteral("exports-purge"),
                                   QStringLiteral("--older-than"),
                                   QStringLiteral("30"),
                                   QStringLiteral("--limit"),
                                   QStringLiteral("2"),
                                   QStringLiteral("--reason"),
                                   QStringLiteral("retention"),
                                   QStringLiteral("--action-id"),
                                   id};
    const CtlRun rerun = ctl(arguments);
    QVERIFY2(rerun.exitCode == 0, qPrintable(rerun.out + rerun.err));
    const QJsonObject object = rerun.json();
    QCOMPARE(object.value(QStringLiteral("outcome")).toString(), QStringLiteral("applied"));
    QCOMPARE(object.value(QStringLiteral("batches")).toInt(), 3);
    QCOMPARE(object.value(QStringLiteral("purged")).toInt(), LongExpiredExports);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM exports WHERE status = 'purged'")).toInt(),
             6);
    QCOMPARE(fixture.auditCount(), audits + 3);

    // Once finished, the same id again does nothing more.
    const QString afterRerun = fixture.snapshot();
    const CtlRun again = ctl(arguments);
    QVERIFY2(again.exitCode == 0, qPrintable(again.out + again.err));
    QCOMPARE(again.json().value(QStringLiteral("outcome")).toString(), QStringLiteral("already-applied"));
    QCOMPARE(fixture.snapshot(), afterRerun);
}

void TestActionsCliInput::exportsPurgeBatchFails_messageNamesTheGivenId()
{
    auto &fixture = *m_fixture;
    const QUuid given = QUuid::createUuid();
    // The second batch's derived id is taken by another request, so that batch is refused.
    const QUuid second = QUuid::createUuidV5(given, QStringLiteral("batch-1"));
    QVERIFY(fixture.exec(
        QStringLiteral("INSERT INTO audit_log (actor, action, action_id, target_type, reason) "
                       "VALUES ('someone', 'quota-repair', CAST(:id AS uuid), 'workspace', 'x')"),
        {{QStringLiteral("id"), second.toString(QUuid::WithoutBraces)}}));
    const CtlRun run = ctl({QStringLiteral("exports-purge"), QStringLiteral("--older-than"),
                            QStringLiteral("30"), QStringLiteral("--limit"), QStringLiteral("2"),
                            QStringLiteral("--reason"), QStringLiteral("retention"),
                            QStringLiteral("--action-id"), given.toString(QUuid::WithoutBraces)});
    QCOMPARE(run.exitCode, 5);
    const QString message = run.json().value(QStringLiteral("message")).toString();
    QVERIFY2(message.contains(given.toString(QUuid::WithoutBraces)) &&
                 message.contains(QLatin1String("Batch 2")),
             qPrintable(message));
    QVERIFY2(!message.contains(second.toString(QUuid::WithoutBraces)), qPrintable(message));
}

QTEST_GUILESS_MAIN(TestActionsCliInput)
#include "tst_actionscli_input.moc"
