// Every beaconctl option, fed every bad value (tests/badinput/badvalues.h), against the real server: the
// exit code is 2 (bad input) or, where the text is well formed but names nothing, 3; never a crash or an
// internal error; with --json exactly one JSON object and no raw terminal escape on stdout; and nothing
// written (every table an action touches and the audit log unchanged).
//
// The options come from beaconctl's own list (cli::actionOptionNames for each action, and the commands'
// options), so a new option is covered as soon as it has a valid base value below.
#include "../actions/actionfixture.h"
#include "../core/ctlrunner.h"
#include "badvalues.h"

#include "actions/action.h"
#include "cli/actioncommand.h"

#include <QProcess>
#include <QSqlQuery>
#include <QTemporaryFile>
#include <QTest>

using namespace beacon;
using namespace beacon::test;

namespace {

// A valid value for each option that takes one, on the fixture's seeded rows (actionfixture.h).
const QMap<QString, QByteArray> &validValues()
{
    static const QMap<QString, QByteArray> values = {
        {QStringLiteral("workspace"), "1"},
        {QStringLiteral("plan"), "starter"},
        {QStringLiteral("user"), "3"},
        {QStringLiteral("role"), "admin"},
        {QStringLiteral("project"), "11"},
        {QStringLiteral("file"), "110"},
        {QStringLiteral("keep"), "1"},
        {QStringLiteral("merge"), "6"},
        {QStringLiteral("older-than"), "30"},
        {QStringLiteral("limit"), "10"},
        {QStringLiteral("reason"), "TICKET-13: bad input corpus"},
        {QStringLiteral("action-id"), "6b1d6f0e-3c1e-4a53-9a43-0d6f3f1d2a11"},
        {QStringLiteral("expect-version"), "1"},
        {QStringLiteral("lock-timeout"), "3000"},
        {QStringLiteral("proration"), "create"},
        {QStringLiteral("proration-date"), "1767225600"},
        {QStringLiteral("customer"), "cus_BadInput1"},
        {QStringLiteral("subscription"), "sub_BadInput1"},
        {QStringLiteral("stripe-api-base"), "http://127.0.0.1:9"},
        {QStringLiteral("actor"), "badinput.tester"},
        {QStringLiteral("size"), "tiny"},
        {QStringLiteral("seed"), "1"},
    };
    return values;
}

// Options that take no value, and those the base leaves out because they choose between ways (one of
// --on/--off is given) or point at files (the Stripe key file is its own test in tst_stripe*).
bool takesNoValue(const QString &option)
{
    static const QStringList flags = {QStringLiteral("dry-run"), QStringLiteral("allow-over-quota"),
                                      QStringLiteral("on"), QStringLiteral("off")};
    return flags.contains(option);
}

// Free text, where SQL or odd characters are a legitimate value: the action is run with --dry-run, so it
// may succeed (exit 0) and still write nothing.
bool isFreeText(const QString &option)
{
    return option == QLatin1String("reason") || option == QLatin1String("actor");
}

// Well-formed text that the data may refuse (exit 3): codes and e-mails looked up on the server.
bool isLookedUp(const QString &option)
{
    static const QStringList lookedUp = {QStringLiteral("plan"), QStringLiteral("user")};
    return lookedUp.contains(option);
}

// Runs beaconctl with exactly these argv bytes (QProcess takes only text, and invalid UTF-8 is the point of
// one row), through a shell script that rebuilds each argument with printf.
CtlRun runWithBytes(const QList<QByteArray> &arguments, QTemporaryFile &script)
{
    QByteArray text = "exec \"$BEACONCTL\"";
    for (const QByteArray &argument : arguments) {
        // printf's %b reads \0ooo as one byte, whatever it is (a % included).
        QByteArray octal;
        for (const char byte : argument) {
            if (byte == '\0')
                break; // what execve does
            octal += "\\0" + QByteArray::number(uchar(byte), 8).rightJustified(3, '0');
        }
        text += " \"$(printf '%b' '" + octal + "')\"";
    }
    text += '\n';
    script.resize(0);
    script.seek(0);
    script.write(text);
    script.flush();
    QProcess process;
    process.start(QStringLiteral("/bin/sh"), {script.fileName()});
    CtlRun run;
    if (!process.waitForStarted(10000)) {
        run.err = process.errorString();
        return run;
    }
    process.waitForFinished(120000);
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

struct Command {
    QList<QByteArray> base; // the command and its valid options, without the one under test
    QStringList options;    // the options it takes
};

QList<std::pair<QString, Command>> commands()
{
    QList<std::pair<QString, Command>> list;
    for (const actions::ActionKind kind : actions::allActions()) {
        Command command;
        command.base = {actions::actionName(kind).toUtf8()};
        for (const QString &option : cli::actionOptionNames(kind)) {
            if (option == QLatin1String("stripe-key-file"))
                continue;
            command.options.append(option);
        }
        if (kind == actions::ActionKind::ReadOnly)
            command.base.append("--on");
        list.append({actions::actionName(kind), command});
    }
    list.append({QStringLiteral("check"), {{"check"}, {QStringLiteral("workspace")}}});
    list.append({QStringLiteral("seed"), {{"seed"}, {QStringLiteral("size"), QStringLiteral("seed")}}});
    list.append({QStringLiteral("billing show"), {{"billing", "show"}, {QStringLiteral("workspace")}}});
    return list;
}

// The arguments of `command` with every option at its valid value except `option`, which gets `value`.
QList<QByteArray> argumentsWith(const Command &command, const QString &option, const QByteArray &value)
{
    QList<QByteArray> arguments = command.base;
    for (const QString &each : command.options) {
        if (takesNoValue(each) || each == QLatin1String("action-id") ||
            each == QLatin1String("expect-version") || each == QLatin1String("lock-timeout") ||
            each == QLatin1String("proration") || each == QLatin1String("proration-date") ||
            each == QLatin1String("stripe-api-base") || each == QLatin1String("subscription") ||
            each == QLatin1String("limit") || each == QLatin1String("seed")) {
            // Optional: given only when it is the one under test.
            if (each != option)
                continue;
        }
        arguments.append("--" + each.toUtf8());
        QByteArray valid = validValues().value(each);
        if (each == QLatin1String("user") && command.base.first() == "member-add")
            valid = "8"; // fay, who belongs nowhere
        arguments.append(each == option ? value : valid);
    }
    return arguments;
}

} // namespace

class TestBadInputCli : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void validBase_dryRunSucceeds_data();
    void validBase_dryRunSucceeds();
    void badValue_exitTwoOrRefusedAndNothingWritten_data();
    void badValue_exitTwoOrRefusedAndNothingWritten();

private:
    std::unique_ptr<ActionFixture> m_fixture;
    std::unique_ptr<QTemporaryFile> m_script;
};

