// The Reconciliation page, offscreen against a real database seeded as the demo seeds it and the local
// Stripe server filled as the demo fills it: it lists the three planted disagreements with its progress,
// Cancel stops the paging, a support login cannot open it, a lost subscription id is fixed through the
// billing-link dialog and a status drift through billing-sync, each with one audit row and gone from the next
// run, and a Stripe fault is an inline error whose Retry works.
#include "testdatabase.h"

#include "actiondialog.h"
#include "actionmenus.h"
#include "mainwindow.h"
#include "reconciliationmodel.h"
#include "reconciliationpage.h"
#include "secretstore.h"

#include "seed/seeder.h"
#include "stripelocal/demostripe.h"
#include "stripelocal/localstripeserver.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimeZone>

using namespace beacon;
using beacon::models::ReconciliationModel;
using beacon::ui::ReconciliationPage;

class TestReconciliationPage : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void run_demoFixture_listsThePlantedDisagreementsWithProgress();
    void duplicateCustomers_noFix_detailsNameBothCustomers();
    void cancel_whilePaging_stripeIsAskedNoMore();
    void stripeFault_inlineError_retryWorks();
    void noStripe_pageSaysSo_runSwitchedOff();
    void supportLogin_entrySwitchedOffWithReason_cannotRun();
    void fixLostSubscription_billingLinkPrefilled_appliedOnceAudited_goneOnRerun();
    void fixStatusDrift_billingSyncReadsStripe_writesItsStatusOnceAudited();

private:
    billing::StripeAccess access() const;
    billing::SessionStripe sessionStripe() const;
    // A window logged in as finance, on the Reconciliation page, reconciled with the local Stripe.
    std::unique_ptr<ui::MainWindow> financeWindow(ProfileStore *profiles, ui::SecretStore *secrets);
    // Selects the finding `key` ("workspace:kind"), presses Enter and returns the dialog it opened.
    ui::ActionDialog *fix(ui::MainWindow *window, const QString &key);
    // A page of its own, logged in as a superuser of the test database.
    std::unique_ptr<ReconciliationPage> makePage();
    // Presses Run and waits for the run to end.
    bool runAndWait(ReconciliationPage *page);
    // "workspace:kind" of every finding on the page, in order.
    static QStringList findings(const ReconciliationModel *model);
    qint64 scalar(const QString &sql, const QVariant &value = {});

    QTemporaryDir m_folder;
    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<stripelocal::LocalStripeServer> m_stripe;
    stripelocal::DemoStripeSummary m_planted;
    qint64 m_lostWorkspace = 0;
};

void TestReconciliationPage::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_folder.isValid());
}

void TestReconciliationPage::init()
{
    // As the demo does it: seeded, one subscription id lost in the database, and Stripe filled to agree
    // except for the planted disagreements.
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("recon_page"));
    QVERIFY_TESTDB(*m_database);
    SeedOptions options;
    options.size = SeedSize::Small;
    options.anchor = QDateTime(QDate(2026, 6, 1), QTime(0, 0), QTimeZone::utc());
    DbError error = seedDatabase(m_database->db(), options);
    QVERIFY2(!error, qPrintable(error.fullText()));
    error = stripelocal::plantLostSubscriptionId(m_database->db(), &m_lostWorkspace);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(m_lostWorkspace > 0);
    stripelocal::DemoBilling billing;
    error = stripelocal::readDemoBilling(m_database->db(), &billing);
    QVERIFY2(!error, qPrintable(error.fullText()));
    m_stripe = std::make_unique<stripelocal::LocalStripeServer>();
    QVERIFY(m_stripe->listen());
    m_planted = stripelocal::fillDemoStripe(billing, m_stripe->store());
    QCOMPARE(m_planted.lostSubscriptionWorkspace, m_lostWorkspace);
    QVERIFY(m_planted.duplicateCustomerWorkspace > 0 && m_planted.statusDriftWorkspace > 0);
}

void TestReconciliationPage::cleanup()
{
    m_stripe.reset();
    m_database.reset();
}

