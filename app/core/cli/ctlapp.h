#pragma once

#include <QStringList>
#include <QTextStream>

namespace beacon::cli {

// beaconctl's whole behaviour, kept out of main() so that it links into the tests like everything else.
// `arguments` includes the program name first, as QCoreApplication::arguments() gives it. Returns the exit
// code of the contract (see ErrorKind): 0 ok, 1 internal, 2 usage, 3 refused or anomalies found, 4 busy,
// 5 conflict, 6 denied, 7 unavailable.
int runCtl(const QStringList &arguments, QTextStream &out, QTextStream &err);

} // namespace beacon::cli
