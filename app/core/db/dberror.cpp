#include "db/dberror.h"

#include "db/connectionprobe.h"

#include <QCoreApplication>
#include <QSqlError>

namespace beacon {

int exitCodeFor(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::None:
        return 0;
    case ErrorKind::Internal:
        return 1;
    case ErrorKind::Usage:
        return 2;
    case ErrorKind::Refused:
        return 3;
    case ErrorKind::Busy:
        return 4;
    case ErrorKind::Conflict:
        return 5;
    case ErrorKind::Denied:
        return 6;
    case ErrorKind::Unavailable:
        return 7;
    }
    return 1;
}

QString kindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::None:
        return QStringLiteral("ok");
    case ErrorKind::Internal:
        return QStringLiteral("error");
    case ErrorKind::Usage:
        return QStringLiteral("usage");
    case ErrorKind::Refused:
        return QStringLiteral("refused");
    case ErrorKind::Busy:
        return QStringLiteral("busy");
    case ErrorKind::Conflict:
        return QStringLiteral("conflict");
    case ErrorKind::Denied:
        return QStringLiteral("denied");
    case ErrorKind::Unavailable:
        return QStringLiteral("unavailable");
    }
    return QStringLiteral("error");
}

bool DbError::isRetryable() const
{
    return sqlState == QLatin1String("40P01") || sqlState == QLatin1String("40001");
}

QString DbError::fullText() const
{
    QString text = message;
    if (!sqlState.isEmpty())
        text += QStringLiteral(" [SQLSTATE %1]").arg(sqlState);
    if (!details.isEmpty())
        text += QStringLiteral("\n") + details.trimmed();
    return text;
}

DbError DbError::make(ErrorKind kind, const QString &message, const QString &details)
{
    DbError error;
    error.kind = kind;
    error.message = message;
    error.details = details;
    return error;
}

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::DbError", text);
}

DbError DbError::fromSql(const QSqlError &sqlError, const QString &whatWeWereDoing)
{
    DbError error;
    error.sqlState = sqlError.nativeErrorCode();
    error.details = sqlError.databaseText().trimmed();
    if (error.details.isEmpty())
        error.details = sqlError.driverText().trimmed();
    const QString &state = error.sqlState;
    const QString prefix = whatWeWereDoing.isEmpty() ? QString() : whatWeWereDoing + QStringLiteral(": ");

    if (sqlError.type() == QSqlError::ConnectionError || state.startsWith(QLatin1String("08")) ||
        state == QLatin1String("57P01") || state == QLatin1String("57P02") ||
        state == QLatin1String("57P03")) {
        error.kind = ErrorKind::Unavailable;
        error.message =
            prefix + tr("the connection to the database was lost, so it is not known whether the "
                        "change was saved. Reconnect and look at the record before trying again.");
    } else if (state == QLatin1String("55P03")) {
        error.kind = ErrorKind::Busy;
        error.message = prefix + tr("someone else is changing the same record right now. Wait a moment and "
                                    "try again.");
    } else if (state == QLatin1String("40P01") || state == QLatin1String("40001")) {
        error.kind = ErrorKind::Busy;
        error.message =
            prefix + tr("the change collided with another one running at the same time. Try again.");
    } else if (state == QLatin1String("42501")) {
        error.kind = ErrorKind::Denied;
        error.message = prefix + tr("your database login is not allowed to do this. Ask an administrator for "
                                    "the role that grants it.");
    } else if (state == QLatin1String("57014")) {
        error.kind = ErrorKind::Busy;
        error.message = prefix + tr("the database stopped the work because it took too long or was "
                                    "cancelled. Try again, or narrow what you asked for.");
    } else if (state == QLatin1String("BE001")) {
        error.kind = ErrorKind::Refused;
        error.message = prefix + tr("the workspace's team is full for its plan. Remove a member or move the "
                                    "workspace to a bigger plan first.");
    } else if (state == QLatin1String("BE003")) {
        error.kind = ErrorKind::Refused;
        error.message = prefix + tr("the database saved nothing, because the change was not recorded in the "
                                    "audit log in the same transaction. Make the change through Beacon Admin "
                                    "or beaconctl, which record it.");
    } else if (state.startsWith(QLatin1String("23")) || state.startsWith(QLatin1String("22"))) {
        error.kind = ErrorKind::Refused;
        error.message = prefix + tr("the database refused the change because it breaks one of its rules. The "
                                    "details say which.");
    } else {
        error.kind = ErrorKind::Internal;
        error.message = prefix + tr("the database reported an unexpected error. Copy the details and send "
                                    "them to the Beacon Admin team.");
    }
    return error;
}

