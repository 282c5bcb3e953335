#pragma once

#include "db/dberror.h"

#include <QByteArray>
#include <QString>

#include <optional>

class QDebug;

namespace beacon::billing {

// A Stripe secret (sk_…) or restricted (rk_…) API key. It has no implicit conversion to any printable type,
// so it cannot slip into a message, a log line or a QString::arg by accident; QDebug prints it redacted. The
// secret leaves the object only through secretForTransport(), whose callers are the Authorization header
// and the keychain.
class StripeKey {
public:
    enum class Kind { Secret, Restricted };
    enum class Mode { Test, Live };

    // Surrounding whitespace (a key file's trailing newline) is ignored. A publishable key (pk_…), a webhook
    // secret (whsec_…) or anything else is refused with words that never repeat the text given.
    static std::optional<StripeKey> parse(QStringView text, DbError *error = nullptr);

    Kind kind() const { return m_kind; }
    Mode mode() const { return m_mode; }
    bool isTest() const { return m_mode == Mode::Test; }
    bool isLive() const { return m_mode == Mode::Live; }
    // "sk_test_…abcd": the kind and mode, and the last four characters when the key is long enough that they
    // give nothing useful away, as Stripe's dashboard shows it.
    QString redacted() const;
    // The key itself, for the Authorization header and the keychain only.
    QByteArray secretForTransport() const { return m_secret; }
    // The text with every occurrence of this key, and of anything shaped like a Stripe secret or restricted
    // key, replaced by its redacted form: a last guard on text that came back from the network.
    QString scrubbed(const QString &text) const;

    friend bool operator==(const StripeKey &a, const StripeKey &b) { return a.m_secret == b.m_secret; }

private:
    StripeKey() = default;
    QByteArray m_secret;
    Kind m_kind = Kind::Secret;
    Mode m_mode = Mode::Test;
};

QDebug operator<<(QDebug debug, const StripeKey &key);

// Text shaped like Stripe secret or restricted keys, replaced by their redacted form.
QString scrubStripeKeys(const QString &text);

// Reads a key from a file given with --stripe-key-file. A file that its group or others can read or write is
// refused (with the chmod that fixes it) before its content is read, as ssh does with private keys.
std::optional<StripeKey> readStripeKeyFile(const QString &path, DbError *error);

// The key in STRIPE_API_KEY; an error with words when it is unset or malformed.
std::optional<StripeKey> stripeKeyFromEnvironment(DbError *error);

// A live key moves real money: it is accepted only on a profile marked production. Returns no error when the
// key may be used with that profile.
DbError checkStripeKeyForProfile(const StripeKey &key, const QString &profileName, bool profileIsProduction);

} // namespace beacon::billing
