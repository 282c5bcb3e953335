#pragma once

// The random admin actions of the stress test, each as beaconctl's command line with a fresh action id, run
// by a real login of one Beacon group. Now and then a group runs an action its grants do not cover, which
// must come back denied.

#include <QList>
#include <QRandomGenerator>
#include <QString>
#include <QStringList>
#include <QUuid>

namespace beacon::stress {

struct PlannedAction {
    QUuid id;
    QString name;          // beaconctl's command, e.g. member-role
    QStringList options;   // the action's own options, without the common ones
    QString group;         // the Beacon group whose login runs it
    bool permitted = true; // the group's grants cover the action (rolesAllowedFor)
    qint64 workspace = 0;  // the workspace named by --workspace, 0 when the action takes none
};

// Ids of rows that exist now, refreshed during the run, so that deletes mostly find something to delete.
struct Targets {
    QList<qint64> files;
    QList<qint64> projects;
};

class ActionMix {
public:
    ActionMix(QRandomGenerator *random, qint64 lockedWorkspace)
        : m_random(random)
        , m_lockedWorkspace(lockedWorkspace)
    {}
    PlannedAction next(const Targets &targets);

private:
    qint64 workspace();
    qint64 user();
    qint64 pick(const QList<qint64> &ids, qint64 fallbackMax);
    QString pick(const QStringList &values);

    QRandomGenerator *m_random;
    qint64 m_lockedWorkspace;
};

// The command line of one run of `action`, the first or a rerun: the same id and the same parameters.
QStringList commandLine(const PlannedAction &action, const QString &databaseUri);

} // namespace beacon::stress
