#pragma once

#include "db/connectionbudget.h"
#include "db/connectionspec.h"
#include "db/database.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QString>
#include <QTest>

#include <memory>

namespace beacon::test {

// A fresh database for one test, copied from the migrated template on the run's throwaway server (see
// tests/harness/testserver.cpp), and dropped again on destruction. Safe under `ctest -j2`: names are unique.
// There is no skipping: a test whose server is missing fails with the reason.
class TestDatabase {
public:
    enum class Contents { Migrated, Empty };
    // Migrated: a copy of the template at the current schema version. Empty: a bare database (template0),
    // for tests of migration and of the "unknown schema version" refusal.
    explicit TestDatabase(const QString &tag = QStringLiteral("t"), Contents contents = Contents::Migrated);
    ~TestDatabase();
    TestDatabase(const TestDatabase &) = delete;
    TestDatabase &operator=(const TestDatabase &) = delete;

    bool isValid() const { return m_error.isEmpty(); }
    QString errorText() const { return m_error; }
    QString name() const { return m_name; }

    // Superuser over the private unix socket unless another login role is named.
    ConnectionSpec spec(const QString &role = QStringLiteral("postgres")) const;
    // The same over TCP on 127.0.0.1, where the server demands TLS and a password.
    ConnectionSpec tcpSpec(const QString &role, const QString &password) const;
    // A window's worth of connections (superuser), as the console's models use them, made on first use
    // and closed before the database is dropped.
    ConnectionBudget *connections();
    // A superuser connection for the calling thread, opened on first use and kept until destruction.
    QSqlDatabase db();
    // Creates a login role that belongs to one group role (beacon_support, beacon_finance, beacon_admin),
    // dropped with this database. Returns the login's name.
    QString createLogin(const QString &groupRole, const QString &password = {});

    static QString clusterFolder();
    static QString socketFolder();
    static int tcpPort();

private:
    QString m_name;
    QString m_error;
    QStringList m_logins;
    std::unique_ptr<Connection> m_connection;
    std::unique_ptr<ConnectionBudget> m_connections;
};

// The ids of `users AS u` in the server's own order: the independent answer paging and models are checked
// against. The clauses are the test's own fixed text.
QList<qint64> userIdsInServerOrder(const QSqlDatabase &db, const QString &orderBy,
                                   const QString &where = QStringLiteral("TRUE"));

// Another session holding `table` in ACCESS EXCLUSIVE mode until release() or destruction, so that any
// query of it waits on the server: the way to make a query slow on purpose, to test that it is cancelled.
class TableLock {
public:
    TableLock(const ConnectionSpec &spec, const QString &table);
    ~TableLock() { release(); }
    TableLock(const TableLock &) = delete;
    TableLock &operator=(const TableLock &) = delete;
    bool isHeld() const { return m_held; }
    void release();

private:
    std::unique_ptr<Connection> m_connection;
    bool m_held = false;
};

} // namespace beacon::test

// QVERIFY for a QSqlQuery call that prints the server's error when it fails.
#define QVERIFY_SQL(query, call) QVERIFY2((query).call, qPrintable((query).lastError().text()))
// Fails the test with the harness's reason when its database could not be made.
#define QVERIFY_TESTDB(testDatabase)                                                                         \
    QVERIFY2((testDatabase).isValid(), qPrintable((testDatabase).errorText()))
