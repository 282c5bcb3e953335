// Browsing in the window, offscreen against a seeded database: the tables fill once connected, search
// narrows them after Enter, and a header click sorts by an indexed column and ignores the others.
#include "testdatabase.h"

#include "auditdiffview.h"
#include "detailpane.h"
#include "mainwindow.h"
#include "pagedtablemodel.h"
#include "secretstore.h"
#include "seed/seeder.h"
#include "settings/settingsfile.h"
#include "tablepage.h"
#include "userdetailpane.h"

#include <QClipboard>
#include <QDialog>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QSettings>
#include <QSqlQuery>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>

using namespace beacon;

class TestTablePage : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void connected_tablesFillWithExactCounts();
    void search_enter_showsOnlyMatchingUsers();
    void headerClick_sortsIndexedColumnOnly();
    void subscriptionsAndQuotas_flagPlantedMismatchAndDrift();
    void copyCellAndRow_keyboard_putTextOnClipboard();
    void liveRefresh_anotherConnectionRenames_visibleRowUpdates();
    void selectWorkspace_detailPaneShowsItsMembersAndProjects();
    void selectUser_userPaneShowsTheirWorkspaces();
    void selectAuditEntry_diffShowsWhatChanged();
    void navigation_everyPageReachable();
    void quickOpen_data();
    void quickOpen();
    void sortOrder_rememberedForTheNextWindow();

private:
    ui::TablePage *page(const QString &name) const;
    static QVariant cell(ui::TablePage *page, int row, int column);

    QTemporaryDir m_folder;
    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<ProfileStore> m_profiles;
    std::unique_ptr<ui::MemorySecretStore> m_secrets;
    std::unique_ptr<ui::MainWindow> m_window;
};

void TestTablePage::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings(settingsFilePath(), QSettings::IniFormat).clear(); // no layout left over from an earlier run
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("ui_tables"));
    QVERIFY_TESTDB(*m_database);
    SeedOptions options;
    options.size = SeedSize::Tiny;
    const DbError error = seedDatabase(m_database->db(), options);
    QVERIFY2(!error, qPrintable(error.fullText()));
    m_profiles = std::make_unique<ProfileStore>(m_folder.filePath(QStringLiteral("settings.ini")));
    m_secrets = std::make_unique<ui::MemorySecretStore>();
    m_window = std::make_unique<ui::MainWindow>(m_profiles.get(), m_secrets.get());
    m_window->show();
    m_window->connectTo(m_database->spec(), QStringLiteral("Tiny"), false);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->hasSession(), 15000);
}

void TestTablePage::cleanupTestCase()
{
    m_window.reset();
    m_database.reset();
}

ui::TablePage *TestTablePage::page(const QString &name) const
{
    return m_window->findChild<ui::TablePage *>(name + QStringLiteral("Page"));
}

QVariant TestTablePage::cell(ui::TablePage *page, int row, int column)
{
    auto *model = page->model();
    model->data(model->index(row, column));
    if (!QTest::qWaitFor([&] { return model->isRowLoaded(row); }, 15000))
        return {};
    return model->data(model->index(row, column));
}

void TestTablePage::connected_tablesFillWithExactCounts()
{
    for (const QString &table : {QStringLiteral("workspaces"), QStringLiteral("users"),
                                 QStringLiteral("ai_usage"), QStringLiteral("exports")}) {
        ui::TablePage *tablePage = page(table);
        QVERIFY(tablePage);
        QSqlQuery query(m_database->db());
        QVERIFY_SQL(query, exec(QStringLiteral("SELECT count(*), min(id) FROM %1").arg(table)));
        QVERIFY(query.next());
        QTRY_COMPARE_WITH_TIMEOUT(tablePage->model()->rowCount(), query.value(0).toInt(), 15000);
        QCOMPARE(cell(tablePage, 0, 0).toLongLong(), query.value(1).toLongLong());
        QVERIFY(tablePage->findChild<QLabel *>(QStringLiteral("rowCount"))
                    ->text()
                    .contains(QLocale().toString(query.value(0).toLongLong())));
    }
}

