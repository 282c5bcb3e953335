#include "browse/quickfind.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>

namespace beacon::browse {

DbError quickFind(const QSqlDatabase &db, const QString &text, QList<QuickFindHit> *hits)
{
    hits->clear();
    const QString wanted = text.trimmed();
    if (wanted.isEmpty())
        return {};
    bool isNumber = false;
    const qint64 number = wanted.toLongLong(&isNumber);
    QSqlQuery query(db);
    // The id test is skipped (NULL) when the text is not a number, so that no cast can fail on the server.
    query.prepare(
        QStringLiteral("SELECT 'workspace', id, name || ' (' || slug || ')', slug FROM public.workspaces "
                       " WHERE id = CAST(:id AS bigint) OR slug = :text OR stripe_customer_id = :text2 "
                       "    OR stripe_subscription_id = :text3 "
                       "UNION ALL "
                       "SELECT 'user', id, primary_email || coalesce(' — ' || display_name, ''), "
                       "primary_email FROM public.users "
                       " WHERE id = CAST(:id2 AS bigint) OR lower(primary_email) = lower(:text4) "
                       "ORDER BY 1 DESC, 2 LIMIT 50"));
    const QVariant id = isNumber ? QVariant(number) : QVariant();
    query.bindValue(QStringLiteral(":id"), id);
    query.bindValue(QStringLiteral(":id2"), id);
    query.bindValue(QStringLiteral(":text"), wanted);
    query.bindValue(QStringLiteral(":text2"), wanted);
    query.bindValue(QStringLiteral(":text3"), wanted);
    query.bindValue(QStringLiteral(":text4"), wanted);
    if (!query.exec())
        return DbError::fromSql(
            query.lastError(),
            QCoreApplication::translate("beacon::browse", "Looking up \"%1\"").arg(wanted));
    while (query.next()) {
        QuickFindHit hit;
        hit.kind = query.value(0).toString() == QLatin1String("user") ? QuickFindHit::Kind::User
                                                                      : QuickFindHit::Kind::Workspace;
        hit.id = query.value(1).toLongLong();
        hit.label = query.value(2).toString();
        hit.searchText = query.value(3).toString();
        hits->append(hit);
    }
    return {};
}

} // namespace beacon::browse
