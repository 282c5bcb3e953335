#include "db/statementcache.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QDateTime>
#include <QMutex>
#include <QSqlDriver>
#include <QSqlError>
#include <QUuid>

#include <libpq-fe.h>

#include <map>
#include <vector>

namespace beacon {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::StatementCache", text);
}

// The engine's statements are a fixed set of a few dozen; a cache past this size means statements built
// at run time, which must not pile up on the server, so it starts again.
static constexpr std::size_t MaxStatements = 128;

// Column types by their PostgreSQL oid (pg_type.h), for the QVariant a value comes back as.
namespace oid {
constexpr Oid Bool = 16;
constexpr Oid Int8 = 20;
constexpr Oid Int2 = 21;
constexpr Oid Int4 = 23;
constexpr Oid Float4 = 700;
constexpr Oid Float8 = 701;
} // namespace oid

namespace {

struct Registry {
    QMutex mutex;
    std::map<QString, std::unique_ptr<StatementCache>> caches;
};

Registry &registry()
{
    static Registry instance;
    return instance;
}

// Statement names come from one counter for the process, not one per cache: a cache made again for a
// connection that stays open (after release()) must not reuse a name its predecessor left on the server.
QAtomicInteger<quint64> nextStatementName{1};

// A bound value as the text PostgreSQL reads for a parameter of any type; false if it has no text form.
bool parameterText(const QVariant &value, QByteArray *text, bool *isNull)
{
    *isNull = value.isNull();
    if (*isNull)
        return true;
    switch (value.typeId()) {
    case QMetaType::Bool:
        *text = value.toBool() ? QByteArrayLiteral("t") : QByteArrayLiteral("f");
        return true;
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::ULong:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
        *text = value.toByteArray();
        return true;
    case QMetaType::Double:
    case QMetaType::Float:
        *text = QByteArray::number(value.toDouble(), 'g', 17);
        return true;
    case QMetaType::QUuid:
        *text = value.toUuid().toByteArray(QUuid::WithoutBraces);
        return true;
    case QMetaType::QDateTime:
        *text = value.toDateTime().toUTC().toString(Qt::ISODateWithMs).toUtf8();
        return true;
    case QMetaType::QString:
        *text = value.toString().toUtf8();
        return true;
    case QMetaType::QByteArray:
        *text = value.toByteArray();
        return true;
    default:
        return false;
    }
}

} // namespace

namespace {

DbError closedConnection(const QString &doing)
{
    return DbError::make(
        ErrorKind::Unavailable,
        tr("%1: the connection to the database is closed. Reconnect, then try again.").arg(doing));
}

// PostgreSQL answers COMMIT of an aborted transaction without an error, with the command tag ROLLBACK:
// nothing was saved, and that must never read as success.
bool commitRolledBack(const char *command, PGresult *result)
{
    return command && result && qstrnicmp(command, "COMMIT", 6) == 0 &&
           qstrcmp(PQcmdStatus(result), "ROLLBACK") == 0;
}

DbError rolledBackAtCommit(const QString &doing)
{
    return DbError::make(ErrorKind::Internal,
                         tr("%1: the database rolled the transaction back instead of committing it, because "
                            "a statement in it had failed. Nothing of it was saved; try again, and report it "
                            "if it happens again.")
                             .arg(doing),
                         QStringLiteral("COMMIT answered with the command tag ROLLBACK"));
}

// Reads and frees what is left of a pipeline up to its sync point, so that the connection leaves pipeline
// mode clean whichever statement failed.
PGresult *skipToPipelineSync(PGconn *conn)
{
    // Returns the first error met on the way, for the caller to report and clear: a session the server
    // ended after the last statement's result (pg_terminate_backend, 57P01) says so only here.
    PGresult *firstError = nullptr;
    while (PGresult *result = PQgetResult(conn)) {
        const ExecStatusType status = PQresultStatus(result);
        if (status == PGRES_FATAL_ERROR && !firstError) {
            firstError = result;
            continue;
        }
        PQclear(result);
        if (status == PGRES_PIPELINE_SYNC)
            break;
    }
    return firstError;
}

} // namespace

StatementRows::~StatementRows()
{
    reset(nullptr);
}

void StatementRows::reset(pg_result *result)
{
    if (m_result)
        PQclear(m_result);
    m_result = result;
    m_rows = result ? PQntuples(result) : 0;
    m_row = -1;
}

