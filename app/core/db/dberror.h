#pragma once

#include <QSqlError>
#include <QString>

namespace beacon {

struct ConnectionFailure;

// What kind of failure a person met. Each kind has one exit code in beaconctl's contract and one way the
// GUI presents it, so every caller classifies through this enum instead of looking at SQLSTATEs itself.
enum class ErrorKind {
    None,
    Internal,    // a bug or an unexpected server answer
    Usage,       // malformed input from the person or the script
    Refused,     // a precondition on the data said no
    Busy,        // a lock was not obtained in time
    Conflict,    // the row changed since it was read
    Denied,      // the login role lacks a privilege
    Unavailable, // the server cannot be reached, or the connection was lost: the outcome is unknown
};

// The exit codes are beaconctl's contract: scripts and runbooks depend on them.
int exitCodeFor(ErrorKind kind);
QString kindName(ErrorKind kind);

// An error as a value: words for a person (what happened and what to do), and the server's own text and
// SQLSTATE kept apart for support to copy.
struct DbError {
    ErrorKind kind = ErrorKind::None;
    QString message; // what happened and what to do, in plain words
    QString sqlState;
    QString details; // the server's or driver's own text

    bool isError() const { return kind != ErrorKind::None; }
    explicit operator bool() const { return isError(); }
    int exitCode() const { return exitCodeFor(kind); }
    // Deadlocks and serialization failures succeed when the whole transaction is tried again.
    bool isRetryable() const;
    // The message with the SQLSTATE and server text appended, for logs and the CLI's stderr.
    QString fullText() const;

    static DbError make(ErrorKind kind, const QString &message, const QString &details = {});
    // One mapping from a failed query or connection to words a support person understands.
    static DbError fromSql(const QSqlError &error, const QString &whatWeWereDoing);
    // A failed connection, classified by the server's SQLSTATE and by what libpq and the network tell without
    // words (probeConnectionFailure()), never by libpq's text, which is translated. The driver's text stays
    // in the details.
    static DbError fromConnectionFailure(const ConnectionFailure &failure, const QString &target);
};

} // namespace beacon
