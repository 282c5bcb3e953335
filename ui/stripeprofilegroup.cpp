#include "stripeprofilegroup.h"

#include "billing/stripeendpoint.h"
#include "connectflow.h"
#include "secretstore.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>

namespace beacon::ui {

StripeProfileGroup::StripeProfileGroup(SecretStore *secrets, QWidget *parent)
    : QGroupBox(tr("Stripe (billing)"), parent)
    , m_secrets(secrets)
{
    setObjectName(QStringLiteral("stripeGroup"));
    m_key = new QLineEdit(this);
    m_key->setObjectName(QStringLiteral("stripeKey"));
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setToolTip(tr("The secret key (sk_…) or restricted key (rk_…) from the Stripe Dashboard, under "
                         "Developers ▸ API keys. It is kept in the system keychain, never in the settings "
                         "file. A live key is accepted only on a profile marked as production."));
    m_forget = new QPushButton(tr("&Forget the saved key"), this);
    m_forget->setObjectName(QStringLiteral("forgetStripeKeyButton"));
    connect(m_forget, &QPushButton::clicked, this, &StripeProfileGroup::forget);
    m_keyState = new QLabel(this);
    m_keyState->setObjectName(QStringLiteral("stripeKeyState"));
    m_keyState->setWordWrap(true);
    m_keyState->setTextFormat(Qt::PlainText);
    m_apiBase = new QLineEdit(this);
    m_apiBase->setObjectName(QStringLiteral("stripeApiBase"));
    const QString fromEnvironment = qEnvironmentVariable("BEACON_STRIPE_API_BASE");
    m_apiBase->setPlaceholderText(fromEnvironment.isEmpty()
                                      ? tr("empty: Stripe's own, https://api.stripe.com")
                                      : tr("empty: BEACON_STRIPE_API_BASE, %1").arg(fromEnvironment));
    m_apiBase->setToolTip(tr("Only for a Stripe-compatible test server: https://, or http:// on this "
                             "computer (127.0.0.1, ::1, localhost)."));

    auto *keyRow = new QHBoxLayout;
    keyRow->addWidget(m_key, 1);
    keyRow->addWidget(m_forget);
    auto *form = new QFormLayout(this);
    auto *keyLabel = new QLabel(tr("API &key:"), this);
    keyLabel->setBuddy(m_key);
    form->addRow(keyLabel, keyRow);
    form->addRow(QString(), m_keyState);
    form->addRow(tr("API &address:"), m_apiBase);
    clear();
}

void StripeProfileGroup::load(const ConnectionProfile &profile,
                              const std::function<void(const DbError &)> &keychainProblem)
{
    const int generation = ++m_loadGeneration;
    m_key->clear();
    m_savedKey.reset();
    m_savedKeyProblem = {};
    m_apiBase->setText(profile.stripeApiBase);
    if (!profile.hasStripeKey) {
        setSaved(Saved::None);
        return;
    }
    setSaved(Saved::Reading);
    const QPointer<StripeProfileGroup> self(this);
    ConnectFlow::readStripeKey(
        m_secrets, profile,
        [self, generation, keychainProblem](std::optional<billing::StripeKey> key, const DbError &problem) {
            if (!self || self->m_loadGeneration != generation)
                return;
            self->m_savedKey = std::move(key);
            self->m_savedKeyProblem = problem;
            self->setSaved(self->m_savedKey ? Saved::Read : Saved::Unreadable);
            if (problem && keychainProblem)
                keychainProblem(problem);
        });
}

void StripeProfileGroup::clear()
{
    ++m_loadGeneration;
    m_key->clear();
    m_apiBase->clear();
    m_savedKey.reset();
    m_savedKeyProblem = {};
    setSaved(Saved::None);
}

void StripeProfileGroup::forget()
{
    m_key->clear();
    m_savedKey.reset();
    setSaved(Saved::Forgotten);
}

void StripeProfileGroup::setSaved(Saved state)
{
    m_saved = state;
    const bool saved = state == Saved::Reading || state == Saved::Read || state == Saved::Unreadable;
    m_forget->setEnabled(saved);
    // The state line beneath says what an empty field means; the placeholder only hints at what to type.
    m_key->setPlaceholderText(saved ? tr("type to replace") : tr("sk_test_… or rk_test_…"));
    switch (state) {
    case Saved::None:
        m_keyState->setText(tr("No key saved: billing is off for this profile."));
        break;
    case Saved::Reading:
        m_keyState->setText(tr("A key is saved; reading it from the system keychain…"));
        break;
    case Saved::Read:
        m_keyState->setText(tr("Saved in the system keychain: %1").arg(m_savedKey->redacted()));
        break;
    case Saved::Unreadable:
        m_keyState->setText(tr("A key is saved, but the system keychain did not hand it over; it stays "
                               "there unless you forget it or type a new one."));
        break;
    case Saved::Forgotten:
        m_keyState->setText(tr("The saved key will be removed from the system keychain when you connect."));
        break;
    }
}

std::optional<StripeProfileGroup::Entry> StripeProfileGroup::entry(DbError *error) const
{
    Entry entry;
    if (!m_key->text().trimmed().isEmpty()) {
        DbError keyError;
        entry.key = billing::StripeKey::parse(m_key->text(), &keyError);
        if (!entry.key) {
            *error = keyError;
            return std::nullopt;
        }
    } else if (m_saved == Saved::Read) {
        entry.key = m_savedKey;
    } else if (m_saved == Saved::Reading || m_saved == Saved::Unreadable) {
        entry.savedKeyUnread = true;
        entry.keyProblem = m_savedKeyProblem ? m_savedKeyProblem
                                             : DbError::make(ErrorKind::Unavailable,
                                                             SecretStore::unreadableStripeKeyMessage());
    }
    entry.apiBase = m_apiBase->text().trimmed();
    if (!entry.apiBase.isEmpty()) {
        DbError addressError;
        if (!billing::StripeEndpoint::parse(entry.apiBase, &addressError)) {
            *error = addressError;
            return std::nullopt;
        }
    }
    return entry;
}

} // namespace beacon::ui
