// The connect dialog's TLS fields driven by keyboard: the default mode and what it leaves unchecked, the CA
// file picked with Qt's file dialog, production moving the mode to verify-full, and a settings file whose
// TLS mode is wrong shown as an error instead of silently replaced.
#include "connectdialog.h"
#include "secretstore.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace beacon;

class TestConnectDialogTls : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void newProfile_tcpHost_requireWithWarningOfWhatIsNotChecked();
    void chooseCaFile_byKeyboard_fillsFieldAndVerifiesFully();
    void productionTicked_movesModeToVerifyFull();
    void savedProfile_badTlsMode_shownAsErrorNotReplaced();

private:
    QTemporaryDir m_folder;
};

void TestConnectDialogTls::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_folder.isValid());
}

void TestConnectDialogTls::newProfile_tcpHost_requireWithWarningOfWhatIsNotChecked()
{
    ProfileStore profiles(m_folder.filePath(QStringLiteral("new.ini")));
    ui::MemorySecretStore secrets;
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    auto *host = dialog.findChild<QLineEdit *>(QStringLiteral("host"));
    auto *mode = dialog.findChild<QComboBox *>(QStringLiteral("sslMode"));
    auto *warning = dialog.findChild<QLabel *>(QStringLiteral("tlsWarning"));
    QVERIFY(host && mode && warning);
    QCOMPARE(mode->currentText(), QStringLiteral("require"));
    host->clear();
    QTest::keyClicks(host, QStringLiteral("db.example.com"));
    QVERIFY(warning->isVisible());
    QVERIFY2(warning->text().contains(QLatin1String("does not check the server's certificate")),
             qPrintable(warning->text()));
    QVERIFY(warning->text().contains(QLatin1String("db.example.com")));
    mode->setCurrentText(QStringLiteral("verify-full"));
    QVERIFY(!warning->isVisible());
}

void TestConnectDialogTls::chooseCaFile_byKeyboard_fillsFieldAndVerifiesFully()
{
    const QString caFile = m_folder.filePath(QStringLiteral("ca.crt"));
    QFile ca(caFile);
    QVERIFY(ca.open(QIODevice::WriteOnly));
    ca.write("-----BEGIN CERTIFICATE-----\n");
    ca.close();
    ProfileStore profiles(m_folder.filePath(QStringLiteral("ca.ini")));
    ui::MemorySecretStore secrets;
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *field = dialog.findChild<QLineEdit *>(QStringLiteral("sslRootCert"));
    auto *mode = dialog.findChild<QComboBox *>(QStringLiteral("sslMode"));
    QVERIFY(field && mode);
    // The label's mnemonic leads to the field, and the button has its own.
    const QList<QLabel *> labels = dialog.findChildren<QLabel *>();
    const auto caLabel = std::find_if(labels.cbegin(), labels.cend(),
                                      [field](const QLabel *label) { return label->buddy() == field; });
    QVERIFY(caLabel != labels.cend());
    QCOMPARE((*caLabel)->text(), QStringLiteral("CA &file:"));
    auto *choose = dialog.findChild<QPushButton *>(QStringLiteral("chooseCaFileButton"));
    QVERIFY(choose && choose->text().contains(QLatin1Char('&')));
    QVERIFY(choose->focusPolicy() & Qt::TabFocus);

    choose->setFocus();
    QTest::keyClick(choose, Qt::Key_Space);
    QFileDialog *picker = nullptr;
    QTRY_VERIFY((picker = dialog.findChild<QFileDialog *>(QStringLiteral("caFileDialog"))) &&
                picker->isVisible());
    auto *fileName = picker->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
    QVERIFY(fileName);
    fileName->setText(caFile);
    QTest::keyClick(fileName, Qt::Key_Return);
    QTRY_COMPARE(field->text(), QDir::toNativeSeparators(caFile));
    QCOMPARE(mode->currentText(), QStringLiteral("verify-full"));
    QCOMPARE(dialog.profile().sslRootCert, QDir::toNativeSeparators(caFile));
}

void TestConnectDialogTls::productionTicked_movesModeToVerifyFull()
{
    ProfileStore profiles(m_folder.filePath(QStringLiteral("prod.ini")));
    ui::MemorySecretStore secrets;
    ui::ConnectDialog dialog(&profiles, &secrets);
    auto *mode = dialog.findChild<QComboBox *>(QStringLiteral("sslMode"));
    auto *production = dialog.findChild<QCheckBox *>(QStringLiteral("production"));
    QVERIFY(mode && production);
    mode->setCurrentText(QStringLiteral("prefer"));
    production->setChecked(true);
    QCOMPARE(mode->currentText(), QStringLiteral("verify-full"));
}

void TestConnectDialogTls::savedProfile_badTlsMode_shownAsErrorNotReplaced()
{
    const QString file = m_folder.filePath(QStringLiteral("typo.ini"));
    {
        QSettings settings(file, QSettings::IniFormat);
        settings.beginWriteArray(QStringLiteral("profiles"), 1);
        settings.setArrayIndex(0);
        settings.setValue(QStringLiteral("name"), QStringLiteral("Typo"));
        settings.setValue(QStringLiteral("host"), QStringLiteral("db.example.com"));
        settings.setValue(QStringLiteral("user"), QStringLiteral("ann"));
        settings.setValue(QStringLiteral("sslmode"), QStringLiteral("verfy-full"));
        settings.endArray();
    }
    ProfileStore profiles(file);
    ui::MemorySecretStore secrets;
    ui::ConnectDialog dialog(&profiles, &secrets);
    dialog.show();
    dialog.selectProfile(QStringLiteral("Typo"));
    auto *message = dialog.findChild<QLabel *>(QStringLiteral("errorMessage"));
    auto *mode = dialog.findChild<QComboBox *>(QStringLiteral("sslMode"));
    QVERIFY(message && mode);
    QTRY_VERIFY2(message->text().contains(QLatin1String("TLS mode \"verfy-full\" is unknown")),
                 qPrintable(message->text()));
    QCOMPARE(mode->currentIndex(), -1);
    QCOMPARE(dialog.profile().sslMode, QString());
    // Connecting with it is refused in the dialog, with the same words, and nothing is tried.
    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("connectButton")), Qt::LeftButton);
    QVERIFY2(message->text().contains(QLatin1String("TLS mode \"\" is unknown")),
             qPrintable(message->text()));
    QVERIFY(dialog.isVisible());
}

QTEST_MAIN(TestConnectDialogTls)
#include "tst_connectdialogtls.moc"
