// The admin actions in the window, offscreen against a real server: the dialog previews through the engine
// without changing anything, needs a reason (and for a destructive action the slug typed), applies and has
// the tables read again, says in words why an action was refused, switches actions off for a role that may
// not run them, and never blocks the GUI thread while an action waits for a lock.
#include "testdatabase.h"

#include "actiondialog.h"
#include "actionmenus.h"
#include "actions/actionengine.h"
#include "detailpane.h"
#include "mainwindow.h"
#include "pagedtablemodel.h"
#include "secretstore.h"
#include "settings/settingsfile.h"
#include "tablepage.h"

#include <QAction>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>

using namespace beacon;
using actions::ActionKind;

class TestActionDialog : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void planChange_previewMatchesDryRunAndReasonRequired_appliesAndTableReloads();
    void projectDelete_deleteKey_applyDisabledUntilSlugTypedExactly();
    void memberAdd_teamFull_refusedInWordsAndNothingWritten();
    void roleGating_supportLogin_planChangeOffWithRolesNamed_memberAddOn();
    void workspaceLockedElsewhere_guiThreadRuns_outcomeBusy_closeStillReports();
    void connectionLost_applyAgain_sameActionIdAppliedOnce();
    void connectionLost_fieldsChanged_applyTakesNewActionId();
    void reasonWithNul_refusedInWordsNothingWritten();
    void applied_longTableScrolledDown_keepsItsPlace();

private:
    ui::TablePage *page(const QString &name) const;
    static QVariant cell(ui::TablePage *page, int row, int column);
    // Makes the Workspaces row of `id` the current one; false when it is not in the table.
    bool selectWorkspace(qint64 id);
    // Triggers `action` and returns the dialog it opened.
    ui::ActionDialog *open(QAction *action);
    static bool waitForPreview(ui::ActionDialog *dialog);
    qint64 scalar(const QString &sql);
    qint64 auditRows(const QUuid &actionId);

    QTemporaryDir m_folder;
    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<ProfileStore> m_profiles;
    std::unique_ptr<ui::MemorySecretStore> m_secrets;
    std::unique_ptr<ui::MainWindow> m_window;
};

enum : qint64 { Alpha = 101, Full = 102, Gamma = 103, Delta = 104, Docs = 302 };

void TestActionDialog::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings(settingsFilePath(), QSettings::IniFormat).clear();
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("ui_actions"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    const QStringList setup = {
        QStringLiteral("INSERT INTO workspaces (id, name, slug, plan, storage_used_bytes) VALUES "
                       "(101, 'Alpha', 'alpha', 'team', 60), (102, 'Full', 'full-team', 'free', 0), "
                       "(103, 'Gamma', 'gamma', 'starter', 999), (104, 'Delta', 'delta', 'free', 0)"),
        QStringLiteral("INSERT INTO users (id, provider, provider_user_id, primary_email) VALUES "
                       "(201, 'google', 'a', 'alice@x.com'), (202, 'google', 'b', 'bob@x.com'), "
                       "(203, 'google', 'c', 'carol@x.com'), (204, 'google', 'd', 'dan@x.com'), "
                       "(205, 'google', 'e', 'eve@x.com'), (206, 'google', 'f', 'fay@x.com')"),
        QStringLiteral(
            "INSERT INTO memberships (workspace_id, user_id, role) VALUES "
            "(101, 201, 'owner'), (101, 202, 'admin'), (102, 201, 'owner'), (102, 202, 'member'), "
            "(102, 203, 'member'), (103, 204, 'owner'), (104, 205, 'owner'), (104, 206, 'member')"),
        QStringLiteral("INSERT INTO projects (id, workspace_id, name) VALUES (301, 101, 'Design'), "
                       "(302, 101, 'Docs')"),
        QStringLiteral(
            "INSERT INTO files (id, project_id, workspace_id, name, size_bytes, storage_key) VALUES "
            "(401, 301, 101, 'a.png', 10, 'k1'), (402, 301, 101, 'b.png', 20, 'k2'), "
            "(403, 302, 101, 'spec.md', 30, 'k3')"),
    };
    for (const QString &sql : setup)
        QVERIFY_SQL(query, exec(sql));
    m_profiles = std::make_unique<ProfileStore>(m_folder.filePath(QStringLiteral("settings.ini")));
    m_secrets = std::make_unique<ui::MemorySecretStore>();
    m_window = std::make_unique<ui::MainWindow>(m_profiles.get(), m_secrets.get());
    m_window->show();
    // Before a session every action is off, and says why.
    auto *planChange = m_window->findChild<QAction *>(QStringLiteral("workspacePlanChangeAction"));
    QVERIFY(planChange);
    QVERIFY(!planChange->isEnabled());
    QVERIFY2(planChange->toolTip().contains(QStringLiteral("Connect")), qPrintable(planChange->toolTip()));
    m_window->connectTo(m_database->spec(), QStringLiteral("Actions"), false);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->hasSession(), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(page(QStringLiteral("workspaces"))->model()->rowCount() == 4, 15000);
}