bool StatementRows::next()
{
    if (m_row + 1 >= m_rows)
        return false;
    ++m_row;
    return true;
}

QVariant StatementRows::value(int column) const
{
    if (!m_result || m_row < 0 || m_row >= m_rows || column < 0 || column >= PQnfields(m_result) ||
        PQgetisnull(m_result, m_row, column))
        return {};
    const char *text = PQgetvalue(m_result, m_row, column);
    switch (PQftype(m_result, column)) {
    case oid::Bool:
        return QVariant(text[0] == 't');
    case oid::Int2:
    case oid::Int4:
    case oid::Int8:
        return QVariant(QByteArray(text).toLongLong());
    case oid::Float4:
    case oid::Float8:
        return QVariant(QByteArray(text).toDouble());
    default:
        return QVariant(QString::fromUtf8(text, PQgetlength(m_result, m_row, column)));
    }
}

qint64 StatementRows::rowsAffected() const
{
    return m_result ? QByteArray(PQcmdTuples(m_result)).toLongLong() : 0;
}

StatementCache::StatementCache(QSqlDatabase db)
    : m_db(std::move(db))
{}

StatementCache::~StatementCache() = default;

StatementCache &StatementCache::of(const QSqlDatabase &db)
{
    Registry &all = registry();
    const QMutexLocker lock(&all.mutex);
    std::unique_ptr<StatementCache> &cache = all.caches[db.connectionName()];
    if (!cache)
        cache.reset(new StatementCache(db));
    return *cache;
}

void StatementCache::release(const QString &connectionName)
{
    const QMutexLocker lock(&registry().mutex);
    registry().caches.erase(connectionName);
}

pg_conn *StatementCache::connection() const
{
    // QPSQL's documented way to reach its libpq connection: the driver's handle holds a PGconn*.
    const QVariant handle = m_db.driver() ? m_db.driver()->handle() : QVariant();
    // Qt 6 names the type as the compiler spells it (pg_conn*); Qt 5 used the typedef's name.
    if (!handle.isValid() ||
        (qstrcmp(handle.typeName(), "PGconn*") != 0 && qstrcmp(handle.typeName(), "pg_conn*") != 0)) {
        qWarning("StatementCache: unexpected QPSQL handle type %s", handle.typeName());
        return nullptr;
    }
    return *static_cast<PGconn *const *>(handle.constData());
}

DbError StatementCache::failure(pg_result *result, const QString &doing) const
{
    PGconn *conn = connection();
    const bool lost = !conn || PQstatus(conn) != CONNECTION_OK;
    const QString sqlState =
        result ? QString::fromLatin1(PQresultErrorField(result, PG_DIAG_SQLSTATE)) : QString();
    QString text = result ? QString::fromUtf8(PQresultErrorMessage(result)).trimmed() : QString();
    if (text.isEmpty() && conn)
        text = QString::fromUtf8(PQerrorMessage(conn)).trimmed();
    const QSqlError error(tr("The database refused a statement."), text,
                          lost ? QSqlError::ConnectionError : QSqlError::StatementError, sqlState);
    return DbError::fromSql(error, doing);
}

DbError StatementCache::prepare(const QString &sql, const QString &doing, Statement **statement)
{
    if (const auto found = m_statements.find(sql); found != m_statements.end()) {
        *statement = found->second.get();
        return {};
    }
    PGconn *conn = connection();
    if (!conn)
        return closedConnection(doing);
    if (m_statements.size() >= MaxStatements) {
        // Freed by name, a name this cache made up; outside an aborted transaction this succeeds, and
        // inside one the statement stays until the session ends, which is bounded by this limit.
        for (const auto &[text, old] : m_statements)
            PQclear(PQexec(conn, QByteArray("DEALLOCATE " + old->name).constData()));
        m_statements.clear();
        m_parameterCounts.clear();
        ++m_generation;
    }
    auto made = std::make_unique<Statement>();
    made->name = "beacon_stmt_" + QByteArray::number(nextStatementName.fetchAndAddRelaxed(1));
    if (DbError error = prepareAndDescribe(made->name, sql, doing, &made->parameterCount))
        return error;
    *statement = made.get();
    m_statements.emplace(sql, std::move(made));
    return {};
}

