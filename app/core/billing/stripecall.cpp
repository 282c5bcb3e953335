#include "billing/stripecall.h"

#include "billing/stripeclient.h"
#include "billing/stripeerror.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QRandomGenerator>
#include <QRegularExpression>
#if QT_CONFIG(ssl)
#include <QSslConfiguration>
#endif

#include <algorithm>

// Quiet unless asked for (QT_LOGGING_RULES="beacon.stripe.debug=true"): the errors themselves reach the
// person through StripeCall::error().
Q_LOGGING_CATEGORY(lcStripe, "beacon.stripe", QtWarningMsg)

namespace beacon::billing {

static const char *methodName(StripeCall::Method method)
{
    return method == StripeCall::Method::Post ? "POST" : "GET";
}

StripeCall::StripeCall(StripeClient *client, Method method, QString path, StripeParams params,
                       QString idempotencyKey, QString whatWeWereDoing)
    : QObject(client)
    , m_client(client)
    , m_method(method)
    , m_path(std::move(path))
    , m_params(std::move(params))
    , m_idempotencyKey(std::move(idempotencyKey))
    , m_whatWeWereDoing(std::move(whatWeWereDoing))
{
    m_waitTimer.setSingleShot(true);
    m_waitTimer.setTimerType(Qt::PreciseTimer);
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, &StripeCall::onConnectTimeout);
    if (m_method == Method::List)
        m_startingAfter = m_params.take(QStringLiteral("starting_after")).toString();
}

StripeCall::~StripeCall()
{
    dropReply();
}