void TestActionDialog::cleanupTestCase()
{
    m_window.reset();
    m_database.reset();
}

ui::TablePage *TestActionDialog::page(const QString &name) const
{
    return m_window->findChild<ui::TablePage *>(name + QStringLiteral("Page"));
}

QVariant TestActionDialog::cell(ui::TablePage *page, int row, int column)
{
    auto *model = page->model();
    model->data(model->index(row, column));
    if (!QTest::qWaitFor([&] { return model->isRowLoaded(row); }, 15000))
        return {};
    return model->data(model->index(row, column));
}

bool TestActionDialog::selectWorkspace(qint64 id)
{
    ui::TablePage *workspaces = page(QStringLiteral("workspaces"));
    if (!QTest::qWaitFor([&] { return !workspaces->model()->isBusy(); }, 15000))
        return false;
    for (int row = 0; row < workspaces->model()->rowCount(); ++row) {
        if (cell(workspaces, row, 0).toLongLong() == id) {
            workspaces->view()->setCurrentIndex(workspaces->view()->model()->index(row, 1));
            return true;
        }
    }
    return false;
}

ui::ActionDialog *TestActionDialog::open(QAction *action)
{
    QPointer<ui::ActionDialog> opened;
    const auto connection = connect(m_window->actionMenus(), &ui::ActionMenus::dialogOpened, this,
                                    [&opened](ui::ActionDialog *dialog) { opened = dialog; });
    action->trigger();
    disconnect(connection);
    return opened.data();
}

bool TestActionDialog::waitForPreview(ui::ActionDialog *dialog)
{
    return QTest::qWaitFor([dialog] { return dialog->hasCurrentPreview() && !dialog->isPreviewing(); },
                           15000);
}

qint64 TestActionDialog::auditRows(const QUuid &actionId)
{
    QSqlQuery query(m_database->db());
    query.prepare(QStringLiteral("SELECT count(*) FROM audit_log WHERE action_id = CAST(:id AS uuid)"));
    query.bindValue(QStringLiteral(":id"), actionId.toString(QUuid::WithoutBraces));
    if (!query.exec() || !query.next()) {
        qWarning() << query.lastError().text();
        return -1;
    }
    return query.value(0).toLongLong();
}

qint64 TestActionDialog::scalar(const QString &sql)
{
    QSqlQuery query(m_database->db());
    if (!query.exec(sql) || !query.next()) {
        qWarning() << sql << query.lastError().text();
        return -1;
    }
    return query.value(0).toLongLong();
}

