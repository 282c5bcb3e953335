#include "cli/ctlapp.h"

#include "actions/actionengine.h"
#include "buildinfo.h"
#include "check/anomalycheck.h"
#include "cli/actioncommand.h"
#include "cli/billingcommand.h"
#include "cli/billingshow.h"
#include "db/database.h"
#include "db/demoenvironment.h"
#include "db/localuser.h"
#include "db/migrator.h"
#include "seed/seeder.h"
#include "stripelocal/demostripe.h"
#include "stripelocal/localstripeserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>

#ifdef Q_OS_UNIX
#include <csignal>
#include <pthread.h>
#include <pwd.h>
#include <unistd.h>

#include <thread>
#endif

namespace beacon::cli {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beaconctl", text);
}

namespace {

struct Command {
    QString name;
    QStringList options; // the command's own options, beyond the global ones
    QString summary;
};

const QList<Command> &commands()
{
    static const QList<Command> list = {
        {QStringLiteral("migrate"), {}, tr("Apply the schema migrations this build carries (idempotent).")},
        {QStringLiteral("seed"),
         {QStringLiteral("size"), QStringLiteral("seed")},
         tr("Fill an empty database with sample data: --size tiny|small|medium|large [--seed N].")},
        {QStringLiteral("demo"),
         {},
         tr("Start the private demo database, print its URI, run until interrupted.")},
        {QStringLiteral("check"),
         {QStringLiteral("workspace")},
         tr("Find data anomalies without changing anything [--workspace ID]; exits 3 when any are found.")},
        {QStringLiteral("billing"), QStringList{QStringLiteral("workspace")} + stripeOptionNames(),
         tr("billing show --workspace ID: the workspace's billing as Stripe sees it, and where it "
            "disagrees.")},
        {QStringLiteral("reconcile"), QStringList{QStringLiteral("workspace")} + stripeOptionNames(),
         tr("Compare the workspaces with Stripe's customers and subscriptions [--workspace ID]; exits 3 "
            "when they disagree.")},
    };
    static const QList<Command> withActions = [] {
        QList<Command> all = list;
        for (actions::ActionKind kind : actions::allActions())
            all.append({actions::actionName(kind), actionOptionNames(kind), actionSynopsis(kind)});
        return all;
    }();
    return withActions;
}

bool isC1(char16_t c)
{
    return c >= 0x80 && c <= 0x9f;
}

// Everything a command prints goes through here, so that --json always yields exactly one object, and
// nothing printed can drive the terminal (terminalSafe()).
class Reporter {
public:
    Reporter(QTextStream &out, QTextStream &err, bool json, QString command)
        : m_out(out)
        , m_err(err)
        , m_json(json)
    {
        m_object.insert(QStringLiteral("command"), command);
    }

    void set(const QString &key, const QJsonValue &value) { m_object.insert(key, value); }
    void say(const QString &line)
    {
        if (!m_json)
            m_out << terminalSafe(line) << Qt::endl;
    }
    void progress(const QString &line)
    {
        if (!m_json)
            m_err << terminalSafe(line) << Qt::endl;
    }
    // An action's id, on stderr before the action starts, so that a run whose outcome never arrives (the
    // client killed, the connection lost) can be run again with it: the first line with --json.
    void announceActionId(const QString &id)
    {
        if (m_json)
            m_err << QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("action_id"), id}})
                                           .toJson(QJsonDocument::Compact))
                  << Qt::endl;
        else
            m_err << tr("action id: %1").arg(id) << Qt::endl;
    }

    int finish(const DbError &error, int exitCodeWhenOk = 0)
    {
        const int code = error ? error.exitCode() : exitCodeWhenOk;
        if (m_json) {
            m_object.insert(QStringLiteral("ok"), !error.isError() && code == 0);
            m_object.insert(QStringLiteral("exit_code"), code);
            if (error) {
                // An action has set its own outcome and message (the contract's words); keep them.
                if (!m_object.contains(QStringLiteral("outcome")))
                    m_object.insert(QStringLiteral("outcome"), kindName(error.kind));
                if (!m_object.contains(QStringLiteral("message")))
                    m_object.insert(QStringLiteral("message"), error.message);
                m_object.insert(QStringLiteral("error"),
                                QJsonObject{{QStringLiteral("kind"), kindName(error.kind)},
                                            {QStringLiteral("message"), error.message},
                                            {QStringLiteral("sqlstate"), error.sqlState},
                                            {QStringLiteral("details"), error.details}});
            }
            m_out << terminalSafeJson(
                         QString::fromUtf8(QJsonDocument(m_object).toJson(QJsonDocument::Compact)))
                  << Qt::endl;
        } else if (error) {
            m_err << "beaconctl: " << terminalSafe(error.fullText()) << Qt::endl;
        }
        return code;
    }

