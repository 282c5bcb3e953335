// The Stripe client against a scripted HTTP responder on loopback: what goes on the wire (headers, encoding,
// idempotency keys), which answers are retried and which never are, paging, the rate limit, timeouts, cancel,
// and the errors a person and support see, none of which may contain the key.
#include "scriptedhttpserver.h"
#include "stripetestoptions.h"

#include "billing/stripeclient.h"

#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QProcess>
#include <QSignalSpy>
#include <QSslKey>
#include <QSslServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

#include <memory>

Q_DECLARE_METATYPE(beacon::ErrorKind)
Q_DECLARE_METATYPE(ScriptedHttpServer::Step)

using namespace beacon;
using namespace beacon::billing;
using Step = ScriptedHttpServer::Step;

namespace {

const QByteArray secret = "sk_test_51NzQxYAbCdEfGhIjKlMnOpQrStUvWxYz0123456789wxyz";

// A trimmed copy of fixtures3.json's customer, so that the test needs nothing outside the repository.
const QByteArray customerJson =
    R"({"id":"cus_Oaxlz8kB0PJWGa","object":"customer","balance":0,"currency":"usd","delinquent":false,)"
    R"("email":"finance@example.com","livemode":false,"metadata":{"workspace_id":"42"}})";

QByteArray errorJson(const char *type, const char *code, const char *message)
{
    return QByteArray(R"({"error":{"type":")") + type + R"(","code":")" + code + R"(","message":")" +
           message + R"("}})";
}

QByteArray listPage(const QStringList &ids, bool hasMore)
{
    QByteArray data;
    for (const QString &id : ids) {
        if (!data.isEmpty())
            data += ',';
        data += R"({"id":")" + id.toLatin1() + R"(","object":"customer"})";
    }
    return R"({"object":"list","url":"/v1/customers","has_more":)" + QByteArray(hasMore ? "true" : "false") +
           R"(,"data":[)" + data + "]}";
}

StripeClientOptions fastOptions()
{
    return test::fastStripeOptions();
}

// Every message the client logs, at every level, to prove the key never reaches a log line.
QStringList capturedLog;
QtMessageHandler previousHandler = nullptr;
void captureMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    capturedLog.append(message);
    if (previousHandler)
        previousHandler(type, context, message);
}

bool waitForFinished(StripeCall *call, int timeoutMs = 15000)
{
    return QTest::qWaitFor([call] { return call->isFinished(); }, timeoutMs);
}

} // namespace

class TestStripeClient : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void get_sendsPinnedVersionKeyAndEncodedQuery();
    void post_sendsFormBodyWithGivenIdempotencyKey();
    void post_retryableFailure_retriedWithSameIdempotencyKey_data();
    void post_retryableFailure_retriedWithSameIdempotencyKey();
    void post_definiteRefusal_notRetried_data();
    void post_definiteRefusal_notRetried();
    void idempotencyError_conflictWithoutRetry();
    void shouldRetryFalse_stopsRetryingA500();
    void shouldRetryTrue_retriesAStatusOtherwiseFinal();
    void retriesExhausted_lastErrorWithRequestId();
    void list_pagesWithStartingAfterUntilHasMoreFalse();
    void list_hasMoreWithoutItems_failsInsteadOfLooping();
    void list_cancelledAfterFirstPage_asksForNoMore();
    void rateLimit_tenCallsAt20PerSecond_takeAtLeastTheMinimum();
    void transferTimeout_silentServer_unavailableWithWords();
    void slowAnswer_afterRequestSent_notAConnectTimeout();
    void cancel_midRequest_cancelledNotFailed();
    void cancel_whileWaitingToRetry_sendsNothingMore();
    void errors_carryRequestIdButNeverTheKey();
    void malformedPath_usageWithoutRequest();
    void connectionRefused_unavailableAfterRetries();
    void connectTimeout_tlsHandshakeNeverAnswered_reportedWithWords();
    void tls_selfSignedCertificate_refusedAndNotRetried();

