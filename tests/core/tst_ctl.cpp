// beaconctl's contract as scripts see it: exit codes, one JSON object with --json, and refusals that say why.
#include "ctlrunner.h"
#include "testdatabase.h"

#include "check/anomalycheck.h"
#include "db/migrator.h"

#include <QJsonArray>
#include <QSqlQuery>
#include <QTemporaryDir>

using namespace beacon;
using beacon::test::runBeaconctl;

class TestCtl : public QObject {
    Q_OBJECT
private slots:
    void version_printsVersionAndSchema();
    void badInput_exitsTwoWithReason_data();
    void badInput_exitsTwoWithReason();
    void json_usageError_printsOneObject();
    void migrate_emptyDatabase_appliesAllThenNothing();
    void check_unknownSchemaVersion_exitsThreeAndNamesVersions();
    void check_serverDown_exitsSevenUnavailable();
    void seedThenCheck_reportsEachPlantedAnomalyById();
    void check_unknownWorkspace_exitsThree();
    void seed_nonEmptyDatabase_refused();
    void passwordInDbAddress_refusedWithoutEchoingIt_data();
    void passwordInDbAddress_refusedWithoutEchoingIt();
    void connectionFailure_neverEchoesThePassword_data();
    void connectionFailure_neverEchoesThePassword();
};

static QString uriOf(const test::TestDatabase &database)
{
    return database.spec().displayUri();
}

void TestCtl::version_printsVersionAndSchema()
{
    const auto run = runBeaconctl({QStringLiteral("--version")});
    QCOMPARE(run.exitCode, 0);
    QVERIFY2(run.out.startsWith(QLatin1String("beaconctl " BEACON_VERSION)), qPrintable(run.out));
    QVERIFY(run.out.contains(QStringLiteral("schema %1").arg(Migrator::expectedVersion())));
}

void TestCtl::badInput_exitsTwoWithReason_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("reason");
    QTest::newRow("no command") << QStringList{} << "No command given";
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")} << "Unknown command";
    QTest::newRow("unknown option") << QStringList{QStringLiteral("--bogus"), QStringLiteral("check")}
                                    << "Unknown option";
    QTest::newRow("option of another command")
        << QStringList{QStringLiteral("check"), QStringLiteral("--size"), QStringLiteral("tiny")}
        << "does not apply";
    QTest::newRow("seed without size") << QStringList{QStringLiteral("seed")} << "needs --size";
    QTest::newRow("seed bad size") << QStringList{QStringLiteral("seed"), QStringLiteral("--size"),
                                                  QStringLiteral("huge")}
                                   << "--size must be";
    QTest::newRow("seed bad number") << QStringList{QStringLiteral("seed"), QStringLiteral("--size"),
                                                    QStringLiteral("tiny"), QStringLiteral("--seed"),
                                                    QStringLiteral("-4")}
                                     << "--seed must be";
    QTest::newRow("non-numeric workspace")
        << QStringList{QStringLiteral("check"), QStringLiteral("--workspace"), QStringLiteral("abc")}
        << "--workspace must be a positive whole number";
    QTest::newRow("extra argument") << QStringList{QStringLiteral("check"), QStringLiteral("now")}
                                    << "Unexpected argument";
    QTest::newRow("not a uri") << QStringList{QStringLiteral("--db"), QStringLiteral("mysql://x@y/z"),
                                              QStringLiteral("check")}
                               << "is not a database address";
    QTest::newRow("empty actor") << QStringList{QStringLiteral("--actor"), QStringLiteral(" "),
                                                QStringLiteral("check")}
                                 << "--actor must not be empty";
}

void TestCtl::badInput_exitsTwoWithReason()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, reason);
    const auto run = runBeaconctl(arguments);
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(reason), qPrintable(run.err));
}

void TestCtl::json_usageError_printsOneObject()
{
    const auto run = runBeaconctl({QStringLiteral("--json"), QStringLiteral("frobnicate")});
    QCOMPARE(run.exitCode, 2);
    QCOMPARE(run.out.count(QLatin1Char('\n')), 1);
    const QJsonObject object = run.json();
    QCOMPARE(object.value(QStringLiteral("ok")).toBool(true), false);
    QCOMPARE(object.value(QStringLiteral("outcome")).toString(), QStringLiteral("usage"));
    QVERIFY(object.value(QStringLiteral("message")).toString().contains(QLatin1String("Unknown command")));
}

