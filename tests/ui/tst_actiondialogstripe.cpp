// The plan-change dialog on a workspace billed through Stripe, offscreen against a real server and the local
// Stripe server: the preview says what the customer will be charged, the proration choice is in the dialog
// and changes the preview, and Apply charges what the preview showed, with one audit row. The Stripe calls
// run on the Actions lane's worker while this thread's event loop keeps serving the local server.
#include "testdatabase.h"

#include "actiondialog.h"
#include "stripeapicheck.h"
#include "stripelocal/localstripeserver.h"

#include <QComboBox>
#include <QDateTime>
#include <QJsonDocument>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSqlQuery>
#include <QtTest>

using namespace beacon;
using actions::ActionKind;

namespace {

// The dialog prorates from the moment of its preview, on this machine's clock: the period is around it.
const qint64 PeriodStart = QDateTime::currentSecsSinceEpoch() - 10 * 86400;
const qint64 PeriodEnd = PeriodStart + 30 * 86400;

} // namespace

class TestActionDialogStripe : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void planChange_previewShowsTheCharge_applyChargesItOnce();
    void planChange_prorationNone_previewChargesNothing();
    void planChange_noStripe_refusedInWords();

private:
    ui::ActionDialog *openDialog(bool withStripe = true);
    static bool waitForPreview(ui::ActionDialog *dialog);
    QString previewText(ui::ActionDialog *dialog) const;
    QVariant value(const QString &sql);

    test::StripeApiCheck m_check;
    std::unique_ptr<test::TestDatabase> m_database;
    std::unique_ptr<stripelocal::LocalStripeServer> m_server;
    std::unique_ptr<ConnectionBudget> m_budget;
    std::unique_ptr<ui::ActionDialog> m_dialog;
};

void TestActionDialogStripe::initTestCase()
{
    QVERIFY2(m_check.load(), qPrintable(m_check.errorText()));
}

void TestActionDialogStripe::init()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("ui_actions_stripe"));
    QVERIFY_TESTDB(*m_database);
    m_server = std::make_unique<stripelocal::LocalStripeServer>();
    QVERIFY(m_server->listen());
    stripelocal::StripeStore &store = m_server->store();
    store.addPrice({QStringLiteral("Team"),
                    2900,
                    QStringLiteral("usd"),
                    QStringLiteral("month"),
                    {},
                    {},
                    QStringLiteral("price_beacon_team_monthly")});
    store.addPrice({QStringLiteral("Business"),
                    9900,
                    QStringLiteral("usd"),
                    QStringLiteral("month"),
                    {},
                    {},
                    QStringLiteral("price_beacon_business_monthly")});
    stripelocal::CustomerSeed customer;
    customer.email = QStringLiteral("billing@example.test");
    stripelocal::SubscriptionSeed subscription;
    subscription.customerId = store.addCustomer(customer);
    subscription.priceId = QStringLiteral("price_beacon_team_monthly");
    subscription.currentPeriodStart = PeriodStart;
    subscription.currentPeriodEnd = PeriodEnd;
    const QString id = store.addSubscription(subscription);
    QSqlQuery query(m_database->db());
    query.prepare(QStringLiteral(
        "INSERT INTO public.workspaces (id, name, slug, plan, stripe_customer_id, stripe_subscription_id, "
        "subscription_status, current_period_end) VALUES (1, 'One', 'one', 'team', :customer, :subscription, "
        "'active', to_timestamp(CAST(:end AS bigint)))"));
    query.bindValue(QStringLiteral(":customer"), subscription.customerId);
    query.bindValue(QStringLiteral(":subscription"), id);
    query.bindValue(QStringLiteral(":end"), PeriodEnd);
    QVERIFY_SQL(query, exec());
    m_budget = std::make_unique<ConnectionBudget>(m_database->spec());
}

void TestActionDialogStripe::cleanup()
{
    m_dialog.reset();
    if (m_budget)
        m_budget->shutDown(DbWorker::Shutdown::Wait);
    m_budget.reset();
    // What the worker sent is what an independent Stripe-compatible server would accept.
    if (m_server) {
        for (const stripelocal::RecordedRequest &request : m_server->requests()) {
            const QStringList problems =
                m_check.violations(request.method, request.path, request.query, request.form);
            QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        }
    }
    m_server.reset();
    m_database.reset();
}

ui::ActionDialog *TestActionDialogStripe::openDialog(bool withStripe)
{
    actions::ActionRequest prefill;
    prefill.workspaceId = 1;
    prefill.plan = QStringLiteral("team"); // the current plan: the dialog offers the next one up
    prefill.actor = QStringLiteral("tester");
    std::optional<billing::StripeAccess> stripe;
    if (withStripe) {
        billing::StripeAccess access;
        access.key = billing::StripeKey::parse(m_server->apiKey());
        access.endpoint = billing::StripeEndpoint::parse(m_server->baseUrl().toString());
        stripe = access;
    }
    m_dialog =
        std::make_unique<ui::ActionDialog>(ActionKind::PlanChange, prefill, m_budget.get(), nullptr, stripe);
    m_dialog->show();
    return m_dialog.get();
}

