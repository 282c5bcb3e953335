#pragma once

#include <QString>

#include <optional>

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
    int connectTimeoutSeconds = 10; // always set, so that an unreachable server fails instead of hanging
    QString applicationName = QStringLiteral("beacon-admin");

    // Accepts what libpq accepts (PQconninfoParse): postgresql://user[:password]@host[:port]/dbname?sslmode=…
    // (also postgres://, a percent-encoded socket folder as host, or ?host=/socket/dir), and the key=value
    // form "host=… dbname=…". What it leaves out comes from fromEnvironment(), as in libpq. Returns nothing,
    // with the reason in *error, when libpq cannot parse the text or it sets an option ConnectionSpec cannot
    // carry (sslrootcert, …), or a port, TLS mode or connect_timeout that is out of range.
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

    static bool isValidSslMode(const QString &mode);
};

} // namespace beacon
