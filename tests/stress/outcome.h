#pragma once

// What one beaconctl run of an action came to, read from its exit code and its --json object as the README
// documents them (0 applied or already applied, 3 refused, 4 busy, 5 conflict, 6 denied, 7 unavailable).
// Anything that does not fit the contract is a problem, worded for the test's report.

#include <QString>
#include <QUuid>

namespace beacon::stress {

enum class Outcome {
    Applied,  // exit 0: applied now, or already by an earlier run of this id
    Refused,  // exit 3 (and exit 2, which is also a problem: the driver made a malformed command)
    Busy,     // exit 4
    Conflict, // exit 5
    Denied,   // exit 6
    Unknown,  // exit 7, killed, hung, or an internal error: rerun with the same id to learn the outcome
};

// Whether an action with this outcome has, by the contract, exactly one audit row (else none).
inline bool isApplied(Outcome outcome)
{
    return outcome == Outcome::Applied;
}

struct RunResult {
    Outcome outcome = Outcome::Unknown;
    bool killed = false;         // ended by a signal (our SIGKILL)
    bool alreadyApplied = false; // exit 0 with outcome already-applied
    int exitCode = -1;
    QString problem; // empty when the run kept the contract
    QString text;    // what it printed, for the report
};

// `crashed`: the process died of a signal, so exitCode and the output mean nothing.
RunResult classify(const QUuid &actionId, bool crashed, int exitCode, const QByteArray &out,
                   const QByteArray &err);

} // namespace beacon::stress
