#include "connectionbench.h"

#include "actionrunner.h"
#include "db/connectionbudget.h"
#include "db/database.h"
#include "detailpane.h"
#include "mainwindow.h"
#include "pagedtablemodel.h"
#include "quickopendialog.h"
#include "secretstore.h"
#include "tablepage.h"
#include "usagesummarymodel.h"
#include "usagesummarypage.h"
#include "userdetailpane.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSqlQuery>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <functional>
#include <thread>

namespace beacon::bench {

namespace {

// The window's sessions carry this name, so the server can count them apart from the bench's own.
const QString WindowApplicationName = QStringLiteral("beacon-bench-window");
// Short, so that the bench need not sit for the console's default minute; the mechanism is the same.
constexpr std::chrono::milliseconds BenchIdleClose{3000};

// Counts the window's sessions on the server every few milliseconds, on a thread and connection of its
// own, and keeps the highest count seen.
class SessionSampler {
public:
    explicit SessionSampler(const ConnectionSpec &spec)
        : m_spec(spec)
    {
        m_thread = std::thread([this] { sample(); });
        while (!m_started.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~SessionSampler() { stop(); }
    void stop()
    {
        m_stop = true;
        if (m_thread.joinable())
            m_thread.join();
    }
    int peak() const { return m_peak.load(); }
    int now() const { return m_now.load(); }
    QString error() const { return m_error; }

private:
    void sample()
    {
        DbError error;
        ConnectionSpec spec = m_spec;
        spec.applicationName = QStringLiteral("beacon-bench-sampler");
        auto connection = Connection::open(spec, QStringLiteral("bench-sampler"), &error);
        if (!connection) {
            m_error = error.fullText();
            m_started = true;
            return;
        }
        QSqlQuery query(connection->database());
        query.prepare(QStringLiteral("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"));
        m_started = true;
        while (!m_stop.load()) {
            query.bindValue(QStringLiteral(":name"), WindowApplicationName);
            if (query.exec() && query.next()) {
                const int count = query.value(0).toInt();
                m_now = count;
                m_peak = std::max(m_peak.load(), count);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    ConnectionSpec m_spec;
    std::thread m_thread;
    std::atomic<bool> m_started{false};
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_peak{0};
    std::atomic<int> m_now{0};
    QString m_error;
};

bool modelsIdle(const QWidget *root)
{
    for (const auto *model : root->findChildren<models::PagedTableModel *>()) {
        if (model->isBusy())
            return false;
    }
    return true;
}

// Selects the first row of the page's table, so that the detail pane under it reads its tabs.
void selectFirstRow(ui::TablePage *page)
{
    QTableView *view = page->view();
    if (view->model()->rowCount() > 0)
        view->setCurrentIndex(view->model()->index(0, 0));
}

// One membership with the role "member", switched to "admin" and back through the console's runner.
DbError runOneAction(ConnectionBudget *budget, const ConnectionSpec &spec)
{
    DbError error;
    auto connection = Connection::open(spec, QStringLiteral("bench-connections"), &error);
    if (!connection)
        return error;
    QSqlQuery query(connection->database());
    if (!query.exec(QStringLiteral("SELECT workspace_id, user_id FROM public.memberships "
                                   "WHERE role = 'member' ORDER BY workspace_id, user_id LIMIT 1")) ||
        !query.next())
        return DbError::make(ErrorKind::Internal, QStringLiteral("No membership to change in the database."));
    const qint64 workspace = query.value(0).toLongLong();
    const qint64 user = query.value(1).toLongLong();
    models::ActionRunner runner;
    runner.setConnection(budget);
    for (const char *role : {"admin", "member"}) {
        actions::ActionRequest request;
        request.kind = actions::ActionKind::MemberRole;
        request.workspaceId = workspace;
        request.userId = user;
        request.role = QString::fromLatin1(role);
        request.reason = QStringLiteral("beacon-bench: connections of one window");
        request.actor = QStringLiteral("beacon-bench");
        request.client = QStringLiteral("beacon-bench");
        std::optional<actions::ActionResult> result;
        QObject::connect(&runner, &models::ActionRunner::finished, &runner,
                         [&result](const actions::ActionResult &outcome) { result = outcome; });
        runner.preview(request);
        runner.run(request);
        if (!waitUntil([&] { return result.has_value() && !runner.isPreviewing(); }))
            return DbError::make(ErrorKind::Internal, QStringLiteral("The action did not finish."));
        QObject::disconnect(&runner, &models::ActionRunner::finished, &runner, nullptr);
        if (result->error)
            return result->error;
    }
    return {};
}

} // namespace

DbError runConnectionBench(const ConnectionSpec &spec, QList<Figure> *figures)
{
    ConnectionSpec windowSpec = spec;
    windowSpec.applicationName = WindowApplicationName;
    SessionSampler sampler(spec);
    if (!sampler.error().isEmpty())
        return DbError::make(ErrorKind::Unavailable, sampler.error());

    QTemporaryDir folder;
    ProfileStore profiles(folder.filePath(QStringLiteral("profiles.ini")));
    ui::MemorySecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    window.resize(1366, 768);
    window.show();
    window.connectTo(windowSpec, QStringLiteral("bench"), false);
    if (!waitUntil([&] { return window.hasSession() && window.connectionBudget(); }))
        return DbError::make(ErrorKind::Unavailable, QStringLiteral("The window did not connect."));
    ConnectionBudget *budget = window.connectionBudget();
    budget->setIdleClose(BenchIdleClose);

    // Every page, in the order of the navigation list; on the two with a detail pane, every tab too.
    auto *navigation = window.findChild<QListWidget *>(QStringLiteral("navigation"));
    const QList<ui::TablePage *> pages = window.findChildren<ui::TablePage *>();
    for (int row = 0; row < navigation->count(); ++row) {
        navigation->setCurrentRow(row);
        waitUntil([&] { return modelsIdle(&window); });
    }
    for (ui::TablePage *page : pages) {
        selectFirstRow(page);
        waitUntil([&] { return modelsIdle(&window); });
    }
    for (QTabWidget *tabs : window.findChildren<QTabWidget *>()) {
        for (int tab = 0; tab < tabs->count(); ++tab) {
            tabs->setCurrentIndex(tab);
            waitUntil([&] { return modelsIdle(&window); });
        }
    }
    // The summary page's default request, a quick-open look-up and an audit entry's fields.
    if (auto *summary = window.findChild<ui::UsageSummaryPage *>()) {
        QTest::keyClick(summary, Qt::Key_Return); // as a person runs it: Enter in the form
        waitUntil([&] { return !summary->model()->isBusy(); });
    }
    window.openQuickOpen();
    if (auto *quickOpen = window.findChild<ui::QuickOpenDialog *>()) {
        auto *text = quickOpen->findChild<QLineEdit *>(QStringLiteral("quickOpenText"));
        text->setText(QStringLiteral("1"));
        QTest::keyClick(text, Qt::Key_Return);
        auto *status = quickOpen->findChild<QLabel *>(QStringLiteral("quickOpenStatus"));
        waitUntil([&] { return status && !status->text().endsWith(QStringLiteral("…")); }, 30000);
        quickOpen->reject();
    }
    if (DbError error = runOneAction(budget, windowSpec))
        return error;
    waitUntil([&] { return modelsIdle(&window); });
    const int peak = sampler.peak();

    // Then the window is left alone for the idle time, and a little more for the sessions to end.
    QElapsedTimer idle;
    idle.start();
    waitUntil([&] { return idle.elapsed() > BenchIdleClose.count() + 1500; }, 60000);
    const int leftOpen = sampler.now();
    sampler.stop();

    // The design before the one worker: a connection of its own for each table model, the summary and each
    // dialog's runner (quick open and the audit entry logged in for each look-up on top).
    const int perModel = int(window.findChildren<models::PagedTableModel *>().size()) + 2;
    const QString sessions = QStringLiteral("sessions");
    figures->append({QStringLiteral("peak sessions, one window, every page and tab"), double(peak),
                     double(perModel), sessions, 1, 4});
    figures->append({QStringLiteral("sessions left open after %1 s idle").arg(BenchIdleClose.count() / 1000),
                     double(leftOpen), double(perModel), sessions, 1, 1});
    return {};
}

} // namespace beacon::bench
