#pragma once

#include "db/dberror.h"

#include <QUrl>

#include <optional>

namespace beacon::billing {

// Where the Stripe API is: Stripe's own by default, or a compatible server given by the profile,
// --stripe-api-base or BEACON_STRIPE_API_BASE. Plain http is accepted only for a loopback host, where nothing
// on the network can read the key; everything else is https, and its certificate is always verified.
class StripeEndpoint {
public:
    static StripeEndpoint stripe(); // https://api.stripe.com
    static std::optional<StripeEndpoint> parse(const QString &text, DbError *error = nullptr);
    // BEACON_STRIPE_API_BASE when set, otherwise Stripe's own.
    static std::optional<StripeEndpoint> fromEnvironment(DbError *error = nullptr);
    // The one order beaconctl and the console share: the address given (--stripe-api-base, or a connection
    // profile's) when there is one, else fromEnvironment().
    static std::optional<StripeEndpoint> resolve(const QString &given, DbError *error = nullptr);

    QUrl baseUrl() const { return m_base; }
    bool isStripe() const;
    bool isEncrypted() const { return m_base.scheme() == QLatin1String("https"); }
    // The base with the path (for example "/v1/customers") appended to its own path.
    QUrl urlFor(const QString &path) const;

private:
    explicit StripeEndpoint(QUrl base)
        : m_base(std::move(base))
    {}
    QUrl m_base;
};

// 127.0.0.0/8, ::1 and "localhost".
bool isLoopbackHost(const QString &host);

} // namespace beacon::billing
