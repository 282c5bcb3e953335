#include "testdatabase.h"

#include "check/anomalycheck.h"
#include "seed/seeder.h"

#include <QLocale>
#include <QSqlQuery>
#include <QTimeZone>

#include <algorithm>

using namespace beacon;

namespace {

DbError seedTiny(QSqlDatabase db)
{
    SeedOptions options;
    options.size = SeedSize::Tiny;
    options.seed = 11;
    options.anchor = QDateTime(QDate(2025, 6, 1), QTime(0, 0), QTimeZone::utc());
    return seedDatabase(db, options);
}

QList<qint64> idsOfKind(const QList<Anomaly> &anomalies, const QString &kind)
{
    QList<qint64> ids;
    for (const Anomaly &anomaly : anomalies) {
        if (anomaly.kind == kind)
            ids.append(anomaly.targetId);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

QList<qint64> sorted(QList<qint64> ids)
{
    std::sort(ids.begin(), ids.end());
    return ids;
}

QString describe(const QList<Anomaly> &anomalies)
{
    QStringList lines;
    for (const Anomaly &anomaly : anomalies)
        lines.append(QStringLiteral("%1 %2 %3: %4")
                         .arg(anomaly.kind, anomaly.targetType)
                         .arg(anomaly.targetId)
                         .arg(anomaly.detail));
    return lines.join(QLatin1Char('\n'));
}

} // namespace

class TestAnomalyCheck : public QObject {
    Q_OBJECT
private slots:
    void findAnomalies_freshDatabase_findsNone();
    void findAnomalies_seededTiny_findsExactlyThePlanted_data();
    void findAnomalies_seededTiny_findsExactlyThePlanted();
    void findAnomalies_storageDrift_detailHasTheNumbers();
    void findAnomalies_afterFix_anomalyGone_data();
    void findAnomalies_afterFix_anomalyGone();
    void findAnomalies_workspaceFilter_onlyThatWorkspace_data();
    void findAnomalies_workspaceFilter_onlyThatWorkspace();
    void findAnomalies_workspaceFilter_duplicateUsersOnlyItsMembers();
    void findAnomalies_memberLimitBreachMadeByHand_found();
};

void TestAnomalyCheck::findAnomalies_freshDatabase_findsNone()
{
    test::TestDatabase database(QStringLiteral("check_fresh"));
    QVERIFY_TESTDB(database);
    QList<Anomaly> anomalies{{QStringLiteral("stale"), {}, 0, {}}};
    DbError error = findAnomalies(database.db(), std::nullopt, &anomalies);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY2(anomalies.isEmpty(), qPrintable(describe(anomalies)));
    error = findAnomalies(database.db(), 1, &anomalies);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(anomalies.isEmpty());
}

void TestAnomalyCheck::findAnomalies_seededTiny_findsExactlyThePlanted_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("targetType");
    QTest::addColumn<QList<qint64>>("expected");
    const PlantedAnomalies planted = plantedAnomalies(SeedSize::Tiny);
    QTest::newRow("storage drift") << QString::fromLatin1(AnomalyKind::StorageDrift) << "workspace"
                                   << planted.storageDriftWorkspaces;
    QTest::newRow("duplicate email") << QString::fromLatin1(AnomalyKind::DuplicateUserEmail) << "user"
                                     << sorted(planted.duplicateSourceUsers + planted.duplicateCopyUsers);
    QTest::newRow("canceled but writable") << QString::fromLatin1(AnomalyKind::CanceledButWritable)
                                           << "workspace" << planted.canceledWritableWorkspaces;
    QTest::newRow("over member limit") << QString::fromLatin1(AnomalyKind::OverMemberLimit) << "workspace"
                                       << planted.overMemberLimitWorkspaces;
}

void TestAnomalyCheck::findAnomalies_seededTiny_findsExactlyThePlanted()
{
    QFETCH(QString, kind);
    QFETCH(QString, targetType);
    QFETCH(QList<qint64>, expected);
    test::TestDatabase database(QStringLiteral("check_seeded"));
    QVERIFY_TESTDB(database);
    DbError error = seedTiny(database.db());
    QVERIFY2(!error, qPrintable(error.fullText()));
    QList<Anomaly> anomalies;
    error = findAnomalies(database.db(), std::nullopt, &anomalies);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(idsOfKind(anomalies, kind), expected);
    for (const Anomaly &anomaly : std::as_const(anomalies)) {
        if (anomaly.kind == kind) {
            QCOMPARE(anomaly.targetType, targetType);
            QVERIFY2(!anomaly.detail.isEmpty() &&
                         anomaly.detail.contains(QRegularExpression(QStringLiteral("\\d"))),
                     qPrintable(anomaly.detail));
        }
    }
    // Nothing but the planted anomalies: 3 of each workspace kind and 3 pairs of users.
    QCOMPARE(anomalies.size(), 15);
}

void TestAnomalyCheck::findAnomalies_storageDrift_detailHasTheNumbers()
{
    test::TestDatabase database(QStringLiteral("check_detail"));
    QVERIFY_TESTDB(database);
    DbError error = seedTiny(database.db());
    QVERIFY2(!error, qPrintable(error.fullText()));
    const qint64 workspace = plantedAnomalies(SeedSize::Tiny).storageDriftWorkspaces.first();
    QSqlQuery query(database.db());
    QVERIFY_SQL(query,
                prepare(QStringLiteral("SELECT w.storage_used_bytes, (SELECT coalesce(sum(size_bytes), 0) "
                                       "FROM files WHERE workspace_id = w.id)::bigint FROM workspaces w "
                                       "WHERE w.id = :id")));
    query.bindValue(QStringLiteral(":id"), workspace);
    QVERIFY_SQL(query, exec());
    QVERIFY(query.next());
    const qint64 stored = query.value(0).toLongLong();
    const qint64 files = query.value(1).toLongLong();
    QVERIFY(stored != files);
    QList<Anomaly> anomalies;
    error = findAnomalies(database.db(), workspace, &anomalies);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(idsOfKind(anomalies, QString::fromLatin1(AnomalyKind::StorageDrift)), QList<qint64>{workspace});
    const QString detail = anomalies.first().detail;
    QVERIFY2(detail.contains(QLocale().toString(stored)), qPrintable(detail));
    QVERIFY2(detail.contains(QLocale().toString(files)), qPrintable(detail));
    QVERIFY2(detail.contains(QLocale().toString(qAbs(stored - files))), qPrintable(detail));
}

void TestAnomalyCheck::findAnomalies_afterFix_anomalyGone_data()
{
    QTest::addColumn<QString>("fix");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QList<qint64>>("gone");
    // Tiny plants drift at 2, 8, 14; canceled at 3, 9, 15; over the limit at 4, 10, 16; users 2 and 3 share
    // an address (see plantedAnomalies).
    QTest::newRow("storage recounted")
        << "UPDATE workspaces SET storage_used_bytes = (SELECT coalesce(sum(size_bytes), 0) FROM files "
           "WHERE workspace_id = 2) WHERE id = 2"
        << QString::fromLatin1(AnomalyKind::StorageDrift) << QList<qint64>{2};
    QTest::newRow("made read-only") << "UPDATE workspaces SET read_only = true WHERE id = 9"
                                    << QString::fromLatin1(AnomalyKind::CanceledButWritable)
                                    << QList<qint64>{9};
    QTest::newRow("member removed")
        << "DELETE FROM memberships WHERE workspace_id = 4 AND user_id = (SELECT min(user_id) FROM "
           "memberships WHERE workspace_id = 4 AND role <> 'owner')"
        << QString::fromLatin1(AnomalyKind::OverMemberLimit) << QList<qint64>{4};
    QTest::newRow("email changed")
        << "UPDATE users SET primary_email = 'someone.else@example.com' WHERE id = 3"
        << QString::fromLatin1(AnomalyKind::DuplicateUserEmail) << QList<qint64>{2, 3};
}

void TestAnomalyCheck::findAnomalies_afterFix_anomalyGone()
{
    QFETCH(QString, fix);
    QFETCH(QString, kind);
    QFETCH(QList<qint64>, gone);
    const PlantedAnomalies planted = plantedAnomalies(SeedSize::Tiny);
    QCOMPARE(planted.storageDriftWorkspaces.first(), 2);
    QCOMPARE(planted.canceledWritableWorkspaces.at(1), 9);
    QCOMPARE(planted.overMemberLimitWorkspaces.first(), 4);
    QCOMPARE(planted.duplicateCopyUsers.first(), 3);
    test::TestDatabase database(QStringLiteral("check_fix"));
    QVERIFY_TESTDB(database);
    DbError error = seedTiny(database.db());
    QVERIFY2(!error, qPrintable(error.fullText()));
    QList<Anomaly> before;
    error = findAnomalies(database.db(), std::nullopt, &before);
    QVERIFY2(!error, qPrintable(error.fullText()));

    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(fix));
    QVERIFY(query.numRowsAffected() == 1);
    QList<Anomaly> after;
    error = findAnomalies(database.db(), std::nullopt, &after);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QList<qint64> expected = idsOfKind(before, kind);
    for (qint64 id : gone) {
        QVERIFY(expected.contains(id));
        expected.removeAll(id);
    }
    QCOMPARE(idsOfKind(after, kind), expected);
    QCOMPARE(after.size(), before.size() - gone.size());
}

