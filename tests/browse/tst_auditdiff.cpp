// The audit diff: what an action changed, field by field, from the before and after documents an audit entry
// records; and one entry read back from the real audit_log, jsonb and all.
#include "testdatabase.h"

#include "browse/auditdiff.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>

using namespace beacon;
using namespace beacon::browse;

namespace {

// Any JSON value from its text; "null" (or nothing) is the absent row.
QJsonValue json(const QString &text)
{
    if (text.isEmpty())
        return QJsonValue(QJsonValue::Null);
    QByteArray wrapped("[");
    wrapped += text.toUtf8();
    wrapped += ']';
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(wrapped, &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("test JSON does not parse: %s", qPrintable(error.errorString()));
    return document.array().at(0);
}

// One line per change, so that a failure prints the whole list readably.
QStringList lines(const QList<FieldChange> &changes)
{
    QStringList result;
    for (const FieldChange &change : changes)
        result.append(QStringLiteral("%1 | %2 | %3 | %4")
                          .arg(change.path, changeKindName(change.kind), change.before, change.after));
    return result;
}

} // namespace

class TestAuditDiff : public QObject {
    Q_OBJECT
private slots:
    void diff_data();
    void diff();
    void diff_includeUnchanged_listsEqualLeavesToo();
    void diff_bothNull_nothing();
    void fetchAuditEntry_insertedRow_readsHeaderAndParsesJsonb();
    void fetchAuditEntry_scalarAndNullDocuments_parsed();
    void fetchAuditEntry_unknownId_notFoundWithoutError();
};

void TestAuditDiff::diff_data()
{
    QTest::addColumn<QString>("before");
    QTest::addColumn<QString>("after");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("member added: null to object")
        << QString() << R"({"workspace_id": 7, "user_id": 3, "role": "member"})"
        << QStringList{R"(role | added |  | "member")", "user_id | added |  | 3",
                       "workspace_id | added |  | 7"};
    QTest::newRow("member removed: object to null")
        << R"({"workspace_id": 7, "user_id": 3, "role": "owner"})"
        << "null"
        << QStringList{R"(role | removed | "owner" | )", "user_id | removed | 3 | ",
                       "workspace_id | removed | 7 | "};
    QTest::newRow("plan change: changed scalars, the rest left out")
        << R"({"plan": "free", "version": 3, "read_only": false})"
        << R"({"plan": "team", "version": 4, "read_only": false})"
        << QStringList{R"(plan | changed | "free" | "team")", "version | changed | 3 | 4"};
    QTest::newRow("nested object")
        << R"({"settings": {"ai": {"enabled": true, "model": "x"}, "theme": "dark"}})"
        << R"({"settings": {"ai": {"enabled": false, "model": "x"}, "theme": "dark", "beta": {"on": 1}}})"
        << QStringList{"settings.ai.enabled | changed | true | false", "settings.beta.on | added |  | 1"};
    QTest::newRow("array grows")
        << R"({"members": [{"id": 1, "role": "owner"}, {"id": 2, "role": "member"}]})"
        << R"({"members": [{"id": 1, "role": "owner"}, {"id": 2, "role": "admin"}, {"id": 3, "role": "viewer"}]})"
        << QStringList{R"(members[1].role | changed | "member" | "admin")", "members[2].id | added |  | 3",
                       R"(members[2].role | added |  | "viewer")"};
    QTest::newRow("top-level arrays shrink (a user merge)")
        << R"([{"user_id": 5, "workspace_id": 1}, {"user_id": 5, "workspace_id": 2}])"
        << R"([{"user_id": 9, "workspace_id": 1}])"
        << QStringList{"[0].user_id | changed | 5 | 9", "[1].user_id | removed | 5 | ",
                       "[1].workspace_id | removed | 2 | "};
    QTest::newRow("ten elements order by index, not by text")
        << "[0,0,0,0,0,0,0,0,0,0,0]"
        << "[0,0,1,0,0,0,0,0,0,0,1]" << QStringList{"[2] | changed | 0 | 1", "[10] | changed | 0 | 1"};
    QTest::newRow("number against string") << R"({"n": 1})"
                                           << R"({"n": "1"})" << QStringList{R"(n | changed | 1 | "1")"};
    QTest::newRow("number written two ways is the same number") << R"({"n": 1})"
                                                                << R"({"n": 1.0})" << QStringList{};
    QTest::newRow("bigint beyond a double's precision")
        << R"({"storage_used_bytes": 9007199254740993})"
        << R"({"storage_used_bytes": 9007199254740992})"
        << QStringList{"storage_used_bytes | changed | 9007199254740993 | 9007199254740992"};
    QTest::newRow("null value is a value")
        << R"({"reason": null, "canceled_at": "2026-01-01"})"
        << R"({"reason": "refund"})"
        << QStringList{R"(canceled_at | removed | "2026-01-01" | )", R"(reason | changed | null | "refund")"};
    QTest::newRow("scalar becomes object")
        << R"({"address": null})"
        << R"({"address": {"city": "Oslo"}})" << QStringList{R"(address | changed | null | {"city":"Oslo"})"};
    QTest::newRow("empty object removed") << R"({"tags": {}, "a": 1})"
                                          << R"({"a": 1})" << QStringList{"tags | removed | {} | "};
    QTest::newRow("unicode values and keys")
        << R"({"name": "Zoë", "名前": "a"})"
        << R"({"name": "Zoë Łukasz 例え", "名前": "b"})"
        << QStringList{QStringLiteral(R"(name | changed | "Zoë" | "Zoë Łukasz 例え")"),
                       QStringLiteral(R"(名前 | changed | "a" | "b")")};
    QTest::newRow("key that is not a word")
        << R"({"a.b": 1, "with space": {"x": 1}})"
        << R"({"a.b": 2, "with space": {"x": 2}})"
        << QStringList{R"(["a.b"] | changed | 1 | 2)", R"(["with space"].x | changed | 1 | 2)"};
    QTest::newRow("object against array") << R"({"v": {}})"
                                          << R"({"v": []})" << QStringList{"v | changed | {} | []"};
}

void TestAuditDiff::diff()
{
    QFETCH(QString, before);
    QFETCH(QString, after);
    QFETCH(QStringList, expected);
    QCOMPARE(lines(diffAuditRow(json(before), json(after))), expected);
}

void TestAuditDiff::diff_includeUnchanged_listsEqualLeavesToo()
{
    const QList<FieldChange> changes =
        diffAuditRow(json(R"({"plan": "free", "id": 4})"), json(R"({"plan": "team", "id": 4})"), true);
    QCOMPARE(lines(changes), (QStringList{"id | unchanged | 4 | 4", R"(plan | changed | "free" | "team")"}));
    QCOMPARE(changes.at(0).kind, FieldChange::Kind::Unchanged);
    QCOMPARE(changes.at(1).kind, FieldChange::Kind::Changed);
}

void TestAuditDiff::diff_bothNull_nothing()
{
    QVERIFY(diffAuditRow(QJsonValue(QJsonValue::Null), QJsonValue(QJsonValue::Null)).isEmpty());
    QVERIFY(diffAuditRow(QJsonValue(QJsonValue::Undefined), json(QStringLiteral("null"))).isEmpty());
}

static qint64 insertAuditEntry(QSqlDatabase db, const QString &before, const QString &after, bool *ok)
{
    *ok = false;
    QSqlQuery query(db);
    if (!query.prepare(QStringLiteral(
            "INSERT INTO audit_log (actor, action, action_id, target_type, target_id, workspace_id, reason, "
            "                       before, after) "
            "VALUES ('zoë@support', 'workspace.plan_change', gen_random_uuid(), 'workspace', '42', 42, "
            "        'customer asked', CAST(:before AS jsonb), CAST(:after AS jsonb)) RETURNING id"))) {
        qWarning() << query.lastError().text();
        return 0;
    }
    query.bindValue(QStringLiteral(":before"),
                    before.isNull() ? QVariant(QMetaType::fromType<QString>()) : before);
    query.bindValue(QStringLiteral(":after"),
                    after.isNull() ? QVariant(QMetaType::fromType<QString>()) : after);
    if (!query.exec() || !query.next()) {
        qWarning() << query.lastError().text();
        return 0;
    }
    *ok = true;
    return query.value(0).toLongLong();
}

void TestAuditDiff::fetchAuditEntry_insertedRow_readsHeaderAndParsesJsonb()
{
    test::TestDatabase database(QStringLiteral("auditdiff"));
    QVERIFY_TESTDB(database);
    bool ok = false;
    const qint64 id =
        insertAuditEntry(database.db(), QStringLiteral(R"({"plan": "free", "version": 3, "name": "Zoë's"})"),
                         QStringLiteral(R"({"plan": "team", "version": 4, "name": "Zoë's"})"), &ok);
    QVERIFY(ok);
    QSqlQuery server(database.db());
    QVERIFY_SQL(server, exec(QStringLiteral("SELECT session_user")));
    QVERIFY(server.next());

    AuditEntry entry;
    bool found = false;
    const DbError error = fetchAuditEntry(database.db(), id, &entry, &found);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(found);
    QCOMPARE(entry.id, id);
    QCOMPARE(entry.actor, QStringLiteral("zoë@support"));
    QCOMPARE(entry.dbUser, server.value(0).toString()); // stamped by the server, not by the client
    QCOMPARE(entry.action, QStringLiteral("workspace.plan_change"));
    QCOMPARE(entry.targetType, QStringLiteral("workspace"));
    QCOMPARE(entry.targetId, QStringLiteral("42"));
    QCOMPARE(entry.workspaceId, std::optional<qint64>(42));
    QCOMPARE(entry.reason, QStringLiteral("customer asked"));
    QVERIFY(entry.occurredAt.isValid());
    QVERIFY(qAbs(entry.occurredAt.secsTo(QDateTime::currentDateTimeUtc())) < 300);
    QCOMPARE(entry.before.toObject().value(QStringLiteral("name")).toString(), QStringLiteral("Zoë's"));
    QCOMPARE(lines(diffAuditRow(entry.before, entry.after)),
             (QStringList{R"(plan | changed | "free" | "team")", "version | changed | 3 | 4"}));
}

void TestAuditDiff::fetchAuditEntry_scalarAndNullDocuments_parsed()
{
    test::TestDatabase database(QStringLiteral("auditdiff_scalar"));
    QVERIFY_TESTDB(database);
    bool ok = false;
    const qint64 id = insertAuditEntry(database.db(), QString(), QStringLiteral(R"("only a string")"), &ok);
    QVERIFY(ok);
    AuditEntry entry;
    bool found = false;
    const DbError error = fetchAuditEntry(database.db(), id, &entry, &found);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(found);
    QVERIFY(entry.before.isNull());
    QCOMPARE(entry.after.toString(), QStringLiteral("only a string"));
    QCOMPARE(lines(diffAuditRow(entry.before, entry.after)), QStringList{R"( | added |  | "only a string")"});
}

void TestAuditDiff::fetchAuditEntry_unknownId_notFoundWithoutError()
{
    test::TestDatabase database(QStringLiteral("auditdiff_missing"));
    QVERIFY_TESTDB(database);
    AuditEntry entry;
    entry.actor = QStringLiteral("untouched");
    bool found = true;
    const DbError error = fetchAuditEntry(database.db(), 123456789, &entry, &found);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(!found);
    QCOMPARE(entry.actor, QStringLiteral("untouched"));
}

QTEST_GUILESS_MAIN(TestAuditDiff)
#include "tst_auditdiff.moc"
