// The detail panes and the audit diff view, offscreen against a small known data set: a user's pane lists
// the workspaces they belong to, a workspace's pane its usage and subscription, and the diff view the fields
// an audited action changed, dropping a late reply for an entry no longer asked for.
#include "testdatabase.h"

#include "auditdiffview.h"
#include "detailpane.h"
#include "pagedtablemodel.h"
#include "userdetailpane.h"

#include <QCheckBox>
#include <QHeaderView>
#include <QLabel>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTableView>

using namespace beacon;

class TestDetailPanes : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void userPane_showUser_membershipsListTheirWorkspaces();
    void userPane_selectAuditRow_reportsTheEntry();
    void workspacePane_showWorkspace_usageNewestFirstAndSubscription();
    void workspacePane_selectProject_filesFollow();
    void panes_views_keyboardReadyAndFixedRowHeight();
    void auditDiffView_showEntry_listsChangedFields();
    void auditDiffView_twoEntriesQuickly_onlyTheLastShown();
    void auditDiffView_unknownEntry_saysSo();

private:
    static void waitUntilIdle(models::PagedTableModel *model);
    static QList<QVariant> column(models::PagedTableModel *model, int column);
    qint64 auditEntry(const QString &before, const QString &after);

    std::unique_ptr<test::TestDatabase> m_database;
};

enum : qint64 { Alpha = 101, Beta = 102, Alice = 201, Bob = 202, Design = 301 };

void TestDetailPanes::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("ui_detail"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    const QStringList setup = {
        QStringLiteral(
            "INSERT INTO workspaces (id, name, slug, plan, stripe_customer_id, subscription_status) "
            "VALUES (101, 'Alpha', 'alpha', 'team', 'cus_alpha', 'active'), "
            "(102, 'Beta', 'beta', 'free', NULL, 'none')"),
        QStringLiteral("INSERT INTO users (id, provider, provider_user_id, primary_email) VALUES "
                       "(201, 'google', 'a', 'alice@x.com'), (202, 'google', 'b', 'bob@x.com')"),
        QStringLiteral("INSERT INTO memberships (workspace_id, user_id, role) VALUES "
                       "(101, 201, 'owner'), (102, 201, 'member'), (101, 202, 'admin')"),
        QStringLiteral("INSERT INTO projects (id, workspace_id, name) VALUES (301, 101, 'Design'), "
                       "(302, 101, 'Docs')"),
        QStringLiteral(
            "INSERT INTO files (id, project_id, workspace_id, name, size_bytes, storage_key) VALUES "
            "(401, 301, 101, 'a.png', 10, 'k1'), (402, 301, 101, 'b.png', 20, 'k2'), "
            "(403, 302, 101, 'spec.md', 30, 'k3')"),
        QStringLiteral("INSERT INTO ai_usage (id, workspace_id, user_id, provider, model, input_tokens, "
                       "                      output_tokens, cost_usd, created_at) VALUES "
                       "(501, 101, 201, 'openai', 'gpt', 10, 1, 0.01, '2026-03-01 10:00+00'), "
                       "(502, 101, 202, 'openai', 'gpt', 20, 2, 0.02, '2026-03-03 10:00+00'), "
                       "(503, 102, 201, 'openai', 'gpt', 30, 3, 0.03, '2026-03-02 10:00+00'), "
                       "(504, 101, NULL, 'openai', 'gpt', 40, 4, 0.04, '2026-03-02 10:00+00')"),
    };
    for (const QString &sql : setup)
        QVERIFY_SQL(query, exec(sql));
}

void TestDetailPanes::cleanupTestCase()
{
    m_database.reset();
}

void TestDetailPanes::waitUntilIdle(models::PagedTableModel *model)
{
    QTRY_VERIFY_WITH_TIMEOUT(!model->isBusy(), 10000);
}

// Every row of a small model, read to the end.
QList<QVariant> TestDetailPanes::column(models::PagedTableModel *model, int column)
{
    QList<QVariant> values;
    for (int row = 0; row < model->rowCount(); ++row) {
        model->data(model->index(row, column)); // asks for the block
        if (!QTest::qWaitFor([&] { return model->isRowLoaded(row); }, 10000))
            return {QStringLiteral("row %1 never loaded").arg(row)};
        values.append(model->data(model->index(row, column)));
    }
    return values;
}

