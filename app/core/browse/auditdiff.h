#pragma once

#include "db/dberror.h"

#include <QDateTime>
#include <QJsonValue>
#include <QList>
#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace beacon::browse {

// One field of an audited row that an action changed, named by its path from the row: "plan",
// "members[2].role", or `settings["dotted.key"]` for a key that is not a plain word.
struct FieldChange {
    enum class Kind { Added, Removed, Changed, Unchanged };
    QString path;
    Kind kind = Kind::Changed;
    // The value as JSON text ("team" with its quotes, 3, null, {"a":1}), so that the number 1 and the
    // string "1" read differently. Empty where the field is absent on that side.
    QString before;
    QString after;
    bool operator==(const FieldChange &) const = default;
};

// Compares an audit entry's before and after documents: each may be null (no row on that side, as a removed
// member's `after`), an object, an array of objects (a user merge moves several rows), or nested. Returns
// one entry per leaf that differs, in path order; arrays are compared position by position. Unchanged
// leaves are left out unless asked for, for a view that shows the whole row for context. Numbers compare by
// value (1 and 1.0 are the same), a number never equals a string.
QList<FieldChange> diffAuditRow(const QJsonValue &before, const QJsonValue &after,
                                bool includeUnchanged = false);

// The word for a kind, for the diff view's "change" column and for logs.
QString changeKindName(FieldChange::Kind kind);

// One row of audit_log, as the diff view shows it.
struct AuditEntry {
    qint64 id = 0;
    QDateTime occurredAt; // set by the server; UTC
    QString actor;        // the person at the console
    QString dbUser;       // the database login that acted
    QString action;
    QString targetType;
    QString targetId; // free text: an id, a slug or a uuid
    std::optional<qint64> workspaceId;
    QString reason;
    QJsonValue before; // Null when the column is NULL
    QJsonValue after;
};

// Reads a jsonb column's text (NULL: a JSON null) as fetchAuditEntry does. False, with the parser's reason in
// *problem, when the text is not one JSON value.
bool parseJsonbText(const QVariant &text, QJsonValue *value, QString *problem);

// Reads one audit entry by id. *found is false when there is no such entry (the rest of *entry is then
// untouched). jsonb travels as text and is parsed here with QJsonDocument: QPSQL has no JSON type of its own.
DbError fetchAuditEntry(const QSqlDatabase &db, qint64 id, AuditEntry *entry, bool *found);

} // namespace beacon::browse
