// The inline message, offscreen: an error's words and its details for support land apart, the details are
// reachable and copyable from the keyboard, folded details open with their toggle, a closable message
// closes with its button or Escape (and only then), buttons report clicks, and the types look different.
#include "inlinemessage.h"

#include <QApplication>
#include <QClipboard>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>
#include <QVBoxLayout>

using namespace beacon;
using beacon::ui::InlineMessage;

class TestInlineMessage : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void showError_wordsAsTextSqlStateInDetails();
    void supportDetails_data();
    void supportDetails();
    void details_reachableByTab_copiedWithKeyboard();
    void foldedDetails_hiddenUntilToggled_foldAgainWhenReplaced();
    void closeButton_hidesAndEmitsClosed_escapeToo();
    void notClosable_escapePassesToTheWindow();
    void addButton_clickReported_clearButtonsRemovesThem();
    void types_tintedDifferently_prominentFilled();

private:
    QWidget *m_window = nullptr;
    InlineMessage *m_message = nullptr;
    QLineEdit *m_before = nullptr;
};

void TestInlineMessage::init()
{
    m_window = new QWidget;
    auto *layout = new QVBoxLayout(m_window);
    m_before = new QLineEdit(m_window);
    m_message = new InlineMessage(m_window);
    layout->addWidget(m_before);
    layout->addWidget(m_message);
    m_window->resize(500, 200);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
}

void TestInlineMessage::cleanup()
{
    delete m_window;
    m_window = nullptr;
}

void TestInlineMessage::showError_wordsAsTextSqlStateInDetails()
{
    QVERIFY(!m_message->isVisible()); // nothing to say yet
    m_message->showError(DbError::make(ErrorKind::Busy, QStringLiteral("Someone else is changing it."),
                                       QStringLiteral("lock timeout")));
    QVERIFY(m_message->isVisible());
    QCOMPARE(m_message->type(), InlineMessage::Type::Error);
    QCOMPARE(m_message->textLabel()->text(), QStringLiteral("Someone else is changing it."));
    QCOMPARE(m_message->details(), QStringLiteral("lock timeout"));
    QVERIFY(m_message->detailsLabel()->isVisible());
    QCOMPARE(m_message->accessibleName(), QStringLiteral("Error"));
    QCOMPARE(m_message->accessibleDescription(), QStringLiteral("Someone else is changing it."));

    m_message->showMessage(InlineMessage::Type::Positive, QStringLiteral("Applied."));
    QCOMPARE(m_message->type(), InlineMessage::Type::Positive);
    QVERIFY(!m_message->detailsLabel()->isVisible()); // no details, no empty line

    m_message->clear();
    QVERIFY(!m_message->isVisible());
    QVERIFY(m_message->text().isEmpty());
}

void TestInlineMessage::supportDetails_data()
{
    QTest::addColumn<QString>("sqlState");
    QTest::addColumn<QString>("serverText");
    QTest::addColumn<QString>("expected");
    QTest::newRow("both") << "57014"
                          << " canceling statement\n"
                          << "SQLSTATE 57014: canceling statement";
    QTest::newRow("state only") << "55P03"
                                << ""
                                << "SQLSTATE 55P03";
    QTest::newRow("text only") << ""
                               << "no route to host"
                               << "no route to host";
    QTest::newRow("neither") << ""
                             << ""
                             << "";
}

void TestInlineMessage::supportDetails()
{
    QFETCH(QString, sqlState);
    QFETCH(QString, serverText);
    QFETCH(QString, expected);
    DbError error = DbError::make(ErrorKind::Internal, QStringLiteral("words"), serverText);
    error.sqlState = sqlState;
    QCOMPARE(InlineMessage::supportDetails(error), expected);
}

void TestInlineMessage::details_reachableByTab_copiedWithKeyboard()
{
    DbError error = DbError::make(ErrorKind::Busy, QStringLiteral("Busy."), QStringLiteral("lock timeout"));
    error.sqlState = QStringLiteral("55P03");
    m_message->showError(error);
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    m_before->setFocus();
    QTest::keyClick(m_before, Qt::Key_Tab);
    QCOMPARE(QApplication::focusWidget(), m_message->textLabel());
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
    QCOMPARE(QApplication::focusWidget(), m_message->detailsLabel());
    QApplication::clipboard()->clear();
    QTest::keyClick(m_message->detailsLabel(), Qt::Key_A, Qt::ControlModifier);
    QTest::keyClick(m_message->detailsLabel(), Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("SQLSTATE 55P03: lock timeout"));
}

