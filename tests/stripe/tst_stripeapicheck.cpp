#include "stripeapicheck.h"

#include <QTest>

using beacon::test::StripeApiCheck;
using beacon::test::StripeParams;

class TestStripeApiCheck : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void load_committedSubset_hasEveryOperationTheConsoleUses();
    void load_missingFile_failsWithThePath();
    void validRequest_noViolations_data();
    void validRequest_noViolations();
    void invalidRequest_namedViolation_data();
    void invalidRequest_namedViolation();
    void severalBadNames_eachReported();

private:
    StripeApiCheck m_check;
};

void TestStripeApiCheck::initTestCase()
{
    QVERIFY2(m_check.load(), qPrintable(m_check.errorText()));
}

void TestStripeApiCheck::load_committedSubset_hasEveryOperationTheConsoleUses()
{
    QCOMPARE(m_check.apiVersion(), QStringLiteral("2023-08-16"));
    QStringList operations = m_check.operations();
    operations.sort();
    const QStringList expected = {
        QStringLiteral("GET /v1/customers"),
        QStringLiteral("GET /v1/customers/{customer}"),
        QStringLiteral("GET /v1/invoices"),
        QStringLiteral("GET /v1/invoices/upcoming"),
        QStringLiteral("GET /v1/payment_methods/{payment_method}"),
        QStringLiteral("GET /v1/prices/{price}"),
        QStringLiteral("GET /v1/subscriptions"),
        QStringLiteral("GET /v1/subscriptions/{subscription_exposed_id}"),
        QStringLiteral("POST /v1/subscriptions/{subscription_exposed_id}"),
    };
    QCOMPARE(operations, expected);
}

void TestStripeApiCheck::load_missingFile_failsWithThePath()
{
    StripeApiCheck check;
    QVERIFY(!check.load(QStringLiteral("/nonexistent/stripe-api-subset.json")));
    QVERIFY(check.errorText().contains(QStringLiteral("/nonexistent/stripe-api-subset.json")));
    QVERIFY(!check.violations(QStringLiteral("GET"), QStringLiteral("/v1/customers"), {}).isEmpty());
}

void TestStripeApiCheck::validRequest_noViolations_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<StripeParams>("query");
    QTest::addColumn<StripeParams>("form");
    const auto p = [](const char *name, const char *value) {
        return QPair<QString, QString>(QString::fromLatin1(name), QString::fromLatin1(value));
    };
    QTest::newRow("customers list paged")
        << QStringLiteral("GET") << QStringLiteral("/v1/customers")
        << StripeParams{p("limit", "100"), p("starting_after", "cus_1")} << StripeParams{};
    QTest::newRow("customer expanded")
        << QStringLiteral("GET") << QStringLiteral("/v1/customers/cus_123")
        << StripeParams{p("expand[]", "invoice_settings.default_payment_method"), p("expand[0]", "x")}
        << StripeParams{};
    QTest::newRow("created range") << QStringLiteral("GET") << QStringLiteral("/v1/customers")
                                   << StripeParams{p("created[gte]", "1"), p("created", "5")}
                                   << StripeParams{};
    QTest::newRow("subscriptions of a customer")
        << QStringLiteral("GET") << QStringLiteral("/v1/subscriptions")
        << StripeParams{p("customer", "cus_1"), p("status", "all"), p("limit", "1")} << StripeParams{};
    QTest::newRow("upcoming with new item")
        << QStringLiteral("GET") << QStringLiteral("/v1/invoices/upcoming")
        << StripeParams{p("subscription", "sub_1"), p("subscription_items[0][id]", "si_1"),
                        p("subscription_items[0][price]", "price_2"),
                        p("subscription_proration_date", "1700000000"),
                        p("subscription_proration_behavior", "create_prorations")}
        << StripeParams{};
    QTest::newRow("subscription update")
        << QStringLiteral("POST") << QStringLiteral("/v1/subscriptions/sub_1") << StripeParams{}
        << StripeParams{p("items[0][id]", "si_1"),
                        p("items[0][price]", "price_2"),
                        p("proration_behavior", "create_prorations"),
                        p("proration_date", "1700000000"),
                        p("metadata[workspace_id]", "42"),
                        p("items[0][metadata][k]", "v"),
                        p("expand[]", "customer")};
    QTest::newRow("metadata key of digits")
        << QStringLiteral("POST") << QStringLiteral("/v1/subscriptions/sub_1") << StripeParams{}
        << StripeParams{p("metadata[0]", "zero")};
    QTest::newRow("metadata unset with empty value")
        << QStringLiteral("POST") << QStringLiteral("/v1/subscriptions/sub_1") << StripeParams{}
        << StripeParams{p("metadata", "")};
    QTest::newRow("price") << QStringLiteral("GET") << QStringLiteral("/v1/prices/price_1") << StripeParams{}
                           << StripeParams{};
    QTest::newRow("payment method lowercase method")
        << QStringLiteral("get") << QStringLiteral("/v1/payment_methods/pm_1") << StripeParams{}
        << StripeParams{};
}

