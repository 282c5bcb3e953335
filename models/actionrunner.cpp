#include "actionrunner.h"

#include "actions/actionengine.h"
#include "db/database.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QLocale>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

#include <memory>

namespace beacon::models {

using actions::ActionKind;
using actions::ActionRequest;
using actions::ActionResult;

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::models::ActionRunner", text);
}

namespace {

ActionResult failedBeforeStart(const ActionRequest &request, const DbError &error)
{
    ActionResult result;
    result.actionId = request.actionId;
    result.kind = request.kind;
    result.dryRun = request.dryRun;
    result.error = error;
    return result;
}

// One value from a statement with bound values; *found is false when it yields no row.
DbError selectRow(const QSqlDatabase &db, const QString &sql, const QVariantMap &values, const QString &doing,
                  QSqlQuery *query, bool *found)
{
    *query = QSqlQuery(db);
    if (!query->prepare(sql))
        return DbError::fromSql(query->lastError(), doing);
    for (auto value = values.cbegin(); value != values.cend(); ++value)
        query->bindValue(QLatin1Char(':') + value.key(), value.value());
    if (!query->exec())
        return DbError::fromSql(query->lastError(), doing);
    *found = query->next();
    return {};
}

DbError userEmail(const QSqlDatabase &db, std::optional<qint64> id, QString *email)
{
    if (!id)
        return {};
    QSqlQuery query;
    bool found = false;
    if (DbError error = selectRow(db,
                                  QStringLiteral("SELECT primary_email FROM public.users WHERE id = "
                                                 "CAST(:id AS bigint)"),
                                  {{QStringLiteral("id"), *id}}, tr("Reading the user"), &query, &found))
        return error;
    if (found)
        *email = query.value(0).toString();
    return {};
}

// Reads what the request works on. Outside any transaction: the action itself locks and checks again, and
// the version read here makes it stop with a conflict if the workspace moved on in between.
DbError readTarget(const QSqlDatabase &db, const ActionRequest &request, ActionTarget *target)
{
    QSqlQuery query;
    bool found = false;
    std::optional<qint64> workspace = request.workspaceId;
    if (request.kind == ActionKind::ProjectDelete || request.kind == ActionKind::FileDelete) {
        const bool project = request.kind == ActionKind::ProjectDelete;
        const std::optional<qint64> id = project ? request.projectId : request.fileId;
        if (id) {
            // Two fixed statements, one per table.
            const QString sql = project
                                    ? QStringLiteral("SELECT workspace_id FROM public.projects WHERE id = "
                                                     "CAST(:id AS bigint)")
                                    : QStringLiteral("SELECT workspace_id FROM public.files WHERE id = "
                                                     "CAST(:id AS bigint)");
            if (DbError error = selectRow(db, sql, {{QStringLiteral("id"), *id}}, tr("Finding the workspace"),
                                          &query, &found))
                return error;
            if (found)
                workspace = query.value(0).toLongLong();
        }
    }
    if (request.kind == ActionKind::UserMerge || request.kind == ActionKind::ExportsPurge)
        workspace.reset();
    target->workspaceId = workspace;
    if (workspace) {
        if (DbError error =
                selectRow(db,
                          QStringLiteral("SELECT slug, name, plan, read_only, version FROM "
                                         "public.workspaces WHERE id = CAST(:id AS bigint)"),
                          {{QStringLiteral("id"), *workspace}}, tr("Reading the workspace"), &query, &found))
            return error;
        target->workspaceFound = found;
        if (found) {
            target->workspaceSlug = query.value(0).toString();
            target->workspaceName = query.value(1).toString();
            target->workspacePlan = query.value(2).toString();
            target->workspaceReadOnly = query.value(3).toBool();
            target->workspaceVersion = query.value(4).toLongLong();
        }
    }
    switch (request.kind) {
    case ActionKind::MemberAdd:
    case ActionKind::MemberRemove:
    case ActionKind::MemberRole:
        return userEmail(db, request.userId, &target->userEmail);
    case ActionKind::UserMerge:
        if (DbError error = userEmail(db, request.keepUserId, &target->keepUserEmail))
            return error;
        return userEmail(db, request.mergeUserId, &target->mergeUserEmail);
    case ActionKind::ExportsPurge:
        if (DbError error = selectRow(
                db,
                QStringLiteral("SELECT count(*), coalesce(sum(size_bytes), 0) FROM public.exports WHERE "
                               "purged_at IS NULL AND expires_at < now() - make_interval(days => CAST(:days "
                               "AS integer))"),
                {{QStringLiteral("days"), request.olderThanDays}}, tr("Counting the expired exports"), &query,
                &found))
            return error;
        if (found) {
            target->purgeableExports = query.value(0).toLongLong();
            target->purgeableBytes = query.value(1).toLongLong();
        }
        return {};
    default:
        return {};
    }
}

} // namespace

