#pragma once

#include "billing/stripepolicy.h"

namespace beacon::test {

// The client's rules with short waits, so that a test of three retries takes milliseconds, not seconds.
inline billing::StripeClientOptions fastStripeOptions()
{
    billing::StripeClientOptions options;
    options.initialBackoff = std::chrono::milliseconds(5);
    options.maxBackoff = std::chrono::milliseconds(20);
    options.requestsPerSecond = 1000;
    options.connectTimeout = std::chrono::milliseconds(5000);
    options.transferTimeout = std::chrono::milliseconds(5000);
    return options;
}

} // namespace beacon::test