void TestActionDialog::planChange_previewMatchesDryRunAndReasonRequired_appliesAndTableReloads()
{
    ui::TablePage *workspaces = page(QStringLiteral("workspaces"));
    QVERIFY(selectWorkspace(Alpha));
    const int row = workspaces->view()->currentIndex().row();
    auto *action = m_window->findChild<QAction *>(QStringLiteral("workspacePlanChangeAction"));
    QVERIFY(action && action->isEnabled());
    ui::ActionDialog *dialog = open(action);
    QVERIFY(dialog);
    QCOMPARE(dialog->request().workspaceId, std::optional<qint64>(Alpha));
    auto *plan = dialog->findChild<QComboBox *>(QStringLiteral("planCombo"));
    auto *reason = dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit"));
    auto *apply = dialog->findChild<QPushButton *>(QStringLiteral("applyButton"));
    QVERIFY(plan && reason && apply);
    // It starts at the next plan up; the current plan is refused by the engine as no change, with nothing
    // to apply.
    QCOMPARE(plan->currentText(), QStringLiteral("business"));
    plan->setCurrentText(QStringLiteral("team"));
    QVERIFY(waitForPreview(dialog));
    QVERIFY(!dialog->lastPreview()->result.ok());
    QVERIFY(!apply->isEnabled());

    const qint64 versionBefore = scalar(QStringLiteral("SELECT version FROM workspaces WHERE id = 101"));
    plan->setCurrentText(QStringLiteral("business"));
    QVERIFY(waitForPreview(dialog));
    const models::ActionPreview preview = *dialog->lastPreview();
    QVERIFY2(preview.result.ok(), qPrintable(preview.result.error.fullText()));
    QVERIFY(preview.result.dryRun);
    QCOMPARE(preview.target.workspaceSlug, QStringLiteral("alpha"));
    QCOMPARE(preview.target.workspaceVersion, versionBefore);
    QCOMPARE(dialog->request().expectVersion, std::optional<qint64>(versionBefore));
    // No reason yet: no apply.
    QVERIFY(reason->text().isEmpty());
    QVERIFY(!apply->isEnabled());

    // The preview is the engine's own dry run of the same request.
    actions::ActionRequest dryRun = dialog->request();
    dryRun.dryRun = true;
    dryRun.reason = QStringLiteral("check");
    dryRun.actionId = QUuid::createUuid();
    const actions::ActionResult expected = actions::runAction(m_database->db(), dryRun);
    QVERIFY2(expected.ok(), qPrintable(expected.error.fullText()));
    QCOMPARE(preview.result.message, expected.message);
    QCOMPARE(preview.result.preview, expected.preview);
    QCOMPARE(preview.result.before, expected.before);
    auto *text = dialog->findChild<QPlainTextEdit *>(QStringLiteral("previewText"));
    QVERIFY2(text->toPlainText().contains(expected.message), qPrintable(text->toPlainText()));
    QVERIFY2(text->toPlainText().contains(QStringLiteral("New limits")), qPrintable(text->toPlainText()));
    auto *changes = dialog->findChild<QTableWidget *>(QStringLiteral("changesTable"));
    bool planRow = false;
    for (int i = 0; i < changes->rowCount(); ++i) {
        if (changes->item(i, 0)->text() == QLatin1String("plan")) {
            planRow = true;
            QVERIFY(changes->item(i, 2)->text().contains(QStringLiteral("team")));
            QVERIFY(changes->item(i, 3)->text().contains(QStringLiteral("business")));
        }
    }
    QVERIFY(planRow);
    // Previews changed nothing and recorded nothing.
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM workspaces WHERE id = 101 AND plan = 'team'")), 1);
    QCOMPARE(scalar(QStringLiteral("SELECT version FROM workspaces WHERE id = 101")), versionBefore);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM audit_log")), 0);

    QTest::keyClicks(reason, QStringLiteral("   "));
    QVERIFY(!apply->isEnabled());
    reason->clear();
    QTest::keyClicks(reason, QStringLiteral("T-100 upgrade requested"));
    QVERIFY(apply->isEnabled());
    QSignalSpy resets(workspaces->model(), &QAbstractItemModel::modelReset);
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->lastOutcome().has_value(), 15000);
    QCOMPARE(dialog->lastOutcome()->outcome(), QStringLiteral("applied"));
    auto *outcome = dialog->findChild<QLabel *>(QStringLiteral("outcomeLabel"));
    QVERIFY(outcome->isVisible());
    QVERIFY2(outcome->text().startsWith(QStringLiteral("Applied")), qPrintable(outcome->text()));
    QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("outcomeDetails"))
                ->text()
                .contains(dialog->actionId().toString(QUuid::WithoutBraces)));
    QVERIFY(!apply->isEnabled()); // done: the same id would only report "already applied"

    QSqlQuery audit(m_database->db());
    QVERIFY_SQL(audit,
                prepare(QStringLiteral("SELECT actor, reason, client->>'program', action FROM audit_log "
                                       "WHERE action_id = CAST(:id AS uuid)")));
    audit.bindValue(QStringLiteral(":id"), dialog->actionId().toString(QUuid::WithoutBraces));
    QVERIFY_SQL(audit, exec());
    QVERIFY(audit.next());
    const QString actor = ui::ActionMenus::consoleUser().isEmpty() ? QStringLiteral("postgres")
                                                                   : ui::ActionMenus::consoleUser();
    QCOMPARE(audit.value(0).toString(), actor);
    QCOMPARE(audit.value(1).toString(), QStringLiteral("T-100 upgrade requested"));
    QCOMPARE(audit.value(2).toString(), QStringLiteral("beacon-admin"));
    QCOMPARE(audit.value(3).toString(), QStringLiteral("plan-change"));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM workspaces WHERE id = 101 AND plan = 'business'")),
             1);

    // The table was read again, and shows the new plan.
    QTRY_VERIFY_WITH_TIMEOUT(resets.count() > 0 && !workspaces->model()->isBusy(), 15000);
    QCOMPARE(cell(workspaces, row, 0).toLongLong(), qint64(Alpha));
    QCOMPARE(cell(workspaces, row, 3).toString(), QStringLiteral("business"));
    dialog->findChild<QPushButton *>(QStringLiteral("closeButton"))->click();
    QVERIFY(!dialog->isVisible());
}

