#include "actionrunner.h"

#include "actions/actionengine.h"
#include "billing/billedaction.h"

namespace beacon::models {

using actions::ActionKind;
using actions::ActionRequest;
using actions::ActionResult;

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

void ActionRunner::setStripe(const std::optional<billing::StripeAccess> &stripe)
{
    m_stripe = stripe;
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
        [request, stripe = m_stripe](const QSqlDatabase &db, Outcome &outcome) {
            outcome.ran = true;
            outcome.result = billing::runBilledAction(db, request, stripe);
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
        [request, stripe = m_stripe](const QSqlDatabase &db, Reply &reply) {
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
            preview.result = billing::runBilledAction(db, dryRun, stripe);
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

} // namespace beacon::models
