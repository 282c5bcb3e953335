#include "actionmenus.h"

#include "actiondialog.h"
#include "detailpane.h"
#include "pagedtablemodel.h"
#include "tablepage.h"
#include "userdetailpane.h"

#include "db/localuser.h"

#include <QAction>
#include <QMainWindow>
#include <QStatusBar>
#include <QTableView>

#include <algorithm>

namespace beacon::ui {

using actions::ActionKind;
using actions::ActionRequest;
using actions::ActionResult;

// How long the status bar keeps the outcome of an action whose dialog was closed before it ended.
static constexpr int StatusMessageMs = 15000;

namespace {

std::optional<qint64> idOf(const QVariant &value)
{
    bool ok = false;
    const qint64 id = value.toLongLong(&ok);
    return value.isValid() && ok && id > 0 ? std::optional<qint64>(id) : std::nullopt;
}

// A pane's scope of 0 means "no parent chosen".
std::optional<qint64> scopeOf(const models::PagedTableModel *model)
{
    const std::optional<qint64> scope = model->scope();
    return scope && *scope > 0 ? scope : std::nullopt;
}

} // namespace

ActionMenus::ActionMenus(QMainWindow *window, const Pages &pages)
    : QObject(window)
    , m_window(window)
    , m_pages(pages)
{
    setObjectName(QStringLiteral("actionMenus"));
    buildWorkspaceActions();
    buildDetailActions();
    buildUserActions();
    buildFileAndExportActions();
    updateEnabled();
}

QString ActionMenus::consoleUser()
{
    return localUserName();
}

QAction *ActionMenus::make(ActionKind kind, const QString &objectName, const QString &text,
                           const QKeySequence &shortcut, std::function<ActionRequest()> prefill)
{
    auto *action = new QAction(text, this);
    action->setObjectName(objectName);
    QString toolTip = QString(text).remove(QLatin1Char('&')).remove(QStringLiteral("…"));
    if (!shortcut.isEmpty()) {
        action->setShortcut(shortcut);
        // Only while the table it belongs to has the focus: Delete means this table's row, not another's.
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        toolTip += QStringLiteral(" (%1)").arg(shortcut.toString(QKeySequence::NativeText));
    }
    connect(action, &QAction::triggered, this,
            [this, kind, prefill = std::move(prefill)] { open(kind, prefill()); });
    m_entries.append({action, kind, toolTip});
    return action;
}

void ActionMenus::buildWorkspaceActions()
{
    TablePage *page = m_pages.workspaces;
    // The Workspaces table's columns: id, name, slug, plan, subscription, read-only, …
    const auto row = [page] {
        ActionRequest request;
        request.workspaceId = idOf(page->currentValue(0));
        return request;
    };
    const auto readOnly = [row](bool on) {
        return [row, on] {
            ActionRequest request = row();
            request.readOnly = on;
            return request;
        };
    };
    page->addRowActions({
        // The plan starts at the current one: the person chooses, and nothing applies until they have.
        make(ActionKind::PlanChange, QStringLiteral("workspacePlanChangeAction"), tr("Change &plan…"),
             QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P),
             [row, page] {
                 ActionRequest request = row();
                 request.plan = page->currentValue(3).toString();
                 return request;
             }),
        make(ActionKind::ReadOnly, QStringLiteral("workspaceReadOnlyOnAction"), tr("Make read-&only…"), {},
             readOnly(true)),
        make(ActionKind::ReadOnly, QStringLiteral("workspaceReadOnlyOffAction"), tr("Make &writable…"), {},
             readOnly(false)),
        make(ActionKind::QuotaRepair, QStringLiteral("workspaceQuotaRepairAction"),
             tr("Repair storage &quota…"), {}, row),
        make(ActionKind::MemberAdd, QStringLiteral("workspaceMemberAddAction"), tr("Add &member…"),
             QKeySequence(Qt::Key_Insert), row),
        // The ids come from reconciliation's finding, which the person copies in.
        make(ActionKind::BillingLink, QStringLiteral("workspaceBillingLinkAction"), tr("Link &Stripe ids…"),
             {}, row),
    });
}