void StripeCall::start()
{
    if (isFinished())
        return;
    static const QRegularExpression pathShape(QStringLiteral("^/v1/[A-Za-z0-9_./-]*$"));
    if (!pathShape.match(m_path).hasMatch() || m_path.contains(QLatin1String("..")) ||
        m_path.contains(QLatin1String("//"))) {
        fail(DbError::make(ErrorKind::Usage,
                           tr("The Stripe request path is malformed, so nothing was sent. This is a bug in "
                              "the console: send the details to the Beacon Admin team."),
                           QStringLiteral("path: %1").arg(m_path)));
        return;
    }
    if (m_method == Method::Post) {
        const bool printable = std::all_of(m_idempotencyKey.cbegin(), m_idempotencyKey.cend(),
                                           [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
        if (m_idempotencyKey.size() > 255 || !printable) {
            fail(DbError::make(ErrorKind::Usage,
                               tr("The idempotency key for Stripe must be at most 255 printable characters "
                                  "without spaces, so nothing was sent.")));
            return;
        }
    }
    waitForSlot();
}

void StripeCall::waitForRetry(int retry)
{
    const auto delay =
        stripeBackoff(retry, m_client->m_options, QRandomGenerator::global()->generateDouble());
    qCDebug(lcStripe) << methodName(m_method) << m_path << "retry" << retry << "in" << delay.count() << "ms";
    m_waitTimer.disconnect();
    connect(&m_waitTimer, &QTimer::timeout, this, &StripeCall::waitForSlot);
    m_waitTimer.start(delay);
}

void StripeCall::waitForSlot()
{
    RateLimiter &limiter = m_client->m_limiter;
    m_slotNs = limiter.reserveSlot(limiter.nowNs());
    m_waitTimer.disconnect();
    // A timer may fire a little early; the slot is a promise to Stripe, so wait out the rest.
    connect(&m_waitTimer, &QTimer::timeout, this, [this] {
        const qint64 remainingNs = m_slotNs - m_client->m_limiter.nowNs();
        if (remainingNs > 0)
            m_waitTimer.start(int((remainingNs + 999'999) / 1'000'000));
        else
            sendAttempt();
    });
    const qint64 remainingNs = m_slotNs - limiter.nowNs();
    if (remainingNs <= 0)
        sendAttempt();
    else
        m_waitTimer.start(int((remainingNs + 999'999) / 1'000'000));
}

QNetworkRequest StripeCall::buildRequest() const
{
    QUrl url = m_client->m_endpoint.urlFor(m_path);
    if (m_method != Method::Post) {
        StripeParams query = m_params;
        if (!m_startingAfter.isEmpty())
            query.insert(QStringLiteral("starting_after"), m_startingAfter);
        const QByteArray encoded = encodeStripeForm(query);
        if (!encoded.isEmpty())
            url.setQuery(QString::fromLatin1(encoded), QUrl::StrictMode);
    }
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "Bearer " + m_client->m_key.secretForTransport());
    request.setRawHeader("Stripe-Version", stripeApiVersion);
    request.setRawHeader("User-Agent", m_client->m_userAgent);
    request.setRawHeader("Accept", "application/json");
    if (m_method == Method::Post) {
        request.setRawHeader("Content-Type", "application/x-www-form-urlencoded");
        request.setRawHeader("Idempotency-Key", m_idempotencyKey.toLatin1());
    }
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setTransferTimeout(int(m_client->m_options.transferTimeout.count()));
#if QT_CONFIG(ssl)
    if (url.scheme() == QLatin1String("https")) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
        request.setSslConfiguration(tls);
    }
#endif
    return request;
}

void StripeCall::sendAttempt()
{
    ++m_attempts;
    m_requestOnWire = false;
    m_connectTimedOut = false;
    qCDebug(lcStripe) << methodName(m_method) << m_path << "attempt" << m_attempts;
    const QNetworkRequest request = buildRequest();
    QNetworkAccessManager *network = m_client->m_network;
    m_reply =
        m_method == Method::Post ? network->post(request, encodeStripeForm(m_params)) : network->get(request);
    auto onWire = [this] {
        m_requestOnWire = true;
        m_connectTimer.stop();
    };
    connect(m_reply, &QNetworkReply::requestSent, this, onWire);
    connect(m_reply, &QNetworkReply::metaDataChanged, this, onWire);
    connect(m_reply, &QNetworkReply::finished, this, &StripeCall::onReplyFinished);
    // Certificate errors are never ignored: the reply then fails with the TLS error, which is reported.
    m_connectTimer.start(m_client->m_options.connectTimeout);
}

void StripeCall::onConnectTimeout()
{
    if (!m_reply || m_requestOnWire)
        return;
    m_connectTimedOut = true;
    m_reply->abort();
}

static std::optional<bool> shouldRetryHeader(const QNetworkReply *reply)
{
    if (!reply->hasRawHeader("Stripe-Should-Retry"))
        return std::nullopt;
    return reply->rawHeader("Stripe-Should-Retry").trimmed().toLower() == "true";
}

void StripeCall::onReplyFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply || isFinished())
        return;
    m_connectTimer.stop();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    // An aborted reply (a timeout) is closed, and reading it only warns.
    const QByteArray body = reply->isOpen() ? reply->readAll() : QByteArray();
    const QString requestId = QString::fromLatin1(reply->rawHeader("Request-Id"));
    const std::optional<bool> stripeShouldRetry = shouldRetryHeader(reply);
    const QNetworkReply::NetworkError networkError = reply->error();
    const QString networkText = reply->errorString();
    dropReply();

    m_httpStatus = status;
    m_requestId = requestId;
    const StripeClientOptions &options = m_client->m_options;
    const QString host = m_client->m_endpoint.baseUrl().host();
    qCDebug(lcStripe) << methodName(m_method) << m_path << "answered" << status << requestId;

    if (status >= 200 && status < 300) {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
        if (!document.isObject()) {
            fail(stripeTransportError(StripeTransportFailure::BadResponse, m_whatWeWereDoing, host, 0,
                                      QStringLiteral("HTTP %1, %2").arg(status).arg(parseError.errorString()),
                                      requestId));
            return;
        }
        finishPage(document.object());
        return;
    }

    const StripeRequestEffect effect =
        m_method == Method::Post ? StripeRequestEffect::Changes : StripeRequestEffect::ReadsOnly;
    DbError error;
    if (status == 0) {
        const int connectMs = int(options.connectTimeout.count());
        const int transferMs = int(options.transferTimeout.count());
        if (m_connectTimedOut)
            error = stripeTransportError(StripeTransportFailure::ConnectTimeout, m_whatWeWereDoing, host,
                                         connectMs, networkText);
        else if (networkError == QNetworkReply::OperationCanceledError ||
                 networkError == QNetworkReply::TimeoutError)
            error = stripeTransportError(StripeTransportFailure::TransferTimeout, m_whatWeWereDoing, host,
                                         transferMs, networkText, {}, effect);
        else if (networkError == QNetworkReply::SslHandshakeFailedError) {
            // A certificate does not become trusted by asking again.
            fail(stripeTransportError(StripeTransportFailure::Tls, m_whatWeWereDoing, host, 0, networkText));
            return;
        } else
            error = stripeTransportError(StripeTransportFailure::Network, m_whatWeWereDoing, host, 0,
                                         networkText, {}, effect);
    } else {
        error = stripeErrorFromResponse(status, body, requestId, m_whatWeWereDoing, effect);
    }

    const QString errorType = status ? StripeApiError::fromBody(body).type : QString();
    if (shouldRetryStripe(status, stripeShouldRetry, errorType) && m_retriesThisPage < options.maxRetries) {
        qCInfo(lcStripe).noquote() << methodName(m_method) << m_path << "failed with"
                                   << (status ? QString::number(status) : networkText) << requestId
                                   << "- trying again";
        ++m_retriesThisPage;
        waitForRetry(m_retriesThisPage);
        return;
    }
    fail(error);
}

void StripeCall::finishPage(const QJsonObject &body)
{
    m_object = body;
    if (m_method != Method::List) {
        finish(Outcome::Succeeded);
        return;
    }
    const QJsonArray data = body.value(QLatin1String("data")).toArray();
    for (const QJsonValue &item : data)
        m_items.append(item);
    ++m_pages;
    const QPointer<StripeCall> self(this);
    emit pageReceived(m_pages, data, m_items.size());
    if (!self || isFinished())
        return;
    if (!body.value(QLatin1String("has_more")).toBool()) {
        finish(Outcome::Succeeded);
        return;
    }
    const QString lastId =
        data.isEmpty() ? QString() : data.last().toObject().value(QLatin1String("id")).toString();
    if (lastId.isEmpty()) {
        fail(stripeTransportError(
            StripeTransportFailure::BadResponse, m_whatWeWereDoing, m_client->m_endpoint.baseUrl().host(), 0,
            QStringLiteral("a list page says has_more but gives no last id to page from"), m_requestId));
        return;
    }
    m_startingAfter = lastId;
    m_retriesThisPage = 0;
    waitForSlot();
}

void StripeCall::fail(DbError error)
{
    const StripeKey &key = m_client->m_key;
    error.message = key.scrubbed(error.message);
    error.details = key.scrubbed(error.details);
    m_error = std::move(error);
    qCInfo(lcStripe).noquote() << methodName(m_method) << m_path << "failed:" << m_error.message;
    finish(Outcome::Failed);
}

void StripeCall::finish(Outcome outcome)
{
    m_outcome = outcome;
    m_waitTimer.stop();
    m_connectTimer.stop();
    dropReply();
    emit finished();
}

void StripeCall::cancel()
{
    if (isFinished())
        return;
    m_outcome = Outcome::Cancelled;
    m_waitTimer.stop();
    m_connectTimer.stop();
    dropReply();
    qCDebug(lcStripe) << methodName(m_method) << m_path << "cancelled";
    QMetaObject::invokeMethod(this, &StripeCall::finished, Qt::QueuedConnection);
}

void StripeCall::dropReply()
{
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    if (!reply)
        return;
    disconnect(reply, nullptr, this, nullptr);
    if (reply->isRunning())
        reply->abort();
    reply->deleteLater();
}

} // namespace beacon::billing