billing::StripeAccess TestReconciliationPage::access() const
{
    billing::StripeAccess access;
    access.key = billing::StripeKey::parse(m_stripe->apiKey());
    access.endpoint = billing::StripeEndpoint::parse(m_stripe->baseUrl().toString());
    return access;
}

billing::SessionStripe TestReconciliationPage::sessionStripe() const
{
    billing::SessionStripe stripe;
    stripe.source = billing::SessionStripe::Source::Profile;
    stripe.access = access();
    return stripe;
}

std::unique_ptr<ReconciliationPage> TestReconciliationPage::makePage()
{
    auto page = std::make_unique<ReconciliationPage>();
    SessionProbe session;
    session.spec = m_database->spec();
    session.info.loginRole = QStringLiteral("postgres");
    session.info.groupRole = QStringLiteral("superuser");
    page->setSession(session, m_database->connections());
    page->setStripe(access());
    page->resize(1000, 600);
    page->show();
    return page;
}

bool TestReconciliationPage::runAndWait(ReconciliationPage *page)
{
    auto *run = page->findChild<QPushButton *>(QStringLiteral("runButton"));
    if (!run || !run->isEnabled())
        return false;
    QSignalSpy busy(page->model(), &ReconciliationModel::busyChanged);
    QTest::mouseClick(run, Qt::LeftButton);
    return QTest::qWaitFor([&] { return busy.size() >= 2 && !page->model()->isBusy(); }, 30000);
}

std::unique_ptr<ui::MainWindow> TestReconciliationPage::financeWindow(ProfileStore *profiles,
                                                                      ui::SecretStore *secrets)
{
    const QString login = m_database->createLogin(QStringLiteral("beacon_finance"));
    auto window = std::make_unique<ui::MainWindow>(profiles, secrets);
    window->resize(1200, 800);
    window->show();
    // The session's Stripe, as a profile's key gives it, reaches the page and the action dialogs.
    window->connectTo(m_database->spec(login), QStringLiteral("Finance"), false, sessionStripe());
    if (!QTest::qWaitFor([&] { return window->hasSession(); }, 15000))
        return nullptr;
    auto *page = window->findChild<ReconciliationPage *>(QStringLiteral("reconciliationPage"));
    auto *navigation = window->findChild<QListWidget *>(QStringLiteral("navigation"));
    if (!page || !navigation)
        return nullptr;
    const QList<QListWidgetItem *> entries =
        navigation->findItems(QStringLiteral("Reconciliation"), Qt::MatchExactly);
    if (entries.size() != 1 || !(entries.first()->flags() & Qt::ItemIsEnabled))
        return nullptr;
    navigation->setCurrentItem(entries.first());
    if (!page->isVisible() || !runAndWait(page))
        return nullptr;
    return window;
}

ui::ActionDialog *TestReconciliationPage::fix(ui::MainWindow *window, const QString &key)
{
    auto *page = window->findChild<ReconciliationPage *>(QStringLiteral("reconciliationPage"));
    const qsizetype row = findings(page->model()).indexOf(key);
    if (row < 0)
        return nullptr;
    QPointer<ui::ActionDialog> dialog;
    const auto connection = connect(window->actionMenus(), &ui::ActionMenus::dialogOpened, this,
                                    [&dialog](ui::ActionDialog *opened) { dialog = opened; });
    auto *view = page->findChild<QTableView *>(QStringLiteral("findingsTable"));
    view->selectRow(int(row));
    if (!page->findChild<QPushButton *>(QStringLiteral("fixButton"))->isEnabled())
        return nullptr;
    view->setFocus();
    QTest::keyClick(view, Qt::Key_Return);
    disconnect(connection);
    return dialog.data();
}

QStringList TestReconciliationPage::findings(const ReconciliationModel *model)
{
    QStringList list;
    for (int row = 0; row < model->rowCount(); ++row)
        list.append(QStringLiteral("%1:%2")
                        .arg(model->finding(row).workspaceId)
                        .arg(billing::findingKindName(model->finding(row).kind)));
    return list;
}

qint64 TestReconciliationPage::scalar(const QString &sql, const QVariant &value)
{
    QSqlQuery query(m_database->db());
    query.prepare(sql);
    if (value.isValid())
        query.bindValue(0, value);
    if (!query.exec() || !query.next()) {
        qWarning() << sql << query.lastError().text();
        return -1;
    }
    return query.value(0).toLongLong();
}

