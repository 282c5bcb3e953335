#include "browse/auditdiff.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>

namespace beacon::browse {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::browse", text);
}

namespace {

const QJsonValue Absent(QJsonValue::Undefined);

// QJsonDocument writes only arrays and objects: the value goes in an array of one, whose brackets come off.
QString jsonText(const QJsonValue &value)
{
    if (value.isUndefined())
        return {};
    const QByteArray text = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(text.mid(1, text.size() - 2));
}

// A key that reads unambiguously after a dot: letters (of any script), digits and underscores.
bool isPlainKey(const QString &key)
{
    if (key.isEmpty())
        return false;
    for (const QChar c : key) {
        if (!c.isLetterOrNumber() && c != QLatin1Char('_'))
            return false;
    }
    return true;
}

QString keyPath(const QString &parent, const QString &key)
{
    if (!isPlainKey(key))
        return parent + QLatin1Char('[') + jsonText(key) + QLatin1Char(']');
    return parent.isEmpty() ? key : parent + QLatin1Char('.') + key;
}

QString indexPath(const QString &parent, qsizetype index)
{
    return parent + QLatin1Char('[') + QString::number(index) + QLatin1Char(']');
}

bool isContainer(const QJsonValue &value)
{
    return value.isObject() || value.isArray();
}

struct Walk {
    bool includeUnchanged;
    QList<FieldChange> *changes;

    void leaf(const QString &path, const QJsonValue &before, const QJsonValue &after) const
    {
        FieldChange change{path, FieldChange::Kind::Changed, jsonText(before), jsonText(after)};
        if (before.isUndefined())
            change.kind = FieldChange::Kind::Added;
        else if (after.isUndefined())
            change.kind = FieldChange::Kind::Removed;
        else if (before == after) // numbers by value: 1 == 1.0, but 1 != "1"
            change.kind = FieldChange::Kind::Unchanged;
        if (change.kind != FieldChange::Kind::Unchanged || includeUnchanged)
            changes->append(std::move(change));
    }

    // Either side may be Absent (the field is not there), never both.
    void compare(const QString &path, const QJsonValue &before, const QJsonValue &after) const
    {
        if (before.isObject() && after.isObject())
            return compareObjects(path, before.toObject(), after.toObject());
        if (before.isArray() && after.isArray())
            return compareArrays(path, before.toArray(), after.toArray());
        // A whole object or array that appeared or went is listed field by field, so that a removed
        // member reads as its role, e-mail and join date rather than as one line of JSON.
        if (before.isUndefined() && isContainer(after))
            return expand(path, after, /*present=*/false);
        if (after.isUndefined() && isContainer(before))
            return expand(path, before, /*present=*/true);
        // A scalar against a container (an address that was null and is now an object) is one change.
        leaf(path, before, after);
    }

    void compareObjects(const QString &path, const QJsonObject &before, const QJsonObject &after) const
    {
        if (before.isEmpty() && after.isEmpty())
            return leaf(path, before, after);
        // keys() is sorted, so one merge pass visits the union in order.
        const QStringList beforeKeys = before.keys();
        const QStringList afterKeys = after.keys();
        qsizetype b = 0;
        qsizetype a = 0;
        while (b < beforeKeys.size() || a < afterKeys.size()) {
            const bool takeBefore =
                a >= afterKeys.size() || (b < beforeKeys.size() && beforeKeys.at(b) <= afterKeys.at(a));
            const QString key = takeBefore ? beforeKeys.at(b) : afterKeys.at(a);
            compare(keyPath(path, key), before.value(key), after.value(key));
            if (b < beforeKeys.size() && beforeKeys.at(b) == key)
                ++b;
            if (a < afterKeys.size() && afterKeys.at(a) == key)
                ++a;
        }
    }

    void compareArrays(const QString &path, const QJsonArray &before, const QJsonArray &after) const
    {
        if (before.isEmpty() && after.isEmpty())
            return leaf(path, before, after);
        const qsizetype length = std::max(before.size(), after.size());
        for (qsizetype i = 0; i < length; ++i)
            compare(indexPath(path, i), i < before.size() ? before.at(i) : Absent,
                    i < after.size() ? after.at(i) : Absent);
    }

