#include "mainwindow.h"
#include "plaintext.h"

#include "actionmenus.h"
#include "auditdiffview.h"
#include "browse/tables.h"
#include "buildinfo.h"
#include "connectdialog.h"
#include "db/demoenvironment.h"
#include "db/migrator.h"
#include "detailpane.h"
#include "inlinemessage.h"
#include "pagedtablemodel.h"
#include "quickopendialog.h"
#include "reconciliationpage.h"
#include "secretstore.h"
#include "settings/settingsfile.h"
#include "stripelocal/demostripe.h"
#include "stripelocal/localstripeserver.h"
#include "tablepage.h"
#include "usagesummarymodel.h"
#include "usagesummarypage.h"
#include "userdetailpane.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>

namespace beacon::ui {

MainWindow::MainWindow(ProfileStore *profiles, SecretStore *secrets, QWidget *parent)
    : QMainWindow(parent)
    , m_profiles(profiles)
    , m_secrets(secrets)
    , m_probes(new DbRequester(this))
{
    setWindowTitle(tr("Beacon Admin"));
    resize(1100, 700);
    buildUi();
    buildMenus();
    connect(m_secrets, &SecretStore::problem, this, [this](const QString &message, const QString &details) {
        showProblem(DbError::make(ErrorKind::Unavailable, message, details));
    });
}

MainWindow::~MainWindow()
{
    stopDemo();
}

void MainWindow::buildUi()
{
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    // The one fixed colour in the console: production must look different from everything else.
    const auto banner = [central](InlineMessage::Type type, const QString &objectName) {
        auto *message = new InlineMessage(type, central);
        message->setObjectName(objectName + QLatin1String("Message"));
        message->textLabel()->setObjectName(objectName);
        return message;
    };
    m_productionBanner = banner(InlineMessage::Type::Error, QStringLiteral("productionBanner"));
    m_productionBanner->setProminent(true);
    m_productionBanner->setText(tr("PRODUCTION — changes here affect real customers"));
    m_schemaBanner = banner(InlineMessage::Type::Warning, QStringLiteral("schemaBanner"));
    m_problemBanner = banner(InlineMessage::Type::Error, QStringLiteral("problemBanner"));
    m_problemBanner->detailsLabel()->setObjectName(QStringLiteral("problemDetails"));
    m_problemBanner->setCloseButtonVisible(true);
    // Apart from the problem banner, which a new session clears: a refused Stripe stays said while billing
    // is off.
    m_stripeBanner = banner(InlineMessage::Type::Warning, QStringLiteral("stripeBanner"));
    m_stripeBanner->detailsLabel()->setObjectName(QStringLiteral("stripeBannerDetails"));
    m_stripeBanner->setCloseButtonVisible(true);

    m_busyPanel = new QWidget(central);
    m_busyPanel->setObjectName(QStringLiteral("busyPanel"));
    auto *busyLayout = new QHBoxLayout(m_busyPanel);
    m_busyText = plainTextLabel(new QLabel(m_busyPanel));
    m_busyText->setObjectName(QStringLiteral("busyText"));
    m_busyBar = new QProgressBar(m_busyPanel);
    m_busyBar->setRange(0, 0);
    m_busyBar->setMaximumWidth(200);
    auto *stopButton = new QPushButton(tr("&Quit"), m_busyPanel);
    stopButton->setToolTip(tr("Quit Beacon Admin; a demo server being started is stopped cleanly."));
    connect(stopButton, &QPushButton::clicked, this, &QWidget::close);
    busyLayout->addWidget(m_busyText, 1);
    busyLayout->addWidget(m_busyBar);
    busyLayout->addWidget(stopButton);
    m_busyPanel->setVisible(false);

    m_navigation = new QListWidget(central);
    m_navigation->setObjectName(QStringLiteral("navigation"));
    m_navigation->setMaximumWidth(220);
    m_pages = new QStackedWidget(central);
    // Workspaces and Users come first: quick open goes to them by position.
    auto table = [this, central](const char *key, const browse::TableDefinition &definition,
                                 const QStringList &headers) {
        auto *page = new TablePage(QLatin1String(key), definition, headers, central);
        m_tablePages.append(page);
        return page;
    };
    TablePage *workspaces =
        table("workspaces", browse::workspacesTable(),
              {tr("Id"), tr("Name"), tr("Slug"), tr("Plan"), tr("Subscription"), tr("Read-only"),
               tr("Members"), tr("Member limit"), tr("Storage used (bytes)"), tr("Storage quota (bytes)"),
               tr("Storage used (%)"), tr("Created")});
    TablePage *users = table("users", browse::usersTable(),
                             {tr("Id"), tr("E-mail"), tr("Name"), tr("Provider"), tr("Created"),
                              tr("Last login"), tr("Workspaces"), tr("E-mail shared")});
    TablePage *subscriptions = table("subscriptions", browse::subscriptionsTable(),
                                     {tr("Workspace"), tr("Name"), tr("Plan"), tr("Monthly price ($)"),
                                      tr("Status"), tr("Stripe customer"), tr("Stripe subscription"),
                                      tr("Period end"), tr("Read-only"), tr("Mismatch")});
    TablePage *quotas =
        table("quotas", browse::quotasTable(),
              {tr("Workspace"), tr("Name"), tr("Plan"), tr("Members"), tr("Member limit"),
               tr("Storage used (bytes)"), tr("Storage quota (bytes)"), tr("Storage drift (bytes)"),
               tr("AI tokens this month"), tr("AI tokens per month")});
    TablePage *aiRequests = table("ai_usage", browse::aiUsageTable(),
                                  {tr("Id"), tr("Workspace"), tr("User"), tr("Provider"), tr("Model"),
                                   tr("Input tokens"), tr("Output tokens"), tr("Cost (USD)"), tr("When")});
    TablePage *files =
        table("files", browse::filesTable(),
              {tr("Id"), tr("Workspace"), tr("Project"), tr("Name"), tr("Size (bytes)"), tr("Created")});
    TablePage *exports = table("exports", browse::exportsTable(),
                               {tr("Id"), tr("Workspace"), tr("Requested by"), tr("Status"),
                                tr("Size (bytes)"), tr("Created"), tr("Expires"), tr("Purged")});
    TablePage *audit = table("audit", browse::auditLogTable(),
                             {tr("Id"), tr("When"), tr("Actor"), tr("Login"), tr("Action"), tr("Target"),
                              tr("Workspace"), tr("Reason")});
    m_usageSummary = new UsageSummaryPage(central);
    m_reconciliation = new ReconciliationPage(central);

    // The selected workspace's or user's related tables sit under its table; the selected audit entry's
    // before/after beside the audit log.
    auto split = [central](Qt::Orientation orientation, QWidget *first, QWidget *second) {
        auto *splitter = new QSplitter(orientation, central);
        splitter->addWidget(first);
        splitter->addWidget(second);
        splitter->setStretchFactor(0, 3);
        splitter->setStretchFactor(1, 2);
        return splitter;
    };
    m_detailPane = new DetailPane(central);
    m_userDetailPane = new UserDetailPane(central);
    m_auditDiff = new AuditDiffView(central);
    connect(workspaces, &TablePage::currentIdChanged, m_detailPane, &DetailPane::showWorkspace);
    connect(users, &TablePage::currentIdChanged, m_userDetailPane, &UserDetailPane::showUser);
    connect(audit, &TablePage::currentIdChanged, m_auditDiff, &AuditDiffView::showEntry);
    m_actionMenus = new ActionMenus(this, {.workspaces = workspaces,
                                           .users = users,
                                           .files = files,
                                           .exports = exports,
                                           .audit = audit,
                                           .workspaceViews = {subscriptions, quotas},
                                           .workspaceDetail = m_detailPane,
                                           .userDetail = m_userDetailPane});
    m_actionMenus->setStripeProvider([this]() -> std::optional<billing::StripeAccess> {
        const billing::StripeAccess access = stripeAccess();
        if (!access.key || !access.endpoint)
            return std::nullopt;
        return access;
    });
    const QList<std::pair<QString, QWidget *>> pages = {
        {tr("Workspaces"), split(Qt::Vertical, workspaces, m_detailPane)},
        {tr("Users"), split(Qt::Vertical, users, m_userDetailPane)},
        {tr("Subscriptions"), subscriptions},
        {tr("Quotas"), quotas},
        {tr("AI usage by period"), m_usageSummary},
        {tr("AI requests"), aiRequests},
        {tr("Files"), files},
        {tr("Exports"), exports},
        {tr("Audit log"), split(Qt::Horizontal, audit, m_auditDiff)},
        // Last, so that the pages before keep their Ctrl+number.
        {tr("Reconciliation"), m_reconciliation},
    };
    for (const auto &[title, page] : pages) {
        const int number = m_pages->count() + 1;
        m_navigation->addItem(title);
        m_pages->addWidget(page);
        // Ctrl+1 to Ctrl+9 go to the pages in the order of the list, from anywhere in the window.
        if (number > 9)
            continue;
        auto *goTo = new QAction(title, this);
        goTo->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_0 + number)));
        goTo->setShortcutContext(Qt::WindowShortcut);
        connect(goTo, &QAction::triggered, this, [this, number] { m_navigation->setCurrentRow(number - 1); });
        addAction(goTo);
        m_navigation->item(number - 1)->setToolTip(goTo->shortcut().toString(QKeySequence::NativeText));
    }
    connect(m_navigation, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    // A finding's Fix opens the action's dialog like the menus do; an applied action marks what it mended.
    connect(m_reconciliation, &ReconciliationPage::fixRequested, m_actionMenus, &ActionMenus::open);
    connect(m_actionMenus, &ActionMenus::actionFinished, m_reconciliation,
            &ReconciliationPage::actionFinished);
    connect(m_reconciliation, &ReconciliationPage::availabilityChanged, this,
            &MainWindow::updateReconciliationEntry);
    updateReconciliationEntry();
    m_navigation->setCurrentRow(0);
    auto *body = new QHBoxLayout;
    body->addWidget(m_navigation);
    body->addWidget(m_pages, 1);

    layout->addWidget(m_productionBanner);
    layout->addWidget(m_schemaBanner);
    layout->addWidget(m_problemBanner);
    layout->addWidget(m_stripeBanner);
    layout->addWidget(m_busyPanel);
    layout->addLayout(body, 1);
    setCentralWidget(central);

    auto statusLabel = [this](const char *name) {
        // The server, database and login names come from the connection and the server.
        auto *label = plainTextLabel(new QLabel(this));
        label->setObjectName(QLatin1String(name));
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        statusBar()->addPermanentWidget(label);
        return label;
    };
    m_statusServer = statusLabel("statusServer");
    m_statusDatabase = statusLabel("statusDatabase");
    m_statusRole = statusLabel("statusRole");
    m_statusSchema = statusLabel("statusSchema");
    m_statusStripe = statusLabel("statusStripe");
    m_statusStripe->hide(); // until a session says which Stripe it has
    m_stripeBanner->setVisible(false);
    m_statusServer->setText(tr("Not connected"));
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *connectAction = file->addAction(tr("&Connect…"), this, &MainWindow::openConnectDialog);
    connectAction->setObjectName(QStringLiteral("connectAction"));
    connectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    QAction *demoAction = file->addAction(tr("Open the &demo database"), this, &MainWindow::startDemo);
    demoAction->setObjectName(QStringLiteral("demoAction"));
    QAction *quickOpen = file->addAction(tr("&Quick open…"), this, &MainWindow::openQuickOpen);
    quickOpen->setObjectName(QStringLiteral("quickOpenAction"));
    quickOpen->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    quickOpen->setShortcutContext(Qt::ApplicationShortcut);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setShortcutContext(Qt::ApplicationShortcut);
    if (quit->shortcut().isEmpty())
        quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Beacon Admin"), this, &MainWindow::showAbout);
}