void TestActionDialog::projectDelete_deleteKey_applyDisabledUntilSlugTypedExactly()
{
    QVERIFY(selectWorkspace(Alpha));
    auto *detail = m_window->findChild<ui::DetailPane *>(QStringLiteral("detailPane"));
    QTRY_COMPARE_WITH_TIMEOUT(detail->projects()->scope(), std::optional<qint64>(Alpha), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!detail->projects()->isBusy() && detail->projects()->rowCount() == 2, 10000);
    detail->setCurrentIndex(1); // Projects
    auto *projects = detail->findChild<QTableView *>(QStringLiteral("projectsTable"));
    int docsRow = -1;
    for (int row = 0; row < 2; ++row) {
        detail->projects()->data(detail->projects()->index(row, 0));
        QTRY_VERIFY_WITH_TIMEOUT(detail->projects()->isRowLoaded(row), 10000);
        if (detail->projects()->data(detail->projects()->index(row, 0)).toLongLong() == Docs)
            docsRow = row;
    }
    QVERIFY(docsRow >= 0);
    projects->setCurrentIndex(projects->model()->index(docsRow, 1));

    // From the keyboard: Delete on the projects table.
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    projects->setFocus();
    QPointer<ui::ActionDialog> dialog;
    const auto connection = connect(m_window->actionMenus(), &ui::ActionMenus::dialogOpened, this,
                                    [&dialog](ui::ActionDialog *opened) { dialog = opened; });
    QTest::keyClick(projects, Qt::Key_Delete);
    disconnect(connection);
    QVERIFY(dialog);
    QCOMPARE(dialog->kind(), ActionKind::ProjectDelete);
    QCOMPARE(dialog->request().projectId, std::optional<qint64>(Docs));

    auto *reason = dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit"));
    auto *confirm = dialog->findChild<QLineEdit *>(QStringLiteral("confirmEdit"));
    auto *apply = dialog->findChild<QPushButton *>(QStringLiteral("applyButton"));
    QVERIFY(reason && confirm && apply);
    QTest::keyClicks(reason, QStringLiteral("T-200 customer asked"));
    QVERIFY(waitForPreview(dialog));
    const models::ActionPreview preview = *dialog->lastPreview();
    QVERIFY2(preview.result.ok(), qPrintable(preview.result.error.fullText()));
    QCOMPARE(preview.result.preview.value(QStringLiteral("rows_affected")).toInteger(), 2);
    QCOMPARE(preview.result.preview.value(QStringLiteral("bytes_freed")).toInteger(), 30);
    QCOMPARE(dialog->confirmationText(), QStringLiteral("alpha"));
    QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("confirmLabel"))
                ->text()
                .contains(QStringLiteral("alpha")));
    QVERIFY(!apply->isEnabled());
    for (const QString &wrong : {QStringLiteral("alph"), QStringLiteral("Alpha"), QStringLiteral("alpha-"),
                                 QStringLiteral("full-team")}) {
        confirm->clear();
        QTest::keyClicks(confirm, wrong);
        QVERIFY2(!apply->isEnabled(), qPrintable(wrong));
    }
    confirm->clear();
    QTest::keyClicks(confirm, QStringLiteral("alpha"));
    QVERIFY(apply->isEnabled());
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM projects WHERE id = 302")), 1);

    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->lastOutcome().has_value(), 15000);
    QCOMPARE(dialog->lastOutcome()->outcome(), QStringLiteral("applied"));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM projects WHERE id = 302")), 0);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM files WHERE id = 403")), 0);
    QCOMPARE(scalar(QStringLiteral("SELECT storage_used_bytes FROM workspaces WHERE id = 101")), 30);
    // The pane's projects were read again.
    QTRY_VERIFY_WITH_TIMEOUT(!detail->projects()->isBusy() && detail->projects()->rowCount() == 1, 10000);
    dialog->reject();
}