    // Lists every leaf of a container that is on one side only.
    void expand(const QString &path, const QJsonValue &value, bool present) const
    {
        const auto side = [present](const QJsonValue &leafValue) {
            return present ? std::pair(leafValue, Absent) : std::pair(Absent, leafValue);
        };
        const bool empty = value.isObject() ? value.toObject().isEmpty() : value.toArray().isEmpty();
        if (empty) {
            const auto [before, after] = side(value);
            return leaf(path, before, after);
        }
        if (value.isObject()) {
            const QJsonObject object = value.toObject();
            for (auto it = object.begin(); it != object.end(); ++it) {
                const auto [before, after] = side(it.value());
                compare(keyPath(path, it.key()), before, after);
            }
            return;
        }
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            const auto [before, after] = side(array.at(i));
            compare(indexPath(path, i), before, after);
        }
    }
};

// The whole document being null means there was no row on that side, not a field whose value is null.
QJsonValue rowOrAbsent(const QJsonValue &document)
{
    return document.isNull() ? Absent : document;
}

} // namespace

// jsonb comes as its text; any JSON value (an object, an array, or a bare scalar) is read by parsing it as
// the only element of an array, since QJsonDocument accepts only an object or an array at the top.
bool parseJsonbText(const QVariant &text, QJsonValue *value, QString *problem)
{
    if (text.isNull()) {
        *value = QJsonValue(QJsonValue::Null);
        return true;
    }
    QByteArray wrapped("[");
    wrapped += text.toString().toUtf8();
    wrapped += ']';
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(wrapped, &error);
    if (error.error != QJsonParseError::NoError || !document.isArray() || document.array().size() != 1) {
        *problem = error.errorString();
        return false;
    }
    *value = document.array().at(0);
    return true;
}

QList<FieldChange> diffAuditRow(const QJsonValue &before, const QJsonValue &after, bool includeUnchanged)
{
    QList<FieldChange> changes;
    const QJsonValue beforeRow = rowOrAbsent(before);
    const QJsonValue afterRow = rowOrAbsent(after);
    if (beforeRow.isUndefined() && afterRow.isUndefined())
        return changes;
    Walk{includeUnchanged, &changes}.compare(QString(), beforeRow, afterRow);
    return changes;
}

QString changeKindName(FieldChange::Kind kind)
{
    switch (kind) {
    case FieldChange::Kind::Added:
        return tr("added");
    case FieldChange::Kind::Removed:
        return tr("removed");
    case FieldChange::Kind::Changed:
        return tr("changed");
    case FieldChange::Kind::Unchanged:
        return tr("unchanged");
    }
    return {};
}

DbError fetchAuditEntry(const QSqlDatabase &db, qint64 id, AuditEntry *entry, bool *found)
{
    *found = false;
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(QStringLiteral(
            "SELECT id, occurred_at, actor, db_user, action, target_type, target_id, workspace_id, reason, "
            "       CAST(before AS text), CAST(after AS text) "
            "  FROM public.audit_log WHERE id = CAST(:id AS bigint)")))
        return DbError::fromSql(query.lastError(), tr("Reading an audit entry"));
    query.bindValue(QStringLiteral(":id"), id);
    if (!query.exec())
        return DbError::fromSql(query.lastError(), tr("Reading an audit entry"));
    if (!query.next()) {
        if (query.lastError().isValid())
            return DbError::fromSql(query.lastError(), tr("Reading an audit entry"));
        return {};
    }
    AuditEntry read;
    read.id = query.value(0).toLongLong();
    read.occurredAt = query.value(1).toDateTime().toUTC();
    read.actor = query.value(2).toString();
    read.dbUser = query.value(3).toString();
    read.action = query.value(4).toString();
    read.targetType = query.value(5).toString();
    read.targetId = query.value(6).toString();
    if (!query.value(7).isNull())
        read.workspaceId = query.value(7).toLongLong();
    read.reason = query.value(8).toString();
    QString problem;
    if (!parseJsonbText(query.value(9), &read.before, &problem) ||
        !parseJsonbText(query.value(10), &read.after, &problem))
        return DbError::make(ErrorKind::Internal,
                             tr("The values recorded in audit entry %1 could not be read.").arg(id), problem);
    *entry = std::move(read);
    *found = true;
    return {};
}

} // namespace beacon::browse
