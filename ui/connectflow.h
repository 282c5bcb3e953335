#pragma once

#include "billing/stripekey.h"
#include "db/dberror.h"
#include "profiles/connectionprofile.h"

#include <functional>
#include <optional>

namespace beacon::ui {

class MainWindow;
class SecretStore;

// How a saved profile becomes a connection, in one place for the connect dialog and for `beacon-admin
// --profile NAME`: the password comes from the keychain only when the profile remembers one; otherwise
// libpq's own sources (~/.pgpass, PGPASSWORD, trust) are tried, as psql does.
namespace ConnectFlow {

// `password` is the remembered password, or nothing; `keychainProblem` says, in words with the keychain's
// own text as details, why a remembered one could not be read. Called at once when the profile remembers
// no password, else when the keychain answers (later, on the GUI thread).
using PasswordRead = std::function<void(std::optional<QString> password, const DbError &keychainProblem)>;
void readPassword(SecretStore *secrets, const ConnectionProfile &profile, PasswordRead done);

// `key` is the profile's Stripe key from the keychain, or nothing; `problem` says why a key the profile keeps
// could not be had (the keychain failed, or holds something that is not a Stripe key), in words that never
// repeat it. Called at once when the profile keeps no key, else when the keychain answers.
using StripeKeyRead = std::function<void(std::optional<billing::StripeKey> key, const DbError &problem)>;
void readStripeKey(SecretStore *secrets, const ConnectionProfile &profile, StripeKeyRead done);

// Connects `window` with the saved profile named `name`, and its Stripe (SessionStripe). Without the password
// (the keychain failed) the attempt still goes ahead, since ~/.pgpass may hold it; a refusal is then shown in
// the window, and the keychain's problem goes to `keychainProblem`. Without the Stripe key the session has
// billing off, and the window says why. Returns false, with words in `error`, when no profile has
// that name.
bool connectWithProfile(MainWindow *window, const ProfileStore &profiles, SecretStore *secrets,
                        const QString &name, QString *error,
                        const std::function<void(const DbError &keychainProblem)> &keychainProblem);

} // namespace ConnectFlow

} // namespace beacon::ui
