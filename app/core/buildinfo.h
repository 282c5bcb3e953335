#pragma once

#include <QString>

namespace beacon {

inline QString applicationVersion()
{
    return QStringLiteral(BEACON_VERSION);
}

} // namespace beacon