private:
    QTextStream &m_out;
    QTextStream &m_err;
    bool m_json;
    QJsonObject m_object;
};

DbError usageError(const QString &text)
{
    return DbError::make(ErrorKind::Usage, text);
}

ConnectionSpec specFrom(const QCommandLineParser &parser, DbError *error)
{
    if (!parser.isSet(QStringLiteral("db")))
        return ConnectionSpec::fromEnvironment();
    QString reason;
    const auto spec = ConnectionSpec::fromUri(parser.value(QStringLiteral("db")), &reason);
    if (!spec) {
        *error = usageError(reason);
        return {};
    }
    return *spec;
}

std::unique_ptr<Connection> connect(const QCommandLineParser &parser, Reporter &reporter, DbError *error)
{
    const ConnectionSpec spec = specFrom(parser, error);
    if (*error)
        return nullptr;
    reporter.set(QStringLiteral("database"), spec.displayUri());
    return Connection::open(spec, QStringLiteral("ctl"), error);
}

// A connection to a database whose schema this build knows; otherwise null and the reason in *error. Schema
// drift would make every statement's meaning uncertain, so these commands refuse before they start.
std::unique_ptr<Connection> connectToKnownSchema(const QCommandLineParser &parser, Reporter &reporter,
                                                 DbError *error)
{
    auto connection = connect(parser, reporter, error);
    if (connection && (*error = Migrator::checkVersion(connection->database())))
        return nullptr;
    return connection;
}

// Who is acting: --actor, or else the login name of the person running beaconctl.
QString actorFrom(const QCommandLineParser &parser)
{
    if (parser.isSet(QStringLiteral("actor")))
        return parser.value(QStringLiteral("actor")).trimmed();
    return localUserName();
}

// The fields of the action contract (action, action_id, outcome, before, after) for an action that stopped
// before its request could be made: malformed input is "refused" there, as the engine words it.
void describeUnreadAction(Reporter &reporter, const QString &name, const QString &actionId)
{
    const QUuid id = QUuid::fromString(actionId.trimmed());
    reporter.set(QStringLiteral("action"), name);
    reporter.set(QStringLiteral("action_id"),
                 id.isNull() ? QJsonValue(QJsonValue::Null) : QJsonValue(id.toString(QUuid::WithoutBraces)));
    reporter.set(QStringLiteral("outcome"), QStringLiteral("refused"));
    reporter.set(QStringLiteral("before"), QJsonValue::Null);
    reporter.set(QStringLiteral("after"), QJsonValue::Null);
}

