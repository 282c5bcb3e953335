// The main window's promises: the status bar says where and as whom, production cannot be missed, an
// unknown schema is announced with both versions, and the executable answers --version without a display.
#include "testdatabase.h"

#include "billing/stripecall.h"
#include "billing/stripeclient.h"
#include "billingtab.h"
#include "connectflow.h"
#include "db/localcluster.h"
#include "db/migrator.h"
#include "detailpane.h"
#include "mainwindow.h"
#include "secretstore.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace beacon;

// Shows the window, connects it to `spec` and says whether it got its session within 15 seconds: how every
// connectTo test starts.
static bool connectToAndWait(ui::MainWindow &window, const ConnectionSpec &spec, const QString &profileName,
                             bool production)
{
    window.show();
    window.connectTo(spec, profileName, production);
    return QTest::qWaitFor([&window] { return window.hasSession(); }, 15000);
}

// A profile named `name` that reaches `spec`'s database, the start of every saved profile these tests use.
static ConnectionProfile profileReaching(const QString &name, const ConnectionSpec &spec)
{
    ConnectionProfile profile;
    profile.name = name;
    profile.host = spec.host;
    profile.port = spec.port;
    profile.database = spec.database;
    profile.user = spec.user;
    return profile;
}

// Shows the window, connects it with the saved profile `name` as ConnectFlow does for the app, and says
// whether that was started and the window got its session within 15 seconds.
static bool connectWithProfileAndWait(ui::MainWindow &window, const ProfileStore &profiles,
                                      ui::SecretStore *secrets, const QString &name)
{
    window.show();
    QString problem;
    return ui::ConnectFlow::connectWithProfile(&window, profiles, secrets, name, &problem, {}) &&
           QTest::qWaitFor([&window] { return window.hasSession(); }, 15000);
}

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void connectTo_productionFlag_showsRedBannerOnlyForProduction_data();
    void connectTo_productionFlag_showsRedBannerOnlyForProduction();
    void connectTo_unknownSchemaVersion_bannerNamesBothVersions();
    void connectTo_financeLogin_statusBarShowsLoginAndGroup();
    void connectTo_serverDown_showsProblemAndEmitsFailed();
    void connectTo_noStripe_billingTabSaysNotSetUp();
    void startDemo_databaseUp_statusBarSaysLocalStripeAndItsAccessReadsTheDemo();
    void connectWithProfile_stripeKey_statusAndAccessFollowModeAndProductionMark_data();
    void connectWithProfile_stripeKey_statusAndAccessFollowModeAndProductionMark();
    void connectWithProfile_stripeKeyUnreadable_billingOffDatabaseWorks();
    void connectTo_noProfile_stripeNotSetUp();
    void executable_version_printsVersionWithoutDisplay();
    void executable_exitWhenReady_connectsThenExitsZero();
    void executable_exitWhenReady_serverDown_exitsOneWithMessage();
    void executable_profile_connectsWithSavedProfile();
    void executable_profile_unknown_exitsTwoAndNamesIt();

private:
    // beacon-admin as a smoke test starts it: offscreen, with its settings in a folder of the test's own.
    void runAdmin(QProcess &process, const QStringList &arguments);
    QTemporaryDir m_folder;
};

void TestMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_folder.isValid());
}

void TestMainWindow::connectTo_productionFlag_showsRedBannerOnlyForProduction_data()
{
    QTest::addColumn<bool>("production");
    QTest::newRow("production") << true;
    QTest::newRow("staging") << false;
}

void TestMainWindow::connectTo_productionFlag_showsRedBannerOnlyForProduction()
{
    QFETCH(bool, production);
    test::TestDatabase database(QStringLiteral("ui_banner"));
    QVERIFY_TESTDB(database);
    ProfileStore profiles(m_folder.filePath(QStringLiteral("banner.ini")));
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    QVERIFY(connectToAndWait(window, database.spec(), QStringLiteral("Profile"), production));
    auto *banner = window.findChild<QLabel *>(QStringLiteral("productionBanner"));
    QCOMPARE(banner->isVisible(), production);
    if (production)
        QVERIFY(banner->text().contains(QLatin1String("PRODUCTION")));
}

