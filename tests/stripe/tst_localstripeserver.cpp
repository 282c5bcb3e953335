// The local Stripe server as a protocol: authentication, paging, idempotency, scripted faults, HTTP/1.1, and
// the request record. tst_localstripebilling covers what it answers.
#include "localstripetest.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSet>
#include <QTcpSocket>
#include <QTest>

using namespace beacon::stripelocal;
using beacon::test::LocalStripeTest;
using beacon::test::StripeAnswer;

using beacon::test::customerWithEmail;

class TestLocalStripeServer : public LocalStripeTest {
    Q_OBJECT

private slots:
    void initTestCase();
    void init() { startServer(); }
    void cleanup() { checkRecordedRequestsAndStop(); }

    void request_withoutOrWithWrongKey_refused401WithStripeError();
    void customers_250ByLimit100_threePagesNoDuplicatesNewestFirst();
    void list_limitOutOfRange_refused400_data();
    void list_limitOutOfRange_refused400();
    void get_unknownId_404ResourceMissing();
    void idempotency_sameKeySameParams_replaysWithoutApplying();
    void idempotency_sameKeyOtherParams_idempotencyErrorNothingApplied();
    void fault_statusAnswers_thenNormalAgain_data();
    void fault_statusAnswers_thenNormalAgain();
    void fault_prefixAndMethod_matchOnlyThose();
    void fault_slow_answersAfterTheDelay();
    void fault_drop_noAnswerNothingApplied();
    void fault_applyThenDrop_appliedOnceAndReplayedOnRetry();
    void http_pipelinedSplitAndClosingRequests_answeredInOrder();
    void requests_recordedWithDecodedNamesAndHeaders();
    void http_chunkedBody_refused400AndClosed();
};

void TestLocalStripeServer::initTestCase()
{
    loadApiSubset();
}

void TestLocalStripeServer::request_withoutOrWithWrongKey_refused401WithStripeError()
{
    const StripeAnswer none =
        send(QStringLiteral("GET"), QStringLiteral("/v1/customers"), {}, {}, {}, QString());
    QCOMPARE(none.status, 401);
    QCOMPARE(none.body[QStringLiteral("error")][QStringLiteral("type")].toString(),
             QStringLiteral("invalid_request_error"));
    QVERIFY(none.body[QStringLiteral("error")][QStringLiteral("message")].toString().contains(
        QStringLiteral("API key")));
    QVERIFY(none.headers.value("request-id").startsWith("req_"));

    const StripeAnswer wrong = send(QStringLiteral("GET"), QStringLiteral("/v1/customers"), {}, {}, {},
                                    QStringLiteral("sk_test_notTheServersKey"));
    QCOMPARE(wrong.status, 401);
    QVERIFY(!wrong.body.contains(QStringLiteral("data")));

    QVERIFY(m_server->apiKey().startsWith(QStringLiteral("sk_test_")));
    const StripeAnswer right = send(QStringLiteral("GET"), QStringLiteral("/v1/customers"));
    QCOMPARE(right.status, 200);
    QCOMPARE(right.headers.value("content-type"), QByteArray("application/json"));
    QVERIFY(right.headers.value("request-id").startsWith("req_"));
    QVERIFY(right.headers.value("request-id") != none.headers.value("request-id"));
}

void TestLocalStripeServer::customers_250ByLimit100_threePagesNoDuplicatesNewestFirst()
{
    QSet<QString> seeded{m_customer};
    for (int i = 0; i < 249; ++i)
        seeded.insert(
            m_server->store().addCustomer(customerWithEmail(QStringLiteral("c%1@example.test").arg(i))));
    QCOMPARE(seeded.size(), 250);

    QSet<QString> seen;
    QList<int> pageSizes;
    QString after;
    bool hasMore = true;
    QString first;
    while (hasMore && pageSizes.size() < 10) {
        StripeParams query{{QStringLiteral("limit"), QStringLiteral("100")}};
        if (!after.isEmpty())
            query.append({QStringLiteral("starting_after"), after});
        const StripeAnswer page = send(QStringLiteral("GET"), QStringLiteral("/v1/customers"), query);
        QCOMPARE(page.status, 200);
        QCOMPARE(page.body[QStringLiteral("object")].toString(), QStringLiteral("list"));
        QCOMPARE(page.body[QStringLiteral("url")].toString(), QStringLiteral("/v1/customers"));
        const QJsonArray data = page.body[QStringLiteral("data")].toArray();
        pageSizes << int(data.size());
        for (const QJsonValue &customer : data) {
            const QString id = customer[QStringLiteral("id")].toString();
            QVERIFY2(!seen.contains(id), qPrintable(id));
            seen.insert(id);
            if (first.isEmpty())
                first = id;
        }
        hasMore = page.body[QStringLiteral("has_more")].toBool();
        after = data.last()[QStringLiteral("id")].toString();
    }
    QCOMPARE(pageSizes, (QList<int>{100, 100, 50}));
    QVERIFY(!hasMore);
    QCOMPARE(seen, seeded);
    QCOMPARE(after, m_customer); // the oldest comes last
    QVERIFY(first != m_customer);
    QCOMPARE(m_server->requestCount(), 3);
}