void ActionMenus::buildDetailActions()
{
    DetailPane *pane = m_pages.workspaceDetail;
    // Members: user id, e-mail, name, role, joined; narrowed to the workspace selected above.
    auto *members = pane->findChild<QTableView *>(QStringLiteral("membersTable"));
    const auto member = [pane, members] {
        ActionRequest request;
        request.workspaceId = scopeOf(pane->members());
        request.userId = idOf(ScopedTablesPane::currentValue(members, 0));
        request.role = ScopedTablesPane::currentValue(members, 3).toString();
        return request;
    };
    pane->addRowActions(members, {
                                     make(ActionKind::MemberAdd, QStringLiteral("memberAddAction"),
                                          tr("Add &member…"), QKeySequence(Qt::Key_Insert),
                                          [pane] {
                                              ActionRequest request;
                                              request.workspaceId = scopeOf(pane->members());
                                              return request;
                                          }),
                                     make(ActionKind::MemberRemove, QStringLiteral("memberRemoveAction"),
                                          tr("&Remove member…"), QKeySequence(QKeySequence::Delete), member),
                                     make(ActionKind::MemberRole, QStringLiteral("memberRoleAction"),
                                          tr("Change r&ole…"), QKeySequence(Qt::Key_F2), member),
                                 });
    auto *projects = pane->findChild<QTableView *>(QStringLiteral("projectsTable"));
    pane->addRowActions(projects,
                        {make(ActionKind::ProjectDelete, QStringLiteral("projectDeleteAction"),
                              tr("&Delete project…"), QKeySequence(QKeySequence::Delete), [projects] {
                                  ActionRequest request;
                                  request.projectId = idOf(ScopedTablesPane::currentValue(projects, 0));
                                  return request;
                              })});
    auto *files = pane->findChild<QTableView *>(QStringLiteral("projectFilesTable"));
    pane->addRowActions(files, {make(ActionKind::FileDelete, QStringLiteral("projectFileDeleteAction"),
                                     tr("&Delete file…"), QKeySequence(QKeySequence::Delete), [files] {
                                         ActionRequest request;
                                         request.fileId = idOf(ScopedTablesPane::currentValue(files, 0));
                                         return request;
                                     })});
}

