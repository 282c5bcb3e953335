#pragma once

#include <QByteArray>
#include <QVariantMap>

namespace beacon::billing {

// Parameters of a Stripe request, as Stripe's API describes them: scalars (QString, integers, bool), nested
// objects (QVariantMap, for example metadata), and lists (QVariantList or QStringList, for example items or
// expand). A null QVariant sends an empty value, which is how Stripe unsets a field.
using StripeParams = QVariantMap;

// Stripe's form encoding (application/x-www-form-urlencoded with bracketed keys), used for POST bodies and,
// identically, for GET query strings:
//   metadata[workspace_id]=42, items[0][price]=price_1, items[0][id]=si_1, expand[]=customer, active=true.
// A list of objects is indexed so that each object's fields stay together; a list of scalars uses "[]".
// Keys and values are UTF-8, and everything outside RFC 3986's unreserved characters is percent-encoded,
// brackets included, so "+", "&", "=" and spaces in a value can never be read as separators.
QByteArray encodeStripeForm(const StripeParams &params);

} // namespace beacon::billing
