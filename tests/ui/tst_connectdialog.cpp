// The connect dialog driven as a person would: saved profiles, the keychain, connecting to a real server,
// and each failure shown inside the dialog.
#include "testdatabase.h"

#include "connectdialog.h"
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

private:
    ui::ConnectDialog *openDialog(ui::MainWindow &window);
    void fill(ui::ConnectDialog *dialog, const ConnectionSpec &spec, const QString &name,
              const QString &password, bool remember, bool production);

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

void TestConnectDialog::profileStore_saveAndRemove_roundTrips()
{
    ProfileStore store(m_settingsFile);
    ConnectionProfile staging;
    staging.name = QStringLiteral("Staging / EU");
    staging.host = QStringLiteral("db.staging.example");
    staging.port = 6432;
    staging.user = QStringLiteral("ann");
    staging.sslMode = QStringLiteral("verify-full");
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
    window.show();
    ui::ConnectDialog *dialog = openDialog(window);
    QVERIFY(dialog);
    const QString password = QStringLiteral("Pw-Never-On-Disk-4711");
    fill(dialog, database.spec(login), QStringLiteral("Local support"), password, true, false);
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);

    QTRY_VERIFY_WITH_TIMEOUT(window.hasSession(), 15000);
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
    dialog.selectProfile(QStringLiteral("Old"));
    ui::MessageBox::setNextAnswer(QMessageBox::Yes);
    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("deleteProfileButton")), Qt::LeftButton);
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
    dialog.selectProfile(profile.name);
    ui::MessageBox::setNextAnswer(QMessageBox::No);
    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("deleteProfileButton")), Qt::LeftButton);
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
    window.show();
    ui::ConnectDialog *dialog = openDialog(window);
    QVERIFY(dialog);
    const QString password = QStringLiteral("Pw-No-Keychain-0815");

    fill(dialog, database.spec(), QStringLiteral("No keychain"), password, true, false);
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(window.hasSession(), 15000);

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
    window.show();
    ui::ConnectDialog *dialog = openDialog(window);
    QVERIFY(dialog);
    fill(dialog, database.spec(), QStringLiteral("Typed each time"), QStringLiteral("pw"), false, false);
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(window.hasSession(), 15000);
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
    dialog.selectProfile(profile.name);
    ui::MessageBox::setNextAnswer(QMessageBox::Yes);
    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("deleteProfileButton")), Qt::LeftButton);
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

QTEST_MAIN(TestConnectDialog)
#include "tst_connectdialog.moc"
