// The connect dialog driven as a person would: saved profiles, the keychain, connecting to a real server,
// and each failure shown inside the dialog.
#include "testdatabase.h"

#include "connectdialog.h"
#include "connectflow.h"
#include "connectionprofilemodel.h"
#include "mainwindow.h"
#include "messagebox.h"
#include "secretstore.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QToolButton>

using namespace beacon;

// The settings file exactly as it lies on disk, where no password may ever appear.
static QByteArray settingsOnDisk(const ProfileStore &profiles)
{
    QFile file(profiles.fileName());
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Selects the profile `name` and clicks Delete, answering the confirmation with `answer`: the one way every
// delete test removes a profile through the dialog.
static void deleteProfileAnswering(ui::ConnectDialog &dialog, const QString &name,
                                   QMessageBox::StandardButton answer)
{
    dialog.selectProfile(name);
    ui::MessageBox::setNextAnswer(answer);
    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("deleteProfileButton")), Qt::LeftButton);
}

class TestConnectDialog : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void profileStore_saveAndRemove_roundTrips();
    void profileModel_passesModelTester();
    void connect_supportLogin_savesProfileKeepsPasswordOffDisk();
    void connect_wrongDatabase_showsInlineErrorAndStaysOpen();
    void connect_serverDown_showsNoServerAnswered();
    void connect_rememberedPassword_filledFromKeychain();
    void deleteProfile_confirmed_removesProfileAndSecret();
    void deleteProfile_declined_keepsProfile();
    void connect_keychainUnavailable_toldPasswordNotSavedAndNothingOnDisk();
    void connect_keychainUnavailableRememberOff_noComplaint();
    void selectProfile_keychainUnreadable_asksToTypePasswordInline();
    void deleteProfile_keychainUnavailable_toldSecretLeftInKeychain();
    void cancel_whileServerSilent_stopsWaitingAndIgnoresLateAnswer();
    void connect_stripeTestKey_keptInKeychainNeverOnDiskOrInLogs();
    void selectProfile_savedStripeKey_showsRedactedNeverTheKey();
    void connect_savedStripeKeyUntouched_keepsItAndSessionUsesIt();
    void forgetStripeKey_thenConnect_removesItAndStripeNotSetUp();
    void connect_liveStripeKeyNotProduction_connectsWithBillingOffAndSaysWhy();
    void connect_invalidStripeFields_refusedInlineBeforeConnecting_data();
    void connect_invalidStripeFields_refusedInlineBeforeConnecting();
    void deleteProfile_withStripeKey_removesItFromKeychain();
    void connect_stripeKeyKeychainUnavailable_toldNotSavedSessionStillUsesIt();

private:
    ui::ConnectDialog *openDialog(ui::MainWindow &window);
    void fill(ui::ConnectDialog *dialog, const ConnectionSpec &spec, const QString &name,
              const QString &password, bool remember, bool production);
    void fillStripe(ui::ConnectDialog *dialog, const QString &key, const QString &apiBase = {});
    // Every test that connects with a newly typed profile opens, fills and submits the dialog the same way.
    [[nodiscard]] bool connectThroughDialog(ui::MainWindow &window, const ConnectionSpec &spec,
                                            const QString &name, const QString &password, bool remember,
                                            const QString &stripeKey = {}, const QString &stripeApiBase = {});

    QTemporaryDir m_folder;
    QString m_settingsFile;
};

void TestConnectDialog::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_folder.isValid());
}

void TestConnectDialog::init()
{
    static int counter = 0;
    m_settingsFile = m_folder.filePath(QStringLiteral("settings-%1.ini").arg(++counter));
}

ui::ConnectDialog *TestConnectDialog::openDialog(ui::MainWindow &window)
{
    window.openConnectDialog();
    return window.findChild<ui::ConnectDialog *>(QStringLiteral("connectDialog"));
}

