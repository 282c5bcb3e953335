#pragma once

#include "db/dberror.h"

#include <QSqlDatabase>

namespace beacon {

// Begins on construction and rolls back in its destructor unless commit() succeeded, so that an early
// return or an exception can never leave half a change behind.
class Transaction {
public:
    explicit Transaction(QSqlDatabase db);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    // Empty when BEGIN worked.
    const DbError &beginError() const { return m_beginError; }
    DbError commit();
    void rollback();

private:
    QSqlDatabase m_db;
    DbError m_beginError;
    bool m_open = false;
};

} // namespace beacon