void TestBadInputCli::initTestCase()
{
    // Every row leaves the data as it was, so one seeded database serves them all.
    m_fixture = std::make_unique<ActionFixture>(QStringLiteral("badinput_cli"));
    QVERIFY_FIXTURE(*m_fixture);
    m_script = std::make_unique<QTemporaryFile>();
    QVERIFY(m_script->open());
    qunsetenv("STRIPE_API_KEY");
    qunsetenv("BEACON_STRIPE_API_BASE");
}

void TestBadInputCli::cleanupTestCase()
{
    m_fixture.reset();
}

// Proves the bases are valid, so that an exit 2 below comes from the value under test.
void TestBadInputCli::validBase_dryRunSucceeds_data()
{
    QTest::addColumn<QList<QByteArray>>("arguments");
    for (const auto &[name, command] : commands()) {
        if (command.options.contains(QStringLiteral("reason")) && name != QLatin1String("billing-sync"))
            QTest::newRow(qPrintable(name))
                << argumentsWith(command, QString(), {}) + QList<QByteArray>{"--dry-run"};
    }
}

void TestBadInputCli::validBase_dryRunSucceeds()
{
    QFETCH(QList<QByteArray>, arguments);
    const QString before = m_fixture->snapshot();
    const CtlRun run = runWithBytes(
        QList<QByteArray>{"--db", m_fixture->uri().toUtf8(), "--json", "--actor", "badinput.tester"} +
            arguments,
        *m_script);
    QVERIFY2(run.exitCode == 0,
             qPrintable(QStringLiteral("exit %1\n%2%3").arg(run.exitCode).arg(run.out, run.err)));
    QCOMPARE(m_fixture->snapshot(), before);
}

