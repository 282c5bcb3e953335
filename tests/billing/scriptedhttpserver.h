#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QMap>
#include <QTcpServer>

// A loopback HTTP/1.1 responder for the Stripe client's tests: it answers requests with canned raw responses,
// in order, one per connection (every answer says Connection: close), and records every request it read, so
// that a test can assert what the client sent and how many times.
class ScriptedHttpServer : public QTcpServer {
    Q_OBJECT
public:
    struct Step {
        enum class Action { Respond, Drop, Silent };
        Action action = Action::Respond;
        int status = 200;
        QByteArray body;
        QList<std::pair<QByteArray, QByteArray>> headers;
        int delayMs = 0;

        static Step json(int status, const QByteArray &body,
                         QList<std::pair<QByteArray, QByteArray>> headers = {});
        // Closes the connection after reading the request, without a byte of answer.
        static Step drop();
        // Reads the request and never answers, keeping the connection open.
        static Step silent();
        Step &after(int ms)
        {
            delayMs = ms;
            return *this;
        }
    };

    struct Request {
        QByteArray method;
        QByteArray target;                    // path and query as sent
        QMap<QByteArray, QByteArray> headers; // names in lower case
        QByteArray body;
        QByteArray raw;
        qint64 receivedAtMs = 0;
        QByteArray header(const char *name) const { return headers.value(QByteArray(name).toLower()); }
    };

    explicit ScriptedHttpServer(QObject *parent = nullptr);
    bool start();
    QString baseUrl() const;

    void enqueue(const Step &step) { m_script.append(step); }
    const QList<Request> &requests() const { return m_requests; }
    int requestCount() const { return int(m_requests.size()); }
    // Requests that found the script empty: a client that sent more than the test expected.
    int unscripted() const { return m_unscripted; }
    // Connections the client closed before an answer (a cancelled request).
    int closedByClient() const { return m_closedByClient; }

signals:
    void requestReceived();

private:
    void onNewConnection();
    void serve(QTcpSocket *socket);

    QList<Step> m_script;
    QList<Request> m_requests;
    QElapsedTimer m_clock;
    int m_unscripted = 0;
    int m_closedByClient = 0;
};