void TestActionDialog::memberAdd_teamFull_refusedInWordsAndNothingWritten()
{
    // A full team: the preview already says so, and Apply stays off.
    QVERIFY(selectWorkspace(Full));
    ui::ActionDialog *dialog =
        open(m_window->findChild<QAction *>(QStringLiteral("workspaceMemberAddAction")));
    QVERIFY(dialog);
    QCOMPARE(dialog->request().workspaceId, std::optional<qint64>(Full));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("userEdit")), QStringLiteral("204"));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit")), QStringLiteral("T-300"));
    QVERIFY(waitForPreview(dialog));
    QVERIFY(!dialog->lastPreview()->result.ok());
    QCOMPARE(dialog->lastPreview()->result.outcome(), QStringLiteral("refused"));
    auto *text = dialog->findChild<QPlainTextEdit *>(QStringLiteral("previewText"));
    QVERIFY2(text->toPlainText().contains(QStringLiteral("The team is full")),
             qPrintable(text->toPlainText()));
    QVERIFY(!dialog->findChild<QPushButton *>(QStringLiteral("applyButton"))->isEnabled());
    dialog->reject();

    // One seat left when previewed, taken by someone else before Apply: the apply is refused, in words.
    QVERIFY(selectWorkspace(Delta));
    auto *detail = m_window->findChild<ui::DetailPane *>(QStringLiteral("detailPane"));
    QTRY_COMPARE_WITH_TIMEOUT(detail->members()->scope(), std::optional<qint64>(Delta), 5000);
    dialog = open(m_window->findChild<QAction *>(QStringLiteral("memberAddAction")));
    QVERIFY(dialog);
    QCOMPARE(dialog->request().workspaceId, std::optional<qint64>(Delta));
    QCOMPARE(dialog->findChild<QComboBox *>(QStringLiteral("roleCombo"))->currentText(),
             QStringLiteral("member"));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("userEdit")), QStringLiteral("dan@x.com"));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit")), QStringLiteral("T-301"));
    QVERIFY(waitForPreview(dialog));
    QVERIFY2(dialog->lastPreview()->result.ok(), qPrintable(dialog->lastPreview()->result.error.fullText()));
    QCOMPARE(dialog->lastPreview()->result.preview.value(QStringLiteral("members_after")).toInteger(), 3);
    auto *apply = dialog->findChild<QPushButton *>(QStringLiteral("applyButton"));
    QVERIFY(apply->isEnabled());
    const qint64 auditBefore = scalar(QStringLiteral("SELECT count(*) FROM audit_log"));
    QSqlQuery other(m_database->db());
    QVERIFY_SQL(other,
                exec(QStringLiteral(
                    "INSERT INTO memberships (workspace_id, user_id, role) VALUES (104, 203, 'member')")));
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->lastOutcome().has_value(), 15000);
    QCOMPARE(dialog->lastOutcome()->outcome(), QStringLiteral("refused"));
    auto *outcome = dialog->findChild<QLabel *>(QStringLiteral("outcomeLabel"));
    QVERIFY2(outcome->text().startsWith(QStringLiteral("Refused")), qPrintable(outcome->text()));
    QVERIFY2(outcome->text().contains(QStringLiteral("The team is full")), qPrintable(outcome->text()));
    QCOMPARE(
        scalar(QStringLiteral("SELECT count(*) FROM memberships WHERE workspace_id = 104 AND user_id = 204")),
        0);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM audit_log")), auditBefore);
    // The data said no: Apply waits for a new look.
    QVERIFY(!apply->isEnabled());
    dialog->reject();
}

void TestActionDialog::roleGating_supportLogin_planChangeOffWithRolesNamed_memberAddOn()
{
    // The superuser's window runs everything.
    for (QAction *action : m_window->actionMenus()->actions())
        QVERIFY2(action->isEnabled(), qPrintable(action->objectName()));

    const QString login = m_database->createLogin(QStringLiteral("beacon_support"));
    QVERIFY_TESTDB(*m_database);
    ui::MainWindow support(m_profiles.get(), m_secrets.get());
    support.show();
    support.connectTo(m_database->spec(login), QStringLiteral("Support"), false);
    QTRY_VERIFY_WITH_TIMEOUT(support.hasSession(), 15000);
    const auto action = [&support](const char *name) {
        return support.findChild<QAction *>(QLatin1String(name));
    };
    QAction *planChange = action("workspacePlanChangeAction");
    QVERIFY(!planChange->isEnabled());
    QVERIFY2(planChange->toolTip().contains(QStringLiteral("beacon_finance")) &&
                 planChange->toolTip().contains(QStringLiteral("beacon_admin")),
             qPrintable(planChange->toolTip()));
    QVERIFY(!action("workspaceReadOnlyOnAction")->isEnabled());
    for (const char *name : {"workspaceMemberAddAction", "memberAddAction", "memberRemoveAction",
                             "memberRoleAction", "projectDeleteAction", "projectFileDeleteAction",
                             "fileDeleteAction", "workspaceQuotaRepairAction", "userMemberRemoveAction"})
        QVERIFY2(action(name)->isEnabled(), name);
    QAction *merge = action("userMergeIntoThisAction");
    QVERIFY(!merge->isEnabled());
    QVERIFY2(merge->toolTip().contains(QStringLiteral("beacon_admin")) &&
                 !merge->toolTip().contains(QStringLiteral("beacon_finance")),
             qPrintable(merge->toolTip()));
    QVERIFY(!action("exportsPurgeAction")->isEnabled());
    // A switched-off action opens nothing.
    int opened = 0;
    QPointer<ui::ActionDialog> dialog;
    connect(support.actionMenus(), &ui::ActionMenus::dialogOpened, this, [&](ui::ActionDialog *shown) {
        ++opened;
        dialog = shown;
    });
    planChange->trigger();
    QCOMPARE(opened, 0);
    // What support may do, support's login can apply: the server's grants agree with the switches.
    action("workspaceMemberAddAction")->trigger();
    QCOMPARE(opened, 1);
    QVERIFY(dialog);
    QCOMPARE(dialog->request().workspaceId, std::nullopt); // nothing selected: typed instead
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("workspaceEdit")), QStringLiteral("103"));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("userEdit")), QStringLiteral("205"));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit")), QStringLiteral("T-350"));
    QVERIFY(waitForPreview(dialog));
    QVERIFY2(dialog->lastPreview()->result.ok(), qPrintable(dialog->lastPreview()->result.error.fullText()));
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("applyButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->lastOutcome().has_value(), 15000);
    QCOMPARE(dialog->lastOutcome()->outcome(), QStringLiteral("applied"));
    QCOMPARE(
        scalar(QStringLiteral("SELECT count(*) FROM memberships WHERE workspace_id = 103 AND user_id = 205")),
        1);
}

