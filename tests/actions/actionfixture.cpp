#include "actionfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>

namespace beacon::test {

namespace {

// Fixed ids, so that tests can name their targets; the picture is in actionfixture.h.
const char *const SeedStatements[] = {
    "INSERT INTO users (id, provider, provider_user_id, primary_email, display_name, disabled_at) VALUES "
    "(1, 'google', 'g1', 'ada@example.test', 'Ada', NULL), "
    "(2, 'github', 'h2', 'bob@example.test', 'Bob', NULL), "
    "(3, 'google', 'g3', 'cy@example.test', 'Cy', NULL), "
    "(4, 'github', 'h4', 'dee@example.test', 'Dee', NULL), "
    "(5, 'google', 'g5', 'eve@example.test', 'Eve', NULL), "
    "(6, 'github', 'h6', 'ADA@example.test', 'Ada (GitHub)', NULL), "
    "(7, 'google', 'g7', 'gone@example.test', 'Gone', now() - interval '10 days'), "
    "(8, 'google', 'g8', 'fay@example.test', 'Fay', NULL)",
    "INSERT INTO workspaces (id, name, slug, plan, storage_used_bytes, read_only) VALUES "
    "(1, 'Roomy', 'roomy', 'team', 3500, false), "
    "(2, 'Crowded', 'crowded', 'free', 0, false), "
    "(3, 'Heavy', 'heavy', 'starter', 5368709120, false), "
    "(4, 'Drifted', 'drifted', 'team', 9999, false), "
    "(5, 'Shared', 'shared', 'team', 0, false), "
    "(6, 'Solo', 'solo', 'free', 0, true)",
    "INSERT INTO memberships (workspace_id, user_id, role) VALUES "
    "(1, 1, 'owner'), (1, 2, 'admin'), (1, 3, 'member'), (1, 4, 'viewer'), (1, 6, 'member'), "
    "(2, 1, 'owner'), (2, 2, 'member'), (2, 3, 'viewer'), "
    "(3, 1, 'owner'), (3, 2, 'member'), "
    "(4, 4, 'owner'), (4, 1, 'viewer'), (4, 6, 'admin'), "
    "(5, 1, 'owner'), (5, 5, 'owner'), (5, 2, 'member'), "
    "(6, 6, 'owner')",
    "INSERT INTO projects (id, workspace_id, name) VALUES "
    "(10, 1, 'Launch'), (11, 1, 'Archive'), (30, 3, 'Media'), (40, 4, 'Docs'), (50, 5, 'Empty')",
    "INSERT INTO files (id, project_id, workspace_id, name, size_bytes, storage_key) VALUES "
    "(100, 10, 1, 'plan.pdf', 1000, 'ws1/plan.pdf'), "
    "(101, 10, 1, 'deck.key', 2000, 'ws1/deck.key'), "
    "(110, 11, 1, 'old.zip', 500, 'ws1/old.zip'), "
    "(300, 30, 3, 'video.mov', 5368709120, 'ws3/video.mov'), "
    "(400, 40, 4, 'a.txt', 1000, 'ws4/a.txt'), "
    "(401, 40, 4, 'b.txt', 500, 'ws4/b.txt')",
    "INSERT INTO exports (id, workspace_id, requested_by, status, storage_key, size_bytes, expires_at, "
    "purged_at) VALUES "
    "(1, 1, 1, 'ready', 'exports/1.zip', 100, now() - interval '40 days', NULL), "
    "(2, 1, 1, 'ready', 'exports/2.zip', 200, now() - interval '40 days', NULL), "
    "(3, 2, 1, 'ready', 'exports/3.zip', 300, now() - interval '40 days', NULL), "
    "(4, 3, 2, 'ready', 'exports/4.zip', 400, now() - interval '40 days', NULL), "
    "(5, 4, 4, 'expired', 'exports/5.zip', 500, now() - interval '40 days', NULL), "
    "(6, 1, 1, 'ready', 'exports/6.zip', 600, now() - interval '1 day', NULL), "
    "(7, 1, 1, 'ready', 'exports/7.zip', 700, now() + interval '5 days', NULL), "
    "(8, 1, 1, 'purged', 'exports/8.zip', 800, now() - interval '60 days', now() - interval '20 days')",
};

const char *const SnapshotQuery =
    "SELECT concat_ws(E'\\n--\\n', "
    "(SELECT string_agg(to_jsonb(w)::text, E'\\n' ORDER BY w.id) FROM workspaces AS w), "
    "(SELECT string_agg(to_jsonb(m)::text, E'\\n' ORDER BY m.workspace_id, m.user_id) "
    " FROM memberships AS m), "
    "(SELECT string_agg(to_jsonb(p)::text, E'\\n' ORDER BY p.id) FROM projects AS p), "
    "(SELECT string_agg(to_jsonb(f)::text, E'\\n' ORDER BY f.id) FROM files AS f), "
    "(SELECT string_agg(to_jsonb(u)::text, E'\\n' ORDER BY u.id) FROM users AS u), "
    "(SELECT string_agg(to_jsonb(e)::text, E'\\n' ORDER BY e.id) FROM exports AS e), "
    "(SELECT string_agg(to_jsonb(a)::text, E'\\n' ORDER BY a.id) FROM audit_log AS a))";

bool run(QSqlQuery &query, const QString &sql, const QVariantMap &values)
{
    // QPSQL prepares with SQL-level PREPARE, which takes no SET: statements without values run as they are.
    if (values.isEmpty()) {
        if (query.exec(sql))
            return true;
        qWarning().noquote() << "query failed:" << sql << query.lastError().text();
        return false;
    }
    if (!query.prepare(sql)) {
        qWarning().noquote() << "prepare failed:" << sql << query.lastError().text();
        return false;
    }
    for (auto value = values.cbegin(); value != values.cend(); ++value)
        query.bindValue(QLatin1Char(':') + value.key(), value.value());
    if (!query.exec()) {
        qWarning().noquote() << "query failed:" << sql << query.lastError().text();
        return false;
    }
    return true;
}

QString mismatch(const char *field, const QJsonValue &actual, const QJsonValue &expected)
{
    if (actual == expected)
        return {};
    const auto text = [](const QJsonValue &value) {
        return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
    };
    return QStringLiteral("%1: audit has %2, expected %3\n")
        .arg(QLatin1String(field), text(actual), text(expected));
}

} // namespace

actions::ActionRequest actionRequest(actions::ActionKind kind)
{
    actions::ActionRequest request;
    request.kind = kind;
    request.actionId = QUuid::createUuid();
    request.actor = QStringLiteral("sam.support");
    request.reason = QStringLiteral("TICKET-4711: customer asked");
    request.client = QStringLiteral("tst_actions");
    return request;
}

std::unique_ptr<Connection> ActionFixture::otherSession(const QString &purpose)
{
    DbError error;
    auto connection = Connection::open(m_database->spec(), purpose, &error);
    if (!connection)
        qWarning().noquote() << "could not open a second session:" << error.fullText();
    return connection;
}

ActionFixture::ActionFixture(const QString &tag)
    : m_database(std::make_unique<TestDatabase>(tag))
{
    if (!m_database->isValid())
        return;
    QSqlQuery query(db());
    if (!m_database->isValid())
        return;
    for (const char *statement : SeedStatements) {
        if (!query.exec(QString::fromLatin1(statement))) {
            m_error = QStringLiteral("seeding failed: ") + query.lastError().text();
            return;
        }
    }
}

QString ActionFixture::uri(const QString &role) const
{
    return m_database->spec(role).displayUri();
}

QVariant ActionFixture::value(const QString &sql, const QVariantMap &values)
{
    QSqlQuery query(db());
    if (!run(query, sql, values) || !query.next())
        return {};
    return query.value(0);
}

QJsonObject ActionFixture::object(const QString &sql, const QVariantMap &values)
{
    return QJsonDocument::fromJson(value(sql, values).toString().toUtf8()).object();
}

bool ActionFixture::exec(const QString &sql, const QVariantMap &values)
{
    QSqlQuery query(db());
    return run(query, sql, values);
}

qint64 ActionFixture::auditCount()
{
    const QVariant count = value(QStringLiteral("SELECT count(*) FROM audit_log"));
    return count.isValid() ? count.toLongLong() : -1;
}

QJsonObject ActionFixture::lastAudit()
{
    return object(QStringLiteral("SELECT to_jsonb(a) FROM audit_log AS a ORDER BY a.id DESC LIMIT 1"));
}

QString ActionFixture::snapshot()
{
    return value(QString::fromLatin1(SnapshotQuery)).toString();
}

QString ActionFixture::role(qint64 workspace, qint64 user)
{
    return value(QStringLiteral("SELECT role FROM memberships WHERE workspace_id = CAST(:w AS bigint) AND "
                                "user_id = CAST(:u AS bigint)"),
                 {{QStringLiteral("w"), workspace}, {QStringLiteral("u"), user}})
        .toString();
}

qint64 ActionFixture::storageUsed(qint64 workspace)
{
    const QVariant bytes =
        value(QStringLiteral("SELECT storage_used_bytes FROM workspaces WHERE id = CAST(:w AS bigint)"),
              {{QStringLiteral("w"), workspace}});
    return bytes.isValid() ? bytes.toLongLong() : -1;
}

qint64 ActionFixture::version(qint64 workspace)
{
    const QVariant version =
        value(QStringLiteral("SELECT version FROM workspaces WHERE id = CAST(:w AS bigint)"),
              {{QStringLiteral("w"), workspace}});
    return version.isValid() ? version.toLongLong() : -1;
}

QString auditMismatch(const QJsonObject &audit, const actions::ActionRequest &request,
                      const actions::ActionResult &result, const QString &targetType, const QString &targetId,
                      std::optional<qint64> workspace)
{
    if (audit.isEmpty())
        return QStringLiteral("there is no audit row");
    QString problems;
    problems += mismatch("action", audit.value(QStringLiteral("action")), actions::actionName(request.kind));
    problems += mismatch("action_id", audit.value(QStringLiteral("action_id")),
                         request.actionId.toString(QUuid::WithoutBraces));
    problems += mismatch("actor", audit.value(QStringLiteral("actor")), request.actor);
    problems += mismatch("reason", audit.value(QStringLiteral("reason")), request.reason);
    problems += mismatch("target_type", audit.value(QStringLiteral("target_type")), targetType);
    problems += mismatch("target_id", audit.value(QStringLiteral("target_id")), targetId);
    problems += mismatch("workspace_id", audit.value(QStringLiteral("workspace_id")),
                         workspace ? QJsonValue(double(*workspace)) : QJsonValue(QJsonValue::Null));
    // What the caller was told is what the log keeps.
    problems += mismatch("before", audit.value(QStringLiteral("before")), result.before);
    problems += mismatch("after", audit.value(QStringLiteral("after")), result.after);
    const QJsonObject client = audit.value(QStringLiteral("client")).toObject();
    problems += mismatch("client.program", client.value(QStringLiteral("program")), request.client);
    problems += mismatch("client.dry_run", client.value(QStringLiteral("dry_run")), false);
    // The server's own word on who acted, never empty.
    if (audit.value(QStringLiteral("db_user")).toString().isEmpty())
        problems += QStringLiteral("db_user is empty\n");
    return problems;
}

QString runExpectingFailure(ActionFixture &fixture, const actions::ActionRequest &request, ErrorKind kind,
                            const QString &words, const actions::ActionHooks &hooks)
{
    const QString before = fixture.snapshot();
    const qint64 audits = fixture.auditCount();
    if (before.isEmpty() || audits < 0)
        return QStringLiteral("could not read the tables");
    const actions::ActionResult result = actions::runAction(fixture.db(), request, hooks);
    QString problems;
    if (result.error.kind != kind)
        problems += QStringLiteral("expected %1, got %2\n").arg(kindName(kind), describe(result));
    if (!result.error.message.contains(words))
        problems +=
            QStringLiteral("the message \"%1\" does not say \"%2\"\n").arg(result.error.message, words);
    if (fixture.auditCount() != audits)
        problems += QStringLiteral("audit rows went from %1 to %2\n").arg(audits).arg(fixture.auditCount());
    if (fixture.snapshot() != before)
        problems +=
            QStringLiteral("the tables changed:\n%1\n--- now ---\n%2\n").arg(before, fixture.snapshot());
    return problems;
}

QString describe(const actions::ActionResult &result)
{
    if (result.ok())
        return QStringLiteral("%1 (%2)").arg(result.outcome(), result.message);
    return QStringLiteral("%1: %2").arg(result.outcome(), result.error.fullText());
}

} // namespace beacon::test
