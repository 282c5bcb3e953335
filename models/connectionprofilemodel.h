#pragma once

#include "profiles/connectionprofile.h"

#include <QAbstractListModel>

namespace beacon::models {

// The saved connection profiles, by name, for the connect dialog's list. Production profiles carry a marker
// so that nobody picks one by accident.
class ConnectionProfileModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { ProductionRole = Qt::UserRole + 1 };

    explicit ConnectionProfileModel(ProfileStore *store, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;

    // Reads the store again, after a profile was saved or removed.
    void reload();
    int rowOf(const QString &name) const;
    QString nameAt(int row) const;

private:
    ProfileStore *m_store;
    QList<ConnectionProfile> m_profiles;
};

} // namespace beacon::models
