// The actions that free storage (project-delete, file-delete, exports-purge), each against the real server:
// the rows they leave, the bytes given back in the same transaction, the one audit row they write, and every
// refusal, which must write nothing.
#include "actionfixture.h"

#include "actions/actionengine.h"

#include <QJsonArray>

using namespace beacon;
using namespace beacon::test::seeded;
using beacon::actions::ActionKind;
using beacon::actions::ActionRequest;
using beacon::actions::ActionResult;

class TestStorageActions : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void projectDelete_withFiles_filesAndProjectGoneBytesGivenBack();
    void projectDelete_withoutFiles_projectGoneCounterUnchanged();
    void projectDelete_counterBelowFreedBytes_clampedAtZero();
    void fileDelete_oneFile_goneAndBytesGivenBack();
    void exportsPurge_oneBatch_oldestExpiredMarkedPurged();
    void exportsPurge_zeroDays_everyExpiredButNotFutureOrPurged();
    void exportsPurge_nothingLeft_appliedWithEmptyBatch();
    void refusal_nothingWritten_data();
    void refusal_nothingWritten();

private:
    std::unique_ptr<test::ActionFixture> m_fixture;
};

void TestStorageActions::init()
{
    // A fresh copy for every test: each one starts from the picture in actionfixture.h.
    m_fixture = std::make_unique<test::ActionFixture>(QStringLiteral("act_storage"));
    QVERIFY_FIXTURE(*m_fixture);
}

void TestStorageActions::cleanup()
{
    m_fixture.reset();
}

static ActionRequest projectDelete(std::optional<qint64> project)
{
    ActionRequest request = test::actionRequest(ActionKind::ProjectDelete);
    request.projectId = project;
    return request;
}

static ActionRequest fileDelete(std::optional<qint64> file)
{
    ActionRequest request = test::actionRequest(ActionKind::FileDelete);
    request.fileId = file;
    return request;
}

static ActionRequest exportsPurge(int olderThanDays, int limit)
{
    ActionRequest request = test::actionRequest(ActionKind::ExportsPurge);
    request.olderThanDays = olderThanDays;
    request.limit = limit;
    return request;
}

static QList<qint64> ids(const QJsonValue &array)
{
    QList<qint64> list;
    for (const QJsonValue &id : array.toArray())
        list.append(id.toInteger());
    return list;
}

void TestStorageActions::projectDelete_withFiles_filesAndProjectGoneBytesGivenBack()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const ActionRequest request = projectDelete(LaunchProject);
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);

    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM projects WHERE id = 10")).toInt(), 0);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM files WHERE project_id = 10")).toInt(), 0);
    // The workspace's other project keeps its file, and the counter loses exactly the 3,000 bytes.
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM files WHERE project_id = 11")).toInt(), 1);
    QCOMPARE(fixture.storageUsed(Roomy), RoomyBytes - 3000);

    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("project"),
                                                 QString::number(LaunchProject), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    const QJsonObject before = audit.value(QStringLiteral("before")).toObject();
    const QJsonObject after = audit.value(QStringLiteral("after")).toObject();
    QCOMPARE(before.value(QStringLiteral("project")).toObject().value(QStringLiteral("name")).toString(),
             QStringLiteral("Launch"));
    QCOMPARE(before.value(QStringLiteral("files")).toArray().size(), 2);
    QCOMPARE(before.value(QStringLiteral("storage_used_bytes")).toInteger(), RoomyBytes);
    QVERIFY(after.value(QStringLiteral("project")).isNull());
    QCOMPARE(after.value(QStringLiteral("files")).toArray().size(), 0);
    QCOMPARE(after.value(QStringLiteral("storage_used_bytes")).toInteger(), RoomyBytes - 3000);

    QCOMPARE(result.preview.value(QStringLiteral("rows_affected")).toInteger(), 3);
    QCOMPARE(result.preview.value(QStringLiteral("bytes_freed")).toInteger(), 3000);
}

