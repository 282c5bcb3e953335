#include "profiles/connectionprofile.h"

#include "settings/settingsfile.h"

namespace beacon {

ConnectionSpec ConnectionProfile::spec(const QString &password) const
{
    ConnectionSpec spec;
    spec.host = host;
    spec.port = port;
    spec.database = database;
    spec.user = user;
    spec.password = password;
    // Taken as written, even when it is not a mode: Connection::open refuses it with words, as it would a
    // typed one, rather than connecting some other way.
    spec.sslMode = sslMode;
    spec.sslRootCert = sslRootCert;
    spec.sslCert = sslCert;
    spec.sslKey = sslKey;
    spec.sslCrl = sslCrl;
    spec.channelBinding = channelBinding;
    spec.requireAuth = requireAuth;
    spec.production = production;
    spec.applicationName = QStringLiteral("beacon-admin");
    return spec;
}

QString ConnectionProfile::defaultSslMode(bool production, const QString &sslRootCert)
{
    return production || !sslRootCert.isEmpty() ? QStringLiteral("verify-full") : QStringLiteral("require");
}

ProfileStore::ProfileStore(const QString &settingsFile)
    : m_settings(std::make_unique<QSettings>(settingsFile.isEmpty() ? settingsFilePath() : settingsFile,
                                             QSettings::IniFormat))
{}

ProfileStore::~ProfileStore() = default;

// Profile names are free text; QSettings keys must not contain '/', so each profile is an array entry.
QStringList ProfileStore::names() const
{
    QStringList result;
    const int count = m_settings->beginReadArray(QStringLiteral("profiles"));
    for (int i = 0; i < count; ++i) {
        m_settings->setArrayIndex(i);
        result.append(m_settings->value(QStringLiteral("name")).toString());
    }
    m_settings->endArray();
    return result;
}

std::optional<ConnectionProfile> ProfileStore::profile(const QString &name) const
{
    std::optional<ConnectionProfile> found;
    const int count = m_settings->beginReadArray(QStringLiteral("profiles"));
    for (int i = 0; i < count && !found; ++i) {
        m_settings->setArrayIndex(i);
        if (m_settings->value(QStringLiteral("name")).toString() != name)
            continue;
        ConnectionProfile profile;
        profile.name = name;
        profile.host = m_settings->value(QStringLiteral("host"), profile.host).toString();
        profile.port = m_settings->value(QStringLiteral("port"), profile.port).toInt();
        profile.database = m_settings->value(QStringLiteral("database"), profile.database).toString();
        profile.user = m_settings->value(QStringLiteral("user")).toString();
        profile.production = m_settings->value(QStringLiteral("production"), false).toBool();
        profile.sslRootCert = m_settings->value(QStringLiteral("sslrootcert")).toString();
        profile.sslCert = m_settings->value(QStringLiteral("sslcert")).toString();
        profile.sslKey = m_settings->value(QStringLiteral("sslkey")).toString();
        profile.sslCrl = m_settings->value(QStringLiteral("sslcrl")).toString();
        profile.channelBinding = m_settings->value(QStringLiteral("channel_binding")).toString();
        profile.requireAuth = m_settings->value(QStringLiteral("require_auth")).toString();
        profile.sslMode =
            m_settings
                ->value(QStringLiteral("sslmode"),
                        ConnectionProfile::defaultSslMode(profile.production, profile.sslRootCert))
                .toString();
        profile.rememberPassword = m_settings->value(QStringLiteral("rememberPassword"), false).toBool();
        profile.hasStripeKey = m_settings->value(QStringLiteral("hasStripeKey"), false).toBool();
        profile.stripeApiBase = m_settings->value(QStringLiteral("stripeApiBase")).toString();
        found = profile;
    }
    m_settings->endArray();
    return found;
}

// Every profile but the named one, for rewriting the list.
QList<ConnectionProfile> ProfileStore::allExcept(const QString &name) const
{
    QList<ConnectionProfile> kept;
    for (const QString &existing : names()) {
        if (existing != name)
            kept.append(*profile(existing));
    }
    return kept;
}

void ProfileStore::save(const ConnectionProfile &profile)
{
    QList<ConnectionProfile> profiles = allExcept(profile.name);
    profiles.append(profile);
    writeAll(profiles);
}

void ProfileStore::remove(const QString &name)
{
    writeAll(allExcept(name));
    if (lastUsed() == name) {
        m_settings->remove(QStringLiteral("lastProfile"));
        m_settings->sync();
    }
}

void ProfileStore::writeAll(QList<ConnectionProfile> profiles)
{
    std::sort(profiles.begin(), profiles.end(),
              [](const auto &a, const auto &b) { return a.name.localeAwareCompare(b.name) < 0; });
    m_settings->remove(QStringLiteral("profiles"));
    m_settings->beginWriteArray(QStringLiteral("profiles"), int(profiles.size()));
    for (int i = 0; i < profiles.size(); ++i) {
        const ConnectionProfile &entry = profiles.at(i);
        m_settings->setArrayIndex(i);
        m_settings->setValue(QStringLiteral("name"), entry.name);
        m_settings->setValue(QStringLiteral("host"), entry.host);
        m_settings->setValue(QStringLiteral("port"), entry.port);
        m_settings->setValue(QStringLiteral("database"), entry.database);
        m_settings->setValue(QStringLiteral("user"), entry.user);
        m_settings->setValue(QStringLiteral("sslmode"), entry.sslMode);
        // Written only when set, so that a file without TLS files stays as it was.
        const std::pair<const char *, const QString *> optional[] = {
            {"sslrootcert", &entry.sslRootCert},
            {"sslcert", &entry.sslCert},
            {"sslkey", &entry.sslKey},
            {"sslcrl", &entry.sslCrl},
            {"channel_binding", &entry.channelBinding},
            {"require_auth", &entry.requireAuth}};
        for (const auto &[key, value] : optional) {
            if (!value->isEmpty())
                m_settings->setValue(QLatin1String(key), *value);
        }
        m_settings->setValue(QStringLiteral("production"), entry.production);
        m_settings->setValue(QStringLiteral("rememberPassword"), entry.rememberPassword);
        m_settings->setValue(QStringLiteral("hasStripeKey"), entry.hasStripeKey);
        m_settings->setValue(QStringLiteral("stripeApiBase"), entry.stripeApiBase);
    }
    m_settings->endArray();
    m_settings->sync();
}

QString ProfileStore::lastUsed() const
{
    return m_settings->value(QStringLiteral("lastProfile")).toString();
}

void ProfileStore::setLastUsed(const QString &name)
{
    m_settings->setValue(QStringLiteral("lastProfile"), name);
    m_settings->sync();
}

QString ProfileStore::fileName() const
{
    return m_settings->fileName();
}

} // namespace beacon