qint64 TestDetailPanes::auditEntry(const QString &before, const QString &after)
{
    QSqlQuery query(m_database->db());
    query.prepare(QStringLiteral(
        "INSERT INTO audit_log (actor, action, action_id, target_type, target_id, workspace_id, reason, "
        "before, "
        "                       after) "
        "VALUES ('zoë@support', 'workspace.plan_change', gen_random_uuid(), 'workspace', '101', 101, "
        "        'upgrade requested', CAST(:before AS jsonb), CAST(:after AS jsonb)) RETURNING id"));
    query.bindValue(QStringLiteral(":before"), before);
    query.bindValue(QStringLiteral(":after"), after);
    if (!query.exec() || !query.next()) {
        qWarning() << query.lastError().text();
        return 0;
    }
    return query.value(0).toLongLong();
}

void TestDetailPanes::userPane_showUser_membershipsListTheirWorkspaces()
{
    ui::UserDetailPane pane;
    pane.show();
    pane.setConnection(m_database->connections());
    pane.showUser(qint64(Alice));
    waitUntilIdle(pane.memberships());
    QCOMPARE(pane.memberships()->rowCount(), 2);
    QCOMPARE(column(pane.memberships(), 0), (QList<QVariant>{qint64(Alpha), qint64(Beta)}));
    QCOMPARE(column(pane.memberships(), 4),
             (QList<QVariant>{QStringLiteral("owner"), QStringLiteral("member")}));
    waitUntilIdle(pane.usage());
    QCOMPARE(pane.usage()->rowCount(), 2);
    // Newest first: 503 (2 March) before 501 (1 March).
    QCOMPARE(column(pane.usage(), 0), (QList<QVariant>{qint64(503), qint64(501)}));

    pane.showUser(qint64(Bob));
    waitUntilIdle(pane.memberships());
    QCOMPARE(column(pane.memberships(), 0), QList<QVariant>{qint64(Alpha)});
    QCOMPARE(column(pane.memberships(), 4), QList<QVariant>{QStringLiteral("admin")});

    pane.showUser(std::nullopt);
    waitUntilIdle(pane.memberships());
    QCOMPARE(pane.memberships()->rowCount(), 0);
}

void TestDetailPanes::userPane_selectAuditRow_reportsTheEntry()
{
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, exec(QStringLiteral(
                           "INSERT INTO audit_log (actor, action, action_id, target_type, target_id) VALUES "
                           "('t', 'user.disable', gen_random_uuid(), 'user', '202'), "
                           "('t', 'user.note', gen_random_uuid(), 'user', 'not-a-number') RETURNING id")));
    QVERIFY(query.next());
    const qint64 bobsEntry = query.value(0).toLongLong();

    ui::UserDetailPane pane;
    pane.show();
    QSignalSpy selected(&pane, &ui::UserDetailPane::auditEntrySelected);
    QSignalSpy problems(&pane, &ui::UserDetailPane::errorOccurred);
    pane.setConnection(m_database->connections());
    pane.showUser(qint64(Bob));
    waitUntilIdle(pane.audit());
    QCOMPARE(problems.count(), 0);
    QCOMPARE(column(pane.audit(), 0), QList<QVariant>{bobsEntry});

    auto *view = pane.findChild<QTableView *>(QStringLiteral("userAuditTable"));
    QVERIFY(view);
    selected.clear();
    view->setCurrentIndex(view->model()->index(0, 1));
    QVERIFY(!selected.isEmpty());
    QCOMPARE(selected.last().at(0).value<std::optional<qint64>>(), std::optional<qint64>(bobsEntry));
}