void TestTablePage::search_enter_showsOnlyMatchingUsers()
{
    ui::TablePage *users = page(QStringLiteral("users"));
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT primary_email FROM users ORDER BY id LIMIT 1")));
    QVERIFY(query.next());
    const QString email = query.value(0).toString();
    auto *search = users->findChild<QLineEdit *>(QStringLiteral("search"));
    QTest::keyClicks(search, email.toUpper());
    QTest::keyClick(search, Qt::Key_Return);
    QSqlQuery expected(m_database->db());
    QVERIFY_SQL(expected,
                prepare(QStringLiteral("SELECT id FROM users WHERE primary_email ILIKE '%' || :e || '%' "
                                       "OR display_name ILIKE '%' || :e2 || '%' ORDER BY id")));
    expected.bindValue(QStringLiteral(":e"), email);
    expected.bindValue(QStringLiteral(":e2"), email);
    QVERIFY_SQL(expected, exec());
    QList<qint64> ids;
    while (expected.next())
        ids.append(expected.value(0).toLongLong());
    QVERIFY(!ids.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(users->model()->search() == email.toUpper() && !users->model()->isBusy(), 15000);
    QCOMPARE(users->model()->rowCount(), ids.size());
    for (int row = 0; row < ids.size(); ++row)
        QCOMPARE(cell(users, row, 0).toLongLong(), ids.at(row));

    search->clear(); // the clear button's way: the whole table comes back
    QTRY_VERIFY_WITH_TIMEOUT(users->model()->rowCount() > ids.size(), 15000);
}

void TestTablePage::headerClick_sortsIndexedColumnOnly()
{
    ui::TablePage *workspaces = page(QStringLiteral("workspaces"));
    auto *view = workspaces->findChild<QTableView *>(QStringLiteral("table"));
    QHeaderView *header = view->horizontalHeader();
    const int slugColumn = 2;
    const int membersColumn = 6;
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {},
                      QPoint(header->sectionViewportPosition(slugColumn) + 5, header->height() / 2));
    QTRY_COMPARE(workspaces->model()->sortColumn(), slugColumn);
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, exec(QStringLiteral("SELECT slug FROM workspaces ORDER BY slug, id LIMIT 1")));
    QVERIFY(query.next());
    QCOMPARE(cell(workspaces, 0, slugColumn).toString(), query.value(0).toString());

    // Members is computed, not indexed: the click changes nothing.
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {},
                      QPoint(header->sectionViewportPosition(membersColumn) + 5, header->height() / 2));
    QCOMPARE(workspaces->model()->sortColumn(), slugColumn);
    QCOMPARE(header->sortIndicatorSection(), slugColumn);
}

void TestTablePage::subscriptionsAndQuotas_flagPlantedMismatchAndDrift()
{
    const PlantedAnomalies planted = plantedAnomalies(SeedSize::Tiny);
    ui::TablePage *subscriptions = page(QStringLiteral("subscriptions"));
    ui::TablePage *quotas = page(QStringLiteral("quotas"));
    QVERIFY(subscriptions && quotas);
    QTRY_VERIFY_WITH_TIMEOUT(subscriptions->model()->rowCount() > 0 && quotas->model()->rowCount() > 0,
                             15000);
    const int mismatchColumn = 9;
    const int driftColumn = 7;
    // Sorted by id and the ids start at 1, so workspace n is row n - 1.
    for (int row = 0; row < 20; ++row) {
        const qint64 workspace = cell(subscriptions, row, 0).toLongLong();
        QCOMPARE(workspace, qint64(row + 1));
        QSqlQuery query(m_database->db());
        query.prepare(
            QStringLiteral("SELECT (subscription_status = 'canceled' AND NOT read_only) OR "
                           "(subscription_status = 'active' AND read_only), storage_used_bytes - "
                           "(SELECT coalesce(sum(size_bytes), 0) FROM files WHERE workspace_id = :id2) "
                           "FROM workspaces WHERE id = :id"));
        query.bindValue(QStringLiteral(":id"), workspace);
        query.bindValue(QStringLiteral(":id2"), workspace);
        QVERIFY_SQL(query, exec());
        QVERIFY(query.next());
        const bool mismatch = query.value(0).toBool();
        QCOMPARE(cell(subscriptions, row, mismatchColumn).toString(),
                 mismatch ? QStringLiteral("yes") : QStringLiteral("no"));
        if (planted.canceledWritableWorkspaces.contains(workspace))
            QVERIFY(mismatch);
        QCOMPARE(cell(quotas, row, 0).toLongLong(), workspace);
        const qint64 drift = qint64(cell(quotas, row, driftColumn).toDouble());
        QCOMPARE(drift, query.value(1).toLongLong());
        QCOMPARE(drift != 0, planted.storageDriftWorkspaces.contains(workspace));
    }
}

