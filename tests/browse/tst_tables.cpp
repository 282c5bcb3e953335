// The detail panes' and the files tables' definitions against the real schema: each scope returns exactly
// its own rows of a small known data set, keyset paging within a scope visits each row once in order, and
// an audit entry whose target id is not a user id never breaks the user's audit history.
#include "testdatabase.h"

#include "browse/keysetpager.h"
#include "browse/tables.h"

#include <QSqlQuery>

using namespace beacon;
using namespace beacon::browse;

Q_DECLARE_METATYPE(const beacon::browse::TableDefinition *)

class TestTables : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void scope_returnsExactlyItsRows_data();
    void scope_returnsExactlyItsRows();
    void sortableColumn_pagedOneByOneWithinScope_eachRowOnceInOrder_data();
    void sortableColumn_pagedOneByOneWithinScope_eachRowOnceInOrder();
    void sortableColumn_servedByAnIndexOnColumnAndId_data();
    void sortableColumn_servedByAnIndexOnColumnAndId();
    void userMemberships_showWorkspaceAndRole();
    void workspaceSubscription_oneRowWithPlanStatusAndMismatch();
    void workspaceAiUsage_usageWithoutUser_keptWithEmptyEmail();
    void userAudit_searchWithinUser_onlyItsMatches();
    void filesTable_allFiles_notSearchableNorSortable();

private:
    QList<qint64> ids(const TableDefinition &table, const PageRequest &request);
    QList<Row> rows(const TableDefinition &table, std::optional<qint64> scope);
    static int column(const TableDefinition &table, const QString &name);
    qint64 audit(const QString &targetType, const QVariant &targetId, const QVariant &workspaceId,
                 const QString &reason);

    std::unique_ptr<test::TestDatabase> m_database;
    // Audit entries by what they are.
    qint64 m_userAliceInAlpha = 0;
    qint64 m_userAliceRefund = 0;
    qint64 m_userBob = 0;
    qint64 m_workspaceAlphaTargetsAliceId = 0;
};

// Fixed ids, so that the expectations read as the data set does.
enum : qint64 {
    Alpha = 101,
    Beta = 102,
    Gamma = 103,
    Alice = 201,
    Bob = 202,
    Carol = 203,
    Design = 301,
    Docs = 302,
    Home = 303,
};

