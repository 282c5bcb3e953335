#pragma once

#include "db/connectionspec.h"
#include "db/dberror.h"

#include <QList>
#include <QString>

#include <functional>

namespace beacon::bench {

struct Figure {
    QString scenario;
    double ours = 0;     // the median of several runs, in `unit`
    double baseline = 0; // the same work done the way the anchors do it, in the same run
    QString unit = QStringLiteral("ms");
    double targetRatio = 0;
    double target = 0; // the absolute bar for `ours`, in `unit`; a guide on a noisy machine; 0 for none
    // A rate (actions per second) rather than a cost (ms, MB): more of it is better, for ours and the bar.
    bool higherIsBetter = false;
    // Always the factor by which we beat the baseline: bigger is better.
    double ratio() const
    {
        if (higherIsBetter)
            return baseline > 0 ? ours / baseline : 0;
        return ours > 0 ? baseline / ours : 0;
    }
};

// The nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it.
double percentile(QList<double> values, double fraction);

// Runs the event loop until `condition` holds; false after `timeoutMs`.
bool waitUntil(const std::function<bool()> &condition, int timeoutMs = 120000);

// Refuses anything but a `seed --size large` database, with a message that says how to make one.
DbError checkLargeDatabase(const ConnectionSpec &spec);
DbError runBrowseBench(const ConnectionSpec &spec, const QString &uri, QList<Figure> *figures);

// Run in a child process of its own, so that its peak resident memory is its alone: scrolls the AI usage
// table from top to bottom in the console's table page ("ours"), or fetches all of it into a
// QSqlQueryModel ("baseline"). Returns the peak RSS in MB, or a negative number on failure.
double memoryProbe(const ConnectionSpec &spec, const QString &which);

} // namespace beacon::bench