private:
    std::unique_ptr<ScriptedHttpServer> m_server;
    std::unique_ptr<StripeClient> m_client;
    StripeClient *makeClient(const StripeClientOptions &options = fastOptions());
};

void TestStripeClient::initTestCase()
{
    QLoggingCategory::setFilterRules(QStringLiteral("beacon.stripe.debug=true\nbeacon.stripe.info=true"));
    previousHandler = qInstallMessageHandler(captureMessage);
}

void TestStripeClient::cleanupTestCase()
{
    qInstallMessageHandler(previousHandler);
}

void TestStripeClient::init()
{
    m_server = std::make_unique<ScriptedHttpServer>();
    QVERIFY(m_server->start());
    capturedLog.clear();
}

void TestStripeClient::cleanup()
{
    m_client.reset();
    m_server.reset();
    for (const QString &line : std::as_const(capturedLog))
        QVERIFY2(!line.contains(QString::fromLatin1(secret.mid(8))), qPrintable(line));
}

StripeClient *TestStripeClient::makeClient(const StripeClientOptions &options)
{
    auto key = StripeKey::parse(QString::fromLatin1(secret));
    auto endpoint = StripeEndpoint::parse(m_server->baseUrl());
    if (!key || !endpoint)
        qFatal("test key or endpoint refused");
    m_client = std::make_unique<StripeClient>(*key, *endpoint, options);
    return m_client.get();
}

void TestStripeClient::get_sendsPinnedVersionKeyAndEncodedQuery()
{
    m_server->enqueue(Step::json(200, customerJson, {{"Request-Id", "req_get1"}}));
    StripeCall *call = makeClient()->get(
        QStringLiteral("/v1/customers/cus_Oaxlz8kB0PJWGa"),
        {{QStringLiteral("expand"), QStringList{QStringLiteral("default_source"),
                                                QStringLiteral("invoice_settings.default_payment_method")}},
         {QStringLiteral("note"), QStringLiteral("a+b&c=d é")}});
    QSignalSpy finished(call, &StripeCall::finished);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(call->outcome(), StripeCall::Outcome::Succeeded);
    QCOMPARE(call->object().value(QLatin1String("id")).toString(), QStringLiteral("cus_Oaxlz8kB0PJWGa"));
    QCOMPARE(call->requestId(), QStringLiteral("req_get1"));
    QCOMPARE(call->httpStatus(), 200);

    QCOMPARE(m_server->requestCount(), 1);
    const auto &request = m_server->requests().first();
    QCOMPARE(request.method, QByteArray("GET"));
    QCOMPARE(request.target,
             QByteArray("/v1/customers/cus_Oaxlz8kB0PJWGa?expand%5B%5D=default_source&expand%5B%5D="
                        "invoice_settings.default_payment_method&note=a%2Bb%26c%3Dd%20%C3%A9"));
    // The query decodes, as any server would read it, to exactly the values given.
    const QUrlQuery query(QString::fromLatin1(request.target.mid(request.target.indexOf('?') + 1)));
    QCOMPARE(query.queryItemValue(QStringLiteral("note"), QUrl::FullyDecoded), QStringLiteral("a+b&c=d é"));
    QStringList expanded;
    for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (name == QLatin1String("expand[]"))
            expanded << value;
    }
    QCOMPARE(expanded, QStringList({QStringLiteral("default_source"),
                                    QStringLiteral("invoice_settings.default_payment_method")}));
    QCOMPARE(request.header("Authorization"), QByteArray("Bearer ") + secret);
    QCOMPARE(request.header("Stripe-Version"), QByteArray("2023-08-16"));
    QVERIFY2(request.header("User-Agent").contains("Beacon Admin"), request.header("User-Agent").constData());
    QVERIFY(request.header("Idempotency-Key").isEmpty());
    QVERIFY(request.header("Content-Type").isEmpty());
    QVERIFY(call->idempotencyKey().isEmpty());
}

