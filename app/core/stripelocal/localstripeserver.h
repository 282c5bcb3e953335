#pragma once

#include "stripestore.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

#include <optional>

class QTcpServer;
class QTcpSocket;

namespace beacon::stripelocal {

// A fault the server plays for the next `times` requests that match method and path.
struct StripeFault {
    enum class Kind {
        RateLimited,    // 429 rate_limit; Stripe-Should-Retry when shouldRetry is set
        ServerError,    // 500 api_error
        LockTimeout,    // 409 lock_timeout
        Slow,           // waits delayMs, then applies and answers (applied even if the client has gone)
        DropConnection, // closes the connection without an answer; nothing is applied
        ApplyThenDrop, // applies the request (and keeps its idempotent result), then closes without an answer
    };
    Kind kind = Kind::ServerError;
    QString method; // empty: any method
    QString path;   // "/v1/subscriptions/sub_…", or a prefix when pathIsPrefix
    bool pathIsPrefix = false;
    int times = 1;
    std::optional<bool> shouldRetry; // Stripe-Should-Retry header on RateLimited, ServerError and LockTimeout
    int delayMs = 0;                 // Slow
};

struct RecordedRequest {
    QString method;
    QString path;
    StripeParams query;
    StripeParams form;
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased
    int status = 0;        // the status answered; 0 while pending or when the connection was dropped
    bool replayed = false; // answered from the idempotency cache
    QByteArray header(const QByteArray &lowerCaseName) const;
};

// A small Stripe-compatible HTTP/1.1 server on 127.0.0.1 for the tests and the demo: the endpoints the
// console uses (see StripeStore), Stripe's authentication, idempotency and error objects, scripted faults,
// and a record of every request. Plain HTTP on loopback only; Content-Length bodies, keep-alive, one request
// at a time per connection. Qt Network only (the design card has no QHttpServer). It lives on the thread that
// made it, like any QObject; the store is not locked, so seed it on that thread.
//
// Idempotency as Stripe keeps it: a POST with an Idempotency-Key is answered once and its result replayed
// (header Idempotent-Replayed: true) for the same key, method, path and form parameters (in any order); other
// parameters under that key get 400 idempotency_error. A request refused in validation keeps no result. A key
// still running (a slow fault) is not guarded against a second request with it.
class LocalStripeServer : public QObject {
    Q_OBJECT

public:
    explicit LocalStripeServer(QObject *parent = nullptr);
    ~LocalStripeServer() override;

    // Listens on 127.0.0.1; port 0 picks a free one.
    bool listen(quint16 port = 0);
    QString errorString() const;
    QUrl baseUrl() const;
    // The secret test key requests must carry as `Authorization: Bearer <key>`, made anew per server.
    QString apiKey() const { return m_apiKey; }

    StripeStore &store() { return m_store; }
    const StripeStore &store() const { return m_store; }

    void addFault(const StripeFault &fault);
    void clearFaults();

    int requestCount() const { return int(m_requests.size()); }
    const QList<RecordedRequest> &requests() const { return m_requests; }
    void clearRequests();

signals:
    // Emitted when request `index` of requests() has been received, before it is answered.
    void requestReceived(int index);
    // Emitted when it has been answered (status set) or dropped (status 0).
    void requestFinished(int index);

private:
    struct Connection {
        QByteArray buffer;
        bool busy = false;
    };
    struct IdempotentResult {
        QString method, path;
        StripeParams form;
        StripeResponse response;
    };
    struct Parsed {
        QString method;
        QString target;
        QList<QPair<QByteArray, QByteArray>> headers;
        QByteArray body;
        bool keepAlive = true;
    };

    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    // Takes one complete request off the buffer; std::nullopt when more bytes are needed.
    std::optional<Parsed> takeRequest(QTcpSocket *socket, Connection &connection);
    void process(QTcpSocket *socket, const Parsed &parsed);
    void answer(QTcpSocket *socket, int index, const StripeResponse &response, bool keepAlive, bool replayed,
                const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {});
    void writeResponse(QTcpSocket *socket, const StripeResponse &response, bool keepAlive,
                       const QList<QPair<QByteArray, QByteArray>> &headers = {});
    void drop(QTcpSocket *socket, int index);
    // Idempotency and the store, for an authenticated request; `replayed` when the cached answer is given.
    StripeResponse execute(const RecordedRequest &record, bool *replayed);
    std::optional<StripeFault> takeFault(const QString &method, const QString &path);
    QByteArray nextRequestId();
    void continueWith(QTcpSocket *socket);

    static StripeParams decodeForm(const QByteArray &encoded);

    QTcpServer *m_server;
    StripeStore m_store;
    QString m_apiKey;
    QHash<QTcpSocket *, Connection> m_connections;
    QList<StripeFault> m_faults;
    QList<RecordedRequest> m_requests;
    QHash<QString, IdempotentResult> m_idempotent;
};

} // namespace beacon::stripelocal
