#pragma once

#include "db/connectionspec.h"

#include <QSettings>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace beacon {

// A saved connection as the connect dialog shows it. The password and the Stripe key are never part of it:
// they live in the operating system's keychain, under secretKey() and stripeKeySecretKey().
struct ConnectionProfile {
    QString name;
    QString host = QStringLiteral("localhost");
    int port = 5432;
    QString database = QStringLiteral("beacon");
    QString user;
    // New profiles default to require, and to verify-full once a CA file is set or the profile is marked
    // production (the connect dialog does that); ConnectionSpec::problem() refuses what production forbids.
    QString sslMode = QStringLiteral("require");
    QString sslRootCert; // the CA file that signed the server's certificate; empty: libpq's default
    QString sslCert;     // a client certificate and its key, for servers that ask for one
    QString sslKey;
    QString sslCrl;
    QString channelBinding;
    QString requireAuth;
    bool production = false;
    bool rememberPassword = false;
    // Whether a Stripe key is kept in the keychain for this profile; without one, billing is off.
    bool hasStripeKey = false;
    // Stripe's API address for this profile; empty means BEACON_STRIPE_API_BASE, else Stripe's own.
    QString stripeApiBase;

    ConnectionSpec spec(const QString &password) const;
    // The TLS mode a profile has when none is written: verify-full with a CA file or when production.
    static QString defaultSslMode(bool production, const QString &sslRootCert);
    QString secretKey() const { return QStringLiteral("profile/") + name; }
    // Its own prefix, so that no profile name can make it another profile's password entry.
    QString stripeKeySecretKey() const { return QStringLiteral("stripe-key/") + name; }
    bool operator==(const ConnectionProfile &) const = default;
};

// Profiles kept in the application's one settings file (QSettings, under QStandardPaths' locations).
class ProfileStore {
public:
    // Uses the application's settings file (settingsFilePath()) unless a file is given (tests give a
    // temporary one).
    explicit ProfileStore(const QString &settingsFile = {});
    ~ProfileStore();

    QStringList names() const;
    std::optional<ConnectionProfile> profile(const QString &name) const;
    void save(const ConnectionProfile &profile);
    void remove(const QString &name);
    QString lastUsed() const;
    void setLastUsed(const QString &name);
    // Where the settings are written, so that a test can read the file back.
    QString fileName() const;

private:
    QList<ConnectionProfile> allExcept(const QString &name) const;
    void writeAll(QList<ConnectionProfile> profiles);
    std::unique_ptr<QSettings> m_settings;
};

} // namespace beacon