void TestConnectDialog::fill(ui::ConnectDialog *dialog, const ConnectionSpec &spec, const QString &name,
                             const QString &password, bool remember, bool production)
{
    auto set = [dialog](const char *field, const QString &text) {
        auto *edit = dialog->findChild<QLineEdit *>(QLatin1String(field));
        QVERIFY(edit);
        edit->clear();
        QTest::keyClicks(edit, text);
    };
    set("profileName", name);
    set("host", spec.host);
    set("database", spec.database);
    set("user", spec.user);
    set("password", password);
    dialog->findChild<QSpinBox *>(QStringLiteral("port"))->setValue(spec.port);
    dialog->findChild<QCheckBox *>(QStringLiteral("rememberPassword"))->setChecked(remember);
    dialog->findChild<QCheckBox *>(QStringLiteral("production"))->setChecked(production);
}

void TestConnectDialog::fillStripe(ui::ConnectDialog *dialog, const QString &key, const QString &apiBase)
{
    auto *keyField = dialog->findChild<QLineEdit *>(QStringLiteral("stripeKey"));
    auto *baseField = dialog->findChild<QLineEdit *>(QStringLiteral("stripeApiBase"));
    QVERIFY(keyField && baseField);
    QCOMPARE(keyField->echoMode(), QLineEdit::Password);
    keyField->clear();
    QTest::keyClicks(keyField, key);
    baseField->clear();
    QTest::keyClicks(baseField, apiBase);
}

// Shows the window, opens its connect dialog, fills it (and the Stripe fields when a key is given), clicks
// Connect and says whether the window got its session within 15 seconds.
bool TestConnectDialog::connectThroughDialog(ui::MainWindow &window, const ConnectionSpec &spec,
                                             const QString &name, const QString &password, bool remember,
                                             const QString &stripeKey, const QString &stripeApiBase)
{
    window.show();
    ui::ConnectDialog *dialog = openDialog(window);
    if (!dialog)
        return false;
    fill(dialog, spec, name, password, remember, false);
    if (!stripeKey.isEmpty())
        fillStripe(dialog, stripeKey, stripeApiBase);
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
    return QTest::qWaitFor([&window] { return window.hasSession(); }, 15000);
}

void TestConnectDialog::profileStore_saveAndRemove_roundTrips()
{
    ProfileStore store(m_settingsFile);
    ConnectionProfile staging;
    staging.name = QStringLiteral("Staging / EU");
    staging.host = QStringLiteral("db.staging.example");
    staging.port = 6432;
    staging.user = QStringLiteral("ann");
    staging.sslMode = QStringLiteral("verify-full");
    staging.hasStripeKey = true;
    staging.stripeApiBase = QStringLiteral("https://stripe-mock.staging.example");
    ConnectionProfile production = staging;
    production.name = QStringLiteral("Production");
    production.production = true;
    store.save(staging);
    store.save(production);
    QCOMPARE(store.names(), (QStringList{QStringLiteral("Production"), QStringLiteral("Staging / EU")}));

    ProfileStore reread(m_settingsFile);
    QCOMPARE(*reread.profile(QStringLiteral("Staging / EU")), staging);
    QCOMPARE(*reread.profile(QStringLiteral("Production")), production);
    reread.remove(QStringLiteral("Production"));
    QCOMPARE(ProfileStore(m_settingsFile).names(), QStringList{QStringLiteral("Staging / EU")});
}

void TestConnectDialog::profileModel_passesModelTester()
{
    ProfileStore store(m_settingsFile);
    models::ConnectionProfileModel model(&store);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    ConnectionProfile profile;
    profile.name = QStringLiteral("Prod");
    profile.production = true;
    store.save(profile);
    model.reload();
    QCOMPARE(model.rowCount(), 1);
    QVERIFY(model.data(model.index(0), Qt::DisplayRole).toString().contains(QLatin1String("production")));
    QCOMPARE(model.data(model.index(0), models::ConnectionProfileModel::ProductionRole).toBool(), true);
}

