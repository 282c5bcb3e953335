#pragma once

#include "actions/action.h"
#include "db/connectionspec.h"
#include "db/dberror.h"

#include <QJsonObject>
#include <QObject>
#include <QString>

#include <optional>

class QThread;

namespace beacon::models {

class ActionWorker;

// What an action works on, read just before its preview so that the person sees it and so that the GUI can
// ask for the right confirmation: the workspace (with the version the apply then expects), the users named
// by id, and for exports-purge how many exports are due overall (a preview covers one batch only).
struct ActionTarget {
    // The workspace the action works on, given or found through the project or file; none for user-merge
    // and exports-purge.
    std::optional<qint64> workspaceId;
    bool workspaceFound = false;
    QString workspaceSlug;
    QString workspaceName;
    QString workspacePlan;
    bool workspaceReadOnly = false;
    qint64 workspaceVersion = 0;
    // member-add, member-remove, member-role: the user named by id (empty when named by e-mail or unknown).
    QString userEmail;
    // user-merge: the two users' e-mails, empty for an id that does not exist.
    QString keepUserEmail;
    QString mergeUserEmail;
    // exports-purge: every export the action would purge, over all batches.
    qint64 purgeableExports = 0;
    qint64 purgeableBytes = 0;
};

struct ActionPreview {
    ActionTarget target;
    // The dry run through the engine, with the version just read as the expected one. Its error is also
    // where a failed look-up lands.
    actions::ActionResult result;
};

// Runs admin actions for the GUI on a worker thread with a connection of its own, so that the GUI thread
// never waits on a lock or a slow server: the engine's runAction() blocks, and must. One runner serves one
// dialog; its jobs run one after another on its one connection, in the order asked.
class ActionRunner : public QObject {
    Q_OBJECT
public:
    explicit ActionRunner(QObject *parent = nullptr);
    // Never waits: an action still running finishes on its thread, which then ends; its outcome is dropped.
    ~ActionRunner() override;

    // Starts the worker for this database; its connection opens with the first job.
    void setConnection(const ConnectionSpec &spec);
    // Runs the request as given (dryRun included) and reports it with finished(). An exports-purge that is
    // not a dry run runs batch after batch, as beaconctl does, with the same derived action ids.
    void run(const actions::ActionRequest &request);
    // Reads the target, then dry-runs the request expecting the workspace version just read; previewed()
    // reports both. Only the newest preview is reported: an older one still under way is dropped.
    void preview(const actions::ActionRequest &request);

    // Actions asked with run() whose outcome has not arrived yet.
    bool isRunning() const { return m_running > 0; }
    bool isPreviewing() const { return m_previewPending; }

signals:
    void finished(const beacon::actions::ActionResult &result);
    void previewed(const beacon::models::ActionPreview &preview);

private:
    void stopWorker();
    void resultArrived(quint64 ticket, const actions::ActionResult &result);
    void previewArrived(quint64 ticket, const models::ActionPreview &preview);

    QThread *m_thread = nullptr;
    ActionWorker *m_worker = nullptr;
    quint64 m_lastTicket = 0;
    quint64 m_latestPreview = 0;
    bool m_previewPending = false;
    int m_running = 0;
};

// The engine's preview figures (rows affected, bytes freed, members before and after, new limits, …) in
// words, one line each in a fixed order; a figure this build does not know is shown as it came.
QStringList describePreview(const QJsonObject &preview);

} // namespace beacon::models
