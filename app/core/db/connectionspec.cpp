#include "db/connectionspec.h"

#include "db/localuser.h"

#include <QCoreApplication>
#include <QFileInfo>
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
            if (strict)
                return fail(tr("The database address contains a password. A password on the command line can "
                               "be read by anyone on this computer who lists its processes, and stays in the "
                               "shell's history. Remove it from the address and put it in the PGPASSWORD "
                               "variable or in ~/.pgpass (in the console: a profile, whose password is kept "
                               "in the system keychain)."));
        } else if (key == QLatin1String("sslrootcert")) {
            spec.sslRootCert = value;
        } else if (key == QLatin1String("sslcert")) {
            spec.sslCert = value;
        } else if (key == QLatin1String("sslkey")) {
            spec.sslKey = value;
        } else if (key == QLatin1String("sslcrl")) {
            spec.sslCrl = value;
        } else if (key == QLatin1String("channel_binding")) {
            spec.channelBinding = value;
        } else if (key == QLatin1String("require_auth")) {
            spec.requireAuth = value;
        } else if (strict) {
            return fail(
                tr("The database address has an option this program does not know: \"%1\".").arg(key));
        }
    }
    // The checks a profile gets too (a bad channel_binding, a path QPSQL cannot pass on, …).
    if (strict) {
        if (const QString problem = spec.problem(); !problem.isEmpty())
            return fail(problem);
    }
    return true;
}

// Passwords in a database address as a person may have typed it, parseable or not: the URI's user
// information ("user:secret@", with or without a scheme), a "password=" query parameter, and the key=value
// form's password (quoted or not). Each as written and as libpq decodes it.
QStringList passwordsIn(const QString &text)
{
    QStringList secrets;
    static const QRegularExpression userInfo(
        QStringLiteral("^\\s*(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^\\s@/?:=]*:([^\\s@/?]*)@"));
    static const QRegularExpression query(QStringLiteral("[?&]password=([^&\\s]*)"));
    static const QRegularExpression keyValue(
        QStringLiteral("(?:^|\\s)password\\s*=\\s*('(?:[^'\\\\]|\\\\.)*'?|\\S*)"));
    for (const QRegularExpression *pattern : {&userInfo, &query, &keyValue}) {
        for (const QRegularExpressionMatch &match : pattern->globalMatch(text)) {
            const QString written = match.captured(1);
            QString unquoted = written;
            if (unquoted.startsWith(QLatin1Char('\''))) {
                unquoted = unquoted.mid(1);
                if (unquoted.endsWith(QLatin1Char('\'')))
                    unquoted.chop(1);
                unquoted.replace(QStringLiteral("\\'"), QStringLiteral("'"));
                unquoted.replace(QStringLiteral("\\\\"), QStringLiteral("\\"));
            }
            for (const QString &secret : {written, unquoted, QUrl::fromPercentEncoding(written.toUtf8())}) {
                if (!secret.isEmpty() && secret != QLatin1String("''") && !secrets.contains(secret))
                    secrets.append(secret);
            }
        }
    }
    // Longest first, so that a password is never half replaced by a shorter one inside it.
    std::sort(secrets.begin(), secrets.end(),
              [](const QString &a, const QString &b) { return a.size() > b.size(); });
    return secrets;
}

QString withoutPasswords(QString text, const QStringList &secrets)
{
    for (const QString &secret : secrets)
        text.replace(secret, QStringLiteral("…"));
    return text;
}

