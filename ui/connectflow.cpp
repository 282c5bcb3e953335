#include "connectflow.h"

#include "billing/sessionstripe.h"
#include "mainwindow.h"
#include "secretstore.h"

#include <QCoreApplication>
#include <QPointer>

namespace beacon::ui::ConnectFlow {

void readPassword(SecretStore *secrets, const ConnectionProfile &profile, PasswordRead done)
{
    if (!profile.rememberPassword) {
        done(std::nullopt, DbError());
        return;
    }
    secrets->read(profile.secretKey(), [done](std::optional<QString> secret, const QString &error) {
        DbError problem;
        if (!secret && !error.isEmpty())
            problem = DbError::make(ErrorKind::Unavailable, SecretStore::unreadableMessage(), error);
        done(std::move(secret), problem);
    });
}

void readStripeKey(SecretStore *secrets, const ConnectionProfile &profile, StripeKeyRead done)
{
    if (!profile.hasStripeKey) {
        done(std::nullopt, DbError());
        return;
    }
    secrets->read(profile.stripeKeySecretKey(), [done](std::optional<QString> secret, const QString &error) {
        if (!secret) {
            // An entry that is simply gone is worded by stripeForProfile(), which knows the profile.
            done(std::nullopt, error.isEmpty()
                                   ? DbError()
                                   : DbError::make(ErrorKind::Unavailable,
                                                   SecretStore::unreadableStripeKeyMessage(), error));
            return;
        }
        DbError parseError;
        std::optional<billing::StripeKey> key = billing::StripeKey::parse(*secret, &parseError);
        if (!key)
            parseError.message =
                QCoreApplication::translate("ConnectFlow", "The Stripe key saved in the system keychain for "
                                                           "this profile is not usable: %1 Enter it again "
                                                           "under File ▸ Connect….")
                    .arg(parseError.message);
        done(std::move(key), parseError);
    });
}

bool connectWithProfile(MainWindow *window, const ProfileStore &profiles, SecretStore *secrets,
                        const QString &name, QString *error,
                        const std::function<void(const DbError &keychainProblem)> &keychainProblem)
{
    const std::optional<ConnectionProfile> profile = profiles.profile(name);
    if (!profile) {
        *error =
            QCoreApplication::translate("ConnectFlow", "There is no saved profile named \"%1\".").arg(name);
        return false;
    }
    const QPointer<MainWindow> target(window);
    // The password first, then the Stripe key: one keychain prompt at a time.
    readPassword(
        secrets, *profile,
        [target, secrets, profile, keychainProblem](std::optional<QString> password, const DbError &problem) {
            if (problem && keychainProblem)
                keychainProblem(problem);
            if (!target)
                return;
            const ConnectionSpec spec = profile->spec(password.value_or(QString()));
            readStripeKey(
                secrets, *profile,
                [target, profile, spec](std::optional<billing::StripeKey> key, const DbError &keyProblem) {
                    if (target)
                        target->connectTo(spec, profile->name, profile->production,
                                          billing::stripeForProfile(*profile, key, keyProblem));
                });
        });
    return true;
}

} // namespace beacon::ui::ConnectFlow
