#include "db/dberror.h"

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

DbError DbError::fromConnectionFailure(const QString &driverText, const QString &target)
{
    const QString text = driverText.trimmed();
    const QString lower = text.toLower();
    DbError error;
    error.details = text;
    auto has = [&](const char *phrase) {
        return lower.contains(QLatin1String(phrase));
    };

    if (has("password authentication failed") || has("no password supplied") ||
        has("authentication failed for user")) {
        error.kind = ErrorKind::Denied;
        error.sqlState = QStringLiteral("28P01");
        error.message = tr("The database at %1 did not accept the user name and password. Check them in the "
                           "connection profile, or ask an administrator to reset the password.")
                            .arg(target);
    } else if (has("does not exist") && has("database")) {
        error.kind = ErrorKind::Usage;
        error.sqlState = QStringLiteral("3D000");
        error.message = tr("The server at %1 is running but has no database of that name. Check the database "
                           "name in the connection profile.")
                            .arg(target);
    } else if (has("role") && has("does not exist")) {
        error.kind = ErrorKind::Denied;
        error.sqlState = QStringLiteral("28000");
        error.message = tr("The server at %1 has no login of that name. Check the user name in the "
                           "connection profile.")
                            .arg(target);
    } else if (has("server does not support ssl") || has("ssl was required")) {
        error.kind = ErrorKind::Unavailable;
        error.message =
            tr("The profile requires an encrypted (TLS) connection, but the server at %1 does not "
               "offer one. Ask the server's administrator, or lower the TLS mode only if the "
               "network is trusted.")
                .arg(target);
    } else if (has("no encryption") || has("ssl off") || has("hostssl")) {
        error.kind = ErrorKind::Denied;
        error.sqlState = QStringLiteral("28000");
        error.message =
            tr("The server at %1 only accepts encrypted (TLS) connections. Set the TLS mode of the "
               "profile to \"require\" or stricter.")
                .arg(target);
    } else if (has("pg_hba.conf")) {
        error.kind = ErrorKind::Denied;
        error.sqlState = QStringLiteral("28000");
        error.message = tr("The server at %1 does not accept logins from this computer with these settings. "
                           "Ask the server's administrator to allow it.")
                            .arg(target);
    } else if (has("certificate") || has("ssl")) {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("The encrypted (TLS) connection to %1 could not be set up. Check the TLS mode and "
                           "the server's certificate.")
                            .arg(target);
    } else if (has("timeout expired") || has("timed out")) {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("The server at %1 did not answer in time. Check the host name and your network or "
                           "VPN, then try again.")
                            .arg(target);
    } else if (has("starting up") || has("shutting down") || has("in recovery")) {
        error.kind = ErrorKind::Unavailable;
        error.sqlState = QStringLiteral("57P03");
        error.message =
            tr("The server at %1 is starting or stopping. Wait a minute and try again.").arg(target);
    } else if (has("could not connect") || has("connection refused") || has("no such file or directory") ||
               has("could not translate host name") || has("connection to server")) {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("No database server answered at %1. Check that the server is running and that the "
                           "host and port are right.")
                            .arg(target);
    } else {
        error.kind = ErrorKind::Unavailable;
        error.message = tr("Could not connect to the database at %1. The details say why.").arg(target);
    }
    return error;
}

} // namespace beacon