// A libpq conninfo value: quoted when it holds a space, a quote or a backslash.
QByteArray conninfoValue(const QByteArray &value)
{
    if (!value.isEmpty() && !value.contains(' ') && !value.contains('\'') && !value.contains('\\'))
        return value;
    QByteArray quoted = value;
    quoted.replace("\\", "\\\\");
    quoted.replace("'", "\\'");
    return '\'' + quoted + '\'';
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
    // libpq reads a C string: everything after a NUL would be dropped silently, so such text is refused.
    if (uri.contains(QChar(0))) {
        if (error)
            *error = tr("The database address contains a NUL character, which cannot be part of an address. "
                        "Type the address again.");
        return std::nullopt;
    }
    char *parseError = nullptr;
    const ConninfoOptions parsed(PQconninfoParse(uri.trimmed().toUtf8().constData(), &parseError),
                                 &PQconninfoFree);
    if (!parsed) {
        // libpq's reason quotes the text it could not read; a password in it, or in the address, must not
        // reach a log or the screen, whatever form the address has.
        const QStringList secrets = passwordsIn(uri);
        const QString reason =
            withoutPasswords(parseError ? QString::fromUtf8(parseError).trimmed() : QString(), secrets);
        PQfreemem(parseError);
        const QUrl url(uri.trimmed());
        // Only a URI is quoted back, without its password. Any other text may be the key=value form, whose
        // passwords a reader of its own might miss, so it is not repeated at all.
        const bool isUri = url.isValid() && !url.scheme().isEmpty();
        const QString passwordHint =
            secrets.isEmpty() ? QString()
                              : QLatin1Char(' ') + tr("Leave the password out of the address: put it in the "
                                                      "PGPASSWORD variable or in ~/.pgpass.");
        if (error && uri.contains(QLatin1String("require_auth")) && !libpqSupports("require_auth"))
            *error =
                tr("require_auth is not supported by the installed libpq (version %1); it needs libpq 16 "
                   "or newer. Remove it from the address, or install a newer libpq.")
                    .arg(PQlibVersion() / 10000);
        else if (error && isUri)
            *error = tr("\"%1\" is not a database address (%2). Write it as "
                        "postgresql://user@host:port/database?sslmode=require, or as "
                        "host=… dbname=… user=….")
                         .arg(withoutPasswords(url.toString(QUrl::RemovePassword), secrets), reason) +
                     passwordHint;
        else if (error)
            *error = tr("The text given is not a database address (%1). Write it as "
                        "postgresql://user@host:port/database?sslmode=require, or as "
                        "host=… dbname=… user=….")
                         .arg(reason) +
                     passwordHint;
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

QList<std::pair<QByteArray, QByteArray>> ConnectionSpec::libpqOptions() const
{
    // The application name is free text from a URI or PGAPPNAME; kept to a safe alphabet, it can never
    // carry another option in.
    QString safeName = applicationName;
    safeName.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
    QList<std::pair<QByteArray, QByteArray>> options = {
        {"sslmode", sslMode.toUtf8()},
        {"connect_timeout", QByteArray::number(connectTimeoutSeconds)},
        {"application_name", safeName.toUtf8()},
    };
    const std::pair<const char *, const QString *> optional[] = {
        {"sslrootcert", &sslRootCert},
        {"sslcert", &sslCert},
        {"sslkey", &sslKey},
        {"sslcrl", &sslCrl},
        {"channel_binding", &channelBinding},
        {"require_auth", &requireAuth},
    };
    for (const auto &[keyword, value] : optional) {
        if (!value->isEmpty())
            options.emplaceBack(keyword, value->toUtf8());
    }
    if (!isUnixSocket()) {
        options.emplaceBack("keepalives", "1");
        options.emplaceBack("keepalives_idle", QByteArray::number(KeepaliveIdleSeconds));
        options.emplaceBack("keepalives_interval", QByteArray::number(KeepaliveIntervalSeconds));
        options.emplaceBack("keepalives_count", QByteArray::number(KeepaliveCount));
    }
    return options;
}

QString ConnectionSpec::driverOptions() const
{
    // QPSQL turns every ';' into a space and appends the result to libpq's conninfo, so values are quoted
    // as conninfo wants them, and problem() refuses a path with a ';'.
    QStringList parts;
    for (const auto &[keyword, value] : libpqOptions())
        parts.append(QString::fromUtf8(keyword + '=' + conninfoValue(value)));
    return parts.join(QLatin1Char(';'));
}

bool ConnectionSpec::libpqSupports(const char *keyword)
{
    const ConninfoOptions defaults(PQconndefaults(), &PQconninfoFree);
    for (const PQconninfoOption *option = defaults.get(); option && option->keyword; ++option) {
        if (qstrcmp(option->keyword, keyword) == 0)
            return true;
    }
    return false;
}

int ConnectionSpec::defaultIdleInTransactionTimeoutSeconds()
{
    static const int seconds = [] {
        const QString text = qEnvironmentVariable("BEACON_IDLE_IN_TRANSACTION_TIMEOUT").trimmed();
        if (text.isEmpty())
            return DefaultIdleInTransactionTimeoutSeconds;
        bool ok = false;
        const int value = text.toInt(&ok);
        if (ok && value >= 0 && value <= 24 * 3600)
            return value;
        qWarning("BEACON_IDLE_IN_TRANSACTION_TIMEOUT must be whole seconds from 0 (never) to 86400; \"%s\" "
                 "was ignored and %d s is used.",
                 qPrintable(text), DefaultIdleInTransactionTimeoutSeconds);
        return DefaultIdleInTransactionTimeoutSeconds;
    }();
    return seconds;
}

QString ConnectionSpec::problem() const
{
    if (!isValidSslMode(sslMode))
        return tr("The TLS mode \"%1\" is unknown. Use disable, allow, prefer, require, verify-ca or "
                  "verify-full.")
            .arg(sslMode);
    static const QStringList bindings = {QStringLiteral("disable"), QStringLiteral("prefer"),
                                         QStringLiteral("require")};
    if (!channelBinding.isEmpty() && !bindings.contains(channelBinding))
        return tr("channel_binding \"%1\" is unknown. Use disable, prefer or require.").arg(channelBinding);
    if (!requireAuth.isEmpty() && !libpqSupports("require_auth"))
        return tr("require_auth is not supported by the installed libpq (version %1); it needs libpq 16 or "
                  "newer. Remove it, or install a newer libpq.")
            .arg(PQlibVersion() / 10000);
    // A unix socket never leaves this computer and cannot carry TLS at all, so the rule is for TCP hosts.
    static const QStringList weakModes = {QStringLiteral("disable"), QStringLiteral("allow"),
                                          QStringLiteral("prefer")};
    if (production && !isUnixSocket() && weakModes.contains(sslMode))
        return tr("This profile is marked production, so its connection must be encrypted: the TLS mode "
                  "\"%1\" would allow an unencrypted one. Choose verify-full with the server's CA file (or "
                  "at least require) in the profile.")
            .arg(sslMode);
    const std::pair<const char *, const QString *> files[] = {
        {"sslrootcert", &sslRootCert}, {"sslcert", &sslCert}, {"sslkey", &sslKey}, {"sslcrl", &sslCrl}};
    for (const auto &[keyword, path] : files) {
        if (path->contains(QLatin1Char(';')))
            return tr("The %1 file \"%2\" has a ';' in its path, which the database driver cannot pass on. "
                      "Move or link the file to a path without one.")
                .arg(QLatin1String(keyword), *path);
    }
    if (!sslRootCert.isEmpty() && sslRootCert != QLatin1String("system") &&
        !QFileInfo(sslRootCert).isReadable())
        return tr("The CA file \"%1\" does not exist or cannot be read. Choose the file with the certificate "
                  "of the CA that signed the server's certificate.")
            .arg(sslRootCert);
    return {};
}

QString ConnectionSpec::tlsWarning() const
{
    if (isUnixSocket() || sslMode == QLatin1String("verify-full"))
        return {};
    if (sslMode == QLatin1String("verify-ca"))
        return tr("TLS mode verify-ca checks that a trusted CA signed the server's certificate, but not that "
                  "it was made for %1: any server with a certificate from that CA could pose as this one.")
            .arg(host);
    if (sslMode == QLatin1String("require"))
        return tr("TLS mode require encrypts the connection but does not check the server's certificate: a "
                  "machine on the way could pose as %1 and read everything. Choose the server's CA file and "
                  "verify-full to check it.")
            .arg(host);
    return tr("TLS mode %1 may connect without encryption, and never checks the server's certificate: "
              "passwords and data may cross the network readable. Choose verify-full with the server's CA "
              "file.")
        .arg(sslMode);
}

} // namespace beacon
