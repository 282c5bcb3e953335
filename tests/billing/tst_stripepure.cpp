// The parts of the Stripe client that need no network: the form encoding, keys and their files, the API
// address policy, the retry decision and backoff, the rate limiter's arithmetic and the error mapping.
#include "billing/billingreport.h"
#include "billing/sessionstripe.h"
#include "billing/stripeclient.h"
#include "billing/stripeerror.h"
#include "profiles/connectionprofile.h"

#include <QDebug>
#include <QFile>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <type_traits>

Q_DECLARE_METATYPE(beacon::ErrorKind)

using namespace beacon;
using namespace beacon::billing;

namespace {

const QString testSecret = QStringLiteral("sk_test_51NzQxYAbCdEfGhIjKlMnOpQrStUvWxYz0123456789wxyz");

StripeKey mustParse(const QString &text)
{
    DbError error;
    auto key = StripeKey::parse(text, &error);
    if (!key)
        qFatal("test key refused: %s", qPrintable(error.message));
    return *key;
}

QString writeKeyFile(const QTemporaryDir &dir, const QByteArray &content, QFile::Permissions permissions)
{
    const QString path = dir.filePath(QStringLiteral("stripe.key"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(content) != content.size())
        qFatal("cannot write the key file");
    file.close();
    if (!file.setPermissions(permissions))
        qFatal("cannot set permissions");
    return path;
}

} // namespace

class TestStripePure : public QObject {
    Q_OBJECT
private slots:
    void encodeForm_data();
    void encodeForm();
    void parseKey_valid_data();
    void parseKey_valid();
    void parseKey_invalid_refusedWithoutRepeatingText_data();
    void parseKey_invalid_refusedWithoutRepeatingText();
    void redacted_showsOnlyModeAndLastFour();
    void debugOutput_isRedacted();
    void scrub_replacesAnyKeyShapedText();
    void keyFile_readableByOthers_refusedWithChmod_data();
    void keyFile_readableByOthers_refusedWithChmod();
    void keyFile_ownerOnly_readWithTrailingNewline();
    void keyFile_missing_usage();
    void keyFromEnvironment_setAndUnset();
    void liveKey_onProfileNotProduction_refusedWithReason();
    void endpoint_policy_data();
    void endpoint_policy();
    void endpoint_urlForKeepsBasePath();
    void endpoint_resolve_givenThenEnvironmentThenStripe();
    void stripeForProfile_rules_data();
    void stripeForProfile_rules();
    void shouldRetry_data();
    void shouldRetry();
    void backoff_growsExponentiallyWithinJitterAndCap();
    void rateLimiter_spacesReservationsAndForgetsIdleTime();
    void errorMapping_data();
    void errorMapping();
    void transportErrors_sayWhatHappenedWithTimeout();
    void failedRead_saysNothingChangedNotActionId();
    void formatStripeAmount_currencysOwnDecimals_data();
    void formatStripeAmount_currencysOwnDecimals();
    void openableInvoiceUrl_httpsOrLoopbackOnly_data();
    void openableInvoiceUrl_httpsOrLoopbackOnly();
};

void TestStripePure::encodeForm_data()
{
    QTest::addColumn<StripeParams>("params");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("scalar") << StripeParams{{QStringLiteral("limit"), 100}} << QByteArray("limit=100");
    QTest::newRow("booleans") << StripeParams{{QStringLiteral("a"), true}, {QStringLiteral("b"), false}}
                              << QByteArray("a=true&b=false");
    QTest::newRow("reserved characters and spaces")
        << StripeParams{{QStringLiteral("email"), QStringLiteral("a+b&c=d e@x.io")}}
        << QByteArray("email=a%2Bb%26c%3Dd%20e%40x.io");
    QTest::newRow("non-ASCII as UTF-8")
        << StripeParams{{QStringLiteral("name"), QStringLiteral("Zoë Müller €")}}
        << QByteArray("name=Zo%C3%AB%20M%C3%BCller%20%E2%82%AC");
    QTest::newRow("nested metadata") << StripeParams{{QStringLiteral("metadata"),
                                                      QVariantMap{{QStringLiteral("workspace_id"), 42}}}}
                                     << QByteArray("metadata%5Bworkspace_id%5D=42");
    QTest::newRow("list of objects")
        << StripeParams{{QStringLiteral("items"),
                         QVariantList{QVariantMap{{QStringLiteral("id"), QStringLiteral("si_1")},
                                                  {QStringLiteral("price"), QStringLiteral("price_A")}},
                                      QVariantMap{{QStringLiteral("price"), QStringLiteral("price_B")}}}}}
        << QByteArray(
               "items%5B0%5D%5Bid%5D=si_1&items%5B0%5D%5Bprice%5D=price_A&items%5B1%5D%5Bprice%5D=price_B");
    QTest::newRow("list of scalars") << StripeParams{{QStringLiteral("expand"),
                                                      QStringList{QStringLiteral("customer"),
                                                                  QStringLiteral("data.x")}}}
                                     << QByteArray("expand%5B%5D=customer&expand%5B%5D=data.x");
    QTest::newRow("null unsets") << StripeParams{{QStringLiteral("coupon"), QVariant()}}
                                 << QByteArray("coupon=");
    QTest::newRow("empty") << StripeParams{} << QByteArray();
}

void TestStripePure::encodeForm()
{
    QFETCH(StripeParams, params);
    QFETCH(QByteArray, expected);
    QCOMPARE(encodeStripeForm(params), expected);
}

void TestStripePure::parseKey_valid_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("test");
    QTest::addColumn<bool>("restricted");
    QTest::newRow("sk_test") << testSecret << true << false;
    QTest::newRow("sk_live") << QStringLiteral("sk_live_abcdefgh12345678") << false << false;
    QTest::newRow("rk_test") << QStringLiteral("rk_test_abcdefgh12345678") << true << true;
    QTest::newRow("rk_live") << QStringLiteral("rk_live_abcdefgh12345678") << false << true;
    QTest::newRow("trailing newline") << testSecret + QStringLiteral("\n") << true << false;
}