void TestCtl::migrate_emptyDatabase_appliesAllThenNothing()
{
    test::TestDatabase database(QStringLiteral("ctl_migrate"), test::TestDatabase::Contents::Empty);
    QVERIFY_TESTDB(database);
    auto run = runBeaconctl(
        {QStringLiteral("--db"), uriOf(database), QStringLiteral("--json"), QStringLiteral("migrate")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    QCOMPARE(run.json().value(QStringLiteral("applied")).toArray().size(), Migrator::migrations().size());
    QCOMPARE(run.json().value(QStringLiteral("schema_version")).toInt(), Migrator::expectedVersion());

    run = runBeaconctl(
        {QStringLiteral("--db"), uriOf(database), QStringLiteral("--json"), QStringLiteral("migrate")});
    QCOMPARE(run.exitCode, 0);
    QVERIFY(run.json().value(QStringLiteral("applied")).toArray().isEmpty());
    QCOMPARE(run.json().value(QStringLiteral("ok")).toBool(), true);
}

void TestCtl::check_unknownSchemaVersion_exitsThreeAndNamesVersions()
{
    test::TestDatabase database(QStringLiteral("ctl_version"));
    QVERIFY_TESTDB(database);
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, prepare(QStringLiteral(
                           "INSERT INTO schema_migrations (version, name) VALUES (:v, 'future')")));
    query.bindValue(QStringLiteral(":v"), Migrator::expectedVersion() + 1);
    QVERIFY_SQL(query, exec());
    const auto run = runBeaconctl({QStringLiteral("--db"), uriOf(database), QStringLiteral("check")});
    QCOMPARE(run.exitCode, 3);
    QVERIFY2(run.err.contains(QStringLiteral("version %1").arg(Migrator::expectedVersion() + 1)),
             qPrintable(run.err));
    QVERIFY2(run.err.contains(QStringLiteral("version %1").arg(Migrator::expectedVersion())),
             qPrintable(run.err));
}

void TestCtl::check_serverDown_exitsSevenUnavailable()
{
    QTemporaryDir noServerHere;
    const QString uri = QStringLiteral("postgresql://postgres@/beacon?host=%1").arg(noServerHere.path());
    const auto run =
        runBeaconctl({QStringLiteral("--json"), QStringLiteral("--db"), uri, QStringLiteral("check")});
    QCOMPARE(run.exitCode, 7);
    QCOMPARE(run.json().value(QStringLiteral("outcome")).toString(), QStringLiteral("unavailable"));
    QVERIFY(run.json()
                .value(QStringLiteral("message"))
                .toString()
                .contains(QLatin1String("No database server answered")));
}

void TestCtl::seedThenCheck_reportsEachPlantedAnomalyById()
{
    test::TestDatabase database(QStringLiteral("ctl_check"));
    QVERIFY_TESTDB(database);
    auto run = runBeaconctl({QStringLiteral("--db"), uriOf(database), QStringLiteral("check")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));

    run = runBeaconctl({QStringLiteral("--db"), uriOf(database), QStringLiteral("--json"),
                        QStringLiteral("seed"), QStringLiteral("--size"), QStringLiteral("tiny"),
                        QStringLiteral("--seed"), QStringLiteral("7")});
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    QVERIFY(run.json().value(QStringLiteral("rows")).toObject().value(QStringLiteral("users")).toInt() > 0);

    run = runBeaconctl(
        {QStringLiteral("--db"), uriOf(database), QStringLiteral("--json"), QStringLiteral("check")});
    QCOMPARE(run.exitCode, 3);
    const QJsonArray anomalies = run.json().value(QStringLiteral("anomalies")).toArray();
    QSet<QString> kinds;
    for (const QJsonValue &value : anomalies) {
        const QJsonObject anomaly = value.toObject();
        kinds.insert(anomaly.value(QStringLiteral("kind")).toString());
        QVERIFY(anomaly.value(QStringLiteral("target_id")).toInteger() > 0);
    }
    const QSet<QString> expected = {
        QLatin1String(AnomalyKind::StorageDrift), QLatin1String(AnomalyKind::DuplicateUserEmail),
        QLatin1String(AnomalyKind::CanceledButWritable), QLatin1String(AnomalyKind::OverMemberLimit)};
    QCOMPARE(kinds, expected);

    // Each reported id is a real row that really has the damage, checked here independently of the check.
    QSqlQuery query(database.db());
    for (const QJsonValue &value : anomalies) {
        const QJsonObject anomaly = value.toObject();
        const QString kind = anomaly.value(QStringLiteral("kind")).toString();
        const qint64 id = anomaly.value(QStringLiteral("target_id")).toInteger();
        if (kind == QLatin1String(AnomalyKind::StorageDrift)) {
            query.prepare(
                QStringLiteral("SELECT w.storage_used_bytes <> coalesce((SELECT sum(size_bytes) FROM files f "
                               "WHERE f.workspace_id = w.id), 0) FROM workspaces w WHERE w.id = :id"));
        } else if (kind == QLatin1String(AnomalyKind::CanceledButWritable)) {
            query.prepare(
                QStringLiteral("SELECT subscription_status = 'canceled' AND NOT read_only FROM workspaces "
                               "WHERE id = :id"));
        } else if (kind == QLatin1String(AnomalyKind::OverMemberLimit)) {
            query.prepare(QStringLiteral(
                "SELECT (SELECT count(*) FROM memberships m WHERE m.workspace_id = w.id) > "
                "p.max_members FROM workspaces w JOIN plans p ON p.code = w.plan WHERE w.id = :id"));
        } else {
            query.prepare(
                QStringLiteral("SELECT count(*) > 1 FROM users u JOIN users d ON lower(d.primary_email) = "
                               "lower(u.primary_email) WHERE u.id = :id"));
        }
        query.bindValue(QStringLiteral(":id"), id);
        QVERIFY_SQL(query, exec());
        QVERIFY2(query.next() && query.value(0).toBool(),
                 qPrintable(kind + QLatin1Char(' ') + QString::number(id)));
    }

    // Narrowed to one damaged workspace, the check reports that workspace and nothing about others.
    qint64 canceled = 0;
    for (const QJsonValue &value : anomalies) {
        if (value.toObject().value(QStringLiteral("kind")).toString() ==
            QLatin1String(AnomalyKind::CanceledButWritable))
            canceled = value.toObject().value(QStringLiteral("target_id")).toInteger();
    }
    run = runBeaconctl({QStringLiteral("--db"), uriOf(database), QStringLiteral("--json"),
                        QStringLiteral("check"), QStringLiteral("--workspace"), QString::number(canceled)});
    QCOMPARE(run.exitCode, 3);
    for (const QJsonValue &value : run.json().value(QStringLiteral("anomalies")).toArray()) {
        const QJsonObject anomaly = value.toObject();
        if (anomaly.value(QStringLiteral("target_type")).toString() == QLatin1String("workspace"))
            QCOMPARE(anomaly.value(QStringLiteral("target_id")).toInteger(), canceled);
    }
}

void TestCtl::check_unknownWorkspace_exitsThree()
{
    test::TestDatabase database(QStringLiteral("ctl_nows"));
    QVERIFY_TESTDB(database);
    const auto run = runBeaconctl({QStringLiteral("--db"), uriOf(database), QStringLiteral("check"),
                                   QStringLiteral("--workspace"), QStringLiteral("987654321")});
    QCOMPARE(run.exitCode, 3);
    QVERIFY2(run.err.contains(QLatin1String("no workspace with id 987654321")), qPrintable(run.err));
}

void TestCtl::seed_nonEmptyDatabase_refused()
{
    test::TestDatabase database(QStringLiteral("ctl_reseed"));
    QVERIFY_TESTDB(database);
    const QStringList seed = {QStringLiteral("--db"), uriOf(database), QStringLiteral("seed"),
                              QStringLiteral("--size"), QStringLiteral("tiny")};
    auto run = runBeaconctl(seed);
    QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT count(*) FROM users")));
    QVERIFY(query.next());
    const qint64 users = query.value(0).toLongLong();
    run = runBeaconctl(seed);
    QCOMPARE(run.exitCode, 3);
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT count(*) FROM users")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toLongLong(), users);
}

namespace {

// The program as a person runs it: beaconctl, or the console's own command line (which stops right after
// connecting, or failing to, with --exit-when-ready).
beacon::test::CtlRun runProgram(const QString &program, const QStringList &arguments,
                                const QProcessEnvironment &environment)
{
    if (program == QLatin1String("beaconctl"))
        return runBeaconctl(arguments + QStringList{QStringLiteral("check")}, environment);
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("BEACON_ADMIN"),
                  arguments + QStringList{QStringLiteral("--exit-when-ready")});
    beacon::test::CtlRun run;
    if (!process.waitForStarted(10000) || !process.waitForFinished(60000)) {
        run.err = QStringLiteral("beacon-admin did not run from $BEACON_ADMIN: ") + process.errorString();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

const char *const Secret = "Wh1spered-Pa55";

void addPerProgram(const char *name, const QString &address)
{
    for (const char *program : {"beaconctl", "beacon-admin"})
        QTest::addRow("%s: %s", program, name) << QString::fromLatin1(program) << address;
}

} // namespace

void TestCtl::passwordInDbAddress_refusedWithoutEchoingIt_data()
{
    QTest::addColumn<QString>("program");
    QTest::addColumn<QString>("address");
    const QString secret = QLatin1String(Secret);
    addPerProgram("uri", QStringLiteral("postgresql://ann:%1@127.0.0.1/beacon").arg(secret));
    addPerProgram("uri, query", QStringLiteral("postgresql://ann@127.0.0.1/beacon?password=%1").arg(secret));
    addPerProgram("conninfo", QStringLiteral("host=127.0.0.1 dbname=beacon password=%1").arg(secret));
    addPerProgram("conninfo, quoted", QStringLiteral("host=127.0.0.1 password='%1 x' port=5432").arg(secret));
    // Not parseable at all: libpq's reason quotes the text it choked on.
    addPerProgram("no scheme", QStringLiteral("ann:%1@127.0.0.1/beacon").arg(secret));
    addPerProgram("conninfo, broken", QStringLiteral("host=127.0.0.1 password=%1 dbname").arg(secret));
    addPerProgram("uri, bad port", QStringLiteral("postgresql://ann:%1@127.0.0.1:99x/beacon").arg(secret));
}

void TestCtl::passwordInDbAddress_refusedWithoutEchoingIt()
{
    QFETCH(QString, program);
    QFETCH(QString, address);
    const auto run =
        runProgram(program, {QStringLiteral("--db"), address}, QProcessEnvironment::systemEnvironment());
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(!QString(run.out + run.err).contains(QLatin1String(Secret)), qPrintable(run.out + run.err));
    QVERIFY2(!QString(run.out + run.err).contains(QLatin1String("Wh1spered")), qPrintable(run.out + run.err));
    if (address.contains(QLatin1String("127.0.0.1/beacon")) ||
        address.contains(QLatin1String("dbname=beacon")) || address.endsWith(QLatin1String("port=5432")))
        QVERIFY2(run.err.contains(QLatin1String("PGPASSWORD")) && run.err.contains(QLatin1String(".pgpass")),
                 qPrintable(run.err));
}

void TestCtl::connectionFailure_neverEchoesThePassword_data()
{
    QTest::addColumn<QString>("program");
    QTest::addColumn<QString>("address");
    // A server that is not there, and the run's server over TCP (which refuses the password).
    addPerProgram("no server", QStringLiteral("postgresql://ann@/beacon?host=/nonexistent/beacon-socket"));
    addPerProgram("wrong password",
                  QStringLiteral("postgresql://postgres@127.0.0.1:%1/postgres?sslmode=require")
                      .arg(test::TestDatabase::tcpPort()));
}

void TestCtl::connectionFailure_neverEchoesThePassword()
{
    QFETCH(QString, program);
    QFETCH(QString, address);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("PGPASSWORD"), QLatin1String(Secret));
    const auto run = runProgram(program, {QStringLiteral("--db"), address}, environment);
    QVERIFY2(run.exitCode == 6 || run.exitCode == 7 ||
                 (program == QLatin1String("beacon-admin") && run.exitCode == 1),
             qPrintable(QString::number(run.exitCode) + run.out + run.err));
    QVERIFY2(!QString(run.out + run.err).contains(QLatin1String("Wh1spered")), qPrintable(run.out + run.err));
}

QTEST_GUILESS_MAIN(TestCtl)
#include "tst_ctl.moc"