int runAction(actions::ActionKind kind, const QCommandLineParser &parser, Reporter &reporter)
{
    actions::ActionRequest request;
    // Nothing changed until the engine says otherwise: its report replaces these.
    reporter.set(QStringLiteral("before"), QJsonValue::Null);
    reporter.set(QStringLiteral("after"), QJsonValue::Null);
    DbError error = actionRequestFromOptions(kind, parser, actorFrom(parser), &request);
    reporter.set(QStringLiteral("action"), actions::actionName(kind));
    // null when no usable id was given (a malformed --action-id), never the nil UUID
    reporter.set(QStringLiteral("action_id"),
                 request.actionId.isNull() ? QJsonValue(QJsonValue::Null)
                                           : QJsonValue(request.actionId.toString(QUuid::WithoutBraces)));
    if (error) {
        reporter.set(QStringLiteral("outcome"), QStringLiteral("refused"));
        return reporter.finish(error);
    }
    reporter.announceActionId(request.actionId.toString(QUuid::WithoutBraces));
    // The outcome follows the error's kind, as the exit code does (Reporter::finish): a connection lost
    // while connecting or reading the schema version is unavailable (7), a login refused is denied (6).
    auto connection = connect(parser, reporter, &error);
    if (!connection)
        return reporter.finish(error);
    // Schema drift would make every statement's meaning uncertain: refuse before touching anything.
    if (const DbError schema = Migrator::checkVersion(connection->database()))
        return reporter.finish(schema);
    // billing-sync always asks Stripe; plan-change asks it when the workspace is billed there, and is refused
    // with words without a key (stripe left empty). Either way a key given wrongly is an error now.
    std::optional<StripeAccess> stripe;
    const bool needsStripe = kind == actions::ActionKind::BillingSync;
    if (needsStripe || parser.isSet(QStringLiteral("stripe-key-file")) ||
        qEnvironmentVariableIsSet("STRIPE_API_KEY")) {
        StripeAccess access;
        if ((error = stripeAccessFrom(parser, &access))) {
            reporter.set(QStringLiteral("outcome"), QStringLiteral("refused"));
            return reporter.finish(error);
        }
        stripe = access;
    }
    const ActionReport report = runActionCommand(connection->database(), request, stripe);
    for (auto field = report.fields.constBegin(); field != report.fields.constEnd(); ++field)
        reporter.set(field.key(), field.value());
    if (!report.text.isEmpty())
        reporter.say(report.text);
    const QJsonObject preview = report.fields.value(QStringLiteral("preview")).toObject();
    if (request.dryRun && !report.error) {
        for (auto item = preview.constBegin(); item != preview.constEnd(); ++item)
            reporter.say(QStringLiteral("  %1: %2")
                             .arg(item.key(), item.value().isObject()
                                                  ? QString::fromUtf8(QJsonDocument(item.value().toObject())
                                                                          .toJson(QJsonDocument::Compact))
                                                  : item.value().toVariant().toString()));
        // The charge previewed is the charge applied only from the same moment.
        if (preview.contains(QStringLiteral("proration_date")))
            reporter.say(tr("To apply exactly this charge, run the same command without --dry-run and with "
                            "--proration-date %1.")
                             .arg(qint64(preview.value(QStringLiteral("proration_date")).toDouble())));
    }
    return reporter.finish(report.error);
}

int runMigrate(const QCommandLineParser &parser, Reporter &reporter)
{
    DbError error;
    auto connection = connect(parser, reporter, &error);
    if (!connection)
        return reporter.finish(error);
    QStringList applied;
    error = Migrator::migrate(connection->database(), &applied);
    reporter.set(QStringLiteral("applied"), QJsonArray::fromStringList(applied));
    const int version = Migrator::currentVersion(connection->database(), error ? nullptr : &error);
    reporter.set(QStringLiteral("schema_version"), version);
    if (!error) {
        for (const QString &name : std::as_const(applied))
            reporter.say(tr("applied %1").arg(name));
        reporter.say(applied.isEmpty() ? tr("Schema already at version %1; nothing to do.").arg(version)
                                       : tr("Schema now at version %1.").arg(version));
    }
    return reporter.finish(error);
}

int runSeed(const QCommandLineParser &parser, Reporter &reporter)
{
    SeedOptions options;
    const auto size = seedSizeFromName(parser.value(QStringLiteral("size")));
    if (!size)
        return reporter.finish(usageError(tr("--size must be tiny, small, medium or large.")));
    options.size = *size;
    if (parser.isSet(QStringLiteral("seed"))) {
        bool ok = false;
        options.seed = parser.value(QStringLiteral("seed")).toUInt(&ok);
        if (!ok)
            return reporter.finish(usageError(tr("--seed must be a whole number from 0 to 4294967295.")));
    }
    DbError error;
    auto connection = connectToKnownSchema(parser, reporter, &error);
    if (!connection)
        return reporter.finish(error);
    QElapsedTimer timer;
    timer.start();
    SeedReport counts;
    error = seedDatabase(
        connection->database(), options,
        [&](const QString &step, int percent) {
            reporter.progress(QStringLiteral("[%1%] %2").arg(percent, 3).arg(step));
        },
        &counts);
    if (error)
        return reporter.finish(error);
    const QJsonObject rows{{QStringLiteral("users"), counts.users},
                           {QStringLiteral("workspaces"), counts.workspaces},
                           {QStringLiteral("memberships"), counts.memberships},
                           {QStringLiteral("projects"), counts.projects},
                           {QStringLiteral("files"), counts.files},
                           {QStringLiteral("ai_usage"), counts.aiUsage},
                           {QStringLiteral("exports"), counts.exports}};
    reporter.set(QStringLiteral("size"), seedSizeName(options.size));
    reporter.set(QStringLiteral("seed"), qint64(options.seed));
    reporter.set(QStringLiteral("rows"), rows);
    reporter.set(QStringLiteral("seconds"), double(timer.elapsed()) / 1000.0);
    reporter.say(tr("Seeded %1 (seed %2) in %3 s: %4 users, %5 workspaces, %6 memberships, %7 files, %8 AI "
                    "usage rows.")
                     .arg(seedSizeName(options.size))
                     .arg(options.seed)
                     .arg(double(timer.elapsed()) / 1000.0, 0, 'f', 1)
                     .arg(counts.users)
                     .arg(counts.workspaces)
                     .arg(counts.memberships)
                     .arg(counts.files)
                     .arg(counts.aiUsage));
    return reporter.finish({});
}