void TestAnomalyCheck::findAnomalies_workspaceFilter_onlyThatWorkspace_data()
{
    QTest::addColumn<qint64>("workspace");
    QTest::addColumn<QString>("kind");
    const PlantedAnomalies planted = plantedAnomalies(SeedSize::Tiny);
    QTest::newRow("drifting") << planted.storageDriftWorkspaces.at(1)
                              << QString::fromLatin1(AnomalyKind::StorageDrift);
    QTest::newRow("canceled") << planted.canceledWritableWorkspaces.at(2)
                              << QString::fromLatin1(AnomalyKind::CanceledButWritable);
    QTest::newRow("over limit") << planted.overMemberLimitWorkspaces.at(1)
                                << QString::fromLatin1(AnomalyKind::OverMemberLimit);
}

void TestAnomalyCheck::findAnomalies_workspaceFilter_onlyThatWorkspace()
{
    QFETCH(qint64, workspace);
    QFETCH(QString, kind);
    test::TestDatabase database(QStringLiteral("check_filter"));
    QVERIFY_TESTDB(database);
    DbError error = seedTiny(database.db());
    QVERIFY2(!error, qPrintable(error.fullText()));
    QList<Anomaly> anomalies;
    error = findAnomalies(database.db(), workspace, &anomalies);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(idsOfKind(anomalies, kind), QList<qint64>{workspace});
    for (const Anomaly &anomaly : std::as_const(anomalies)) {
        if (anomaly.targetType == QLatin1String("workspace")) {
            QCOMPARE(anomaly.targetId, workspace);
            continue;
        }
        // A user is reported for a workspace only when a member of it.
        QSqlQuery query(database.db());
        QVERIFY_SQL(query, prepare(QStringLiteral("SELECT count(*) FROM memberships WHERE workspace_id = :w "
                                                  "AND user_id = :u")));
        query.bindValue(QStringLiteral(":w"), workspace);
        query.bindValue(QStringLiteral(":u"), anomaly.targetId);
        QVERIFY_SQL(query, exec());
        QVERIFY(query.next());
        QVERIFY2(query.value(0).toInt() == 1, qPrintable(describe(anomalies)));
    }
}