void TestConnectDialog::connect_supportLogin_savesProfileKeepsPasswordOffDisk()
{
    test::TestDatabase database(QStringLiteral("ui_connect"));
    QVERIFY_TESTDB(database);
    const QString login = database.createLogin(QStringLiteral("beacon_support"));
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    const QString password = QStringLiteral("Pw-Never-On-Disk-4711");
    QVERIFY(
        connectThroughDialog(window, database.spec(login), QStringLiteral("Local support"), password, true));

    QVERIFY(window.findChild<QLabel *>(QStringLiteral("statusDatabase"))->text().contains(database.name()));
    const QString role = window.findChild<QLabel *>(QStringLiteral("statusRole"))->text();
    QVERIFY2(role.contains(login) && role.contains(QLatin1String("beacon_support")), qPrintable(role));
    QVERIFY(window.findChild<QLabel *>(QStringLiteral("statusSchema"))->text().contains(QLatin1String("v")));
    QVERIFY(!window.findChild<QLabel *>(QStringLiteral("productionBanner"))->isVisible());
    QVERIFY(!window.findChild<QLabel *>(QStringLiteral("schemaBanner"))->isVisible());

    QTRY_COMPARE(secrets.value(QStringLiteral("profile/Local support")), password);
    QVERIFY(profiles.profile(QStringLiteral("Local support")));
    const QByteArray onDisk = settingsOnDisk(profiles);
    QVERIFY(onDisk.contains("Local support"));
    QVERIFY2(!onDisk.contains(password.toUtf8()), "the password must never reach the settings file");
}

void TestConnectDialog::connect_wrongDatabase_showsInlineErrorAndStaysOpen()
{
    test::TestDatabase database(QStringLiteral("ui_nodb"));
    QVERIFY_TESTDB(database);
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    window.show();
    ui::ConnectDialog *dialog = openDialog(window);
    ConnectionSpec spec = database.spec();
    spec.database = QStringLiteral("no_such_db_here");
    fill(dialog, spec, QStringLiteral("Typo"), {}, false, false);
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
    auto *message = dialog->findChild<QLabel *>(QStringLiteral("errorMessage"));
    QTRY_VERIFY_WITH_TIMEOUT(message->isVisible(), 15000);
    QVERIFY2(message->text().contains(QLatin1String("no database of that name")),
             qPrintable(message->text()));
    QVERIFY(dialog->isVisible());
    QVERIFY(!window.hasSession());
    QVERIFY(!profiles.profile(QStringLiteral("Typo")));
}

void TestConnectDialog::connect_serverDown_showsNoServerAnswered()
{
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    window.show();
    ui::ConnectDialog *dialog = openDialog(window);
    QTemporaryDir noServer;
    ConnectionSpec spec;
    spec.host = noServer.path();
    spec.database = QStringLiteral("beacon");
    spec.user = QStringLiteral("ann");
    fill(dialog, spec, QStringLiteral("Down"), {}, false, false);
    QTest::keyClick(dialog->findChild<QLineEdit *>(QStringLiteral("user")), Qt::Key_Return);
    auto *message = dialog->findChild<QLabel *>(QStringLiteral("errorMessage"));
    QTRY_VERIFY_WITH_TIMEOUT(message->isVisible(), 15000);
    QVERIFY2(message->text().contains(QLatin1String("No database server answered")),
             qPrintable(message->text()));
}

void TestConnectDialog::connect_rememberedPassword_filledFromKeychain()
{
    ProfileStore profiles(m_settingsFile);
    ConnectionProfile profile;
    profile.name = QStringLiteral("Remembered");
    profile.user = QStringLiteral("bob");
    profile.rememberPassword = true;
    profiles.save(profile);
    profiles.setLastUsed(profile.name);
    ui::MemorySecretStore secrets;
    secrets.write(profile.secretKey(), QStringLiteral("from-keychain"), [](const QString &) {});
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    QCOMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("user"))->text(), QStringLiteral("bob"));
    QTRY_COMPARE(dialog.findChild<QLineEdit *>(QStringLiteral("password"))->text(),
                 QStringLiteral("from-keychain"));
}

