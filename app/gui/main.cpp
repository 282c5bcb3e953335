#include "buildinfo.h"
#include "connectflow.h"
#include "db/connectionspec.h"
#include "mainwindow.h"
#include "profiles/connectionprofile.h"
#include "secretstore.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTextStream>
#include <QTimer>

#include <cstring>

#ifdef Q_OS_UNIX
#include <QSocketNotifier>
#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

// SIGTERM (logout, `kill`) and SIGINT must end the event loop like File → Quit does, so that the demo
// server is stopped instead of left running. A signal handler may only write to a pipe; the notifier then
// quits on the GUI thread.
static int quitSignalPipe[2] = {-1, -1};

static void onQuitSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(quitSignalPipe[0], &byte, 1);
}

static void quitOnTerminationSignals()
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, quitSignalPipe) != 0)
        return;
    auto *notifier = new QSocketNotifier(quitSignalPipe[1], QSocketNotifier::Read, qApp);
    QObject::connect(notifier, &QSocketNotifier::activated, qApp, [] {
        char byte = 0;
        [[maybe_unused]] const auto read = ::read(quitSignalPipe[1], &byte, 1);
        QApplication::quit();
    });
    struct sigaction action = {};
    action.sa_handler = onQuitSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
}
#else
static void quitOnTerminationSignals()
{}
#endif

using namespace beacon;

int main(int argc, char **argv)
{
    // --version must work without a display: packaging checks run it on machines that have none.
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--version") == 0) {
            QTextStream(stdout) << "beacon-admin " << applicationVersion() << Qt::endl;
            return 0;
        }
    }

    QApplication app(argc, argv);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/beacon-admin.svg")));
    // Lets Wayland docks match the window to the menu entry of packaging/linux.
    QGuiApplication::setDesktopFileName(QStringLiteral("invalid.beacon.BeaconAdmin"));
    QApplication::setOrganizationName(QStringLiteral("Beacon"));
    QApplication::setApplicationName(QStringLiteral("Beacon Admin"));
    QApplication::setApplicationVersion(applicationVersion());

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "The console for the people who run Beacon."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demoOption(QStringLiteral("demo"),
                                        QApplication::translate("main", "Open the private demo database."));
    const QCommandLineOption dbOption(
        QStringLiteral("db"), QApplication::translate("main", "Connect to this URI."), QStringLiteral("uri"));
    const QCommandLineOption profileOption(
        QStringLiteral("profile"), QApplication::translate("main", "Connect with this saved profile."),
        QStringLiteral("name"));
    QCommandLineOption exitWhenReady(
        QStringLiteral("exit-when-ready"),
        QStringLiteral("Quit once the window is shown and connected (smoke tests)."));
    exitWhenReady.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOptions({demoOption, dbOption, profileOption, exitWhenReady});
    parser.process(app);
    quitOnTerminationSignals();

    ProfileStore profiles;
    ui::KeychainSecretStore secrets;
    ui::MainWindow window(&profiles, &secrets);
    if (parser.isSet(exitWhenReady)) {
        QObject::connect(&window, &ui::MainWindow::ready, &app, [&window] {
            QTextStream(stdout) << "main window shown: " << window.windowTitle() << Qt::endl;
            QTimer::singleShot(0, qApp, [] { QApplication::exit(0); });
        });
        QObject::connect(&window, &ui::MainWindow::failed, &app, [](const DbError &error) {
            QTextStream(stderr) << "beacon-admin: " << error.fullText() << Qt::endl;
            QTimer::singleShot(0, qApp, [] { QApplication::exit(1); });
        });
    }
    window.show();

    if (parser.isSet(demoOption)) {
        window.startDemo();
    } else if (parser.isSet(dbOption)) {
        QString reason;
        const auto spec = ConnectionSpec::fromUri(parser.value(dbOption), &reason);
        if (!spec) {
            QTextStream(stderr) << "beacon-admin: " << reason << Qt::endl;
            return 2;
        }
        window.connectTo(*spec, QString(), false);
    } else if (parser.isSet(profileOption)) {
        QString problem;
        const bool found = ui::ConnectFlow::connectWithProfile(
            &window, profiles, &secrets, parser.value(profileOption), &problem, [](const DbError &keychain) {
                QTextStream(stderr) << "beacon-admin: " << keychain.message << " (" << keychain.details << ")"
                                    << Qt::endl;
            });
        if (!found) {
            QTextStream(stderr) << "beacon-admin: " << problem << Qt::endl;
            return 2;
        }
    } else {
        QTimer::singleShot(0, &window, &ui::MainWindow::openConnectDialog);
    }

    const int exitCode = QApplication::exec();
    window.stopDemo();
    return exitCode;
}
