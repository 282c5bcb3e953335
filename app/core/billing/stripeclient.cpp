#include "billing/stripeclient.h"

#include <QNetworkAccessManager>
#include <QUuid>

namespace beacon::billing {

StripeClient::StripeClient(StripeKey key, StripeEndpoint endpoint, StripeClientOptions options,
                           QObject *parent)
    : QObject(parent)
    , m_key(std::move(key))
    , m_endpoint(std::move(endpoint))
    , m_options(options)
    , m_limiter(options.requestsPerSecond)
    , m_network(new QNetworkAccessManager(this))
    , m_userAgent(QByteArrayLiteral("BeaconAdmin/" BEACON_VERSION " (Beacon Admin; Qt ") + qVersion() + ')')
{
    // A redirect would carry the Authorization header somewhere the endpoint policy never checked.
    m_network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

StripeClient::~StripeClient()
{
    // The calls abort their replies before the network manager that owns them goes.
    const auto calls = findChildren<StripeCall *>(Qt::FindDirectChildrenOnly);
    qDeleteAll(calls);
}

StripeCall *StripeClient::get(const QString &path, const StripeParams &params, const QString &whatWeWereDoing)
{
    return makeCall(StripeCall::Method::Get, path, params, {}, whatWeWereDoing);
}

StripeCall *StripeClient::post(const QString &path, const StripeParams &params, const QString &idempotencyKey,
                               const QString &whatWeWereDoing)
{
    const QString key =
        idempotencyKey.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : idempotencyKey;
    return makeCall(StripeCall::Method::Post, path, params, key, whatWeWereDoing);
}

StripeCall *StripeClient::list(const QString &path, const StripeParams &params,
                               const QString &whatWeWereDoing)
{
    return makeCall(StripeCall::Method::List, path, params, {}, whatWeWereDoing);
}

StripeCall *StripeClient::makeCall(StripeCall::Method method, const QString &path, const StripeParams &params,
                                   const QString &idempotencyKey, const QString &whatWeWereDoing)
{
    auto *call = new StripeCall(this, method, path, params, idempotencyKey, whatWeWereDoing);
    QMetaObject::invokeMethod(call, &StripeCall::start, Qt::QueuedConnection);
    return call;
}

} // namespace beacon::billing
