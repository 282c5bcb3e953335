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
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace beacon;

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
    QFile file(profiles.fileName());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray onDisk = file.readAll();
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

QTEST_MAIN(TestConnectDialog)
#include "tst_connectdialog.moc"
