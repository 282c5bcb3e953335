#pragma once

#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace beacon::test {

using StripeParams = QList<QPair<QString, QString>>;

// Checks one request against the subset of Stripe's OpenAPI description in tests/stripe/
// (stripe-api-subset.json, written by tests/stripe/extract_stripe_api.py): the path, the method, and every
// query and form parameter name, nested ones included (`items[0][price]`, `metadata[workspace_id]`,
// `expand[]`). Values are not checked. Anything the console sends must pass, because an independent
// Stripe-compatible server will be pointed at it.
class StripeApiCheck {
public:
    // The subset committed in the source tree (its path is compiled in from CMake).
    static QString defaultSubsetPath();
    // Stripe's example objects (stripe-fixtures-subset.json) that responses are compared against.
    static QString fixturesSubsetPath();

    bool load(const QString &subsetPath = defaultSubsetPath());
    QString errorText() const { return m_error; }
    QString apiVersion() const { return m_apiVersion; }
    // "GET /v1/customers", … for every operation the subset allows: proves what was loaded.
    QStringList operations() const;

    // The violations in words; empty when the request is valid. `path` has no query string.
    QStringList violations(const QString &method, const QString &path, const StripeParams &query,
                           const StripeParams &form = {}) const;

private:
    // The template (`/v1/customers/{customer}`) that `path` matches, literal segments preferred; empty if
    // none.
    QString matchTemplate(const QString &path) const;
    static QString checkName(const QString &name, const QJsonObject &parameters, const QString &where);

    QJsonObject m_paths;
    QString m_apiVersion;
    QString m_error;
};

} // namespace beacon::test