void MainWindow::openConnectDialog()
{
    auto *dialog = new ConnectDialog(m_profiles, m_secrets, this);
    dialog->setObjectName(QStringLiteral("connectDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::finished, this, [this, dialog](int result) {
        if (result == QDialog::Accepted) {
            const ConnectionProfile profile = dialog->profile();
            // The dialog's connection becomes the window's: no second login.
            ConnectionBudget *connections = dialog->takeConnections();
            connections->setParent(this);
            adoptSession(dialog->session(), profile.name, profile.production, connections, dialog->stripe());
        } else if (dialog->demoRequested()) {
            startDemo();
        }
    });
    dialog->open();
}

void MainWindow::openQuickOpen()
{
    if (!m_hasSession) {
        showProblem(DbError::make(ErrorKind::Usage, tr("Connect to a database first (File → Connect…).")));
        return;
    }
    auto *dialog = new QuickOpenDialog(m_budget, this);
    dialog->setObjectName(QStringLiteral("quickOpenDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const browse::QuickFindHit &hit = dialog->chosen();
        // Workspaces and Users are the first two pages.
        const int pageIndex = hit.kind == browse::QuickFindHit::Kind::User ? 1 : 0;
        m_navigation->setCurrentRow(pageIndex);
        m_tablePages.at(pageIndex)->showSearch(hit.searchText);
    });
    dialog->open();
}