void TestDetailPanes::workspacePane_showWorkspace_usageNewestFirstAndSubscription()
{
    ui::DetailPane pane;
    pane.show();
    pane.setConnection(m_database->connections());
    pane.showWorkspace(qint64(Alpha));
    for (models::PagedTableModel *model :
         {pane.members(), pane.projects(), pane.usage(), pane.subscription(), pane.audit()})
        waitUntilIdle(model);
    QCOMPARE(pane.members()->rowCount(), 2);
    QCOMPARE(pane.projects()->rowCount(), 2);
    // Newest first, and the usage of no user (504) is still the workspace's.
    QCOMPARE(column(pane.usage(), 0), (QList<QVariant>{qint64(502), qint64(504), qint64(501)}));
    const QList<QVariant> emails = column(pane.usage(), 3);
    QCOMPARE(emails.size(), 3);
    QCOMPARE(emails.at(0).toString(), QStringLiteral("bob@x.com"));
    QVERIFY(emails.at(1).isNull());
    QCOMPARE(emails.at(2).toString(), QStringLiteral("alice@x.com"));

    QCOMPARE(pane.subscription()->rowCount(), 1);
    QCOMPARE(column(pane.subscription(), 0), QList<QVariant>{qint64(Alpha)});
    QCOMPARE(column(pane.subscription(), 2), QList<QVariant>{QStringLiteral("team")});
    QCOMPARE(column(pane.subscription(), 4), QList<QVariant>{QStringLiteral("active")});
    // Shown field by field: one row of the view per column of the table.
    auto *subscription = pane.findChild<QTableView *>(QStringLiteral("subscriptionTable"));
    QVERIFY(subscription);
    QCOMPARE(subscription->model()->rowCount(), pane.subscription()->columnCount());
    QCOMPARE(subscription->model()->headerData(2, Qt::Vertical).toString(),
             pane.subscription()->columnTitle(2));
    QCOMPARE(subscription->model()->index(2, 0).data().toString(), QStringLiteral("team"));

    pane.showWorkspace(qint64(Beta));
    waitUntilIdle(pane.usage());
    waitUntilIdle(pane.subscription());
    QCOMPARE(column(pane.usage(), 0), QList<QVariant>{qint64(503)});
    QCOMPARE(column(pane.subscription(), 2), QList<QVariant>{QStringLiteral("free")});
}

void TestDetailPanes::workspacePane_selectProject_filesFollow()
{
    ui::DetailPane pane;
    pane.show();
    pane.setConnection(m_database->connections());
    pane.showWorkspace(qint64(Alpha));
    waitUntilIdle(pane.projects());
    QCOMPARE(column(pane.projects(), 0), (QList<QVariant>{qint64(Design), qint64(302)}));
    auto *projects = pane.findChild<QTableView *>(QStringLiteral("projectsTable"));
    QVERIFY(projects);
    projects->setCurrentIndex(projects->model()->index(0, 1));
    QTRY_COMPARE_WITH_TIMEOUT(pane.projectFiles()->scope(), std::optional<qint64>(Design), 5000);
    waitUntilIdle(pane.projectFiles());
    QCOMPARE(column(pane.projectFiles(), 0), (QList<QVariant>{qint64(401), qint64(402)}));
    // Another workspace: no project is selected there yet, so no files.
    pane.showWorkspace(qint64(Beta));
    QCOMPARE(pane.projectFiles()->scope(), std::optional<qint64>(0));
}

void TestDetailPanes::panes_views_keyboardReadyAndFixedRowHeight()
{
    ui::DetailPane workspacePane;
    ui::UserDetailPane userPane;
    const QList<QPair<QTabWidget *, QStringList>> panes = {
        {&workspacePane,
         {QStringLiteral("membersTable"), QStringLiteral("projectsTable"),
          QStringLiteral("projectFilesTable"), QStringLiteral("usageTable"),
          QStringLiteral("subscriptionTable"), QStringLiteral("auditTable")}},
        {&userPane,
         {QStringLiteral("userMembershipsTable"), QStringLiteral("userUsageTable"),
          QStringLiteral("userAuditTable")}},
    };
    for (const auto &[pane, viewNames] : panes) {
        for (int tab = 0; tab < pane->count(); ++tab)
            QVERIFY2(pane->tabText(tab).contains(QLatin1Char('&')), qPrintable(pane->tabText(tab)));
        for (const QString &name : viewNames) {
            auto *view = pane->findChild<QTableView *>(name);
            QVERIFY2(view, qPrintable(name));
            QCOMPARE(view->verticalHeader()->sectionResizeMode(0), QHeaderView::Fixed);
            QCOMPARE(view->selectionBehavior(), QAbstractItemView::SelectRows);
            QVERIFY(view->focusPolicy() & Qt::TabFocus);
        }
    }
    QCOMPARE(workspacePane.count(), 6); // Billing reads no table: it is not in the list above
    QCOMPARE(userPane.count(), 3);
}