// check's, reconcile's and billing show's --workspace: absent, or a positive id.
DbError workspaceOption(const QCommandLineParser &parser, std::optional<qint64> *workspace)
{
    if (!parser.isSet(QStringLiteral("workspace")))
        return {};
    bool ok = false;
    const qint64 id = parser.value(QStringLiteral("workspace")).toLongLong(&ok);
    if (!ok || id <= 0)
        return usageError(tr("--workspace must be a positive whole number (a workspace id)."));
    *workspace = id;
    return {};
}

int runCheck(const QCommandLineParser &parser, Reporter &reporter)
{
    std::optional<qint64> workspace;
    if (DbError error = workspaceOption(parser, &workspace))
        return reporter.finish(error);
    DbError error;
    auto connection = connectToKnownSchema(parser, reporter, &error);
    if (!connection)
        return reporter.finish(error);
    if (workspace) {
        QSqlQuery query(connection->database());
        query.prepare(QStringLiteral("SELECT 1 FROM public.workspaces WHERE id = :id"));
        query.bindValue(QStringLiteral(":id"), *workspace);
        if (!query.exec())
            return reporter.finish(DbError::fromSql(query.lastError(), tr("Looking up the workspace")));
        if (!query.next())
            return reporter.finish(DbError::make(
                ErrorKind::Refused,
                tr("There is no workspace with id %1. Check the id and try again.").arg(*workspace)));
    }
    QList<Anomaly> anomalies;
    if ((error = findAnomalies(connection->database(), workspace, &anomalies)))
        return reporter.finish(error);
    QJsonArray list;
    for (const Anomaly &anomaly : std::as_const(anomalies)) {
        list.append(QJsonObject{{QStringLiteral("kind"), anomaly.kind},
                                {QStringLiteral("target_type"), anomaly.targetType},
                                {QStringLiteral("target_id"), anomaly.targetId},
                                {QStringLiteral("detail"), anomaly.detail}});
        reporter.say(QStringLiteral("%1\t%2 %3\t%4")
                         .arg(anomaly.kind, anomaly.targetType)
                         .arg(anomaly.targetId)
                         .arg(anomaly.detail));
    }
    reporter.set(QStringLiteral("anomalies"), list);
    if (anomalies.isEmpty())
        reporter.say(tr("No anomalies found."));
    else if (anomalies.size() == 1)
        reporter.say(tr("1 anomaly found."));
    else
        reporter.say(tr("%1 anomalies found.").arg(anomalies.size()));
    return reporter.finish({}, anomalies.isEmpty() ? 0 : exitCodeFor(ErrorKind::Refused));
}

int runBillingShow(const QCommandLineParser &parser, Reporter &reporter)
{
    std::optional<qint64> workspace;
    if (DbError error = workspaceOption(parser, &workspace))
        return reporter.finish(error);
    if (!workspace)
        return reporter.finish(usageError(tr("billing show needs --workspace ID.")));
    StripeAccess access;
    if (DbError error = stripeAccessFrom(parser, &access))
        return reporter.finish(error);
    DbError error;
    auto connection = connectToKnownSchema(parser, reporter, &error);
    if (!connection)
        return reporter.finish(error);
    const BillingShowReport report = showBilling(connection->database(), access, *workspace);
    if (report.error)
        return reporter.finish(report.error);
    for (const QString &line : report.lines)
        reporter.say(line);
    reporter.set(QStringLiteral("billing"), report.billing);
    return reporter.finish({});
}