void TestStripePure::parseKey_valid()
{
    QFETCH(QString, text);
    QFETCH(bool, test);
    QFETCH(bool, restricted);
    DbError error;
    const auto key = StripeKey::parse(text, &error);
    QVERIFY2(key, qPrintable(error.message));
    QCOMPARE(key->isTest(), test);
    QCOMPARE(key->isLive(), !test);
    QCOMPARE(key->kind() == StripeKey::Kind::Restricted, restricted);
    QCOMPARE(key->secretForTransport(), text.trimmed().toLatin1());
}

void TestStripePure::parseKey_invalid_refusedWithoutRepeatingText_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expectedWords");
    QTest::newRow("empty") << QString() << QStringLiteral("empty");
    QTest::newRow("publishable") << QStringLiteral("pk_test_abcdefgh12345678")
                                 << QStringLiteral("publishable");
    QTest::newRow("webhook secret") << QStringLiteral("whsec_abcdefgh12345678") << QStringLiteral("webhook");
    QTest::newRow("cut short") << QStringLiteral("sk_test_abc") << QStringLiteral("cut short");
    QTest::newRow("inner space") << QStringLiteral("sk_test_abcdefgh 12345678")
                                 << QStringLiteral("cut short");
    QTest::newRow("something else") << QStringLiteral("hunter2hunter2")
                                    << QStringLiteral("not a Stripe API key");
}

void TestStripePure::parseKey_invalid_refusedWithoutRepeatingText()
{
    QFETCH(QString, text);
    QFETCH(QString, expectedWords);
    DbError error;
    QVERIFY(!StripeKey::parse(text, &error));
    QCOMPARE(error.kind, ErrorKind::Usage);
    QVERIFY2(error.message.contains(expectedWords), qPrintable(error.message));
    if (text.size() > 8) {
        QVERIFY2(!error.message.contains(text.mid(8)), qPrintable(error.message));
        QVERIFY(!error.details.contains(text.mid(8)));
    }
}

// The key can reach text only through redacted() or the explicitly named secretForTransport().
static_assert(!std::is_convertible_v<StripeKey, QString>);
static_assert(!std::is_constructible_v<QString, StripeKey>);
static_assert(!std::is_convertible_v<StripeKey, QByteArray>);
static_assert(!std::is_constructible_v<QByteArray, StripeKey>);
static_assert(!std::is_convertible_v<StripeKey, QStringView>);
static_assert(!std::is_convertible_v<StripeKey, const char *>);
static_assert(!std::is_default_constructible_v<StripeKey>);

