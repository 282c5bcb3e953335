#include "db/transaction.h"

#include <QCoreApplication>
#include <QSqlError>

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::Transaction", text);
}

Transaction::Transaction(QSqlDatabase db)
    : m_db(std::move(db))
{
    m_open = m_db.transaction();
    if (!m_open)
        m_beginError = DbError::fromSql(m_db.lastError(), tr("Starting a transaction"));
}

Transaction::~Transaction()
{
    rollback();
}

DbError Transaction::commit()
{
    if (!m_open)
        return DbError::make(ErrorKind::Internal, tr("Nothing to commit: the transaction is not open."));
    m_open = false;
    if (!m_db.commit()) {
        DbError error = DbError::fromSql(m_db.lastError(), tr("Saving the change"));
        // QPSQL reports the commit of an aborted transaction with an empty SQLSTATE; nothing was saved.
        if (error.sqlState.isEmpty() && error.kind == ErrorKind::Internal)
            error.message =
                tr("The change was not saved because an earlier step failed. Nothing was changed.");
        m_db.rollback();
        return error;
    }
    return {};
}

void Transaction::rollback()
{
    if (m_open) {
        m_open = false;
        m_db.rollback();
    }
}

} // namespace beacon
