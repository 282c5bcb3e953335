#include "actions/phasedaction.h"

#include "actions/enginetransaction.h"
#include "db/statementcache.h"

#include <QCoreApplication>
#include <QJsonDocument>

namespace beacon::actions {

static QString tr(const char *text)
{
    return QCoreApplication::translate("beacon::actions", text);
}

namespace {

QString idText(const ActionRequest &request)
{
    return request.actionId.toString(QUuid::WithoutBraces);
}

// Held for the whole run, across the outside calls: a session advisory lock on the action id, the key that
// every transaction of the same id also takes (beginAndFindApplied). It locks no row, and only another run
// of this very action waits on it: that one is refused at once, not queued behind a network call.
class RunClaim {
public:
    RunClaim(const QSqlDatabase &db, const ActionRequest &request)
        : m_db(db)
        , m_request(request)
    {}
    ~RunClaim()
    {
        if (m_held)
            StatementCache::of(m_db).exec(
                QStringLiteral("SELECT pg_advisory_unlock(hashtextextended($1, 0))"), {idText(m_request)},
                tr("Ending the run of the action"), nullptr);
    }
    RunClaim(const RunClaim &) = delete;
    RunClaim &operator=(const RunClaim &) = delete;

    DbError take()
    {
        StatementRows *rows = nullptr;
        if (DbError error = StatementCache::of(m_db).exec(
                QStringLiteral("SELECT pg_try_advisory_lock(hashtextextended($1, 0))"), {idText(m_request)},
                tr("Claiming the run of the action"), &rows))
            return error;
        m_held = rows->next() && rows->value(0).toBool();
        if (!m_held)
            return DbError::make(
                ErrorKind::Busy,
                tr("This action (id %1) is being run elsewhere right now. Wait for it to finish, then run it "
                   "again with the same id: that reports what happened, or goes on where it stopped.")
                    .arg(idText(m_request)));
        return {};
    }

private:
    const QSqlDatabase &m_db;
    const ActionRequest &m_request;
    bool m_held = false;
};

struct Recorded {
    int finished = 0;
    QJsonObject carried;
};

// The phases this action id has finished, checked against `phases`: an id used for another request or
// another sequence of phases is refused as a conflict, not resumed into the wrong one. Only records written
// by a login of a Beacon group are believed: anyone else who can insert into the table (its owner, a
// backend login given the grant by mistake) could otherwise make a run skip its checks or its Stripe call.
// Such a record stops the run, since the phase it claims cannot be recorded again under the same number.
DbError readRecorded(const QSqlDatabase &db, const ActionRequest &request, const QList<ActionPhase> &phases,
                     Recorded *recorded)
{
    StatementRows *rows = nullptr;
    if (DbError error = StatementCache::of(db).exec(
            QStringLiteral(
                "SELECT p.seq, p.action, p.phase, p.carried::text, p.db_user, EXISTS (SELECT FROM "
                "pg_catalog.pg_roles AS r WHERE r.rolname = p.db_user AND (pg_catalog.pg_has_role(r.oid, "
                "'beacon_support', 'MEMBER') OR pg_catalog.pg_has_role(r.oid, 'beacon_finance', 'MEMBER') "
                "OR pg_catalog.pg_has_role(r.oid, 'beacon_admin', 'MEMBER'))) FROM public.action_phases AS p "
                "WHERE p.action_id = CAST($1 AS uuid) ORDER BY p.seq"),
            {idText(request)}, tr("Reading the phases already done"), &rows))
        return error;
    const QString fingerprint = requestFingerprint(request);
    while (rows->next()) {
        const int seq = rows->value(0).toInt();
        const QString action = rows->value(1).toString();
        const QString phase = rows->value(2).toString();
        QJsonObject carried = QJsonDocument::fromJson(rows->value(3).toString().toUtf8()).object();
        const QString login = rows->value(4).toString();
        if (!rows->value(5).toBool())
            return DbError::make(
                ErrorKind::Conflict,
                tr("A record of phase %1 \"%2\" of action id %3 was written by the login %4, which is not in "
                   "a Beacon group, so it is not trusted, and nothing was run. Run the action with a new "
                   "action id, and tell an administrator: only the console's logins may write phase "
                   "records.")
                    .arg(seq)
                    .arg(phase, idText(request), login));
        const QJsonValue recordedFingerprint = carried.take(QLatin1String(detail::PhaseFingerprintKey));
        if (seq != recorded->finished || seq >= phases.size() || action != actionName(request.kind) ||
            phase != phases.at(seq).name ||
            (recordedFingerprint.isString() && recordedFingerprint.toString() != fingerprint))
            return detail::reusedIdConflict(request,
                                            tr("%1, phase %2 \"%3\"").arg(action).arg(seq).arg(phase), {});
        recorded->finished = seq + 1;
        recorded->carried = carried;
    }
    // The last phase records itself in the transaction that writes the audit row, and the audit row was not
    // found: the records say the action finished and the audit log says it did not.
    if (recorded->finished == phases.size())
        return DbError::make(
            ErrorKind::Internal,
            tr("Every phase of action id %1 is recorded as done, but its audit record is missing, so what it "
               "changed cannot be shown and nothing was run again. Report this to an administrator with the "
               "action id.")
                .arg(idText(request)));
    return {};
}

DbError checkPhases(const QList<ActionPhase> &phases)
{
    if (phases.isEmpty() || !phases.last().inDatabase)
        return DbError::make(ErrorKind::Internal,
                             tr("A phased action must end with a phase in the database, which writes the "
                                "audit record."));
    for (const ActionPhase &phase : phases) {
        if (phase.name.trimmed().isEmpty() || bool(phase.inDatabase) == bool(phase.outside))
            return DbError::make(ErrorKind::Internal,
                                 tr("Each phase needs a name and exactly one step, in the database or "
                                    "outside it."));
    }
    return {};
}

} // namespace

ActionResult runPhasedAction(const QSqlDatabase &db, const ActionRequest &request,
                             const QList<ActionPhase> &phases, const ActionHooks &hooks)
{
    ActionResult result;
    result.actionId = request.actionId;
    result.kind = request.kind;
    result.dryRun = request.dryRun;
    if ((result.error = validate(request)) || (result.error = checkPhases(phases)))
        return result;
    if (request.dryRun) {
        // The checks live in the first phase; nothing outside is called and nothing is recorded.
        if (!phases.first().inDatabase) {
            result.error = DbError::make(ErrorKind::Usage,
                                         tr("This action cannot be previewed: its first step is outside the "
                                            "database."));
            return result;
        }
        return detail::runTransaction(db, request, hooks,
                                      {phases.first().inDatabase, false, std::nullopt, nullptr});
    }

    RunClaim claim(db, request);
    if ((result.error = claim.take()))
        return result;
    bool applied = false;
    if ((result.error = detail::findApplied(db, request, &result, &applied)) || applied)
        return result;
    Recorded recorded;
    if ((result.error = readRecorded(db, request, phases, &recorded)))
        return result;

    QJsonObject carried = recorded.carried;
    for (int seq = recorded.finished; seq < phases.size(); ++seq) {
        const ActionPhase &phase = phases.at(seq);
        const bool last = seq == phases.size() - 1;
        const PhaseRecord record{seq, phase.name};
        if (phase.inDatabase) {
            result = detail::runTransaction(db, request, hooks, {phase.inDatabase, last, record, &carried});
            if (!result.ok() || result.alreadyApplied || last)
                break;
            continue;
        }
        // Outside: no transaction is open here, so no row is locked while the other service answers.
        if (DbError error = phase.outside(request, &carried)) {
            error.message += QLatin1Char(' ') +
                             tr("The steps before \"%1\" are recorded; run the action again with the same id "
                                "(%2) to go on from there.")
                                 .arg(phase.name, idText(request));
            result.error = error;
            break;
        }
        const ActionResult recordedOutside = detail::runTransaction(
            db, request, hooks, {[](ActionContext &) { return DbError(); }, false, record, &carried});
        if (!recordedOutside.ok()) {
            result = recordedOutside;
            break;
        }
    }
    result.actionId = request.actionId;
    result.preview.insert(QStringLiteral("phases"), int(phases.size()));
    return result;
}

} // namespace beacon::actions