void TestTables::initTestCase()
{
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("tables"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    // The test's own fixed text; the audit entries below, which vary, go through bound values.
    const QStringList setup = {
        QStringLiteral(
            "INSERT INTO workspaces (id, name, slug, plan, stripe_customer_id, stripe_subscription_id, "
            "                        subscription_status, current_period_end, read_only) VALUES "
            "(101, 'Alpha', 'alpha', 'team', 'cus_alpha', 'sub_alpha', 'active', '2026-12-01 00:00+00', "
            "false), "
            "(102, 'Beta', 'beta', 'free', NULL, NULL, 'none', NULL, false), "
            "(103, 'Gamma', 'gamma', 'starter', 'cus_gamma', 'sub_gamma', 'canceled', NULL, false)"),
        QStringLiteral(
            "INSERT INTO users (id, provider, provider_user_id, primary_email, display_name) VALUES "
            "(201, 'google', 'a', 'alice@x.com', 'Alice'), (202, 'google', 'b', 'bob@x.com', 'Bob'), "
            "(203, 'github', 'c', 'carol@x.com', 'Carol')"),
        QStringLiteral(
            "INSERT INTO memberships (workspace_id, user_id, role) VALUES "
            "(101, 201, 'owner'), (102, 201, 'member'), (101, 202, 'admin'), (103, 202, 'viewer')"),
        QStringLiteral("INSERT INTO projects (id, workspace_id, name) VALUES "
                       "(301, 101, 'Design'), (302, 101, 'Docs'), (303, 102, 'Home')"),
        QStringLiteral(
            "INSERT INTO files (id, project_id, workspace_id, name, size_bytes, storage_key) VALUES "
            "(401, 301, 101, 'a.png', 10, 'k1'), (402, 301, 101, 'b.png', 20, 'k2'), "
            "(403, 302, 101, 'spec.md', 30, 'k3'), (404, 303, 102, 'x.txt', 40, 'k4')"),
        // Ties on created_at within one workspace (501, 505) and one user (501, 503): the id breaks them.
        QStringLiteral(
            "INSERT INTO ai_usage (id, workspace_id, user_id, provider, model, input_tokens, output_tokens, "
            "                      cost_usd, created_at) VALUES "
            "(501, 101, 201, 'openai', 'gpt', 10, 1, 0.01, '2026-03-01 10:00+00'), "
            "(502, 101, 201, 'openai', 'gpt', 20, 2, 0.02, '2026-03-02 10:00+00'), "
            "(503, 102, 201, 'anthropic', 'claude', 30, 3, 0.03, '2026-03-01 10:00+00'), "
            "(504, 101, 202, 'openai', 'gpt', 40, 4, 0.04, '2026-02-01 10:00+00'), "
            "(505, 101, NULL, 'openai', 'gpt', 50, 5, 0.05, '2026-03-01 10:00+00'), "
            "(506, 103, 202, 'openai', 'gpt', 60, 6, 0.06, '2026-01-01 10:00+00')"),
    };
    for (const QString &sql : setup)
        QVERIFY_SQL(query, exec(sql));

    m_userAliceInAlpha =
        audit(QStringLiteral("user"), QStringLiteral("201"), qint64(Alpha), QStringLiteral("x"));
    m_userAliceRefund = audit(QStringLiteral("user"), QStringLiteral("201"), {}, QStringLiteral("refund"));
    m_userBob = audit(QStringLiteral("user"), QStringLiteral("202"), {}, QStringLiteral("refund"));
    m_workspaceAlphaTargetsAliceId =
        audit(QStringLiteral("workspace"), QStringLiteral("201"), qint64(Alpha), QStringLiteral("refund"));
    // Targets that are not a user id, or not one spelled canonically: none may match, none may fail a cast.
    for (const QVariant &odd :
         {QVariant(QStringLiteral("not-a-number")), QVariant(QStringLiteral("0201")),
          QVariant(QStringLiteral("-201")), QVariant(QStringLiteral("99999999999999999999")),
          QVariant(QStringLiteral(" 201")), QVariant(QMetaType::fromType<QString>())})
        QVERIFY(audit(QStringLiteral("user"), odd, {}, QStringLiteral("refund")) > 0);
    QVERIFY(m_userAliceInAlpha > 0 && m_userAliceRefund > 0 && m_userBob > 0 &&
            m_workspaceAlphaTargetsAliceId > 0);
    QVERIFY_SQL(query, exec(QStringLiteral("ANALYZE")));
}

void TestTables::cleanupTestCase()
{
    m_database.reset();
}

qint64 TestTables::audit(const QString &targetType, const QVariant &targetId, const QVariant &workspaceId,
                         const QString &reason)
{
    QSqlQuery query(m_database->db());
    query.prepare(QStringLiteral(
        "INSERT INTO audit_log (actor, action, action_id, target_type, target_id, workspace_id, reason) "
        "VALUES ('tester', 'test.action', gen_random_uuid(), :type, CAST(:target AS text), "
        "        CAST(:workspace AS bigint), :reason) RETURNING id"));
    query.bindValue(QStringLiteral(":type"), targetType);
    query.bindValue(QStringLiteral(":target"), targetId);
    query.bindValue(QStringLiteral(":workspace"),
                    workspaceId.isValid() ? workspaceId : QVariant(QMetaType::fromType<qint64>()));
    query.bindValue(QStringLiteral(":reason"), reason);
    if (!query.exec() || !query.next()) {
        qWarning() << query.lastError().text();
        return 0;
    }
    return query.value(0).toLongLong();
}

int TestTables::column(const TableDefinition &table, const QString &name)
{
    for (int i = 0; i < table.columns.size(); ++i) {
        if (table.columns.at(i).name == name)
            return i;
    }
    qWarning() << "no column" << name;
    return -1;
}

QList<qint64> TestTables::ids(const TableDefinition &table, const PageRequest &request)
{
    QList<Row> page;
    const DbError error = fetchPage(m_database->db(), table, request, &page);
    if (error) {
        qWarning() << error.fullText();
        return {-1};
    }
    QList<qint64> result;
    for (const Row &row : std::as_const(page))
        result.append(row.cursor.id);
    return result;
}

QList<Row> TestTables::rows(const TableDefinition &table, std::optional<qint64> scope)
{
    PageRequest request;
    request.scope = scope;
    QList<Row> page;
    const DbError error = fetchPage(m_database->db(), table, request, &page);
    if (error)
        qWarning() << error.fullText();
    return page;
}

void TestTables::scope_returnsExactlyItsRows_data()
{
    QTest::addColumn<const TableDefinition *>("table");
    QTest::addColumn<qint64>("scope");
    QTest::addColumn<QList<qint64>>("expected");
    QTest::newRow("memberships of Alice")
        << &userMembershipsTable() << qint64(Alice) << QList<qint64>{Alpha, Beta};
    QTest::newRow("memberships of Bob")
        << &userMembershipsTable() << qint64(Bob) << QList<qint64>{Alpha, Gamma};
    QTest::newRow("memberships of Carol, none")
        << &userMembershipsTable() << qint64(Carol) << QList<qint64>{};
    QTest::newRow("AI usage of Alice")
        << &userAiUsageTable() << qint64(Alice) << QList<qint64>{501, 502, 503};
    QTest::newRow("AI usage of Bob") << &userAiUsageTable() << qint64(Bob) << QList<qint64>{504, 506};
    QTest::newRow("AI usage of Alpha, with the usage of no user")
        << &workspaceAiUsageTable() << qint64(Alpha) << QList<qint64>{501, 502, 504, 505};
    QTest::newRow("AI usage of Beta") << &workspaceAiUsageTable() << qint64(Beta) << QList<qint64>{503};
    QTest::newRow("subscription of Alpha")
        << &workspaceSubscriptionTable() << qint64(Alpha) << QList<qint64>{Alpha};
    QTest::newRow("subscription of Gamma")
        << &workspaceSubscriptionTable() << qint64(Gamma) << QList<qint64>{Gamma};
    QTest::newRow("subscription of no workspace")
        << &workspaceSubscriptionTable() << qint64(999) << QList<qint64>{};
    QTest::newRow("files of Design") << &projectFilesTable() << qint64(Design) << QList<qint64>{401, 402};
    QTest::newRow("files of Docs") << &projectFilesTable() << qint64(Docs) << QList<qint64>{403};
    QTest::newRow("files of Home") << &projectFilesTable() << qint64(Home) << QList<qint64>{404};
}

void TestTables::scope_returnsExactlyItsRows()
{
    QFETCH(const TableDefinition *, table);
    QFETCH(qint64, scope);
    QFETCH(QList<qint64>, expected);
    PageRequest request;
    request.scope = scope;
    QCOMPARE(ids(*table, request), expected);
    qint64 count = -1;
    const DbError error = countUpTo(m_database->db(), *table, {}, 100, &count, scope);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(count, qint64(expected.size()));
}

void TestTables::sortableColumn_pagedOneByOneWithinScope_eachRowOnceInOrder_data()
{
    QTest::addColumn<const TableDefinition *>("table");
    QTest::addColumn<QString>("columnName");
    QTest::addColumn<qint64>("scope");
    QTest::addColumn<int>("expectedRows");
    for (const Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
        const char *way = order == Qt::AscendingOrder ? "ascending" : "descending";
        QTest::addRow("workspace AI usage by time, %s", way)
            << &workspaceAiUsageTable() << QStringLiteral("created") << qint64(Alpha) << 4;
        QTest::addRow("user AI usage by time, %s", way)
            << &userAiUsageTable() << QStringLiteral("created") << qint64(Alice) << 3;
        QTest::addRow("workspace audit by time, %s", way)
            << &workspaceAuditTable() << QStringLiteral("when") << qint64(Alpha) << 2;
        QTest::addRow("user audit by time, %s", way)
            << &userAuditTable() << QStringLiteral("when") << qint64(Alice) << 2;
    }
}

void TestTables::sortableColumn_pagedOneByOneWithinScope_eachRowOnceInOrder()
{
    QFETCH(const TableDefinition *, table);
    QFETCH(QString, columnName);
    QFETCH(qint64, scope);
    QFETCH(int, expectedRows);
    const bool descending = QByteArray(QTest::currentDataTag()).endsWith("descending");
    const int sortColumn = column(*table, columnName);
    QVERIFY(sortColumn >= 0 && table->columns.at(sortColumn).sortable);

    PageRequest request;
    request.scope = scope;
    request.sortColumn = sortColumn;
    request.order = descending ? Qt::DescendingOrder : Qt::AscendingOrder;
    request.limit = 1;
    QList<Row> walked;
    for (int guard = 0; guard < 50; ++guard) {
        QList<Row> page;
        const DbError error = fetchPage(m_database->db(), *table, request, &page);
        QVERIFY2(!error, qPrintable(error.fullText()));
        if (page.isEmpty())
            break;
        QCOMPARE(page.size(), 1);
        walked.append(page.first());
        request.from = page.first().cursor;
    }
    QCOMPARE(walked.size(), expectedRows);
    for (int i = 1; i < walked.size(); ++i) {
        const QDateTime previous = walked.at(i - 1).values.at(sortColumn).toDateTime();
        const QDateTime current = walked.at(i).values.at(sortColumn).toDateTime();
        const qint64 previousId = walked.at(i - 1).cursor.id;
        const qint64 currentId = walked.at(i).cursor.id;
        // Time first, then the id breaks ties; descending is the exact mirror.
        const bool inOrder = descending
                                 ? (previous > current || (previous == current && previousId > currentId))
                                 : (previous < current || (previous == current && previousId < currentId));
        QVERIFY2(
            inOrder,
            qPrintable(QStringLiteral("row %1 (id %2) after id %3").arg(i).arg(currentId).arg(previousId)));
    }
    // Backwards from past the end gives the same rows.
    request.direction = Direction::Backward;
    request.from.reset();
    request.limit = 100;
    QList<Row> backward;
    const DbError error = fetchPage(m_database->db(), *table, request, &backward);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(backward.size(), walked.size());
    for (int i = 0; i < walked.size(); ++i)
        QCOMPARE(backward.at(i).cursor.id, walked.at(i).cursor.id);
}

void TestTables::sortableColumn_servedByAnIndexOnColumnAndId_data()
{
    QTest::addColumn<const TableDefinition *>("table");
    QTest::newRow("files") << &filesTable();
    QTest::newRow("project files") << &projectFilesTable();
    QTest::newRow("workspace AI usage") << &workspaceAiUsageTable();
    QTest::newRow("workspace subscription") << &workspaceSubscriptionTable();
    QTest::newRow("workspace audit") << &workspaceAuditTable();
    QTest::newRow("user memberships") << &userMembershipsTable();
    QTest::newRow("user AI usage") << &userAiUsageTable();
    QTest::newRow("user audit") << &userAuditTable();
}

void TestTables::sortableColumn_servedByAnIndexOnColumnAndId()
{
    QFETCH(const TableDefinition *, table);
    QVERIFY(table->relation.startsWith(QLatin1String("public.")));
    QSqlQuery query(m_database->db());
    QVERIFY_SQL(query,
                prepare(QStringLiteral(
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = :table")));
    query.bindValue(QStringLiteral(":table"), table->relation.section(QLatin1Char('.'), 1));
    QVERIFY_SQL(query, exec());
    QStringList indexes;
    while (query.next())
        indexes.append(query.value(0).toString());
    QVERIFY(!indexes.isEmpty());
    for (const Column &column : table->columns) {
        if (!column.sortable)
            continue;
        QVERIFY2(!column.attribute.isEmpty(), qPrintable(column.name));
        const QString ending = column.attribute + QStringLiteral(", id)");
        const bool served = std::any_of(indexes.cbegin(), indexes.cend(),
                                        [&](const QString &index) { return index.endsWith(ending); });
        QVERIFY2(
            served,
            qPrintable(
                QStringLiteral("%1 sorts without an index on (%2, id)").arg(column.name, column.attribute)));
        // Every page must still run, in both orders, with a search and a scope where the table has them.
        for (const Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
            PageRequest request;
            request.sortColumn = int(&column - table->columns.constData());
            request.order = order;
            request.search = QStringLiteral("x");
            if (!table->scopeColumn.isEmpty())
                request.scope = Alpha;
            QList<Row> page;
            const DbError error = fetchPage(m_database->db(), *table, request, &page);
            QVERIFY2(!error, qPrintable(error.fullText()));
        }
    }
}

void TestTables::userMemberships_showWorkspaceAndRole()
{
    const TableDefinition &table = userMembershipsTable();
    const QList<Row> alice = rows(table, qint64(Alice));
    QCOMPARE(alice.size(), 2);
    const Row &alpha = alice.at(0);
    QCOMPARE(alpha.values.at(column(table, QStringLiteral("workspace"))).toLongLong(), qint64(Alpha));
    QCOMPARE(alpha.values.at(column(table, QStringLiteral("name"))).toString(), QStringLiteral("Alpha"));
    QCOMPARE(alpha.values.at(column(table, QStringLiteral("slug"))).toString(), QStringLiteral("alpha"));
    QCOMPARE(alpha.values.at(column(table, QStringLiteral("plan"))).toString(), QStringLiteral("team"));
    QCOMPARE(alpha.values.at(column(table, QStringLiteral("role"))).toString(), QStringLiteral("owner"));
    QCOMPARE(alice.at(1).values.at(column(table, QStringLiteral("role"))).toString(),
             QStringLiteral("member"));
    QVERIFY(alice.at(1).values.at(column(table, QStringLiteral("joined"))).toDateTime().isValid());
}

void TestTables::workspaceSubscription_oneRowWithPlanStatusAndMismatch()
{
    const TableDefinition &table = workspaceSubscriptionTable();
    const QList<Row> alpha = rows(table, qint64(Alpha));
    QCOMPARE(alpha.size(), 1);
    QCOMPARE(alpha.at(0).values.at(column(table, QStringLiteral("plan"))).toString(), QStringLiteral("team"));
    QCOMPARE(alpha.at(0).values.at(column(table, QStringLiteral("status"))).toString(),
             QStringLiteral("active"));
    QCOMPARE(alpha.at(0).values.at(column(table, QStringLiteral("stripe_customer"))).toString(),
             QStringLiteral("cus_alpha"));
    QCOMPARE(alpha.at(0).values.at(column(table, QStringLiteral("mismatch"))).toBool(), false);
    // Canceled yet writable: finance's flag.
    const QList<Row> gamma = rows(table, qint64(Gamma));
    QCOMPARE(gamma.size(), 1);
    QCOMPARE(gamma.at(0).values.at(column(table, QStringLiteral("mismatch"))).toBool(), true);
    // The same columns as the Subscriptions table, so the two read alike.
    QCOMPARE(table.columns.size(), subscriptionsTable().columns.size());
    QCOMPARE(table.changeChannel, subscriptionsTable().changeChannel);
}

void TestTables::workspaceAiUsage_usageWithoutUser_keptWithEmptyEmail()
{
    const TableDefinition &table = workspaceAiUsageTable();
    const QList<Row> alpha = rows(table, qint64(Alpha));
    QCOMPARE(alpha.size(), 4);
    const int email = column(table, QStringLiteral("email"));
    QCOMPARE(alpha.at(0).values.at(email).toString(), QStringLiteral("alice@x.com"));
    QCOMPARE(alpha.at(2).values.at(email).toString(), QStringLiteral("bob@x.com"));
    QCOMPARE(alpha.at(3).cursor.id, qint64(505));
    QVERIFY(alpha.at(3).values.at(email).isNull());
    QCOMPARE(alpha.at(3).values.at(column(table, QStringLiteral("input_tokens"))).toLongLong(), qint64(50));
}

void TestTables::userAudit_searchWithinUser_onlyItsMatches()
{
    const TableDefinition &table = userAuditTable();
    PageRequest request;
    request.scope = qint64(Alice);
    QCOMPARE(ids(table, request), (QList<qint64>{m_userAliceInAlpha, m_userAliceRefund}));
    request.search = QStringLiteral("refund");
    // Bob's, the workspace's and the odd targets' entries say "refund" too; only Alice's may come back.
    QCOMPARE(ids(table, request), QList<qint64>{m_userAliceRefund});
    QList<qint64> matching;
    const DbError error = matchingIds(m_database->db(), table, request, 100, &matching);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(matching, QList<qint64>{m_userAliceRefund});
    request.scope = qint64(Bob);
    QCOMPARE(ids(table, request), QList<qint64>{m_userBob});
    request.scope = qint64(Carol);
    request.search.clear();
    QCOMPARE(ids(table, request), QList<qint64>{});
    // The workspace's own history is by workspace, whatever the target.
    PageRequest workspace;
    workspace.scope = qint64(Alpha);
    QCOMPARE(ids(workspaceAuditTable(), workspace),
             (QList<qint64>{m_userAliceInAlpha, m_workspaceAlphaTargetsAliceId}));
}

void TestTables::filesTable_allFiles_notSearchableNorSortable()
{
    const TableDefinition &table = filesTable();
    // No index serves ILIKE on files.name, nor (column, id) on any other column: a search or a sort would
    // read all the files.
    QVERIFY(table.searchable.isEmpty());
    QVERIFY(table.scopeColumn.isEmpty());
    for (const Column &each : table.columns)
        QVERIFY2(!each.sortable, qPrintable(each.name));
    const QList<Row> all = rows(table, std::nullopt);
    QCOMPARE(all.size(), 4);
    QCOMPARE(all.at(2).cursor.id, qint64(403));
    QCOMPARE(all.at(2).values.at(column(table, QStringLiteral("workspace"))).toLongLong(), qint64(Alpha));
    QCOMPARE(all.at(2).values.at(column(table, QStringLiteral("project"))).toLongLong(), qint64(Docs));
    QCOMPARE(all.at(2).values.at(column(table, QStringLiteral("name"))).toString(),
             QStringLiteral("spec.md"));
    QCOMPARE(all.at(2).values.at(column(table, QStringLiteral("size_bytes"))).toLongLong(), qint64(30));
    qint64 count = 0;
    QVERIFY(!countUpTo(m_database->db(), table, {}, 100, &count));
    QCOMPARE(count, qint64(4));
}

QTEST_GUILESS_MAIN(TestTables)
#include "tst_tables.moc"
