#pragma once

#include <QString>

namespace beacon {

inline QString applicationVersion()
{
    return QStringLiteral(BEACON_VERSION);
}

// The git commit the build was made from (12 hex digits), or "unknown" for a build outside a git checkout.
QString applicationCommit();

} // namespace beacon
