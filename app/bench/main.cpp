#include "actionbench.h"
#include "billingbench.h"
#include "browsebench.h"
#include "connectionbench.h"
#include "stallmeter.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <cmath>

using namespace beacon;

int main(int argc, char **argv)
{
    // The offscreen platform warns on every top-level show; it says nothing about what is measured.
    static QtMessageHandler standardHandler = nullptr;
    standardHandler =
        qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &context, const QString &message) {
            if (!message.contains(QLatin1String("propagateSizeHints")))
                standardHandler(type, context, message);
        });
    // The views are painted offscreen unless a display is asked for explicitly.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    bench::StallMeteringApplication app(argc, argv);
    // The table pages remember their layout; the bench keeps its own settings apart from the console's.
    QCoreApplication::setOrganizationName(QStringLiteral("Beacon"));
    QCoreApplication::setApplicationName(QStringLiteral("beacon-bench"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Measures Beacon Admin against its baselines on a `beaconctl seed --size large` database."));
    parser.addHelpOption();
    const QCommandLineOption dbOption(QStringLiteral("db"), QStringLiteral("Database URI (required)."),
                                      QStringLiteral("uri"));
    const QCommandLineOption onlyOption(QStringLiteral("only"),
                                        QStringLiteral("browse, connections, actions or billing."),
                                        QStringLiteral("group"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print one JSON array."));
    QCommandLineOption probeOption(QStringLiteral("memory-probe"),
                                   QStringLiteral("Internal: one memory scenario in this process."),
                                   QStringLiteral("ours|baseline"));
    probeOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOptions({dbOption, onlyOption, jsonOption, probeOption});
    parser.process(app);
    QTextStream out(stdout);
    QTextStream err(stderr);

    QString reason;
    const auto spec = ConnectionSpec::fromUri(parser.value(dbOption), &reason);
    if (!parser.isSet(dbOption) || !spec) {
        err << "beacon-bench: " << (parser.isSet(dbOption) ? reason : QStringLiteral("--db URI is required."))
            << Qt::endl;
        return 2;
    }
    if (parser.isSet(probeOption)) {
        const double megabytes = bench::memoryProbe(*spec, parser.value(probeOption));
        out << megabytes << Qt::endl;
        return megabytes < 0 ? 1 : 0;
    }
    const QString only = parser.value(onlyOption);
    if (!only.isEmpty() && only != QLatin1String("browse") && only != QLatin1String("actions") &&
        only != QLatin1String("connections") && only != QLatin1String("billing")) {
        err << "beacon-bench: --only takes browse, connections, actions or billing." << Qt::endl;
        return 2;
    }
    const bool browse = only.isEmpty() || only == QLatin1String("browse");
    const bool connections = only.isEmpty() || only == QLatin1String("connections");
    const bool actions = only.isEmpty() || only == QLatin1String("actions");
    const bool billing = only.isEmpty() || only == QLatin1String("billing");
    // Before anything is measured: the browsing scenarios take minutes, and the actions need pgbench.
    QString pgbench;
    if (actions) {
        DbError missing;
        pgbench = bench::findPgbench(&missing);
        if (pgbench.isEmpty()) {
            err << "beacon-bench: " << missing.fullText() << Qt::endl;
            return missing.exitCode();
        }
    }
    if (const DbError error = bench::checkLargeDatabase(*spec)) {
        err << "beacon-bench: " << error.fullText() << Qt::endl;
        return error.exitCode();
    }

    QList<bench::Figure> figures;
    if (browse) {
        if (const DbError error = bench::runBrowseBench(*spec, parser.value(dbOption), &figures)) {
            err << "beacon-bench: " << error.fullText() << Qt::endl;
            return error.exitCode();
        }
    }
    if (connections) {
        if (const DbError error = bench::runConnectionBench(*spec, &figures)) {
            err << "beacon-bench: " << error.fullText() << Qt::endl;
            return error.exitCode();
        }
    }
    if (actions) {
        if (const DbError error = bench::runActionBench(*spec, pgbench, &figures)) {
            err << "beacon-bench: " << error.fullText() << Qt::endl;
            return error.exitCode();
        }
    }

    if (billing) {
        if (const DbError error = bench::runBillingBench(*spec, &figures)) {
            err << "beacon-bench: " << error.fullText() << Qt::endl;
            return error.exitCode();
        }
    }

    if (parser.isSet(jsonOption)) {
        QJsonArray array;
        for (const auto &figure : std::as_const(figures))
            array.append(QJsonObject{{QStringLiteral("scenario"), figure.scenario},
                                     {QStringLiteral("ours"), figure.ours},
                                     {QStringLiteral("baseline"), figure.baseline},
                                     {QStringLiteral("unit"), figure.unit},
                                     {QStringLiteral("ratio"), figure.ratio()},
                                     {QStringLiteral("target_ratio"), figure.targetRatio}});
        out << QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact)) << Qt::endl;
        return 0;
    }
    // Milliseconds under 10 and ratios under 10 need their second decimal (an action takes about 1 ms).
    const auto number = [](double value, int width) {
        return QStringLiteral("%1").arg(value, width, 'f', std::abs(value) < 10 ? 2 : 1);
    };
    out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
               .arg(QStringLiteral("scenario"), -46)
               .arg(QStringLiteral("ours"), 10)
               .arg(QStringLiteral("baseline"), 10)
               .arg(QStringLiteral("unit"), -9)
               .arg(QStringLiteral("ratio"), 8)
               .arg(QStringLiteral("target"), 8)
               .arg(QStringLiteral("bar"), 8);
    for (const auto &figure : std::as_const(figures)) {
        // A rate (actions/s) must reach its bar; a cost (ms, MB) must stay under it. A row without a target
        // ratio only informs.
        const QString bar = figure.target <= 0      ? QString()
                            : figure.higherIsBetter ? QStringLiteral("≥%1").arg(figure.target)
                                                    : QStringLiteral("≤%1").arg(figure.target);
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
                   .arg(figure.scenario, -46)
                   .arg(number(figure.ours, 10))
                   .arg(number(figure.baseline, 10))
                   .arg(figure.unit, -9)
                   .arg(number(figure.ratio(), 0) + QLatin1Char('x'), 8)
                   .arg(figure.targetRatio > 0 ? QStringLiteral("≥%1x").arg(figure.targetRatio) : QString(),
                        8)
                   .arg(bar, 8);
    }
    out.flush();
    return 0;
}