void TestBadInputCli::badValue_exitTwoOrRefusedAndNothingWritten_data()
{
    QTest::addColumn<QList<QByteArray>>("arguments");
    QTest::addColumn<QList<int>>("allowedExits");
    for (const auto &[name, command] : commands()) {
        QStringList options = command.options;
        // The global options once, with an action that writes.
        if (name == QLatin1String("plan-change"))
            options << QStringLiteral("actor") << QStringLiteral("db");
        for (const QString &option : options) {
            if (takesNoValue(option))
                continue;
            for (const BadValue &bad : badValues()) {
                // billing-link may leave the subscription out (empty, or cut at a NUL) when the customer
                // is given: that is a valid request, not bad input.
                if (option == QLatin1String("subscription") &&
                    (QByteArray(bad.name) == "empty" || QByteArray(bad.name) == "nul"))
                    continue;
                const bool freeText = isFreeText(option);
                const bool global = option == QLatin1String("actor") || option == QLatin1String("db");
                QList<QByteArray> arguments;
                if (!global)
                    arguments = {"--db", QByteArray(), "--json", "--actor", "badinput.tester"};
                else
                    arguments = {"--json"};
                if (option == QLatin1String("actor"))
                    arguments += QList<QByteArray>{"--db", QByteArray(), "--actor", bad.bytes};
                if (option == QLatin1String("db"))
                    arguments += QList<QByteArray>{"--actor", "badinput.tester", "--db", bad.bytes};
                arguments += argumentsWith(command, global ? QString() : option, bad.bytes);
                // --stripe-api-base is read only for a workspace billed through Stripe, which the seeded
                // one is not: it may be ignored (exit 0), so the run is a dry run too.
                const bool ignorable = option == QLatin1String("stripe-api-base");
                if ((freeText || ignorable) && command.options.contains(QStringLiteral("dry-run")))
                    arguments.append("--dry-run");
                QList<int> allowed = {2};
                if (isLookedUp(option))
                    allowed.append(3);
                // An empty --db (and a NUL, which ends it) means libpq's defaults, as psql takes it: the
                // default socket, where no server of this test listens.
                if (option == QLatin1String("db") &&
                    (QByteArray(bad.name) == "empty" || QByteArray(bad.name) == "nul"))
                    allowed.append(7);
                // Odd but well-formed free text is a legitimate reason or actor; --dry-run writes nothing.
                if (freeText && QByteArray(bad.name) != "empty" && QByteArray(bad.name) != "nul" &&
                    QByteArray(bad.name) != "huge")
                    allowed.append(0);
                if (ignorable)
                    allowed.append(0);
                QTest::addRow("%s --%s %s", qPrintable(name), qPrintable(option), bad.name)
                    << arguments << allowed;
            }
        }
    }
}

void TestBadInputCli::badValue_exitTwoOrRefusedAndNothingWritten()
{
    QFETCH(QList<QByteArray>, arguments);
    QFETCH(QList<int>, allowedExits);
    // The URI is filled in here: the data function runs before the fixture's database exists.
    for (qsizetype i = 0; i + 1 < arguments.size(); ++i) {
        if (arguments.at(i) == "--db" && arguments.at(i + 1).isEmpty() &&
            !QByteArray(QTest::currentDataTag()).endsWith("--db empty"))
            arguments[i + 1] = m_fixture->uri().toUtf8();
    }
    const QString before = m_fixture->snapshot();
    const qint64 audits = m_fixture->auditCount();
    const CtlRun run = runWithBytes(arguments, *m_script);
    QVERIFY2(allowedExits.contains(run.exitCode),
             qPrintable(QStringLiteral("exit %1, expected one of %2\n%3%4")
                            .arg(run.exitCode)
                            .arg(QString::number(allowedExits.first()) +
                                 (allowedExits.size() > 1 ? QStringLiteral(" …") : QString()))
                            .arg(run.out.left(2000), run.err.left(2000))));
    QCOMPARE(m_fixture->auditCount(), audits);
    QCOMPARE(m_fixture->snapshot(), before);
    QVERIFY2(m_fixture->value(QStringLiteral("SELECT to_regclass('public.workspaces') IS NOT NULL")).toBool(),
             "the workspaces table is gone");
    QVERIFY2(!run.out.contains(QChar(0x1b)),
             qPrintable(QStringLiteral("a raw escape on stdout: ") + run.out.left(500)));
    const QJsonDocument document = QJsonDocument::fromJson(run.out.trimmed().toUtf8());
    QVERIFY2(document.isObject(),
             qPrintable(QStringLiteral("not one JSON object:\n") + run.out.left(2000) + run.err.left(2000)));
}

QTEST_GUILESS_MAIN(TestBadInputCli)
#include "tst_badinput_cli.moc"