void MainWindow::connectTo(const ConnectionSpec &spec, const QString &label, bool production,
                           const billing::SessionStripe &stripe)
{
    showBusy(tr("Connecting to %1…").arg(spec.target()));
    // The probe runs on the detail lane of the session's own connections, which the window then keeps:
    // one login, not a probe's and then the window's. A newer connect supersedes one still under way.
    if (m_connecting) {
        m_connecting->shutDown(DbWorker::Shutdown::InBackground);
        m_connecting->deleteLater();
    }
    auto *budget = new ConnectionBudget(spec, this);
    m_connecting = budget;
    m_probes->setWorker(budget->worker(DbLane::Detail));
    m_probes->run<SessionProbe>(
        m_probes->supersede(),
        [spec](const QSqlDatabase &db, SessionProbe &probe) {
            probe = probeOpenSession(db, spec);
            return probe.error;
        },
        [this, budget, spec, label, production, stripe](SessionProbe probe, const DbError &error) {
            m_connecting = nullptr;
            m_probes->setWorker(nullptr);
            hideBusy();
            if (error) {
                budget->shutDown(DbWorker::Shutdown::InBackground);
                budget->deleteLater();
                showProblem(error);
                emit failed(error);
                return;
            }
            probe.spec = spec;
            adoptSession(probe, label, production, budget, stripe);
        });
}

