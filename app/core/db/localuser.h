#pragma once

#include <QString>

namespace beacon {

// The name of the operating-system account this program runs as: the default database login (as libpq and
// psql choose it) and the actor that the console and beaconctl record in the audit log when none is given.
// On Unix it is the account of the effective user id, as libpq's own default is, so that the audit log names
// the account that really ran the program even when USER was left over from another account (su, sudo -E);
// USER, LOGNAME and USERNAME are asked only when the account database has no entry (a container running
// with an arbitrary uid). On Windows it is USERNAME. Empty when nothing says.
QString localUserName();

} // namespace beacon