// Lives on the runner's thread and owns that thread's one connection.
class ActionWorker : public QObject {
    Q_OBJECT
public:
    explicit ActionWorker(ConnectionSpec spec)
        : m_spec(std::move(spec))
    {}

    void apply(quint64 ticket, const ActionRequest &request)
    {
        ActionResult result;
        {
            QSqlDatabase db;
            if (DbError error = database(&db))
                result = failedBeforeStart(request, error);
            else
                result = actions::runActionInBatches(db, request);
        }
        forgetLostConnection(result.error);
        emit resultReady(ticket, result);
    }

    void preview(quint64 ticket, ActionRequest request)
    {
        ActionPreview preview;
        // A connection that died while the dialog stood open fails the first statement; a look-up is safe to
        // repeat, so it is tried once more on a new connection.
        for (int attempt = 0; attempt < 2; ++attempt) {
            const bool reused = m_connection != nullptr;
            preview = {};
            DbError error;
            {
                QSqlDatabase db;
                error = database(&db);
                if (!error)
                    error = readTarget(db, request, &preview.target);
                if (!error) {
                    ActionRequest dryRun = request;
                    dryRun.dryRun = true;
                    if (!dryRun.expectVersion && preview.target.workspaceFound)
                        dryRun.expectVersion = preview.target.workspaceVersion;
                    preview.result = actions::runAction(db, dryRun);
                    error = preview.result.error;
                } else {
                    preview.result = failedBeforeStart(request, error);
                    preview.result.dryRun = true;
                }
            }
            // Only once every handle on it is gone.
            forgetLostConnection(error);
            if (!(reused && error.kind == ErrorKind::Unavailable))
                break;
        }
        emit previewReady(ticket, preview);
    }

signals:
    void resultReady(quint64 ticket, const beacon::actions::ActionResult &result);
    void previewReady(quint64 ticket, const beacon::models::ActionPreview &preview);

private:
    // Opened on first use, inside the worker thread, as a QSqlDatabase must be.
    DbError database(QSqlDatabase *db)
    {
        if (!m_connection) {
            DbError error;
            m_connection = Connection::open(m_spec, QStringLiteral("action"), &error);
            if (!m_connection)
                return error;
        }
        *db = m_connection->database();
        return {};
    }

    // After a lost connection the next job opens a new one instead of failing on the dead one.
    void forgetLostConnection(const DbError &error)
    {
        if (error.kind == ErrorKind::Unavailable)
            m_connection.reset();
    }

    ConnectionSpec m_spec;
    std::unique_ptr<Connection> m_connection;
};

ActionRunner::ActionRunner(QObject *parent)
    : QObject(parent)
{}

ActionRunner::~ActionRunner()
{
    stopWorker();
}

void ActionRunner::stopWorker()
{
    if (!m_thread)
        return;
    disconnect(m_worker, nullptr, this, nullptr);
    QThread *thread = m_thread;
    m_thread = nullptr;
    m_worker = nullptr;
    // The worker, its connection and the thread go when the job under way (if any) is done; the GUI thread
    // does not wait for it.
    thread->setParent(nullptr);
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->quit();
}

void ActionRunner::setConnection(const ConnectionSpec &spec)
{
    stopWorker();
    m_running = 0;
    m_previewPending = false;
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("action-worker"));
    m_worker = new ActionWorker(spec);
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &ActionWorker::resultReady, this, &ActionRunner::resultArrived);
    connect(m_worker, &ActionWorker::previewReady, this, &ActionRunner::previewArrived);
    m_thread->start();
}

void ActionRunner::run(const ActionRequest &request)
{
    const quint64 ticket = ++m_lastTicket;
    ++m_running;
    if (!m_worker) {
        const ActionResult result = failedBeforeStart(
            request, DbError::make(ErrorKind::Unavailable, tr("Not connected to a database.")));
        QMetaObject::invokeMethod(
            this, [this, ticket, result] { resultArrived(ticket, result); }, Qt::QueuedConnection);
        return;
    }
    ActionWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker, ticket, request] { worker->apply(ticket, request); }, Qt::QueuedConnection);
}