void TestStripePure::redacted_showsOnlyModeAndLastFour()
{
    QCOMPARE(mustParse(testSecret).redacted(), QStringLiteral("sk_test_…wxyz"));
    QCOMPARE(mustParse(QStringLiteral("rk_live_abcdefgh1234")).redacted(), QStringLiteral("rk_live_…"));
}

void TestStripePure::debugOutput_isRedacted()
{
    QString printed;
    QDebug(&printed) << mustParse(testSecret);
    QVERIFY2(printed.contains(QStringLiteral("sk_test_…wxyz")), qPrintable(printed));
    QVERIFY(!printed.contains(testSecret));
}

void TestStripePure::scrub_replacesAnyKeyShapedText()
{
    const StripeKey key = mustParse(testSecret);
    const QString other = QStringLiteral("rk_live_ZZZZyyyyXXXXwwww1111");
    const QString scrubbed =
        key.scrubbed(QStringLiteral("Invalid API Key provided: %1; also %2.").arg(testSecret, other));
    QVERIFY(!scrubbed.contains(testSecret));
    QVERIFY(!scrubbed.contains(other));
    QCOMPARE(scrubbed, QStringLiteral("Invalid API Key provided: sk_test_…wxyz; also rk_live_…1111."));
}

void TestStripePure::keyFile_readableByOthers_refusedWithChmod_data()
{
    QTest::addColumn<int>("permissions");
    QTest::newRow("0644") << int(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
    QTest::newRow("0640") << int(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup);
    QTest::newRow("0604") << int(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther);
}

void TestStripePure::keyFile_readableByOthers_refusedWithChmod()
{
    QFETCH(int, permissions);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = writeKeyFile(dir, testSecret.toLatin1(), QFile::Permissions(permissions));
    DbError error;
    QVERIFY(!readStripeKeyFile(path, &error));
    QCOMPARE(error.kind, ErrorKind::Refused);
    QVERIFY2(error.message.contains(QStringLiteral("chmod 600 ") + path), qPrintable(error.message));
    QVERIFY(!error.fullText().contains(testSecret.mid(8)));
}

void TestStripePure::keyFile_ownerOnly_readWithTrailingNewline()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path =
        writeKeyFile(dir, testSecret.toLatin1() + "\n", QFile::ReadOwner | QFile::WriteOwner);
    DbError error;
    const auto key = readStripeKeyFile(path, &error);
    QVERIFY2(key, qPrintable(error.message));
    QCOMPARE(key->secretForTransport(), testSecret.toLatin1());

    // A malformed key in a private file is refused without its content in the words.
    const QString badPath = writeKeyFile(dir, "sk_test_short", QFile::ReadOwner | QFile::WriteOwner);
    QVERIFY(!readStripeKeyFile(badPath, &error));
    QCOMPARE(error.kind, ErrorKind::Usage);
    QVERIFY(error.message.contains(badPath));
    QVERIFY(!error.message.contains(QStringLiteral("sk_test_short")));
}

void TestStripePure::keyFile_missing_usage()
{
    DbError error;
    QVERIFY(!readStripeKeyFile(QStringLiteral("/nonexistent/stripe.key"), &error));
    QCOMPARE(error.kind, ErrorKind::Usage);
    QVERIFY(error.message.contains(QStringLiteral("does not exist")));
}

void TestStripePure::keyFromEnvironment_setAndUnset()
{
    DbError error;
    qunsetenv("STRIPE_API_KEY");
    QVERIFY(!stripeKeyFromEnvironment(&error));
    QCOMPARE(error.kind, ErrorKind::Usage);
    QVERIFY(error.message.contains(QStringLiteral("STRIPE_API_KEY")));

    qputenv("STRIPE_API_KEY", "pk_live_abcdefgh12345678");
    QVERIFY(!stripeKeyFromEnvironment(&error));
    QVERIFY(error.message.contains(QStringLiteral("publishable")));
    QVERIFY(!error.message.contains(QStringLiteral("abcdefgh12345678")));

    qputenv("STRIPE_API_KEY", testSecret.toLatin1());
    const auto key = stripeKeyFromEnvironment(&error);
    QVERIFY(key);
    QCOMPARE(*key, mustParse(testSecret));
    qunsetenv("STRIPE_API_KEY");
}

