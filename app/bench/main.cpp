#include "browsebench.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

using namespace beacon;

int main(int argc, char **argv)
{
    // The views are painted offscreen unless a display is asked for explicitly.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Measures Beacon Admin against its baselines on a `beaconctl seed --size large` database."));
    parser.addHelpOption();
    const QCommandLineOption dbOption(QStringLiteral("db"), QStringLiteral("Database URI (required)."),
                                      QStringLiteral("uri"));
    const QCommandLineOption onlyOption(QStringLiteral("only"), QStringLiteral("browse or actions."),
                                        QStringLiteral("group"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print one JSON array."));
    parser.addOptions({dbOption, onlyOption, jsonOption});
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
    const QString only = parser.value(onlyOption);
    if (!only.isEmpty() && only != QLatin1String("browse") && only != QLatin1String("actions")) {
        err << "beacon-bench: --only takes browse or actions." << Qt::endl;
        return 2;
    }
    if (const DbError error = bench::checkLargeDatabase(*spec)) {
        err << "beacon-bench: " << error.fullText() << Qt::endl;
        return error.exitCode();
    }

    QList<bench::Figure> figures;
    if (only.isEmpty() || only == QLatin1String("browse")) {
        if (const DbError error = bench::runBrowseBench(*spec, &figures)) {
            err << "beacon-bench: " << error.fullText() << Qt::endl;
            return error.exitCode();
        }
    }
    if (only == QLatin1String("actions"))
        err << "beacon-bench: there are no action scenarios yet; they come with the admin actions."
            << Qt::endl;

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
    out << QStringLiteral("%1 %2 %3 %4 %5\n")
               .arg(QStringLiteral("scenario"), -40)
               .arg(QStringLiteral("ours ms"), 10)
               .arg(QStringLiteral("baseline ms"), 12)
               .arg(QStringLiteral("ratio"), 9)
               .arg(QStringLiteral("target"), 8);
    for (const auto &figure : std::as_const(figures))
        out << QStringLiteral("%1 %2 %3 %4 %5\n")
                   .arg(figure.scenario, -40)
                   .arg(figure.ours, 10, 'f', 2)
                   .arg(figure.baseline, 12, 'f', 1)
                   .arg(QStringLiteral("%1x").arg(figure.ratio(), 0, 'f', 1), 9)
                   .arg(QStringLiteral("≥%1x").arg(figure.targetRatio), 8);
    out.flush();
    return 0;
}
