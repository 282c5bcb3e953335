#include "check/anomalycheck.h"

#include "db/database.h"
#include "db/transaction.h"

#include <QCoreApplication>
#include <QLocale>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::AnomalyCheck", text);
}

// The seeder checks its own work with the same query before it commits.
const char OverMemberLimitSql[] = R"sql(
SELECT w.id, w.plan, p.max_members, c.members
  FROM (SELECT workspace_id, count(*) AS members FROM public.memberships GROUP BY workspace_id) AS c
  JOIN public.workspaces AS w ON w.id = c.workspace_id
  JOIN public.plans AS p ON p.code = w.plan
 WHERE c.members > p.max_members
 ORDER BY w.id
)sql";

namespace {

// Whole-database forms scan once and group; the per-workspace forms reach their rows through indexes.
constexpr char storageDriftAll[] = R"sql(
SELECT w.id, w.storage_used_bytes, coalesce(f.total, 0)
  FROM public.workspaces AS w
  LEFT JOIN (SELECT workspace_id, sum(size_bytes)::bigint AS total FROM public.files GROUP BY workspace_id) AS f
         ON f.workspace_id = w.id
 WHERE w.storage_used_bytes <> coalesce(f.total, 0)
 ORDER BY w.id
)sql";

constexpr char storageDriftOne[] = R"sql(
SELECT w.id, w.storage_used_bytes, f.total
  FROM public.workspaces AS w
 CROSS JOIN LATERAL (SELECT coalesce(sum(size_bytes), 0)::bigint AS total FROM public.files
                      WHERE workspace_id = w.id) AS f
 WHERE w.id = CAST(:workspace AS bigint) AND w.storage_used_bytes <> f.total
)sql";

constexpr char canceledWritableAll[] = R"sql(
SELECT id, plan, to_char(current_period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD')
  FROM public.workspaces
 WHERE subscription_status = 'canceled' AND NOT read_only
 ORDER BY id
)sql";

constexpr char canceledWritableOne[] = R"sql(
SELECT id, plan, to_char(current_period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD')
  FROM public.workspaces
 WHERE id = CAST(:workspace AS bigint) AND subscription_status = 'canceled' AND NOT read_only
)sql";

constexpr char overLimitOne[] = R"sql(
SELECT w.id, w.plan, p.max_members, c.members
  FROM public.workspaces AS w
  JOIN public.plans AS p ON p.code = w.plan
 CROSS JOIN LATERAL (SELECT count(*) AS members FROM public.memberships WHERE workspace_id = w.id) AS c
 WHERE w.id = CAST(:workspace AS bigint) AND c.members > p.max_members
)sql";

// Every account whose address, ignoring case, is shared; in_scope marks the accounts to report.
constexpr char duplicateEmailsAll[] = R"sql(
SELECT u.id, u.provider, u.primary_email, lower(u.primary_email), true
  FROM (SELECT lower(primary_email) AS address FROM public.users GROUP BY 1 HAVING count(*) > 1) AS d
  JOIN public.users AS u ON lower(u.primary_email) = d.address
 ORDER BY min(u.id) OVER (PARTITION BY d.address), u.id
)sql";

// For one workspace: the addresses of its members, then every account with one of them (the
// lower(primary_email) index), reporting only the members but naming the others in the detail.
constexpr char duplicateEmailsOne[] = R"sql(
SELECT u.id, u.provider, u.primary_email, lower(u.primary_email),
       EXISTS (SELECT 1 FROM public.memberships AS m
                WHERE m.workspace_id = CAST(:workspace AS bigint) AND m.user_id = u.id)
  FROM public.users AS u
 WHERE lower(u.primary_email) IN (SELECT lower(mu.primary_email)
                                    FROM public.memberships AS m
                                    JOIN public.users AS mu ON mu.id = m.user_id
                                   WHERE m.workspace_id = CAST(:workspace AS bigint))
 ORDER BY min(u.id) OVER (PARTITION BY lower(u.primary_email)), u.id
)sql";

QString bytes(qint64 value)
{
    return QLocale().toString(value);
}

class Checker {
public:
    Checker(QSqlDatabase db, std::optional<qint64> workspace, QList<Anomaly> *found)
        : m_db(std::move(db))
        , m_workspace(workspace)
        , m_found(found)
    {}

    // Runs the whole-database or the one-workspace form; rows arrive in the query for the caller to read.
    DbError run(QSqlQuery &query, const char *all, const char *one, const QString &what)
    {
        const bool ok =
            m_workspace ? query.prepare(QString::fromUtf8(one)) : query.prepare(QString::fromUtf8(all));
        if (!ok)
            return DbError::fromSql(query.lastError(), what);
        if (m_workspace)
            query.bindValue(QStringLiteral(":workspace"), *m_workspace);
        if (!query.exec())
            return DbError::fromSql(query.lastError(), what);
        return {};
    }