void TestLocalStripeServer::list_limitOutOfRange_refused400_data()
{
    QTest::addColumn<QString>("limit");
    QTest::newRow("zero") << QStringLiteral("0");
    QTest::newRow("101") << QStringLiteral("101");
    QTest::newRow("not a number") << QStringLiteral("ten");
}

void TestLocalStripeServer::list_limitOutOfRange_refused400()
{
    QFETCH(QString, limit);
    const StripeAnswer answer =
        send(QStringLiteral("GET"), QStringLiteral("/v1/invoices"), {{QStringLiteral("limit"), limit}});
    QCOMPARE(answer.status, 400);
    QCOMPARE(answer.body[QStringLiteral("error")][QStringLiteral("param")].toString(),
             QStringLiteral("limit"));
}

void TestLocalStripeServer::get_unknownId_404ResourceMissing()
{
    const StripeAnswer customer = send(QStringLiteral("GET"), QStringLiteral("/v1/customers/cus_missing"));
    QCOMPARE(customer.status, 404);
    QCOMPARE(customer.body[QStringLiteral("error")][QStringLiteral("code")].toString(),
             QStringLiteral("resource_missing"));
    QVERIFY(customer.body[QStringLiteral("error")][QStringLiteral("message")].toString().contains(
        QStringLiteral("cus_missing")));
    // A price id asked for as a customer is not that customer.
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/customers/") + m_basic).status, 404);
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/prices/") + m_basic).status, 200);
}

void TestLocalStripeServer::idempotency_sameKeySameParams_replaysWithoutApplying()
{
    const QString item = m_server->store().firstItemId(m_subscription);
    const StripeParams form{{QStringLiteral("items[0][id]"), item},
                            {QStringLiteral("items[0][price]"), m_pro},
                            {QStringLiteral("proration_behavior"), QStringLiteral("always_invoice")},
                            {QStringLiteral("proration_date"), QString::number(prorationDate)}};
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "action-1:stripe"}};
    const QString path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    const StripeAnswer first = send(QStringLiteral("POST"), path, {}, form, key);
    QCOMPARE(first.status, 200);
    QVERIFY(!first.headers.contains("idempotent-replayed"));
    QCOMPARE(m_server->store().mutationCount(), 1);

    // The same parameters in another order are the same request.
    StripeParams reordered = form;
    std::reverse(reordered.begin(), reordered.end());
    const StripeAnswer again = send(QStringLiteral("POST"), path, {}, reordered, key);
    QCOMPARE(again.status, 200);
    QCOMPARE(again.headers.value("idempotent-replayed"), QByteArray("true"));
    QCOMPARE(again.body, first.body);
    QCOMPARE(m_server->store().mutationCount(), 1);
    // always_invoice billed the proration once: one invoice besides the seeded one.
    const StripeAnswer invoices = send(QStringLiteral("GET"), QStringLiteral("/v1/invoices"),
                                       {{QStringLiteral("subscription"), m_subscription}});
    QCOMPARE(invoices.body[QStringLiteral("data")].toArray().size(), 2);

    // Another key applies again.
    const StripeAnswer other =
        send(QStringLiteral("POST"), path, {}, form, {{"Idempotency-Key", "action-2:stripe"}});
    QCOMPARE(other.status, 200);
    QVERIFY(!other.headers.contains("idempotent-replayed"));
    QCOMPARE(m_server->store().mutationCount(), 2);
}

