#pragma once

#include <QString>

#include <optional>

namespace beacon {

// Where and how to connect. Built from a postgresql:// URI, from libpq's PG* environment variables, or from a
// GUI profile. An empty password lets libpq read ~/.pgpass, as psql does.
struct ConnectionSpec {
    QString host; // a host name, or an absolute path to a unix socket folder
    int port = 5432;
    QString database;
    QString user;
    QString password;
    QString sslMode = QStringLiteral("prefer");
    int connectTimeoutSeconds = 10; // always set, so that an unreachable server fails instead of hanging
    QString applicationName = QStringLiteral("beacon-admin");

    // Accepts postgresql://user[:password]@host[:port]/dbname?sslmode=…&connect_timeout=…&host=/socket/dir
    // and the postgres:// spelling. Returns nothing, with the reason in *error, when the text is not a URI.
    static std::optional<ConnectionSpec> fromUri(const QString &uri, QString *error);
    // The PG* variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE, PGCONNECT_TIMEOUT)
    // with libpq's defaults where one is unset.
    static ConnectionSpec fromEnvironment();

    // The URI without the password, safe for logs, the status bar and error messages.
    QString displayUri() const;
    // "user@host:port/db" for messages.
    QString target() const;
    bool isUnixSocket() const { return host.startsWith(QLatin1Char('/')); }
    // QPSQL's connect options (libpq keywords), never including the password.
    QString driverOptions() const;

    static bool isValidSslMode(const QString &mode);
};

} // namespace beacon
