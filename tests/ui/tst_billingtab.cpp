// The workspace detail pane's Billing tab, offscreen, against a real PostgreSQL database and the local Stripe
// server: nothing is asked of Stripe until the tab is shown; it shows a seeded workspace's customer,
// subscription and invoices with the planted disagreement marked; a support login sees status and plan only
// and asks Stripe for the subscription alone; a Stripe failure is shown inline and Retry mends it; and the
// hosted invoice page opened is the invoice's own.
#include "testdatabase.h"

#include "payingworkspace.h"

#include "billing/billingreport.h"
#include "billing/workspacebillingloader.h"
#include "billingtab.h"
#include "detailpane.h"
#include "pagedtablemodel.h"
#include "stripeapicheck.h"
#include "stripelocal/localstripeserver.h"

#include <QGroupBox>
#include <QLabel>
#include <QPushButton>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>

#include <algorithm>
#include <tuple>

using namespace beacon;
using namespace beacon::stripelocal;

class TestBillingTab : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void hiddenTab_selectWorkspace_asksStripeNothingUntilShown();
    void finance_showTab_customerSubscriptionInvoicesAndDisagreementMarked();
    void visibleTab_otherWorkspace_reloadedForIt();
    void refresh_afterStripeChanged_showsItsNewState();
    void supportLogin_showTab_statusAndPlanOnlyAndOnlyTheSubscriptionAsked();
    void stripeFails_inlineErrorWithRequestId_retrySucceeds();
    void cancel_slowStripe_stopsAndSaysSo();
    void openInvoice_selectedRow_opensItsHostedPage();
    void noStripe_showTab_saysNotSetUpAndAsksNothing();
    void endingSubscription_noUpcomingInvoice_restShown();

private:
    // A detail pane on `budget`, shown, with the local Stripe and the Members tab in front.
    std::unique_ptr<ui::DetailPane> makePane(ConnectionBudget *budget, bool withStripe = true);
    static void showBillingTab(ui::DetailPane &pane);
    static QLabel *field(ui::DetailPane &pane, const char *name);
    // The comparison table's row for `field`, as {database, stripe, verdict}; empty when not shown.
    static QStringList comparison(ui::DetailPane &pane, const QString &field);

    test::StripeApiCheck m_check;
    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<LocalStripeServer> m_server;
    QString m_price;
    QString m_agreeingCustomer;
    QString m_agreeingSubscription;
    QString m_pastDueSubscription;
    QStringList m_invoices; // workspace 2's, oldest first
};

enum : qint64 { Agreeing = 1, PastDue = 2 };
static constexpr qint64 periodStart = 1'780'000'000;
static constexpr qint64 periodEnd = periodStart + 30 * 86400;

void TestBillingTab::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY2(m_check.load(), qPrintable(m_check.errorText()));
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("ui_billing"));
    QVERIFY_TESTDB(*m_database);
}