void ActionRunner::preview(const ActionRequest &request)
{
    const quint64 ticket = ++m_lastTicket;
    m_latestPreview = ticket;
    m_previewPending = true;
    if (!m_worker) {
        ActionPreview preview;
        preview.result = failedBeforeStart(
            request, DbError::make(ErrorKind::Unavailable, tr("Not connected to a database.")));
        QMetaObject::invokeMethod(
            this, [this, ticket, preview] { previewArrived(ticket, preview); }, Qt::QueuedConnection);
        return;
    }
    ActionWorker *worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker, ticket, request] { worker->preview(ticket, request); }, Qt::QueuedConnection);
}

void ActionRunner::resultArrived(quint64, const ActionResult &result)
{
    m_running = std::max(0, m_running - 1);
    emit finished(result);
}

void ActionRunner::previewArrived(quint64 ticket, const ActionPreview &preview)
{
    if (ticket != m_latestPreview)
        return;
    m_previewPending = false;
    emit previewed(preview);
}

namespace {

QString number(qint64 value)
{
    return QLocale().toString(value);
}

QString dataSize(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

} // namespace

QStringList describePreview(const QJsonObject &preview)
{
    QStringList lines;
    QStringList known;
    const auto integer = [&](const char *key) {
        known.append(QLatin1String(key));
        return preview.value(QLatin1String(key)).toInteger();
    };
    const auto has = [&](const char *key) {
        return preview.contains(QLatin1String(key));
    };
    if (has("rows_affected"))
        lines.append(tr("Rows affected: %1").arg(number(integer("rows_affected"))));
    if (has("files"))
        lines.append(tr("Files: %1").arg(number(integer("files"))));
    if (has("bytes_freed")) {
        const qint64 bytes = integer("bytes_freed");
        lines.append(bytes < 1024 ? tr("Space freed: %1 bytes").arg(number(bytes))
                                  : tr("Space freed: %1 (%2 bytes)").arg(dataSize(bytes), number(bytes)));
    }
    if (has("members_before") || has("members_after"))
        lines.append(tr("Members: %1 before, %2 after")
                         .arg(number(integer("members_before")), number(integer("members_after"))));
    if (has("max_members"))
        lines.append(tr("Member limit: %1").arg(number(integer("max_members"))));
    if (has("new_limits")) {
        known.append(QStringLiteral("new_limits"));
        const QJsonObject limits = preview.value(QStringLiteral("new_limits")).toObject();
        lines.append(tr("New limits: %1 members, %2 of storage, %3 AI tokens a month")
                         .arg(number(limits.value(QStringLiteral("max_members")).toInteger()),
                              dataSize(limits.value(QStringLiteral("storage_quota_bytes")).toInteger()),
                              number(limits.value(QStringLiteral("ai_monthly_tokens")).toInteger())));
    }
    if (has("read_only_after")) {
        known.append(QStringLiteral("read_only_after"));
        lines.append(
            tr("Read-only afterwards: %1")
                .arg(preview.value(QStringLiteral("read_only_after")).toBool() ? tr("yes") : tr("no")));
    }
    if (has("delta_bytes"))
        lines.append(tr("Storage counter change: %1 bytes").arg(number(integer("delta_bytes"))));
    if (has("memberships_moved"))
        lines.append(tr("Memberships moved: %1").arg(number(integer("memberships_moved"))));
    if (has("memberships_combined"))
        lines.append(tr("Memberships combined: %1").arg(number(integer("memberships_combined"))));
    if (has("workspaces_locked"))
        lines.append(tr("Workspaces involved: %1").arg(number(integer("workspaces_locked"))));
    if (has("role_before") || has("role_after")) {
        known << QStringLiteral("role_before") << QStringLiteral("role_after");
        lines.append(tr("Role: %1 before, %2 after")
                         .arg(preview.value(QStringLiteral("role_before")).toString(),
                              preview.value(QStringLiteral("role_after")).toString()));
    }
    if (has("batches"))
        lines.append(tr("Batches: %1").arg(number(integer("batches"))));
    for (auto figure = preview.begin(); figure != preview.end(); ++figure) {
        if (!known.contains(figure.key()))
            lines.append(QStringLiteral("%1: %2").arg(figure.key(), figure.value().toVariant().toString()));
    }
    return lines;
}

} // namespace beacon::models

#include "actionrunner.moc"
