#pragma once

#include "db/dberror.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>

namespace beacon::browse {

// What Ctrl+K finds: a workspace or a user named exactly by id, slug, e-mail, or Stripe id.
struct QuickFindHit {
    enum class Kind { Workspace, User };
    Kind kind = Kind::Workspace;
    qint64 id = 0;
    QString label;      // what the list shows
    QString searchText; // what the table's search box gets to show just this row (slug or e-mail)
};

// Exact matches only (e-mail ignoring case), each through an index, so it answers instantly at any size.
DbError quickFind(const QSqlDatabase &db, const QString &text, QList<QuickFindHit> *hits);

} // namespace beacon::browse
