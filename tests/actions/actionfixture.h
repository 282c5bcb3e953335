#pragma once

// A small, fully known data set for the admin action tests, seeded into a fresh copy of the migrated
// template, and the checks every action test makes: what the tables hold, and what the audit log says.

#include "testdatabase.h"

#include "actions/action.h"
#include "actions/actionengine.h"
#include "db/database.h"

#include <QJsonObject>
#include <QSqlDatabase>
#include <QVariantMap>

#include <memory>
#include <optional>

namespace beacon::test {

// The seeded rows, by id. Members per workspace (role):
//   1 Roomy    team     ada owner, bob admin, cy member, dee viewer, ada2 member   (5 of 25; 3,500 bytes)
//   2 Crowded  free     ada owner, bob member, cy viewer                           (3 of 3: full)
//   3 Heavy    starter  ada owner, bob member                                      (5 GiB of 10 GiB)
//   4 Drifted  team     dee owner, ada viewer, ada2 admin     (counter says 9,999 bytes, files hold 1,500)
//   5 Shared   team     ada owner, eve owner, bob member
//   6 Solo     free     ada2 owner                              (read-only)
// ada2 (6) is ada's duplicate (ADA@example.test), gone (7) is disabled, fay (8) belongs nowhere.
namespace seeded {
inline constexpr qint64 Ada = 1;
inline constexpr qint64 Bob = 2;
inline constexpr qint64 Cy = 3;
inline constexpr qint64 Dee = 4;
inline constexpr qint64 Eve = 5;
inline constexpr qint64 AdaDuplicate = 6;
inline constexpr qint64 Gone = 7;
inline constexpr qint64 Fay = 8;
inline constexpr qint64 NoSuchUser = 999;

inline constexpr qint64 Roomy = 1;
inline constexpr qint64 Crowded = 2;
inline constexpr qint64 Heavy = 3;
inline constexpr qint64 Drifted = 4;
inline constexpr qint64 Shared = 5;
inline constexpr qint64 Solo = 6;
inline constexpr qint64 NoSuchWorkspace = 999;

inline constexpr qint64 LaunchProject = 10;  // Roomy: files 100 (1,000 bytes) and 101 (2,000 bytes)
inline constexpr qint64 ArchiveProject = 11; // Roomy: file 110 (500 bytes)
inline constexpr qint64 MediaProject = 30;   // Heavy: file 300 (5 GiB)
inline constexpr qint64 DocsProject = 40;    // Drifted: files 400 (1,000) and 401 (500)
inline constexpr qint64 EmptyProject = 50;   // Shared: no files
inline constexpr qint64 PlanFile = 100;
inline constexpr qint64 DeckFile = 101;
inline constexpr qint64 OldZipFile = 110;
inline constexpr qint64 NoSuchProject = 999;
inline constexpr qint64 NoSuchFile = 999;

inline constexpr qint64 RoomyBytes = 3500;
inline constexpr qint64 GiB = 1024LL * 1024 * 1024;

// Exports 1 to 5 expired 40 days ago (100 to 500 bytes), 6 expired yesterday, 7 expires in five days, 8 was
// purged long ago.
inline constexpr int LongExpiredExports = 5;
} // namespace seeded

// A request as a person at the console would make it, with an actor, a reason and a fresh action id.
actions::ActionRequest actionRequest(actions::ActionKind kind);

class ActionFixture {
public:
    explicit ActionFixture(const QString &tag);

    bool isValid() const { return m_error.isEmpty() && m_database->isValid(); }
    QString errorText() const { return m_error.isEmpty() ? m_database->errorText() : m_error; }

    TestDatabase &database() { return *m_database; }
    // The superuser connection the actions run on, and the checks read through.
    QSqlDatabase db() { return m_database->db(); }
    // A connection URI for beaconctl, as the superuser or as another login.
    QString uri(const QString &role = QStringLiteral("postgres")) const;
    // Another session of the same database, on its own connection, for holding locks against the engine or
    // changing rows behind its back; null (and a warning) when it cannot connect.
    std::unique_ptr<Connection> otherSession(const QString &purpose);

    // One value of a query with bound values; an invalid QVariant (and a warning) when it fails.
    QVariant value(const QString &sql, const QVariantMap &values = {});
    // The query's first column (a jsonb document) of its first row, parsed.
    QJsonObject object(const QString &sql, const QVariantMap &values = {});
    // Runs a statement; false (and a warning) when it fails.
    bool exec(const QString &sql, const QVariantMap &values = {});

    qint64 auditCount();
    // The newest audit row, as to_jsonb() gives it.
    QJsonObject lastAudit();
    // Every row of every table an action may touch, in key order: equal before and after means nothing
    // changed, version numbers and timestamps included.
    QString snapshot();

    QString role(qint64 workspace, qint64 user);
    qint64 storageUsed(qint64 workspace);
    qint64 version(qint64 workspace);

private:
    std::unique_ptr<TestDatabase> m_database;
    QString m_error;
};

// Empty when `audit` records `request` and its `result` as the contract says (action, action id, actor,
// reason, target, workspace, the before and after the result reported, the client); otherwise what differs.
QString auditMismatch(const QJsonObject &audit, const actions::ActionRequest &request,
                      const actions::ActionResult &result, const QString &targetType, const QString &targetId,
                      std::optional<qint64> workspace);

// Runs `request`, which must fail with `kind` and a message containing `words`, and leave every table and
// the audit log as they were. Returns what went otherwise, empty when all is as expected.
QString runExpectingFailure(ActionFixture &fixture, const actions::ActionRequest &request, ErrorKind kind,
                            const QString &words, const actions::ActionHooks &hooks = {});

// Words for a failed action in QVERIFY2 messages.
QString describe(const actions::ActionResult &result);

} // namespace beacon::test

Q_DECLARE_METATYPE(beacon::actions::ActionRequest)
Q_DECLARE_METATYPE(beacon::ErrorKind)

// Fails the test with the fixture's reason when its database could not be made or seeded.
#define QVERIFY_FIXTURE(fixture) QVERIFY2((fixture).isValid(), qPrintable((fixture).errorText()))
// Fails the test when an action did not succeed, with what it reported.
#define QVERIFY_APPLIED(result) QVERIFY2((result).ok(), qPrintable(beacon::test::describe(result)))