DbError StatementCache::prepareAndDescribe(const QByteArray &name, const QString &sql, const QString &doing,
                                           int *count)
{
    PGconn *conn = connection();
    if (!conn)
        return closedConnection(doing);
    // Prepared and described in one round trip: only the description says how many values the statement
    // takes, and counting the $n in the text here would mean parsing SQL (comments, E'' strings, $$ bodies).
    if (!PQenterPipelineMode(conn))
        return failure(nullptr, doing);
    const QByteArray text = sql.toUtf8();
    const bool sent = PQsendPrepare(conn, name.constData(), text.constData(), 0, nullptr) &&
                      PQsendDescribePrepared(conn, name.constData()) && PQpipelineSync(conn) &&
                      PQflush(conn) == 0;
    DbError error = sent ? DbError() : failure(nullptr, doing);
    // Every result is read up to the sync point, whatever happened, so that the connection leaves pipeline
    // mode idle; after a failed prepare the description is skipped by the server.
    for (int step = 0; sent && step < 2; ++step) {
        PGresult *result = PQgetResult(conn);
        const bool ok = result && PQresultStatus(result) == PGRES_COMMAND_OK;
        if (!error && !ok)
            error = failure(result, doing);
        else if (!error && step == 1)
            *count = PQnparams(result);
        PQclear(result);
        if (result)
            PQclear(PQgetResult(conn)); // the null that ends each statement's results
    }
    if (PGresult *late = sent ? skipToPipelineSync(conn) : nullptr) {
        if (!error)
            error = failure(late, doing);
        PQclear(late);
    }
    if (!PQexitPipelineMode(conn) && !error)
        error = failure(nullptr, doing);
    return error;
}

DbError StatementCache::parameterCount(const QString &sql, const QString &doing, int *count)
{
    if (const auto found = m_statements.find(sql); found != m_statements.end()) {
        *count = found->second->parameterCount;
        return {};
    }
    if (const auto found = m_parameterCounts.find(sql); found != m_parameterCounts.end()) {
        *count = found->second;
        return {};
    }
    if (m_parameterCounts.size() >= MaxStatements)
        m_parameterCounts.clear();
    if (DbError error = prepareAndDescribe(QByteArray(), sql, doing, count))
        return error;
    m_parameterCounts.emplace(sql, *count);
    return {};
}

DbError StatementCache::command(const char *sql, const QString &doing)
{
    PGconn *conn = connection();
    if (!conn)
        return closedConnection(doing);
    PGresult *result = PQexec(conn, sql);
    const bool ok = result && PQresultStatus(result) == PGRES_COMMAND_OK;
    const DbError error = !ok                             ? failure(result, doing)
                          : commitRolledBack(sql, result) ? rolledBackAtCommit(doing)
                                                          : DbError();
    PQclear(result);
    return error;
}

DbError StatementCache::parameters(const Statement &statement, const QVariantList &values,
                                   const QString &doing, std::vector<QByteArray> *texts,
                                   std::vector<const char *> *pointers) const
{
    if (values.size() != statement.parameterCount)
        return DbError::make(ErrorKind::Internal,
                             tr("%1: the statement takes %2 values, but %3 were given, so nothing was run. "
                                "This is a fault in the program; report it.")
                                 .arg(doing)
                                 .arg(statement.parameterCount)
                                 .arg(values.size()));
    const auto count = static_cast<std::size_t>(values.size());
    texts->assign(count, QByteArray());
    pointers->assign(count, nullptr);
    for (std::size_t i = 0; i < count; ++i) {
        const QVariant &value = values.at(qsizetype(i));
        bool isNull = false;
        if (!parameterText(value, &(*texts)[i], &isNull))
            return DbError::make(ErrorKind::Internal,
                                 tr("%1: the value for $%2 has a type (%3) that cannot be sent.")
                                     .arg(doing)
                                     .arg(i + 1)
                                     .arg(QString::fromLatin1(value.typeName())));
        if (!isNull)
            (*pointers)[i] = (*texts)[i].constData();
    }
    return {};
}

DbError StatementCache::exec(const QString &sql, const QVariantList &values, const QString &doing,
                             StatementRows **rows)
{
    Statement *statement = nullptr;
    if (DbError error = prepare(sql, doing, &statement))
        return error;
    std::vector<QByteArray> texts;
    std::vector<const char *> pointers;
    if (DbError error = parameters(*statement, values, doing, &texts, &pointers))
        return error;
    PGresult *result = PQexecPrepared(connection(), statement->name.constData(), int(pointers.size()),
                                      pointers.data(), nullptr, nullptr, 0);
    const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        const DbError error = failure(result, doing);
        PQclear(result);
        statement->rows.reset(nullptr);
        return error;
    }
    statement->rows.reset(result);
    if (rows)
        *rows = &statement->rows;
    return {};
}

