#pragma once

#include "billing/stripeendpoint.h"
#include "billing/stripekey.h"
#include "billing/stripepolicy.h"

#include <optional>

namespace beacon::billing {

// What a StripeClient is made from: whose key, which address, and its rules. beaconctl fills it from its
// options and the environment; the console from the demo's server or from a connection profile
// (SessionStripe).
struct StripeAccess {
    std::optional<StripeKey> key;
    std::optional<StripeEndpoint> endpoint;
    // beaconctl keeps the defaults; beacon-bench raises the rate limit to see the cost without it.
    StripeClientOptions clientOptions;

    bool isComplete() const { return key.has_value() && endpoint.has_value(); }
};

} // namespace beacon::billing
