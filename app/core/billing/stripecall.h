#pragma once

#include "billing/stripeform.h"
#include "db/dberror.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkReply>
#include <QObject>
#include <QPointer>
#include <QTimer>

namespace beacon::billing {

class StripeClient;

// One Stripe API call (one request, or every page of a list) with its retries. Created by StripeClient.
class StripeCall : public QObject {
    Q_OBJECT
public:
    enum class Method { Get, Post, List };
    // Cancelled is not an error: the person asked for it, and error() stays empty.
    enum class Outcome { Pending, Succeeded, Failed, Cancelled };

    ~StripeCall() override;

    Outcome outcome() const { return m_outcome; }
    bool isFinished() const { return m_outcome != Outcome::Pending; }
    // Set when the outcome is Failed: message for the person, details (Stripe's words, the request id) for
    // support. Never contains the key.
    const DbError &error() const { return m_error; }
    // The last answer's JSON object: the object asked for, or the last page of a list.
    const QJsonObject &object() const { return m_object; }
    // For list(): every item of every page, in order.
    const QJsonArray &items() const { return m_items; }
    int pages() const { return m_pages; }
    // HTTP status of the last answer, 0 when none came.
    int httpStatus() const { return m_httpStatus; }
    // Stripe's Request-Id of the last answer, for support.
    const QString &requestId() const { return m_requestId; }
    // The Idempotency-Key every attempt of this POST carries; empty for GET and lists.
    const QString &idempotencyKey() const { return m_idempotencyKey; }
    // Attempts made in all, retries and pages included.
    int attempts() const { return m_attempts; }

    // Aborts the request in flight, or the wait for a slot or a retry, and finishes with Outcome::Cancelled.
    // finished() is emitted from the event loop, not from inside cancel(). Nothing happens once finished.
    void cancel();

signals:
    // For list(): one page arrived. itemsSoFar counts every item up to and including this page.
    void pageReceived(int pageNumber, const QJsonArray &pageItems, qsizetype itemsSoFar);
    // Exactly once, whatever the outcome.
    void finished();

private:
    friend class StripeClient;
    StripeCall(StripeClient *client, Method method, QString path, StripeParams params, QString idempotencyKey,
               QString whatWeWereDoing);

    void start();
    void waitForRetry(int retry);
    void waitForSlot();
    void sendAttempt();
    void onReplyFinished();
    void onConnectTimeout();
    void finishPage(const QJsonObject &body);
    void fail(DbError error);
    void finish(Outcome outcome);
    void dropReply();
    QNetworkRequest buildRequest() const;

    StripeClient *m_client;
    Method m_method;
    QString m_path;
    StripeParams m_params;
    QString m_idempotencyKey;
    QString m_whatWeWereDoing;
    QString m_startingAfter; // the list's cursor

    QPointer<QNetworkReply> m_reply;
    QTimer m_waitTimer;
    QTimer m_connectTimer;
    qint64 m_slotNs = 0;
    bool m_requestOnWire = false;
    bool m_connectTimedOut = false;
    int m_retriesThisPage = 0;

    Outcome m_outcome = Outcome::Pending;
    DbError m_error;
    QJsonObject m_object;
    QJsonArray m_items;
    int m_pages = 0;
    int m_httpStatus = 0;
    QString m_requestId;
    int m_attempts = 0;
};

} // namespace beacon::billing
