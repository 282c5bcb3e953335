#include "secretstore.h"

#include <QTimer>
#include <qt6keychain/keychain.h>

namespace beacon::ui {

void SecretStore::read(const QString &key, ReadDone done)
{
    readSecret(key, std::move(done));
}

void SecretStore::write(const QString &key, const QString &secret, WriteDone done, Kind kind)
{
    writeSecret(key, secret, [this, kind, done = std::move(done)](const QString &error) {
        // Never a fallback to the settings file: the person types the secret again next time.
        if (!error.isEmpty())
            emit problem(
                kind == Kind::StripeKey
                    ? tr("The Stripe key could not be saved in the system keychain: it is used for this "
                         "session only, and the profile will have no Stripe key next time. It was not "
                         "written "
                         "anywhere else. To keep it, make sure a keychain (such as GNOME Keyring or KWallet) "
                         "is "
                         "running and unlocked, then enter the key again under File ▸ Connect….")
                    : tr("The password could not be saved in the system keychain, so Beacon Admin will ask "
                         "for it again next time. It was not written anywhere else. To have it remembered, "
                         "make sure a keychain (such as GNOME Keyring or KWallet) is running and unlocked."),
                error);
        if (done)
            done(error);
    });
}

void SecretStore::remove(const QString &key, WriteDone done, Kind kind)
{
    removeSecret(key, [this, key, kind, done = std::move(done)](const QString &error) {
        if (!error.isEmpty())
            emit problem(
                (kind == Kind::StripeKey
                     ? tr("The saved Stripe key could not be removed from the system keychain. Remove "
                          "the entry \"%1\" of \"Beacon Admin\" with the keychain's own tool (such as "
                          "Seahorse or KWalletManager), and consider rolling the key in the Stripe "
                          "Dashboard.")
                     : tr("The saved password could not be removed from the system keychain. Remove the "
                          "entry \"%1\" of \"Beacon Admin\" with the keychain's own tool (such as "
                          "Seahorse or KWalletManager)."))
                    .arg(key),
                error);
        if (done)
            done(error);
    });
}

QString SecretStore::unreadableMessage()
{
    return tr("The saved password could not be read from the system keychain. Type the password to connect; "
              "if you want it remembered, make sure the keychain is running and unlocked.");
}

QString SecretStore::unreadableStripeKeyMessage()
{
    return tr(
        "The profile's Stripe key could not be read from the system keychain, so billing is off for this "
        "session; the database works. Make sure the keychain is running and unlocked, then connect again.");
}

static const QString KeychainService = QStringLiteral("Beacon Admin");

static QString keychainErrorText(QKeychain::Job *job)
{
    return QStringLiteral("QtKeychain error %1: %2").arg(int(job->error())).arg(job->errorString());
}

KeychainSecretStore::KeychainSecretStore(QObject *parent)
    : SecretStore(parent)
{}

void KeychainSecretStore::readSecret(const QString &key, ReadDone done)
{
    auto *job = new QKeychain::ReadPasswordJob(KeychainService, this);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this, [done = std::move(done)](QKeychain::Job *finished) {
        auto *readJob = static_cast<QKeychain::ReadPasswordJob *>(finished);
        if (finished->error() == QKeychain::NoError)
            done(readJob->textData(), {});
        else if (finished->error() == QKeychain::EntryNotFound)
            done(std::nullopt, {});
        else
            done(std::nullopt, keychainErrorText(finished));
    });
    job->start();
}

void KeychainSecretStore::writeSecret(const QString &key, const QString &secret, WriteDone done)
{
    auto *job = new QKeychain::WritePasswordJob(KeychainService, this);
    job->setKey(key);
    job->setTextData(secret);
    connect(job, &QKeychain::Job::finished, this, [done = std::move(done)](QKeychain::Job *finished) {
        done(finished->error() == QKeychain::NoError ? QString() : keychainErrorText(finished));
    });
    job->start();
}

void KeychainSecretStore::removeSecret(const QString &key, WriteDone done)
{
    auto *job = new QKeychain::DeletePasswordJob(KeychainService, this);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this, [done = std::move(done)](QKeychain::Job *finished) {
        const bool gone =
            finished->error() == QKeychain::NoError || finished->error() == QKeychain::EntryNotFound;
        done(gone ? QString() : keychainErrorText(finished));
    });
    job->start();
}

void MemorySecretStore::readSecret(const QString &key, ReadDone done)
{
    const auto found = m_secrets.constFind(key);
    std::optional<QString> secret = found == m_secrets.constEnd() ? std::nullopt : std::optional(*found);
    if (!m_failure.isEmpty())
        secret.reset();
    QTimer::singleShot(0, this, [secret, error = m_failure, done = std::move(done)] { done(secret, error); });
}

void MemorySecretStore::writeSecret(const QString &key, const QString &secret, WriteDone done)
{
    ++m_writesAsked;
    if (m_failure.isEmpty())
        m_secrets.insert(key, secret);
    QTimer::singleShot(0, this, [error = m_failure, done = std::move(done)] { done(error); });
}

void MemorySecretStore::removeSecret(const QString &key, WriteDone done)
{
    if (m_failure.isEmpty())
        m_secrets.remove(key);
    QTimer::singleShot(0, this, [error = m_failure, done = std::move(done)] { done(error); });
}

} // namespace beacon::ui