void TestStorageActions::projectDelete_withoutFiles_projectGoneCounterUnchanged()
{
    auto &fixture = *m_fixture;
    const ActionRequest request = projectDelete(EmptyProject);
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM projects WHERE id = 50")).toInt(), 0);
    QCOMPARE(fixture.storageUsed(Shared), 0);
    const QString problems =
        test::auditMismatch(fixture.lastAudit(), request, result, QStringLiteral("project"),
                            QString::number(EmptyProject), Shared);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QCOMPARE(result.preview.value(QStringLiteral("bytes_freed")).toInteger(-1), 0);
}

void TestStorageActions::projectDelete_counterBelowFreedBytes_clampedAtZero()
{
    auto &fixture = *m_fixture;
    // A counter that drifted low must not go negative (the column forbids it, and the action would fail).
    QVERIFY(fixture.exec(QStringLiteral("UPDATE workspaces SET storage_used_bytes = 100 WHERE id = 4")));
    const ActionResult result = actions::runAction(fixture.db(), projectDelete(DocsProject));
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.storageUsed(Drifted), 0);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM files WHERE workspace_id = 4")).toInt(), 0);
}

void TestStorageActions::fileDelete_oneFile_goneAndBytesGivenBack()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    const ActionRequest request = fileDelete(PlanFile);
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM files WHERE id = 100")).toInt(), 0);
    // Its project and sibling stay.
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM files WHERE project_id = 10")).toInt(), 1);
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM projects WHERE id = 10")).toInt(), 1);
    QCOMPARE(fixture.storageUsed(Roomy), RoomyBytes - 1000);

    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems =
        test::auditMismatch(audit, request, result, QStringLiteral("file"), QString::number(PlanFile), Roomy);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    const QJsonObject before = audit.value(QStringLiteral("before")).toObject();
    QCOMPARE(before.value(QStringLiteral("file")).toObject().value(QStringLiteral("size_bytes")).toInteger(),
             1000);
    QCOMPARE(before.value(QStringLiteral("storage_used_bytes")).toInteger(), RoomyBytes);
    const QJsonObject after = audit.value(QStringLiteral("after")).toObject();
    QVERIFY(after.value(QStringLiteral("file")).isNull());
    QCOMPARE(after.value(QStringLiteral("storage_used_bytes")).toInteger(), RoomyBytes - 1000);
    QCOMPARE(result.preview.value(QStringLiteral("bytes_freed")).toInteger(), 1000);
    QCOMPARE(result.preview.value(QStringLiteral("rows_affected")).toInteger(), 1);
}

void TestStorageActions::exportsPurge_oneBatch_oldestExpiredMarkedPurged()
{
    auto &fixture = *m_fixture;
    const qint64 audits = fixture.auditCount();
    // One call of the engine is one batch: the two lowest ids of the five expired 40 days ago.
    const ActionRequest request = exportsPurge(30, 2);
    const ActionResult result = actions::runAction(fixture.db(), request);
    QVERIFY_APPLIED(result);
    QCOMPARE(fixture
                 .value(QStringLiteral("SELECT string_agg(id::text, ',' ORDER BY id) FROM exports WHERE "
                                       "status = 'purged' AND purged_at > now() - interval '1 hour'"))
                 .toString(),
             QStringLiteral("1,2"));
    QCOMPARE(fixture.value(QStringLiteral("SELECT count(*) FROM exports WHERE purged_at IS NULL")).toInt(),
             5);

    QCOMPARE(fixture.auditCount(), audits + 1);
    const QJsonObject audit = fixture.lastAudit();
    const QString problems = test::auditMismatch(audit, request, result, QStringLiteral("exports"),
                                                 QStringLiteral("expired>30d"), std::nullopt);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    QCOMPARE(ids(audit.value(QStringLiteral("before")).toObject().value(QStringLiteral("ids"))),
             QList<qint64>({1, 2}));
    QCOMPARE(ids(audit.value(QStringLiteral("after")).toObject().value(QStringLiteral("ids"))),
             QList<qint64>({1, 2}));
    QCOMPARE(result.preview.value(QStringLiteral("rows_affected")).toInteger(), 2);
    QCOMPARE(result.preview.value(QStringLiteral("bytes_freed")).toInteger(), 300);
}