void TestStripePure::liveKey_onProfileNotProduction_refusedWithReason()
{
    const StripeKey live = mustParse(QStringLiteral("sk_live_abcdefgh12345678abcd"));
    const StripeKey test = mustParse(testSecret);
    const DbError refused = checkStripeKeyForProfile(live, QStringLiteral("staging"), false);
    QCOMPARE(refused.kind, ErrorKind::Refused);
    QVERIFY2(refused.message.contains(QStringLiteral("live-mode")), qPrintable(refused.message));
    QVERIFY(refused.message.contains(QStringLiteral("\"staging\" is not marked as production")));
    QVERIFY(!refused.fullText().contains(QStringLiteral("abcdefgh12345678")));
    QVERIFY(!checkStripeKeyForProfile(live, QStringLiteral("prod"), true).isError());
    QVERIFY(!checkStripeKeyForProfile(test, QStringLiteral("staging"), false).isError());
    QVERIFY(!checkStripeKeyForProfile(test, QStringLiteral("prod"), true).isError());
}

void TestStripePure::endpoint_policy_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expectedBase"); // empty when refused
    QTest::addColumn<QString>("expectedWords");
    QTest::newRow("Stripe") << QStringLiteral("https://api.stripe.com")
                            << QStringLiteral("https://api.stripe.com") << QString();
    QTest::newRow("https elsewhere, trailing slash")
        << QStringLiteral("https://stripe-mock.example.org:8443/")
        << QStringLiteral("https://stripe-mock.example.org:8443") << QString();
    QTest::newRow("http 127.0.0.1") << QStringLiteral("http://127.0.0.1:12111")
                                    << QStringLiteral("http://127.0.0.1:12111") << QString();
    QTest::newRow("http 127.8.9.10") << QStringLiteral("http://127.8.9.10")
                                     << QStringLiteral("http://127.8.9.10") << QString();
    QTest::newRow("http ::1") << QStringLiteral("http://[::1]:8080") << QStringLiteral("http://[::1]:8080")
                              << QString();
    QTest::newRow("http localhost") << QStringLiteral("http://LocalHost:9")
                                    << QStringLiteral("http://localhost:9") << QString();
    QTest::newRow("http to a host name") << QStringLiteral("http://api.stripe.com") << QString()
                                         << QStringLiteral("plain http to another computer");
    QTest::newRow("http to a LAN address") << QStringLiteral("http://10.0.0.5:12111") << QString()
                                           << QStringLiteral("plain http to another computer");
    QTest::newRow("http to 128.0.0.1") << QStringLiteral("http://128.0.0.1") << QString()
                                       << QStringLiteral("plain http to another computer");
    QTest::newRow("ftp") << QStringLiteral("ftp://127.0.0.1") << QString()
                         << QStringLiteral("must start with https://");
    QTest::newRow("user info") << QStringLiteral("https://me:pw@api.stripe.com") << QString()
                               << QStringLiteral("without a user name");
    QTest::newRow("query") << QStringLiteral("https://api.stripe.com/?x=1") << QString()
                           << QStringLiteral("without a user name, query");
    QTest::newRow("empty") << QString() << QString() << QStringLiteral("not a usable");
    QTest::newRow("no host") << QStringLiteral("https://") << QString() << QStringLiteral("not a usable");
}

void TestStripePure::endpoint_policy()
{
    QFETCH(QString, text);
    QFETCH(QString, expectedBase);
    QFETCH(QString, expectedWords);
    DbError error;
    const auto endpoint = StripeEndpoint::parse(text, &error);
    if (expectedBase.isEmpty()) {
        QVERIFY(!endpoint);
        QCOMPARE(error.kind, ErrorKind::Usage);
        QVERIFY2(error.message.contains(expectedWords), qPrintable(error.message));
        QVERIFY(!error.message.contains(QStringLiteral(":pw@")));
    } else {
        QVERIFY2(endpoint, qPrintable(error.message));
        QCOMPARE(endpoint->baseUrl().toString(), expectedBase);
    }
}