void TestMainWindow::connectTo_unknownSchemaVersion_bannerNamesBothVersions()
{
    test::TestDatabase database(QStringLiteral("ui_schema"));
    QVERIFY_TESTDB(database);
    const int newer = Migrator::expectedVersion() + 3;
    QSqlQuery query(database.db());
    QVERIFY_SQL(query,
                prepare(QStringLiteral("INSERT INTO schema_migrations (version, name) VALUES (:v, 'x')")));
    query.bindValue(QStringLiteral(":v"), newer);
    QVERIFY_SQL(query, exec());
    ProfileStore profiles(m_folder.filePath(QStringLiteral("schema.ini")));
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    QVERIFY(connectToAndWait(window, database.spec(), {}, false));
    auto *banner = window.findChild<QLabel *>(QStringLiteral("schemaBanner"));
    QVERIFY(banner->isVisible());
    QVERIFY2(banner->text().contains(QString::number(newer)) &&
                 banner->text().contains(QString::number(Migrator::expectedVersion())),
             qPrintable(banner->text()));
    QVERIFY(
        window.findChild<QLabel *>(QStringLiteral("statusSchema"))->text().contains(QString::number(newer)));
}

void TestMainWindow::connectTo_financeLogin_statusBarShowsLoginAndGroup()
{
    test::TestDatabase database(QStringLiteral("ui_status"));
    QVERIFY_TESTDB(database);
    const QString login = database.createLogin(QStringLiteral("beacon_finance"));
    ProfileStore profiles(m_folder.filePath(QStringLiteral("status.ini")));
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    QVERIFY(connectToAndWait(window, database.spec(login), QStringLiteral("Finance"), false));
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("statusRole"))->text(),
             QStringLiteral("Login: %1 (beacon_finance)").arg(login));
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("statusSchema"))->text(),
             QStringLiteral("Schema: v%1").arg(Migrator::expectedVersion()));
    const QString server = window.findChild<QLabel *>(QStringLiteral("statusServer"))->text();
    QVERIFY2(server.contains(database.spec(login).displayUri()), qPrintable(server));
    QVERIFY(window.windowTitle().contains(QLatin1String("Finance")));
}

void TestMainWindow::connectTo_serverDown_showsProblemAndEmitsFailed()
{
    ProfileStore profiles(m_folder.filePath(QStringLiteral("down.ini")));
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    window.show();
    QSignalSpy failed(&window, &ui::MainWindow::failed);
    QTemporaryDir noServer;
    ConnectionSpec spec;
    spec.host = noServer.path();
    spec.user = QStringLiteral("x");
    spec.database = QStringLiteral("y");
    window.connectTo(spec, {}, false);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 15000);
    auto *problem = window.findChild<QLabel *>(QStringLiteral("problemBanner"));
    QVERIFY(problem->isVisible());
    QVERIFY2(problem->text().contains(QLatin1String("No database server answered")),
             qPrintable(problem->text()));
    QVERIFY(!window.hasSession());
}

void TestMainWindow::connectTo_noStripe_billingTabSaysNotSetUp()
{
    test::TestDatabase database(QStringLiteral("ui_nostripe"));
    QVERIFY_TESTDB(database);
    QSqlQuery query(database.db());
    QVERIFY_SQL(query,
                exec(QStringLiteral("INSERT INTO workspaces (id, name, slug, plan, stripe_customer_id) "
                                    "VALUES (7, 'Seven', 'seven', 'team', 'cus_seven')")));
    ProfileStore profiles(m_folder.filePath(QStringLiteral("nostripe.ini")));
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    QVERIFY(connectToAndWait(window, database.spec(), QStringLiteral("No Stripe"), false));
    QVERIFY(!window.stripeAccess().key);
    auto *pane = window.findChild<ui::DetailPane *>(QStringLiteral("detailPane"));
    QVERIFY(pane);
    pane->showWorkspace(qint64(7));
    pane->setCurrentWidget(pane->billing());
    auto *notice = pane->billing()->findChild<QLabel *>(QStringLiteral("billingNotice"));
    QTRY_VERIFY_WITH_TIMEOUT(notice->isVisible(), 10000);
    QVERIFY2(notice->text().startsWith(QLatin1String("Stripe is not set up for this connection: ")),
             qPrintable(notice->text()));
}