void TestStorageActions::exportsPurge_zeroDays_everyExpiredButNotFutureOrPurged()
{
    auto &fixture = *m_fixture;
    const QString purgedLongAgo =
        fixture.value(QStringLiteral("SELECT purged_at::text FROM exports WHERE id = 8")).toString();
    const ActionResult result = actions::runAction(fixture.db(), exportsPurge(0, 1000));
    QVERIFY_APPLIED(result);
    QCOMPARE(ids(result.after.toObject().value(QStringLiteral("ids"))), QList<qint64>({1, 2, 3, 4, 5, 6}));
    QCOMPARE(fixture.value(QStringLiteral("SELECT status FROM exports WHERE id = 7")).toString(),
             QStringLiteral("ready"));
    // An archive purged before keeps the time it was purged.
    QCOMPARE(fixture.value(QStringLiteral("SELECT purged_at::text FROM exports WHERE id = 8")).toString(),
             purgedLongAgo);
}

void TestStorageActions::exportsPurge_nothingLeft_appliedWithEmptyBatch()
{
    auto &fixture = *m_fixture;
    QVERIFY_APPLIED(actions::runAction(fixture.db(), exportsPurge(30, 1000)));
    const QString exportsQuery =
        QStringLiteral("SELECT string_agg(to_jsonb(e)::text, E'\\n' ORDER BY e.id) FROM exports AS e");
    const QString before = fixture.value(exportsQuery).toString();
    const qint64 audits = fixture.auditCount();
    const ActionResult result = actions::runAction(fixture.db(), exportsPurge(30, 1000));
    QVERIFY_APPLIED(result);
    QCOMPARE(result.preview.value(QStringLiteral("rows_affected")).toInteger(-1), 0);
    QVERIFY2(result.message.contains(QLatin1String("No export expired more than 30 days ago")),
             qPrintable(result.message));
    // The run is still recorded (its action id must be recognised on a retry), with an empty batch.
    QCOMPARE(fixture.auditCount(), audits + 1);
    QVERIFY(ids(fixture.lastAudit().value(QStringLiteral("after")).toObject().value(QStringLiteral("ids")))
                .isEmpty());
    QCOMPARE(fixture.value(exportsQuery).toString(), before);
}

void TestStorageActions::refusal_nothingWritten_data()
{
    QTest::addColumn<ActionRequest>("request");
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<QString>("words");

    QTest::newRow("project-delete: no such project")
        << projectDelete(NoSuchProject) << ErrorKind::Refused << QStringLiteral("Project 999 does not exist");
    QTest::newRow("project-delete: no project given")
        << projectDelete(std::nullopt) << ErrorKind::Usage << QStringLiteral("--project ID");
    QTest::newRow("file-delete: no such file")
        << fileDelete(NoSuchFile) << ErrorKind::Refused << QStringLiteral("File 999 does not exist");
    QTest::newRow("file-delete: no file given")
        << fileDelete(std::nullopt) << ErrorKind::Usage << QStringLiteral("--file ID");
    QTest::newRow("exports-purge: no age given")
        << exportsPurge(-1, 10) << ErrorKind::Usage << QStringLiteral("--older-than DAYS");
    QTest::newRow("exports-purge: empty batches")
        << exportsPurge(30, 0) << ErrorKind::Usage << QStringLiteral("--limit must be a positive number");
}

void TestStorageActions::refusal_nothingWritten()
{
    QFETCH(ActionRequest, request);
    QFETCH(ErrorKind, kind);
    QFETCH(QString, words);
    const QString problems = test::runExpectingFailure(*m_fixture, request, kind, words);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
}

QTEST_GUILESS_MAIN(TestStorageActions)
#include "tst_actions_storage.moc"
