#include "stripeapicheck.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace beacon::test {

QString StripeApiCheck::defaultSubsetPath()
{
    return QStringLiteral(BEACON_STRIPE_API_SUBSET);
}

QString StripeApiCheck::fixturesSubsetPath()
{
    return QStringLiteral(BEACON_STRIPE_FIXTURES_SUBSET);
}

bool StripeApiCheck::load(const QString &subsetPath)
{
    QFile file(subsetPath);
    if (!file.open(QIODevice::ReadOnly)) {
        m_error = QStringLiteral("cannot read %1: %2").arg(subsetPath, file.errorString());
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        m_error = QStringLiteral("%1 is not a JSON object: %2").arg(subsetPath, parseError.errorString());
        return false;
    }
    m_paths = document.object().value(QStringLiteral("paths")).toObject();
    m_apiVersion = document.object().value(QStringLiteral("api_version")).toString();
    if (m_paths.isEmpty()) {
        m_error = QStringLiteral("%1 lists no paths; run tests/stripe/extract_stripe_api.py").arg(subsetPath);
        return false;
    }
    m_error.clear();
    return true;
}

QStringList StripeApiCheck::operations() const
{
    QStringList result;
    for (auto path = m_paths.begin(); path != m_paths.end(); ++path) {
        const QJsonObject operations = path.value().toObject().value(QStringLiteral("operations")).toObject();
        for (const QString &method : operations.keys())
            result << method.toUpper() + QLatin1Char(' ') + path.key();
    }
    return result;
}

QString StripeApiCheck::matchTemplate(const QString &path) const
{
    const QStringList segments = path.split(QLatin1Char('/'));
    QString best;
    int bestLiterals = -1;
    for (const QString &candidate : m_paths.keys()) {
        const QStringList templateSegments = candidate.split(QLatin1Char('/'));
        if (templateSegments.size() != segments.size())
            continue;
        int literals = 0;
        bool matches = true;
        for (qsizetype i = 0; i < segments.size() && matches; ++i) {
            const QString &part = templateSegments.at(i);
            if (part.startsWith(QLatin1Char('{')) && part.endsWith(QLatin1Char('}')))
                matches = !segments.at(i).isEmpty();
            else if ((matches = part == segments.at(i)))
                ++literals;
        }
        if (matches && literals > bestLiterals) {
            best = candidate;
            bestLiterals = literals;
        }
    }
    return best;
}

// Stripe's form encoding: `name`, then `[key]` or `[]` per level of nesting.
QString StripeApiCheck::checkName(const QString &name, const QJsonObject &parameters, const QString &where)
{
    static const QRegularExpression pattern(QStringLiteral(R"(^([^\[\]]+)((?:\[[^\[\]]*\])*)$)"));
    const QRegularExpressionMatch match = pattern.match(name);
    if (!match.hasMatch())
        return QStringLiteral("%1 parameter \"%2\" is not a well-formed Stripe parameter name")
            .arg(where, name);
    const QString base = match.captured(1);
    if (!parameters.contains(base))
        return QStringLiteral("unknown %1 parameter \"%2\"").arg(where, name);
    QJsonObject shape = parameters.value(base).toObject();
    static const QRegularExpression keyPattern(QStringLiteral(R"(\[([^\[\]]*)\])"));
    QString walked = base;
    for (auto it = keyPattern.globalMatch(match.captured(2)); it.hasNext();) {
        const QString key = it.next().captured(1);
        walked += QLatin1Char('[') + key + QLatin1Char(']');
        bool isIndex = key.isEmpty();
        if (!isIndex)
            key.toUInt(&isIndex);
        // A digit key is a list index where the shape is a list, and an ordinary key (metadata[0]) otherwise.
        if (isIndex && shape.contains(QStringLiteral("items"))) {
            shape = shape.value(QStringLiteral("items")).toObject();
            continue;
        }
        if (key.isEmpty())
            return QStringLiteral("unknown %1 parameter \"%2\": \"%3\" is not a list")
                .arg(where, name, walked.left(walked.size() - 2));
        const QJsonObject properties = shape.value(QStringLiteral("properties")).toObject();
        if (properties.contains(key))
            shape = properties.value(key).toObject();
        else if (shape.contains(QStringLiteral("additional")))
            shape = shape.value(QStringLiteral("additional")).toObject();
        else
            return QStringLiteral("unknown %1 parameter \"%2\": \"%3\" has no field \"%4\"")
                .arg(where, name, walked.left(walked.size() - key.size() - 2), key);
    }
    if (!shape.value(QStringLiteral("scalar")).toBool())
        return QStringLiteral("%1 parameter \"%2\" takes no value of its own; it needs nested names")
            .arg(where, name);
    return {};
}

QStringList StripeApiCheck::violations(const QString &method, const QString &path, const StripeParams &query,
                                       const StripeParams &form) const
{
    if (m_paths.isEmpty())
        return {QStringLiteral("the Stripe API subset is not loaded: %1").arg(m_error)};
    const QString upper = method.toUpper();
    const QString pathTemplate = matchTemplate(path);
    if (pathTemplate.isEmpty())
        return {QStringLiteral("unknown path %1: not a path the console uses in Stripe's API").arg(path)};
    const QJsonObject entry = m_paths.value(pathTemplate).toObject();
    const QJsonObject operation =
        entry.value(QStringLiteral("operations")).toObject().value(method.toLower()).toObject();
    if (operation.isEmpty()) {
        const bool inSpec =
            entry.value(QStringLiteral("methods_in_spec")).toArray().contains(method.toLower());
        return {inSpec
                    ? QStringLiteral("method %1 on %2 is in Stripe's API but not in the subset the console "
                                     "uses; add it to tests/stripe/extract_stripe_api.py")
                          .arg(upper, pathTemplate)
                    : QStringLiteral("method %1 not allowed on %2 by Stripe's API").arg(upper, pathTemplate)};
    }
    QStringList result;
    const QJsonObject queryParameters = operation.value(QStringLiteral("query")).toObject();
    for (const auto &pair : query) {
        const QString problem = checkName(pair.first, queryParameters, QStringLiteral("query"));
        if (!problem.isEmpty())
            result << QStringLiteral("%1 %2: %3").arg(upper, pathTemplate, problem);
    }
    const QJsonObject formParameters = operation.value(QStringLiteral("form")).toObject();
    for (const auto &pair : form) {
        const QString problem = checkName(pair.first, formParameters, QStringLiteral("form"));
        if (!problem.isEmpty())
            result << QStringLiteral("%1 %2: %3").arg(upper, pathTemplate, problem);
    }
    return result;
}

} // namespace beacon::test