void TestConnectDialog::deleteProfile_confirmed_removesProfileAndSecret()
{
    ProfileStore profiles(m_settingsFile);
    ConnectionProfile profile;
    profile.name = QStringLiteral("Old");
    profile.rememberPassword = true;
    profiles.save(profile);
    ui::MemorySecretStore secrets;
    secrets.write(profile.secretKey(), QStringLiteral("old-secret"), [](const QString &) {});
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    deleteProfileAnswering(dialog, QStringLiteral("Old"), QMessageBox::Yes);
    QVERIFY(!profiles.profile(QStringLiteral("Old")));
    QCOMPARE(dialog.findChild<QListView *>(QStringLiteral("profileList"))->model()->rowCount(), 0);
    QTRY_VERIFY(!secrets.contains(profile.secretKey()));
}

void TestConnectDialog::deleteProfile_declined_keepsProfile()
{
    ProfileStore profiles(m_settingsFile);
    ConnectionProfile profile;
    profile.name = QStringLiteral("Keep me");
    profiles.save(profile);
    ui::MemorySecretStore secrets;
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    deleteProfileAnswering(dialog, profile.name, QMessageBox::No);
    QVERIFY(profiles.profile(profile.name));
}

// QtKeychain's own text when no Secret Service runs on the session bus.
static const QString NoSecretService = QStringLiteral(
    "QtKeychain error 5: The name org.freedesktop.secrets was not provided by any .service files");

void TestConnectDialog::connect_keychainUnavailable_toldPasswordNotSavedAndNothingOnDisk()
{
    test::TestDatabase database(QStringLiteral("ui_nokeychain"));
    QVERIFY_TESTDB(database);
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    secrets.failWith(NoSecretService);
    ui::MainWindow window(&profiles, &secrets);
    const QString password = QStringLiteral("Pw-No-Keychain-0815");
    QVERIFY(connectThroughDialog(window, database.spec(), QStringLiteral("No keychain"), password, true));

    auto *problem = window.findChild<QLabel *>(QStringLiteral("problemBanner"));
    QTRY_VERIFY(problem->isVisible());
    QVERIFY2(problem->text().contains(QLatin1String("could not be saved")) &&
                 problem->text().contains(QLatin1String("ask for it again")),
             qPrintable(problem->text()));
    auto *problemDetails = window.findChild<QLabel *>(QStringLiteral("problemDetails"));
    QVERIFY2(problemDetails->isVisible() &&
                 problemDetails->text().contains(QLatin1String("org.freedesktop.secrets")),
             "the details stay readable");
    QVERIFY(!secrets.contains(QStringLiteral("profile/No keychain")));
    const QByteArray onDisk = settingsOnDisk(profiles);
    QVERIFY(onDisk.contains("No keychain"));
    QVERIFY2(!onDisk.contains(password.toUtf8()), "no fallback to the settings file");
}

void TestConnectDialog::connect_keychainUnavailableRememberOff_noComplaint()
{
    test::TestDatabase database(QStringLiteral("ui_noremember"));
    QVERIFY_TESTDB(database);
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    secrets.failWith(NoSecretService);
    ui::MainWindow window(&profiles, &secrets);
    QVERIFY(connectThroughDialog(window, database.spec(), QStringLiteral("Typed each time"),
                                 QStringLiteral("pw"), false));
    // The dialog saves a password before it accepts, so by now any save would have been asked; none was,
    // and so no keychain complaint can follow.
    QCOMPARE(secrets.writesAsked(), 0);
    QVERIFY(!window.findChild<QLabel *>(QStringLiteral("problemBanner"))->isVisible());
}

