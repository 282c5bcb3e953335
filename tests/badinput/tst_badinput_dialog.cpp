// Every text field of every action dialog (the ids, the user, the Stripe ids, the confirmation and the
// reason), fed every bad value (badvalues.h), offscreen against the real server: the dialog says what is
// wrong (a field error, or a refused preview) and keeps Apply off, Apply pressed anyway does nothing, and
// nothing is written. Odd but well-formed text in the reason is a legitimate reason: if it is applied, the
// audit row must hold exactly what was typed.
#include "../actions/actionfixture.h"
#include "badvalues.h"

#include "actiondialog.h"

#include <QLineEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTest>

using namespace beacon;
using namespace beacon::test;
using actions::ActionKind;

namespace {

// A request each dialog would accept, on the fixture's seeded rows (actionfixture.h).
actions::ActionRequest validPrefill(ActionKind kind)
{
    actions::ActionRequest request = actionRequest(kind);
    request.client = QStringLiteral("tst_badinput_dialog");
    switch (kind) {
    case ActionKind::PlanChange:
        request.workspaceId = seeded::Roomy;
        request.plan = QStringLiteral("starter");
        break;
    case ActionKind::MemberAdd:
        request.workspaceId = seeded::Roomy;
        request.userId = seeded::Fay;
        request.role = QStringLiteral("member");
        break;
    case ActionKind::MemberRemove:
    case ActionKind::MemberRole:
        request.workspaceId = seeded::Roomy;
        request.userId = seeded::Cy;
        request.role = QStringLiteral("admin");
        break;
    case ActionKind::ProjectDelete:
        request.projectId = seeded::ArchiveProject;
        break;
    case ActionKind::FileDelete:
        request.fileId = seeded::OldZipFile;
        break;
    case ActionKind::ReadOnly:
        request.workspaceId = seeded::Roomy;
        request.readOnly = true;
        break;
    case ActionKind::UserMerge:
        request.keepUserId = seeded::Ada;
        request.mergeUserId = seeded::AdaDuplicate;
        break;
    case ActionKind::ExportsPurge:
        request.olderThanDays = 30;
        request.limit = 10;
        break;
    case ActionKind::BillingLink:
        request.workspaceId = seeded::Roomy;
        request.stripeCustomerId = QStringLiteral("cus_BadInput1");
        break;
    default:
        request.workspaceId = seeded::Drifted;
        break;
    }
    return request;
}

QString textOf(const QByteArray &bytes)
{
    // A field gets text, not bytes: invalid UTF-8 arrives as U+FFFD, as from a paste; a NUL stays a NUL.
    return QString::fromUtf8(bytes);
}

} // namespace

class TestBadInputDialog : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void badField_fieldErrorApplyOffNothingWritten_data();
    void badField_fieldErrorApplyOffNothingWritten();

private:
    std::unique_ptr<ActionFixture> m_fixture;
};

void TestBadInputDialog::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_fixture = std::make_unique<ActionFixture>(QStringLiteral("badinput_dialog"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestBadInputDialog::cleanupTestCase()
{
    m_fixture.reset();
}

void TestBadInputDialog::badField_fieldErrorApplyOffNothingWritten_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QByteArray>("value");
    for (const ActionKind kind : actions::allActions()) {
        // billing-sync reads Stripe before anything else; its dialog is tested in tst_actiondialogstripe.
        if (kind == ActionKind::BillingSync)
            continue;
        // The text fields this dialog really has, found on a dialog built the way the test builds it.
        ui::ActionDialog probe(kind, validPrefill(kind), m_fixture->database().connections());
        QStringList fields;
        for (const QLineEdit *edit : probe.findChildren<QLineEdit *>()) {
            // Not a spin box's own editor (qt_spinbox_lineedit): a spin box takes only numbers in range.
            if (!edit->objectName().isEmpty() && !edit->objectName().startsWith(QLatin1String("qt_")))
                fields.append(edit->objectName());
        }
        for (const QString &field : std::as_const(fields)) {
            for (const BadValue &bad : badValues()) {
                // Either Stripe id of billing-link may be left empty, as long as the other is given.
                if (kind == ActionKind::BillingLink && QByteArray(bad.name) == "empty" &&
                    field != QLatin1String("reasonEdit"))
                    continue;
                QTest::addRow("%s %s %s", qPrintable(actions::actionName(kind)), qPrintable(field), bad.name)
                    << int(kind) << field << bad.bytes;
            }
        }
    }
}

void TestBadInputDialog::badField_fieldErrorApplyOffNothingWritten()
{
    QFETCH(int, kind);
    QFETCH(QString, field);
    QFETCH(QByteArray, value);
    const QString text = textOf(value);
    const bool reason = field == QLatin1String("reasonEdit");
    const QString before = m_fixture->snapshot();
    const qint64 audits = m_fixture->auditCount();

    ui::ActionDialog dialog(ActionKind(kind), validPrefill(ActionKind(kind)),
                            m_fixture->database().connections());
    dialog.setLockTimeout(2000);
    dialog.show();
    auto *edit = dialog.findChild<QLineEdit *>(field);
    QVERIFY(edit);
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog.isPreviewing(), 20000);
    edit->setText(text);
    emit edit->textEdited(edit->text()); // as typing does: the form reacts to edits, not to setText
    dialog.startPreview();
    QTRY_VERIFY_WITH_TIMEOUT(!dialog.isPreviewing(), 20000);
    auto *applyButton = dialog.findChild<QPushButton *>(QStringLiteral("applyButton"));
    QVERIFY(applyButton);
    const bool applyOn = applyButton->isEnabled();

    const QString tag = QString::fromUtf8(QTest::currentDataTag());
    const bool legitimateReason = reason && !tag.endsWith(QLatin1String(" empty")) &&
                                  !tag.endsWith(QLatin1String(" nul")) &&
                                  !tag.endsWith(QLatin1String(" huge"));
    if (!legitimateReason)
        QVERIFY2(!applyOn,
                 qPrintable(QStringLiteral("Apply is on with \"%1\" in %2").arg(text.left(80), field)));

    // Pressed anyway (a shortcut, a double click): it must do nothing unless Apply is on.
    const QString typed = dialog.request().reason;
    dialog.apply();
    QTRY_VERIFY_WITH_TIMEOUT(!dialog.isApplying(), 30000);
    if (legitimateReason && dialog.lastOutcome() && dialog.lastOutcome()->ok()) {
        QCOMPARE(m_fixture->auditCount(), audits + 1);
        QCOMPARE(m_fixture->lastAudit().value(QStringLiteral("reason")).toString(), typed);
        // Put the seeded rows back for the next row: a fresh copy costs less than undoing each action.
        m_fixture = std::make_unique<ActionFixture>(QStringLiteral("badinput_dialog"));
        QVERIFY_FIXTURE(*m_fixture);
        return;
    }
    QCOMPARE(m_fixture->auditCount(), audits);
    QCOMPARE(m_fixture->snapshot(), before);
}

QTEST_MAIN(TestBadInputDialog)
#include "tst_badinput_dialog.moc"
