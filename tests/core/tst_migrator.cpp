#include "testdatabase.h"

#include "db/migrator.h"

#include <QSqlQuery>
#include <QThread>

using namespace beacon;

class TestMigrator : public QObject {
    Q_OBJECT
private slots:
    void migrations_numberedWithoutGaps();
    void template_isAtExpectedVersion();
    void migrate_emptyDatabase_appliesAllThenNothing();
    void migrate_twoAtOnce_eachFileAppliedOnce();
};

void TestMigrator::migrations_numberedWithoutGaps()
{
    const auto migrations = Migrator::migrations();
    QVERIFY(!migrations.isEmpty());
    for (int i = 0; i < migrations.size(); ++i)
        QCOMPARE(migrations.at(i).version, i + 1);
}

void TestMigrator::template_isAtExpectedVersion()
{
    test::TestDatabase database(QStringLiteral("migrator"));
    QVERIFY_TESTDB(database);
    DbError error;
    QCOMPARE(Migrator::currentVersion(database.db(), &error), Migrator::expectedVersion());
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(!Migrator::checkVersion(database.db()));
}

void TestMigrator::migrate_emptyDatabase_appliesAllThenNothing()
{
    test::TestDatabase database(QStringLiteral("migrator_empty"), test::TestDatabase::Contents::Empty);
    QVERIFY_TESTDB(database);
    DbError error;
    QCOMPARE(Migrator::currentVersion(database.db(), &error), 0);
    QStringList applied;
    error = Migrator::migrate(database.db(), &applied);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QCOMPARE(applied.size(), Migrator::migrations().size());
    QCOMPARE(Migrator::currentVersion(database.db(), &error), Migrator::expectedVersion());

    applied.clear();
    error = Migrator::migrate(database.db(), &applied);
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY2(applied.isEmpty(), qPrintable(applied.join(QLatin1Char(','))));
    QSqlQuery query(database.db());
    QVERIFY_SQL(query,
                exec(QStringLiteral("SELECT count(*), count(DISTINCT version) FROM schema_migrations")));
    QVERIFY(query.next());
    QCOMPARE(query.value(0).toInt(), Migrator::migrations().size());
    QCOMPARE(query.value(1).toInt(), Migrator::migrations().size());
}

void TestMigrator::migrate_twoAtOnce_eachFileAppliedOnce()
{
    test::TestDatabase database(QStringLiteral("migrator_race"), test::TestDatabase::Contents::Empty);
    QVERIFY_TESTDB(database);
    const ConnectionSpec spec = database.spec();
    DbError errors[2];
    QStringList applied[2];
    QList<QThread *> threads;
    for (int i = 0; i < 2; ++i) {
        threads.append(QThread::create([&, i] {
            auto connection = Connection::open(spec, QStringLiteral("race"), &errors[i]);
            if (connection)
                errors[i] = Migrator::migrate(connection->database(), &applied[i]);
        }));
        threads.last()->start();
    }
    for (QThread *thread : threads) {
        QVERIFY(thread->wait(120000));
        delete thread;
    }
    QVERIFY2(!errors[0], qPrintable(errors[0].fullText()));
    QVERIFY2(!errors[1], qPrintable(errors[1].fullText()));
    QCOMPARE(applied[0].size() + applied[1].size(), Migrator::migrations().size());
    DbError error;
    QCOMPARE(Migrator::currentVersion(database.db(), &error), Migrator::expectedVersion());
}

QTEST_GUILESS_MAIN(TestMigrator)
#include "tst_migrator.moc"