void TestConnectDialog::selectProfile_keychainUnreadable_asksToTypePasswordInline()
{
    ProfileStore profiles(m_settingsFile);
    ConnectionProfile profile;
    profile.name = QStringLiteral("Locked keychain");
    profile.user = QStringLiteral("bob");
    profile.rememberPassword = true;
    profiles.save(profile);
    ui::MemorySecretStore secrets;
    secrets.failWith(NoSecretService);
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    dialog.selectProfile(profile.name);
    auto *message = dialog.findChild<QLabel *>(QStringLiteral("errorMessage"));
    QTRY_VERIFY(message->isVisible());
    QVERIFY2(message->text().contains(QLatin1String("Type the password")), qPrintable(message->text()));
    QVERIFY(dialog.findChild<QLineEdit *>(QStringLiteral("password"))->text().isEmpty());
    auto *toggle = dialog.findChild<QToolButton *>(QStringLiteral("errorDetailsToggle"));
    QVERIFY(toggle->isVisible());
    QTest::mouseClick(toggle, Qt::LeftButton);
    auto *details = dialog.findChild<QLabel *>(QStringLiteral("errorDetails"));
    QVERIFY(details->isVisible());
    QCOMPARE(details->text(), NoSecretService);
}

void TestConnectDialog::deleteProfile_keychainUnavailable_toldSecretLeftInKeychain()
{
    ProfileStore profiles(m_settingsFile);
    ConnectionProfile profile;
    profile.name = QStringLiteral("Stuck");
    profile.rememberPassword = true;
    profiles.save(profile);
    ui::MemorySecretStore secrets;
    secrets.failWith(NoSecretService);
    QSignalSpy problems(&secrets, &ui::SecretStore::problem);
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    deleteProfileAnswering(dialog, profile.name, QMessageBox::Yes);
    QVERIFY(!profiles.profile(profile.name));
    QTRY_COMPARE(problems.size(), 1);
    QVERIFY(problems.at(0).at(0).toString().contains(QLatin1String("could not be removed")));
    QVERIFY(problems.at(0).at(0).toString().contains(profile.secretKey()));
}

void TestConnectDialog::cancel_whileServerSilent_stopsWaitingAndIgnoresLateAnswer()
{
    // Accepts the TCP connection and never answers, like a server behind a stalled network.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    ConnectionSpec spec;
    spec.host = QStringLiteral("127.0.0.1");
    spec.port = silent.serverPort();
    spec.database = QStringLiteral("beacon");
    spec.user = QStringLiteral("ann");
    fill(&dialog, spec, QStringLiteral("Stalled"), {}, false, false);
    dialog.findChild<QComboBox *>(QStringLiteral("sslMode"))->setCurrentText(QStringLiteral("disable"));
    auto *connectButton = dialog.findChild<QPushButton *>(QStringLiteral("connectButton"));
    QTest::mouseClick(connectButton, Qt::LeftButton);
    auto *busy = dialog.findChild<QWidget *>(QStringLiteral("busyIndicator"));
    QVERIFY(busy->isVisible());
    QVERIFY(!connectButton->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(silent.hasPendingConnections(), 5000);

    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("cancelButton")), Qt::LeftButton);
    QVERIFY(!busy->isVisible());
    QVERIFY(connectButton->isEnabled());
    QVERIFY(dialog.isVisible());

    // Hanging up now makes the abandoned attempt fail at once; its answer comes back and is dropped, never
    // shown.
    QCOMPARE(dialog.droppedAnswers(), 0);
    QTcpSocket *peer = silent.nextPendingConnection();
    peer->abort();
    delete peer;
    QTRY_COMPARE_WITH_TIMEOUT(dialog.droppedAnswers(), 1, 15000);
    QVERIFY(!dialog.findChild<QLabel *>(QStringLiteral("errorMessage"))->isVisible());
    QVERIFY(dialog.isVisible());
    QVERIFY(connectButton->isEnabled());
}

// Keys long enough that their redacted form shows the last four, and nothing else of them.
static const QString TestKey = QStringLiteral("sk_test_51DialogKeyNeverOnDisk0123456789abcdWXYZ");
static const QString LiveKey = QStringLiteral("rk_live_51DialogLiveKeyNeverUsed0123456789LIVE");

// Every message Qt logs while it lives, so that a test can prove a key never reached a log.
class LogCapture {
public:
    LogCapture()
    {
        s_lines.clear();
        m_previous = qInstallMessageHandler(
            [](QtMsgType, const QMessageLogContext &, const QString &text) { s_lines.append(text); });
    }
    ~LogCapture() { qInstallMessageHandler(m_previous); }
    QString all() const { return s_lines.join(QLatin1Char('\n')); }

private:
    static inline QStringList s_lines;
    QtMessageHandler m_previous;
};

