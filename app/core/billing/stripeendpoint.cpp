#include "billing/stripeendpoint.h"

#include <QCoreApplication>
#include <QHostAddress>

namespace beacon::billing {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::billing::StripeEndpoint", text);
}

StripeEndpoint StripeEndpoint::stripe()
{
    return StripeEndpoint(QUrl(QStringLiteral("https://api.stripe.com")));
}

bool isLoopbackHost(const QString &host)
{
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

std::optional<StripeEndpoint> StripeEndpoint::parse(const QString &text, DbError *error)
{
    auto refuse = [&](const QString &message) -> std::optional<StripeEndpoint> {
        if (error)
            *error = DbError::make(ErrorKind::Usage, message);
        return std::nullopt;
    };
    const QString trimmed = text.trimmed();
    QUrl url(trimmed, QUrl::StrictMode);
    if (trimmed.isEmpty() || !url.isValid() || url.host().isEmpty())
        return refuse(
            tr("\"%1\" is not a usable Stripe API address. Give one like https://api.stripe.com or, "
               "for a local test server, http://127.0.0.1:12111.")
                .arg(trimmed));
    const QString scheme = url.scheme().toLower();
    if (scheme != QLatin1String("https") && scheme != QLatin1String("http"))
        return refuse(
            tr("The Stripe API address %1 must start with https:// (or http:// for a test server on "
               "this computer).")
                .arg(trimmed));
    if (scheme == QLatin1String("http") && !isLoopbackHost(url.host()))
        return refuse(
            tr("The Stripe API address %1 uses plain http to another computer, where anyone on the "
               "network could read the API key. Use https://, or http:// only with 127.0.0.1, ::1 or "
               "localhost.")
                .arg(trimmed));
    if (!url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment())
        return refuse(
            tr("The Stripe API address %1 must be only a scheme, host, port and path, without a user "
               "name, query or fragment.")
                .arg(url.toDisplayString(QUrl::RemoveUserInfo)));
    QString path = url.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path);
    url.setScheme(scheme);
    return StripeEndpoint(url);
}

std::optional<StripeEndpoint> StripeEndpoint::fromEnvironment(DbError *error)
{
    const QByteArray value = qgetenv("BEACON_STRIPE_API_BASE");
    if (value.isEmpty())
        return stripe();
    DbError parseError;
    auto endpoint = parse(QString::fromUtf8(value), &parseError);
    if (!endpoint && error)
        *error = DbError::make(parseError.kind, tr("In BEACON_STRIPE_API_BASE: %1").arg(parseError.message));
    return endpoint;
}

std::optional<StripeEndpoint> StripeEndpoint::resolve(const QString &given, DbError *error)
{
    return given.trimmed().isEmpty() ? fromEnvironment(error) : parse(given, error);
}

bool StripeEndpoint::isStripe() const
{
    return m_base == stripe().m_base;
}

QUrl StripeEndpoint::urlFor(const QString &path) const
{
    QUrl url = m_base;
    url.setPath(m_base.path() + path);
    return url;
}

} // namespace beacon::billing
