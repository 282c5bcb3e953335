#include "connectionprofilemodel.h"

namespace beacon::models {

int ConnectionProfileModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : 0;
}
QVariant ConnectionProfileModel::data(const QModelIndex &, int) const {
    return {};
}

} // namespace beacon::models
