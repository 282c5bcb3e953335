#include "billing/stripeerror.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

namespace beacon::billing {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::billing::StripeError", text);
}

StripeApiError StripeApiError::fromBody(const QByteArray &body)
{
    StripeApiError error;
    const QJsonObject object =
        QJsonDocument::fromJson(body).object().value(QLatin1String("error")).toObject();
    error.type = object.value(QLatin1String("type")).toString();
    error.code = object.value(QLatin1String("code")).toString();
    error.declineCode = object.value(QLatin1String("decline_code")).toString();
    error.message = object.value(QLatin1String("message")).toString();
    error.param = object.value(QLatin1String("param")).toString();
    return error;
}

static QString detailsFor(int httpStatus, const StripeApiError &api, const QString &requestId)
{
    QStringList lines;
    if (!api.message.isEmpty())
        lines << QStringLiteral("Stripe: %1").arg(api.message);
    QStringList fields;
    const std::pair<const char *, QString> named[] = {
        {"type", api.type}, {"code", api.code}, {"decline_code", api.declineCode}, {"param", api.param}};
    for (const auto &[name, value] : named) {
        if (!value.isEmpty())
            fields << QStringLiteral("%1: %2").arg(QLatin1String(name), value);
    }
    if (!fields.isEmpty())
        lines << fields.join(QStringLiteral(", "));
    if (httpStatus > 0)
        lines << QStringLiteral("HTTP status: %1").arg(httpStatus);
    if (!requestId.isEmpty())
        lines << QStringLiteral("Request-Id: %1").arg(requestId);
    return lines.join(u'\n');
}

DbError stripeErrorFromResponse(int httpStatus, const QByteArray &body, const QString &requestId,
                                const QString &whatWeWereDoing, StripeRequestEffect effect)
{
    const StripeApiError api = StripeApiError::fromBody(body);
    const QString prefix = whatWeWereDoing.isEmpty() ? QString() : whatWeWereDoing + QStringLiteral(": ");
    const QString said = api.message.isEmpty() ? QString() : QStringLiteral(" (\"%1\")").arg(api.message);
    DbError error;
    error.details = detailsFor(httpStatus, api, requestId);

    if (api.type == QLatin1String("idempotency_error")) {
        error.kind = ErrorKind::Conflict;
        error.message = prefix + tr("Stripe has already seen this action id with different parameters, so it "
                                    "did nothing. Start the change again as a new action (a new action id).");
    } else if (api.code == QLatin1String("lock_timeout") || httpStatus == 429) {
        error.kind = ErrorKind::Busy;
        error.message = httpStatus == 429
                            ? prefix + tr("Stripe is limiting how fast this account may send requests, and "
                                          "kept doing so after several tries. Wait a minute and try again.")
                            : prefix + tr("someone else is changing the same Stripe object right now. Wait a "
                                          "moment and try again with the same action id.");
    } else if (httpStatus == 401) {
        error.kind = ErrorKind::Denied;
        error.message =
            prefix + tr("Stripe did not accept the API key. Check that it is the account's current "
                        "key (it may have been rolled) in the Stripe Dashboard, under Developers "
                        "▸ API keys.");
    } else if (httpStatus == 403) {
        error.kind = ErrorKind::Denied;
        error.message = prefix + tr("the Stripe key may not do this. A restricted key (rk_…) needs the "
                                    "permission for it: ask an administrator of the Stripe account.");
    } else if (httpStatus == 402 || api.type == QLatin1String("card_error")) {
        error.kind = ErrorKind::Refused;
        error.message = prefix + tr("Stripe refused the payment%1. The customer must update their payment "
                                    "method before this can go through.")
                                     .arg(said);
    } else if (httpStatus == 404) {
        error.kind = ErrorKind::Refused;
        error.message = prefix + tr("Stripe does not know the object asked for%1. Check the id, and that the "
                                    "key belongs to the same Stripe account and mode (test or live).")
                                     .arg(said);
    } else if (httpStatus == 409) {
        error.kind = ErrorKind::Busy;
        error.message = prefix + tr("Stripe reported a conflicting request on the same object. Wait a moment "
                                    "and try again with the same action id.");
    } else if (httpStatus >= 500) {
        error.kind = ErrorKind::Unavailable;
        error.message =
            effect == StripeRequestEffect::ReadsOnly
                ? prefix + tr("Stripe had a problem on its side and did not answer after several tries. "
                              "Nothing was changed, as this only reads. Try again in a few minutes.")
                : prefix + tr("Stripe had a problem on its side and did not answer after several tries, "
                              "so it is not known whether the change was made. Try again later with the "
                              "same action id, which is safe.");
    } else if (httpStatus == 400 &&
               (!api.param.isEmpty() || api.code.startsWith(QLatin1String("parameter_")))) {
        error.kind = ErrorKind::Usage;
        error.message =
            prefix + tr("Stripe refused a value in the request%1. Check the value; if it came from "
                        "the console itself, send the details to the Beacon Admin team.")
                         .arg(said);
    } else if (httpStatus == 400) {
        error.kind = ErrorKind::Refused;
        error.message = prefix + tr("Stripe refused the request%1.").arg(said);
    } else {
        error.kind = ErrorKind::Internal;
        error.message =
            prefix + tr("Stripe gave an unexpected answer (HTTP %1). Copy the details and send them "
                        "to the Beacon Admin team.")
                         .arg(httpStatus);
    }
    return error;
}