void TestReconciliationPage::run_demoFixture_listsThePlantedDisagreementsWithProgress()
{
    const auto page = makePage();
    auto *progress = page->findChild<QLabel *>(QStringLiteral("progress"));
    QVERIFY(progress);
    QStringList progressTexts;
    connect(page->model(), &ReconciliationModel::progress, this,
            [&progressTexts, progress] { progressTexts.append(progress->text()); });
    QSignalSpy pages(page->model(), &ReconciliationModel::progress);
    QVERIFY(runAndWait(page.get()));

    QStringList expected{QStringLiteral("%1:lost_subscription_id").arg(m_planted.lostSubscriptionWorkspace),
                         QStringLiteral("%1:duplicate_customers").arg(m_planted.duplicateCustomerWorkspace),
                         QStringLiteral("%1:status_drift").arg(m_planted.statusDriftWorkspace)};
    QStringList found = findings(page->model());
    expected.sort();
    found.sort();
    QCOMPARE(found, expected);

    // A page of customers and one of subscriptions at least, each reported as it came, in the page too.
    QVERIFY2(pages.size() >= 2, qPrintable(QString::number(pages.size())));
    const QList<QVariant> last = pages.constLast();
    QCOMPARE(last.at(1).toInt(), m_planted.customers);
    QCOMPARE(last.at(2).toInt(), m_planted.subscriptions);
    QVERIFY2(progressTexts.constLast().contains(QStringLiteral("%1 customers").arg(m_planted.customers)),
             qPrintable(progressTexts.join(QLatin1Char('\n'))));
    // Stripe was paged at its largest page size.
    for (const stripelocal::RecordedRequest &request : m_stripe->requests())
        QVERIFY(request.query.contains({QStringLiteral("limit"), QStringLiteral("100")}));

    const QString summary = page->findChild<QLabel *>(QStringLiteral("summary"))->text();
    QVERIFY2(summary.startsWith(QLatin1String("3 disagreements")), qPrintable(summary));

    // The kinds read in words, and the filter keeps one kind.
    auto *view = page->findChild<QTableView *>(QStringLiteral("findingsTable"));
    auto *kind = page->findChild<QComboBox *>(QStringLiteral("kindFilter"));
    QVERIFY(view && kind);
    kind->setCurrentIndex(kind->findText(QStringLiteral("Status differs")));
    QCOMPARE(view->model()->rowCount(), 1);
    QCOMPARE(view->model()->index(0, ReconciliationModel::KindColumn).data().toString(),
             QStringLiteral("Status differs"));
    QCOMPARE(view->model()->index(0, ReconciliationModel::DatabaseColumn).data().toString(),
             QStringLiteral("active"));
    QCOMPARE(view->model()->index(0, ReconciliationModel::StripeColumn).data().toString(),
             QStringLiteral("past_due"));
}

void TestReconciliationPage::duplicateCustomers_noFix_detailsNameBothCustomers()
{
    const auto page = makePage();
    QVERIFY(runAndWait(page.get()));
    auto *view = page->findChild<QTableView *>(QStringLiteral("findingsTable"));
    auto *fix = page->findChild<QPushButton *>(QStringLiteral("fixButton"));
    auto *details = page->findChild<QPlainTextEdit *>(QStringLiteral("details"));
    QVERIFY(view && fix && details);
    const qsizetype row =
        findings(page->model())
            .indexOf(QStringLiteral("%1:duplicate_customers").arg(m_planted.duplicateCustomerWorkspace));
    QVERIFY(row >= 0);
    view->selectRow(int(row));
    QVERIFY(!fix->isEnabled());
    QVERIFY2(fix->toolTip().contains(QLatin1String("never deletes")), qPrintable(fix->toolTip()));

    QSignalSpy requested(page.get(), &ReconciliationPage::fixRequested);
    view->setFocus();
    QTest::keyClick(view, Qt::Key_Return);
    QCOMPARE(requested.size(), 0);

    // Both customers, with e-mail and creation date, and which one the database names.
    const QString rowCustomer = page->model()->finding(int(row)).databaseValue;
    const QStringList customers = page->model()->finding(int(row)).stripeValue.split(QStringLiteral(", "));
    QCOMPARE(customers.size(), 2);
    const QString text = details->toPlainText();
    for (const QString &customer : customers)
        QVERIFY2(text.contains(customer), qPrintable(text));
    QVERIFY2(text.contains(rowCustomer + QLatin1Char(',')) &&
                 text.contains(QLatin1String("the database names")),
             qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("created 20")) && text.contains(QLatin1Char('@')), qPrintable(text));
}

