#include "localstripeserver.h"

#include <QHostAddress>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>

namespace beacon::stripelocal {

namespace {

constexpr qsizetype maxHeaderBytes = 64 * 1024;
constexpr qsizetype maxBodyBytes = 1024 * 1024;
constexpr char hostedInvoicePath[] = "/hosted_invoice";

QByteArray randomAlphanumeric(int length)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QByteArray result;
    for (int i = 0; i < length; ++i)
        result += alphabet[QRandomGenerator::system()->bounded(int(sizeof alphabet - 1))];
    return result;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    default:
        return "Status";
    }
}

StripeParams sorted(StripeParams params)
{
    std::sort(params.begin(), params.end());
    return params;
}

} // namespace

QByteArray RecordedRequest::header(const QByteArray &lowerCaseName) const
{
    for (const auto &pair : headers)
        if (pair.first == lowerCaseName)
            return pair.second;
    return {};
}

LocalStripeServer::LocalStripeServer(QObject *parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
    , m_apiKey(QStringLiteral("sk_test_") + QString::fromLatin1(randomAlphanumeric(24)))
{
    connect(m_server, &QTcpServer::newConnection, this, &LocalStripeServer::onNewConnection);
}

LocalStripeServer::~LocalStripeServer() = default;

bool LocalStripeServer::listen(quint16 port)
{
    if (!m_server->listen(QHostAddress::LocalHost, port))
        return false;
    m_store.setHostedInvoiceBase(baseUrl().toString() + QLatin1String(hostedInvoicePath));
    return true;
}

QString LocalStripeServer::errorString() const
{
    return m_server->errorString();
}

QUrl LocalStripeServer::baseUrl() const
{
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(QStringLiteral("127.0.0.1"));
    url.setPort(m_server->serverPort());
    return url;
}

void LocalStripeServer::addFault(const StripeFault &fault)
{
    m_faults << fault;
}

void LocalStripeServer::clearFaults()
{
    m_faults.clear();
}

void LocalStripeServer::clearRequests()
{
    m_requests.clear();
}

void LocalStripeServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        m_connections.insert(socket, Connection());
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            m_connections.remove(socket);
            socket->deleteLater();
        });
    }
}

void LocalStripeServer::onReadyRead(QTcpSocket *socket)
{
    auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    it->buffer += socket->readAll();
    continueWith(socket);
}

void LocalStripeServer::continueWith(QTcpSocket *socket)
{
    auto it = m_connections.find(socket);
    if (it == m_connections.end() || it->busy)
        return;
    if (std::optional<Parsed> parsed = takeRequest(socket, *it)) {
        it->busy = true;
        process(socket, *parsed);
    }
}

std::optional<LocalStripeServer::Parsed> LocalStripeServer::takeRequest(QTcpSocket *socket,
                                                                        Connection &connection)
{
    const qsizetype headerEnd = connection.buffer.indexOf("\r\n\r\n");
    const auto refuse = [&](int status, const QString &message) {
        connection.buffer.clear();
        connection.busy = true; // nothing more is read from this connection
        writeResponse(socket, StripeStore::error(status, QStringLiteral("invalid_request_error"), message),
                      false);
        return std::nullopt;
    };
    if (headerEnd < 0) {
        if (connection.buffer.size() > maxHeaderBytes)
            return refuse(413, QStringLiteral("The request headers are too large."));
        return std::nullopt;
    }
    const QList<QByteArray> lines = connection.buffer.left(headerEnd).split('\n');
    const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1."))
        return refuse(400, QStringLiteral("Malformed HTTP request line."));
    Parsed parsed;
    parsed.method = QString::fromLatin1(requestLine.at(0));
    parsed.target = QString::fromLatin1(requestLine.at(1));
    parsed.keepAlive = requestLine.at(2) == "HTTP/1.1";
    qsizetype contentLength = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines.at(i).indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = lines.at(i).left(colon).trimmed().toLower();
        const QByteArray value = lines.at(i).mid(colon + 1).trimmed();
        parsed.headers.append({name, value});
        if (name == "content-length") {
            bool ok = false;
            contentLength = value.toLongLong(&ok);
            if (!ok || contentLength < 0)
                return refuse(400, QStringLiteral("Malformed Content-Length."));
        } else if (name == "transfer-encoding") {
            return refuse(
                400, QStringLiteral("Send the body with Content-Length; chunked bodies are not accepted."));
        } else if (name == "connection") {
            parsed.keepAlive =
                value.toLower() == "keep-alive" || (parsed.keepAlive && value.toLower() != "close");
        }
    }
    if (contentLength > maxBodyBytes)
        return refuse(413, QStringLiteral("The request body is too large."));
    if (connection.buffer.size() < headerEnd + 4 + contentLength)
        return std::nullopt;
    parsed.body = connection.buffer.mid(headerEnd + 4, contentLength);
    connection.buffer.remove(0, headerEnd + 4 + contentLength);
    return parsed;
}