void TestBillingTab::init()
{
    // A fresh Stripe for each test, so that ids and request counts are its own; the rows name its ids.
    m_server = std::make_unique<LocalStripeServer>();
    QVERIFY(m_server->listen());
    StripeStore &store = m_server->store();
    PriceSeed team;
    team.productName = QStringLiteral("Team");
    team.unitAmount = 2900;
    m_price = store.addPrice(team);
    const QString &price = m_price;
    const auto customerFor = [&store](const char *workspace, const char *email) {
        CustomerSeed seed;
        seed.email = QString::fromLatin1(email);
        seed.metadata.insert(QStringLiteral("workspace_id"), QString::fromLatin1(workspace));
        return store.addCustomer(seed);
    };
    const auto subscriptionFor = [&store, &price](const QString &customer, const char *workspace,
                                                  const QString &status) {
        SubscriptionSeed seed;
        seed.customerId = customer;
        seed.priceId = price;
        seed.status = status;
        seed.quantity = 3;
        seed.currentPeriodStart = periodStart;
        seed.currentPeriodEnd = periodEnd;
        seed.metadata.insert(QStringLiteral("workspace_id"), QString::fromLatin1(workspace));
        return store.addSubscription(seed);
    };
    const QString agreeing = customerFor("1", "one@example.test");
    m_agreeingCustomer = agreeing;
    const QString agreeingSubscription = subscriptionFor(agreeing, "1", QStringLiteral("active"));
    m_agreeingSubscription = agreeingSubscription;
    // Past due in Stripe, active in the row: the planted disagreement.
    const QString pastDue = customerFor("2", "billing@two.test");
    m_pastDueSubscription = subscriptionFor(pastDue, "2", QStringLiteral("past_due"));
    PaymentMethodSeed card;
    card.customerId = pastDue;
    card.brand = QStringLiteral("mastercard");
    card.last4 = QStringLiteral("4444");
    store.addPaymentMethod(card);
    m_invoices.clear();
    for (const auto &[status, due, paid, created] : {std::tuple{"paid", 2900, 2900, periodStart - 30 * 86400},
                                                     std::tuple{"open", 8700, 0, periodStart}}) {
        InvoiceSeed invoice;
        invoice.customerId = pastDue;
        invoice.subscriptionId = m_pastDueSubscription;
        invoice.status = QString::fromLatin1(status);
        invoice.amountDue = due;
        invoice.amountPaid = paid;
        invoice.created = created;
        m_invoices.append(store.addInvoice(invoice));
    }

    QSqlQuery query(m_database->db());
    query.prepare(
        QStringLiteral("INSERT INTO public.workspaces (id, name, slug, plan, stripe_customer_id, "
                       "stripe_subscription_id, subscription_status, current_period_end) VALUES "
                       "(1, 'One', 'one', 'team', :c1, :s1, 'active', to_timestamp(CAST(:end AS bigint))), "
                       "(2, 'Two', 'two', 'team', :c2, :s2, 'active', to_timestamp(CAST(:end AS bigint))) "
                       "ON CONFLICT (id) DO UPDATE SET stripe_customer_id = EXCLUDED.stripe_customer_id, "
                       "stripe_subscription_id = EXCLUDED.stripe_subscription_id"));
    query.bindValue(QStringLiteral(":c1"), agreeing);
    query.bindValue(QStringLiteral(":s1"), agreeingSubscription);
    query.bindValue(QStringLiteral(":c2"), pastDue);
    query.bindValue(QStringLiteral(":s2"), m_pastDueSubscription);
    query.bindValue(QStringLiteral(":end"), periodEnd);
    QVERIFY_SQL(query, exec());
    // The local server's price stands for the Team plan here.
    QVERIFY(test::priceTeamPlanAs(m_database->db(), price));
}

void TestBillingTab::cleanup()
{
    // What the tab sent is what Stripe's API accepts.
    for (const RecordedRequest &request : m_server->requests()) {
        const QStringList problems =
            m_check.violations(request.method, request.path, request.query, request.form);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    }
    m_server.reset();
}

void TestBillingTab::cleanupTestCase()
{
    m_database.reset();
}

std::unique_ptr<ui::DetailPane> TestBillingTab::makePane(ConnectionBudget *budget, bool withStripe)
{
    auto pane = std::make_unique<ui::DetailPane>();
    pane->resize(900, 700);
    pane->show();
    pane->setConnection(budget);
    billing::StripeAccess access;
    if (withStripe) {
        access.key = billing::StripeKey::parse(m_server->apiKey());
        access.endpoint = billing::StripeEndpoint::parse(m_server->baseUrl().toString());
    }
    pane->setStripeAccess(access);
    return pane;
}

void TestBillingTab::showBillingTab(ui::DetailPane &pane)
{
    pane.setCurrentWidget(pane.billing());
}

QLabel *TestBillingTab::field(ui::DetailPane &pane, const char *name)
{
    return pane.billing()->findChild<QLabel *>(QLatin1String(name));
}

QStringList TestBillingTab::comparison(ui::DetailPane &pane, const QString &field)
{
    auto *table = pane.billing()->findChild<QTableWidget *>(QStringLiteral("billingComparison"));
    for (int row = 0; row < table->rowCount(); ++row) {
        if (table->item(row, 0)->text() == field)
            return {table->item(row, 1)->text(), table->item(row, 2)->text(), table->item(row, 3)->text()};
    }
    return {};
}

