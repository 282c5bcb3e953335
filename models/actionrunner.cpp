#include "actionrunner.h"

#include "actions/actionengine.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QLocale>

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

} // namespace

ActionRunner::ActionRunner(QObject *parent)
    : QObject(parent)
    , m_previews(new DbRequester(this))
    , m_applies(new DbRequester(this))
{}

ActionRunner::~ActionRunner() = default;

void ActionRunner::setConnection(ConnectionBudget *budget)
{
    DbWorker *worker = budget ? budget->worker(DbLane::Actions) : nullptr;
    m_previews->setWorker(worker);
    m_applies->setWorker(worker);
    m_running = 0;
    m_previewPending = false;
}

void ActionRunner::run(const ActionRequest &request)
{
    ++m_running;
    struct Outcome {
        ActionResult result;
        bool ran = false; // false: the lane's connection could not be opened
    };
    // Not repeated on a new connection by the worker: the person's retry with the same action id is the
    // safe one, and the engine reports "unavailable" for it to be made.
    m_applies->run<Outcome>(
        m_applies->latest(),
        [request](const QSqlDatabase &db, Outcome &outcome) {
            outcome.ran = true;
            outcome.result = actions::runActionInBatches(db, request);
            return outcome.result.error;
        },
        [this, request](Outcome outcome, const DbError &error) {
            if (!outcome.ran)
                outcome.result = failedBeforeStart(request, error);
            m_running = std::max(0, m_running - 1);
            emit finished(outcome.result);
        },
        DbWorker::Repeat::Never);
}

void ActionRunner::preview(const ActionRequest &request)
{
    m_previewPending = true;
    struct Reply {
        ActionPreview preview;
        bool ran = false; // false: the lane's connection could not be opened
    };
    m_previews->run<Reply>(
        m_previews->supersede(),
        [request](const QSqlDatabase &db, Reply &reply) {
            reply.ran = true;
            ActionPreview &preview = reply.preview;
            if (DbError error = actions::readActionTarget(db, request, &preview.target)) {
                preview.result = failedBeforeStart(request, error);
                preview.result.dryRun = true;
                return error;
            }
            ActionRequest dryRun = request;
            dryRun.dryRun = true;
            if (!dryRun.expectVersion && preview.target.workspaceFound)
                dryRun.expectVersion = preview.target.workspaceVersion;
            preview.result = actions::runAction(db, dryRun);
            return preview.result.error;
        },
        [this, request](Reply reply, const DbError &error) {
            if (!reply.ran) {
                reply.preview.result = failedBeforeStart(request, error);
                reply.preview.result.dryRun = true;
            }
            m_previewPending = false;
            emit previewed(reply.preview);
        });
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
