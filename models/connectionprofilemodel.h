#pragma once

#include <QAbstractListModel>

namespace beacon::models {

class ConnectionProfileModel : public QAbstractListModel {
    Q_OBJECT
public:
    using QAbstractListModel::QAbstractListModel;
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
};

} // namespace beacon::models