void TestStripeApiCheck::validRequest_noViolations()
{
    QFETCH(QString, method);
    QFETCH(QString, path);
    QFETCH(StripeParams, query);
    QFETCH(StripeParams, form);
    const QStringList problems = m_check.violations(method, path, query, form);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

void TestStripeApiCheck::invalidRequest_namedViolation_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<StripeParams>("query");
    QTest::addColumn<StripeParams>("form");
    QTest::addColumn<QString>("expectedWords");
    const auto p = [](const char *name, const char *value) {
        return QPair<QString, QString>(QString::fromLatin1(name), QString::fromLatin1(value));
    };
    QTest::newRow("unknown path") << QStringLiteral("GET") << QStringLiteral("/v1/customer") << StripeParams{}
                                  << StripeParams{} << QStringLiteral("unknown path /v1/customer");
    QTest::newRow("path one level too deep")
        << QStringLiteral("GET") << QStringLiteral("/v1/customers/cus_1/extra") << StripeParams{}
        << StripeParams{} << QStringLiteral("unknown path");
    QTest::newRow("empty path parameter")
        << QStringLiteral("GET") << QStringLiteral("/v1/prices/") << StripeParams{} << StripeParams{}
        << QStringLiteral("unknown path");
    QTest::newRow("method Stripe has not")
        << QStringLiteral("PUT") << QStringLiteral("/v1/customers") << StripeParams{} << StripeParams{}
        << QStringLiteral("method PUT not allowed on /v1/customers");
    QTest::newRow("method outside the subset")
        << QStringLiteral("DELETE") << QStringLiteral("/v1/subscriptions/sub_1") << StripeParams{}
        << StripeParams{} << QStringLiteral("not in the subset the console uses");
    QTest::newRow("unknown query name")
        << QStringLiteral("GET") << QStringLiteral("/v1/customers") << StripeParams{p("page_size", "10")}
        << StripeParams{} << QStringLiteral("unknown query parameter \"page_size\"");
    QTest::newRow("form name in the query of a GET")
        << QStringLiteral("GET") << QStringLiteral("/v1/subscriptions/sub_1")
        << StripeParams{p("proration_behavior", "none")} << StripeParams{} << QStringLiteral("unknown query");
    QTest::newRow("expand[] in the query of a POST")
        << QStringLiteral("POST") << QStringLiteral("/v1/subscriptions/sub_1")
        << StripeParams{p("expand[]", "x")} << StripeParams{}
        << QStringLiteral("unknown query parameter \"expand[]\"");
    QTest::newRow("misspelt nested name")
        << QStringLiteral("POST") << QStringLiteral("/v1/subscriptions/sub_1") << StripeParams{}
        << StripeParams{p("items[0][prize]", "price_2")} << QStringLiteral("has no field \"prize\"");
    QTest::newRow("nested name under a scalar")
        << QStringLiteral("POST") << QStringLiteral("/v1/subscriptions/sub_1") << StripeParams{}
        << StripeParams{p("proration_behavior[x]", "none")} << QStringLiteral("has no field \"x\"");
    QTest::newRow("index on an object")
        << QStringLiteral("POST") << QStringLiteral("/v1/subscriptions/sub_1") << StripeParams{}
        << StripeParams{p("metadata[0][a]", "b")} << QStringLiteral("unknown form parameter");
    QTest::newRow("list without index")
        << QStringLiteral("POST") << QStringLiteral("/v1/subscriptions/sub_1") << StripeParams{}
        << StripeParams{p("items[price]", "price_2")} << QStringLiteral("has no field \"price\"");
    QTest::newRow("object given a value")
        << QStringLiteral("POST") << QStringLiteral("/v1/subscriptions/sub_1") << StripeParams{}
        << StripeParams{p("items[0]", "price_2")} << QStringLiteral("takes no value of its own");
    QTest::newRow("upcoming item misspelt")
        << QStringLiteral("GET") << QStringLiteral("/v1/invoices/upcoming")
        << StripeParams{p("subscription_items[0][prices]", "price_2")} << StripeParams{}
        << QStringLiteral("has no field \"prices\"");
    QTest::newRow("malformed brackets")
        << QStringLiteral("GET") << QStringLiteral("/v1/customers") << StripeParams{p("created[gte", "1")}
        << StripeParams{} << QStringLiteral("not a well-formed");
}

void TestStripeApiCheck::invalidRequest_namedViolation()
{
    QFETCH(QString, method);
    QFETCH(QString, path);
    QFETCH(StripeParams, query);
    QFETCH(StripeParams, form);
    QFETCH(QString, expectedWords);
    const QStringList problems = m_check.violations(method, path, query, form);
    QCOMPARE(problems.size(), 1);
    QVERIFY2(problems.first().contains(expectedWords), qPrintable(problems.first()));
}

void TestStripeApiCheck::severalBadNames_eachReported()
{
    const StripeParams form = {{QStringLiteral("items[0][price]"), QStringLiteral("price_2")},
                               {QStringLiteral("items[0][prize]"), QStringLiteral("price_2")},
                               {QStringLiteral("prorate"), QStringLiteral("true")}};
    const QStringList problems =
        m_check.violations(QStringLiteral("POST"), QStringLiteral("/v1/subscriptions/sub_1"), {}, form);
    QCOMPARE(problems.size(), 2);
    QVERIFY(problems.at(0).contains(QStringLiteral("prize")));
    QVERIFY(problems.at(1).contains(QStringLiteral("prorate")));
}

QTEST_GUILESS_MAIN(TestStripeApiCheck)
#include "tst_stripeapicheck.moc"