void TestTablePage::copyCellAndRow_keyboard_putTextOnClipboard()
{
    ui::TablePage *users = page(QStringLiteral("users"));
    users->findChild<QLineEdit *>(QStringLiteral("search"))->clear();
    QTRY_VERIFY_WITH_TIMEOUT(users->model()->search().isEmpty() && !users->model()->isBusy(), 15000);
    const qint64 id = cell(users, 0, 0).toLongLong();
    const QString email = cell(users, 0, 1).toString();
    m_window->activateWindow();
    m_window->findChild<QListWidget *>(QStringLiteral("navigation"))->setCurrentRow(1);
    auto *view = users->findChild<QTableView *>(QStringLiteral("table"));
    view->setFocus();
    view->setCurrentIndex(view->model()->index(0, 1));
    QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QGuiApplication::clipboard()->text(), email);
    QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier);
    const QStringList cells = QGuiApplication::clipboard()->text().split(QLatin1Char('\t'));
    QCOMPARE(cells.size(), users->model()->columnCount());
    QCOMPARE(cells.at(0), QString::number(id));
    QCOMPARE(cells.at(1), email);
}

void TestTablePage::liveRefresh_anotherConnectionRenames_visibleRowUpdates()
{
    ui::TablePage *quotas = page(QStringLiteral("quotas"));
    QCOMPARE(cell(quotas, 0, 0).toLongLong(), 1);
    DbError error;
    auto other = Connection::open(m_database->spec(), QStringLiteral("other"), &error);
    QVERIFY2(other, qPrintable(error.fullText()));
    QSqlQuery query(other->database());
    QVERIFY_SQL(query,
                exec(QStringLiteral("UPDATE workspaces SET name = 'Renamed by finance' WHERE id = 1")));
    // Nobody presses F5: the notification brings the new name.
    QTRY_COMPARE_WITH_TIMEOUT(quotas->model()->data(quotas->model()->index(0, 1)).toString(),
                              QStringLiteral("Renamed by finance"), 10000);
}

void TestTablePage::selectWorkspace_detailPaneShowsItsMembersAndProjects()
{
    ui::TablePage *workspaces = page(QStringLiteral("workspaces"));
    auto *detail = m_window->findChild<ui::DetailPane *>(QStringLiteral("detailPane"));
    QVERIFY(detail);
    // The biggest team of the tiny seed, wherever the current sort puts it.
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, exec(QStringLiteral(
                           "SELECT workspace_id, count(*), (SELECT count(*) FROM projects p WHERE "
                           "p.workspace_id = m.workspace_id) FROM memberships m GROUP BY workspace_id "
                           "ORDER BY count(*) DESC, workspace_id LIMIT 1")));
    QVERIFY(query.next());
    const qint64 id = query.value(0).toLongLong();
    int row = -1;
    for (int candidate = 0; candidate < workspaces->model()->rowCount() && row < 0; ++candidate) {
        if (cell(workspaces, candidate, 0).toLongLong() == id)
            row = candidate;
    }
    QVERIFY(row >= 0);
    auto *view = workspaces->findChild<QTableView *>(QStringLiteral("table"));
    view->setCurrentIndex(view->model()->index(row, 1));
    QTRY_COMPARE_WITH_TIMEOUT(detail->members()->scope(), std::optional<qint64>(id), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!detail->members()->isBusy() && !detail->projects()->isBusy(), 10000);
    QCOMPARE(detail->members()->rowCount(), query.value(1).toInt());
    QCOMPARE(detail->projects()->rowCount(), query.value(2).toInt());
    QSqlQuery member(m_database->db());
    QVERIFY_SQL(member, prepare(QStringLiteral(
                            "SELECT user_id FROM memberships WHERE workspace_id = :id ORDER BY user_id")));
    member.bindValue(QStringLiteral(":id"), id);
    QVERIFY_SQL(member, exec());
    for (int i = 0; member.next(); ++i) {
        detail->members()->data(detail->members()->index(i, 0));
        QTRY_VERIFY_WITH_TIMEOUT(detail->members()->isRowLoaded(i), 10000);
        QCOMPARE(detail->members()->data(detail->members()->index(i, 0)).toLongLong(),
                 member.value(0).toLongLong());
    }
}

