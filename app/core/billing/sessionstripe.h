#pragma once

#include "billing/stripeaccess.h"
#include "db/dberror.h"

#include <optional>

namespace beacon {
struct ConnectionProfile;
}

namespace beacon::billing {

// The Stripe a console session bills through, and where it came from. A session without one still browses
// and changes the database; only billing is off.
struct SessionStripe {
    enum class Source {
        None,            // the profile keeps no Stripe key, or the session came from --db
        Profile,         // a saved connection profile's key and address
        LocalTestServer, // the demo's Stripe on this machine
    };
    Source source = Source::None;
    // Both the key and the endpoint, or neither.
    StripeAccess access;
    // Why the profile's Stripe is not used: a live key on a profile not marked production, an address the
    // loopback rule refuses, a key the keychain could not hand over. In words that show the key redacted at
    // most; `access` is then empty.
    DbError problem;

    bool isUsable() const { return access.isComplete(); }
};

// The Stripe of `profile`, given the key read from the keychain (nothing when the profile keeps none, or
// when `keyProblem` says why it could not be had). A live key is taken only on a profile marked production
// (checkStripeKeyForProfile()); the address is the profile's, else BEACON_STRIPE_API_BASE, else Stripe's
// own: beaconctl's order, with the profile in the place of --stripe-api-base.
SessionStripe stripeForProfile(const ConnectionProfile &profile, const std::optional<StripeKey> &key,
                               const DbError &keyProblem = {});

} // namespace beacon::billing