void TestStripeClient::post_sendsFormBodyWithGivenIdempotencyKey()
{
    m_server->enqueue(Step::json(200, R"({"id":"sub_1","object":"subscription","status":"active"})"));
    const StripeParams params{
        {QStringLiteral("items"),
         QVariantList{QVariantMap{{QStringLiteral("id"), QStringLiteral("si_1")},
                                  {QStringLiteral("price"), QStringLiteral("price_pro")}}}},
        {QStringLiteral("proration_behavior"), QStringLiteral("create")},
        {QStringLiteral("metadata"), QVariantMap{{QStringLiteral("workspace_id"), 42}}},
        {QStringLiteral("cancel_at_period_end"), false}};
    StripeCall *call = makeClient()->post(QStringLiteral("/v1/subscriptions/sub_1"), params,
                                          QStringLiteral("8d3f0c52-action:stripe"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Succeeded);
    QCOMPARE(m_server->requestCount(), 1);
    const auto &request = m_server->requests().first();
    QCOMPARE(request.method, QByteArray("POST"));
    QCOMPARE(request.target, QByteArray("/v1/subscriptions/sub_1"));
    QCOMPARE(request.header("Content-Type"), QByteArray("application/x-www-form-urlencoded"));
    QCOMPARE(request.header("Idempotency-Key"), QByteArray("8d3f0c52-action:stripe"));
    QCOMPARE(request.header("Stripe-Version"), QByteArray("2023-08-16"));
    QCOMPARE(request.header("Authorization"), QByteArray("Bearer ") + secret);
    QCOMPARE(request.body,
             QByteArray("cancel_at_period_end=false&items%5B0%5D%5Bid%5D=si_1&items%5B0%5D%5Bprice%5D="
                        "price_pro&metadata%5Bworkspace_id%5D=42&proration_behavior=create"));
}

void TestStripeClient::post_retryableFailure_retriedWithSameIdempotencyKey_data()
{
    QTest::addColumn<Step>("failure");
    QTest::addColumn<bool>("exactlyTwoRequests");
    QTest::newRow("429") << Step::json(429,
                                       errorJson("invalid_request_error", "rate_limit", "Too many requests"))
                         << true;
    QTest::newRow("500") << Step::json(500, errorJson("api_error", "", "Something went wrong")) << true;
    QTest::newRow("503 HTML") << Step::json(503, "<html>unavailable</html>") << true;
    QTest::newRow("409 lock_timeout")
        << Step::json(409, errorJson("invalid_request_error", "lock_timeout", "locked")) << true;
    QTest::newRow("connection dropped four times") << Step::drop() << false;
}

void TestStripeClient::post_retryableFailure_retriedWithSameIdempotencyKey()
{
    QFETCH(Step, failure);
    QFETCH(bool, exactlyTwoRequests);
    m_server->enqueue(failure);
    // Qt resends a request on its own, at most twice, when the connection closes before an answer; four
    // drops therefore need the client's own retries to get through.
    if (failure.action == Step::Action::Drop) {
        for (int i = 0; i < 3; ++i)
            m_server->enqueue(failure);
    }
    m_server->enqueue(Step::json(200, R"({"id":"cus_new","object":"customer"})"));
    StripeClientOptions options = fastOptions();
    options.maxRetries = 5;
    // No key given: the client makes one, and keeps it for every retry.
    StripeCall *call = makeClient(options)->post(
        QStringLiteral("/v1/customers"), {{QStringLiteral("email"), QStringLiteral("x@example.com")}});
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Succeeded);
    QVERIFY(!call->idempotencyKey().isEmpty());
    if (exactlyTwoRequests) {
        QCOMPARE(m_server->requestCount(), 2);
        QCOMPARE(call->attempts(), 2);
    } else {
        QCOMPARE(m_server->requestCount(), 5);
    }
    for (const auto &request : m_server->requests()) {
        QCOMPARE(request.header("Idempotency-Key"), call->idempotencyKey().toLatin1());
        QCOMPARE(request.body, QByteArray("email=x%40example.com"));
    }
    QCOMPARE(m_server->unscripted(), 0);
    QVERIFY2(call->attempts() >= 2, "the client itself retried, not only Qt");
}

