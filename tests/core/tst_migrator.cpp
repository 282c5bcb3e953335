#include "testdatabase.h"

#include "db/migrator.h"

#include <QSqlQuery>

using namespace beacon;

class TestMigrator : public QObject {
    Q_OBJECT
private slots:
    void template_isAtExpectedVersion();
};

void TestMigrator::template_isAtExpectedVersion() {
    test::TestDatabase database(QStringLiteral("migrator"));
    QVERIFY_TESTDB(database);
    DbError error;
    QCOMPARE(Migrator::currentVersion(database.db(), &error), Migrator::expectedVersion());
    QVERIFY2(!error, qPrintable(error.fullText()));
    QVERIFY(!Migrator::checkVersion(database.db()));
}

QTEST_GUILESS_MAIN(TestMigrator)
#include "tst_migrator.moc"