int runReconcile(const QCommandLineParser &parser, Reporter &reporter)
{
    std::optional<qint64> workspace;
    if (DbError error = workspaceOption(parser, &workspace))
        return reporter.finish(error);
    StripeAccess access;
    if (DbError error = stripeAccessFrom(parser, &access))
        return reporter.finish(error);
    DbError error;
    auto connection = connectToKnownSchema(parser, reporter, &error);
    if (!connection)
        return reporter.finish(error);
    const ReconcileReport report =
        runReconciliation(connection->database(), access, workspace,
                          [&reporter](const QString &line) { reporter.progress(line); });
    if (report.error)
        return reporter.finish(report.error);
    QJsonArray findings;
    for (const billing::Finding &finding : report.findings) {
        findings.append(finding.toJson());
        reporter.say(QStringLiteral("%1\tworkspace %2\tdatabase: %3\tstripe: %4\tfix: %5")
                         .arg(billing::findingKindName(finding.kind))
                         .arg(finding.workspaceId)
                         .arg(finding.databaseValue, finding.stripeValue, finding.suggestedFix));
    }
    reporter.set(QStringLiteral("findings"), findings);
    reporter.set(QStringLiteral("stripe_customers"), report.customers);
    reporter.set(QStringLiteral("stripe_subscriptions"), report.subscriptions);
    reporter.set(QStringLiteral("workspaces"), report.workspaces);
    reporter.say(report.findings.isEmpty()
                     ? tr("The database and Stripe agree (%1 customers, %2 subscriptions, %3 workspaces).")
                           .arg(report.customers)
                           .arg(report.subscriptions)
                           .arg(report.workspaces)
                 : report.findings.size() == 1 ? tr("1 disagreement found.")
                                               : tr("%1 disagreements found.").arg(report.findings.size()));
    return reporter.finish({}, report.findings.isEmpty() ? 0 : exitCodeFor(ErrorKind::Refused));
}

#ifdef Q_OS_UNIX
// Quits `loop` when SIGINT or SIGTERM arrives. The signals are blocked in every thread (runDemo blocks them
// before any thread starts), so this thread's sigwait is the one that takes them, and the main thread keeps
// running its event loop for the local Stripe server meanwhile.
std::thread quitOnInterrupt(QEventLoop *loop)
{
    return std::thread([loop] {
        sigset_t stopSignals;
        sigemptyset(&stopSignals);
        sigaddset(&stopSignals, SIGINT);
        sigaddset(&stopSignals, SIGTERM);
        int received = 0;
        sigwait(&stopSignals, &received);
        QMetaObject::invokeMethod(loop, &QEventLoop::quit, Qt::QueuedConnection);
    });
}
#endif

int runDemo(const QCommandLineParser &, Reporter &reporter)
{
#ifdef Q_OS_UNIX
    // Block the stopSignals before anything starts threads, so that only quitOnInterrupt's sigwait sees them.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
#endif
    DemoEnvironment demo;
    const DbError error = demo.start([&](const QString &step) { reporter.progress(step); });
    if (error) {
        demo.stop();
        return reporter.finish(error);
    }
    stripelocal::LocalStripeServer stripe;
    if (!stripe.listen()) {
        demo.stop();
        return reporter.finish(DbError::make(
            ErrorKind::Unavailable,
            tr("The demo's local Stripe server could not listen on 127.0.0.1. The details say why; stop the "
               "program that holds the loopback ports, or try again."),
            stripe.errorString()));
    }
    const stripelocal::DemoStripeSummary filled = stripelocal::fillDemoStripe(demo.billing(), stripe.store());
    const QString uri = demo.connectionSpec().displayUri();
    const QString stripeBase = stripe.baseUrl().toString();
    reporter.set(QStringLiteral("uri"), uri);
    reporter.set(QStringLiteral("folder"), demo.folder());
    reporter.set(QStringLiteral("stripe_api_base"), stripeBase);
    // Printing the key is deliberate: it is a test key made afresh for this process's loopback server, which
    // holds nothing but demo data and dies with the process. A script needs it to use the same demo; we
    // still never write it to a file or a log ourselves.
    reporter.set(QStringLiteral("stripe_api_key"), stripe.apiKey());
    // The URI is printed on its own line first so that scripts can read it before the demo is stopped; the
    // Stripe lines follow in the shape a shell can export.
    reporter.say(uri);
    reporter.say(QStringLiteral("BEACON_STRIPE_API_BASE=%1").arg(stripeBase));
    reporter.say(QStringLiteral("STRIPE_API_KEY=%1").arg(stripe.apiKey()));
    reporter.progress(tr("Demo database running in %1. Press Ctrl+C to stop it.").arg(demo.folder()));
    reporter.progress(
        tr("Local Stripe test server at %1: %2 customers, %3 subscriptions, %4 invoices; planted "
           "for reconciliation: a lost subscription id (workspace %5), two customers for one "
           "workspace (%6), a status mismatch (%7).")
            .arg(stripeBase)
            .arg(filled.customers)
            .arg(filled.subscriptions)
            .arg(filled.invoices)
            .arg(filled.lostSubscriptionWorkspace)
            .arg(filled.duplicateCustomerWorkspace)
            .arg(filled.statusDriftWorkspace));
    if (reporter.finish({}) != 0)
        return 1;
#ifdef Q_OS_UNIX
    QEventLoop loop;
    std::thread waiter = quitOnInterrupt(&loop);
    loop.exec();
    waiter.join();
#endif
    reporter.progress(tr("Stopping the demo database…"));
    demo.stop();
    return 0;
}

} // namespace