// "user@host:port/db" → "host", for words about the host name alone.
static QString hostOf(const QString &target)
{
    QString host = target.section(QLatin1Char('@'), 1).section(QLatin1Char('/'), 0, 0);
    const qsizetype colon = host.lastIndexOf(QLatin1Char(':'));
    if (colon > 0 && !host.endsWith(QLatin1Char(']')))
        host.truncate(colon);
    return host;
}

DbError DbError::fromConnectionFailure(const ConnectionFailure &failure, const QString &target)
{
    using Reach = ConnectionFailure::Reach;
    DbError error;
    error.details = failure.driverText;
    error.sqlState = failure.sqlState;
    const QString &state = failure.sqlState;
    // The role check (miscinit.c) refuses an unknown login with 28000, as pg_hba.conf does; only the server
    // routine that refused tells them apart. With password authentication an unknown login is a 28P01.
    const bool noSuchRole = failure.serverFunction == QLatin1String("InitializeSessionUserId");

    if (state == QLatin1String("28P01") || (state.isEmpty() && failure.needsPassword)) {
        error.kind = ErrorKind::Denied;
        error.message = tr("The database at %1 did not accept the user name and password. Check them in the "
                           "connection profile, or ask an administrator to reset the password.")
                            .arg(target);
    } else if (state == QLatin1String("3D000")) {
        error.kind = ErrorKind::Usage;
        error.message = tr("The server at %1 is running but has no database of that name. Check the database "
                           "name in the connection profile.")
                            .arg(target);
    } else if (state == QLatin1String("28000") && noSuchRole) {
        error.kind = ErrorKind::Denied;
        error.message = tr("The server at %1 has no login of that name. Check the user name in the "
                           "connection profile.")
                            .arg(target);
    } else if (state == QLatin1String("28000") && failure.tlsWouldBeAccepted) {
        error.kind = ErrorKind::Denied;
        error.message =
            tr("The server at %1 only accepts encrypted (TLS) connections. Set the TLS mode of the "
               "profile to \"require\" or stricter.")
                .arg(target);
    } else if (state.startsWith(QLatin1String("28"))) {
        error.kind = ErrorKind::Denied;
        error.message = tr("The server at %1 does not accept logins from this computer with these settings. "
                           "Ask the server's administrator to allow it.")
                            .arg(target);
    } else if (state == QLatin1String("53300")) {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("The server at %1 has no free connection left. Try again in a minute; if it keeps "
                           "happening, ask the server's administrator.")
                            .arg(target);
    } else if (state == QLatin1String("57P03")) {
        error.kind = ErrorKind::Unavailable;
        error.message =
            tr("The server at %1 is starting or stopping. Wait a minute and try again.").arg(target);
    } else if (!state.isEmpty()) {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("Could not connect to the database at %1. The details say why.").arg(target);
    } else if (failure.failedDuringTls && failure.reach == Reach::ServerAnswered &&
               !failure.serverOffersTls) {
        error.kind = ErrorKind::Unavailable;
        error.message =
            tr("The profile requires an encrypted (TLS) connection, but the server at %1 does not "
               "offer one. Ask the server's administrator, or lower the TLS mode only if the "
               "network is trusted.")
                .arg(target);
    } else if (failure.hostNameMismatch) {
        error.kind = ErrorKind::Unavailable;
        error.message =
            tr("The server's certificate does not match the host name \"%1\": a CA you trust signed it, but "
               "for another name. Connect with the host name the certificate was made for (often the "
               "server's full DNS name), or ask the server's administrator for a certificate that names "
               "\"%1\". Lowering the TLS mode would let another server pose as this one.")
                .arg(hostOf(target));
    } else if (failure.certificateNotTrusted) {
        error.kind = ErrorKind::Unavailable;
        error.message =
            tr("The certificate of the server at %1 is not signed by the CA that this connection trusts (the "
               "profile's CA file, or ~/.postgresql/root.crt when none is set). Choose the CA file that "
               "signed the server's certificate; the server's administrator can give it to you.")
                .arg(target);
    } else if (failure.failedDuringTls) {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("The encrypted (TLS) connection to %1 could not be set up. Check the TLS mode and "
                           "the server's certificate.")
                            .arg(target);
    } else if (failure.reach == Reach::HostNotFound) {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("No database server answered at %1: the host name is not known. Check the host "
                           "name and your network or VPN.")
                            .arg(target);
    } else if (failure.reach == Reach::NothingListening) {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("No database server answered at %1. Check that the server is running and that the "
                           "host and port are right.")
                            .arg(target);
    } else if (failure.reach == Reach::NoAnswer) {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("The server at %1 did not answer in time. Check the host name and your network or "
                           "VPN, then try again.")
                            .arg(target);
    } else {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("Could not connect to the database at %1. The details say why.").arg(target);
    }
    return error;
}

} // namespace beacon
