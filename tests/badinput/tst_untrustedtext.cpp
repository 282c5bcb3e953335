// Text from the database is shown as written, never as markup: an actor, a reason, a target or a workspace
// name of "<b>x</b><img src=…>" appears in every label exactly so, with the label in Qt::PlainText (a QLabel
// left at Qt::AutoText would render it bold and try to load the image). Offscreen, against the real server.
#include "testdatabase.h"

#include "auditdiffview.h"
#include "pagedtablemodel.h"
#include "tablepage.h"

#include "browse/tables.h"

#include <QLabel>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTest>

using namespace beacon;

namespace {

const QString Markup = QStringLiteral("<b>x</b><img src=\"file:///etc/hostname\">");

// The labels under `root` that show the markup.
QList<const QLabel *> labelsShowingMarkup(const QWidget &root)
{
    QList<const QLabel *> labels;
    for (const QLabel *label : root.findChildren<QLabel *>()) {
        if (label->text().contains(Markup))
            labels.append(label);
    }
    return labels;
}

// Those of them that would render it as markup.
QString notPlainText(const QList<const QLabel *> &labels)
{
    QString problems;
    for (const QLabel *label : labels) {
        if (label->textFormat() != Qt::PlainText)
            problems += label->objectName() + QStringLiteral(" is not Qt::PlainText; ");
    }
    return problems;
}

} // namespace

class TestUntrustedText : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void auditDiffView_markupInActorReasonAndValues_shownAsWritten();
    void tablePage_markupInFilterValue_shownAsWritten();

private:
    std::unique_ptr<test::TestDatabase> m_database;
};

void TestUntrustedText::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_database = std::make_unique<test::TestDatabase>(QStringLiteral("untrusted_text"));
    QVERIFY_TESTDB(*m_database);
    QSqlQuery query(m_database->db());
    QVERIFY(query.prepare(QStringLiteral("INSERT INTO workspaces (id, name, slug, plan, subscription_status) "
                                         "VALUES (101, :name, 'markup', 'team', 'none')")));
    query.bindValue(QStringLiteral(":name"), Markup);
    QVERIFY_SQL(query, exec());
}

void TestUntrustedText::cleanupTestCase()
{
    m_database.reset();
}

void TestUntrustedText::auditDiffView_markupInActorReasonAndValues_shownAsWritten()
{
    QSqlQuery query(m_database->db());
    QVERIFY(query.prepare(QStringLiteral(
        "INSERT INTO audit_log (actor, action, action_id, target_type, target_id, workspace_id, reason, "
        "                       before, after) "
        "VALUES (:actor, 'workspace.plan_change', gen_random_uuid(), 'workspace', :target, 101, :reason, "
        "        jsonb_build_object('name', 'plain'), jsonb_build_object('name', CAST(:name AS text))) "
        "RETURNING id")));
    query.bindValue(QStringLiteral(":actor"), Markup);
    query.bindValue(QStringLiteral(":target"), Markup);
    query.bindValue(QStringLiteral(":reason"), Markup);
    query.bindValue(QStringLiteral(":name"), Markup);
    QVERIFY_SQL(query, exec());
    QVERIFY(query.next());
    const qint64 id = query.value(0).toLongLong();

    ui::AuditDiffView view;
    view.show();
    view.setConnection(m_database->connections());
    view.showEntry(id);
    QTRY_COMPARE_WITH_TIMEOUT(view.shownEntry(), std::optional<qint64>(id), 10000);

    QCOMPARE(view.findChild<QLabel *>(QStringLiteral("auditActor"))->text(), Markup);
    QCOMPARE(view.findChild<QLabel *>(QStringLiteral("auditReason"))->text(), Markup);
    const QList<const QLabel *> labels = labelsShowingMarkup(view);
    QVERIFY2(labels.size() >= 3, qPrintable(QStringLiteral("the markup is in %1 labels").arg(labels.size())));
    QVERIFY2(notPlainText(labels).isEmpty(), qPrintable(notPlainText(labels)));

    // The new value's tooltip is escaped, so QToolTip shows the characters rather than rendering them.
    const QAbstractItemModel *changes = view.changes();
    QCOMPARE(changes->rowCount(), 1);
    const QModelIndex after = changes->index(0, ui::AuditDiffView::AfterColumn);
    QString json = Markup;
    json.replace(QLatin1Char('"'), QStringLiteral("\\\""));
    QCOMPARE(after.data().toString(), QString(QLatin1Char('"') + json + QLatin1Char('"')));
    const QString toolTip = after.data(Qt::ToolTipRole).toString();
    QVERIFY2(!toolTip.contains(QLatin1String("<b>")) &&
                 toolTip.contains(QLatin1String("&lt;b&gt;x&lt;/b&gt;")),
             qPrintable(toolTip));
}

void TestUntrustedText::tablePage_markupInFilterValue_shownAsWritten()
{
    const browse::TableDefinition &table = browse::workspacesTable();
    QStringList headers;
    for (const browse::Column &column : table.columns)
        headers.append(column.name);
    ui::TablePage page(QStringLiteral("untrusted"), table, headers);
    page.show();
    page.setConnection(m_database->connections());
    int nameColumn = -1;
    for (int i = 0; i < table.columns.size(); ++i) {
        if (table.columns.at(i).expression == QLatin1String("w.name"))
            nameColumn = i;
    }
    QVERIFY(nameColumn >= 0);
    browse::ColumnFilter filter;
    filter.column = nameColumn;
    filter.op = browse::ColumnFilter::Op::Equals;
    filter.value = Markup;
    page.addFilter(filter);
    QTRY_VERIFY_WITH_TIMEOUT(!labelsShowingMarkup(page).isEmpty(), 10000);
    QVERIFY2(notPlainText(labelsShowingMarkup(page)).isEmpty(),
             qPrintable(notPlainText(labelsShowingMarkup(page))));
    // The filter is a bound value: it finds the one workspace named so.
    QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(page.model()->index(0, nameColumn).data().toString(), Markup, 10000);
}

QTEST_MAIN(TestUntrustedText)
#include "tst_untrustedtext.moc"
