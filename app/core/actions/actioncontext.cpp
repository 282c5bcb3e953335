// What an action works with inside the engine's transaction: its statements, the workspace locks, and the
// audit row's fields (actioncontext.h).
#include "actions/actioncontext.h"
#include "actions/enginestatements.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

QJsonValue parseJson(const QVariant &text)
{
    if (text.isNull())
        return QJsonValue::Null;
    const QJsonDocument document = QJsonDocument::fromJson(text.toString().toUtf8());
    if (document.isObject())
        return document.object();
    if (document.isArray())
        return document.array();
    return QJsonValue::Null;
}

DbError refuse(const QString &message)
{
    return DbError::make(ErrorKind::Refused, message);
}

DbError ActionContext::exec(StatementRows *&rows, const QString &sql, const QVariantList &values,
                            const QString &doing)
{
    return m_statements.exec(sql, values, doing, &rows);
}

DbError ActionContext::row(StatementRows *&rows, const QString &sql, const QVariantList &values,
                           const QString &doing)
{
    if (DbError error = exec(rows, sql, values, doing))
        return error;
    if (!rows->next())
        return DbError::make(ErrorKind::Internal, tr("%1 gave no answer.").arg(doing));
    return {};
}

DbError ActionContext::json(const QString &sql, const QVariantList &values, const QString &doing,
                            QJsonValue *result, bool *found)
{
    StatementRows *query = nullptr;
    if (DbError error = exec(query, sql, values, doing))
        return error;
    const bool any = query->next();
    if (found)
        *found = any;
    *result = any ? parseJson(query->value(0)) : QJsonValue(QJsonValue::Null);
    return {};
}

DbError ActionContext::wrote()
{
    ++m_writes;
    if (m_hooks.afterWrite)
        return m_hooks.afterWrite(m_writes);
    return {};
}

namespace {

PipelinedStatement workspaceLock(qint64 id, const QString &doing, StatementRows **rows)
{
    return {nullptr, sql::workspaceLock(), {id}, doing, rows};
}

} // namespace

DbError ActionContext::lockWorkspace(qint64 id, QJsonObject *row)
{
    StatementRows *rows = nullptr;
    if (DbError error = m_statements.pipeline({workspaceLock(id, tr("Locking the workspace"), &rows)}))
        return error;
    return checkLockedWorkspace(id, rows, row);
}

DbError ActionContext::lockWorkspace(qint64 id, QJsonObject *row, const PipelinedStatement &next)
{
    StatementRows *rows = nullptr;
    if (DbError error = m_statements.pipeline({workspaceLock(id, tr("Locking the workspace"), &rows), next}))
        return error;
    return checkLockedWorkspace(id, rows, row);
}

DbError ActionContext::checkLockedWorkspace(qint64 id, StatementRows *rows, QJsonObject *row) const
{
    if (!rows->next())
        return refuse(tr("Workspace %1 does not exist (it may have been deleted).").arg(id));
    // The row is parsed only when it is wanted: it is the widest thing most actions read.
    const qint64 version = rows->value(1).toLongLong();
    const bool conflict = m_request.expectVersion && version != *m_request.expectVersion;
    if (!row && !conflict)
        return {};
    const QJsonObject locked = parseJson(rows->value(0)).toObject();
    if (row)
        *row = locked;
    if (!conflict)
        return {};
    return DbError::make(
        ErrorKind::Conflict,
        tr("Workspace %1 changed since you looked at it (version %2, now %3): plan %4, read-only %5, "
           "storage %6 bytes. Look at it again, then repeat the action if it still makes sense.")
            .arg(id)
            .arg(*m_request.expectVersion)
            .arg(version)
            .arg(locked.value(QStringLiteral("plan")).toString())
            .arg(locked.value(QStringLiteral("read_only")).toBool() ? tr("yes") : tr("no"))
            .arg(qint64(locked.value(QStringLiteral("storage_used_bytes")).toDouble())),
        QString::fromUtf8(QJsonDocument(locked).toJson(QJsonDocument::Compact)));
}

DbError ActionContext::lockWorkspaces(QList<qint64> ids, QList<QJsonObject> *rows)
{
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    rows->clear();
    for (qint64 id : std::as_const(ids)) {
        QJsonValue value;
        bool found = false;
        if (DbError error = json(QStringLiteral("SELECT to_jsonb(w) FROM public.workspaces AS w WHERE w.id = "
                                                "CAST($1 AS bigint) FOR UPDATE"),
                                 {id}, tr("Locking the workspaces"), &value, &found))
            return error;
        if (found)
            rows->append(value.toObject());
    }
    return {};
}
} // namespace beacon::actions