void TestActionDialog::workspaceLockedElsewhere_guiThreadRuns_outcomeBusy_closeStillReports()
{
    QVERIFY(selectWorkspace(Gamma));
    QPointer<ui::ActionDialog> dialog =
        open(m_window->findChild<QAction *>(QStringLiteral("workspaceQuotaRepairAction")));
    QVERIFY(dialog);
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit")), QStringLiteral("T-400"));
    QVERIFY(waitForPreview(dialog));
    QVERIFY2(dialog->lastPreview()->result.ok(), qPrintable(dialog->lastPreview()->result.error.fullText()));
    auto *apply = dialog->findChild<QPushButton *>(QStringLiteral("applyButton"));
    QVERIFY(apply->isEnabled());

    // Another session holds the workspace row.
    DbError error;
    auto locker = Connection::open(m_database->spec(), QStringLiteral("locker"), &error);
    QVERIFY2(locker, qPrintable(error.fullText()));
    QSqlQuery lock(locker->database());
    QVERIFY_SQL(lock, exec(QStringLiteral("BEGIN")));
    QVERIFY_SQL(lock, exec(QStringLiteral("SELECT id FROM workspaces WHERE id = 103 FOR UPDATE")));

    // A timer on the GUI thread keeps firing while the action waits for the lock on its worker.
    QElapsedTimer clock;
    qint64 last = 0;
    qint64 longestGap = 0;
    int ticks = 0;
    QTimer ticker;
    ticker.setInterval(20);
    connect(&ticker, &QTimer::timeout, this, [&] {
        const qint64 now = clock.elapsed();
        longestGap = std::max(longestGap, now - last);
        last = now;
        ++ticks;
    });
    clock.start();
    ticker.start();
    QTest::mouseClick(apply, Qt::LeftButton);
    QVERIFY(dialog->isApplying());
    QVERIFY(dialog->findChild<QWidget *>(QStringLiteral("busyRow"))->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(dialog->lastOutcome().has_value(), 15000);
    const qint64 waited = clock.elapsed();
    ticker.stop();
    QCOMPARE(dialog->lastOutcome()->outcome(), QStringLiteral("busy"));
    QVERIFY2(waited >= 2500, qPrintable(QString::number(waited))); // the 3 s lock timeout
    QVERIFY2(ticks >= waited / 20 / 3,
             qPrintable(QStringLiteral("%1 ticks in %2 ms").arg(ticks).arg(waited)));
    QVERIFY2(longestGap < 500, qPrintable(QString::number(longestGap)));
    auto *outcome = dialog->findChild<QLabel *>(QStringLiteral("outcomeLabel"));
    QVERIFY2(outcome->text().startsWith(QStringLiteral("Busy")), qPrintable(outcome->text()));
    QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("outcomeDetails"))
                ->text()
                .contains(QStringLiteral("55P03")));
    QVERIFY(!dialog->findChild<QWidget *>(QStringLiteral("busyRow"))->isVisible());

    // Busy changed nothing, so Apply may be pressed again; this time the dialog is closed while it waits.
    QVERIFY(apply->isEnabled());
    QTest::mouseClick(apply, Qt::LeftButton);
    QVERIFY(dialog->isApplying());
    dialog->findChild<QPushButton *>(QStringLiteral("closeButton"))->click();
    QVERIFY(!dialog->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(dialog.isNull(), 15000); // gone once its outcome arrived
    QVERIFY2(m_window->statusBar()->currentMessage().contains(QStringLiteral("Busy")),
             qPrintable(m_window->statusBar()->currentMessage()));
    QVERIFY_SQL(lock, exec(QStringLiteral("ROLLBACK")));
    QCOMPARE(scalar(QStringLiteral("SELECT storage_used_bytes FROM workspaces WHERE id = 103")), 999);
}

