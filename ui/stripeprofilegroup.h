#pragma once

#include "billing/stripekey.h"
#include "db/dberror.h"
#include "profiles/connectionprofile.h"

#include <QGroupBox>

#include <functional>
#include <optional>

class QLabel;
class QLineEdit;
class QPushButton;

namespace beacon::ui {

class SecretStore;

// The connect dialog's Stripe group. The profile's secret or restricted key goes to the system keychain,
// beside its password, and once saved is only ever shown redacted; Stripe's API address is not secret and
// stays in the profile's settings. An empty key field keeps the saved key, "Forget the saved key" drops it,
// and a profile with no key has billing off.
class StripeProfileGroup : public QGroupBox {
    Q_OBJECT
public:
    explicit StripeProfileGroup(SecretStore *secrets, QWidget *parent = nullptr);

    // Shows `profile`'s address at once, and its saved key (redacted) when the keychain answers. A keychain
    // that cannot hand the key over is reported to `keychainProblem`, unless another profile was loaded
    // meanwhile.
    void load(const ConnectionProfile &profile, const std::function<void(const DbError &)> &keychainProblem);
    // A new profile: no key, the default address.
    void clear();

    // What the connect button will keep: checked, with words in `error` when the typed key is not a Stripe
    // secret or restricted key, or the address breaks the loopback-only http rule.
    struct Entry {
        // The key the session uses and the keychain keeps: the one typed, else the saved one.
        std::optional<billing::StripeKey> key;
        // A key is saved but the keychain has not handed it over: the entry stays as it is, and the session
        // has no key, for `keyProblem`.
        bool savedKeyUnread = false;
        DbError keyProblem;
        QString apiBase;

        bool keepsKey() const { return key.has_value() || savedKeyUnread; }
    };
    std::optional<Entry> entry(DbError *error) const;

private:
    enum class Saved { None, Reading, Read, Unreadable, Forgotten };
    void setSaved(Saved state);
    void forget();

    SecretStore *m_secrets;
    Saved m_saved = Saved::None;
    std::optional<billing::StripeKey> m_savedKey;
    DbError m_savedKeyProblem;
    // Answers from the keychain for a profile shown before the current one are dropped.
    int m_loadGeneration = 0;

    QLineEdit *m_key = nullptr;
    QLabel *m_keyState = nullptr;
    QPushButton *m_forget = nullptr;
    QLineEdit *m_apiBase = nullptr;
};

} // namespace beacon::ui
