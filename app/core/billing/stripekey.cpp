#include "billing/stripekey.h"

#include <QCoreApplication>
#include <QDebug>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>

namespace beacon::billing {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::billing::StripeKey", text);
}

static constexpr qsizetype minimumBodyLength = 8;
// Below this, the last four characters would be a real share of the secret, so none are shown.
static constexpr qsizetype bodyLengthToShowTail = 16;
static constexpr qint64 largestKeyFile = 4096;

static bool isKeyCharacter(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'_';
}

static QString redactedText(QStringView prefix, QStringView body)
{
    QString text = prefix.toString() + QChar(0x2026);
    if (body.size() >= bodyLengthToShowTail)
        text += body.right(4);
    return text;
}

std::optional<StripeKey> StripeKey::parse(QStringView text, DbError *error)
{
    const QStringView trimmed = text.trimmed();
    auto refuse = [&](const QString &message) -> std::optional<StripeKey> {
        if (error)
            *error = DbError::make(ErrorKind::Usage, message);
        return std::nullopt;
    };
    if (trimmed.isEmpty())
        return refuse(
            tr("The Stripe key is empty. Give the secret key (sk_…) or restricted key (rk_…) from the "
               "Stripe Dashboard, under Developers ▸ API keys."));
    if (trimmed.startsWith(u"pk_"))
        return refuse(tr("That is a publishable Stripe key (pk_…), which cannot read billing. Give a secret "
                         "key (sk_…) or a restricted key (rk_…) instead."));
    if (trimmed.startsWith(u"whsec_"))
        return refuse(tr("That is a webhook signing secret (whsec_…), not an API key. Give a secret key "
                         "(sk_…) or a restricted key (rk_…) instead."));

    static constexpr struct {
        const char16_t *prefix;
        Kind kind;
        Mode mode;
    } prefixes[] = {{u"sk_test_", Kind::Secret, Mode::Test},
                    {u"sk_live_", Kind::Secret, Mode::Live},
                    {u"rk_test_", Kind::Restricted, Mode::Test},
                    {u"rk_live_", Kind::Restricted, Mode::Live}};
    for (const auto &candidate : prefixes) {
        const QStringView prefix(candidate.prefix);
        if (!trimmed.startsWith(prefix))
            continue;
        const QStringView body = trimmed.mid(prefix.size());
        if (body.size() < minimumBodyLength || !std::all_of(body.begin(), body.end(), isKeyCharacter))
            return refuse(tr("The Stripe key starting with %1 is cut short or has characters a Stripe key "
                             "never has. Copy it again from the Stripe Dashboard, in one piece.")
                              .arg(prefix.toString()));
        StripeKey key;
        key.m_secret = trimmed.toLatin1();
        key.m_kind = candidate.kind;
        key.m_mode = candidate.mode;
        return key;
    }
    return refuse(tr("That is not a Stripe API key: it must start with sk_test_, sk_live_, rk_test_ or "
                     "rk_live_. Copy the secret or restricted key from the Stripe Dashboard, under "
                     "Developers ▸ API keys."));
}

QString StripeKey::redacted() const
{
    const QString text = QString::fromLatin1(m_secret);
    const QStringView prefix = QStringView(text).left(8); // "sk_test_", "rk_live_", …
    return redactedText(prefix, QStringView(text).mid(8));
}

QString StripeKey::scrubbed(const QString &text) const
{
    QString result = text;
    if (!m_secret.isEmpty())
        result.replace(QString::fromLatin1(m_secret), redacted());
    return scrubStripeKeys(result);
}

QString scrubStripeKeys(const QString &text)
{
    static const QRegularExpression keyShape(QStringLiteral("\\b([sr]k_(?:test|live)_)([A-Za-z0-9_]+)"));
    QString result;
    qsizetype copiedUpTo = 0;
    auto matches = keyShape.globalMatch(text);
    while (matches.hasNext()) {
        const QRegularExpressionMatch match = matches.next();
        result += QStringView(text).mid(copiedUpTo, match.capturedStart() - copiedUpTo);
        result += redactedText(match.capturedView(1), match.capturedView(2));
        copiedUpTo = match.capturedEnd();
    }
    result += QStringView(text).mid(copiedUpTo);
    return result;
}

QDebug operator<<(QDebug debug, const StripeKey &key)
{
    QDebugStateSaver saver(debug);
    debug.nospace() << "StripeKey(" << key.redacted() << ')';
    return debug;
}

std::optional<StripeKey> readStripeKeyFile(const QString &path, DbError *error)
{
    auto refuse = [&](ErrorKind kind, const QString &message) -> std::optional<StripeKey> {
        if (error)
            *error = DbError::make(kind, message);
        return std::nullopt;
    };
    const QFileInfo info(path);
    if (!info.exists())
        return refuse(ErrorKind::Usage,
                      tr("The Stripe key file %1 does not exist. Check the path given to --stripe-key-file.")
                          .arg(path));
    if (!info.isFile())
        return refuse(
            ErrorKind::Usage,
            tr("%1 is not a file. --stripe-key-file needs a file holding the key alone.").arg(path));
#ifdef Q_OS_UNIX
    const QFile::Permissions openToOthers = QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther |
                                            QFile::WriteOther | QFile::ExeGroup | QFile::ExeOther;
    if (info.permissions() & openToOthers)
        return refuse(
            ErrorKind::Refused,
            tr("The Stripe key file %1 can be read or changed by other users of this computer, so the key is "
               "not safe in it and it was not used. Run: chmod 600 %1 (and consider rolling the key "
               "in the Stripe Dashboard).")
                .arg(path));
#endif
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return refuse(ErrorKind::Usage,
                      tr("Could not read the Stripe key file %1: %2. Check that it belongs to you.")
                          .arg(path, file.errorString()));
    if (file.size() > largestKeyFile)
        return refuse(ErrorKind::Usage,
                      tr("The Stripe key file %1 is too large to hold only a key. Put the key "
                         "alone in the file.")
                          .arg(path));
    const QByteArray content = file.readAll();
    DbError parseError;
    auto key = StripeKey::parse(QString::fromUtf8(content), &parseError);
    if (!key)
        return refuse(parseError.kind, tr("In the Stripe key file %1: %2").arg(path, parseError.message));
    return key;
}

std::optional<StripeKey> stripeKeyFromEnvironment(DbError *error)
{
    const QByteArray value = qgetenv("STRIPE_API_KEY");
    if (value.isEmpty()) {
        if (error)
            *error = DbError::make(ErrorKind::Usage,
                                   tr("No Stripe key was given. Set STRIPE_API_KEY, or use --stripe-key-file "
                                      "with a file only you can read."));
        return std::nullopt;
    }
    DbError parseError;
    auto key = StripeKey::parse(QString::fromUtf8(value), &parseError);
    if (!key && error)
        *error = DbError::make(parseError.kind, tr("In STRIPE_API_KEY: %1").arg(parseError.message));
    return key;
}

DbError checkStripeKeyForProfile(const StripeKey &key, const QString &profileName, bool profileIsProduction)
{
    if (!key.isLive() || profileIsProduction)
        return {};
    return DbError::make(
        ErrorKind::Refused,
        tr("The Stripe key %1 is a live-mode key, which charges real customers, but the "
           "connection profile \"%2\" is not marked as production. Use a test-mode key "
           "(sk_test_… or rk_test_…) with this profile, or mark the profile as production if "
           "it really is.")
            .arg(key.redacted(), profileName));
}

} // namespace beacon::billing