void TestReconciliationPage::cancel_whilePaging_stripeIsAskedNoMore()
{
    // Enough customers for many pages, asked slowly enough to be cancelled between them.
    for (int i = 0; i < 1500; ++i) {
        stripelocal::CustomerSeed customer;
        customer.email = QStringLiteral("many%1@example.test").arg(i);
        m_stripe->store().addCustomer(customer);
    }
    const auto page = makePage();
    billing::StripeAccess slow = access();
    slow.clientOptions.requestsPerSecond = 4;
    page->setStripe(slow);
    auto *run = page->findChild<QPushButton *>(QStringLiteral("runButton"));
    auto *cancel = page->findChild<QPushButton *>(QStringLiteral("cancelButton"));
    QVERIFY(run && cancel);
    QVERIFY(!cancel->isEnabled());
    QSignalSpy cancelled(page->model(), &ReconciliationModel::cancelled);
    QTest::mouseClick(run, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(m_stripe->requestCount() >= 2, 15000);
    QVERIFY(cancel->isEnabled());
    QTest::mouseClick(cancel, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.size(), 1, 10000);
    QVERIFY(!page->model()->isBusy());
    QVERIFY(run->isEnabled() && !cancel->isEnabled());
    QCOMPARE(page->model()->rowCount(), 0);
    const int asked = m_stripe->requestCount();
    QVERIFY2(asked < 16, qPrintable(QString::number(asked))); // 1500 customers take 16 pages
    // At the client's pace the next page would be asked within a quarter of a second.
    QVERIFY(!QTest::qWaitFor([&] { return m_stripe->requestCount() > asked; }, 1500));
    QVERIFY2(
        page->findChild<QLabel *>(QStringLiteral("progress"))->text().contains(QLatin1String("Cancelled")),
        qPrintable(page->findChild<QLabel *>(QStringLiteral("progress"))->text()));
}

void TestReconciliationPage::stripeFault_inlineError_retryWorks()
{
    const auto page = makePage();
    billing::StripeAccess once = access();
    once.clientOptions.maxRetries = 0; // the fault reaches the page at once
    page->setStripe(once);
    stripelocal::StripeFault fault;
    fault.kind = stripelocal::StripeFault::Kind::ServerError;
    fault.method = QStringLiteral("GET");
    fault.path = QStringLiteral("/v1/subscriptions");
    fault.times = 1;
    m_stripe->addFault(fault);
    QSignalSpy errors(page->model(), &ReconciliationModel::errorOccurred);
    QVERIFY(runAndWait(page.get()));
    QCOMPARE(errors.size(), 1);
    auto *problem = page->findChild<QLabel *>(QStringLiteral("problem"));
    auto *details = page->findChild<QLabel *>(QStringLiteral("problemDetails"));
    auto *retry = page->findChild<QPushButton *>(QStringLiteral("retryButton"));
    QVERIFY(problem && details && retry);
    QVERIFY(problem->isVisible() && retry->isVisible());
    QVERIFY2(problem->text().contains(QLatin1String("subscriptions")), qPrintable(problem->text()));
    QVERIFY2(details->text().contains(QLatin1String("req_")), qPrintable(details->text()));
    QVERIFY(!problem->text().contains(m_stripe->apiKey()) && !details->text().contains(m_stripe->apiKey()));
    QCOMPARE(page->model()->rowCount(), 0);

    QSignalSpy finished(page->model(), &ReconciliationModel::finished);
    QTest::mouseClick(retry, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 30000);
    QVERIFY(!problem->isVisible());
    QCOMPARE(page->model()->rowCount(), 3);
}

void TestReconciliationPage::noStripe_pageSaysSo_runSwitchedOff()
{
    const auto page = makePage();
    page->setStripe({});
    auto *notice = page->findChild<QLabel *>(QStringLiteral("notice"));
    QVERIFY(notice && notice->isVisible());
    QVERIFY2(notice->text().contains(QLatin1String("No Stripe account is set up")),
             qPrintable(notice->text()));
    QVERIFY(!page->findChild<QPushButton *>(QStringLiteral("runButton"))->isEnabled());
    QCOMPARE(m_stripe->requestCount(), 0);
}

void TestReconciliationPage::supportLogin_entrySwitchedOffWithReason_cannotRun()
{
    const QString login = m_database->createLogin(QStringLiteral("beacon_support"));
    ProfileStore profiles(m_folder.filePath(QStringLiteral("support.ini")));
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    window.show();
    window.connectTo(m_database->spec(login), QStringLiteral("Support"), false, sessionStripe());
    QTRY_VERIFY_WITH_TIMEOUT(window.hasSession(), 15000);
    auto *page = window.findChild<ReconciliationPage *>(QStringLiteral("reconciliationPage"));
    auto *navigation = window.findChild<QListWidget *>(QStringLiteral("navigation"));
    QVERIFY(page && navigation);
    QVERIFY(page->model()->hasStripe());
    const QList<QListWidgetItem *> entries =
        navigation->findItems(QStringLiteral("Reconciliation"), Qt::MatchExactly);
    QCOMPARE(entries.size(), 1);
    QVERIFY(!(entries.first()->flags() & Qt::ItemIsEnabled));
    QVERIFY2(entries.first()->toolTip().contains(QLatin1String("finance and admin")) &&
                 entries.first()->toolTip().contains(QLatin1String("beacon_support")),
             qPrintable(entries.first()->toolTip()));
    QVERIFY(!page->findChild<QPushButton *>(QStringLiteral("runButton"))->isEnabled());
    QCOMPARE(m_stripe->requestCount(), 0);
}

void TestReconciliationPage::fixLostSubscription_billingLinkPrefilled_appliedOnceAudited_goneOnRerun()
{
    ProfileStore profiles(m_folder.filePath(QStringLiteral("finance.ini")));
    ui::MemorySecretStore secrets;
    const auto window = financeWindow(&profiles, &secrets);
    QVERIFY(window);
    auto *page = window->findChild<ReconciliationPage *>(QStringLiteral("reconciliationPage"));
    const QString lostKey = QStringLiteral("%1:lost_subscription_id").arg(m_lostWorkspace);
    const qsizetype row = findings(page->model()).indexOf(lostKey);
    QVERIFY2(row >= 0, qPrintable(findings(page->model()).join(QLatin1Char(' '))));
    const QString lostId = page->model()->finding(int(row)).stripeValue;
    QVERIFY(lostId.startsWith(QLatin1String("sub_")));

    ui::ActionDialog *dialog = fix(window.get(), lostKey);
    QVERIFY(dialog);
    QCOMPARE(dialog->kind(), actions::ActionKind::BillingLink);
    QCOMPARE(dialog->request().workspaceId, std::optional<qint64>(m_lostWorkspace));
    QCOMPARE(dialog->request().stripeSubscriptionId, lostId);
    QVERIFY(dialog->request().stripeCustomerId.isEmpty());

    // The dialog's dry run previews; Apply writes the id with its audit row.
    QVERIFY(QTest::qWaitFor([&] { return dialog->hasCurrentPreview() && !dialog->isPreviewing(); }, 15000));
    QVERIFY2(dialog->lastPreview()->result.ok(), qPrintable(dialog->lastPreview()->result.error.fullText()));
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'billing-link'")), 0);
    QCOMPARE(
        scalar(QStringLiteral("SELECT count(*) FROM workspaces WHERE stripe_subscription_id = ?"), lostId),
        0);
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit")), QStringLiteral("FIN-12"));
    auto *apply = dialog->findChild<QPushButton *>(QStringLiteral("applyButton"));
    QTRY_VERIFY(apply->isEnabled());
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->lastOutcome().has_value(), 15000);
    QVERIFY2(dialog->lastOutcome()->ok(), qPrintable(dialog->lastOutcome()->error.fullText()));

    QSqlQuery query(m_database->db());
    query.prepare(QStringLiteral("SELECT stripe_subscription_id FROM workspaces WHERE id = ?"));
    query.bindValue(0, m_lostWorkspace);
    QVERIFY_SQL(query, exec());
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toString(), lostId);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'billing-link' AND "
                                   "workspace_id = ? AND reason = 'FIN-12'"),
                    m_lostWorkspace),
             1);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'billing-link'")), 1);

    // Marked fixed at once, and gone from the next run; the others stay.
    QTRY_VERIFY(page->model()->isFixed(int(row)));
    QVERIFY(!page->findChild<QPushButton *>(QStringLiteral("fixButton"))->isEnabled());
    QVERIFY2(page->findChild<QLabel *>(QStringLiteral("summary"))->text().contains(QLatin1String("1 fixed")),
             qPrintable(page->findChild<QLabel *>(QStringLiteral("summary"))->text()));
    dialog->close();
    QVERIFY(runAndWait(page));
    QVERIFY2(!findings(page->model()).contains(lostKey),
             qPrintable(findings(page->model()).join(QLatin1Char(' '))));
    QCOMPARE(page->model()->rowCount(), 2);
}