void TestActionDialog::connectionLost_applyAgain_sameActionIdAppliedOnce()
{
    ConnectionSpec spec = m_database->spec();
    spec.applicationName = QStringLiteral("beacon-action-test");
    actions::ActionRequest prefill;
    prefill.workspaceId = Gamma;
    prefill.actor = QStringLiteral("tester");
    ConnectionBudget connections(spec);
    ui::ActionDialog dialog(ActionKind::QuotaRepair, prefill, &connections);
    dialog.show();
    QTest::keyClicks(dialog.findChild<QLineEdit *>(QStringLiteral("reasonEdit")), QStringLiteral("T-500"));
    QVERIFY(waitForPreview(&dialog));
    QVERIFY(dialog.lastPreview()->result.ok());
    QCOMPARE(dialog.lastPreview()->result.preview.value(QStringLiteral("delta_bytes")).toInteger(), -999);

    // The dialog's connection is cut between the preview and Apply.
    QSqlQuery kill(m_database->db());
    QVERIFY_SQL(kill, exec(QStringLiteral(
                          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "application_name = 'beacon-action-test' AND datname = current_database()")));
    QVERIFY(kill.next() && kill.value(0).toBool());
    QTRY_COMPARE_WITH_TIMEOUT(
        scalar(QStringLiteral(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'beacon-action-test'")),
        0, 5000);
    auto *apply = dialog.findChild<QPushButton *>(QStringLiteral("applyButton"));
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog.lastOutcome().has_value(), 15000);
    QCOMPARE(dialog.lastOutcome()->outcome(), QStringLiteral("unavailable"));
    const QUuid first = dialog.lastOutcome()->actionId;
    QCOMPARE(first, dialog.actionId());
    QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("outcomeLabel"))
                ->text()
                .contains(QStringLiteral("Apply again")));

    QVERIFY(apply->isEnabled());
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog.lastOutcome().has_value() && !dialog.isApplying(), 15000);
    QCOMPARE(dialog.lastOutcome()->outcome(), QStringLiteral("applied"));
    QCOMPARE(dialog.lastOutcome()->actionId, first);
    QSqlQuery audit(m_database->db());
    QVERIFY_SQL(
        audit, prepare(QStringLiteral("SELECT count(*) FROM audit_log WHERE action_id = CAST(:id AS uuid)")));
    audit.bindValue(QStringLiteral(":id"), first.toString(QUuid::WithoutBraces));
    QVERIFY_SQL(audit, exec());
    QVERIFY(audit.next());
    QCOMPARE(audit.value(0).toLongLong(), 1);
    QCOMPARE(scalar(QStringLiteral("SELECT storage_used_bytes FROM workspaces WHERE id = 103")), 0);
}

void TestActionDialog::connectionLost_fieldsChanged_applyTakesNewActionId()
{
    // After "unavailable" the first request may or may not have gone through. The same id with other fields
    // would be another request under its id: the dialog takes a new id for it.
    ConnectionSpec spec = m_database->spec();
    spec.applicationName = QStringLiteral("beacon-action-test-2");
    actions::ActionRequest prefill;
    prefill.workspaceId = 101;
    prefill.actor = QStringLiteral("tester");
    ConnectionBudget connections(spec);
    ui::ActionDialog dialog(ActionKind::QuotaRepair, prefill, &connections);
    dialog.show();
    QTest::keyClicks(dialog.findChild<QLineEdit *>(QStringLiteral("reasonEdit")), QStringLiteral("T-501"));
    QVERIFY(waitForPreview(&dialog));
    QVERIFY(dialog.lastPreview()->result.ok());
    QSqlQuery kill(m_database->db());
    QVERIFY_SQL(kill, exec(QStringLiteral(
                          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "application_name = 'beacon-action-test-2' AND datname = current_database()")));
    QVERIFY(kill.next() && kill.value(0).toBool());
    QTRY_COMPARE_WITH_TIMEOUT(
        scalar(QStringLiteral(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'beacon-action-test-2'")),
        0, 5000);
    auto *apply = dialog.findChild<QPushButton *>(QStringLiteral("applyButton"));
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog.lastOutcome().has_value(), 15000);
    QCOMPARE(dialog.lastOutcome()->outcome(), QStringLiteral("unavailable"));
    const QUuid first = dialog.actionId();

    auto *workspace = dialog.findChild<QLineEdit *>(QStringLiteral("workspaceEdit"));
    QVERIFY(workspace);
    workspace->selectAll();
    QTest::keyClicks(workspace, QStringLiteral("104"));
    QVERIFY(waitForPreview(&dialog));
    QTRY_VERIFY_WITH_TIMEOUT(apply->isEnabled(), 15000);
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog.lastOutcome().has_value() && !dialog.isApplying(), 15000);
    QCOMPARE(dialog.lastOutcome()->outcome(), QStringLiteral("applied"));
    const QUuid second = dialog.lastOutcome()->actionId;
    QVERIFY(second != first);
    QCOMPARE(dialog.actionId(), second);
    QSqlQuery audit(m_database->db());
    QVERIFY_SQL(audit, prepare(QStringLiteral(
                           "SELECT target_id FROM audit_log WHERE action_id = CAST(:id AS uuid)")));
    audit.bindValue(QStringLiteral(":id"), second.toString(QUuid::WithoutBraces));
    QVERIFY_SQL(audit, exec());
    QVERIFY(audit.next());
    QCOMPARE(audit.value(0).toString(), QStringLiteral("104"));
    QCOMPARE(auditRows(first), 0);
}