void TestTablePage::selectUser_userPaneShowsTheirWorkspaces()
{
    ui::TablePage *users = page(QStringLiteral("users"));
    users->showSearch({});
    QTRY_VERIFY_WITH_TIMEOUT(!users->model()->isBusy() && users->model()->rowCount() > 0, 15000);
    auto *pane = m_window->findChild<ui::UserDetailPane *>(QStringLiteral("userDetailPane"));
    QVERIFY(pane);
    const qint64 id = cell(users, 0, 0).toLongLong();
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, prepare(QStringLiteral("SELECT count(*) FROM memberships WHERE user_id = :id")));
    query.bindValue(QStringLiteral(":id"), id);
    QVERIFY_SQL(query, exec());
    QVERIFY(query.next());
    auto *view = users->findChild<QTableView *>(QStringLiteral("table"));
    view->setCurrentIndex(view->model()->index(0, 1));
    QTRY_COMPARE_WITH_TIMEOUT(pane->memberships()->scope(), std::optional<qint64>(id), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!pane->memberships()->isBusy(), 10000);
    QCOMPARE(pane->memberships()->rowCount(), query.value(0).toInt());
}

void TestTablePage::selectAuditEntry_diffShowsWhatChanged()
{
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(
        query, exec(QStringLiteral("INSERT INTO audit_log (actor, action, action_id, target_type, target_id, "
                                   "workspace_id, reason, before, after) VALUES ('ana', 'plan-change', "
                                   "gen_random_uuid(), 'workspace', '1', 1, 'T-1', '{\"plan\": \"free\"}', "
                                   "'{\"plan\": \"team\"}') RETURNING id")));
    QVERIFY(query.next());
    const qint64 entry = query.value(0).toLongLong();
    ui::TablePage *audit = page(QStringLiteral("audit"));
    audit->model()->reload();
    QTRY_VERIFY_WITH_TIMEOUT(!audit->model()->isBusy() && audit->model()->rowCount() > 0, 15000);
    int row = -1;
    for (int candidate = 0; candidate < audit->model()->rowCount() && row < 0; ++candidate) {
        if (cell(audit, candidate, 0).toLongLong() == entry)
            row = candidate;
    }
    QVERIFY(row >= 0);
    auto *view = audit->findChild<QTableView *>(QStringLiteral("table"));
    view->setCurrentIndex(view->model()->index(row, 1));
    auto *diff = m_window->findChild<ui::AuditDiffView *>(QStringLiteral("auditDiffView"));
    QVERIFY(diff);
    QTRY_COMPARE_WITH_TIMEOUT(diff->shownEntry(), std::optional<qint64>(entry), 10000);
    auto *fields = diff->changes();
    QCOMPARE(fields->rowCount(), 1);
    QCOMPARE(fields->index(0, 0).data().toString(), QStringLiteral("plan"));
    QVERIFY(fields->index(0, 2).data().toString().contains(QStringLiteral("free")));
    QVERIFY(fields->index(0, 3).data().toString().contains(QStringLiteral("team")));
}

