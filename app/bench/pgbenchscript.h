#pragma once

// beacon-bench's pgbench script, made from the engine's own statements (actions::memberRoleStatements()),
// so that the baseline cannot drift from what the engine sends. Kept apart from actionbench.cpp so that a
// test can check it without starting the bench.

#include "actions/enginestatements.h"
#include "db/dberror.h"

#include <QList>
#include <QPair>
#include <QString>

namespace beacon::bench {

// `statement`'s SQL as pgbench runs it: each $n becomes the pgbench variable named after its nth value
// (:workspace, :action_id), which pgbench -M prepared sends as a bound parameter again. A command (BEGIN,
// COMMIT) is its text.
QString pgbenchStatement(const actions::EngineStatement &statement);

// The variables the script takes from pgbench -D, by name, with their values: the ones that stay the same
// for every action of the bench (the timeouts a default ActionRequest has, the actor, the reason, ...).
// `client` is the audit row's client JSON, given this way because pgbench would take its colons for
// variables in the script.
QList<QPair<QString, QString>> pgbenchDefinitions(const QString &client);

// The script for one member-role per transaction: `chooseTarget`, pgbench lines that \set the variables
// workspace and user; then one read outside the transaction for what the engine works out on the client
// (a fresh action id, the membership as it is, the other role and the audit target), since pgbench cannot
// make a UUID or a string itself; then memberRoleStatements() in order, each of the engine's round trips
// in one pipeline as the engine sends it. Refused, in words, when the engine's statements take a value the
// script has no source for: the bench must then be taught where it comes from.
DbError memberRoleScript(const QString &chooseTarget, QString *script);

} // namespace beacon::bench
