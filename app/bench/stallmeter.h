#pragma once

#include <QApplication>
#include <QElapsedTimer>
#include <QThread>

#include <atomic>

namespace beacon::bench {

// Times every event the GUI thread delivers at the outermost level (an event delivered from inside another
// is part of that one's time), and keeps the longest while metering is on: a stall is the time the
// console could not repaint or take a key press.
class StallMeteringApplication : public QApplication {
public:
    using QApplication::QApplication;

    bool notify(QObject *receiver, QEvent *event) override
    {
        // notify() also delivers the workers' events on their own threads; only the GUI thread can stall.
        if (!m_metering || m_depth > 0 || QThread::currentThread() != thread())
            return QApplication::notify(receiver, event);
        ++m_depth;
        QElapsedTimer timer;
        timer.start();
        const bool result = QApplication::notify(receiver, event);
        const double ms = double(timer.nsecsElapsed()) / 1e6;
        if (ms > m_longestMs) {
            m_longestMs = ms;
            m_longestWhat = QStringLiteral("%1 event %2 to %3")
                                .arg(ms, 0, 'f', 1)
                                .arg(int(event->type()))
                                .arg(QString::fromLatin1(receiver->metaObject()->className()));
        }
        --m_depth;
        return result;
    }

    void setMetering(bool on) { m_metering = on; }
    double longestStallMs() const { return m_longestMs; }
    // Which event took longest, and to whom: where to look when the stall is too long.
    QString longestStallWhat() const { return m_longestWhat; }

    static StallMeteringApplication *instance() { return static_cast<StallMeteringApplication *>(qApp); }

private:
    std::atomic<bool> m_metering = false;
    int m_depth = 0;
    double m_longestMs = 0;
    QString m_longestWhat;
};

} // namespace beacon::bench
