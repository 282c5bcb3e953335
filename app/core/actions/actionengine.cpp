#include "actions/actionengine.h"
#include "actions/enginestatements.h"
#include "actions/enginetransaction.h"

#include "buildinfo.h"
#include "db/database.h"
#include "db/statementcache.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSqlError>
#include <QSysInfo>
#include <QThread>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

// Enough for the contention this console meets (a handful of people and the backend on one workspace);
// past it the person is told it is busy and can try again.
static constexpr int MaxAttempts = 6;
static constexpr int BackoffBaseMs = 15;

namespace {

QString jsonText(const QJsonValue &value)
{
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    return {};
}

// The statement that looks for an earlier run of this action id, with *rows set to where its rows go.
PipelinedStatement appliedLookup(const ActionRequest &request, StatementRows **rows)
{
    return {nullptr,
            sql::appliedLookup(),
            {request.actionId},
            tr("Looking for an earlier run of this action"),
            rows};
}

// The earlier outcome of this action id from appliedLookup()'s rows, if it was applied. The id used for a
// different request (another action, target or parameters) is a conflict: the person meant something else,
// and the earlier change must be neither reported as theirs nor repeated.
DbError readApplied(StatementRows *query, const ActionRequest &request, ActionResult *result, bool *found)
{
    *found = query->next();
    if (!*found)
        return {};
    const QString earlierAction = query->value(0).toString();
    const QJsonValue earlierParameters = parseJson(query->value(4));
    const QString earlierFingerprint = query->value(5).toString();
    // Rows written before fingerprints were recorded are compared by their parameters, and rows older
    // still, which have neither, by their action alone.
    const bool same =
        earlierAction == actionName(request.kind) &&
        (!earlierFingerprint.isEmpty()  ? earlierFingerprint == requestFingerprint(request)
         : earlierParameters.isObject() ? earlierParameters.toObject() == requestParameters(request)
                                        : true);
    if (!same)
        return detail::reusedIdConflict(
            request, earlierAction, earlierParameters.isObject() ? jsonText(earlierParameters) : QString());
    result->alreadyApplied = true;
    result->before = parseJson(query->value(1));
    result->after = parseJson(query->value(2));
    result->message = tr("Already applied: this action id is in the audit log; nothing was changed again.");
    return {};
}

DbError findApplied(StatementCache &statements, const ActionRequest &request, ActionResult *result,
                    bool *found)
{
    StatementRows *query = nullptr;
    if (DbError error = statements.pipeline({appliedLookup(request, &query)}))
        return error;
    return readApplied(query, request, result, found);
}

// BEGIN; the transaction's timeouts, and a queue for two runs of one action id at once (a retry while the
// first is still in flight, a double submit); and the earlier outcome of the action id, in one round trip.
// The second run of an id waits at the advisory lock, then the lookup -- a separate statement with a fresh
// snapshot, run only once the lock is held -- sees the first's commit, instead of meeting its change and
// refusing. Taken before any row lock, the advisory lock cannot close a lock cycle; a hash collision only
// makes two actions take turns. Each round trip saved is a wait for a CPU saved on a loaded server.
DbError beginAndFindApplied(StatementCache &statements, const ActionRequest &request, ActionResult *result,
                            bool *found)
{
    const QString doing = tr("Preparing the transaction");
    StatementRows *query = nullptr;
    if (DbError error = statements.pipeline({{sql::Begin, {}, {}, doing, nullptr},
                                             {nullptr,
                                              sql::timeoutsAndActionLock(),
                                              {QStringLiteral("%1ms").arg(request.lockTimeoutMs),
                                               QStringLiteral("%1ms").arg(request.statementTimeoutMs),
                                               request.actionId.toString(QUuid::WithoutBraces)},
                                              doing,
                                              nullptr},
                                             appliedLookup(request, &query)}))
        return error;
    return readApplied(query, request, result, found);
}

// What the audit row records as the client: which program and version acted, and from where, and what
// the request asked (requestParameters(), which a reuse of the action id is checked against); nothing
// secret. The host is looked up once; it does not change while the program runs.
QString clientJson(const ActionRequest &request)
{
    static const QString host = QSysInfo::machineHostName();
    const QJsonObject client{{QStringLiteral("program"), request.client},
                             {QStringLiteral("version"), applicationVersion()},
                             {QStringLiteral("host"), host},
                             {QStringLiteral("dry_run"), request.dryRun},
                             {QStringLiteral("request"), requestParameters(request)},
                             {QStringLiteral("request_fingerprint"), requestFingerprint(request)}};
    return jsonText(client);
}

// The audit row; with `commit`, COMMIT goes in the same round trip, so that the rows the action locked are
// let go as soon as the server has the audit row. The action's last write, if it left one to the engine,
// goes in the same statement, and its RETURNING is the audit row's `after`.
DbError writeAudit(const ActionRequest &request, ActionContext &context, const QString &client, bool commit)
{
    const QString before = jsonText(context.before);
    const QVariant null;
    // In the order of sql::auditValueNames().
    QVariantList audit{request.actor,
                       actionName(request.kind),
                       request.actionId,
                       context.targetType,
                       context.targetId,
                       context.workspaceId ? QVariant(*context.workspaceId) : null,
                       request.reason,
                       before.isEmpty() ? null : QVariant(before),
                       client};
    StatementCache &statements = context.statements();
    const QString committing = tr("Committing %1").arg(actionName(request.kind));
    if (!context.lastWrite) {
        const QString after = jsonText(context.after);
        audit.append(after.isEmpty() ? null : QVariant(after));
        const QString doing = tr("Writing the audit record");
        if (commit)
            return statements.execThenCommit(sql::auditInsert(), audit, doing, committing);
        return statements.exec(sql::auditInsert(), audit, doing, nullptr);
    }

    const ActionContext::LastWrite &write = *context.lastWrite;
    // The audit row's values are numbered after the write's, so the write's own count must be right: a
    // write that used one number more than it has values would otherwise take the actor for it.
    int writeValues = 0;
    if (DbError error = statements.parameterCount(write.sql, write.doing, &writeValues))
        return error;
    if (writeValues != write.values.size())
        return DbError::make(ErrorKind::Internal,
                             tr("%1: the write takes %2 values, but %3 were given, so nothing was run. This "
                                "is a fault in the program; report it.")
                                 .arg(write.doing)
                                 .arg(writeValues)
                                 .arg(write.values.size()));
    const QString doing = tr("%1, and writing the audit record").arg(write.doing);
    StatementRows *rows = nullptr;
    // COMMIT goes in the same round trip only when this is the action's only write: then a write that
    // touched nothing leaves nothing to commit. The test seam runs between the write and COMMIT.
    const bool commitTogether = commit && context.writes() == 0 && !context.hasWriteHook();
    std::vector<PipelinedStatement> pipeline{
        {nullptr, sql::writeWithAudit(write.sql, writeValues), write.values + audit, doing, &rows}};
    if (commitTogether)
        pipeline.push_back({"COMMIT", {}, {}, committing, nullptr});
    if (DbError error = statements.pipeline(pipeline))
        return error;
    if (!rows->next())
        return DbError::make(
            ErrorKind::Internal,
            tr("%1: the row to change was not there; nothing was changed.").arg(write.doing));
    context.after = parseJson(rows->value(0));
    if (DbError error = context.wrote())
        return error;
    if (commit && !commitTogether)
        return statements.command("COMMIT", committing);
    return {};
}

// The record of a finished phase, in the phase's own transaction (actions/phasedaction.h).
DbError recordPhase(StatementCache &statements, const ActionRequest &request, const PhaseRecord &phase,
                    const QJsonObject &carried)
{
    // With the request's fingerprint, so that a resumed run checks it is the same request (phasedaction.cpp).
    QJsonObject recorded = carried;
    recorded.insert(QLatin1String(detail::PhaseFingerprintKey), requestFingerprint(request));
    return statements.exec(
        QStringLiteral("INSERT INTO public.action_phases (action_id, seq, action, phase, carried) VALUES "
                       "(CAST($1 AS uuid), CAST($2 AS integer), $3, $4, CAST($5 AS jsonb))"),
        {request.actionId, phase.seq, actionName(request.kind), phase.name, jsonText(recorded)},
        tr("Recording the phase %1").arg(phase.name), nullptr);
}

DbError runBody(ActionContext &context)
{
    switch (context.request().kind) {
    case ActionKind::PlanChange:
        return runPlanChange(context);
    case ActionKind::MemberAdd:
        return runMemberAdd(context);
    case ActionKind::MemberRemove:
        return runMemberRemove(context);
    case ActionKind::MemberRole:
        return runMemberRole(context);
    case ActionKind::ProjectDelete:
        return runProjectDelete(context);
    case ActionKind::FileDelete:
        return runFileDelete(context);
    case ActionKind::QuotaRepair:
        return runQuotaRepair(context);
    case ActionKind::ReadOnly:
        return runReadOnly(context);
    case ActionKind::UserMerge:
        return runUserMerge(context);
    case ActionKind::ExportsPurge:
        return runExportsPurge(context);
    case ActionKind::BillingLink:
        return runBillingLink(context);
    case ActionKind::BillingSync:
        return runBillingSync(context);
    }
    return DbError::make(ErrorKind::Internal, tr("Unknown action."));
}

// Words for a missing privilege that say who has it.
DbError explainDenied(DbError error, ActionKind kind)
{
    error.message =
        tr("Your database login may not run %1. It needs the role %2; ask an administrator to grant "
           "it, or ask someone who has it.")
            .arg(actionName(kind), rolesAllowedFor(kind).join(tr(" or ")));
    return error;
}

bool isDuplicateActionId(const DbError &error)
{
    return error.sqlState == QLatin1String("23505") && error.details.contains(QLatin1String("action_id"));
}

} // namespace