void TestActionDialog::reasonWithNul_refusedInWordsNothingWritten()
{
    actions::ActionRequest prefill;
    prefill.workspaceId = 101;
    prefill.actor = QStringLiteral("tester");
    ConnectionBudget connections(m_database->spec());
    ui::ActionDialog dialog(ActionKind::QuotaRepair, prefill, &connections);
    dialog.show();
    QVERIFY(waitForPreview(&dialog));
    QVERIFY(dialog.lastPreview()->result.ok());
    // Pasted text can carry a NUL; libpq would cut the reason there.
    dialog.findChild<QLineEdit *>(QStringLiteral("reasonEdit"))
        ->setText(QStringLiteral("T-502") + QChar(u'\0') + QStringLiteral(" and the rest"));
    auto *apply = dialog.findChild<QPushButton *>(QStringLiteral("applyButton"));
    QTRY_VERIFY_WITH_TIMEOUT(apply->isEnabled(), 15000);
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog.lastOutcome().has_value() && !dialog.isApplying(), 15000);
    QCOMPARE(dialog.lastOutcome()->outcome(), QStringLiteral("refused"));
    QCOMPARE(dialog.lastOutcome()->exitCode(), 2);
    QVERIFY2(
        dialog.findChild<QLabel *>(QStringLiteral("outcomeLabel"))->text().contains(QLatin1String("NUL")),
        qPrintable(dialog.findChild<QLabel *>(QStringLiteral("outcomeLabel"))->text()));
    QCOMPARE(auditRows(dialog.actionId()), 0);
}

void TestActionDialog::applied_longTableScrolledDown_keepsItsPlace()
{
    // A long audit log, scrolled well down: the action's own audit row is read in with the rest, and the
    // person stays where they were instead of being sent back to the top.
    QSqlQuery earlier(m_database->db());
    QVERIFY_SQL(earlier,
                exec(QStringLiteral(
                    "INSERT INTO audit_log (actor, action, action_id, target_type, target_id, reason) "
                    "SELECT 'earlier', 'read-only', gen_random_uuid(), 'workspace', '104', 'T-' || n "
                    "FROM generate_series(1, 600) AS n")));
    ui::TablePage *audit = page(QStringLiteral("audit"));
    auto *navigation = m_window->findChild<QListWidget *>(QStringLiteral("navigation"));
    QVERIFY(navigation);
    // The audit log, on screen; found by its name, as pages are added after it.
    const QList<QListWidgetItem *> auditEntry =
        navigation->findItems(QStringLiteral("Audit log"), Qt::MatchExactly);
    QCOMPARE(auditEntry.size(), 1);
    navigation->setCurrentItem(auditEntry.first());
    QTRY_VERIFY(audit->isVisible());
    audit->model()->reload();
    QTRY_VERIFY_WITH_TIMEOUT(audit->model()->rowCount() > 600 && !audit->model()->isBusy(), 15000);
    const int place = 300;
    audit->scrollToRow(place);
    QCOMPARE(audit->tableRow(audit->view()->verticalScrollBar()->value()), place);

    QVERIFY(selectWorkspace(Delta));
    ui::ActionDialog *dialog =
        open(m_window->findChild<QAction *>(QStringLiteral("workspacePlanChangeAction")));
    QVERIFY(dialog);
    QVERIFY(waitForPreview(dialog));
    QVERIFY2(dialog->lastPreview()->result.ok(), qPrintable(dialog->lastPreview()->result.error.fullText()));
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit")), QStringLiteral("T-600"));
    QSignalSpy resets(audit->model(), &QAbstractItemModel::modelReset);
    QSignalSpy counted(audit->model(), &models::PagedTableModel::rowCountKnown);
    QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("applyButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->lastOutcome().has_value(), 15000);
    QCOMPARE(dialog->lastOutcome()->outcome(), QStringLiteral("applied"));

    // Read again (a reset and a new count), and back at the same row, on the page's scrollbar and on screen.
    QTRY_VERIFY_WITH_TIMEOUT(!resets.isEmpty() && !counted.isEmpty() && !audit->model()->isBusy(), 15000);
    QCOMPARE(audit->positionBar()->value(), place);
    QCOMPARE(audit->tableRow(audit->view()->verticalScrollBar()->value()), place);
    dialog->findChild<QPushButton *>(QStringLiteral("closeButton"))->click();
    navigation->setCurrentRow(0);
}

QTEST_MAIN(TestActionDialog)
#include "tst_actiondialog.moc"
