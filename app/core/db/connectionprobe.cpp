#include "db/connectionprobe.h"

#include <QDeadlineTimer>
#include <QFileInfo>
#include <QHostInfo>
#include <QLocalSocket>
#include <QRegularExpression>
#include <QTcpSocket>

#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <vector>

#ifdef Q_OS_WIN
#include <winsock2.h>
#else
#include <poll.h>
#endif

namespace beacon {

namespace {

// Why a second attempt, and not QPSQL's own: QPSQL closes its PGconn when the open fails and keeps only
// PQerrorMessage(), translated. libpq has no accessor for the ErrorResponse a server sends during startup
// (PQgetResult gives nothing on a connection that never opened), and PQconnectionNeedsPassword() is the only
// structured answer that survives. But the error text's *layout* is libpq's, not the translator's: with
// PQERRORS_VERBOSE it writes "SEVERITY:  SQLSTATE: message" and ends with "LOCATION:  function, file.c:line",
// the SQLSTATE and the server's routine never translated. Verbosity must be set before the server answers,
// so the attempt is made with PQconnectStartParams and driven by PQconnectPoll, which also tells at which
// stage (TLS, or after) it failed. The cost: one more failed login in the server's log, only on failure.
struct LibpqAttempt {
    bool connected = false;
    bool timedOut = false;
    bool needsPassword = false;
    bool failedDuringTls = false;
    QString sqlState;
    QString serverFunction;
    QString hostTried; // PQhost: libpq's default socket folder when none was given
};

bool waitForSocket(int socket, bool forWriting, const QDeadlineTimer &deadline)
{
    const qint64 remaining = deadline.remainingTime();
    if (remaining == 0)
        return false;
#ifdef Q_OS_WIN
    WSAPOLLFD descriptor{};
    descriptor.fd = static_cast<SOCKET>(socket);
    descriptor.events = forWriting ? POLLWRNORM : POLLRDNORM;
    return WSAPoll(&descriptor, 1, static_cast<INT>(remaining)) > 0;
#else
    pollfd descriptor{};
    descriptor.fd = socket;
    descriptor.events = forWriting ? POLLOUT : POLLIN;
    int ready = 0;
    do {
        ready = ::poll(&descriptor, 1, static_cast<int>(deadline.remainingTime()));
    } while (ready < 0 && errno == EINTR);
    return ready > 0;
#endif
}

LibpqAttempt attemptWithLibpq(const ConnectionSpec &spec, const QString &sslMode, int timeoutMs)
{
    // The parameters QPSQL gave libpq (Connection::open): host only when one is set, so the default socket
    // folder is used the same way; and every option of driverOptions(), TLS files and keepalives included.
    std::vector<std::pair<QByteArray, QByteArray>> parameters = {
        {"port", QByteArray::number(spec.port)},
        {"dbname", spec.database.toUtf8()},
        {"user", spec.user.toUtf8()},
    };
    for (const auto &[keyword, value] : spec.libpqOptions())
        parameters.emplace_back(keyword, keyword == "sslmode" ? sslMode.toUtf8() : value);
    if (!spec.host.isEmpty())
        parameters.emplace_back("host", spec.host.toUtf8());
    if (!spec.password.isEmpty())
        parameters.emplace_back("password", spec.password.toUtf8());
    std::vector<const char *> keywords;
    std::vector<const char *> values;
    for (const auto &[keyword, value] : parameters) {
        keywords.push_back(keyword.constData());
        values.push_back(value.constData());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);

    LibpqAttempt attempt;
    const std::unique_ptr<PGconn, decltype(&PQfinish)> conn(
        PQconnectStartParams(keywords.data(), values.data(), 0), &PQfinish);
    if (!conn)
        return attempt;
    PQsetErrorVerbosity(conn.get(), PQERRORS_VERBOSE);
    const QDeadlineTimer deadline(timeoutMs);
    ConnStatusType lastStatus = PQstatus(conn.get());
    PostgresPollingStatusType polling =
        lastStatus == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
    while (polling != PGRES_POLLING_OK && polling != PGRES_POLLING_FAILED) {
        if (!waitForSocket(PQsocket(conn.get()), polling == PGRES_POLLING_WRITING, deadline)) {
            attempt.timedOut = true;
            break;
        }
        lastStatus = PQstatus(conn.get());
        polling = PQconnectPoll(conn.get());
    }
    attempt.connected = polling == PGRES_POLLING_OK;
    attempt.failedDuringTls = polling == PGRES_POLLING_FAILED && lastStatus == CONNECTION_SSL_STARTUP;
    attempt.needsPassword = PQconnectionNeedsPassword(conn.get());
    attempt.hostTried = QString::fromUtf8(PQhost(conn.get()));

    // libpq's fixed layout: "<severity>:  <SQLSTATE>: <message>" and "<LOCATION>:  <function>,
    // <file>.c:<line>". After several tries (hosts, addresses, with and without TLS) the last one is what
    // failed in the end.
    const QString text = QString::fromUtf8(PQerrorMessage(conn.get()));
    static const QRegularExpression sqlStatePattern(QStringLiteral(":  ([0-9A-Z]{5}): "));
    static const QRegularExpression locationPattern(
        QStringLiteral(":  ([A-Za-z_][A-Za-z0-9_]*), [A-Za-z0-9_.-]+\\.c:[0-9]+"));
    for (const QRegularExpressionMatch &match : sqlStatePattern.globalMatch(text))
        attempt.sqlState = match.captured(1);
    for (const QRegularExpressionMatch &match : locationPattern.globalMatch(text))
        attempt.serverFunction = match.captured(1);
    return attempt;
}

// Whether a server answers "S" to an SSLRequest (the first message of every TLS connection): asked only
// after TLS failed, to tell "the server has no TLS" from "the TLS handshake or certificate failed".
bool serverOffersTls(QTcpSocket &socket, int timeoutMs)
{
    static const char sslRequest[] = {0, 0, 0, 8, 0x04, static_cast<char>(0xd2), 0x16, 0x2f};
    if (socket.write(sslRequest, sizeof sslRequest) != qint64(sizeof sslRequest))
        return false;
    socket.waitForBytesWritten(timeoutMs);
    if (!socket.waitForReadyRead(timeoutMs))
        return false;
    char answer = 0;
    return socket.read(&answer, 1) == 1 && answer == 'S';
}

} // namespace

ConnectionFailure probeConnectionFailure(const ConnectionSpec &spec, const QString &driverText)
{
    ConnectionFailure failure;
    failure.driverText = driverText.trimmed();
    // The failed open already waited its timeout where it timed out; this look need not wait as long.
    const int timeoutMs = std::clamp(spec.connectTimeoutSeconds, 1, 5) * 1000;

    const LibpqAttempt attempt = attemptWithLibpq(spec, spec.sslMode, timeoutMs);
    failure.sqlState = attempt.sqlState;
    failure.serverFunction = attempt.serverFunction;
    failure.needsPassword = attempt.needsPassword;
    failure.failedDuringTls = attempt.failedDuringTls;
    // libpq's words for a certificate it refused are translated; which weaker check gets past TLS is not.
    // Only a stage that got further counts: an answer from the server, or a session.
    auto getsPastTls = [&spec, timeoutMs](const char *mode) {
        ConnectionSpec weakerSpec = spec;
        // libpq's require with a CA file checks the CA as verify-ca does; without one it checks nothing.
        if (qstrcmp(mode, "require") == 0)
            weakerSpec.sslRootCert.clear();
        const LibpqAttempt weaker = attemptWithLibpq(weakerSpec, QLatin1String(mode), timeoutMs);
        return !weaker.failedDuringTls &&
               (weaker.connected || weaker.needsPassword || !weaker.sqlState.isEmpty());
    };
    if (attempt.failedDuringTls && spec.sslMode == QLatin1String("verify-full"))
        failure.hostNameMismatch = getsPastTls("verify-ca");
    if (attempt.failedDuringTls && !failure.hostNameMismatch &&
        spec.sslMode.startsWith(QLatin1String("verify")))
        failure.certificateNotTrusted = getsPastTls("require");
    if (!attempt.sqlState.isEmpty() || attempt.needsPassword || attempt.connected) {
        failure.reach = ConnectionFailure::Reach::ServerAnswered;
        // 28000 is both "no pg_hba.conf line for this login" and "only with TLS" (hostssl): only a try
        // with TLS tells them apart.
        if (attempt.sqlState == QLatin1String("28000") && spec.sslMode == QLatin1String("disable")) {
            const LibpqAttempt encrypted = attemptWithLibpq(spec, QStringLiteral("require"), timeoutMs);
            failure.tlsWouldBeAccepted =
                encrypted.connected || encrypted.needsPassword ||
                (!encrypted.sqlState.isEmpty() && encrypted.sqlState != QLatin1String("28000"));
        }
        return failure;
    }
    if (attempt.timedOut) {
        failure.reach = ConnectionFailure::Reach::NoAnswer;
        return failure;
    }

    const QString host = attempt.hostTried.isEmpty() ? spec.host : attempt.hostTried;
    if (host.startsWith(QLatin1Char('/'))) {
        const QString socketPath = host + QStringLiteral("/.s.PGSQL.%1").arg(spec.port);
        if (!QFileInfo::exists(socketPath)) {
            failure.reach = ConnectionFailure::Reach::NothingListening;
            return failure;
        }
        QLocalSocket socket;
        socket.connectToServer(socketPath);
        failure.reach = socket.waitForConnected(timeoutMs) ? ConnectionFailure::Reach::ServerAnswered
                                                           : ConnectionFailure::Reach::NothingListening;
        return failure;
    }
    const QString hostName = host.isEmpty() ? QStringLiteral("localhost") : host;
    if (QHostInfo::fromName(hostName).error() == QHostInfo::HostNotFound) {
        failure.reach = ConnectionFailure::Reach::HostNotFound;
        return failure;
    }
    QTcpSocket socket;
    socket.connectToHost(hostName, quint16(spec.port));
    if (!socket.waitForConnected(timeoutMs)) {
        failure.reach = socket.error() == QAbstractSocket::SocketTimeoutError
                            ? ConnectionFailure::Reach::NoAnswer
                            : ConnectionFailure::Reach::NothingListening;
        return failure;
    }
    failure.reach = ConnectionFailure::Reach::ServerAnswered;
    if (failure.failedDuringTls)
        failure.serverOffersTls = serverOffersTls(socket, timeoutMs);
    return failure;
}

} // namespace beacon
