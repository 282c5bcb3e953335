#pragma once

#include <QMetaObject>
#include <QObject>
#include <QPointer>
#include <QThread>

#include <functional>
#include <memory>

namespace beacon {

// Runs `work` on a thread of its own and hands its result to `done` on `context`'s thread, unless `context`
// is gone by then. Database work uses this so that the GUI thread never waits: `work` opens, uses and closes
// its own connection, since a QSqlDatabase belongs to the thread that opened it. Returns the thread so that
// the caller can wait for it at shutdown; it deletes itself when finished.
template <typename Result>
QThread *runInBackground(QObject *context, std::function<Result()> work, std::function<void(Result)> done)
{
    QPointer<QObject> guard(context);
    QThread *thread = QThread::create([guard, work = std::move(work), done = std::move(done)]() mutable {
        auto result = std::make_shared<Result>(work());
        if (!guard)
            return;
        QMetaObject::invokeMethod(
            guard.data(),
            [guard, result, done]() {
                if (guard)
                    done(std::move(*result));
            },
            Qt::QueuedConnection);
    });
    QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
    return thread;
}

} // namespace beacon