void TestStripePure::endpoint_urlForKeepsBasePath()
{
    QCOMPARE(StripeEndpoint::stripe().urlFor(QStringLiteral("/v1/customers")).toString(),
             QStringLiteral("https://api.stripe.com/v1/customers"));
    QVERIFY(StripeEndpoint::stripe().isStripe());
    QVERIFY(StripeEndpoint::stripe().isEncrypted());
    const auto proxied = StripeEndpoint::parse(QStringLiteral("https://proxy.example.org/stripe/"));
    QVERIFY(proxied);
    QCOMPARE(proxied->urlFor(QStringLiteral("/v1/prices")).toString(),
             QStringLiteral("https://proxy.example.org/stripe/v1/prices"));
    QVERIFY(!proxied->isStripe());
}

void TestStripePure::endpoint_resolve_givenThenEnvironmentThenStripe()
{
    auto restore = qScopeGuard([] { qunsetenv("BEACON_STRIPE_API_BASE"); });
    qunsetenv("BEACON_STRIPE_API_BASE");
    QVERIFY(StripeEndpoint::resolve({})->isStripe());
    qputenv("BEACON_STRIPE_API_BASE", "http://127.0.0.1:4242");
    QCOMPARE(StripeEndpoint::resolve(QStringLiteral("  "))->baseUrl().toString(),
             QStringLiteral("http://127.0.0.1:4242"));
    QCOMPARE(StripeEndpoint::resolve(QStringLiteral("https://stripe-mock.example"))->baseUrl().toString(),
             QStringLiteral("https://stripe-mock.example"));
    qputenv("BEACON_STRIPE_API_BASE", "http://10.1.2.3");
    DbError error;
    QVERIFY(!StripeEndpoint::resolve({}, &error));
    QVERIFY2(error.message.startsWith(QStringLiteral("In BEACON_STRIPE_API_BASE:")),
             qPrintable(error.message));
}

void TestStripePure::stripeForProfile_rules_data()
{
    QTest::addColumn<QString>("key"); // empty: none was read
    QTest::addColumn<bool>("hasStripeKey");
    QTest::addColumn<bool>("production");
    QTest::addColumn<QString>("apiBase");
    QTest::addColumn<int>("source");
    QTest::addColumn<QString>("expectedBase"); // empty: no access
    QTest::addColumn<QString>("expectedWords");
    const int none = int(SessionStripe::Source::None);
    const int profile = int(SessionStripe::Source::Profile);
    const QString live = QStringLiteral("rk_live_abcdefgh12345678abcd");
    QTest::newRow("no key kept") << QString() << false << false << QStringLiteral("http://10.0.0.1") << none
                                 << QString() << QString();
    QTest::newRow("test key, Stripe's own") << testSecret << true << false << QString() << profile
                                            << QStringLiteral("https://api.stripe.com") << QString();
    QTest::newRow("test key, loopback server")
        << testSecret << true << false << QStringLiteral("http://[::1]:9") << profile
        << QStringLiteral("http://[::1]:9") << QString();
    QTest::newRow("live key, production") << live << true << true << QString() << profile
                                          << QStringLiteral("https://api.stripe.com") << QString();
    QTest::newRow("live key, not production") << live << true << false << QString() << profile << QString()
                                              << QStringLiteral("is not marked as production");
    QTest::newRow("http elsewhere") << testSecret << true << false << QStringLiteral("http://stripe.lan")
                                    << profile << QString()
                                    << QStringLiteral("plain http to another computer");
    QTest::newRow("kept key gone from the keychain")
        << QString() << true << false << QString() << profile << QString() << QStringLiteral("was not found");
}

void TestStripePure::stripeForProfile_rules()
{
    QFETCH(QString, key);
    QFETCH(bool, hasStripeKey);
    QFETCH(bool, production);
    QFETCH(QString, apiBase);
    QFETCH(int, source);
    QFETCH(QString, expectedBase);
    QFETCH(QString, expectedWords);
    qunsetenv("BEACON_STRIPE_API_BASE");
    ConnectionProfile profile;
    profile.name = QStringLiteral("Staging");
    profile.production = production;
    profile.hasStripeKey = hasStripeKey;
    profile.stripeApiBase = apiBase;
    const std::optional<StripeKey> parsed = key.isEmpty() ? std::nullopt : std::optional(mustParse(key));
    const SessionStripe stripe = stripeForProfile(profile, parsed);
    QCOMPARE(int(stripe.source), source);
    QCOMPARE(stripe.isUsable(), !expectedBase.isEmpty());
    if (!expectedBase.isEmpty()) {
        QCOMPARE(stripe.access.endpoint->baseUrl().toString(), expectedBase);
        QVERIFY(*stripe.access.key == *parsed);
        QVERIFY(!stripe.problem);
    } else {
        QVERIFY(!stripe.access.key && !stripe.access.endpoint);
    }
    if (!expectedWords.isEmpty()) {
        QVERIFY2(stripe.problem.message.contains(expectedWords), qPrintable(stripe.problem.message));
        QVERIFY(!stripe.problem.fullText().contains(QStringLiteral("abcdefgh12345678")));
    }
}