void TestLocalStripeServer::idempotency_sameKeyOtherParams_idempotencyErrorNothingApplied()
{
    const QString item = m_server->store().firstItemId(m_subscription);
    const QString path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "action-3:stripe"}};
    QCOMPARE(send(QStringLiteral("POST"), path, {},
                  {{QStringLiteral("items[0][id]"), item}, {QStringLiteral("items[0][price]"), m_pro}}, key)
                 .status,
             200);
    const StripeAnswer conflicting =
        send(QStringLiteral("POST"), path, {},
             {{QStringLiteral("items[0][id]"), item}, {QStringLiteral("items[0][price]"), m_basic}}, key);
    QCOMPARE(conflicting.status, 400);
    QCOMPARE(conflicting.body[QStringLiteral("error")][QStringLiteral("type")].toString(),
             QStringLiteral("idempotency_error"));
    QCOMPARE(m_server->store().mutationCount(), 1);
    const QJsonObject subscription = m_server->store().object(m_subscription);
    QCOMPARE(subscription[QStringLiteral("items")][QStringLiteral("data")][0][QStringLiteral("price")]
                         [QStringLiteral("id")]
                             .toString(),
             m_pro);
}

void TestLocalStripeServer::fault_statusAnswers_thenNormalAgain_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("errorCode");
    QTest::addColumn<QByteArray>("shouldRetry");
    QTest::newRow("429 retry false") << int(StripeFault::Kind::RateLimited) << 429
                                     << QStringLiteral("rate_limit") << QByteArray("false");
    QTest::newRow("429 retry true") << int(StripeFault::Kind::RateLimited) << 429
                                    << QStringLiteral("rate_limit") << QByteArray("true");
    QTest::newRow("429 no header") << int(StripeFault::Kind::RateLimited) << 429
                                   << QStringLiteral("rate_limit") << QByteArray();
    QTest::newRow("500") << int(StripeFault::Kind::ServerError) << 500 << QString() << QByteArray();
    QTest::newRow("409 lock_timeout")
        << int(StripeFault::Kind::LockTimeout) << 409 << QStringLiteral("lock_timeout") << QByteArray();
}

void TestLocalStripeServer::fault_statusAnswers_thenNormalAgain()
{
    QFETCH(int, kind);
    QFETCH(int, status);
    QFETCH(QString, errorCode);
    QFETCH(QByteArray, shouldRetry);
    StripeFault fault;
    fault.kind = StripeFault::Kind(kind);
    fault.method = QStringLiteral("POST");
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 2;
    if (!shouldRetry.isEmpty())
        fault.shouldRetry = shouldRetry == "true";
    m_server->addFault(fault);

    const QString item = m_server->store().firstItemId(m_subscription);
    const StripeParams form{{QStringLiteral("items[0][id]"), item},
                            {QStringLiteral("items[0][price]"), m_pro}};
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "fault:stripe"}};
    for (int attempt = 0; attempt < 2; ++attempt) {
        const StripeAnswer refused = send(QStringLiteral("POST"), fault.path, {}, form, key);
        QCOMPARE(refused.status, status);
        QCOMPARE(refused.body[QStringLiteral("error")][QStringLiteral("code")].toString(), errorCode);
        QCOMPARE(refused.headers.value("stripe-should-retry"), shouldRetry);
        QVERIFY(refused.headers.value("request-id").startsWith("req_"));
    }
    QCOMPARE(m_server->store().mutationCount(), 0);
    // The fault is spent: the same key now applies, since nothing was kept for it.
    const StripeAnswer applied = send(QStringLiteral("POST"), fault.path, {}, form, key);
    QCOMPARE(applied.status, 200);
    QVERIFY(!applied.headers.contains("idempotent-replayed"));
    QCOMPARE(m_server->store().mutationCount(), 1);
}

void TestLocalStripeServer::fault_prefixAndMethod_matchOnlyThose()
{
    StripeFault fault;
    fault.kind = StripeFault::Kind::ServerError;
    fault.method = QStringLiteral("GET");
    fault.path = QStringLiteral("/v1/customers");
    fault.pathIsPrefix = true;
    fault.times = 2;
    m_server->addFault(fault);
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/invoices")).status, 200);
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/customers")).status, 500);
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/customers/") + m_customer).status, 500);
    QCOMPARE(send(QStringLiteral("GET"), QStringLiteral("/v1/customers")).status, 200);

    fault.method = QStringLiteral("POST");
    fault.pathIsPrefix = false;
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 1;
    m_server->addFault(fault);
    QCOMPARE(send(QStringLiteral("GET"), fault.path).status, 200);
    QCOMPARE(send(QStringLiteral("POST"), fault.path).status, 500);
    QCOMPARE(send(QStringLiteral("POST"), fault.path).status, 200);
}