bool TestActionDialogStripe::waitForPreview(ui::ActionDialog *dialog)
{
    return QTest::qWaitFor([dialog] { return dialog->hasCurrentPreview() && !dialog->isPreviewing(); },
                           20000);
}

QString TestActionDialogStripe::previewText(ui::ActionDialog *dialog) const
{
    return dialog->findChild<QPlainTextEdit *>(QStringLiteral("previewText"))->toPlainText();
}

QVariant TestActionDialogStripe::value(const QString &sql)
{
    QSqlQuery query(m_database->db());
    if (!query.exec(sql) || !query.next())
        return {};
    return query.value(0);
}

void TestActionDialogStripe::planChange_previewShowsTheCharge_applyChargesItOnce()
{
    ui::ActionDialog *dialog = openDialog();
    auto *plan = dialog->findChild<QComboBox *>(QStringLiteral("planCombo"));
    QCOMPARE(plan->currentText(), QStringLiteral("business"));
    auto *proration = dialog->findChild<QComboBox *>(QStringLiteral("prorationCombo"));
    QVERIFY(proration);
    QCOMPARE(proration->currentData().toString(), QStringLiteral("create"));
    QVERIFY(waitForPreview(dialog));
    const QJsonObject shown = dialog->lastPreview()->result.preview;
    QCOMPARE(shown.value(QStringLiteral("billing")).toString(), QStringLiteral("stripe"));
    const qint64 amount = qint64(shown.value(QStringLiteral("proration_amount")).toDouble());
    QVERIFY2(amount > 0, qPrintable(QJsonDocument(shown).toJson()));
    QVERIFY2(previewText(dialog).contains(QStringLiteral("Stripe will charge the customer")),
             qPrintable(previewText(dialog)));
    QCOMPARE(m_server->store().mutationCount(), 0);

    dialog->findChild<QLineEdit *>(QStringLiteral("reasonEdit"))->setText(QStringLiteral("T-7 upgrade"));
    QTRY_VERIFY(dialog->findChild<QPushButton *>(QStringLiteral("applyButton"))->isEnabled());
    dialog->apply();
    QVERIFY(QTest::qWaitFor([dialog] { return dialog->lastOutcome().has_value(); }, 30000));
    QVERIFY2(dialog->lastOutcome()->ok(), qPrintable(dialog->lastOutcome()->error.message));
    QCOMPARE(value(QStringLiteral("SELECT plan FROM workspaces WHERE id = 1")).toString(),
             QStringLiteral("business"));
    QCOMPARE(value(QStringLiteral("SELECT count(*) FROM audit_log")).toInt(), 1);
    const QJsonObject after =
        QJsonDocument::fromJson(
            value(QStringLiteral("SELECT after::text FROM audit_log")).toString().toUtf8())
            .object();
    // What the preview showed is what was charged: the same moment, the same amount.
    QCOMPARE(qint64(after.value(QStringLiteral("proration_amount")).toDouble()), amount);
    QCOMPARE(after.value(QStringLiteral("proration_date")), shown.value(QStringLiteral("proration_date")));
    QVERIFY(after.value(QStringLiteral("stripe_request_id")).toString().startsWith(QLatin1String("req_")));
}

void TestActionDialogStripe::planChange_prorationNone_previewChargesNothing()
{
    ui::ActionDialog *dialog = openDialog();
    QVERIFY(waitForPreview(dialog));
    auto *proration = dialog->findChild<QComboBox *>(QStringLiteral("prorationCombo"));
    proration->setCurrentIndex(proration->findData(QStringLiteral("none")));
    QVERIFY(QTest::qWaitFor(
        [dialog] {
            return dialog->hasCurrentPreview() && !dialog->isPreviewing() &&
                   dialog->lastPreview()
                           ->result.preview.value(QStringLiteral("proration_behavior"))
                           .toString() == QLatin1String("none");
        },
        20000));
    QCOMPARE(
        qint64(dialog->lastPreview()->result.preview.value(QStringLiteral("proration_amount")).toDouble()),
        0);
    QVERIFY2(previewText(dialog).contains(QStringLiteral("charges nothing extra")),
             qPrintable(previewText(dialog)));
}

void TestActionDialogStripe::planChange_noStripe_refusedInWords()
{
    ui::ActionDialog *dialog = openDialog(false);
    QVERIFY(QTest::qWaitFor([dialog] { return dialog->lastPreview().has_value() && !dialog->isPreviewing(); },
                            20000));
    const actions::ActionResult &result = dialog->lastPreview()->result;
    QCOMPARE(result.error.kind, ErrorKind::Refused);
    QVERIFY2(result.error.message.contains(QStringLiteral("Stripe key")), qPrintable(result.error.message));
    QCOMPARE(m_server->requestCount(), 0);
}

QTEST_MAIN(TestActionDialogStripe)
#include "tst_actiondialogstripe.moc"
