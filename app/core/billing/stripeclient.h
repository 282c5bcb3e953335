#pragma once

#include "billing/stripecall.h"
#include "billing/stripeendpoint.h"
#include "billing/stripeform.h"
#include "billing/stripekey.h"
#include "billing/stripepolicy.h"

#include <QObject>

class QNetworkAccessManager;

namespace beacon::billing {

// The version of Stripe's API that the console is written against (tests/stripe/stripe-api-subset.json):
// every request pins it, so that an account upgrade on Stripe's side cannot change the answers under us.
inline constexpr char stripeApiVersion[] = "2023-08-16";

// An asynchronous Stripe API client. It lives on the thread that creates it, has no thread of its own and
// never blocks: each call returns a StripeCall at once, and its finished() signal comes from that thread's
// event loop. It pins the API version, sends Stripe's form encoding, paces all its calls under one rate
// limit, retries what is safe to retry (a POST always with the same Idempotency-Key), and maps failures into
// DbError. The key appears only in the Authorization header; never in an error, a detail or a log line.
class StripeClient : public QObject {
    Q_OBJECT
public:
    StripeClient(StripeKey key, StripeEndpoint endpoint, StripeClientOptions options = {},
                 QObject *parent = nullptr);
    ~StripeClient() override;

    // path is Stripe's, for example "/v1/customers/cus_123": "/v1/" then letters, digits, "_", "-", "." and
    // "/" only, so that an id can never add a query or climb out of the API. A malformed path or
    // idempotency key ends the call with a usage error, without a request.
    // whatWeWereDoing starts every error message ("Loading the subscription"); it may be empty.
    //
    // The returned call is a child of the client. It starts when control returns to the event loop, so
    // connect to it first; delete it (deleteLater) when done with it, which also cancels it.
    StripeCall *get(const QString &path, const StripeParams &params = {},
                    const QString &whatWeWereDoing = {});
    // The same idempotencyKey goes with every retry; without one, a random UUID is made for this call. Give
    // one derived from the action id so that a rerun after a crash is replayed by Stripe, not repeated.
    StripeCall *post(const QString &path, const StripeParams &params, const QString &idempotencyKey = {},
                     const QString &whatWeWereDoing = {});
    // Pages through a list endpoint with starting_after until has_more is false, emitting pageReceived() per
    // page; items() then holds every item. Give "limit" in params (Stripe's maximum is 100) to page faster.
    StripeCall *list(const QString &path, const StripeParams &params = {},
                     const QString &whatWeWereDoing = {});

    const StripeEndpoint &endpoint() const { return m_endpoint; }
    const StripeClientOptions &options() const { return m_options; }
    bool isTestMode() const { return m_key.isTest(); }
    QString redactedKey() const { return m_key.redacted(); }

private:
    friend class StripeCall;
    StripeCall *makeCall(StripeCall::Method method, const QString &path, const StripeParams &params,
                         const QString &idempotencyKey, const QString &whatWeWereDoing);

    StripeKey m_key;
    StripeEndpoint m_endpoint;
    StripeClientOptions m_options;
    RateLimiter m_limiter;
    QNetworkAccessManager *m_network = nullptr;
    QByteArray m_userAgent;
};

} // namespace beacon::billing
