#pragma once

#include "actions/action.h"
#include "billing/stripeaccess.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QJsonObject>
#include <QSqlDatabase>

namespace beacon::cli {

// The options every action takes (--reason, --action-id, --expect-version, --dry-run, --lock-timeout) and
// those only some take (--workspace, --plan, …), for beaconctl's one parser.
QList<QCommandLineOption> actionOptions();
// The options `kind` accepts beyond the global ones.
QStringList actionOptionNames(actions::ActionKind kind);
// One line of help per action.
QString actionSynopsis(actions::ActionKind kind);

// The request the options describe; a usage error (exit 2) for malformed input: a non-numeric id, a
// malformed UUID, an empty reason, --on with --off.
DbError actionRequestFromOptions(actions::ActionKind kind, const QCommandLineParser &parser,
                                 const QString &actor, actions::ActionRequest *request);

// Runs the action (exports-purge batch after batch, each with its own audit row and an action id derived
// from the one given) and describes the outcome: `fields` for --json (action, action_id, outcome, message,
// before, after, …), `text` for a person.
struct ActionReport {
    QJsonObject fields;
    QString text;
    DbError error;
};
ActionReport runActionCommand(const QSqlDatabase &db, const actions::ActionRequest &request,
                              const std::optional<billing::StripeAccess> &stripe);

} // namespace beacon::cli
