#include "db/connectionspec.h"

#include "db/localuser.h"

#include <QCoreApplication>
#include <QHash>
#include <QRegularExpression>
#include <QUrl>

#include <libpq-fe.h>

#include <memory>

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::ConnectionSpec", text);
}

namespace {

using ConninfoOptions = std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)>;

// The keywords a ConnectionSpec carries. libpq knows many more (sslrootcert, target_session_attrs, …); a URI
// that sets one of those is refused, because QPSQL would never pass it on and the person would not get what
// they asked for. When they come from the environment, libpq applies them itself at connect time.
enum class Source { Defaults, Explicit };

// The keywords with a value, from libpq's option array. A null value means "not given".
QHash<QString, QString> valuesOf(const PQconninfoOption *options)
{
    QHash<QString, QString> values;
    for (const PQconninfoOption *option = options; option && option->keyword; ++option) {
        if (option->val)
            values.insert(QString::fromUtf8(option->keyword), QString::fromUtf8(option->val));
    }
    return values;
}

bool apply(ConnectionSpec &spec, const QHash<QString, QString> &values, Source source, QString *error)
{
    const bool strict = source == Source::Explicit;
    auto fail = [error](const QString &reason) {
        if (error)
            *error = reason;
        return false;
    };
    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        const QString &key = it.key();
        const QString &value = it.value();
        if (key == QLatin1String("host")) {
            spec.host = value;
        } else if (key == QLatin1String("port")) {
            bool ok = false;
            const int port = value.toInt(&ok);
            if (ok && port > 0 && port <= 65535)
                spec.port = port;
            else if (strict)
                return fail(tr("The port \"%1\" in the database address is not a number from 1 to 65535.")
                                .arg(value));
        } else if (key == QLatin1String("sslmode")) {
            if (ConnectionSpec::isValidSslMode(value))
                spec.sslMode = value;
            else if (strict)
                return fail(tr("The TLS mode \"%1\" is unknown. Use disable, allow, prefer, require, "
                               "verify-ca or verify-full.")
                                .arg(value));
        } else if (key == QLatin1String("connect_timeout")) {
            bool ok = false;
            const int seconds = value.toInt(&ok);
            // libpq takes 0 as "wait forever"; we never do, so an unreachable server fails instead of
            // hanging.
            if (ok && seconds >= 1)
                spec.connectTimeoutSeconds = seconds;
            else if (strict)
                return fail(tr("connect_timeout must be a whole number of seconds, 1 or more."));
        } else if (key == QLatin1String("application_name")) {
            spec.applicationName = value;
        } else if (key == QLatin1String("dbname")) {
            spec.database = value;
        } else if (key == QLatin1String("user")) {
            spec.user = value;
        } else if (key == QLatin1String("password")) {
            spec.password = value;
        } else if (strict) {
            return fail(
                tr("The database address has an option this program does not know: \"%1\".").arg(key));
        }
    }
    return true;
}

// libpq's defaults as psql sees them: the PG* variables, a service file, and the compiled-in values. No host
// means libpq's default unix socket folder; the login defaults to the operating-system account.
ConnectionSpec defaultSpec()
{
    ConnectionSpec spec;
    const ConninfoOptions defaults(PQconndefaults(), &PQconninfoFree);
    if (defaults)
        apply(spec, valuesOf(defaults.get()), Source::Defaults, nullptr);
    if (spec.user.isEmpty())
        spec.user = localUserName();
    return spec;
}

// libpq's own rule: without a database name, the database is named after the user.
void defaultDatabaseToUser(ConnectionSpec &spec)
{
    if (spec.database.isEmpty())
        spec.database = spec.user;
}

} // namespace