void TestMainWindow::startDemo_databaseUp_statusBarSaysLocalStripeAndItsAccessReadsTheDemo()
{
    QTemporaryDir parent(QDir::tempPath() + QStringLiteral("/bwdemo-XXXXXX"));
    QVERIFY(parent.isValid());
    // As root the demo's server runs as postgres, which must be able to walk into the folder.
    QFile::setPermissions(parent.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                             QFileDevice::ExeOwner | QFileDevice::ExeGroup |
                                             QFileDevice::ExeOther);
    const QString folder = parent.path() + QStringLiteral("/demo");
    qputenv("BEACON_DEMO_DIR", folder.toLocal8Bit());
    // Whatever fails below, no server may outlive the test.
    auto cleanUp = qScopeGuard([&] {
        qunsetenv("BEACON_DEMO_DIR");
        LocalCluster(folder, {}).stop();
    });
    ProfileStore profiles(m_folder.filePath(QStringLiteral("demo.ini")));
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    window.show();
    auto *stripeLabel = window.findChild<QLabel *>(QStringLiteral("statusStripe"));
    QVERIFY(stripeLabel);
    QVERIFY(!stripeLabel->isVisible());
    QVERIFY(!window.stripeAccess().key && !window.stripeAccess().endpoint);

    QSignalSpy failed(&window, &ui::MainWindow::failed);
    window.startDemo();
    // The first run seeds the `small` data set: seconds to a minute on a busy machine.
    QTRY_VERIFY_WITH_TIMEOUT(window.hasSession() || !failed.isEmpty(), 300000);
    QVERIFY(failed.isEmpty());
    QVERIFY(stripeLabel->isVisible());
    QCOMPARE(stripeLabel->text(), QStringLiteral("Stripe: local test server"));

    // What a Billing tab will use reaches the demo's Stripe, filled with the demo's subscriptions.
    const billing::StripeAccess access = window.stripeAccess();
    QVERIFY(access.key && access.endpoint);
    QVERIFY(access.key->isTest());
    billing::StripeClient stripe(*access.key, *access.endpoint);
    billing::StripeCall *call =
        stripe.list(QStringLiteral("/v1/subscriptions"),
                    {{QStringLiteral("limit"), 100}, {QStringLiteral("status"), QStringLiteral("all")}},
                    QStringLiteral("Reading the demo's subscriptions"));
    QTRY_VERIFY_WITH_TIMEOUT(call->isFinished(), 60000);
    QVERIFY2(!call->error(), qPrintable(call->error().fullText()));
    QVERIFY2(call->items().size() > 100, "every paying workspace of the demo must have its subscription");
    for (const QJsonValue &subscription : call->items())
        QVERIFY(!subscription.toObject()
                     .value(QStringLiteral("metadata"))
                     .toObject()
                     .value(QStringLiteral("workspace_id"))
                     .toString()
                     .isEmpty());

    // The workspace pane's Billing tab asks that same Stripe.
    const QJsonObject first = call->items().first().toObject();
    auto *pane = window.findChild<ui::DetailPane *>(QStringLiteral("detailPane"));
    pane->showWorkspace(first.value(QStringLiteral("metadata"))
                            .toObject()
                            .value(QStringLiteral("workspace_id"))
                            .toString()
                            .toLongLong());
    window.findChild<QListWidget *>(QStringLiteral("navigation"))->setCurrentRow(0);
    pane->setCurrentWidget(pane->billing());
    auto *status = pane->billing()->findChild<QLabel *>(QStringLiteral("billingSubscriptionStatus"));
    QTRY_VERIFY_WITH_TIMEOUT(status->isVisible(), 30000);
    QCOMPARE(status->text(), first.value(QStringLiteral("status")).toString());
    window.stopDemo();
}

static const QString TestKey = QStringLiteral("sk_test_51WindowTestKey0123456789abcdefTEST");
static const QString LiveKey = QStringLiteral("sk_live_51WindowLiveKey0123456789abcdefLIVE");

void TestMainWindow::connectWithProfile_stripeKey_statusAndAccessFollowModeAndProductionMark_data()
{
    QTest::addColumn<QString>("key"); // empty: the profile keeps none
    QTest::addColumn<bool>("production");
    QTest::addColumn<QString>("apiBase");
    QTest::addColumn<QString>("expectedStatus");
    QTest::addColumn<QString>("expectedRefusal"); // empty: the key is used
    QTest::newRow("test key") << TestKey << false << QString() << QStringLiteral("Stripe test mode")
                              << QString();
    QTest::newRow("live key, production")
        << LiveKey << true << QString() << QStringLiteral("Stripe: live") << QString();
    QTest::newRow("live key, not production")
        << LiveKey << false << QString() << QStringLiteral("Stripe: off")
        << QStringLiteral("\"Staging\" is not marked as production");
    // A settings file edited by hand gets the same rule as the dialog.
    QTest::newRow("http to another computer")
        << TestKey << false << QStringLiteral("http://10.0.0.5:12111") << QStringLiteral("Stripe: off")
        << QStringLiteral("plain http to another computer");
    QTest::newRow("no key") << QString() << false << QString() << QStringLiteral("Stripe: not set up")
                            << QString();
}