void TestConnectDialog::connect_stripeTestKey_keptInKeychainNeverOnDiskOrInLogs()
{
    test::TestDatabase database(QStringLiteral("ui_stripekey"));
    QVERIFY_TESTDB(database);
    LogCapture logs;
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    QVERIFY(connectThroughDialog(window, database.spec(), QStringLiteral("Staging billing"), {}, false,
                                 TestKey, QStringLiteral("http://127.0.0.1:12111")));

    auto *status = window.findChild<QLabel *>(QStringLiteral("statusStripe"));
    QVERIFY(status->isVisible());
    QCOMPARE(status->text(), QStringLiteral("Stripe test mode"));
    QVERIFY2(!status->toolTip().contains(TestKey) && status->toolTip().contains(QStringLiteral("…WXYZ")),
             qPrintable(status->toolTip()));
    QVERIFY(!window.findChild<QLabel *>(QStringLiteral("stripeBanner"))->isVisible());
    const billing::StripeAccess access = window.stripeAccess();
    QVERIFY(access.key && access.endpoint);
    QCOMPARE(access.key->secretForTransport(), TestKey.toLatin1());
    QCOMPARE(access.endpoint->baseUrl().toString(), QStringLiteral("http://127.0.0.1:12111"));

    const QString entry = QStringLiteral("stripe-key/Staging billing");
    QTRY_COMPARE(secrets.value(entry), TestKey);
    QVERIFY2(!secrets.contains(QStringLiteral("profile/Staging billing")),
             "no password was asked to be kept");
    const auto saved = profiles.profile(QStringLiteral("Staging billing"));
    QVERIFY(saved && saved->hasStripeKey);
    QCOMPARE(saved->stripeApiBase, QStringLiteral("http://127.0.0.1:12111"));
    const QByteArray onDisk = settingsOnDisk(profiles);
    QVERIFY(onDisk.contains("127.0.0.1:12111"));
    QVERIFY2(!onDisk.contains(TestKey.toLatin1()) && !onDisk.contains("51DialogKey"),
             "the Stripe key must never reach the settings file");
    QVERIFY2(!logs.all().contains(QStringLiteral("51DialogKey")), qPrintable(logs.all()));
}

// A profile that keeps a Stripe key (in the keychain) for `key`.
static ConnectionProfile savedWithStripeKey(ProfileStore &profiles, ui::MemorySecretStore &secrets,
                                            const QString &name, const QString &key,
                                            const ConnectionSpec &spec = {})
{
    ConnectionProfile profile;
    profile.name = name;
    profile.host = spec.host;
    profile.port = spec.port;
    profile.database = spec.database.isEmpty() ? QStringLiteral("beacon") : spec.database;
    profile.user = spec.user.isEmpty() ? QStringLiteral("bob") : spec.user;
    profile.hasStripeKey = true;
    profiles.save(profile);
    profiles.setLastUsed(name);
    secrets.write(profile.stripeKeySecretKey(), key, [](const QString &) {});
    return profile;
}

void TestConnectDialog::selectProfile_savedStripeKey_showsRedactedNeverTheKey()
{
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    savedWithStripeKey(profiles, secrets, QStringLiteral("Billing"), TestKey);
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    auto *state = dialog.findChild<QLabel *>(QStringLiteral("stripeKeyState"));
    QTRY_VERIFY2(state->text().contains(QStringLiteral("sk_test_…WXYZ")), qPrintable(state->text()));
    QVERIFY(!state->text().contains(TestKey));
    auto *keyField = dialog.findChild<QLineEdit *>(QStringLiteral("stripeKey"));
    QVERIFY2(keyField->text().isEmpty(), "a saved key is never put back into the field");
    QVERIFY(!keyField->placeholderText().contains(TestKey));
    QVERIFY(dialog.findChild<QPushButton *>(QStringLiteral("forgetStripeKeyButton"))->isEnabled());

    // Another profile, without a key, shows none and nothing to forget.
    dialog.findChild<QPushButton *>(QStringLiteral("newProfileButton"))->click();
    QVERIFY(state->text().contains(QStringLiteral("No key saved")));
    QVERIFY(!dialog.findChild<QPushButton *>(QStringLiteral("forgetStripeKeyButton"))->isEnabled());
}

