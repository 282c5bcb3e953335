// The action catalogue's text (actionText()): every kind is described in full, once, and the tables it
// names are real ones the roles allowed to run it may write.
#include "testdatabase.h"

#include "actions/action.h"

#include <QSet>
#include <QSqlError>
#include <QSqlQuery>

using namespace beacon;
using beacon::actions::ActionKind;

class TestActionCatalogue : public QObject {
    Q_OBJECT
private slots:
    void actionText_everyKind_describedInFull_data();
    void actionText_everyKind_describedInFull();
    void actionText_titles_differ();
    void tablesAffected_realTablesTheAllowedRolesMayWrite_data();
    void tablesAffected_realTablesTheAllowedRolesMayWrite();
};

void TestActionCatalogue::actionText_everyKind_describedInFull_data()
{
    QTest::addColumn<ActionKind>("kind");
    for (const ActionKind kind : actions::allActions())
        QTest::newRow(qPrintable(actions::actionName(kind))) << kind;
}

void TestActionCatalogue::actionText_everyKind_describedInFull()
{
    QFETCH(ActionKind, kind);
    const actions::ActionText text = actions::actionText(kind);
    QVERIFY(!text.title.trimmed().isEmpty());
    QVERIFY(!text.introduction.trimmed().isEmpty());
    QVERIFY(!text.confirmation.trimmed().isEmpty());
    // Whatever is asked, the expected text or the workspace goes into it.
    QVERIFY2(text.confirmation.contains(QLatin1String("%1")), qPrintable(text.confirmation));
    // A destructive action asks for something to be typed; any other asks a question.
    if (actions::isDestructive(kind))
        QVERIFY2(text.confirmation.startsWith(QLatin1String("Type ")), qPrintable(text.confirmation));
    else
        QVERIFY2(text.confirmation.endsWith(QLatin1Char('?')), qPrintable(text.confirmation));
    QVERIFY(!text.tablesAffected.isEmpty());
    // Every action writes its audit row.
    QVERIFY(text.tablesAffected.contains(QStringLiteral("audit_log")));
}

void TestActionCatalogue::actionText_titles_differ()
{
    QSet<QString> titles;
    for (const ActionKind kind : actions::allActions())
        titles.insert(actions::actionText(kind).title);
    QCOMPARE(titles.size(), actions::allActions().size());
}

void TestActionCatalogue::tablesAffected_realTablesTheAllowedRolesMayWrite_data()
{
    actionText_everyKind_describedInFull_data();
}

void TestActionCatalogue::tablesAffected_realTablesTheAllowedRolesMayWrite()
{
    QFETCH(ActionKind, kind);
    test::TestDatabase database(QStringLiteral("catalogue"));
    QVERIFY_TESTDB(database);
    QSqlQuery query(database.db());
    // Updates (0002_roles.sql) and inserts (0008) are granted by column: any column will do.
    QVERIFY(
        query.prepare(QStringLiteral("SELECT to_regclass('public.' || :t) IS NOT NULL AND "
                                     "(has_table_privilege(:role, 'public.' || :t, 'DELETE') OR "
                                     "has_any_column_privilege(:role, 'public.' || :t, 'INSERT, UPDATE'))")));
    for (const QString &table : actions::actionText(kind).tablesAffected) {
        for (const QString &role : actions::rolesAllowedFor(kind)) {
            query.bindValue(QStringLiteral(":t"), table);
            query.bindValue(QStringLiteral(":role"), role);
            QVERIFY2(query.exec() && query.next(), qPrintable(query.lastError().text()));
            QVERIFY2(query.value(0).toBool(),
                     qPrintable(QStringLiteral("%1 may not write %2, or it is no table").arg(role, table)));
        }
    }
}

QTEST_GUILESS_MAIN(TestActionCatalogue)
#include "tst_actioncatalogue.moc"