QString terminalSafe(const QString &text)
{
    QString safe;
    safe.reserve(text.size());
    const qsizetype size = text.size();
    for (qsizetype i = 0; i < size; ++i) {
        const char16_t c = text.at(i).unicode();
        if (c == u'\n' || c == u'\t') {
            safe.append(QChar(c));
            continue;
        }
        const bool escape = c == 0x1b;
        // CSI and the string commands (OSC, DCS, SOS, PM, APC), as ESC and a letter or as one C1 control.
        const char16_t introducer = escape && i + 1 < size ? text.at(i + 1).unicode() : (isC1(c) ? c : 0);
        const bool csi = introducer == u'[' || introducer == 0x9b;
        const bool string = introducer == u']' || introducer == u'P' || introducer == u'X' ||
                            introducer == u'^' || introducer == u'_' || introducer == 0x9d ||
                            introducer == 0x90 || introducer == 0x98 || introducer == 0x9e ||
                            introducer == 0x9f;
        if (escape && (csi || string))
            ++i; // the letter after ESC
        if (csi) {
            // Parameters and intermediates, then one final byte.
            while (i + 1 < size && text.at(i + 1).unicode() >= 0x20 && text.at(i + 1).unicode() <= 0x3f)
                ++i;
            if (i + 1 < size && text.at(i + 1).unicode() >= 0x40 && text.at(i + 1).unicode() <= 0x7e)
                ++i;
            continue;
        }
        if (string) {
            // Up to BEL, ST (ESC \ or U+009C), or the end of the text.
            while (i + 1 < size) {
                const char16_t next = text.at(i + 1).unicode();
                ++i;
                if (next == 0x07 || next == 0x9c)
                    break;
                if (next == 0x1b && i + 1 < size && text.at(i + 1) == u'\\') {
                    ++i;
                    break;
                }
            }
            continue;
        }
        if (escape) {
            // Any other ESC and the character it introduces.
            if (i + 1 < size && text.at(i + 1).unicode() >= 0x20 && text.at(i + 1).unicode() < 0x7f)
                ++i;
            continue;
        }
        if (c < 0x20 || c == 0x7f || isC1(c))
            continue;
        safe.append(QChar(c));
    }
    return safe;
}

QString terminalSafeJson(const QString &json)
{
    QString safe;
    safe.reserve(json.size());
    for (const QChar c : json) {
        if (c.unicode() == 0x7f || isC1(c.unicode()))
            safe.append(QStringLiteral("\\u%1").arg(int(c.unicode()), 4, 16, QLatin1Char('0')));
        else
            safe.append(c);
    }
    return safe;
}

