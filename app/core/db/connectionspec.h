#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>
#include <utility>

namespace beacon {

// Where and how to connect. Built from a postgresql:// URI or a key=value conninfo string (both parsed by
// libpq itself), from libpq's defaults and PG* environment variables, or from a GUI profile. An empty
// password lets libpq read ~/.pgpass, as psql does.
struct ConnectionSpec {
    // A host name, an absolute path to a unix socket folder, or empty: libpq's default, which is its
    // compiled-in socket folder (/var/run/postgresql on Debian) on Unix and localhost on Windows.
    QString host;
    int port = 5432;
    QString database;
    QString user;
    QString password;
    QString sslMode = QStringLiteral("prefer");
    // TLS files and checks, passed to libpq under its keywords of the same names (sslrootcert, sslcert,
    // sslkey, sslcrl, channel_binding, require_auth). Empty leaves libpq's default: ~/.postgresql/root.crt
    // and so on.
    QString sslRootCert;
    QString sslCert;
    QString sslKey;
    QString sslCrl;
    QString channelBinding; // disable, prefer or require
    QString requireAuth;    // libpq 16 and newer; refused with words on an older libpq
    // A profile marked production: over TCP its TLS mode must be require or stricter (problem()).
    bool production = false;
    // The server ends a session left idle inside a transaction this long (0: never), so that a client stopped
    // or cut off in the middle of an action lets go of its row locks. 30 s unless
    // BEACON_IDLE_IN_TRANSACTION_TIMEOUT gives other whole seconds.
    int idleInTransactionTimeoutSeconds = defaultIdleInTransactionTimeoutSeconds();
    int connectTimeoutSeconds = 10; // always set, so that an unreachable server fails instead of hanging
    QString applicationName = QStringLiteral("beacon-admin");

    // TCP keepalives, on both ends of a TCP session: a first probe after this long without traffic, then one
    // every interval, and the peer is taken for gone after count unanswered ones (about a minute in all).
    static constexpr int KeepaliveIdleSeconds = 30;
    static constexpr int KeepaliveIntervalSeconds = 10;
    static constexpr int KeepaliveCount = 3;
    static constexpr int DefaultIdleInTransactionTimeoutSeconds = 30;
    static int defaultIdleInTransactionTimeoutSeconds();

    // Accepts what libpq accepts (PQconninfoParse): postgresql://user[:password]@host[:port]/dbname?sslmode=…
    // (also postgres://, a percent-encoded socket folder as host, or ?host=/socket/dir), and the key=value
    // form "host=… dbname=…". What it leaves out comes from fromEnvironment(), as in libpq. Returns nothing,
    // with the reason in *error, when libpq cannot parse the text or it sets an option ConnectionSpec cannot
    // carry (target_session_attrs, …), a port, TLS mode or connect_timeout that is out of range, or a
    // password: one on a command line is readable by every user of the computer (ps) and stays in the
    // shell's history, so it belongs in PGPASSWORD, ~/.pgpass or the keychain. No message quotes a password.
    static std::optional<ConnectionSpec> fromUri(const QString &uri, QString *error);
    // libpq's defaults (PQconndefaults) as psql would use them: the PG* variables (PGHOST, PGPORT,
    // PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGCONNECT_TIMEOUT, PGAPPNAME), a PGSERVICE entry, and
    // otherwise no host (the default unix socket), port 5432, the account's name as the user and as the
    // database. connect_timeout stays 10 s unless PGCONNECT_TIMEOUT says otherwise.
    static ConnectionSpec fromEnvironment();

    // The URI without the password, safe for logs, the status bar and error messages.
    QString displayUri() const;
    // "user@host:port/db" for messages; "user@[local socket]/db" when no host is given.
    QString target() const;
    // A socket folder, or no host at all (libpq's default socket; on Windows, no host means localhost).
    bool isUnixSocket() const;
    // QPSQL's connect options (libpq keywords), never including the password.
    QString driverOptions() const;
    // The libpq keywords and values behind driverOptions(): everything but the host, port, database, user and
    // password, which QPSQL passes itself. TCP keepalives only for a TCP host.
    QList<std::pair<QByteArray, QByteArray>> libpqOptions() const;
    // Why this must not be used to connect, in words that say what to change; empty when it may be. The
    // same checks for a typed URI, a profile from the settings file, and the connect dialog: a known TLS mode
    // and channel_binding, require_auth only where libpq has it, a production profile's TLS mode over TCP,
    // and files QPSQL can pass on.
    QString problem() const;
    // For a TCP host, what a TLS mode below verify-full leaves unchecked, in words; empty otherwise.
    QString tlsWarning() const;

    static bool isValidSslMode(const QString &mode);
    // Whether the installed libpq knows a connection keyword (PQconndefaults()), e.g. require_auth.
    static bool libpqSupports(const char *keyword);
};

} // namespace beacon