void TestStripePure::shouldRetry_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("header"); // -1 absent, 0 false, 1 true
    QTest::addColumn<QString>("type");
    QTest::addColumn<bool>("retry");
    const QString none;
    const QString idempotency = QStringLiteral("idempotency_error");
    QTest::newRow("network error") << 0 << -1 << none << true;
    QTest::newRow("409") << 409 << -1 << none << true;
    QTest::newRow("429") << 429 << -1 << none << true;
    QTest::newRow("500") << 500 << -1 << none << true;
    QTest::newRow("503") << 503 << -1 << none << true;
    QTest::newRow("500, header false") << 500 << 0 << none << false;
    QTest::newRow("429, header false") << 429 << 0 << none << false;
    QTest::newRow("423, header true") << 423 << 1 << none << true;
    QTest::newRow("423") << 423 << -1 << none << false;
    QTest::newRow("409 idempotency_error") << 409 << -1 << idempotency << false;
    QTest::newRow("409 idempotency_error, header true") << 409 << 1 << idempotency << true;
    for (int status : {400, 401, 402, 403, 404}) {
        QTest::addRow("%d", status) << status << -1 << none << false;
        QTest::addRow("%d, header true", status) << status << 1 << none << false;
    }
}

void TestStripePure::shouldRetry()
{
    QFETCH(int, status);
    QFETCH(int, header);
    QFETCH(QString, type);
    QFETCH(bool, retry);
    const std::optional<bool> shouldRetryHeader =
        header < 0 ? std::nullopt : std::optional<bool>(header == 1);
    QCOMPARE(shouldRetryStripe(status, shouldRetryHeader, type), retry);
}

void TestStripePure::backoff_growsExponentiallyWithinJitterAndCap()
{
    StripeClientOptions options;
    options.initialBackoff = std::chrono::milliseconds(500);
    options.maxBackoff = std::chrono::milliseconds(8000);
    for (int retry = 1; retry <= 10; ++retry) {
        const qint64 full = std::min<qint64>(8000, 500LL << (retry - 1));
        const auto lowest = stripeBackoff(retry, options, 0.0).count();
        const auto highest = stripeBackoff(retry, options, 0.999999).count();
        QCOMPARE(lowest, full / 2);
        QVERIFY2(highest <= full && highest >= full - 1, qPrintable(QString::number(highest)));
        const auto middle = stripeBackoff(retry, options, 0.5).count();
        QVERIFY(middle > lowest && middle < highest);
    }
    QCOMPARE(stripeBackoff(1, options, 0.0).count(), 250);
    QCOMPARE(stripeBackoff(4, options, 0.0).count(), 2000);
    QCOMPARE(stripeBackoff(20, options, 0.0).count(), 4000); // capped at 8 s, at least half of it
}

