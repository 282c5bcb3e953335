#pragma once

#include "db/dberror.h"

#include <QByteArray>
#include <QString>

namespace beacon::billing {

// Stripe's error object, as sent in the body of every failed response.
struct StripeApiError {
    QString type; // api_error, card_error, idempotency_error, invalid_request_error
    QString code; // for example resource_missing, lock_timeout, parameter_missing
    QString declineCode;
    QString message; // Stripe's own words, English
    QString param;

    // Empty fields when the body is not Stripe's error object (a proxy's HTML page, for example).
    static StripeApiError fromBody(const QByteArray &body);
};

// One mapping from a Stripe answer to the project's error vocabulary, so that beaconctl's exit codes and the
// GUI's presentation are the same as for database errors. The message says what happened and what to do;
// the details keep Stripe's own text, type, code, param, the HTTP status and the request id for support.
// A read (GET) changes nothing, so a failure of one says so instead of pointing at the action id.
enum class StripeRequestEffect { Changes, ReadsOnly };
DbError stripeErrorFromResponse(int httpStatus, const QByteArray &body, const QString &requestId,
                                const QString &whatWeWereDoing,
                                StripeRequestEffect effect = StripeRequestEffect::Changes);

// How a request ended without a usable answer from Stripe.
enum class StripeTransportFailure {
    Network,         // refused, reset, host not found, TLS failure: the network's own words are in details
    Tls,             // the TLS handshake failed, most often a certificate that could not be verified
    ConnectTimeout,  // no connection within the connect timeout
    TransferTimeout, // connected, but Stripe sent nothing for the transfer timeout
    BadResponse,     // a 2xx whose body is not the JSON Stripe sends
};
DbError stripeTransportError(StripeTransportFailure failure, const QString &whatWeWereDoing,
                             const QString &host, int timeoutMs, const QString &networkText,
                             const QString &requestId = {},
                             StripeRequestEffect effect = StripeRequestEffect::Changes);

} // namespace beacon::billing
