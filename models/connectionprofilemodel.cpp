#include "connectionprofilemodel.h"

namespace beacon::models {

ConnectionProfileModel::ConnectionProfileModel(ProfileStore *store, QObject *parent)
    : QAbstractListModel(parent)
    , m_store(store)
{
    reload();
}

int ConnectionProfileModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_profiles.size());
}

QVariant ConnectionProfileModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ConnectionProfile &profile = m_profiles.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return profile.production ? tr("%1 (production)").arg(profile.name) : profile.name;
    case Qt::EditRole:
        return profile.name;
    case Qt::ToolTipRole:
        return profile.spec({}).displayUri();
    case ProductionRole:
        return profile.production;
    default:
        return {};
    }
}

void ConnectionProfileModel::reload()
{
    beginResetModel();
    m_profiles.clear();
    for (const QString &name : m_store->names()) {
        if (const auto profile = m_store->profile(name))
            m_profiles.append(*profile);
    }
    endResetModel();
}

int ConnectionProfileModel::rowOf(const QString &name) const
{
    for (int row = 0; row < m_profiles.size(); ++row) {
        if (m_profiles.at(row).name == name)
            return row;
    }
    return -1;
}

QString ConnectionProfileModel::nameAt(int row) const
{
    return row >= 0 && row < m_profiles.size() ? m_profiles.at(row).name : QString();
}

} // namespace beacon::models
