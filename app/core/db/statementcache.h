#pragma once

#include "db/dberror.h"

#include <QSqlDatabase>
#include <QString>
#include <QVariant>
#include <QVariantList>

#include <memory>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace beacon {

// The rows one statement of a StatementCache gave: read them with next() and value(), as with QSqlQuery.
// Values come typed by their column: bool, integers as qint64, floating point as double, everything else
// (numeric, text, json, uuid, timestamps) as its text; SQL NULL as a null QVariant.
class StatementRows {
public:
    StatementRows() = default;
    ~StatementRows();
    StatementRows(const StatementRows &) = delete;
    StatementRows &operator=(const StatementRows &) = delete;

    bool next();
    QVariant value(int column) const;
    int size() const { return m_rows; }
    // Rows an INSERT, UPDATE or DELETE touched.
    qint64 rowsAffected() const;

private:
    friend class StatementCache;
    void reset(pg_result *result);

    pg_result *m_result = nullptr;
    int m_rows = 0;
    int m_row = -1;
};

// One statement of StatementCache::pipeline(): either `command`, a statement that takes no values and whose
// result is not read (BEGIN, COMMIT), or `sql` with its `values` ($1 is values[0]), as exec() runs it.
struct PipelinedStatement {
    const char *command = nullptr;
    QString sql;
    QVariantList values;
    // What the statement does, for the error a person reads.
    QString doing;
    // Where to put the statement's rows, when they are wanted; read them as exec()'s.
    StatementRows **rows = nullptr;
};

// Prepared statements kept for the life of one connection, for code that runs the same few statements
// again and again: the action engine, on the console's action worker and in beaconctl.
//
// Why not QSqlQuery: QPSQL prepares with PREPARE, runs each statement as a text "EXECUTE name (values)"
// that the server must parse and evaluate, and deallocates with DEALLOCATE when the query goes: three round
// trips per statement, and a statement freed inside an aborted transaction stays on the server (it refuses
// every statement until ROLLBACK). This cache talks to the same libpq connection QPSQL opened, through its
// handle, with libpq's own prepare and execute: each statement is prepared once per connection, and every
// later run is one round trip with its values bound as parameters, never written into the SQL.
//
// One cache per connection, used only on the connection's thread. Connection drops it before it closes.
class StatementCache {
public:
    // The cache of this connection, made on first use.
    static StatementCache &of(const QSqlDatabase &db);
    // Forgets the named connection's statements; the server frees them when the session ends.
    static void release(const QString &connectionName);

    // Runs `sql`, written with PostgreSQL's own placeholders ($1, $2, ...), with `values` bound to them by
    // position ($1 is values[0]), preparing it on first use. The text goes to the server as it is, so
    // comments, E'' strings and $$ bodies are the server's business. The server counts the placeholders when
    // it prepares the statement, and a statement given another number of values is refused before it runs.
    // `doing` says what, for the error a person reads. *rows holds the result until the same statement
    // runs again, so read it before that.
    DbError exec(const QString &sql, const QVariantList &values, const QString &doing, StatementRows **rows);

    // exec(), then COMMIT, sent together in one round trip (libpq's pipeline mode): the transaction's locks
    // are let go one round trip sooner. If the statement fails, COMMIT is not run and the transaction is
    // left aborted for the caller to roll back. `committing` says what, for an error of the COMMIT itself.
    DbError execThenCommit(const QString &sql, const QVariantList &values, const QString &doing,
                           const QString &committing);

    // Sends the statements together and reads their results in one round trip (libpq's pipeline mode).
    // The server runs them in order, as separate statements would run, so locks are still taken in the
    // order given; use it where no statement needs the rows of one before it. The first failure is
    // returned, and the server skips the statements after it: inside a transaction, the transaction is
    // left aborted for the caller to roll back. A statement whose rows are wanted may not be in the pipeline
    // twice. The server times statement_timeout over the whole pipeline, up to its sync: keep pipelines to
    // short statements. Every statement's values are counted before any is sent: a wrong count runs none.
    DbError pipeline(const std::vector<PipelinedStatement> &statements);

    // How many values `sql` takes (its highest $n), as the server counts them, for code that builds one
    // statement from pieces and must know where the next piece's numbers start. Asked once per connection
    // for each text, with the unnamed statement, so that nothing is left prepared for it.
    DbError parameterCount(const QString &sql, const QString &doing, int *count);

    // Runs a statement that takes no values and returns no rows (BEGIN, COMMIT, ROLLBACK) on the same
    // connection, without a QSqlQuery of its own.
    DbError command(const char *sql, const QString &doing);

    int size() const { return int(m_statements.size()); }

    ~StatementCache();

private:
    explicit StatementCache(QSqlDatabase db);

    struct Statement {
        QByteArray name;
        int parameterCount = 0; // as the server counted them when it prepared the statement
        StatementRows rows;
    };

    DbError prepare(const QString &sql, const QString &doing, Statement **statement);
    // Prepares `sql` under `name` ("" for the unnamed statement) and reads back how many values it takes.
    DbError prepareAndDescribe(const QByteArray &name, const QString &sql, const QString &doing, int *count);
    // The values as text (nullptr for NULL), once their count is the statement's.
    DbError parameters(const Statement &statement, const QVariantList &values, const QString &doing,
                       std::vector<QByteArray> *texts, std::vector<const char *> *pointers) const;
    DbError failure(pg_result *result, const QString &doing) const;
    pg_conn *connection() const;

    QSqlDatabase m_db;
    std::unordered_map<QString, std::unique_ptr<Statement>> m_statements;
    // parameterCount()'s answers for texts that are not among m_statements.
    std::unordered_map<QString, int> m_parameterCounts;
    // Counts the times the statements were all dropped (MaxStatements), which frees every Statement.
    quint64 m_generation = 0;
};

} // namespace beacon
