// beacon-bench's pgbench script (app/bench/pgbenchscript.h) is made from the engine's own statements, which
// are the ones runAction() sends for member-role, and it runs under pgbench as a member-role would.
#include "actionfixture.h"
#include "pgbenchscript.h"

#include "actions/enginestatements.h"

#include <QProcess>
#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace beacon;
using namespace beacon::test::seeded;

namespace {

const QString ChooseTarget = QStringLiteral("\\set workspace %1\n\\set user %2\n").arg(Roomy).arg(Cy);

// The script's SQL commands in order, each as it stands between its start and its ';' or \gset.
QStringList sqlCommands(const QString &script)
{
    QStringList commands;
    for (const QString &line : script.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        if (line.startsWith(QLatin1Char('\\')) || line.startsWith(QLatin1String("--")))
            continue;
        QString command = line;
        if (command.endsWith(QLatin1Char(';')))
            command.chop(1);
        commands.append(command);
    }
    return commands;
}

} // namespace

class TestPgbenchScript : public QObject {
    Q_OBJECT
private slots:
    void script_isTheEnginesStatementsInOrder_eachRoundTripOnePipeline();
    void memberRoleStatements_areWhatRunActionSends();
    void script_runsUnderPgbench_asMemberRole();
};

void TestPgbenchScript::script_isTheEnginesStatementsInOrder_eachRoundTripOnePipeline()
{
    QString script;
    const DbError error = bench::memberRoleScript(ChooseTarget, &script);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(script.contains(ChooseTarget));
    const QList<actions::EngineStatement> engine = actions::memberRoleStatements();
    QStringList commands = sqlCommands(script);
    // First the bench's own read of what the engine works out on the client, outside the transaction.
    QVERIFY2(!commands.isEmpty() && commands.first().endsWith(QLatin1String("\\gset")), qPrintable(script));
    commands.removeFirst();
    QCOMPARE(commands.size(), engine.size());
    for (qsizetype i = 0; i < engine.size(); ++i) {
        const actions::EngineStatement &statement = engine.at(i);
        if (!statement.command.isEmpty()) {
            QCOMPARE(commands.at(i), statement.command);
            continue;
        }
        // Each pgbench variable put back as the $n of its value: the engine's text, to the character. A value
        // used in two places ($2 and $9, the workspace) is one variable, so both sides name each value by
        // the first $n that has its name.
        const auto firstNumber = [&statement](const QString &name) {
            return QStringLiteral("$%1").arg(statement.values.indexOf(name) + 1);
        };
        QString engineText = statement.sql;
        for (qsizetype n = statement.values.size(); n >= 1; --n)
            engineText.replace(QRegularExpression(QStringLiteral("\\$%1(?!\\d)").arg(n)),
                               firstNumber(statement.values.at(n - 1)));
        QString back = commands.at(i);
        for (const QString &name : statement.values)
            back.replace(QRegularExpression(QStringLiteral(":%1\\b").arg(name)), firstNumber(name));
        QCOMPARE(back, engineText);
        QVERIFY2(!commands.at(i).contains(QLatin1Char('$')), qPrintable(commands.at(i)));
    }
    // The engine's three round trips, each in one pipeline.
    QSet<int> roundTrips;
    for (const actions::EngineStatement &statement : engine)
        roundTrips.insert(statement.roundTrip);
    QCOMPARE(roundTrips.size(), 3);
    QCOMPARE(script.count(QLatin1String("\\startpipeline\n")), 3);
    QCOMPARE(script.count(QLatin1String("\\endpipeline\n")), 3);
    // Every variable the statements use has a source: -D, \set, or the read before the transaction.
    QSet<QString> defined = {QStringLiteral("workspace"), QStringLiteral("user"),
                             QStringLiteral("action_id"), QStringLiteral("before"),
                             QStringLiteral("role"),      QStringLiteral("target_id")};
    for (const auto &[name, value] : bench::pgbenchDefinitions(QStringLiteral("{}")))
        defined.insert(name);
    for (const actions::EngineStatement &statement : engine) {
        for (const QString &name : statement.values)
            QVERIFY2(defined.contains(name), qPrintable(name));
    }
}