void TestLocalStripeServer::fault_slow_answersAfterTheDelay()
{
    StripeFault fault;
    fault.kind = StripeFault::Kind::Slow;
    fault.path = QStringLiteral("/v1/prices/") + m_pro;
    fault.delayMs = 700;
    m_server->addFault(fault);
    QElapsedTimer timer;
    timer.start();
    const StripeAnswer slow = send(QStringLiteral("GET"), fault.path);
    QCOMPARE(slow.status, 200);
    QCOMPARE(slow.body[QStringLiteral("unit_amount")].toInteger(), 4000);
    QVERIFY2(timer.elapsed() >= 650, qPrintable(QString::number(timer.elapsed())));
}

void TestLocalStripeServer::fault_drop_noAnswerNothingApplied()
{
    // More drops than Qt's own resends of a request that got no byte back, so the client sees the failure.
    StripeFault fault;
    fault.kind = StripeFault::Kind::DropConnection;
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 5;
    m_server->addFault(fault);
    const QString item = m_server->store().firstItemId(m_subscription);
    const StripeAnswer dropped =
        send(QStringLiteral("POST"), fault.path, {},
             {{QStringLiteral("items[0][id]"), item}, {QStringLiteral("items[0][price]"), m_pro}},
             {{"Idempotency-Key", "drop:stripe"}});
    QCOMPARE(dropped.status, 0);
    QCOMPARE(dropped.error, QNetworkReply::RemoteHostClosedError);
    QVERIFY(m_server->requestCount() >= 1);
    // Qt resends a request that got no byte back on its own; every attempt carried the same key.
    for (const RecordedRequest &request : m_server->requests()) {
        QCOMPARE(request.status, 0);
        QCOMPARE(request.header("idempotency-key"), QByteArray("drop:stripe"));
    }
    QCOMPARE(m_server->store().mutationCount(), 0);
}

void TestLocalStripeServer::fault_applyThenDrop_appliedOnceAndReplayedOnRetry()
{
    StripeFault fault;
    fault.kind = StripeFault::Kind::ApplyThenDrop;
    fault.method = QStringLiteral("POST");
    fault.path = QStringLiteral("/v1/subscriptions/") + m_subscription;
    fault.times = 5;
    m_server->addFault(fault);
    const QString item = m_server->store().firstItemId(m_subscription);
    const StripeParams form{{QStringLiteral("items[0][id]"), item},
                            {QStringLiteral("items[0][price]"), m_pro}};
    const QList<QPair<QByteArray, QByteArray>> key{{"Idempotency-Key", "crash:stripe"}};
    const StripeAnswer lost = send(QStringLiteral("POST"), fault.path, {}, form, key);
    QCOMPARE(lost.error, QNetworkReply::RemoteHostClosedError);
    QCOMPARE(m_server->store().mutationCount(), 1);
    QCOMPARE(m_server->store()
                 .object(m_subscription)[QStringLiteral("items")][QStringLiteral("data")][0]
                                        [QStringLiteral("price")][QStringLiteral("id")]
                 .toString(),
             m_pro);

    m_server->clearFaults();
    const StripeAnswer retried = send(QStringLiteral("POST"), fault.path, {}, form, key);
    QCOMPARE(retried.status, 200);
    QCOMPARE(retried.headers.value("idempotent-replayed"), QByteArray("true"));
    QCOMPARE(m_server->store().mutationCount(), 1);
    QVERIFY(m_server->requests().last().replayed);
}

