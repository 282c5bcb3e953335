#pragma once

#include <QString>

namespace beacon {

// The application's one settings file, where QStandardPaths puts per-user configuration on each system:
// ~/.config/Beacon/Beacon Admin/settings.ini on Linux, ~/Library/Preferences/Beacon/Beacon Admin/ on macOS,
// %LOCALAPPDATA%\Beacon\Beacon Admin\ on Windows. An INI file everywhere, never the Windows registry, so
// that there is one place to look, to back up and to delete. Uninstalling leaves it, as it leaves the demo
// data. Open it with QSettings(settingsFilePath(), QSettings::IniFormat).
QString settingsFilePath();

} // namespace beacon