void TestConnectDialog::connect_savedStripeKeyUntouched_keepsItAndSessionUsesIt()
{
    test::TestDatabase database(QStringLiteral("ui_stripekept"));
    QVERIFY_TESTDB(database);
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    savedWithStripeKey(profiles, secrets, QStringLiteral("Kept"), TestKey, database.spec());
    ui::MainWindow window(&profiles, &secrets);
    window.show();
    ui::ConnectDialog *dialog = openDialog(window);
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->findChild<QLabel *>(QStringLiteral("stripeKeyState"))
                    ->text()
                    .contains(QStringLiteral("…WXYZ")));
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(window.hasSession(), 15000);
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("statusStripe"))->text(),
             QStringLiteral("Stripe test mode"));
    QVERIFY(window.stripeAccess().key);
    QCOMPARE(window.stripeAccess().key->secretForTransport(), TestKey.toLatin1());
    QVERIFY(profiles.profile(QStringLiteral("Kept"))->hasStripeKey);
    QCOMPARE(secrets.value(QStringLiteral("stripe-key/Kept")), TestKey);
}

void TestConnectDialog::forgetStripeKey_thenConnect_removesItAndStripeNotSetUp()
{
    test::TestDatabase database(QStringLiteral("ui_stripeforget"));
    QVERIFY_TESTDB(database);
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    const ConnectionProfile profile =
        savedWithStripeKey(profiles, secrets, QStringLiteral("Forgetful"), TestKey, database.spec());
    ui::MainWindow window(&profiles, &secrets);
    window.show();
    ui::ConnectDialog *dialog = openDialog(window);
    QVERIFY(dialog);
    auto *forget = dialog->findChild<QPushButton *>(QStringLiteral("forgetStripeKeyButton"));
    QTRY_VERIFY(dialog->findChild<QLabel *>(QStringLiteral("stripeKeyState"))
                    ->text()
                    .contains(QStringLiteral("…WXYZ")));
    QTest::mouseClick(forget, Qt::LeftButton);
    QVERIFY(!forget->isEnabled());
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(window.hasSession(), 15000);
    QTRY_VERIFY(!secrets.contains(profile.stripeKeySecretKey()));
    QVERIFY(!profiles.profile(profile.name)->hasStripeKey);
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("statusStripe"))->text(),
             QStringLiteral("Stripe: not set up"));
    QVERIFY(!window.stripeAccess().key && !window.stripeAccess().endpoint);
}

void TestConnectDialog::connect_liveStripeKeyNotProduction_connectsWithBillingOffAndSaysWhy()
{
    test::TestDatabase database(QStringLiteral("ui_stripelive"));
    QVERIFY_TESTDB(database);
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    QVERIFY(connectThroughDialog(window, database.spec(), QStringLiteral("Staging"), {}, false, LiveKey));

    auto *banner = window.findChild<QLabel *>(QStringLiteral("stripeBanner"));
    QVERIFY(banner->isVisible());
    QVERIFY2(banner->text().contains(QStringLiteral("live-mode")) &&
                 banner->text().contains(QStringLiteral("\"Staging\" is not marked as production")) &&
                 banner->text().contains(QStringLiteral("Billing is off")),
             qPrintable(banner->text()));
    QVERIFY(!banner->text().contains(QStringLiteral("51DialogLiveKey")));
    auto *status = window.findChild<QLabel *>(QStringLiteral("statusStripe"));
    QCOMPARE(status->text(), QStringLiteral("Stripe: off"));
    QVERIFY(!status->toolTip().contains(QStringLiteral("51DialogLiveKey")));
    QVERIFY(!window.stripeAccess().key && !window.stripeAccess().endpoint);
    // The database connection itself works.
    QVERIFY(window.findChild<QLabel *>(QStringLiteral("statusDatabase"))->text().contains(database.name()));
}