DbError StatementCache::execThenCommit(const QString &sql, const QVariantList &values, const QString &doing,
                                       const QString &committing)
{
    return pipeline({{nullptr, sql, values, doing, nullptr}, {"COMMIT", {}, {}, committing, nullptr}});
}

DbError StatementCache::pipeline(const std::vector<PipelinedStatement> &statements)
{
    if (statements.empty())
        return {};
    // One statement needs no pipeline: exec() is the same round trip without entering pipeline mode.
    if (statements.size() == 1 && !statements.front().command) {
        const PipelinedStatement &only = statements.front();
        return exec(only.sql, only.values, only.doing, only.rows);
    }
    struct Bound {
        Statement *statement = nullptr;
        std::vector<QByteArray> texts;
        std::vector<const char *> pointers;
    };
    std::vector<Bound> bound(statements.size());
    // Prepared before the pipeline starts, one round trip each the first time only. Preparing one may
    // drop them all (MaxStatements), and with them the ones found before, so that is done again; after a
    // drop there is room for any pipeline.
    for (int pass = 0; pass < 2; ++pass) {
        const quint64 generation = m_generation;
        for (std::size_t i = 0; i < statements.size(); ++i) {
            const PipelinedStatement &step = statements[i];
            if (step.command)
                continue;
            if (DbError error = prepare(step.sql, step.doing, &bound[i].statement))
                return error;
        }
        if (generation == m_generation)
            break;
    }
    for (std::size_t i = 0; i < statements.size(); ++i) {
        const PipelinedStatement &step = statements[i];
        if (step.command)
            continue;
        for (std::size_t j = 0; j < i; ++j) {
            if ((step.rows || statements[j].rows) && bound[j].statement == bound[i].statement)
                return DbError::make(ErrorKind::Internal,
                                     tr("%1: the same statement is in one pipeline twice with its rows "
                                        "wanted, and the second result would hide the first.")
                                         .arg(step.doing));
        }
        if (DbError error =
                parameters(*bound[i].statement, step.values, step.doing, &bound[i].texts, &bound[i].pointers))
            return error;
    }
    const QString &firstDoing = statements.front().doing;
    PGconn *conn = connection();
    if (!conn)
        return closedConnection(firstDoing);
    if (!PQenterPipelineMode(conn))
        return failure(nullptr, firstDoing);
    bool sent = true;
    for (std::size_t i = 0; sent && i < statements.size(); ++i) {
        const PipelinedStatement &step = statements[i];
        const Bound &values = bound[i];
        sent = step.command ? PQsendQueryParams(conn, step.command, 0, nullptr, nullptr, nullptr, nullptr, 0)
                            : PQsendQueryPrepared(conn, values.statement->name.constData(),
                                                  int(values.pointers.size()), values.pointers.data(),
                                                  nullptr, nullptr, 0);
    }
    sent = sent && PQpipelineSync(conn) && PQflush(conn) == 0;
    DbError error = sent ? DbError() : failure(nullptr, firstDoing);
    // Every result is read, up to the sync point, whatever happened: the connection must leave pipeline
    // mode idle. The first failure is the one reported; the server skips what follows a failure.
    for (std::size_t i = 0; sent && i < statements.size(); ++i) {
        const PipelinedStatement &step = statements[i];
        PGresult *result = PQgetResult(conn);
        const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
        const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
        if (!error && !ok)
            error = failure(result, step.doing);
        else if (!error && commitRolledBack(step.command, result))
            error = rolledBackAtCommit(step.doing);
        Statement *statement = bound[i].statement;
        if (statement && ok && !error) {
            // Kept as exec() keeps it, until the statement runs again.
            statement->rows.reset(result);
            if (step.rows)
                *step.rows = &statement->rows;
        } else {
            if (statement)
                statement->rows.reset(nullptr);
            PQclear(result);
        }
        if (result)
            PQclear(PQgetResult(conn)); // the null that ends each statement's results
    }
    if (PGresult *late = sent ? skipToPipelineSync(conn) : nullptr) {
        if (!error)
            error = failure(late, statements.back().doing);
        PQclear(late);
    }
    if (!PQexitPipelineMode(conn) && !error)
        error = failure(nullptr, statements.back().doing);
    return error;
}

} // namespace beacon
