#include "db/connectionspec.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <QUrl>
#include <QUrlQuery>

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::ConnectionSpec", text);
}

static QString localUserName()
{
    QString name = qEnvironmentVariable("USER");
    if (name.isEmpty())
        name = qEnvironmentVariable("USERNAME");
    return name;
}

bool ConnectionSpec::isValidSslMode(const QString &mode)
{
    static const QStringList modes = {QStringLiteral("disable"),   QStringLiteral("allow"),
                                      QStringLiteral("prefer"),    QStringLiteral("require"),
                                      QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    return modes.contains(mode);
}

std::optional<ConnectionSpec> ConnectionSpec::fromUri(const QString &uri, QString *error)
{
    // libpq accepts a socket folder as a percent-encoded host (postgresql://user@%2Frun%2Fpg/db), which QUrl
    // rejects as a host name; lift it out before parsing and put it back afterwards.
    static const QRegularExpression encodedSocketHost(
        QStringLiteral("^(postgres(?:ql)?://(?:[^@/?]*@)?)(%2[Ff][^/:?]*)"));
    QString text = uri;
    QString socketHost;
    if (const auto match = encodedSocketHost.match(uri); match.hasMatch()) {
        socketHost = QUrl::fromPercentEncoding(match.captured(2).toUtf8());
        text = match.captured(1) + uri.mid(match.capturedEnd(2));
    }
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() ||
        (url.scheme() != QLatin1String("postgresql") && url.scheme() != QLatin1String("postgres"))) {
        if (error)
            *error = tr("\"%1\" is not a database address. Write it as "
                        "postgresql://user@host:port/database?sslmode=require.")
                         .arg(QUrl(uri).toString(QUrl::RemovePassword));
        return std::nullopt;
    }
    ConnectionSpec spec = fromEnvironment();
    if (!socketHost.isEmpty())
        spec.host = socketHost;
    else if (!url.host().isEmpty())
        spec.host = url.host();
    if (url.port() > 0)
        spec.port = url.port();
    if (!url.userName().isEmpty())
        spec.user = url.userName();
    if (!url.password().isEmpty())
        spec.password = url.password();
    const QString path = url.path(QUrl::FullyDecoded);
    if (path.size() > 1)
        spec.database = path.mid(1);
    else if (!url.userName().isEmpty() && qEnvironmentVariable("PGDATABASE").isEmpty())
        spec.database = spec.user;

    const QUrlQuery query(url);
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (key == QLatin1String("host")) {
            spec.host = value;
        } else if (key == QLatin1String("port")) {
            bool ok = false;
            spec.port = value.toInt(&ok);
            if (!ok || spec.port <= 0 || spec.port > 65535) {
                if (error)
                    *error = tr("The port \"%1\" in the database address is not a number from 1 to 65535.")
                                 .arg(value);
                return std::nullopt;
            }
        } else if (key == QLatin1String("sslmode")) {
            if (!isValidSslMode(value)) {
                if (error)
                    *error = tr("The TLS mode \"%1\" is unknown. Use disable, allow, prefer, require, "
                                "verify-ca or verify-full.")
                                 .arg(value);
                return std::nullopt;
            }
            spec.sslMode = value;
        } else if (key == QLatin1String("connect_timeout")) {
            bool ok = false;
            const int seconds = value.toInt(&ok);
            if (!ok || seconds < 1) {
                if (error)
                    *error = tr("connect_timeout must be a whole number of seconds, 1 or more.");
                return std::nullopt;
            }
            spec.connectTimeoutSeconds = seconds;
        } else if (key == QLatin1String("application_name")) {
            spec.applicationName = value;
        } else if (key == QLatin1String("dbname")) {
            spec.database = value;
        } else if (key == QLatin1String("user")) {
            spec.user = value;
        } else {
            if (error)
                *error =
                    tr("The database address has an option this program does not know: \"%1\".").arg(key);
            return std::nullopt;
        }
    }
    return spec;
}

ConnectionSpec ConnectionSpec::fromEnvironment()
{
    ConnectionSpec spec;
    spec.host = qEnvironmentVariable("PGHOST", QStringLiteral("localhost"));
    bool ok = false;
    const int port = qEnvironmentVariable("PGPORT").toInt(&ok);
    if (ok && port > 0)
        spec.port = port;
    spec.user = qEnvironmentVariable("PGUSER", localUserName());
    spec.database = qEnvironmentVariable("PGDATABASE", spec.user);
    spec.password = qEnvironmentVariable("PGPASSWORD");
    const QString sslMode = qEnvironmentVariable("PGSSLMODE");
    if (isValidSslMode(sslMode))
        spec.sslMode = sslMode;
    const int timeout = qEnvironmentVariable("PGCONNECT_TIMEOUT").toInt(&ok);
    if (ok && timeout > 0)
        spec.connectTimeoutSeconds = timeout;
    return spec;
}

QString ConnectionSpec::displayUri() const
{
    QUrl url;
    url.setScheme(QStringLiteral("postgresql"));
    url.setUserName(user);
    QUrlQuery query;
    if (isUnixSocket()) {
        query.addQueryItem(QStringLiteral("host"), host);
    } else {
        url.setHost(host);
        url.setPort(port);
    }
    url.setPath(QLatin1Char('/') + database);
    if (isUnixSocket() && port != 5432)
        query.addQueryItem(QStringLiteral("port"), QString::number(port));
    query.addQueryItem(QStringLiteral("sslmode"), sslMode);
    url.setQuery(query);
    return url.toString(QUrl::RemovePassword);
}

QString ConnectionSpec::target() const
{
    const QString where = isUnixSocket() ? host : QStringLiteral("%1:%2").arg(host).arg(port);
    return QStringLiteral("%1@%2/%3").arg(user, where, database);
}

QString ConnectionSpec::driverOptions() const
{
    // QPSQL joins these with spaces into libpq's conninfo; values here never contain spaces or quotes
    // except the application name, which we keep to a safe alphabet.
    QString safeName = applicationName;
    safeName.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
    return QStringLiteral("sslmode=%1;connect_timeout=%2;application_name=%3")
        .arg(sslMode)
        .arg(connectTimeoutSeconds)
        .arg(safeName);
}

} // namespace beacon