int runCtl(const QStringList &arguments, QTextStream &out, QTextStream &err)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(tr("Beacon Admin's command line, for scripts and runbooks."));
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QList<QCommandLineOption> options = {
        {QStringLiteral("db"), tr("Database URI; otherwise libpq's PG* variables and ~/.pgpass."),
         QStringLiteral("uri")},
        {QStringLiteral("json"), tr("Print one JSON object on standard output.")},
        {QStringLiteral("actor"),
         tr("Who is acting, recorded in the audit log beside the database login (at most %1 characters).")
             .arg(actions::MaxActorLength),
         QStringLiteral("name")},
        {QStringLiteral("size"), tr("seed: tiny, small, medium or large."), QStringLiteral("size")},
        {QStringLiteral("seed"), tr("seed: the random seed (default 1)."), QStringLiteral("n")},
        {QStringLiteral("workspace"), tr("check: only this workspace; actions: the workspace acted on."),
         QStringLiteral("id")},
        {QStringLiteral("version"), tr("Print the version and exit.")},
        {{QStringLiteral("h"), QStringLiteral("help")}, tr("Print this help and exit.")},
    };
    parser.addOptions(options);
    parser.addOptions(actionOptions());
    parser.addOptions(stripeOptions());
    parser.addPositionalArgument(QStringLiteral("command"),
                                 tr("migrate, seed, demo, check, reconcile, or an action"));

    const bool json = arguments.contains(QStringLiteral("--json"));
    auto usage = [&](const QString &text) {
        Reporter reporter(out, err, json, QString());
        // An action's object keeps the action contract's fields even when its options could not be read.
        const QStringList named = parser.positionalArguments();
        if (!named.isEmpty() && actions::actionFromName(named.first()))
            describeUnreadAction(reporter, named.first(), parser.value(QStringLiteral("action-id")));
        const int code = reporter.finish(usageError(text));
        if (!json)
            err << tr("Run \"beaconctl --help\" for the commands and their options.") << Qt::endl;
        return code;
    };

    if (!parser.parse(arguments))
        return usage(parser.errorText());
    if (parser.isSet(QStringLiteral("version"))) {
        out << "beaconctl " << applicationVersion() << " (schema " << Migrator::expectedVersion() << ")"
            << Qt::endl;
        return 0;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out << parser.helpText() << Qt::endl << tr("Commands:") << Qt::endl;
        for (const Command &command : commands())
            out << "  " << command.name.leftJustified(15) << command.summary << Qt::endl;
        out << Qt::endl
            << tr("Exit codes: 0 ok, 1 internal error, 2 usage or bad input, 3 refused or anomalies found, 4 "
                  "busy, "
                  "5 conflict, 6 permission denied, 7 database unavailable.")
            << Qt::endl;
        return 0;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty())
        return usage(tr("No command given."));
    // "billing show" is the one command of two words.
    const bool billingShow = positional.first() == QLatin1String("billing") && positional.size() == 2 &&
                             positional.at(1) == QLatin1String("show");
    if (positional.first() == QLatin1String("billing") && !billingShow)
        return usage(tr("Say \"billing show --workspace ID\"."));
    if (positional.size() > 1 && !billingShow)
        return usage(tr("Unexpected argument \"%1\".").arg(positional.at(1)));
    const QString name = positional.first();
    const auto command = std::find_if(commands().begin(), commands().end(),
                                      [&](const Command &candidate) { return candidate.name == name; });
    if (command == commands().end())
        return usage(tr("Unknown command \"%1\".").arg(name));

    static const QStringList globalOptions = {QStringLiteral("db"), QStringLiteral("json"),
                                              QStringLiteral("actor")};
    for (const QString &option : parser.optionNames()) {
        if (!globalOptions.contains(option) && !command->options.contains(option))
            return usage(tr("The option --%1 does not apply to \"%2\".").arg(option, name));
    }
    // A NUL would be cut off wherever the value goes (libpq, a file name, the audit row): refused, never
    // shortened. Only a caller that hands runCtl() its arguments directly can send one; argv cannot.
    for (const QString &option : parser.optionNames()) {
        for (const QString &value : parser.values(option)) {
            if (value.contains(QChar(u'\0')))
                return usage(
                    tr("The value of --%1 contains a NUL character; remove it and try again.").arg(option));
        }
    }
    if (parser.isSet(QStringLiteral("actor")) && parser.value(QStringLiteral("actor")).trimmed().isEmpty())
        return usage(tr("--actor must not be empty."));
    if (name == QLatin1String("seed") && !parser.isSet(QStringLiteral("size")))
        return usage(tr("seed needs --size tiny, small, medium or large."));

    Reporter reporter(out, err, json, name);
    if (const auto kind = actions::actionFromName(name))
        return runAction(*kind, parser, reporter);
    if (name == QLatin1String("migrate"))
        return runMigrate(parser, reporter);
    if (name == QLatin1String("seed"))
        return runSeed(parser, reporter);
    if (name == QLatin1String("check"))
        return runCheck(parser, reporter);
    if (name == QLatin1String("reconcile"))
        return runReconcile(parser, reporter);
    if (name == QLatin1String("billing"))
        return runBillingShow(parser, reporter);
    return runDemo(parser, reporter);
}

} // namespace beacon::cli