void TestDetailPanes::auditDiffView_showEntry_listsChangedFields()
{
    const qint64 id = auditEntry(QStringLiteral(R"({"plan": "free", "read_only": false, "version": 3})"),
                                 QStringLiteral(R"({"plan": "team", "read_only": false, "version": 4})"));
    QVERIFY(id > 0);
    ui::AuditDiffView view;
    view.show();
    QSignalSpy shown(&view, &ui::AuditDiffView::entryShown);
    view.setConnection(m_database->connections());
    view.showEntry(id);
    QTRY_COMPARE_WITH_TIMEOUT(view.shownEntry(), std::optional<qint64>(id), 10000);

    QCOMPARE(view.findChild<QLabel *>(QStringLiteral("auditActor"))->text(), QStringLiteral("zoë@support"));
    QCOMPARE(view.findChild<QLabel *>(QStringLiteral("auditAction"))->text(),
             QStringLiteral("workspace.plan_change"));
    QCOMPARE(view.findChild<QLabel *>(QStringLiteral("auditTarget"))->text(),
             QStringLiteral("workspace 101"));
    QCOMPARE(view.findChild<QLabel *>(QStringLiteral("auditReason"))->text(),
             QStringLiteral("upgrade requested"));
    QVERIFY(!view.findChild<QLabel *>(QStringLiteral("auditLogin"))->text().isEmpty());
    QVERIFY(!view.findChild<QLabel *>(QStringLiteral("auditWhen"))->text().isEmpty());

    const QAbstractItemModel *changes = view.changes();
    const auto rowText = [changes](int row) {
        QStringList cells;
        for (int column = 0; column < changes->columnCount(); ++column)
            cells.append(changes->index(row, column).data().toString());
        return cells.join(QStringLiteral(" | "));
    };
    QCOMPARE(changes->rowCount(), 2);
    QCOMPARE(rowText(0), QStringLiteral(R"(plan | changed | "free" | "team")"));
    QCOMPARE(rowText(1), QStringLiteral("version | changed | 3 | 4"));
    QCOMPARE(changes->headerData(ui::AuditDiffView::ChangeColumn, Qt::Horizontal).toString(),
             QStringLiteral("Change"));
    // The new value stands out by weight, not by colour.
    QVERIFY(changes->index(0, ui::AuditDiffView::AfterColumn).data(Qt::FontRole).value<QFont>().bold());

    auto *showUnchanged = view.findChild<QCheckBox *>(QStringLiteral("showUnchanged"));
    QVERIFY(showUnchanged);
    showUnchanged->setChecked(true);
    QCOMPARE(changes->rowCount(), 3);
    QCOMPARE(rowText(1), QStringLiteral("read_only | unchanged | false | false"));
    QCOMPARE(shown.count(), 2); // the clearing on connect, then the entry
    QCOMPARE(shown.last().at(0).value<std::optional<qint64>>(), std::optional<qint64>(id));
}

void TestDetailPanes::auditDiffView_twoEntriesQuickly_onlyTheLastShown()
{
    const qint64 first =
        auditEntry(QStringLiteral(R"({"plan": "free"})"), QStringLiteral(R"({"plan": "team"})"));
    const qint64 second =
        auditEntry(QStringLiteral(R"({"read_only": false})"), QStringLiteral(R"({"read_only": true})"));
    QVERIFY(first > 0 && second > 0);
    ui::AuditDiffView view;
    view.setConnection(m_database->connections());
    QSignalSpy shown(&view, &ui::AuditDiffView::entryShown);
    view.showEntry(first);
    view.showEntry(second);
    QCOMPARE(view.loadsInFlight(), 2);
    // Both reads finish; the first one's reply, whenever it came, must not have been shown.
    QTRY_COMPARE_WITH_TIMEOUT(view.loadsInFlight(), 0, 10000);
    QCOMPARE(shown.count(), 1);
    QCOMPARE(shown.at(0).at(0).value<std::optional<qint64>>(), std::optional<qint64>(second));
    QCOMPARE(view.shownEntry(), std::optional<qint64>(second));
    QCOMPARE(view.changes()->rowCount(), 1);
    QCOMPARE(view.changes()->index(0, ui::AuditDiffView::FieldColumn).data().toString(),
             QStringLiteral("read_only"));
}

void TestDetailPanes::auditDiffView_unknownEntry_saysSo()
{
    ui::AuditDiffView view;
    view.setConnection(m_database->connections());
    view.showEntry(987654321);
    QTRY_COMPARE_WITH_TIMEOUT(view.loadsInFlight(), 0, 10000);
    QVERIFY(!view.shownEntry());
    QCOMPARE(view.changes()->rowCount(), 0);
    const QString status = view.findChild<QLabel *>(QStringLiteral("auditDiffStatus"))->text();
    QVERIFY2(status.contains(QLatin1String("987654321")), qPrintable(status));
}

QTEST_MAIN(TestDetailPanes)
#include "tst_detailpanes.moc"
