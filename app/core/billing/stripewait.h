#pragma once

#include "billing/stripecall.h"
#include "db/dberror.h"

namespace beacon::billing {

// Runs a local event loop until `call` has finished, and returns its error. For code that may block while
// Stripe answers: beaconctl, beacon-bench, and admin actions running on a worker thread. Never the GUI
// thread.
DbError waitForCall(StripeCall *call);

} // namespace beacon::billing
