#include "secretstore.h"

#include <QTimer>
#include <qt6keychain/keychain.h>

namespace beacon::ui {

static const QString KeychainService = QStringLiteral("Beacon Admin");

static QString keychainErrorText(QKeychain::Job *job)
{
    return QObject::tr(
               "The system keychain did not answer (%1). The password was not saved and will be asked "
               "for again.")
        .arg(job->errorString());
}

KeychainSecretStore::KeychainSecretStore(QObject *parent)
    : SecretStore(parent)
{}

void KeychainSecretStore::read(const QString &key, ReadDone done)
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

void KeychainSecretStore::write(const QString &key, const QString &secret, WriteDone done)
{
    auto *job = new QKeychain::WritePasswordJob(KeychainService, this);
    job->setKey(key);
    job->setTextData(secret);
    connect(job, &QKeychain::Job::finished, this, [this, done = std::move(done)](QKeychain::Job *finished) {
        const QString error =
            finished->error() == QKeychain::NoError ? QString() : keychainErrorText(finished);
        if (!error.isEmpty())
            emit problem(error);
        done(error);
    });
    job->start();
}

void KeychainSecretStore::remove(const QString &key, WriteDone done)
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

void MemorySecretStore::read(const QString &key, ReadDone done)
{
    const auto found = m_secrets.constFind(key);
    const std::optional<QString> secret =
        found == m_secrets.constEnd() ? std::nullopt : std::optional(*found);
    QTimer::singleShot(0, this, [secret, done = std::move(done)] { done(secret, {}); });
}

void MemorySecretStore::write(const QString &key, const QString &secret, WriteDone done)
{
    m_secrets.insert(key, secret);
    QTimer::singleShot(0, this, [done = std::move(done)] { done({}); });
}

void MemorySecretStore::remove(const QString &key, WriteDone done)
{
    m_secrets.remove(key);
    QTimer::singleShot(0, this, [done = std::move(done)] { done({}); });
}

} // namespace beacon::ui
