#pragma once

#include "stripeapicheck.h"
#include "stripelocal/localstripeserver.h"

#include <QHash>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QObject>
#include <QSignalSpy>

#include <memory>
#include <optional>

namespace beacon::test {

struct StripeAnswer {
    int status = 0; // 0: no HTTP answer (see error)
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QJsonObject body;
    QHash<QByteArray, QByteArray> headers; // lower-cased names
};

// A customer with only an e-mail address, for tests that need many.
stripelocal::CustomerSeed customerWithEmail(const QString &email);

// Stripe's form encoding of name/value pairs, names already in bracket form (`items[0][price]`).
QByteArray stripeFormEncode(const StripeParams &params);

// Base of the tests that talk to a LocalStripeServer over HTTP: a fresh server per test function with a
// small catalogue (Team 10.00, Business 40.00 a month), one paying customer with a card, a subscription on
// Team over a fixed 30-day period and a paid invoice; a client; and the check, after each test function, that
// every request the test sent is valid against Stripe's API description.
class LocalStripeTest : public QObject {
public:
    static constexpr qint64 periodStart = 1'700'000'000;
    static constexpr qint64 periodEnd = periodStart + 30 * 86400;
    // A third into the period: two thirds of a price are prorated.
    static constexpr qint64 prorationDate = periodStart + 10 * 86400;

protected:
    // From initTestCase(), init() and cleanup() of the derived test.
    void loadApiSubset();
    void startServer();
    void checkRecordedRequestsAndStop();

    StripeAnswer send(const QString &method, const QString &path, const StripeParams &query = {},
                      const StripeParams &form = {}, const QList<QPair<QByteArray, QByteArray>> &headers = {},
                      std::optional<QString> key = std::nullopt);

    StripeApiCheck m_check;
    std::unique_ptr<stripelocal::LocalStripeServer> m_server;
    std::unique_ptr<QNetworkAccessManager> m_network;
    std::unique_ptr<QSignalSpy> m_received;
    QString m_basic, m_pro, m_customer, m_paymentMethod, m_subscription;
};

} // namespace beacon::test