void TestConnectDialog::connect_invalidStripeFields_refusedInlineBeforeConnecting_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("apiBase");
    QTest::addColumn<QString>("expectedWords");
    QTest::newRow("http to another computer")
        << TestKey << QStringLiteral("http://stripe.internal.example:12111")
        << QStringLiteral("plain http to another computer");
    QTest::newRow("publishable key") << QStringLiteral("pk_test_51PublishableKeyTyped0123456789") << QString()
                                     << QStringLiteral("publishable Stripe key");
    QTest::newRow("cut short") << QStringLiteral("sk_test_51Cut") << QString() << QStringLiteral("cut short");
}

void TestConnectDialog::connect_invalidStripeFields_refusedInlineBeforeConnecting()
{
    QFETCH(QString, key);
    QFETCH(QString, apiBase);
    QFETCH(QString, expectedWords);
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    // No server is needed: nothing may be tried before the Stripe fields are right.
    QTemporaryDir noServer;
    ConnectionSpec spec;
    spec.host = noServer.path();
    spec.database = QStringLiteral("beacon");
    spec.user = QStringLiteral("ann");
    fill(&dialog, spec, QStringLiteral("Refused"), {}, false, false);
    fillStripe(&dialog, key, apiBase);
    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
    auto *message = dialog.findChild<QLabel *>(QStringLiteral("errorMessage"));
    QVERIFY(message->isVisible());
    QVERIFY2(message->text().contains(expectedWords), qPrintable(message->text()));
    QVERIFY2(!message->text().contains(key.mid(8)), "the words never repeat the key");
    QVERIFY(!dialog.findChild<QWidget *>(QStringLiteral("busyIndicator"))->isVisible());
    QVERIFY(!profiles.profile(QStringLiteral("Refused")));
    QCOMPARE(secrets.writesAsked(), 0);
}

void TestConnectDialog::deleteProfile_withStripeKey_removesItFromKeychain()
{
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    const ConnectionProfile profile = savedWithStripeKey(profiles, secrets, QStringLiteral("Gone"), TestKey);
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    deleteProfileAnswering(dialog, profile.name, QMessageBox::Yes);
    QVERIFY(!profiles.profile(profile.name));
    QTRY_VERIFY(!secrets.contains(profile.stripeKeySecretKey()));
}

void TestConnectDialog::connect_stripeKeyKeychainUnavailable_toldNotSavedSessionStillUsesIt()
{
    test::TestDatabase database(QStringLiteral("ui_stripenokeychain"));
    QVERIFY_TESTDB(database);
    ProfileStore profiles(m_settingsFile);
    ui::MemorySecretStore secrets;
    secrets.failWith(NoSecretService);
    ui::MainWindow window(&profiles, &secrets);
    QVERIFY(connectThroughDialog(window, database.spec(), QStringLiteral("No keychain"), {}, false, TestKey));

    auto *problem = window.findChild<QLabel *>(QStringLiteral("problemBanner"));
    QTRY_VERIFY(problem->isVisible());
    QVERIFY2(problem->text().contains(QLatin1String("Stripe key could not be saved")) &&
                 problem->text().contains(QLatin1String("this session only")),
             qPrintable(problem->text()));
    QVERIFY(!problem->text().contains(QStringLiteral("51DialogKey")));
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("statusStripe"))->text(),
             QStringLiteral("Stripe test mode"));
    QVERIFY(window.stripeAccess().key);
    QTRY_VERIFY2(!profiles.profile(QStringLiteral("No keychain"))->hasStripeKey,
                 "the profile does not claim a key the keychain does not hold");
    QVERIFY(!settingsOnDisk(profiles).contains("51DialogKey"));
}

QTEST_MAIN(TestConnectDialog)
#include "tst_connectdialog.moc"
