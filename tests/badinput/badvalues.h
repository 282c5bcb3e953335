#pragma once

// The bad values every beaconctl option and every action dialog field is fed: one per kind of trouble a
// script, a paste or an attacker brings.

#include <QByteArray>
#include <QList>
#include <QString>

namespace beacon::test {

struct BadValue {
    const char *name;
    QByteArray bytes; // what reaches the program: argv bytes, or the field's text as UTF-8
};

inline QList<BadValue> badValues()
{
    return {
        {"empty", QByteArray()},
        {"huge", QByteArray(100 * 1024, 'a')},
        // argv is a C string, so beaconctl sees what comes before the NUL; the dialogs get the NUL itself.
        {"nul", QByteArray("\0'; DROP TABLE workspaces; --", 30)},
        {"invalid utf-8", QByteArray("\xff\xfe\xc3\x28 \xed\xa0\x80")},
        {"negative", QByteArray("-1")},
        {"overflowing", QByteArray("99999999999999999999")},
        {"sql", QByteArray("'; DROP TABLE workspaces; --")},
        {"terminal escapes", QByteArray("\x1b[2J\x1b]0;owned\x07\x1b[31mred\x1b[0m")},
    };
}

} // namespace beacon::test