void TestBillingTab::hiddenTab_selectWorkspace_asksStripeNothingUntilShown()
{
    auto pane = makePane(m_database->connections());
    pane->showWorkspace(qint64(PastDue));
    // The pane's own tables are read meanwhile; the hidden Billing tab asks Stripe nothing.
    QTRY_VERIFY_WITH_TIMEOUT(!pane->members()->isBusy(), 10000);
    QVERIFY(!QTest::qWaitFor([this] { return m_server->requestCount() > 0; }, 10 * ui::BillingTab::SettleMs));
    QVERIFY(!pane->billing()->loader()->isBusy());

    showBillingTab(*pane);
    // Busy at once: the database side is on its way, then Stripe.
    QVERIFY(pane->billing()->loader()->isBusy());
    QVERIFY(pane->billing()->findChild<QWidget *>(QStringLiteral("billingBusy"))->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(m_server->requestCount() > 0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!pane->billing()->loader()->isBusy(), 10000);
    QVERIFY(!pane->billing()->findChild<QWidget *>(QStringLiteral("billingBusy"))->isVisible());
    // Showing it again with the same workspace asks nothing more.
    const int asked = m_server->requestCount();
    pane->setCurrentIndex(0);
    pane->showWorkspace(qint64(PastDue));
    showBillingTab(*pane);
    QVERIFY(!QTest::qWaitFor([this, asked] { return m_server->requestCount() > asked; },
                             10 * ui::BillingTab::SettleMs));
}

void TestBillingTab::finance_showTab_customerSubscriptionInvoicesAndDisagreementMarked()
{
    auto pane = makePane(m_database->connections());
    pane->showWorkspace(qint64(PastDue));
    showBillingTab(*pane);
    QTRY_VERIFY_WITH_TIMEOUT(field(*pane, "billingSubscriptionStatus")->isVisible(), 10000);
    const billing::WorkspaceBillingReport &report = pane->billing()->loader()->report();
    QVERIFY2(!report.error, qPrintable(report.error.fullText()));
    QVERIFY(!report.restricted);

    QCOMPARE(field(*pane, "billingCustomerEmail")->text(), QStringLiteral("billing@two.test"));
    QCOMPARE(field(*pane, "billingCustomerCard")->text(), QStringLiteral("mastercard ending in 4444"));
    QCOMPARE(field(*pane, "billingSubscriptionStatus")->text(), QStringLiteral("past_due"));
    QCOMPARE(field(*pane, "billingSubscriptionPlan")->text(), QStringLiteral("team"));
    QCOMPARE(field(*pane, "billingSubscriptionQuantity")->text(), QStringLiteral("3"));
    QCOMPARE(
        field(*pane, "billingSubscriptionPeriodEnd")->text(),
        QLocale().toString(QDateTime::fromSecsSinceEpoch(periodEnd).toLocalTime(), QLocale::ShortFormat));
    QVERIFY(field(*pane, "billingUpcomingAmount")->isVisible());
    QVERIFY2(field(*pane, "billingUpcomingAmount")->text().endsWith(QLatin1String(" USD")),
             qPrintable(field(*pane, "billingUpcomingAmount")->text()));

    // The invoices newest first, amounts in their currency, dates in local time.
    auto *invoices = pane->billing()->findChild<QTableWidget *>(QStringLiteral("billingInvoices"));
    QVERIFY(invoices->isVisible());
    QCOMPARE(invoices->rowCount(), 2);
    QCOMPARE(invoices->item(0, 1)->text(), QStringLiteral("open"));
    QCOMPARE(invoices->item(0, 2)->text(),
             billing::formatStripeAmount(8700, QStringLiteral("usd"), QLocale()));
    QCOMPARE(invoices->item(0, 3)->text(), billing::formatStripeAmount(0, QStringLiteral("usd"), QLocale()));
    QCOMPARE(invoices->item(1, 2)->text(),
             billing::formatStripeAmount(2900, QStringLiteral("usd"), QLocale()));
    QCOMPARE(
        invoices->item(0, 4)->text(),
        QLocale().toString(QDateTime::fromSecsSinceEpoch(periodStart).toLocalTime(), QLocale::ShortFormat));
    QCOMPARE(invoices->item(1, 0)->text(),
             m_server->store().object(m_invoices.first()).value(QStringLiteral("number")).toString());

    // Stripe says past due, the row says active: side by side, marked in words and for a screen reader.
    QCOMPARE(
        comparison(*pane, QStringLiteral("Status")),
        (QStringList{QStringLiteral("active"), QStringLiteral("past_due"), QStringLiteral("Disagrees")}));
    auto *table = pane->billing()->findChild<QTableWidget *>(QStringLiteral("billingComparison"));
    const auto statusRow = table->findItems(QStringLiteral("Status"), Qt::MatchExactly).first()->row();
    QVERIFY(!table->item(statusRow, 3)->icon().isNull());
    QCOMPARE(table->item(statusRow, 2)->data(Qt::AccessibleTextRole).toString(),
             QStringLiteral("Status disagrees: the database has active, Stripe has past_due."));
    QCOMPARE(pane->billing()
                 ->findChild<QTableWidget *>(QStringLiteral("billingComparison"))
                 ->parentWidget()
                 ->property("title")
                 .toString(),
             QStringLiteral("Database and Stripe: 1 disagreement"));
    QCOMPARE(comparison(*pane, QStringLiteral("Plan")),
             (QStringList{QStringLiteral("team"), QStringLiteral("team"), QStringLiteral("Agrees")}));
    QCOMPARE(comparison(*pane, QStringLiteral("Subscription id")).value(2), QStringLiteral("Agrees"));
    QCOMPARE(comparison(*pane, QStringLiteral("Current period ends")).value(2), QStringLiteral("Agrees"));
}

void TestBillingTab::visibleTab_otherWorkspace_reloadedForIt()
{
    auto pane = makePane(m_database->connections());
    pane->showWorkspace(qint64(PastDue));
    showBillingTab(*pane);
    QTRY_COMPARE_WITH_TIMEOUT(field(*pane, "billingSubscriptionStatus")->text(), QStringLiteral("past_due"),
                              10000);
    pane->showWorkspace(qint64(Agreeing));
    // The other workspace's billing is taken off at once, not left as if it were this one's.
    QVERIFY(!field(*pane, "billingSubscriptionStatus")->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(field(*pane, "billingSubscriptionStatus")->isVisible(), 10000);
    QCOMPARE(field(*pane, "billingSubscriptionStatus")->text(), QStringLiteral("active"));
    QCOMPARE(field(*pane, "billingCustomerEmail")->text(), QStringLiteral("one@example.test"));
    QCOMPARE(comparison(*pane, QStringLiteral("Status")).value(2), QStringLiteral("Agrees"));
    QCOMPARE(pane->billing()->findChild<QTableWidget *>(QStringLiteral("billingInvoices"))->rowCount(), 0);
}

// After an action changed the workspace's billing (ActionMenus calls refresh()), the tab on screen reads it
// again rather than keep the old state.
void TestBillingTab::refresh_afterStripeChanged_showsItsNewState()
{
    auto pane = makePane(m_database->connections());
    pane->showWorkspace(qint64(Agreeing));
    showBillingTab(*pane);
    QTRY_COMPARE_WITH_TIMEOUT(field(*pane, "billingSubscriptionStatus")->text(), QStringLiteral("active"),
                              10000);
    const int asked = m_server->requestCount();
    QVERIFY(m_server->store().setSubscriptionStatus(m_agreeingSubscription, QStringLiteral("past_due")));
    pane->billing()->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(m_server->requestCount() > asked, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(field(*pane, "billingSubscriptionStatus")->text(), QStringLiteral("past_due"),
                              10000);
}

void TestBillingTab::supportLogin_showTab_statusAndPlanOnlyAndOnlyTheSubscriptionAsked()
{
    const QString support = m_database->createLogin(QStringLiteral("beacon_support"));
    QVERIFY(!support.isEmpty());
    ConnectionBudget budget(m_database->spec(support));
    auto pane = makePane(&budget);
    pane->showWorkspace(qint64(PastDue));
    showBillingTab(*pane);
    QTRY_VERIFY_WITH_TIMEOUT(field(*pane, "billingSubscriptionStatus")->isVisible(), 10000);
    QVERIFY(pane->billing()->loader()->report().restricted);
    QCOMPARE(field(*pane, "billingSubscriptionStatus")->text(), QStringLiteral("past_due"));
    QCOMPARE(field(*pane, "billingSubscriptionPlan")->text(), QStringLiteral("team"));
    QVERIFY(field(*pane, "billingNotice")->text().contains(QLatin1String("status and plan only")));
    // No amounts and no payment details on screen.
    for (const char *hidden :
         {"billingSubscriptionPrice", "billingSubscriptionQuantity", "billingCustomerEmail",
          "billingCustomerBalance", "billingCustomerCard", "billingUpcomingAmount"})
        QVERIFY2(!field(*pane, hidden)->isVisible(), hidden);
    QVERIFY(!pane->billing()->findChild<QTableWidget *>(QStringLiteral("billingInvoices"))->isVisible());
    for (const QLabel *label : pane->billing()->findChildren<QLabel *>()) {
        if (label->isVisible())
            QVERIFY2(!label->text().contains(QLatin1String("USD")) &&
                         !label->text().contains(QLatin1String("4444")),
                     qPrintable(label->text()));
    }
    QCOMPARE(comparison(*pane, QStringLiteral("Status")).value(2), QStringLiteral("Disagrees"));
    QVERIFY(comparison(*pane, QStringLiteral("Customer id")).isEmpty());
    // Stripe was asked for the subscription and nothing else.
    QCOMPARE(m_server->requestCount(), 1);
    QCOMPARE(m_server->requests().first().path, QStringLiteral("/v1/subscriptions/") + m_pastDueSubscription);
    pane.reset();
    budget.shutDown(DbWorker::Shutdown::Wait);
}

void TestBillingTab::stripeFails_inlineErrorWithRequestId_retrySucceeds()
{
    StripeFault fault;
    fault.kind = StripeFault::Kind::ServerError;
    fault.method = QStringLiteral("GET");
    fault.path = QStringLiteral("/v1/subscriptions/") + m_pastDueSubscription;
    fault.shouldRetry = false; // Stripe says a retry will not help: the client gives up at once
    m_server->addFault(fault);
    auto pane = makePane(m_database->connections());
    pane->showWorkspace(qint64(PastDue));
    showBillingTab(*pane);
    auto *problem = field(*pane, "billingProblem");
    QTRY_VERIFY_WITH_TIMEOUT(problem->isVisible(), 10000);
    QVERIFY2(problem->text().contains(QLatin1String("Retry")), qPrintable(problem->text()));
    // A read changed nothing, and says so rather than pointing at an action id.
    QVERIFY2(!problem->text().contains(QLatin1String("action id")), qPrintable(problem->text()));
    QVERIFY2(field(*pane, "billingProblemDetails")->text().contains(QLatin1String("req_")),
             qPrintable(field(*pane, "billingProblemDetails")->text()));
    QVERIFY(!field(*pane, "billingSubscriptionStatus")->isVisible());
    QVERIFY(!problem->text().contains(m_server->apiKey()));

    auto *retry = pane->billing()->findChild<QPushButton *>(QStringLiteral("billingRetry"));
    QVERIFY(retry->isVisible());
    QTest::mouseClick(retry, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(field(*pane, "billingSubscriptionStatus")->isVisible(), 10000);
    QCOMPARE(field(*pane, "billingSubscriptionStatus")->text(), QStringLiteral("past_due"));
    QVERIFY(!problem->isVisible());
}

void TestBillingTab::cancel_slowStripe_stopsAndSaysSo()
{
    StripeFault slow;
    slow.kind = StripeFault::Kind::Slow;
    slow.method = QStringLiteral("GET");
    slow.path = QStringLiteral("/v1/subscriptions/") + m_pastDueSubscription;
    slow.delayMs = 5000;
    m_server->addFault(slow);
    auto pane = makePane(m_database->connections());
    pane->showWorkspace(qint64(PastDue));
    showBillingTab(*pane);
    QTRY_VERIFY_WITH_TIMEOUT(m_server->requestCount() >= 2, 10000); // the customer and the slow subscription
    auto *cancel = pane->billing()->findChild<QPushButton *>(QStringLiteral("billingCancel"));
    QVERIFY(cancel->isVisible());
    QTest::mouseClick(cancel, Qt::LeftButton);
    QVERIFY(!pane->billing()->loader()->isBusy());
    QVERIFY(!cancel->isVisible());
    QVERIFY(field(*pane, "billingProblem")->text().contains(QLatin1String("Retry")));
    // The invoices are never asked for: the load stopped with the slow answer outstanding.
    QVERIFY(!QTest::qWaitFor(
        [this] {
            return std::any_of(
                m_server->requests().begin(), m_server->requests().end(),
                [](const RecordedRequest &r) { return r.path.startsWith(QLatin1String("/v1/invoices")); });
        },
        1000));
}

void TestBillingTab::openInvoice_selectedRow_opensItsHostedPage()
{
    auto pane = makePane(m_database->connections());
    QList<QUrl> opened;
    pane->billing()->setUrlOpener([&opened](const QUrl &url) {
        opened.append(url);
        return true;
    });
    pane->showWorkspace(qint64(PastDue));
    showBillingTab(*pane);
    auto *invoices = pane->billing()->findChild<QTableWidget *>(QStringLiteral("billingInvoices"));
    QTRY_COMPARE_WITH_TIMEOUT(invoices->rowCount(), 2, 10000);
    invoices->setCurrentCell(1, 0); // the older, paid invoice
    auto *open = pane->billing()->findChild<QPushButton *>(QStringLiteral("billingOpenInvoice"));
    QVERIFY(open->isEnabled());
    QTest::mouseClick(open, Qt::LeftButton);
    const QUrl expected(
        m_server->store().object(m_invoices.first()).value(QStringLiteral("hosted_invoice_url")).toString());
    QVERIFY(expected.isValid() && expected.host() == QLatin1String("127.0.0.1"));
    QCOMPARE(opened, QList<QUrl>{expected});
    // Enter on a row opens it too.
    invoices->setFocus();
    invoices->setCurrentCell(0, 0);
    QTest::keyClick(invoices, Qt::Key_Return);
    QCOMPARE(opened.size(), 2);
    QCOMPARE(opened.last(), QUrl(m_server->store()
                                     .object(m_invoices.last())
                                     .value(QStringLiteral("hosted_invoice_url"))
                                     .toString()));
}

void TestBillingTab::noStripe_showTab_saysNotSetUpAndAsksNothing()
{
    auto pane = makePane(m_database->connections(), false);
    pane->showWorkspace(qint64(PastDue));
    showBillingTab(*pane);
    auto *notice = field(*pane, "billingNotice");
    QTRY_VERIFY_WITH_TIMEOUT(notice->isVisible(), 10000);
    QVERIFY2(notice->text().startsWith(QLatin1String("Stripe is not set up for this connection: ")),
             qPrintable(notice->text()));
    QVERIFY(!field(*pane, "billingProblem")->isVisible());
    QCOMPARE(m_server->requestCount(), 0);
}

void TestBillingTab::endingSubscription_noUpcomingInvoice_restShown()
{
    // Stripe has no upcoming invoice for a subscription that ends with its period (it answers 404); the
    // rest of the billing is still shown.
    SubscriptionSeed ending;
    ending.customerId = m_agreeingCustomer;
    ending.priceId = m_price;
    ending.currentPeriodStart = periodStart;
    ending.currentPeriodEnd = periodEnd;
    ending.cancelAtPeriodEnd = true;
    ending.metadata.insert(QStringLiteral("workspace_id"), QStringLiteral("1"));
    const QString subscription = m_server->store().addSubscription(ending);
    QSqlQuery query(m_database->db());
    query.prepare(QStringLiteral("UPDATE public.workspaces SET stripe_subscription_id = :s WHERE id = 1"));
    query.bindValue(QStringLiteral(":s"), subscription);
    QVERIFY_SQL(query, exec());

    auto pane = makePane(m_database->connections());
    pane->showWorkspace(qint64(Agreeing));
    showBillingTab(*pane);
    QTRY_VERIFY_WITH_TIMEOUT(field(*pane, "billingSubscriptionCancels")->isVisible(), 10000);
    QCOMPARE(field(*pane, "billingSubscriptionCancels")->text(), QStringLiteral("Yes"));
    QVERIFY(!field(*pane, "billingUpcomingAmount")->isVisible());
    QVERIFY(!field(*pane, "billingProblem")->isVisible());
    QVERIFY(
        std::any_of(m_server->requests().begin(), m_server->requests().end(), [](const RecordedRequest &r) {
            return r.path == QLatin1String("/v1/invoices/upcoming") && r.status == 404;
        }));
}

QTEST_MAIN(TestBillingTab)
#include "tst_billingtab.moc"
