#pragma once

#include <QHash>
#include <QObject>
#include <QString>

#include <functional>
#include <optional>

namespace beacon::ui {

// Where passwords live: the operating system's keychain, never the settings file. Every call is
// asynchronous, because a keychain may ask the person to unlock it, and the GUI thread must not wait.
class SecretStore : public QObject {
    Q_OBJECT
public:
    using ReadDone = std::function<void(std::optional<QString> secret, QString error)>;
    using WriteDone = std::function<void(QString error)>;

    using QObject::QObject;
    virtual void read(const QString &key, ReadDone done) = 0;
    virtual void write(const QString &key, const QString &secret, WriteDone done) = 0;
    virtual void remove(const QString &key, WriteDone done) = 0;

signals:
    // A keychain failure a person should hear about even when the dialog that caused it has closed.
    void problem(const QString &message);
};

// The real one, through QtKeychain (Secret Service, Keychain Services, Credential Manager).
class KeychainSecretStore : public SecretStore {
    Q_OBJECT
public:
    explicit KeychainSecretStore(QObject *parent = nullptr);
    void read(const QString &key, ReadDone done) override;
    void write(const QString &key, const QString &secret, WriteDone done) override;
    void remove(const QString &key, WriteDone done) override;
};

// Kept in memory only: for tests, and for a machine without any keychain. Answers on the next event loop
// turn, like the real one.
class MemorySecretStore : public SecretStore {
    Q_OBJECT
public:
    using SecretStore::SecretStore;
    void read(const QString &key, ReadDone done) override;
    void write(const QString &key, const QString &secret, WriteDone done) override;
    void remove(const QString &key, WriteDone done) override;
    bool contains(const QString &key) const { return m_secrets.contains(key); }
    QString value(const QString &key) const { return m_secrets.value(key); }

private:
    QHash<QString, QString> m_secrets;
};

} // namespace beacon::ui
