#pragma once

#include "db/connectionspec.h"
#include "db/dberror.h"

#include <QList>
#include <QString>

namespace beacon::bench {

struct Figure {
    QString scenario;
    double ours = 0;     // milliseconds, median of several runs
    double baseline = 0; // milliseconds, the same work done the way the anchors do it, in the same run
    QString unit = QStringLiteral("ms");
    double targetRatio = 0;
    double ratio() const { return ours > 0 ? baseline / ours : 0; }
};

// Refuses anything but a `seed --size large` database, with a message that says how to make one.
DbError checkLargeDatabase(const ConnectionSpec &spec);
DbError runBrowseBench(const ConnectionSpec &spec, QList<Figure> *figures);

} // namespace beacon::bench