void TestStripeClient::post_definiteRefusal_notRetried_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<ErrorKind>("kind");
    QTest::newRow("400") << 400
                         << errorJson("invalid_request_error", "parameter_unknown",
                                      "Received unknown parameter: x")
                         << ErrorKind::Usage;
    QTest::newRow("401") << 401
                         << errorJson("invalid_request_error", "",
                                      "Invalid API Key provided: sk_test_****wxyz")
                         << ErrorKind::Denied;
    QTest::newRow("402") << 402 << errorJson("card_error", "card_declined", "Your card was declined.")
                         << ErrorKind::Refused;
    QTest::newRow("403") << 403
                         << errorJson("invalid_request_error", "", "The provided key does not have access")
                         << ErrorKind::Denied;
    QTest::newRow("404") << 404
                         << errorJson("invalid_request_error", "resource_missing",
                                      "No such subscription: 'sub_x'")
                         << ErrorKind::Refused;
}

void TestStripeClient::post_definiteRefusal_notRetried()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(ErrorKind, kind);
    // Even Stripe-Should-Retry: true cannot make these retried; a retry would find the success below.
    m_server->enqueue(
        Step::json(status, body, {{"Stripe-Should-Retry", "true"}, {"Request-Id", "req_once"}}));
    m_server->enqueue(Step::json(200, R"({"id":"sub_x","object":"subscription"})"));
    StripeCall *call =
        makeClient()->post(QStringLiteral("/v1/subscriptions/sub_x"), {{QStringLiteral("x"), 1}});
    QVERIFY(waitForFinished(call));
    // Retries happen before a call finishes, so a finished call with one request proves there was none.
    QCOMPARE(call->outcome(), StripeCall::Outcome::Failed);
    QCOMPARE(call->attempts(), 1);
    QCOMPARE(m_server->requestCount(), 1);
    QCOMPARE(call->error().kind, kind);
    QCOMPARE(call->httpStatus(), status);
    QVERIFY(call->error().details.contains(QStringLiteral("req_once")));
}

void TestStripeClient::idempotencyError_conflictWithoutRetry()
{
    m_server->enqueue(Step::json(409,
                                 errorJson("idempotency_error", "",
                                           "Keys for idempotent requests can only be used with the same "
                                           "parameters they were first used with."),
                                 {{"Request-Id", "req_idem"}}));
    m_server->enqueue(Step::json(200, R"({"id":"sub_1","object":"subscription"})"));
    StripeCall *call =
        makeClient()->post(QStringLiteral("/v1/subscriptions/sub_1"),
                           {{QStringLiteral("proration_behavior"), QStringLiteral("none")}},
                           QStringLiteral("action-7:stripe"), QStringLiteral("Changing the plan"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Failed);
    QCOMPARE(m_server->requestCount(), 1);
    QCOMPARE(call->error().kind, ErrorKind::Conflict);
    QCOMPARE(call->error().exitCode(), 5);
    QVERIFY(call->error().details.contains(QStringLiteral("type: idempotency_error")));
    QVERIFY(call->error().details.contains(QStringLiteral("Request-Id: req_idem")));
}

void TestStripeClient::shouldRetryFalse_stopsRetryingA500()
{
    m_server->enqueue(
        Step::json(500, errorJson("api_error", "", "do not retry"), {{"Stripe-Should-Retry", "false"}}));
    m_server->enqueue(Step::json(200, customerJson));
    StripeCall *call = makeClient()->post(QStringLiteral("/v1/customers"), {});
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Failed);
    QCOMPARE(m_server->requestCount(), 1);
    QCOMPARE(call->error().kind, ErrorKind::Unavailable);
}

