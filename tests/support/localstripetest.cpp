#include "localstripetest.h"

#include <QJsonDocument>
#include <QNetworkProxy>
#include <QTest>

namespace beacon::test {

stripelocal::CustomerSeed customerWithEmail(const QString &email)
{
    stripelocal::CustomerSeed seed;
    seed.email = email;
    return seed;
}

using namespace stripelocal;

QByteArray stripeFormEncode(const StripeParams &params)
{
    QByteArray result;
    for (const auto &pair : params) {
        if (!result.isEmpty())
            result += '&';
        result += QUrl::toPercentEncoding(pair.first) + '=' + QUrl::toPercentEncoding(pair.second);
    }
    return result;
}

void LocalStripeTest::loadApiSubset()
{
    QVERIFY2(m_check.load(), qPrintable(m_check.errorText()));
}

void LocalStripeTest::startServer()
{
    m_server = std::make_unique<LocalStripeServer>();
    QVERIFY2(m_server->listen(), qPrintable(m_server->errorString()));
    m_server->store().setClock([] { return periodStart + 5 * 86400; });
    m_received = std::make_unique<QSignalSpy>(m_server.get(), &LocalStripeServer::requestReceived);
    m_network = std::make_unique<QNetworkAccessManager>();
    m_network->setProxy(QNetworkProxy::NoProxy);

    StripeStore &store = m_server->store();
    m_basic =
        store.addPrice({QStringLiteral("Beacon Team"), 1000, QStringLiteral("usd"), QStringLiteral("month"),
                        QStringLiteral("Team monthly"), QStringLiteral("team_monthly")});
    m_pro = store.addPrice({QStringLiteral("Beacon Business"), 4000, QStringLiteral("usd"),
                            QStringLiteral("month"), QStringLiteral("Business monthly"),
                            QStringLiteral("business_monthly")});
    CustomerSeed customer;
    customer.email = QStringLiteral("billing@acme.test");
    customer.name = QStringLiteral("Acme");
    customer.metadata.insert(QStringLiteral("workspace_id"), QStringLiteral("42"));
    m_customer = store.addCustomer(customer);
    m_paymentMethod =
        store.addPaymentMethod({m_customer, QStringLiteral("mastercard"), QStringLiteral("4444")});
    SubscriptionSeed subscription;
    subscription.customerId = m_customer;
    subscription.priceId = m_basic;
    subscription.currentPeriodStart = periodStart;
    subscription.currentPeriodEnd = periodEnd;
    subscription.metadata.insert(QStringLiteral("workspace_id"), QStringLiteral("42"));
    m_subscription = store.addSubscription(subscription);
    InvoiceSeed invoice;
    invoice.customerId = m_customer;
    invoice.subscriptionId = m_subscription;
    invoice.amountDue = invoice.amountPaid = 1000;
    invoice.created = periodStart;
    store.addInvoice(invoice);
}

// Every request a test sent must be one an independent Stripe-compatible server accepts.
void LocalStripeTest::checkRecordedRequestsAndStop()
{
    QCOMPARE(m_received->size(), m_server->requestCount());
    for (const RecordedRequest &request : m_server->requests()) {
        const QStringList problems =
            m_check.violations(request.method, request.path, request.query, request.form);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    }
    m_network.reset();
    m_received.reset();
    m_server.reset();
}

StripeAnswer LocalStripeTest::send(const QString &method, const QString &path, const StripeParams &query,
                                   const StripeParams &form,
                                   const QList<QPair<QByteArray, QByteArray>> &headers,
                                   std::optional<QString> key)
{
    QByteArray url = m_server->baseUrl().toEncoded() + path.toUtf8();
    if (!query.isEmpty())
        url += '?' + stripeFormEncode(query);
    QNetworkRequest request(QUrl::fromEncoded(url, QUrl::StrictMode));
    const QString apiKey = key.value_or(m_server->apiKey());
    if (!apiKey.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + apiKey.toLatin1());
    request.setRawHeader("Stripe-Version", "2023-08-16");
    for (const auto &header : headers)
        request.setRawHeader(header.first, header.second);
    QNetworkReply *reply = nullptr;
    if (method == QLatin1String("POST")) {
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArray("application/x-www-form-urlencoded"));
        reply = m_network->post(request, stripeFormEncode(form));
    } else {
        reply = m_network->get(request);
    }
    QSignalSpy finished(reply, &QNetworkReply::finished);
    StripeAnswer answer;
    if (!finished.wait(15000)) {
        reply->abort();
        reply->deleteLater();
        answer.error = QNetworkReply::TimeoutError;
        return answer;
    }
    answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer.error = reply->error();
    answer.body = QJsonDocument::fromJson(reply->readAll()).object();
    for (const auto &pair : reply->rawHeaderPairs())
        answer.headers.insert(pair.first.toLower(), pair.second);
    reply->deleteLater();
    return answer;
}

} // namespace beacon::test
