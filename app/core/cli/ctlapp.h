#pragma once

#include <QStringList>
#include <QTextStream>

namespace beacon::cli {

// beaconctl's whole behaviour, kept out of main() so that it links into the tests like everything else.
// `arguments` includes the program name first, as QCoreApplication::arguments() gives it. Returns the exit
// code of the contract (see ErrorKind): 0 ok, 1 internal, 2 usage, 3 refused or anomalies found, 4 busy,
// 5 conflict, 6 denied, 7 unavailable.
int runCtl(const QStringList &arguments, QTextStream &out, QTextStream &err);

// `text` without what a terminal would obey instead of showing: escape sequences (CSI, OSC and the other
// string commands, up to their terminator, and two-character ones), C0 controls other than newline and tab,
// DEL and C1 controls. Everything beaconctl prints for a person goes through it, since much of it comes
// from the database or the command line (names, e-mails, actors, reasons) and may hold anything.
QString terminalSafe(const QString &text);
// The same for a JSON text: the controls JSON leaves as they are (DEL, C1) become \u escapes, so that
// the data stays exact for a script and harmless on a terminal.
QString terminalSafeJson(const QString &json);

} // namespace beacon::cli