void TestPgbenchScript::memberRoleStatements_areWhatRunActionSends()
{
    test::ActionFixture fixture(QStringLiteral("pgbench_engine"));
    QVERIFY_FIXTURE(fixture);
    actions::ActionRequest request = test::actionRequest(actions::ActionKind::MemberRole);
    request.workspaceId = Roomy;
    request.userId = Cy;
    request.role = QStringLiteral("admin");
    QVERIFY_APPLIED(actions::runAction(fixture.db(), request));
    // Prepared statements belong to the session: this is the connection the action ran on.
    QSqlQuery query(fixture.db());
    QVERIFY(query.prepare(QStringLiteral("SELECT generic_plans + custom_plans FROM pg_prepared_statements "
                                         "WHERE statement = :sql")));
    for (const actions::EngineStatement &statement : actions::memberRoleStatements()) {
        if (statement.sql.isEmpty())
            continue;
        query.bindValue(QStringLiteral(":sql"), statement.sql);
        QVERIFY2(query.exec(), qPrintable(query.lastError().text()));
        QVERIFY2(query.next(), qPrintable(QStringLiteral("member-role did not send: ") + statement.sql));
        QVERIFY2(query.value(0).toLongLong() >= 1, qPrintable(statement.sql));
    }
}

void TestPgbenchScript::script_runsUnderPgbench_asMemberRole()
{
    const QString pgbench =
        QStandardPaths::findExecutable(QStringLiteral("pgbench"), {QStringLiteral(BEACON_POSTGRES_BINDIR)});
    QVERIFY2(!pgbench.isEmpty(), "pgbench is missing; it comes with the PostgreSQL server package");
    test::ActionFixture fixture(QStringLiteral("pgbench_run"));
    QVERIFY_FIXTURE(fixture);
    const qint64 audits = fixture.auditCount();
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QString script;
    QVERIFY(!bench::memberRoleScript(ChooseTarget, &script));
    QFile file(dir.filePath(QStringLiteral("member-role.sql")));
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write(script.toUtf8()) > 0);
    file.close();

    const ConnectionSpec spec = fixture.database().spec();
    QStringList arguments = {QStringLiteral("-n"), QStringLiteral("-M"), QStringLiteral("prepared"),
                             QStringLiteral("-t"), QStringLiteral("3")};
    for (const auto &[name, value] : bench::pgbenchDefinitions(QStringLiteral("{\"program\": \"test\"}")))
        arguments += {QStringLiteral("-D"), name + QLatin1Char('=') + value};
    arguments += {QStringLiteral("-f"), file.fileName(),
                  QStringLiteral("-h"), spec.host,
                  QStringLiteral("-p"), QString::number(spec.port),
                  QStringLiteral("-U"), spec.user,
                  spec.database};
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(pgbench, arguments);
    QVERIFY2(process.waitForFinished(60000), qPrintable(process.errorString()));
    const QString output = QString::fromLocal8Bit(process.readAll());
    QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
             qPrintable(script + QLatin1Char('\n') + output));
    QVERIFY2(output.contains(QLatin1String("number of failed transactions: 0")), qPrintable(output));

    // Three switches of cy, a member: admin, member, admin; each with its audit row, as the engine writes it.
    QCOMPARE(fixture.role(Roomy, Cy), QStringLiteral("admin"));
    QCOMPARE(fixture.auditCount(), audits + 3);
    const QJsonObject audit = fixture.lastAudit();
    QCOMPARE(audit.value(QStringLiteral("action")).toString(), QStringLiteral("member-role"));
    QCOMPARE(audit.value(QStringLiteral("actor")).toString(), QStringLiteral("beacon-bench"));
    QCOMPARE(audit.value(QStringLiteral("target_type")).toString(), QStringLiteral("membership"));
    QCOMPARE(audit.value(QStringLiteral("target_id")).toString(), QStringLiteral("%1/%2").arg(Roomy).arg(Cy));
    QCOMPARE(audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("role")).toString(),
             QStringLiteral("member"));
    QCOMPARE(audit.value(QStringLiteral("after")).toObject().value(QStringLiteral("role")).toString(),
             QStringLiteral("admin"));
}

QTEST_GUILESS_MAIN(TestPgbenchScript)
#include "tst_pgbenchscript.moc"