void TestStripePure::rateLimiter_spacesReservationsAndForgetsIdleTime()
{
    RateLimiter limiter(20.0);
    QCOMPARE(limiter.intervalNs(), 50'000'000);
    for (int i = 0; i < 10; ++i)
        QCOMPARE(limiter.reserveSlot(0), qint64(i) * 50'000'000);
    // After an idle second the next request goes at once: no burst is saved up, and none is owed.
    QCOMPARE(limiter.reserveSlot(2'000'000'000), 2'000'000'000);
    QCOMPARE(limiter.reserveSlot(2'010'000'000), 2'050'000'000);
}

void TestStripePure::errorMapping_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<QString>("words");

    QTest::newRow("401")
        << 401
        << QByteArray(
               R"({"error":{"message":"Invalid API Key provided: sk_test_****wxyz","type":"invalid_request_error"}})")
        << ErrorKind::Denied << QStringLiteral("did not accept the API key");
    QTest::newRow("403") << 403
                         << QByteArray(
                                R"({"error":{"message":"no permission","type":"invalid_request_error"}})")
                         << ErrorKind::Denied << QStringLiteral("restricted key");
    QTest::newRow("402 card_error")
        << 402
        << QByteArray(
               R"({"error":{"code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","type":"card_error"}})")
        << ErrorKind::Refused << QStringLiteral("refused the payment");
    QTest::newRow("404 resource_missing")
        << 404
        << QByteArray(
               R"({"error":{"code":"resource_missing","message":"No such customer: 'cus_X'","param":"id","type":"invalid_request_error"}})")
        << ErrorKind::Refused << QStringLiteral("does not know");
    QTest::newRow("400 parameter_missing")
        << 400
        << QByteArray(
               R"({"error":{"code":"parameter_missing","message":"Missing required param: items.","param":"items","type":"invalid_request_error"}})")
        << ErrorKind::Usage << QStringLiteral("refused a value");
    QTest::newRow("400 state")
        << 400
        << QByteArray(
               R"({"error":{"message":"This subscription is canceled.","type":"invalid_request_error"}})")
        << ErrorKind::Refused << QStringLiteral("refused the request");
    QTest::newRow("409 idempotency_error")
        << 409
        << QByteArray(
               R"({"error":{"message":"Keys for idempotent requests can only be used with the same parameters they were first used with.","type":"idempotency_error"}})")
        << ErrorKind::Conflict << QStringLiteral("new action id");
    QTest::newRow("409 lock_timeout")
        << 409
        << QByteArray(
               R"({"error":{"code":"lock_timeout","message":"This object cannot be accessed right now because another API request or Stripe process is currently accessing it.","type":"invalid_request_error"}})")
        << ErrorKind::Busy << QStringLiteral("same Stripe object");
    QTest::newRow("429")
        << 429
        << QByteArray(
               R"({"error":{"message":"Too many requests","type":"invalid_request_error","code":"rate_limit"}})")
        << ErrorKind::Busy << QStringLiteral("limiting how fast");
    QTest::newRow("500") << 500 << QByteArray(R"({"error":{"type":"api_error","message":"oops"}})")
                         << ErrorKind::Unavailable << QStringLiteral("not known whether");
    QTest::newRow("502 HTML") << 502 << QByteArray("<html>Bad gateway</html>") << ErrorKind::Unavailable
                              << QStringLiteral("problem on its side");
    QTest::newRow("301") << 301 << QByteArray() << ErrorKind::Internal << QStringLiteral("unexpected answer");
}

void TestStripePure::errorMapping()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(ErrorKind, kind);
    QFETCH(QString, words);
    const DbError error = stripeErrorFromResponse(status, body, QStringLiteral("req_8cHa1"),
                                                  QStringLiteral("Loading the customer"));
    QCOMPARE(error.kind, kind);
    QVERIFY2(error.message.startsWith(QStringLiteral("Loading the customer: ")), qPrintable(error.message));
    QVERIFY2(error.message.contains(words), qPrintable(error.message));
    QVERIFY2(error.details.contains(QStringLiteral("Request-Id: req_8cHa1")), qPrintable(error.details));
    QVERIFY(error.details.contains(QStringLiteral("HTTP status: %1").arg(status)));
    const StripeApiError api = StripeApiError::fromBody(body);
    if (!api.message.isEmpty())
        QVERIFY(error.details.contains(api.message));
    if (!api.code.isEmpty())
        QVERIFY(error.details.contains(QStringLiteral("code: ") + api.code));
    if (!api.declineCode.isEmpty())
        QVERIFY(error.details.contains(QStringLiteral("decline_code: ") + api.declineCode));
    if (!api.param.isEmpty())
        QVERIFY(error.details.contains(QStringLiteral("param: ") + api.param));
}