namespace detail {

DbError reusedIdConflict(const ActionRequest &request, const QString &earlierAction,
                         const QString &earlierParameters)
{
    const QString earlier =
        earlierParameters.isEmpty() ? earlierAction : tr("%1 with %2").arg(earlierAction, earlierParameters);
    return DbError::make(ErrorKind::Conflict,
                         tr("The action id %1 was already used for a different request (%2). Nothing was "
                            "changed. Run this request with a new action id; use the same id again only to "
                            "retry exactly the same request.")
                             .arg(request.actionId.toString(QUuid::WithoutBraces), earlier),
                         tr("This request: %1 with %2, fingerprint %3.")
                             .arg(actionName(request.kind), jsonText(requestParameters(request)),
                                  requestFingerprint(request)));
}

DbError findApplied(const QSqlDatabase &db, const ActionRequest &request, ActionResult *result, bool *found)
{
    return beacon::actions::findApplied(StatementCache::of(db), request, result, found);
}

ActionResult runTransaction(const QSqlDatabase &db, const ActionRequest &request, const ActionHooks &hooks,
                            const TransactionStep &step)
{
    ActionResult result;
    result.actionId = request.actionId;
    result.kind = request.kind;
    result.dryRun = request.dryRun;
    if ((result.error = validate(request)))
        return result;
    const QString doing = tr("Running %1").arg(actionName(request.kind));
    const QString client = clientJson(request);
    // Looked up once: every thread's connections share one registry.
    StatementCache &statements = StatementCache::of(db);
    for (int attempt = 1; attempt <= MaxAttempts; ++attempt) {
        result.attempts = attempt;
        ActionContext context(db, statements, request, hooks);
        if (step.carried)
            context.carried = *step.carried;
        bool applied = false;
        DbError error = beginAndFindApplied(statements, request, &result, &applied);
        if (!error && !applied)
            error = step.body(context);
        if (!error && !applied && step.phase)
            error = recordPhase(statements, request, *step.phase, context.carried);
        // A real run commits with its audit row (or, for a phase before the last, its phase record); a
        // failed, already applied or previewed one is rolled back, so that nothing of it remains.
        const bool commit = !applied && !request.dryRun;
        if (!error && !applied && step.finishesAction)
            error = writeAudit(request, context, client, commit);
        else if (!error && !applied && commit)
            error = statements.command("COMMIT", tr("Committing %1").arg(actionName(request.kind)));
        if (error || !commit)
            statements.command("ROLLBACK", doing);
        if (applied) {
            // The earlier outcome, or a conflict when the id was used for another request: that error must
            // reach the caller, not be reported as applied.
            result.error = error;
            return result;
        }
        if (!error) {
            if (step.carried)
                *step.carried = context.carried;
            result.before = context.before;
            result.after = context.after;
            result.preview = context.preview;
            result.message =
                request.dryRun ? tr("Preview only, nothing was changed. If applied: %1").arg(context.message)
                               : context.message;
            return result;
        }
        if (isDuplicateActionId(error)) {
            // The same action id committed by someone else a moment ago: report that outcome.
            bool found = false;
            if (DbError lookup = beacon::actions::findApplied(statements, request, &result, &found);
                lookup || !found)
                result.error = lookup ? lookup : error;
            return result;
        }
        if (error.isRetryable() && attempt < MaxAttempts) {
            // Jittered, growing backoff: two actions that deadlocked must not meet again at once.
            const int ms =
                BackoffBaseMs * attempt + int(QRandomGenerator::global()->bounded(BackoffBaseMs * attempt));
            QThread::msleep(ulong(ms));
            continue;
        }
        if (error.kind == ErrorKind::Denied)
            error = explainDenied(error, request.kind);
        else if (error.sqlState == QLatin1String("55P03"))
            error.message = tr("Someone else is changing the same rows right now, and they stayed locked for "
                               "longer than %1 ms. Nothing was changed; try again in a moment.")
                                .arg(request.lockTimeoutMs);
        else if (error.kind == ErrorKind::Unavailable)
            error.message +=
                QLatin1Char(' ') +
                tr("Whether the change was applied is unknown. Run it again with the same action id "
                   "(%1): that is safe, and it reports what happened.")
                    .arg(request.actionId.toString(QUuid::WithoutBraces));
        else if (error.isRetryable())
            error.message =
                tr("The change kept colliding with others (%1 attempts). Nothing was changed; try "
                   "again in a moment.")
                    .arg(attempt);
        result.error = error;
        return result;
    }
    return result;
}

} // namespace detail