bool ConnectionSpec::isValidSslMode(const QString &mode)
{
    static const QStringList modes = {QStringLiteral("disable"),   QStringLiteral("allow"),
                                      QStringLiteral("prefer"),    QStringLiteral("require"),
                                      QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    return modes.contains(mode);
}

std::optional<ConnectionSpec> ConnectionSpec::fromUri(const QString &uri, QString *error)
{
    char *parseError = nullptr;
    const ConninfoOptions parsed(PQconninfoParse(uri.trimmed().toUtf8().constData(), &parseError),
                                 &PQconninfoFree);
    if (!parsed) {
        // libpq's reason may quote the text; a password in it must not reach a log or the screen.
        QString reason = parseError ? QString::fromUtf8(parseError).trimmed() : QString();
        PQfreemem(parseError);
        const QUrl url(uri.trimmed());
        const QString password = url.password();
        if (!password.isEmpty())
            reason.replace(password, QStringLiteral("…"));
        // Only a URI is quoted back, without its password. Any other text may be the key=value form, whose
        // password=… QUrl cannot find, so it is not repeated at all.
        const bool isUri = url.isValid() && !url.scheme().isEmpty();
        if (error && isUri)
            *error = tr("\"%1\" is not a database address (%2). Write it as "
                        "postgresql://user@host:port/database?sslmode=require, or as "
                        "host=… dbname=… user=….")
                         .arg(url.toString(QUrl::RemovePassword), reason);
        else if (error)
            *error = tr("The text given is not a database address (%1). Write it as "
                        "postgresql://user@host:port/database?sslmode=require, or as "
                        "host=… dbname=… user=….")
                         .arg(reason);
        return std::nullopt;
    }
    ConnectionSpec spec = defaultSpec();
    if (!apply(spec, valuesOf(parsed.get()), Source::Explicit, error))
        return std::nullopt;
    defaultDatabaseToUser(spec);
    return spec;
}

ConnectionSpec ConnectionSpec::fromEnvironment()
{
    ConnectionSpec spec = defaultSpec();
    defaultDatabaseToUser(spec);
    return spec;
}

bool ConnectionSpec::isUnixSocket() const
{
#ifdef Q_OS_WIN
    // libpq on Windows goes to localhost over TCP when no host is given.
    return host.startsWith(QLatin1Char('/'));
#else
    return host.isEmpty() || host.startsWith(QLatin1Char('/'));
#endif
}

QString ConnectionSpec::displayUri() const
{
    // Written out by hand rather than through QUrl: libpq's empty host ("postgresql://ann@/beacon", the
    // default socket) is not something QUrl will print.
    auto encoded = [](const QString &text, const QByteArray &keep = {}) {
        return QString::fromLatin1(QUrl::toPercentEncoding(text, keep));
    };
    QString uri = QStringLiteral("postgresql://") + encoded(user) + QLatin1Char('@');
    QStringList query;
    if (!isUnixSocket()) {
        // Brackets only for an IPv6 literal, which libpq reads inside them as is; any other host is
        // percent-encoded, so that a ':' or ']' in it cannot end the host early (tests/fuzz found one).
        static const QRegularExpression ipv6Literal(QStringLiteral("^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$"));
        uri +=
            ipv6Literal.match(host).hasMatch() ? QLatin1Char('[') + host + QLatin1Char(']') : encoded(host);
        uri += QLatin1Char(':') + QString::number(port);
    } else {
        if (!host.isEmpty())
            query << QStringLiteral("host=") + encoded(host, "/");
        if (port != 5432)
            query << QStringLiteral("port=") + QString::number(port);
    }
    uri += QLatin1Char('/') + encoded(database);
    query << QStringLiteral("sslmode=") + encoded(sslMode);
    return uri + QLatin1Char('?') + query.join(QLatin1Char('&'));
}

QString ConnectionSpec::target() const
{
    QString where;
    if (host.isEmpty())
        where = port == 5432 ? tr("[local socket]") : tr("[local socket, port %1]").arg(port);
    else if (isUnixSocket())
        where = host;
    else
        where = QStringLiteral("%1:%2").arg(host).arg(port);
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