void ActionMenus::buildUserActions()
{
    TablePage *users = m_pages.users;
    users->addRowActions({
        make(ActionKind::UserMerge, QStringLiteral("userMergeIntoThisAction"),
             tr("&Merge a duplicate into this user…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M),
             [users] {
                 ActionRequest request;
                 request.keepUserId = idOf(users->currentValue(0));
                 return request;
             }),
        make(ActionKind::UserMerge, QStringLiteral("userMergeThisAction"),
             tr("Merge this user &into another…"), {},
             [users] {
                 ActionRequest request;
                 request.mergeUserId = idOf(users->currentValue(0));
                 return request;
             }),
    });
    // The user's workspaces: workspace id, name, slug, plan, role, joined; narrowed to the user selected.
    UserDetailPane *pane = m_pages.userDetail;
    auto *memberships = pane->findChild<QTableView *>(QStringLiteral("userMembershipsTable"));
    const auto membership = [pane, memberships] {
        ActionRequest request;
        request.userId = scopeOf(pane->memberships());
        request.workspaceId = idOf(ScopedTablesPane::currentValue(memberships, 0));
        request.role = ScopedTablesPane::currentValue(memberships, 4).toString();
        return request;
    };
    pane->addRowActions(
        memberships,
        {
            make(ActionKind::MemberRemove, QStringLiteral("userMemberRemoveAction"),
                 tr("&Remove from this workspace…"), QKeySequence(QKeySequence::Delete), membership),
            make(ActionKind::MemberRole, QStringLiteral("userMemberRoleAction"), tr("Change r&ole…"),
                 QKeySequence(Qt::Key_F2), membership),
        });
}

void ActionMenus::buildFileAndExportActions()
{
    TablePage *files = m_pages.files;
    files->addRowActions({make(ActionKind::FileDelete, QStringLiteral("fileDeleteAction"),
                               tr("&Delete file…"), QKeySequence(QKeySequence::Delete), [files] {
                                   ActionRequest request;
                                   request.fileId = idOf(files->currentValue(0));
                                   return request;
                               })});
    m_pages.exports->addRowActions({make(ActionKind::ExportsPurge, QStringLiteral("exportsPurgeAction"),
                                         tr("&Purge expired exports…"), {}, [] { return ActionRequest(); })});
}

QList<QAction *> ActionMenus::actions() const
{
    QList<QAction *> list;
    for (const Entry &entry : m_entries)
        list.append(entry.action);
    return list;
}

void ActionMenus::setSession(const SessionProbe &session, ConnectionBudget *budget)
{
    m_connected = !session.error && budget;
    m_budget = budget;
    m_groupRole = session.info.groupRole;
    m_login = session.info.loginRole;
    m_changesOff = session.schemaError ? session.schemaError.message : QString();
    updateEnabled();
}

QString ActionMenus::whyDisabled(ActionKind kind) const
{
    if (!m_connected)
        return tr("Connect to a database first.");
    if (!m_changesOff.isEmpty())
        return tr("Changes are switched off: %1").arg(m_changesOff);
    // A login may belong to more than one group; the session lists them separated by commas.
    const QStringList groups = m_groupRole.split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (groups.contains(QLatin1String("superuser")))
        return {};
    const QStringList allowed = actions::rolesAllowedFor(kind);
    for (const QString &group : groups) {
        if (allowed.contains(group.trimmed()))
            return {};
    }
    const QString who = groups.isEmpty() ? tr("your login %1 has no Beacon role").arg(m_login)
                                         : tr("your login %1 has %2").arg(m_login, groups.join(tr(", ")));
    return tr("Needs the role %1; %2.").arg(allowed.join(tr(" or ")), who);
}

void ActionMenus::updateEnabled()
{
    for (const Entry &entry : std::as_const(m_entries)) {
        const QString why = whyDisabled(entry.kind);
        entry.action->setEnabled(why.isEmpty());
        entry.action->setToolTip(why.isEmpty() ? entry.toolTip : entry.toolTip + QStringLiteral(": ") + why);
        entry.action->setStatusTip(entry.action->toolTip());
    }
}

void ActionMenus::open(ActionKind kind, ActionRequest prefill)
{
    if (!whyDisabled(kind).isEmpty())
        return;
    prefill.actor = consoleUser();
    if (prefill.actor.isEmpty())
        prefill.actor = m_login;
    auto *dialog = new ActionDialog(kind, prefill, m_budget, m_window, m_stripe ? m_stripe() : std::nullopt);
    // Closing the dialog does not stop an action under way: the dialog stays (hidden) until its outcome
    // arrives, so that the tables are still read again and the outcome is still reported.
    connect(dialog, &QDialog::finished, dialog, [dialog] {
        if (!dialog->isApplying())
            dialog->deleteLater();
    });
    connect(dialog, &ActionDialog::actionFinished, this,
            [this, dialog](const ActionResult &result) { finished(dialog, result); });
    // Not modal: the window stays usable while the dialog is open and while its action runs.
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
    emit dialogOpened(dialog);
}

void ActionMenus::finished(ActionDialog *dialog, const ActionResult &result)
{
    if (result.ok()) {
        // The person stays where they were in a long table, rather than being sent back to its top.
        QList<TablePage *> pages = {m_pages.workspaces, m_pages.users, m_pages.files, m_pages.exports,
                                    m_pages.audit};
        pages += m_pages.workspaceViews;
        for (models::PagedTableModel *model : modelsAffectedBy(result.kind)) {
            const auto page = std::find_if(pages.cbegin(), pages.cend(), [model](const TablePage *candidate) {
                return candidate->model() == model;
            });
            if (page != pages.cend())
                (*page)->reloadKeepingPlace();
            else
                model->reload();
        }
    }
    if (!dialog->isVisible()) {
        m_window->statusBar()->showMessage(tr("%1 — %2: %3")
                                               .arg(ActionDialog::actionTitle(result.kind),
                                                    ActionDialog::outcomeTitle(result),
                                                    result.ok() ? result.message : result.error.message),
                                           StatusMessageMs);
        dialog->deleteLater();
    }
    emit actionFinished(result);
}

QList<models::PagedTableModel *> ActionMenus::modelsAffectedBy(ActionKind kind) const
{
    DetailPane *detail = m_pages.workspaceDetail;
    UserDetailPane *userDetail = m_pages.userDetail;
    // Every action writes an audit entry.
    QList<models::PagedTableModel *> models = {m_pages.audit->model(), detail->audit(), userDetail->audit()};
    const auto workspaceRows = [&] {
        models.append(m_pages.workspaces->model());
        for (TablePage *page : m_pages.workspaceViews)
            models.append(page->model());
        models.append(detail->subscription());
        models.append(userDetail->memberships());
    };
    switch (kind) {
    case ActionKind::PlanChange:
    case ActionKind::ReadOnly:
    case ActionKind::QuotaRepair:
    case ActionKind::BillingLink:
    case ActionKind::BillingSync:
        workspaceRows();
        break;
    case ActionKind::MemberAdd:
    case ActionKind::MemberRemove:
    case ActionKind::MemberRole:
    case ActionKind::UserMerge:
        workspaceRows();
        models << m_pages.users->model() << detail->members();
        break;
    case ActionKind::ProjectDelete:
        workspaceRows();
        models << m_pages.files->model() << detail->projects();
        break;
    case ActionKind::FileDelete:
        // Not the projects: reading them again would empty the files table the person is working in.
        workspaceRows();
        models << m_pages.files->model() << detail->projectFiles();
        break;
    case ActionKind::ExportsPurge:
        models << m_pages.exports->model();
        break;
    }
    return models;
}

} // namespace beacon::ui