void MainWindow::startDemo()
{
    if (m_demo && m_demo->isStarting())
        return;
    if (!m_demo)
        m_demo = std::make_unique<DemoEnvironment>();
    showBusy(tr("Starting the demo database…"));
    m_demo->startInBackground(
        this, [this](const QString &step) { m_busyText->setText(step); },
        [this](DbError error) {
            if (error) {
                hideBusy();
                showProblem(error);
                emit failed(error);
                return;
            }
            connectTo(m_demo->connectionSpec(), tr("Demo"), false, startDemoStripe());
        });
}

billing::SessionStripe MainWindow::startDemoStripe()
{
    billing::SessionStripe stripe;
    stripe.source = billing::SessionStripe::Source::LocalTestServer;
    if (!m_demoStripe) {
        auto server = std::make_unique<stripelocal::LocalStripeServer>(this);
        if (!server->listen()) {
            // The database works without it; only billing is missing.
            stripe.problem = DbError::make(ErrorKind::Unavailable,
                                           tr("The demo's local Stripe test server could not start."),
                                           server->errorString());
            return stripe;
        }
        stripelocal::fillDemoStripe(m_demo->billing(), server->store());
        m_demoStripe = server.release();
    }
    stripe.access.key = billing::StripeKey::parse(m_demoStripe->apiKey());
    stripe.access.endpoint = billing::StripeEndpoint::parse(m_demoStripe->baseUrl().toString());
    return stripe;
}

void MainWindow::showStripe()
{
    using Source = billing::SessionStripe::Source;
    const billing::StripeAccess &access = m_stripe.access;
    QString text;
    QString toolTip;
    switch (m_stripe.source) {
    case Source::None:
        text = tr("Stripe: not set up");
        toolTip = tr("This connection has no Stripe key, so billing is off. A saved profile can keep one: "
                     "File ▸ Connect…, the profile's Stripe group.");
        break;
    case Source::LocalTestServer:
        text = m_stripe.isUsable() ? tr("Stripe: local test server")
                                   : tr("Stripe: the local test server could not start");
        break;
    case Source::Profile:
        if (!m_stripe.isUsable())
            text = tr("Stripe: off");
        else
            text = access.key->isTest() ? tr("Stripe test mode") : tr("Stripe: live");
        break;
    }
    // The key appears redacted at most, as everywhere else.
    if (m_stripe.isUsable())
        toolTip = tr("Key %1 at %2").arg(access.key->redacted(), access.endpoint->baseUrl().toString());
    else if (m_stripe.problem)
        toolTip = m_stripe.problem.message;
    m_statusStripe->setText(text);
    m_statusStripe->setToolTip(plainToolTip(toolTip));
    m_statusStripe->show();
    if (m_stripe.problem)
        m_stripeBanner->showMessage(InlineMessage::Type::Warning,
                                    m_stripe.problem.message + QLatin1Char(' ') +
                                        tr("Billing is off for this session; the database connection works."),
                                    m_stripe.problem.details);
    else
        m_stripeBanner->clear();
}

