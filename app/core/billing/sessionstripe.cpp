#include "billing/sessionstripe.h"

#include "profiles/connectionprofile.h"

#include <QCoreApplication>

namespace beacon::billing {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::billing::SessionStripe", text);
}

SessionStripe stripeForProfile(const ConnectionProfile &profile, const std::optional<StripeKey> &key,
                               const DbError &keyProblem)
{
    SessionStripe stripe;
    if (!profile.hasStripeKey && !key)
        return stripe;
    stripe.source = SessionStripe::Source::Profile;
    if (!key) {
        stripe.problem = keyProblem
                             ? keyProblem
                             : DbError::make(ErrorKind::Unavailable,
                                             tr("The Stripe key of the profile \"%1\" was not found in "
                                                "the system keychain. Enter it again under File ▸ "
                                                "Connect…, in the profile's Stripe group.")
                                                 .arg(profile.name));
        return stripe;
    }
    if (DbError refused = checkStripeKeyForProfile(*key, profile.name, profile.production)) {
        stripe.problem = refused;
        return stripe;
    }
    DbError addressProblem;
    const std::optional<StripeEndpoint> endpoint =
        StripeEndpoint::resolve(profile.stripeApiBase, &addressProblem);
    if (!endpoint) {
        stripe.problem = addressProblem;
        return stripe;
    }
    stripe.access.key = key;
    stripe.access.endpoint = endpoint;
    return stripe;
}

} // namespace beacon::billing
