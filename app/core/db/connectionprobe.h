#pragma once

#include "db/connectionspec.h"

#include <QString>

namespace beacon {

// What is known about a failed connection without reading libpq's words, which libpq (and the server) send
// in the user's language: a German desktop gets "Verbindung … fehlgeschlagen", a server with lc_messages=de
// sends "Passwort-Authentifizierung … fehlgeschlagen".
struct ConnectionFailure {
    enum class Reach {
        Unknown,
        HostNotFound,     // the host name does not resolve
        NothingListening, // refused, or no socket file in the folder
        NoAnswer,         // nothing answered before the timeout
        ServerAnswered,   // a server is there; what went wrong is in the fields below
    };

    QString driverText;              // the driver's own text (QPSQL's), kept for the details
    QString sqlState;                // the server's SQLSTATE, when it got as far as refusing the login
    QString serverFunction;          // the server routine that refused (to tell 28000's cases apart)
    bool needsPassword = false;      // the server asked for a password and none was given
    bool failedDuringTls = false;    // it failed while TLS was being set up
    bool serverOffersTls = false;    // answered "S" to an SSLRequest (asked only when TLS failed)
    bool tlsWouldBeAccepted = false; // a 28000 went away with sslmode=require (asked only for disable)
    // verify-full failed during TLS, and verify-ca got past it: the certificate is from the trusted CA but
    // not made for this host name.
    bool hostNameMismatch = false;
    // verify-ca or verify-full failed during TLS, and require got past it: the server's certificate is not
    // signed by a CA this side trusts.
    bool certificateNotTrusted = false;
    Reach reach = Reach::Unknown;
};

// Runs the failed connection again with libpq itself, and looks at the network, to learn what failed in
// terms that do not depend on language. Blocks for up to min(connect timeout, 5 s) per attempt: call it
// where Connection::open runs, never on the GUI thread.
ConnectionFailure probeConnectionFailure(const ConnectionSpec &spec, const QString &driverText);

} // namespace beacon