void TestMainWindow::connectWithProfile_stripeKey_statusAndAccessFollowModeAndProductionMark()
{
    QFETCH(QString, key);
    QFETCH(bool, production);
    QFETCH(QString, apiBase);
    QFETCH(QString, expectedStatus);
    QFETCH(QString, expectedRefusal);
    test::TestDatabase database(QStringLiteral("ui_stripeprofile"));
    QVERIFY_TESTDB(database);
    // Stripe's own address unless the profile names another: not one exported for the demo's server.
    qunsetenv("BEACON_STRIPE_API_BASE");
    ProfileStore profiles(m_folder.filePath(QStringLiteral("stripe-%1.ini").arg(QTest::currentDataTag())));
    ui::MemorySecretStore secrets;
    ConnectionProfile profile = profileReaching(QStringLiteral("Staging"), database.spec());
    profile.production = production;
    profile.hasStripeKey = !key.isEmpty();
    profile.stripeApiBase = apiBase;
    profiles.save(profile);
    if (!key.isEmpty())
        secrets.write(profile.stripeKeySecretKey(), key);

    ui::MainWindow window(&profiles, &secrets);
    QVERIFY(connectWithProfileAndWait(window, profiles, &secrets, profile.name));

    auto *status = window.findChild<QLabel *>(QStringLiteral("statusStripe"));
    QVERIFY(status->isVisible());
    QCOMPARE(status->text(), expectedStatus);
    auto *banner = window.findChild<QLabel *>(QStringLiteral("stripeBanner"));
    const billing::StripeAccess access = window.stripeAccess();
    if (expectedRefusal.isEmpty()) {
        QVERIFY(!banner->isVisible());
        QCOMPARE(bool(access.key), !key.isEmpty());
        QCOMPARE(bool(access.endpoint), !key.isEmpty());
        if (access.key) {
            QCOMPARE(access.key->secretForTransport(), key.toLatin1());
            QVERIFY(access.endpoint->isStripe());
        }
    } else {
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->text().contains(expectedRefusal) &&
                     banner->text().contains(QStringLiteral("Billing is off")),
                 qPrintable(banner->text()));
        QVERIFY(!access.key && !access.endpoint);
    }
    if (!key.isEmpty()) {
        QVERIFY2(!status->toolTip().contains(key) && !banner->text().contains(key.mid(8, 12)),
                 "the key appears redacted at most");
    }
    QVERIFY(window.findChild<QLabel *>(QStringLiteral("statusDatabase"))->text().contains(database.name()));
}

void TestMainWindow::connectWithProfile_stripeKeyUnreadable_billingOffDatabaseWorks()
{
    test::TestDatabase database(QStringLiteral("ui_stripelocked"));
    QVERIFY_TESTDB(database);
    ProfileStore profiles(m_folder.filePath(QStringLiteral("stripe-locked.ini")));
    ConnectionProfile profile = profileReaching(QStringLiteral("Locked"), database.spec());
    profile.hasStripeKey = true;
    profiles.save(profile);
    ui::MemorySecretStore secrets;
    secrets.failWith(QStringLiteral("QtKeychain error 5: no Secret Service"));
    ui::MainWindow window(&profiles, &secrets);
    QVERIFY(connectWithProfileAndWait(window, profiles, &secrets, profile.name));
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("statusStripe"))->text(),
             QStringLiteral("Stripe: off"));
    auto *banner = window.findChild<QLabel *>(QStringLiteral("stripeBanner"));
    QVERIFY(banner->isVisible());
    QVERIFY2(banner->text().contains(QStringLiteral("could not be read from the system keychain")),
             qPrintable(banner->text()));
    QVERIFY(window.findChild<QLabel *>(QStringLiteral("stripeBannerDetails"))
                ->text()
                .contains(QStringLiteral("no Secret Service")));
    QVERIFY(!window.stripeAccess().key);
}

