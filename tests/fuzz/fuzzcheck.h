#pragma once

#include <QByteArray>
#include <QString>

#include <cstdio>
#include <cstdlib>

// A property that does not hold is a finding like a crash: print what broke and abort, so that libFuzzer
// saves the input as crash-*.
#define FUZZ_CHECK(condition, what)                                                                          \
    do {                                                                                                     \
        if (!(condition)) {                                                                                  \
            std::fprintf(stderr, "fuzz property failed: %s (%s)\n  %s\n", #condition, __FILE__,              \
                         QString(what).toUtf8().constData());                                                \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (false)

namespace fuzz {

// The input as text, the way the program receives it: from UTF-8, invalid sequences replaced.
inline QString text(const uint8_t *data, size_t size)
{
    return QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
}

} // namespace fuzz
