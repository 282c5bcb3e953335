#pragma once

#include <QHash>
#include <QObject>
#include <QString>

#include <functional>
#include <optional>

namespace beacon::ui {

// Where passwords and Stripe keys live: the operating system's keychain, never the settings file. Every call
// is asynchronous, because a keychain may ask the person to unlock it, and the GUI thread must not wait.
// Errors handed to the callbacks are the keychain's own technical text; what a person reads is worded here,
// once, so that every implementation fails the same way.
class SecretStore : public QObject {
    Q_OBJECT
public:
    using ReadDone = std::function<void(std::optional<QString> secret, QString error)>;
    using WriteDone = std::function<void(QString error)>;
    // What is kept, so that a failure names it and says what it means for the person.
    enum class Kind { Password, StripeKey };

    using QObject::QObject;
    void read(const QString &key, ReadDone done);
    void write(const QString &key, const QString &secret, WriteDone done = {}, Kind kind = Kind::Password);
    void remove(const QString &key, WriteDone done = {}, Kind kind = Kind::Password);

    // Words for a keychain that could not hand over a saved password.
    static QString unreadableMessage();
    // Words for a keychain that could not hand over a profile's Stripe key.
    static QString unreadableStripeKeyMessage();

signals:
    // A failed save or removal a person must hear about even when the dialog that caused it has closed:
    // `message` says what happened and what to do, `details` is the keychain's own text.
    void problem(const QString &message, const QString &details);

protected:
    // Implementations call `done` exactly once, on this object's thread, and only while this object lives
    // (a job parented to it, or a timer with it as context).
    virtual void readSecret(const QString &key, ReadDone done) = 0;
    virtual void writeSecret(const QString &key, const QString &secret, WriteDone done) = 0;
    virtual void removeSecret(const QString &key, WriteDone done) = 0;
};

// The real one, through QtKeychain (Secret Service, Keychain Services, Credential Manager).
class KeychainSecretStore : public SecretStore {
    Q_OBJECT
public:
    explicit KeychainSecretStore(QObject *parent = nullptr);

protected:
    void readSecret(const QString &key, ReadDone done) override;
    void writeSecret(const QString &key, const QString &secret, WriteDone done) override;
    void removeSecret(const QString &key, WriteDone done) override;
};

// Kept in memory only: for tests, and for a machine without any keychain. Answers on the next event loop
// turn, like the real one. A test can make it fail like a keychain without a Secret Service.
class MemorySecretStore : public SecretStore {
    Q_OBJECT
public:
    using SecretStore::SecretStore;
    bool contains(const QString &key) const { return m_secrets.contains(key); }
    QString value(const QString &key) const { return m_secrets.value(key); }
    // Every later call fails with this text, the way QtKeychain reports an absent Secret Service.
    void failWith(const QString &keychainError) { m_failure = keychainError; }
    // Saves asked of this store so far (made or failed), so that a test can prove none was asked.
    int writesAsked() const { return m_writesAsked; }

protected:
    void readSecret(const QString &key, ReadDone done) override;
    void writeSecret(const QString &key, const QString &secret, WriteDone done) override;
    void removeSecret(const QString &key, WriteDone done) override;

private:
    QHash<QString, QString> m_secrets;
    QString m_failure;
    int m_writesAsked = 0;
};

} // namespace beacon::ui