void TestAnomalyCheck::findAnomalies_workspaceFilter_duplicateUsersOnlyItsMembers()
{
    test::TestDatabase database(QStringLiteral("check_filter_users"));
    QVERIFY_TESTDB(database);
    DbError error = seedTiny(database.db());
    QVERIFY2(!error, qPrintable(error.fullText()));
    const PlantedAnomalies planted = plantedAnomalies(SeedSize::Tiny);
    const qint64 copy = planted.duplicateCopyUsers.first();
    const qint64 source = planted.duplicateSourceUsers.first();
    // A new workspace whose only member is one of the two accounts.
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(QStringLiteral("INSERT INTO workspaces (name, slug, plan) VALUES ('Dupe check', "
                                           "'dupe-check', 'team') RETURNING id")));
    QVERIFY(query.next());
    const qint64 workspace = query.value(0).toLongLong();
    QVERIFY_SQL(query, prepare(QStringLiteral("INSERT INTO memberships (workspace_id, user_id, role) "
                                              "VALUES (:w, :u, 'owner')")));
    query.bindValue(QStringLiteral(":w"), workspace);
    query.bindValue(QStringLiteral(":u"), copy);
    QVERIFY_SQL(query, exec());

    QList<Anomaly> anomalies;
    error = findAnomalies(database.db(), workspace, &anomalies);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(anomalies.size(), 1);
    QCOMPARE(anomalies.first().kind, QString::fromLatin1(AnomalyKind::DuplicateUserEmail));
    QCOMPARE(anomalies.first().targetId, copy);
    // The other account is named, though it is not reported on its own.
    QVERIFY2(anomalies.first().detail.contains(QStringLiteral("user %1 ").arg(source)),
             qPrintable(anomalies.first().detail));
}

