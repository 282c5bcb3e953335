#include "outcome.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace beacon::stress {

RunResult classify(const QUuid &actionId, bool crashed, int exitCode, const QByteArray &out,
                   const QByteArray &err)
{
    RunResult result;
    result.text = QStringLiteral("exit %1: %2 %3")
                      .arg(crashed ? QStringLiteral("(killed)") : QString::number(exitCode),
                           QString::fromUtf8(out).trimmed(), QString::fromUtf8(err).trimmed().left(500));
    if (crashed) {
        result.killed = true;
        return result;
    }
    result.exitCode = exitCode;
    struct Expected {
        Outcome outcome;
        QStringList words;
    };
    static const QHash<int, Expected> contract = {
        {0, {Outcome::Applied, {QStringLiteral("applied"), QStringLiteral("already-applied")}}},
        {3, {Outcome::Refused, {QStringLiteral("refused")}}},
        {4, {Outcome::Busy, {QStringLiteral("busy")}}},
        {5, {Outcome::Conflict, {QStringLiteral("conflict")}}},
        {6, {Outcome::Denied, {QStringLiteral("denied")}}},
        {7, {Outcome::Unknown, {QStringLiteral("unavailable")}}},
    };
    const auto expected = contract.constFind(exitCode);
    if (expected == contract.constEnd()) {
        // 1 is an internal error and 2 a malformed command: neither may happen to a well-formed action.
        result.outcome = exitCode == 2 ? Outcome::Refused : Outcome::Unknown;
        result.problem = QStringLiteral("exit code %1 is outside the outcomes of an action").arg(exitCode);
        return result;
    }
    result.outcome = expected->outcome;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(out.trimmed(), &parseError);
    if (!document.isObject()) {
        result.problem =
            QStringLiteral("--json printed no single JSON object (%1)").arg(parseError.errorString());
        return result;
    }
    const QJsonObject json = document.object();
    const QString outcome = json.value(QStringLiteral("outcome")).toString();
    result.alreadyApplied = outcome == QLatin1String("already-applied");
    if (!expected->words.contains(outcome))
        result.problem = QStringLiteral("exit code %1 came with outcome \"%2\"").arg(exitCode).arg(outcome);
    else if (json.value(QStringLiteral("exit_code")).toInt(-1) != exitCode)
        result.problem = QStringLiteral("the JSON's exit_code is not the process's %1").arg(exitCode);
    else if (json.value(QStringLiteral("action_id")).toString() != actionId.toString(QUuid::WithoutBraces))
        result.problem = QStringLiteral("the JSON names another action id");
    else if (json.value(QStringLiteral("ok")).toBool() != (exitCode == 0))
        result.problem = QStringLiteral("the JSON's ok does not match exit code %1").arg(exitCode);
    return result;
}

} // namespace beacon::stress