ActionResult runAction(const QSqlDatabase &db, const ActionRequest &request, const ActionHooks &hooks)
{
    return detail::runTransaction(db, request, hooks, {runBody, true, std::nullopt, nullptr});
}

ActionResult runActionInBatches(const QSqlDatabase &db, const ActionRequest &request)
{
    if (request.kind != ActionKind::ExportsPurge || request.dryRun)
        return runAction(db, request);
    const QString givenId = request.actionId.toString(QUuid::WithoutBraces);
    QJsonArray befores;
    QJsonArray afters;
    qint64 purged = 0;
    qint64 bytes = 0;
    int earlierBatches = 0;
    ActionResult last;
    for (int batch = 0;; ++batch) {
        ActionRequest batchRequest = request;
        if (batch > 0)
            batchRequest.actionId =
                QUuid::createUuidV5(request.actionId, QStringLiteral("batch-%1").arg(batch));
        last = runAction(db, batchRequest);
        if (last.error) {
            // The person knows the id they gave, not the batch's derived one: a rerun with theirs goes on.
            const QString batchName = tr("%1 (batch %2)").arg(givenId).arg(batch + 1);
            last.error.message =
                tr("Batch %1 of action %2: %3")
                    .arg(batch + 1)
                    .arg(givenId, last.error.message.replace(
                                      batchRequest.actionId.toString(QUuid::WithoutBraces), batchName));
            break;
        }
        befores.append(last.before);
        afters.append(last.after);
        const QJsonArray ids = last.after.toObject().value(QStringLiteral("ids")).toArray();
        bool more = last.preview.value(QStringLiteral("more")).toBool();
        if (last.alreadyApplied) {
            // A batch an earlier run of this id committed: the rerun of an interrupted purge goes on after
            // it. Batches recorded before "more" was kept are taken to have more when they were full.
            ++earlierBatches;
            const QJsonValue recordedMore = last.after.toObject().value(QStringLiteral("more"));
            more = recordedMore.isBool() ? recordedMore.toBool() : ids.size() >= request.limit;
            purged += ids.size();
        } else {
            purged += last.preview.value(QStringLiteral("rows_affected")).toInteger();
            bytes += last.preview.value(QStringLiteral("bytes_freed")).toInteger();
        }
        if (!more)
            break;
    }
    last.actionId = request.actionId;
    last.before = befores;
    last.after = afters;
    last.preview = {{QStringLiteral("rows_affected"), purged},
                    {QStringLiteral("bytes_freed"), bytes},
                    {QStringLiteral("batches"), int(befores.size())},
                    {QStringLiteral("earlier_batches"), earlierBatches}};
    // Already applied only when every batch was: a rerun that finished the work applied something.
    last.alreadyApplied = !last.error && earlierBatches == befores.size();
    if (!last.error && last.alreadyApplied)
        last.message = tr("Already applied: all %1 batches of action %2 are in the audit log (%3 exports "
                          "purged); nothing was changed again.")
                           .arg(befores.size())
                           .arg(givenId)
                           .arg(purged);
    else if (!last.error && earlierBatches > 0)
        last.message =
            tr("%1 expired exports marked purged in %2 batches, the first %3 of them by an earlier "
               "run of action %4.")
                .arg(purged)
                .arg(befores.size())
                .arg(earlierBatches)
                .arg(givenId);
    else if (!last.error)
        last.message = tr("%1 expired exports marked purged in %2 batches.").arg(purged).arg(befores.size());
    return last;
}

} // namespace beacon::actions