void TestAnomalyCheck::findAnomalies_memberLimitBreachMadeByHand_found()
{
    test::TestDatabase database(QStringLiteral("check_by_hand"));
    QVERIFY_TESTDB(database);
    QSqlQuery query(database.db());
    QVERIFY_SQL(query, exec(QStringLiteral(
                           "INSERT INTO users (provider, provider_user_id, primary_email) SELECT 'github', "
                           "'gh' || n, 'person' || n || '@example.com' FROM generate_series(1, 5) n")));
    QVERIFY_SQL(query,
                exec(QStringLiteral("INSERT INTO workspaces (name, slug, plan) VALUES "
                                    "('At limit', 'at-limit', 'free'), ('Starter', 'starter-ws', 'starter') "
                                    "RETURNING id")));
    QVERIFY(query.next());
    const qint64 atLimit = query.value(0).toLongLong();
    QVERIFY(query.next());
    const qint64 downgraded = query.value(0).toLongLong();
    QVERIFY_SQL(query,
                prepare(QStringLiteral("INSERT INTO memberships (workspace_id, user_id) "
                                       "SELECT CAST(:w AS bigint), id FROM users ORDER BY id LIMIT :n")));
    query.bindValue(QStringLiteral(":w"), atLimit);
    query.bindValue(QStringLiteral(":n"), 3);
    QVERIFY_SQL(query, exec());
    query.bindValue(QStringLiteral(":w"), downgraded);
    query.bindValue(QStringLiteral(":n"), 5);
    QVERIFY_SQL(query, exec());
    // The trigger stops a fourth member on free, so the only way over is a downgrade.
    QVERIFY_SQL(query,
                prepare(QStringLiteral("INSERT INTO memberships (workspace_id, user_id) VALUES (:w, 5)")));
    query.bindValue(QStringLiteral(":w"), atLimit);
    QVERIFY(!query.exec());
    QCOMPARE(query.lastError().nativeErrorCode(), QStringLiteral("BE001"));
    QVERIFY_SQL(query, prepare(QStringLiteral("UPDATE workspaces SET plan = 'free' WHERE id = :w")));
    query.bindValue(QStringLiteral(":w"), downgraded);
    QVERIFY_SQL(query, exec());

    QList<Anomaly> anomalies;
    DbError error = findAnomalies(database.db(), std::nullopt, &anomalies);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(anomalies.size(), 1);
    QCOMPARE(anomalies.first().kind, QString::fromLatin1(AnomalyKind::OverMemberLimit));
    QCOMPARE(anomalies.first().targetId, downgraded);
    QVERIFY2(anomalies.first().detail.contains(QLatin1String("5 members")) &&
                 anomalies.first().detail.contains(QLatin1String("allows 3")),
             qPrintable(anomalies.first().detail));

    error = findAnomalies(database.db(), atLimit, &anomalies);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY2(anomalies.isEmpty(), qPrintable(describe(anomalies)));
    error = findAnomalies(database.db(), downgraded, &anomalies);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(idsOfKind(anomalies, QString::fromLatin1(AnomalyKind::OverMemberLimit)),
             QList<qint64>{downgraded});
}

QTEST_GUILESS_MAIN(TestAnomalyCheck)
#include "tst_anomalycheck.moc"
