#include "billing/stripeform.h"

#include <QStringList>

namespace beacon::billing {

static QByteArray scalarText(const QVariant &value)
{
    if (value.isNull())
        return {};
    if (value.typeId() == QMetaType::Bool)
        return value.toBool() ? QByteArrayLiteral("true") : QByteArrayLiteral("false");
    return value.toString().toUtf8();
}

static void appendPair(QByteArray &out, const QString &key, const QByteArray &value)
{
    if (!out.isEmpty())
        out += '&';
    out += key.toUtf8().toPercentEncoding();
    out += '=';
    out += value.toPercentEncoding();
}

static void encodeValue(QByteArray &out, const QString &key, const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::QVariantMap: {
        const QVariantMap map = value.toMap();
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            encodeValue(out, key + u'[' + it.key() + u']', it.value());
        return;
    }
    case QMetaType::QVariantList:
    case QMetaType::QStringList: {
        const QVariantList list = value.toList();
        for (qsizetype i = 0; i < list.size(); ++i) {
            const QVariant &element = list.at(i);
            const bool nested =
                element.typeId() == QMetaType::QVariantMap || element.typeId() == QMetaType::QVariantList;
            if (nested)
                encodeValue(out, key + u'[' + QString::number(i) + u']', element);
            else
                appendPair(out, key + QStringLiteral("[]"), scalarText(element));
        }
        return;
    }
    default:
        appendPair(out, key, scalarText(value));
    }
}

QByteArray encodeStripeForm(const StripeParams &params)
{
    QByteArray out;
    for (auto it = params.cbegin(); it != params.cend(); ++it)
        encodeValue(out, it.key(), it.value());
    return out;
}

} // namespace beacon::billing
