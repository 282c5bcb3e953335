#pragma once

#include <QElapsedTimer>
#include <QString>

#include <chrono>
#include <optional>

namespace beacon::billing {

// How a StripeClient paces, retries and times out its requests. The defaults suit a reconciliation over
// thousands of customers sharing the account with Beacon's backend.
struct StripeClientOptions {
    // Retries after the first attempt, for network errors, timeouts, 409, 429 and 5xx: 4 attempts in all.
    int maxRetries = 3;
    // Exponential backoff: the n-th retry waits initialBackoff * 2^(n-1), capped at maxBackoff, of which a
    // random part (between half and all of it) is taken so that many clients do not retry in step.
    std::chrono::milliseconds initialBackoff{500};
    std::chrono::milliseconds maxBackoff{8000};
    // Below Stripe's limit in test mode (25 per second), which is shared with the backend. Every attempt,
    // retries included, takes a slot; calls beyond the rate wait in line rather than fail.
    double requestsPerSecond = 20.0;
    // Until the request is on the wire, connection and TLS handshake included. Qt has no connect timeout of
    // its own, so the client keeps one.
    std::chrono::milliseconds connectTimeout{10000};
    // Longest silence while waiting for or reading an answer (QNetworkRequest::setTransferTimeout).
    std::chrono::milliseconds transferTimeout{30000};
};

// Whether an attempt that ended this way is tried again. httpStatus is 0 when no answer came (network error
// or timeout); stripeShouldRetry is the Stripe-Should-Retry header when present. The header overrides the
// status both ways, except that 400, 401, 402, 403 and 404 are never retried: those answers cannot change on
// their own. Without the header, an idempotency_error (a key reused with other parameters) is not retried
// either: the same key and parameters would meet the same refusal.
bool shouldRetryStripe(int httpStatus, std::optional<bool> stripeShouldRetry,
                       const QString &stripeErrorType = {});

// The wait before retry number retry (1 for the first retry), for a random draw jitter in [0, 1).
std::chrono::milliseconds stripeBackoff(int retry, const StripeClientOptions &options, double jitter);

// Spaces requests evenly at no more than a given rate, across every call of one client: each request reserves
// the next free slot and waits for it, so a burst queues instead of failing.
class RateLimiter {
public:
    explicit RateLimiter(double requestsPerSecond);
    // Reserves the first slot at or after earliest (nanoseconds on this limiter's clock) and returns it.
    qint64 reserveSlot(qint64 earliestNs);
    // This limiter's monotonic clock, in nanoseconds.
    qint64 nowNs() const { return m_clock.nsecsElapsed(); }
    qint64 intervalNs() const { return m_intervalNs; }

private:
    QElapsedTimer m_clock;
    qint64 m_intervalNs = 0;
    std::optional<qint64> m_lastSlotNs;
};

} // namespace beacon::billing
