#pragma once

#include "actions/action.h"
#include "actions/actiontarget.h"
#include "billing/stripeaccess.h"
#include "db/connectionbudget.h"
#include "db/dberror.h"

#include <QJsonObject>
#include <QObject>
#include <QString>

#include <optional>

namespace beacon::models {

using ActionTarget = actions::ActionTarget;

struct ActionPreview {
    ActionTarget target;
    // The dry run through the engine, with the version just read as the expected one. Its error is also
    // where a failed look-up lands.
    actions::ActionResult result;
};

// Runs admin actions for the GUI on the Actions lane of the window's connections, so that the GUI thread
// never waits on a lock or a slow server: the engine's runAction() blocks, and must. One runner serves one
// dialog; its jobs run one after another on the lane's one connection, in the order asked, behind those of
// any other dialog of the window.
class ActionRunner : public QObject {
    Q_OBJECT
public:
    explicit ActionRunner(QObject *parent = nullptr);
    // Never waits: an action still running finishes on the worker; its outcome is dropped.
    ~ActionRunner() override;

    // The connections of the window this runner works for; the Actions lane opens with the first job.
    void setConnection(ConnectionBudget *budget);
    // The Stripe that actions reach where they must (billing::runBilledAction): plan-change on a workspace
    // billed there, billing-sync. Without one, those are refused with words. Its calls wait on the worker.
    void setStripe(const std::optional<billing::StripeAccess> &stripe);
    // Runs the request as given (dryRun included) and reports it with finished(). An exports-purge that is
    // not a dry run runs batch after batch, as beaconctl does, with the same derived action ids.
    void run(const actions::ActionRequest &request);
    // Reads the target, then dry-runs the request expecting the workspace version just read; previewed()
    // reports both. Only the newest preview is reported: an older one still under way is superseded.
    void preview(const actions::ActionRequest &request);

    // Actions asked with run() whose outcome has not arrived yet.
    bool isRunning() const { return m_running > 0; }
    bool isPreviewing() const { return m_previewPending; }
    // The previews' requests, for tests: how many replies were dropped as superseded.
    const DbRequester *previews() const { return m_previews; }

signals:
    void finished(const beacon::actions::ActionResult &result);
    void previewed(const beacon::models::ActionPreview &preview);

private:
    // Previews supersede each other; applied actions never do, so they have requests of their own.
    DbRequester *m_previews;
    DbRequester *m_applies;
    std::optional<billing::StripeAccess> m_stripe;
    bool m_previewPending = false;
    int m_running = 0;
};

} // namespace beacon::models
