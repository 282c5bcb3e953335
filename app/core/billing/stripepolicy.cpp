#include "billing/stripepolicy.h"

#include <algorithm>
#include <cmath>

namespace beacon::billing {

bool shouldRetryStripe(int httpStatus, std::optional<bool> stripeShouldRetry, const QString &stripeErrorType)
{
    if (httpStatus >= 400 && httpStatus <= 404)
        return false;
    if (stripeShouldRetry)
        return *stripeShouldRetry;
    if (stripeErrorType == QLatin1String("idempotency_error"))
        return false;
    return httpStatus == 0 || httpStatus == 409 || httpStatus == 429 || httpStatus >= 500;
}

std::chrono::milliseconds stripeBackoff(int retry, const StripeClientOptions &options, double jitter)
{
    const double initial = double(options.initialBackoff.count());
    const double cap = double(std::max(options.maxBackoff, options.initialBackoff).count());
    const double full = std::min(cap, initial * std::pow(2.0, std::max(0, retry - 1)));
    const double drawn = full * (0.5 + 0.5 * std::clamp(jitter, 0.0, 1.0));
    return std::chrono::milliseconds(qint64(std::llround(drawn)));
}

RateLimiter::RateLimiter(double requestsPerSecond)
{
    m_clock.start();
    if (requestsPerSecond > 0)
        m_intervalNs = qint64(std::llround(1e9 / requestsPerSecond));
}

qint64 RateLimiter::reserveSlot(qint64 earliestNs)
{
    qint64 slot = earliestNs;
    if (m_lastSlotNs)
        slot = std::max(slot, *m_lastSlotNs + m_intervalNs);
    m_lastSlotNs = slot;
    return slot;
}

} // namespace beacon::billing
