#pragma once

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>

namespace beacon::test {

// Runs the built beaconctl as a script would, and keeps what it printed.
struct CtlRun {
    int exitCode = -1;
    QString out;
    QString err;

    QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

inline CtlRun runBeaconctl(const QStringList &arguments,
                           const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(qEnvironmentVariable("BEACONCTL"), arguments);
    CtlRun run;
    if (!process.waitForStarted(10000)) {
        run.err = QStringLiteral("beaconctl did not start from $BEACONCTL: ") + process.errorString();
        return run;
    }
    process.waitForFinished(600000);
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

} // namespace beacon::test
