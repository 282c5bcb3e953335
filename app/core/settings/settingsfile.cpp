#include "settings/settingsfile.h"

#include <QStandardPaths>

namespace beacon {

QString settingsFilePath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) +
           QStringLiteral("/settings.ini");
}

} // namespace beacon