void TestMainWindow::connectTo_noProfile_stripeNotSetUp()
{
    test::TestDatabase database(QStringLiteral("ui_stripenone"));
    QVERIFY_TESTDB(database);
    ProfileStore profiles(m_folder.filePath(QStringLiteral("stripe-none.ini")));
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    window.show();
    auto *status = window.findChild<QLabel *>(QStringLiteral("statusStripe"));
    QVERIFY(!status->isVisible());
    QVERIFY(connectToAndWait(window, database.spec(), {}, false));
    QVERIFY(status->isVisible());
    QCOMPARE(status->text(), QStringLiteral("Stripe: not set up"));
    QVERIFY(!window.findChild<QLabel *>(QStringLiteral("stripeBanner"))->isVisible());
    QVERIFY(!window.stripeAccess().key && !window.stripeAccess().endpoint);
}

void TestMainWindow::executable_version_printsVersionWithoutDisplay()
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("QT_QPA_PLATFORM"));
    environment.remove(QStringLiteral("DISPLAY"));
    environment.remove(QStringLiteral("WAYLAND_DISPLAY"));
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("BEACON_ADMIN"), {QStringLiteral("--version")});
    QVERIFY(process.waitForFinished(30000));
    QCOMPARE(process.exitCode(), 0);
    QCOMPARE(QString::fromUtf8(process.readAllStandardOutput()).trimmed(),
             QStringLiteral("beacon-admin " BEACON_VERSION));
}

void TestMainWindow::runAdmin(QProcess &process, const QStringList &arguments)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), m_folder.filePath(QStringLiteral("config")));
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("BEACON_ADMIN"), arguments);
    QVERIFY(process.waitForFinished(30000));
}

void TestMainWindow::executable_exitWhenReady_connectsThenExitsZero()
{
    test::TestDatabase database(QStringLiteral("ui_exe"));
    QVERIFY_TESTDB(database);
    QProcess process;
    runAdmin(process,
             {QStringLiteral("--db"), database.spec().displayUri(), QStringLiteral("--exit-when-ready")});
    const QString output = QString::fromUtf8(process.readAllStandardOutput());
    QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
             qPrintable(output + QString::fromUtf8(process.readAllStandardError())));
    QVERIFY2(output.contains(QLatin1String("main window shown")) && output.contains(database.name()),
             qPrintable(output));
}

void TestMainWindow::executable_exitWhenReady_serverDown_exitsOneWithMessage()
{
    QTemporaryDir noServer;
    QProcess process;
    runAdmin(process,
             {QStringLiteral("--db"), QStringLiteral("postgresql://ann@/beacon?host=%1").arg(noServer.path()),
              QStringLiteral("--exit-when-ready")});
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 1);
    const QString errors = QString::fromUtf8(process.readAllStandardError());
    QVERIFY2(errors.contains(QLatin1String("No database server answered")), qPrintable(errors));
}

void TestMainWindow::executable_profile_connectsWithSavedProfile()
{
    test::TestDatabase database(QStringLiteral("ui_exeprofile"));
    QVERIFY_TESTDB(database);
    const QString login = database.createLogin(QStringLiteral("beacon_support"));
    // Where beacon-admin keeps its settings (settingsFilePath(): organization Beacon, application Beacon
    // Admin) under runAdmin's XDG_CONFIG_HOME.
    ProfileStore profiles(m_folder.filePath(QStringLiteral("config/Beacon/Beacon Admin/settings.ini")));
    const ConnectionProfile profile = profileReaching(QStringLiteral("Support desk"), database.spec(login));
    profiles.save(profile);

    QProcess process;
    runAdmin(process, {QStringLiteral("--profile"), profile.name, QStringLiteral("--exit-when-ready")});
    const QString output = QString::fromUtf8(process.readAllStandardOutput());
    QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
             qPrintable(output + QString::fromUtf8(process.readAllStandardError())));
    QVERIFY2(output.contains(profile.name) && output.contains(database.name()), qPrintable(output));
}

void TestMainWindow::executable_profile_unknown_exitsTwoAndNamesIt()
{
    QProcess process;
    runAdmin(process, {QStringLiteral("--profile"), QStringLiteral("Nobody saved me"),
                       QStringLiteral("--exit-when-ready")});
    QCOMPARE(process.exitCode(), 2);
    const QString errors = QString::fromUtf8(process.readAllStandardError());
    QVERIFY2(errors.contains(QLatin1String("no saved profile named \"Nobody saved me\"")),
             qPrintable(errors));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
