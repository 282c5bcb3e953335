#include "connectflow.h"

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
    readPassword(secrets, *profile,
                 [target, profile, keychainProblem](std::optional<QString> password, const DbError &problem) {
                     if (problem && keychainProblem)
                         keychainProblem(problem);
                     if (target)
                         target->connectTo(profile->spec(password.value_or(QString())), profile->name,
                                           profile->production);
                 });
    return true;
}

} // namespace beacon::ui::ConnectFlow