void TestStripeClient::shouldRetryTrue_retriesAStatusOtherwiseFinal()
{
    m_server->enqueue(
        Step::json(423, errorJson("api_error", "", "locked"), {{"Stripe-Should-Retry", "true"}}));
    m_server->enqueue(Step::json(200, customerJson));
    StripeCall *call = makeClient()->get(QStringLiteral("/v1/customers/cus_1"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Succeeded);
    QCOMPARE(m_server->requestCount(), 2);
    QCOMPARE(call->attempts(), 2);
}

void TestStripeClient::retriesExhausted_lastErrorWithRequestId()
{
    StripeClientOptions options = fastOptions();
    options.maxRetries = 2;
    for (int i = 1; i <= 3; ++i)
        m_server->enqueue(Step::json(503, errorJson("api_error", "", "busy"),
                                     {{"Request-Id", "req_try" + QByteArray::number(i)}}));
    m_server->enqueue(Step::json(200, customerJson));
    StripeCall *call = makeClient(options)->get(QStringLiteral("/v1/customers/cus_1"), {},
                                                QStringLiteral("Loading the customer"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Failed);
    QCOMPARE(m_server->requestCount(), 3);
    QCOMPARE(call->attempts(), 3);
    QCOMPARE(call->error().kind, ErrorKind::Unavailable);
    QCOMPARE(call->error().exitCode(), 7);
    QVERIFY(call->error().message.startsWith(QStringLiteral("Loading the customer: ")));
    QVERIFY2(call->error().details.contains(QStringLiteral("Request-Id: req_try3")),
             qPrintable(call->error().details));
}

void TestStripeClient::list_pagesWithStartingAfterUntilHasMoreFalse()
{
    m_server->enqueue(Step::json(200, listPage({QStringLiteral("cus_a"), QStringLiteral("cus_b")}, true)));
    m_server->enqueue(Step::json(200, listPage({QStringLiteral("cus_c"), QStringLiteral("cus_d")}, true)));
    m_server->enqueue(Step::json(200, listPage({QStringLiteral("cus_e")}, false)));
    StripeCall *call = makeClient()->list(QStringLiteral("/v1/customers"), {{QStringLiteral("limit"), 2}});
    QSignalSpy pages(call, &StripeCall::pageReceived);
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Succeeded);
    QCOMPARE(call->pages(), 3);
    QCOMPARE(call->items().size(), 5);
    QCOMPARE(call->items().at(4).toObject().value(QLatin1String("id")).toString(), QStringLiteral("cus_e"));
    QCOMPARE(pages.count(), 3);
    QCOMPARE(pages.at(0).at(0).toInt(), 1);
    QCOMPARE(pages.at(0).at(2).value<qsizetype>(), 2);
    QCOMPARE(pages.at(2).at(2).value<qsizetype>(), 5);
    QCOMPARE(m_server->requestCount(), 3);
    QCOMPARE(m_server->requests().at(0).target, QByteArray("/v1/customers?limit=2"));
    QCOMPARE(m_server->requests().at(1).target, QByteArray("/v1/customers?limit=2&starting_after=cus_b"));
    QCOMPARE(m_server->requests().at(2).target, QByteArray("/v1/customers?limit=2&starting_after=cus_d"));
}

void TestStripeClient::list_hasMoreWithoutItems_failsInsteadOfLooping()
{
    m_server->enqueue(Step::json(200, listPage({}, true)));
    StripeCall *call = makeClient()->list(QStringLiteral("/v1/customers"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Failed);
    QCOMPARE(call->error().kind, ErrorKind::Internal);
    QCOMPARE(m_server->requestCount(), 1);
}

void TestStripeClient::list_cancelledAfterFirstPage_asksForNoMore()
{
    m_server->enqueue(Step::json(200, listPage({QStringLiteral("cus_a")}, true)));
    m_server->enqueue(Step::json(200, listPage({QStringLiteral("cus_b")}, false)));
    StripeCall *call = makeClient()->list(QStringLiteral("/v1/customers"));
    connect(call, &StripeCall::pageReceived, call, &StripeCall::cancel);
    QSignalSpy finished(call, &StripeCall::finished);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(call->outcome(), StripeCall::Outcome::Cancelled);
    QCOMPARE(call->pages(), 1);
    // Paging happens only before a call finishes, so one request now means the second page was never asked.
    QCOMPARE(m_server->requestCount(), 1);
}

void TestStripeClient::rateLimit_tenCallsAt20PerSecond_takeAtLeastTheMinimum()
{
    StripeClientOptions options = fastOptions();
    options.requestsPerSecond = 20;
    for (int i = 0; i < 10; ++i)
        m_server->enqueue(Step::json(200, customerJson));
    StripeClient *client = makeClient(options);
    QElapsedTimer clock;
    clock.start();
    QList<StripeCall *> calls;
    for (int i = 0; i < 10; ++i)
        calls.append(client->get(QStringLiteral("/v1/customers/cus_%1").arg(i)));
    for (StripeCall *call : calls) {
        QVERIFY(waitForFinished(call));
        QCOMPARE(call->outcome(), StripeCall::Outcome::Succeeded);
    }
    // Nine intervals of 50 ms separate ten evenly spaced requests.
    QVERIFY2(clock.elapsed() >= 450, qPrintable(QString::number(clock.elapsed())));
    const auto &requests = m_server->requests();
    QCOMPARE(requests.size(), 10);
    // Arrival times carry the network's jitter on a busy machine, so only the span is checked, less some
    // allowance for it.
    QVERIFY2(requests.last().receivedAtMs - requests.first().receivedAtMs >= 400,
             qPrintable(QString::number(requests.last().receivedAtMs - requests.first().receivedAtMs)));
}

void TestStripeClient::transferTimeout_silentServer_unavailableWithWords()
{
    StripeClientOptions options = fastOptions();
    options.transferTimeout = std::chrono::milliseconds(300);
    options.maxRetries = 1;
    m_server->enqueue(Step::silent());
    m_server->enqueue(Step::silent());
    StripeCall *call = makeClient(options)->get(QStringLiteral("/v1/customers/cus_1"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Failed);
    QCOMPARE(call->error().kind, ErrorKind::Unavailable);
    QVERIFY2(call->error().message.contains(QStringLiteral("did not answer within 0.3 s")),
             qPrintable(call->error().message));
    QCOMPARE(call->attempts(), 2);
    QCOMPARE(m_server->requestCount(), 2);
}

void TestStripeClient::slowAnswer_afterRequestSent_notAConnectTimeout()
{
    StripeClientOptions options = fastOptions();
    options.connectTimeout = std::chrono::milliseconds(400);
    options.maxRetries = 0;
    m_server->enqueue(Step::json(200, customerJson).after(1200));
    StripeCall *call = makeClient(options)->get(QStringLiteral("/v1/customers/cus_1"));
    QVERIFY(waitForFinished(call));
    QVERIFY2(call->outcome() == StripeCall::Outcome::Succeeded, qPrintable(call->error().fullText()));
}

void TestStripeClient::cancel_midRequest_cancelledNotFailed()
{
    m_server->enqueue(Step::silent());
    StripeCall *call = makeClient()->post(QStringLiteral("/v1/customers"), {});
    QSignalSpy finished(call, &StripeCall::finished);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->requestCount(), 1, 10000);
    call->cancel();
    QCOMPARE(finished.count(), 0); // from the event loop, not from inside cancel()
    QVERIFY(finished.wait(5000));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(call->outcome(), StripeCall::Outcome::Cancelled);
    QVERIFY(!call->error().isError());
    // The request in flight was aborted: its connection is closed from the client's side.
    QTRY_COMPARE_WITH_TIMEOUT(m_server->closedByClient(), 1, 5000);
    call->cancel(); // a second cancel changes nothing
    QCOMPARE(call->outcome(), StripeCall::Outcome::Cancelled);
}

void TestStripeClient::cancel_whileWaitingToRetry_sendsNothingMore()
{
    StripeClientOptions options = fastOptions();
    options.initialBackoff = std::chrono::milliseconds(60000);
    options.maxBackoff = std::chrono::milliseconds(60000);
    m_server->enqueue(Step::json(503, errorJson("api_error", "", "busy")));
    m_server->enqueue(Step::json(200, customerJson));
    StripeCall *call = makeClient(options)->get(QStringLiteral("/v1/customers/cus_1"));
    QTRY_COMPARE_WITH_TIMEOUT(m_server->requestCount(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(call->httpStatus(), 503, 5000);
    call->cancel();
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Cancelled);
    QCOMPARE(call->attempts(), 1);
}

void TestStripeClient::errors_carryRequestIdButNeverTheKey()
{
    // A server that echoes the whole key in its error text: the client must still not pass it on.
    const QByteArray echoing =
        R"({"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds",)"
        R"("param":"payment_method","message":"Declined for key )" +
        secret + R"("}})";
    m_server->enqueue(Step::json(402, echoing, {{"Request-Id", "req_decl1"}}));
    StripeCall *call = makeClient()->post(QStringLiteral("/v1/invoices/in_1/pay"), {}, QString(),
                                          QStringLiteral("Paying the invoice"));
    QVERIFY(waitForFinished(call));
    const DbError &error = call->error();
    QCOMPARE(error.kind, ErrorKind::Refused);
    QCOMPARE(error.exitCode(), 3);
    QVERIFY(error.message.startsWith(QStringLiteral("Paying the invoice: Stripe refused the payment")));
    QVERIFY2(error.details.contains(QStringLiteral("Request-Id: req_decl1")), qPrintable(error.details));
    QVERIFY(error.details.contains(QStringLiteral("decline_code: insufficient_funds")));
    QVERIFY(error.details.contains(QStringLiteral("param: payment_method")));
    QVERIFY(error.details.contains(QStringLiteral("sk_test_…wxyz")));
    const QString body = QString::fromLatin1(secret.mid(8));
    QVERIFY2(!error.fullText().contains(body), qPrintable(error.fullText()));
    QVERIFY(!capturedLog.isEmpty()); // the debug category was on, so the check in cleanup() saw real lines
    for (const QString &line : std::as_const(capturedLog))
        QVERIFY2(!line.contains(body), qPrintable(line));
}