void TestReconciliationPage::fixStatusDrift_billingSyncReadsStripe_writesItsStatusOnceAudited()
{
    ProfileStore profiles(m_folder.filePath(QStringLiteral("sync.ini")));
    ui::MemorySecretStore secrets;
    const auto window = financeWindow(&profiles, &secrets);
    QVERIFY(window);
    auto *page = window->findChild<ReconciliationPage *>(QStringLiteral("reconciliationPage"));
    const qint64 drifted = m_planted.statusDriftWorkspace;
    const QString key = QStringLiteral("%1:status_drift").arg(drifted);
    const qsizetype row = findings(page->model()).indexOf(key);
    QVERIFY2(row >= 0, qPrintable(findings(page->model()).join(QLatin1Char(' '))));

    ui::ActionDialog *dialog = fix(window.get(), key);
    QVERIFY(dialog);
    QCOMPARE(dialog->kind(), actions::ActionKind::BillingSync);
    QCOMPARE(dialog->request().workspaceId, std::optional<qint64>(drifted));
    // The dry run asked Stripe (on the worker) and says what it would write; nothing is written yet.
    const int askedBefore = m_stripe->requestCount();
    QVERIFY(QTest::qWaitFor([&] { return dialog->hasCurrentPreview() && !dialog->isPreviewing(); }, 15000));
    QVERIFY2(dialog->lastPreview()->result.ok(), qPrintable(dialog->lastPreview()->result.error.fullText()));
    QCOMPARE(dialog->lastPreview()->result.preview.value(QStringLiteral("status_after")).toString(),
             QStringLiteral("past_due"));
    QVERIFY(m_stripe->requestCount() > askedBefore);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM workspaces WHERE id = ? AND subscription_status = "
                                   "'active'"),
                    drifted),
             1);
    QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit")), QStringLiteral("FIN-13"));
    auto *apply = dialog->findChild<QPushButton *>(QStringLiteral("applyButton"));
    QTRY_VERIFY(apply->isEnabled());
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->lastOutcome().has_value(), 15000);
    QVERIFY2(dialog->lastOutcome()->ok(), qPrintable(dialog->lastOutcome()->error.fullText()));

    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM workspaces WHERE id = ? AND subscription_status = "
                                   "'past_due'"),
                    drifted),
             1);
    QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'billing-sync' AND "
                                   "workspace_id = ? AND reason = 'FIN-13'"),
                    drifted),
             1);
    QTRY_VERIFY(page->model()->isFixed(int(row)));
    dialog->close();
    QVERIFY(runAndWait(page));
    QVERIFY2(!findings(page->model()).contains(key),
             qPrintable(findings(page->model()).join(QLatin1Char(' '))));
}

QTEST_MAIN(TestReconciliationPage)
#include "tst_reconciliationpage.moc"