    DbError storageDrift()
    {
        QSqlQuery query(m_db);
        if (DbError error =
                run(query, storageDriftAll, storageDriftOne, tr("Comparing storage with file sizes")))
            return error;
        while (query.next()) {
            const qint64 stored = query.value(1).toLongLong();
            const qint64 files = query.value(2).toLongLong();
            const qint64 drift = stored - files;
            const QString signedDrift =
                drift < 0 ? QStringLiteral("\u2212") + bytes(-drift) : QStringLiteral("+") + bytes(drift);
            add(AnomalyKind::StorageDrift, QStringLiteral("workspace"), query.value(0).toLongLong(),
                tr("stored %1 bytes, files sum to %2 (drift %3); recount the workspace's storage")
                    .arg(bytes(stored), bytes(files), signedDrift));
        }
        return {};
    }

    DbError canceledButWritable()
    {
        QSqlQuery query(m_db);
        if (DbError error = run(query, canceledWritableAll, canceledWritableOne,
                                tr("Looking for canceled subscriptions that are still writable")))
            return error;
        while (query.next()) {
            const QString ended = query.value(2).toString();
            add(AnomalyKind::CanceledButWritable, QStringLiteral("workspace"), query.value(0).toLongLong(),
                ended.isEmpty()
                    ? tr("subscription (plan %1) is canceled but the workspace is still writable; make it "
                         "read-only")
                          .arg(query.value(1).toString())
                    : tr("subscription (plan %1) was canceled, period ended %2, but the workspace is still "
                         "writable; make it read-only")
                          .arg(query.value(1).toString(), ended));
        }
        return {};
    }

    DbError overMemberLimit()
    {
        QSqlQuery query(m_db);
        if (DbError error =
                run(query, OverMemberLimitSql, overLimitOne, tr("Counting members against plan limits")))
            return error;
        while (query.next()) {
            const qint64 limit = query.value(2).toLongLong();
            const qint64 members = query.value(3).toLongLong();
            add(AnomalyKind::OverMemberLimit, QStringLiteral("workspace"), query.value(0).toLongLong(),
                tr("%1 members on plan %2, which allows %3 (%4 over); remove members or change the plan")
                    .arg(members)
                    .arg(query.value(1).toString())
                    .arg(limit)
                    .arg(members - limit));
        }
        return {};
    }

    DbError duplicateEmails()
    {
        QSqlQuery query(m_db);
        if (DbError error = run(query, duplicateEmailsAll, duplicateEmailsOne,
                                tr("Looking for users who share an email address")))
            return error;
        struct Account {
            qint64 id;
            QString provider;
            QString email;
            bool inScope;
        };
        QList<Account> group;
        QString groupAddress;
        const auto flush = [&] {
            if (group.size() > 1) {
                for (const Account &account : std::as_const(group)) {
                    if (!account.inScope)
                        continue;
                    QStringList others;
                    for (const Account &other : std::as_const(group)) {
                        if (other.id != account.id)
                            others.append(
                                tr("user %1 (%2, %3)").arg(other.id).arg(other.provider, other.email));
                    }
                    add(AnomalyKind::DuplicateUserEmail, QStringLiteral("user"), account.id,
                        tr("%1 signs in with %2; the same address, ignoring case, belongs to %3; merge the "
                           "accounts")
                            .arg(account.email, account.provider, others.join(QStringLiteral(", "))));
                }
            }
            group.clear();
        };
        while (query.next()) {
            const QString address = query.value(3).toString();
            if (address != groupAddress) {
                flush();
                groupAddress = address;
            }
            group.append({query.value(0).toLongLong(), query.value(1).toString(), query.value(2).toString(),
                          query.value(4).toBool()});
        }
        flush();
        return {};
    }

private:
    void add(const char *kind, const QString &targetType, qint64 id, const QString &detail)
    {
        m_found->append({QString::fromLatin1(kind), targetType, id, detail});
    }

    QSqlDatabase m_db;
    std::optional<qint64> m_workspace;
    QList<Anomaly> *m_found;
};

} // namespace

DbError findAnomalies(const QSqlDatabase &db, std::optional<qint64> workspaceId, QList<Anomaly> *anomalies)
{
    QList<Anomaly> found;
    Transaction transaction(db);
    if (transaction.beginError())
        return transaction.beginError();
    // One snapshot for all four questions, and a promise to the server that nothing is written.
    if (DbError error =
            execPlain(db, QStringLiteral("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"),
                      tr("Starting a read-only check")))
        return error;
    Checker checker(db, workspaceId, &found);
    if (DbError error = checker.storageDrift())
        return error;
    if (DbError error = checker.duplicateEmails())
        return error;
    if (DbError error = checker.canceledButWritable())
        return error;
    if (DbError error = checker.overMemberLimit())
        return error;
    if (DbError error = transaction.commit())
        return error;
    if (anomalies)
        *anomalies = found;
    return {};
}

} // namespace beacon