void TestTablePage::navigation_everyPageReachable()
{
    auto *navigation = m_window->findChild<QListWidget *>(QStringLiteral("navigation"));
    auto *pages = m_window->findChild<QStackedWidget *>();
    QVERIFY(navigation && pages);
    QCOMPARE(navigation->count(), pages->count());
    for (int i = 0; i < navigation->count(); ++i) {
        navigation->setCurrentRow(i);
        QCOMPARE(pages->currentIndex(), i);
        QVERIFY(!navigation->item(i)->text().isEmpty());
    }
    // And from the keyboard, wherever the focus is.
    m_window->activateWindow();
    page(QStringLiteral("users"))->findChild<QLineEdit *>(QStringLiteral("search"))->setFocus();
    QTest::keyClick(m_window.get(), Qt::Key_3, Qt::ControlModifier);
    QCOMPARE(pages->currentIndex(), 2);
    QTest::keyClick(m_window.get(), Qt::Key_1, Qt::ControlModifier);
    QCOMPARE(pages->currentIndex(), 0);
}

void TestTablePage::quickOpen_data()
{
    QTest::addColumn<QString>("lookupSql");
    QTest::addColumn<QString>("pageName");
    QTest::addColumn<bool>("upperCase");
    QTest::newRow("e-mail, other case") << "SELECT primary_email, id FROM users ORDER BY id LIMIT 1 OFFSET 5"
                                        << "users" << true;
    QTest::newRow("Stripe customer") << "SELECT stripe_customer_id, id FROM workspaces WHERE "
                                        "stripe_customer_id IS NOT NULL ORDER BY id LIMIT 1"
                                     << "workspaces" << false;
    QTest::newRow("slug") << "SELECT slug, id FROM workspaces ORDER BY id DESC LIMIT 1"
                          << "workspaces" << false;
}

void TestTablePage::quickOpen()
{
    QFETCH(QString, lookupSql);
    QFETCH(QString, pageName);
    QFETCH(bool, upperCase);
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query, exec(lookupSql));
    QVERIFY(query.next());
    const QString text = upperCase ? query.value(0).toString().toUpper() : query.value(0).toString();
    const qint64 id = query.value(1).toLongLong();

    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTest::keyClick(m_window.get(), Qt::Key_K, Qt::ControlModifier);
    QDialog *dialog = nullptr;
    QTRY_VERIFY((dialog = m_window->findChild<QDialog *>(QStringLiteral("quickOpenDialog"))) != nullptr);
    auto *input = dialog->findChild<QLineEdit *>(QStringLiteral("quickOpenText"));
    QTest::keyClicks(input, text);
    QTest::keyClick(input, Qt::Key_Return);
    auto *results = dialog->findChild<QListWidget *>(QStringLiteral("quickOpenResults"));
    QTRY_VERIFY_WITH_TIMEOUT(results->count() > 0, 10000);
    QVERIFY2(results->currentItem()->text().contains(QString::number(id)),
             qPrintable(results->currentItem()->text()));
    QTest::keyClick(input, Qt::Key_Return);
    QTRY_VERIFY(!m_window->findChild<QDialog *>(QStringLiteral("quickOpenDialog")) || !dialog->isVisible());

    ui::TablePage *target = page(pageName);
    QTRY_VERIFY_WITH_TIMEOUT(!target->model()->search().isEmpty() && !target->model()->isBusy() &&
                                 target->model()->rowCount() > 0,
                             10000);
    QList<qint64> shown;
    for (int row = 0; row < target->model()->rowCount(); ++row)
        shown.append(cell(target, row, 0).toLongLong());
    QVERIFY2(shown.contains(id), qPrintable(QString::number(id)));
    QVERIFY(target->isVisible());
}

void TestTablePage::sortOrder_rememberedForTheNextWindow()
{
    // headerClick_sortsIndexedColumnOnly left Workspaces sorted by slug; a new window starts that way.
    m_window.reset();
    ui::MainWindow another(m_profiles.get(), m_secrets.get());
    auto *workspaces = another.findChild<ui::TablePage *>(QStringLiteral("workspacesPage"));
    QCOMPARE(workspaces->model()->sortColumn(), 2);
    QCOMPARE(workspaces->findChild<QTableView *>(QStringLiteral("table"))
                 ->horizontalHeader()
                 ->sortIndicatorSection(),
             2);
}

QTEST_MAIN(TestTablePage)
#include "tst_tablepage.moc"
