#include "scriptedhttpserver.h"

#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

ScriptedHttpServer::Step ScriptedHttpServer::Step::json(int status, const QByteArray &body,
                                                        QList<std::pair<QByteArray, QByteArray>> headers)
{
    Step step;
    step.status = status;
    step.body = body;
    step.headers = std::move(headers);
    return step;
}

ScriptedHttpServer::Step ScriptedHttpServer::Step::drop()
{
    Step step;
    step.action = Action::Drop;
    return step;
}

ScriptedHttpServer::Step ScriptedHttpServer::Step::silent()
{
    Step step;
    step.action = Action::Silent;
    return step;
}

ScriptedHttpServer::ScriptedHttpServer(QObject *parent)
    : QTcpServer(parent)
{
    connect(this, &QTcpServer::newConnection, this, &ScriptedHttpServer::onNewConnection);
    m_clock.start();
}

bool ScriptedHttpServer::start()
{
    return listen(QHostAddress::LocalHost, 0);
}

QString ScriptedHttpServer::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(serverPort());
}

void ScriptedHttpServer::onNewConnection()
{
    while (QTcpSocket *socket = nextPendingConnection()) {
        auto buffer = std::make_shared<QByteArray>();
        auto answered = std::make_shared<bool>(false);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer, answered] {
            buffer->append(socket->readAll());
            if (*answered)
                return;
            const qsizetype headerEnd = buffer->indexOf("\r\n\r\n");
            if (headerEnd < 0)
                return;
            Request request;
            const QList<QByteArray> lines = buffer->left(headerEnd).split('\n');
            const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
            request.method = requestLine.value(0);
            request.target = requestLine.value(1);
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const qsizetype colon = lines[i].indexOf(':');
                if (colon > 0)
                    request.headers.insert(lines[i].left(colon).trimmed().toLower(),
                                           lines[i].mid(colon + 1).trimmed());
            }
            const qsizetype length = request.header("Content-Length").toLongLong();
            if (buffer->size() < headerEnd + 4 + length)
                return;
            request.body = buffer->mid(headerEnd + 4, length);
            request.raw = buffer->left(headerEnd + 4 + length);
            request.receivedAtMs = m_clock.elapsed();
            *answered = true;
            m_requests.append(request);
            serve(socket);
            emit requestReceived();
        });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (socket->property("awaitingAnswer").toBool())
                ++m_closedByClient;
            socket->deleteLater();
        });
    }
}

void ScriptedHttpServer::serve(QTcpSocket *socket)
{
    if (m_script.isEmpty()) {
        ++m_unscripted;
        socket->write("HTTP/1.1 599 Unscripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        socket->disconnectFromHost();
        return;
    }
    const Step step = m_script.takeFirst();
    switch (step.action) {
    case Step::Action::Drop:
        socket->abort();
        socket->deleteLater();
        return;
    case Step::Action::Silent:
        socket->setProperty("awaitingAnswer", true);
        return;
    case Step::Action::Respond:
        break;
    }
    QByteArray response = "HTTP/1.1 " + QByteArray::number(step.status) + " Scripted\r\n";
    response += "Content-Type: application/json\r\n";
    response += "Content-Length: " + QByteArray::number(step.body.size()) + "\r\n";
    response += "Connection: close\r\n";
    for (const auto &[name, value] : step.headers)
        response += name + ": " + value + "\r\n";
    response += "\r\n" + step.body;
    socket->setProperty("awaitingAnswer", true);
    const QPointer<QTcpSocket> guarded(socket);
    QTimer::singleShot(step.delayMs, this, [guarded, response] {
        if (!guarded || guarded->state() != QAbstractSocket::ConnectedState)
            return;
        guarded->setProperty("awaitingAnswer", false);
        guarded->write(response);
        guarded->disconnectFromHost();
    });
}