StripeParams LocalStripeServer::decodeForm(const QByteArray &encoded)
{
    StripeParams result;
    for (const QByteArray &part : encoded.split('&')) {
        if (part.isEmpty())
            continue;
        const qsizetype equals = part.indexOf('=');
        QByteArray name = equals < 0 ? part : part.left(equals);
        QByteArray value = equals < 0 ? QByteArray() : part.mid(equals + 1);
        name.replace('+', ' ');
        value.replace('+', ' ');
        result.append({QString::fromUtf8(QByteArray::fromPercentEncoding(name)),
                       QString::fromUtf8(QByteArray::fromPercentEncoding(value))});
    }
    return result;
}

QByteArray LocalStripeServer::nextRequestId()
{
    return "req_" + randomAlphanumeric(14);
}

void LocalStripeServer::process(QTcpSocket *socket, const Parsed &parsed)
{
    // The hosted invoice page stands in for Stripe's, on another host there: no key, and no API request.
    const QString pagePrefix = QLatin1String(hostedInvoicePath) + QLatin1Char('/');
    if (parsed.method == QLatin1String("GET") && parsed.target.startsWith(pagePrefix)) {
        writeResponse(socket, m_store.hostedInvoicePage(parsed.target.mid(pagePrefix.size())),
                      parsed.keepAlive);
        return;
    }
    RecordedRequest record;
    record.method = parsed.method;
    const qsizetype question = parsed.target.indexOf(QLatin1Char('?'));
    record.path = QString::fromUtf8(QByteArray::fromPercentEncoding(parsed.target.left(question).toUtf8()));
    if (question >= 0)
        record.query = decodeForm(parsed.target.mid(question + 1).toUtf8());
    record.form = decodeForm(parsed.body);
    record.headers = parsed.headers;
    m_requests << record;
    const int index = int(m_requests.size() - 1);
    emit requestReceived(index);

    const QByteArray authorization = record.header("authorization");
    const QByteArray key = m_apiKey.toLatin1();
    const QByteArray bearer = QByteArray("Bearer ") + key;
    const QByteArray basic = QByteArray("Basic ") + QByteArray(key + ':').toBase64();
    if (authorization != bearer && authorization != basic) {
        const QString message =
            authorization.isEmpty()
                ? QStringLiteral("You did not provide an API key. You need to provide your API key in the "
                                 "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                                 "YOUR_SECRET_KEY').")
                : QStringLiteral("Invalid API Key provided: %1****")
                      .arg(QString::fromLatin1(authorization.mid(7, 8)));
        answer(socket, index, StripeStore::error(401, QStringLiteral("invalid_request_error"), message),
               parsed.keepAlive, false);
        return;
    }

    const std::optional<StripeFault> fault = takeFault(record.method, record.path);
    if (fault) {
        switch (fault->kind) {
        case StripeFault::Kind::RateLimited:
        case StripeFault::Kind::ServerError:
        case StripeFault::Kind::LockTimeout: {
            StripeResponse response;
            if (fault->kind == StripeFault::Kind::RateLimited)
                response = StripeStore::error(429, QStringLiteral("invalid_request_error"),
                                              QStringLiteral("Too many requests hit the API too quickly."),
                                              QStringLiteral("rate_limit"));
            else if (fault->kind == StripeFault::Kind::ServerError)
                response = StripeStore::error(500, QStringLiteral("api_error"),
                                              QStringLiteral("An unknown error occurred (scripted)."));
            else
                response = StripeStore::error(
                    409, QStringLiteral("invalid_request_error"),
                    QStringLiteral(
                        "This object cannot be accessed right now because another API request or Stripe "
                        "process is currently accessing it."),
                    QStringLiteral("lock_timeout"));
            QList<QPair<QByteArray, QByteArray>> extra;
            if (fault->shouldRetry)
                extra.append(qMakePair(QByteArray("Stripe-Should-Retry"),
                                       QByteArray(*fault->shouldRetry ? "true" : "false")));
            answer(socket, index, response, parsed.keepAlive, false, extra);
            return;
        }
        case StripeFault::Kind::Slow: {
            QPointer<QTcpSocket> guard(socket);
            const bool keepAlive = parsed.keepAlive;
            QTimer::singleShot(fault->delayMs, this, [this, guard, index, keepAlive, record] {
                bool replayed = false;
                const StripeResponse response = execute(record, &replayed);
                if (guard && m_connections.contains(guard.data()))
                    answer(guard.data(), index, response, keepAlive, replayed);
            });
            return;
        }
        case StripeFault::Kind::DropConnection:
            drop(socket, index);
            return;
        case StripeFault::Kind::ApplyThenDrop: {
            bool replayed = false;
            execute(record, &replayed);
            m_requests[index].replayed = replayed;
            drop(socket, index);
            return;
        }
        }
    }
    bool replayed = false;
    const StripeResponse response = execute(record, &replayed);
    answer(socket, index, response, parsed.keepAlive, replayed);
}

StripeResponse LocalStripeServer::execute(const RecordedRequest &record, bool *replayed)
{
    StripeRequest request{record.method, record.path, record.query, record.form};
    const QString key = QString::fromUtf8(record.header("idempotency-key"));
    // Stripe keys idempotency on POST only; GET and DELETE are idempotent by nature.
    if (key.isEmpty() || record.method != QLatin1String("POST"))
        return m_store.handle(request);
    const auto earlier = m_idempotent.constFind(key);
    if (earlier != m_idempotent.constEnd()) {
        if (earlier->method != record.method || earlier->path != record.path ||
            sorted(earlier->form) != sorted(record.form))
            return StripeStore::error(
                400, QStringLiteral("idempotency_error"),
                QStringLiteral(
                    "Keys for idempotent requests can only be used with the same parameters they were "
                    "first used with. Try using a key other than '%1' if you meant to execute a "
                    "different request.")
                    .arg(key));
        *replayed = true;
        return earlier->response;
    }
    const StripeResponse response = m_store.handle(request);
    // As Stripe: a request refused in validation keeps no result, so the same key may be used again.
    if (response.status == 200 || response.status >= 500)
        m_idempotent.insert(key, {record.method, record.path, record.form, response});
    return response;
}

std::optional<StripeFault> LocalStripeServer::takeFault(const QString &method, const QString &path)
{
    for (qsizetype i = 0; i < m_faults.size(); ++i) {
        StripeFault &fault = m_faults[i];
        if (!fault.method.isEmpty() && fault.method.compare(method, Qt::CaseInsensitive) != 0)
            continue;
        if (fault.pathIsPrefix ? !path.startsWith(fault.path) : path != fault.path)
            continue;
        const StripeFault taken = fault;
        if (--fault.times <= 0)
            m_faults.removeAt(i);
        return taken;
    }
    return std::nullopt;
}

void LocalStripeServer::answer(QTcpSocket *socket, int index, const StripeResponse &response, bool keepAlive,
                               bool replayed, const QList<QPair<QByteArray, QByteArray>> &extraHeaders)
{
    QList<QPair<QByteArray, QByteArray>> headers = extraHeaders;
    if (replayed)
        headers.append(qMakePair(QByteArray("Idempotent-Replayed"), QByteArray("true")));
    if (index < m_requests.size()) { // clearRequests() may have run while a slow answer waited
        m_requests[index].status = response.status;
        m_requests[index].replayed = replayed;
    }
    if (index < m_requests.size())
        emit requestFinished(index);
    writeResponse(socket, response, keepAlive, headers);
}

void LocalStripeServer::writeResponse(QTcpSocket *socket, const StripeResponse &response, bool keepAlive,
                                      const QList<QPair<QByteArray, QByteArray>> &headers)
{
    const bool page = !response.html.isEmpty();
    const QByteArray body =
        page ? response.html : QJsonDocument(response.body).toJson(QJsonDocument::Compact);
    QByteArray head = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' +
                      reasonPhrase(response.status) +
                      "\r\nContent-Type: " + (page ? "text/html; charset=utf-8" : "application/json") +
                      "\r\nContent-Length: " + QByteArray::number(body.size()) +
                      "\r\nRequest-Id: " + nextRequestId() + "\r\nStripe-Version: 2023-08-16\r\n";
    for (const auto &header : headers)
        head += header.first + ": " + header.second + "\r\n";
    head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    socket->write(head + body);
    if (!keepAlive) {
        socket->disconnectFromHost();
        return;
    }
    auto it = m_connections.find(socket);
    if (it != m_connections.end()) {
        it->busy = false;
        continueWith(socket);
    }
}

void LocalStripeServer::drop(QTcpSocket *socket, int index)
{
    m_connections.remove(socket);
    socket->abort();
    socket->deleteLater();
    emit requestFinished(index);
}

} // namespace beacon::stripelocal