void MainWindow::stopDemo()
{
    if (!m_demo)
        return;
    m_demo->waitForStart();
    // Close the window's connections first, so that the server's shutdown cuts nobody off mid-session.
    if (m_budget)
        m_budget->shutDown(DbWorker::Shutdown::Wait);
    m_demo->stop();
}

void MainWindow::setSession(const SessionProbe &session, const QString &label, bool production)
{
    // A new session gets connections of its own; the old ones close once their work has returned.
    adoptSession(session, label, production, new ConnectionBudget(session.spec, this), {});
}

void MainWindow::adoptSession(const SessionProbe &session, const QString &label, bool production,
                              ConnectionBudget *budget, const billing::SessionStripe &stripe)
{
    m_hasSession = true;
    m_sessionSpec = session.spec;
    ConnectionBudget *previous = m_budget;
    m_budget = budget;
    hideBusy();
    m_problemBanner->setVisible(false);
    const SessionInfo &info = session.info;
    setWindowTitle(label.isEmpty() ? tr("Beacon Admin — %1").arg(info.database)
                                   : tr("Beacon Admin — %1 (%2)").arg(label, info.database));
    m_productionBanner->setVisible(production);
    m_statusServer->setText(
        tr("Server: %1 (PostgreSQL %2)").arg(session.spec.displayUri(), info.serverVersion));
    m_statusDatabase->setText(tr("Database: %1").arg(info.database));
    m_statusRole->setText(info.groupRole.isEmpty()
                              ? tr("Login: %1 (no Beacon role)").arg(info.loginRole)
                              : tr("Login: %1 (%2)").arg(info.loginRole, info.groupRole));
    m_statusSchema->setText(tr("Schema: v%1").arg(info.schemaVersion));
    m_stripe = stripe;
    showStripe();
    // Browsing needs the tables this build knows; an unknown schema gets the banner and no tables.
    if (!session.schemaError) {
        for (TablePage *page : std::as_const(m_tablePages))
            page->setConnection(m_budget);
        m_detailPane->setConnection(m_budget);
        m_detailPane->setStripeAccess(stripeAccess());
        m_userDetailPane->setConnection(m_budget);
        m_auditDiff->setConnection(m_budget);
        m_usageSummary->setConnection(m_budget);
    }
    m_actionMenus->setSession(session, m_budget);
    m_reconciliation->setSession(session, m_budget);
    m_reconciliation->setStripe(stripeAccess());
    if (previous) {
        // The old session's work is of no use now; nothing waits for it on the GUI thread.
        previous->shutDown(DbWorker::Shutdown::InBackground);
        previous->deleteLater();
    }
    if (session.schemaError) {
        m_schemaBanner->showMessage(InlineMessage::Type::Warning,
                                    session.schemaError.message + QLatin1Char(' ') +
                                        tr("Browsing works; changes are switched off."));
    } else {
        m_schemaBanner->setVisible(false);
    }
    emit ready();
}

void MainWindow::updateReconciliationEntry()
{
    QListWidgetItem *entry = m_navigation->item(m_pages->indexOf(m_reconciliation));
    const QString why = m_reconciliation->whyUnavailable();
    // Before a session the page itself says to connect; a login without the role cannot open it at all.
    const bool refused = m_hasSession && !why.isEmpty();
    entry->setFlags(refused ? entry->flags() & ~Qt::ItemIsEnabled : entry->flags() | Qt::ItemIsEnabled);
    entry->setToolTip(refused ? why
                              : tr("Compare Stripe's customers and subscriptions with the workspaces."));
    if (refused && m_navigation->currentRow() == m_pages->indexOf(m_reconciliation))
        m_navigation->setCurrentRow(0);
}

void MainWindow::showBusy(const QString &text)
{
    m_busyText->setText(text);
    m_busyPanel->setVisible(true);
}

void MainWindow::hideBusy()
{
    m_busyPanel->setVisible(false);
}

void MainWindow::showProblem(const DbError &error)
{
    m_problemBanner->showError(error);
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Beacon Admin"),
                       tr("<h3>Beacon Admin %1</h3><p>The console for the people who run Beacon.</p>"
                          "<p>Build %2, Qt %3.<br>Database schema version %4.</p>"
                          "<p>Settings: %5</p>")
                           .arg(applicationVersion(), applicationCommit(), QString::fromLatin1(qVersion()))
                           .arg(Migrator::expectedVersion())
                           .arg(QDir::toNativeSeparators(settingsFilePath()).toHtmlEscaped()));
}

} // namespace beacon::ui