void TestInlineMessage::foldedDetails_hiddenUntilToggled_foldAgainWhenReplaced()
{
    m_message->setDetailsFolded(true);
    m_message->showMessage(InlineMessage::Type::Warning, QStringLiteral("The keychain is closed."),
                           QStringLiteral("QtKeychain error 5"));
    QVERIFY(m_message->detailsToggle()->isVisible());
    QVERIFY(!m_message->detailsLabel()->isVisible());
    QTest::mouseClick(m_message->detailsToggle(), Qt::LeftButton);
    QVERIFY(m_message->detailsLabel()->isVisible());
    m_message->setDetails(QStringLiteral("QtKeychain error 7"));
    QVERIFY(!m_message->detailsLabel()->isVisible());
    m_message->setDetails({});
    QVERIFY(!m_message->detailsToggle()->isVisible()); // nothing behind it
}

void TestInlineMessage::closeButton_hidesAndEmitsClosed_escapeToo()
{
    QSignalSpy closed(m_message, &InlineMessage::closed);
    m_message->setCloseButtonVisible(true);
    m_message->showMessage(InlineMessage::Type::Information, QStringLiteral("Reloaded."));
    QVERIFY(m_message->closeButton()->isVisible());
    QTest::mouseClick(m_message->closeButton(), Qt::LeftButton);
    QVERIFY(!m_message->isVisible());
    QCOMPARE(closed.size(), 1);

    m_message->showMessage(InlineMessage::Type::Information, QStringLiteral("Reloaded again."));
    QTest::keyClick(m_message->textLabel(), Qt::Key_Escape);
    QVERIFY(!m_message->isVisible());
    QCOMPARE(closed.size(), 2);
}

void TestInlineMessage::notClosable_escapePassesToTheWindow()
{
    // A dialog closes on Escape; a message that cannot be closed must not swallow the key.
    class EscapeCounter : public QObject {
    public:
        int escapes = 0;
        bool eventFilter(QObject *, QEvent *event) override
        {
            if (event->type() == QEvent::KeyPress && static_cast<QKeyEvent *>(event)->key() == Qt::Key_Escape)
                ++escapes;
            return false;
        }
    } counter;
    m_window->installEventFilter(&counter);
    QSignalSpy closed(m_message, &InlineMessage::closed);
    m_message->showMessage(InlineMessage::Type::Error, QStringLiteral("Failed."));
    QTest::keyClick(m_message->textLabel(), Qt::Key_Escape);
    QVERIFY(m_message->isVisible());
    QCOMPARE(closed.size(), 0);
    QCOMPARE(counter.escapes, 1);
}

void TestInlineMessage::addButton_clickReported_clearButtonsRemovesThem()
{
    QPushButton *retry = m_message->addButton(QStringLiteral("&Retry"));
    QSignalSpy clicks(retry, &QPushButton::clicked);
    m_message->showMessage(InlineMessage::Type::Error, QStringLiteral("The server went away."));
    QVERIFY(retry->isVisible());
    QTest::mouseClick(retry, Qt::LeftButton);
    QCOMPARE(clicks.size(), 1);
    m_message->clearButtons();
    QVERIFY(m_message->findChildren<QPushButton *>().isEmpty());
}

void TestInlineMessage::types_tintedDifferently_prominentFilled()
{
    QPalette light;
    light.setColor(QPalette::Window, Qt::white);
    light.setColor(QPalette::WindowText, Qt::black);
    m_window->setPalette(light);
    // The middle of the left margin: inside the frame, clear of the icon and the text.
    const auto background = [this] {
        const QImage image = m_message->grab().toImage();
        return image.pixelColor(4, image.height() / 2);
    };
    m_message->showMessage(InlineMessage::Type::Error, QStringLiteral("Failed."));
    const QColor error = background();
    m_message->setType(InlineMessage::Type::Positive);
    const QColor positive = background();
    m_message->setType(InlineMessage::Type::Warning);
    const QColor warning = background();
    QVERIFY2(
        error != positive && positive != warning && error != warning,
        qPrintable(error.name() + QLatin1Char(' ') + positive.name() + QLatin1Char(' ') + warning.name()));
    // A tint, not a fill: the window's white still dominates, so black text stays readable.
    QVERIFY2(error.lightnessF() > 0.8, qPrintable(error.name()));
    QVERIFY2(error.red() > error.green(), qPrintable(error.name()));

    m_message->setType(InlineMessage::Type::Error);
    m_message->setProminent(true);
    const QColor filled = background();
    QVERIFY2(filled.lightnessF() < 0.5, qPrintable(filled.name()));
    QCOMPARE(m_message->textLabel()->palette().color(QPalette::WindowText), QColor(Qt::white));
    QVERIFY(!m_message->findChild<QLabel *>(QStringLiteral("messageIcon"))->isVisible());
}

QTEST_MAIN(TestInlineMessage)
#include "tst_inlinemessage.moc"