DbError stripeTransportError(StripeTransportFailure failure, const QString &whatWeWereDoing,
                             const QString &host, int timeoutMs, const QString &networkText,
                             const QString &requestId, StripeRequestEffect effect)
{
    const bool reads = effect == StripeRequestEffect::ReadsOnly;
    const QString prefix = whatWeWereDoing.isEmpty() ? QString() : whatWeWereDoing + QStringLiteral(": ");
    const QString seconds = QString::number(timeoutMs / 1000.0, 'g', 3);
    QStringList details;
    if (!networkText.isEmpty())
        details << networkText;
    if (!requestId.isEmpty())
        details << QStringLiteral("Request-Id: %1").arg(requestId);
    DbError error;
    error.details = details.join(u'\n');
    switch (failure) {
    case StripeTransportFailure::Network:
        error.kind = ErrorKind::Unavailable;
        error.message =
            reads ? prefix +
                        tr("Stripe at %1 could not be reached. Check your network, then try again.").arg(host)
                  : prefix + tr("Stripe at %1 could not be reached, so it is not known whether a change "
                                "was made. Check your network, then try again with the same action id, "
                                "which is safe.")
                                 .arg(host);
        break;
    case StripeTransportFailure::Tls:
        error.kind = ErrorKind::Unavailable;
        error.message =
            prefix + tr("the encrypted connection to %1 could not be set up, most often because its "
                        "certificate could not be verified, so nothing was sent. Check the Stripe "
                        "API address, and any proxy or firewall that inspects TLS.")
                         .arg(host);
        break;
    case StripeTransportFailure::ConnectTimeout:
        error.kind = ErrorKind::Unavailable;
        error.message = prefix + tr("no connection to Stripe at %1 could be made within %2 s. Check your "
                                    "network or proxy, then try again.")
                                     .arg(host, seconds);
        break;
    case StripeTransportFailure::TransferTimeout:
        error.kind = ErrorKind::Unavailable;
        error.message =
            reads
                ? prefix +
                      tr("Stripe at %1 did not answer within %2 s. Try again in a moment.").arg(host, seconds)
                : prefix + tr("Stripe at %1 did not answer within %2 s, so it is not known whether a "
                              "change was made. Try again with the same action id, which is safe.")
                               .arg(host, seconds);
        break;
    case StripeTransportFailure::BadResponse:
        error.kind = ErrorKind::Internal;
        error.message =
            prefix + tr("the answer from %1 is not what Stripe sends. Check the Stripe API address; "
                        "if it is right, send the details to the Beacon Admin team.")
                         .arg(host);
        break;
    }
    return error;
}

} // namespace beacon::billing