// HTTP/1.1 as clients other than Qt's may speak it: two requests in one write, a body split across writes,
// and Connection: close, on one raw socket.
void TestLocalStripeServer::http_pipelinedSplitAndClosingRequests_answeredInOrder()
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), quint16(m_server->baseUrl().port()));
    QVERIFY(socket.waitForConnected(5000));
    const QByteArray auth = "Authorization: Bearer " + m_server->apiKey().toLatin1() + "\r\n";
    const QByteArray getPrice =
        "GET /v1/prices/" + m_basic.toLatin1() + " HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n";
    const QByteArray getCustomer =
        "GET /v1/customers/" + m_customer.toLatin1() + " HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n";
    socket.write(getPrice + getCustomer);
    const QByteArray body =
        "items%5B0%5D%5Bid%5D=" + m_server->store().firstItemId(m_subscription).toLatin1() +
        "&items%5B0%5D%5Bprice%5D=" + m_pro.toLatin1();
    const QByteArray post = "POST /v1/subscriptions/" + m_subscription.toLatin1() +
                            " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth +
                            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                            QByteArray::number(body.size()) + "\r\n\r\n";
    socket.write(post + body.left(10));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->requestCount(), 2, 5000);
    socket.write(body.mid(10));
    QByteArray received;
    QSignalSpy closed(&socket, &QTcpSocket::disconnected);
    QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll(), closed.size() == 1), 5000);
    received += socket.readAll();
    QCOMPARE(received.count("HTTP/1.1 200 OK"), 3);
    const qsizetype price = received.indexOf(m_basic.toLatin1());
    const qsizetype customer = received.indexOf("\"object\":\"customer\"");
    const qsizetype subscription = received.indexOf("\"object\":\"subscription\"");
    QVERIFY(price >= 0 && customer > price && subscription > customer);
    QVERIFY(received.contains("Connection: close"));
    QCOMPARE(m_server->requestCount(), 3);
    QCOMPARE(m_server->requests().at(2).form.size(), 2);
    QCOMPARE(m_server->store().mutationCount(), 1);
}

void TestLocalStripeServer::requests_recordedWithDecodedNamesAndHeaders()
{
    QSignalSpy finished(m_server.get(), &LocalStripeServer::requestFinished);
    const QString item = m_server->store().firstItemId(m_subscription);
    send(QStringLiteral("POST"), QStringLiteral("/v1/subscriptions/") + m_subscription, {},
         {{QStringLiteral("items[0][id]"), item},
          {QStringLiteral("metadata[note]"), QStringLiteral("a & b = c")}},
         {{"Idempotency-Key", "record:stripe"}});
    send(QStringLiteral("GET"), QStringLiteral("/v1/customers"),
         {{QStringLiteral("email"), QStringLiteral("a+b@x.test")}});
    QCOMPARE(m_server->requestCount(), 2);
    QCOMPARE(finished.size(), 2);
    const RecordedRequest post = m_server->requests().at(0);
    QCOMPARE(post.method, QStringLiteral("POST"));
    QCOMPARE(post.path, QStringLiteral("/v1/subscriptions/") + m_subscription);
    QCOMPARE(post.form.at(1), qMakePair(QStringLiteral("metadata[note]"), QStringLiteral("a & b = c")));
    QCOMPARE(post.header("idempotency-key"), QByteArray("record:stripe"));
    QCOMPARE(post.header("stripe-version"), QByteArray("2023-08-16"));
    QCOMPARE(post.status, 200);
    const RecordedRequest get = m_server->requests().at(1);
    QCOMPARE(get.query, (StripeParams{{QStringLiteral("email"), QStringLiteral("a+b@x.test")}}));
    QVERIFY(get.form.isEmpty());
    QCOMPARE(m_server->store()
                 .object(m_subscription)[QStringLiteral("metadata")][QStringLiteral("note")]
                 .toString(),
             QStringLiteral("a & b = c"));
}

void TestLocalStripeServer::http_chunkedBody_refused400AndClosed()
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), quint16(m_server->baseUrl().port()));
    QVERIFY(socket.waitForConnected(5000));
    QSignalSpy closed(&socket, &QTcpSocket::disconnected);
    socket.write("POST /v1/subscriptions/" + m_subscription.toLatin1() +
                 " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nitems\r\n0\r\n\r\n");
    QByteArray received;
    QTRY_VERIFY_WITH_TIMEOUT((received += socket.readAll(), closed.size() == 1), 5000);
    received += socket.readAll();
    QVERIFY2(received.startsWith("HTTP/1.1 400 "), received.constData());
    QVERIFY(received.contains("Content-Length"));
    QCOMPARE(m_server->requestCount(), 0);
    QCOMPARE(m_server->store().mutationCount(), 0);
}

QTEST_GUILESS_MAIN(TestLocalStripeServer)
#include "tst_localstripeserver.moc"