void TestStripePure::transportErrors_sayWhatHappenedWithTimeout()
{
    const DbError transfer =
        stripeTransportError(StripeTransportFailure::TransferTimeout, QString(),
                             QStringLiteral("api.stripe.com"), 30000, QStringLiteral("x"));
    QCOMPARE(transfer.kind, ErrorKind::Unavailable);
    QVERIFY2(transfer.message.contains(QStringLiteral("did not answer within 30 s")),
             qPrintable(transfer.message));
    const DbError connect = stripeTransportError(StripeTransportFailure::ConnectTimeout, QString(),
                                                 QStringLiteral("api.stripe.com"), 2500, QString());
    QVERIFY2(connect.message.contains(QStringLiteral("within 2.5 s")), qPrintable(connect.message));
    QCOMPARE(connect.exitCode(), 7);
}

void TestStripePure::failedRead_saysNothingChangedNotActionId()
{
    const QByteArray body = R"({"error": {"type": "api_error", "message": "boom"}})";
    const DbError change = stripeErrorFromResponse(500, body, QStringLiteral("req_1"), QString());
    QVERIFY2(change.message.contains(QStringLiteral("action id")), qPrintable(change.message));
    const DbError read = stripeErrorFromResponse(500, body, QStringLiteral("req_1"), QString(),
                                                 StripeRequestEffect::ReadsOnly);
    QCOMPARE(read.kind, ErrorKind::Unavailable);
    QVERIFY2(read.message.contains(QStringLiteral("Nothing was changed")), qPrintable(read.message));
    QVERIFY2(!read.message.contains(QStringLiteral("action id")), qPrintable(read.message));
    for (const StripeTransportFailure failure :
         {StripeTransportFailure::Network, StripeTransportFailure::TransferTimeout}) {
        const DbError transport =
            stripeTransportError(failure, QString(), QStringLiteral("api.stripe.com"), 30000,
                                 QStringLiteral("x"), {}, StripeRequestEffect::ReadsOnly);
        QCOMPARE(transport.kind, ErrorKind::Unavailable);
        QVERIFY2(!transport.message.contains(QStringLiteral("action id")), qPrintable(transport.message));
    }
}

void TestStripePure::formatStripeAmount_currencysOwnDecimals_data()
{
    QTest::addColumn<qint64>("minorUnits");
    QTest::addColumn<QString>("currency");
    QTest::addColumn<QString>("locale");
    QTest::addColumn<QString>("expected");
    QTest::newRow("dollars") << qint64(2900) << QStringLiteral("usd") << QStringLiteral("C")
                             << QStringLiteral("29.00 USD");
    QTest::newRow("a credit") << qint64(-150) << QStringLiteral("eur") << QStringLiteral("C")
                              << QStringLiteral("-1.50 EUR");
    // Stripe counts yen in whole yen: no cents to divide by.
    QTest::newRow("yen") << qint64(5000) << QStringLiteral("jpy") << QStringLiteral("C")
                         << QStringLiteral("5000 JPY");
    QTest::newRow("German digits") << qint64(123450) << QStringLiteral("eur") << QStringLiteral("de_DE")
                                   << QStringLiteral("1.234,50 EUR");
}

void TestStripePure::formatStripeAmount_currencysOwnDecimals()
{
    QFETCH(qint64, minorUnits);
    QFETCH(QString, currency);
    QFETCH(QString, locale);
    QFETCH(QString, expected);
    QCOMPARE(formatStripeAmount(minorUnits, currency, QLocale(locale)), expected);
}

void TestStripePure::openableInvoiceUrl_httpsOrLoopbackOnly_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("openable");
    QTest::newRow("Stripe's page") << QStringLiteral("https://invoice.stripe.com/i/acct_1/test_YWNj") << true;
    QTest::newRow("local test server") << QStringLiteral("http://127.0.0.1:41234/in_123") << true;
    QTest::newRow("plain http elsewhere") << QStringLiteral("http://invoice.stripe.com/i/acct_1/x") << false;
    QTest::newRow("a file") << QStringLiteral("file:///etc/passwd") << false;
    QTest::newRow("script") << QStringLiteral("javascript:alert(1)") << false;
    QTest::newRow("empty") << QString() << false;
}

void TestStripePure::openableInvoiceUrl_httpsOrLoopbackOnly()
{
    QFETCH(QString, url);
    QFETCH(bool, openable);
    QCOMPARE(isOpenableInvoiceUrl(QUrl(url)), openable);
}

QTEST_GUILESS_MAIN(TestStripePure)
#include "tst_stripepure.moc"