void TestStripeClient::malformedPath_usageWithoutRequest()
{
    StripeClient *client = makeClient();
    StripeCall *climbing = client->get(QStringLiteral("/v1/customers/../../admin"));
    StripeCall *injecting = client->get(QStringLiteral("/v1/customers/cus_1?expand[]=x"));
    StripeCall *badKey = client->post(QStringLiteral("/v1/customers"), {}, QStringLiteral("has space"));
    for (StripeCall *call : {climbing, injecting, badKey}) {
        QVERIFY(waitForFinished(call));
        QCOMPARE(call->error().kind, ErrorKind::Usage);
        QCOMPARE(call->attempts(), 0);
    }
    QCOMPARE(m_server->requestCount(), 0);
}

void TestStripeClient::connectionRefused_unavailableAfterRetries()
{
    const QString base = m_server->baseUrl();
    m_server->close(); // nothing listens on that port any more
    StripeClientOptions options = fastOptions();
    options.maxRetries = 2;
    auto key = StripeKey::parse(QString::fromLatin1(secret));
    auto endpoint = StripeEndpoint::parse(base);
    QVERIFY(key && endpoint);
    m_client = std::make_unique<StripeClient>(*key, *endpoint, options);
    StripeCall *call = m_client->get(QStringLiteral("/v1/customers/cus_1"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Failed);
    QCOMPARE(call->attempts(), 3);
    QCOMPARE(call->error().kind, ErrorKind::Unavailable);
    QVERIFY2(call->error().message.contains(QStringLiteral("could not be reached")),
             qPrintable(call->error().message));
    QVERIFY(!call->error().details.isEmpty());
}

void TestStripeClient::connectTimeout_tlsHandshakeNeverAnswered_reportedWithWords()
{
    // The responder accepts the connection but never answers the TLS handshake, so the request never gets on
    // the wire: the client's own connect timeout, not the transfer timeout, must end it.
    StripeClientOptions options = fastOptions();
    options.connectTimeout = std::chrono::milliseconds(300);
    options.transferTimeout = std::chrono::milliseconds(60000);
    options.maxRetries = 1;
    auto key = StripeKey::parse(QString::fromLatin1(secret));
    auto endpoint = StripeEndpoint::parse(QStringLiteral("https://127.0.0.1:%1").arg(m_server->serverPort()));
    QVERIFY(key && endpoint);
    m_client = std::make_unique<StripeClient>(*key, *endpoint, options);
    QElapsedTimer clock;
    clock.start();
    StripeCall *call = m_client->get(QStringLiteral("/v1/customers/cus_1"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Failed);
    QCOMPARE(call->error().kind, ErrorKind::Unavailable);
    QVERIFY2(
        call->error().message.contains(QStringLiteral("no connection to Stripe at 127.0.0.1 could be made "
                                                      "within 0.3 s")),
        qPrintable(call->error().message));
    QCOMPARE(call->attempts(), 2);
    QCOMPARE(m_server->requestCount(), 0);
    QVERIFY2(clock.elapsed() < 10000, qPrintable(QString::number(clock.elapsed())));
}

void TestStripeClient::tls_selfSignedCertificate_refusedAndNotRetried()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                   QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                   QStringLiteral("-keyout"), dir.filePath(QStringLiteral("key.pem")), QStringLiteral("-out"),
                   dir.filePath(QStringLiteral("cert.pem")), QStringLiteral("-days"), QStringLiteral("1"),
                   QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                   QStringLiteral("subjectAltName=IP:127.0.0.1")});
    QVERIFY2(openssl.waitForFinished(30000) && openssl.exitCode() == 0,
             qPrintable(QString::fromLocal8Bit(openssl.readAllStandardError())));
    QFile certFile(dir.filePath(QStringLiteral("cert.pem")));
    QFile keyFile(dir.filePath(QStringLiteral("key.pem")));
    QVERIFY(certFile.open(QIODevice::ReadOnly) && keyFile.open(QIODevice::ReadOnly));
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificate(QSslCertificate(certFile.readAll(), QSsl::Pem));
    tls.setPrivateKey(QSslKey(keyFile.readAll(), QSsl::Ec, QSsl::Pem));
    QVERIFY(!tls.localCertificate().isNull() && !tls.privateKey().isNull());
    QSslServer server;
    server.setSslConfiguration(tls);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    int connections = 0;
    connect(&server, &QSslServer::startedEncryptionHandshake, this, [&connections] { ++connections; });

    auto key = StripeKey::parse(QString::fromLatin1(secret));
    auto endpoint = StripeEndpoint::parse(QStringLiteral("https://127.0.0.1:%1").arg(server.serverPort()));
    QVERIFY(key && endpoint);
    m_client = std::make_unique<StripeClient>(*key, *endpoint, fastOptions());
    StripeCall *call = m_client->get(QStringLiteral("/v1/customers/cus_1"));
    QVERIFY(waitForFinished(call));
    QCOMPARE(call->outcome(), StripeCall::Outcome::Failed);
    QCOMPARE(call->error().kind, ErrorKind::Unavailable);
    QVERIFY2(call->error().message.contains(QStringLiteral("certificate")),
             qPrintable(call->error().message));
    QVERIFY(!call->error().details.isEmpty());
    // A certificate does not become trusted by asking again.
    QCOMPARE(call->attempts(), 1);
    QCOMPARE(connections, 1);
}

QTEST_GUILESS_MAIN(TestStripeClient)
#include "tst_stripeclient.moc"
