#pragma once

#include "db/dberror.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>
#include <QUuid>

#include <optional>

namespace beacon::actions {

// Every change the console makes is one of these, run by runAction() as one short transaction.
enum class ActionKind {
    PlanChange,
    MemberAdd,
    MemberRemove,
    MemberRole,
    ProjectDelete,
    FileDelete,
    QuotaRepair,
    ReadOnly,
    UserMerge,
    ExportsPurge,
    BillingLink,
    BillingSync,
};

// The name used on the command line and in the audit log, e.g. "plan-change".
QString actionName(ActionKind kind);
std::optional<ActionKind> actionFromName(const QString &name);
QList<ActionKind> allActions();
// The Beacon group roles whose grants allow this action (0002_roles.sql), for "denied" messages and for
// switching actions off in the GUI.
QStringList rolesAllowedFor(ActionKind kind);
// Actions that delete or cut off access: the GUI asks for the workspace slug to be typed.
bool isDestructive(ActionKind kind);

// How an action is put to a person, written once for the console and anything else that shows it. Plain
// text, translated (context "beacon::actions::ActionText"), without keyboard mnemonics.
struct ActionText {
    QString title;        // "Change plan"
    QString introduction; // what it does and when it is refused, in a sentence or two
    // What confirms it, with %1 to fill in. A destructive action (isDestructive()) asks for something to be
    // typed, and %1 is that text: the workspace's slug, the duplicate's id (user-merge), or the number of
    // exports (exports-purge). Any other action asks a question, and %1 is the workspace's id.
    QString confirmation;
    // The tables it changes, the audit log among them: what must be read again after it.
    QStringList tablesAffected;
};
ActionText actionText(ActionKind kind);

// The membership roles, strongest first.
const QStringList &memberRoles();

// A subscription as Stripe answered for it (billing-sync), read by the command just before the action runs:
// never typed by a person.
struct StripeSubscriptionState {
    QString subscriptionId;
    QString status;
    std::optional<qint64> currentPeriodEnd; // Unix seconds
    QString priceId;
    QString requestId; // Stripe's Request-Id of the answer, recorded in the audit row
};

struct ActionRequest {
    ActionKind kind = ActionKind::QuotaRepair;
    // Chosen by the caller before it acts, so that a retry after a lost connection is recognised.
    QUuid actionId = QUuid::createUuid();
    QString actor;  // the person at the console, recorded beside the database login
    QString reason; // required: a ticket reference or a sentence
    QString client; // "beaconctl" or "beacon-admin", recorded with the version
    bool dryRun = false;
    // The workspace version the person saw; the action stops with a conflict if the row has moved on.
    std::optional<qint64> expectVersion;
    int lockTimeoutMs = 3000;
    int statementTimeoutMs = 30000;

    // What the action works on; which ones are needed depends on the kind (see validate()).
    std::optional<qint64> workspaceId;
    std::optional<qint64> userId;
    QString userEmail; // member-add may name the user by e-mail instead of id
    std::optional<qint64> projectId;
    std::optional<qint64> fileId;
    std::optional<qint64> keepUserId;
    std::optional<qint64> mergeUserId;
    QString plan;
    QString role;
    bool allowOverQuota = false;
    std::optional<bool> readOnly;
    int olderThanDays = -1;
    int limit = 1000;
    // billing-link: the Stripe ids the workspace's row lost (either or both), as reconciliation found them.
    QString stripeCustomerId;
    QString stripeSubscriptionId;
    // billing-sync: what Stripe holds for the subscription the row names.
    std::optional<StripeSubscriptionState> stripeSubscription;
    // plan-change on a workspace that pays through Stripe: how the change is prorated ("create", "none" or
    // "always-invoice", Stripe's create_prorations, none and always_invoice), and the moment it is prorated
    // from (Unix seconds): the one the preview showed, so that the charge applied is the charge previewed.
    // Without one, the run picks the moment it starts and records it with its first phase.
    QString proration = QStringLiteral("create");
    std::optional<qint64> prorationDate;
};

// The proration choices of plan-change, as given on the command line, and Stripe's name for each.
const QStringList &prorationChoices();
QString stripeProrationBehavior(const QString &proration);

// What the request asks the action to do, for the audit row: the target and the options, without the person,
// the reason, the timeouts or what was read from Stripe. An action id used again must come with the same
// parameters (as Stripe's idempotency keys must); otherwise the engine refuses it as a conflict.
QJsonObject requestParameters(const ActionRequest &request);
// The SHA-256 (hex) of the action's name and requestParameters() in one canonical JSON text (keys sorted,
// compact): recorded with the audit row and with each phase, and compared when an action id comes again.
QString requestFingerprint(const ActionRequest &request);

// The longest actor and reason accepted, in characters (UTF-16 code units, as QString counts them): checked
// before anything is sent, so that a reason pasted by mistake (a whole log) is refused, not stored.
inline constexpr int MaxActorLength = 200;
inline constexpr int MaxReasonLength = 2000;

// Malformed input (no reason, a missing option, an unknown role, a text with a NUL character, an actor or a
// reason longer than the limits above): refused before any database work, as ErrorKind::Usage. Empty when
// the request is well formed.
DbError validate(const ActionRequest &request);

// What happened. `error` carries refused, busy, conflict, denied, unavailable or an internal error; without
// one the action was applied, already applied earlier (the same action id), or previewed (dryRun).
struct ActionResult {
    QUuid actionId;
    ActionKind kind = ActionKind::QuotaRepair;
    DbError error;
    bool alreadyApplied = false;
    bool dryRun = false;
    QString message;     // what was done, or would be done, in words
    QJsonValue before;   // the rows changed, as they were
    QJsonValue after;    // and as they are now (null where a row was deleted)
    QJsonObject preview; // rows affected, bytes freed, members before and after, new limits
    int attempts = 0;    // how many transactions it took (deadlocks and serialization failures are retried)

    bool ok() const { return !error.isError(); }
    // applied, already-applied, refused, busy, conflict, denied, unavailable or error.
    QString outcome() const;
    int exitCode() const { return error.exitCode(); }
};

} // namespace beacon::actions
