#include "cli/actioncommand.h"

#include "actions/actionengine.h"
#include "billing/billedaction.h"

#include <QCoreApplication>
#include <QJsonArray>

namespace beacon::cli {

using actions::ActionKind;
using actions::ActionRequest;

static QString tr(const char *text)
{
    return QCoreApplication::translate("beaconctl", text);
}

namespace {

DbError usage(const QString &text)
{
    return DbError::make(ErrorKind::Usage, text);
}

struct OptionInfo {
    ActionKind kind;
    QStringList options;
    const char *synopsis;
};

const QList<OptionInfo> &optionInfo()
{
    static const QList<OptionInfo> list = {
        {ActionKind::PlanChange,
         {QStringLiteral("workspace"), QStringLiteral("plan"), QStringLiteral("allow-over-quota"),
          QStringLiteral("proration"), QStringLiteral("proration-date"), QStringLiteral("stripe-key-file"),
          QStringLiteral("stripe-api-base")},
         QT_TRANSLATE_NOOP("beaconctl",
                           "--workspace ID --plan CODE [--allow-over-quota] [--proration "
                           "create|none|always-invoice] [--proration-date UNIX-SECONDS] (a "
                           "workspace billed through Stripe: STRIPE_API_KEY or --stripe-key-file "
                           "PATH)")},
        {ActionKind::MemberAdd,
         {QStringLiteral("workspace"), QStringLiteral("user"), QStringLiteral("role")},
         QT_TRANSLATE_NOOP("beaconctl", "--workspace ID --user ID-or-EMAIL --role ROLE")},
        {ActionKind::MemberRemove,
         {QStringLiteral("workspace"), QStringLiteral("user")},
         QT_TRANSLATE_NOOP("beaconctl", "--workspace ID --user ID")},
        {ActionKind::MemberRole,
         {QStringLiteral("workspace"), QStringLiteral("user"), QStringLiteral("role")},
         QT_TRANSLATE_NOOP("beaconctl", "--workspace ID --user ID --role ROLE")},
        {ActionKind::ProjectDelete,
         {QStringLiteral("project")},
         QT_TRANSLATE_NOOP("beaconctl", "--project ID")},
        {ActionKind::FileDelete, {QStringLiteral("file")}, QT_TRANSLATE_NOOP("beaconctl", "--file ID")},
        {ActionKind::QuotaRepair,
         {QStringLiteral("workspace")},
         QT_TRANSLATE_NOOP("beaconctl", "--workspace ID")},
        {ActionKind::ReadOnly,
         {QStringLiteral("workspace"), QStringLiteral("on"), QStringLiteral("off")},
         QT_TRANSLATE_NOOP("beaconctl", "--workspace ID --on or --off")},
        {ActionKind::UserMerge,
         {QStringLiteral("keep"), QStringLiteral("merge")},
         QT_TRANSLATE_NOOP("beaconctl", "--keep ID --merge ID")},
        {ActionKind::ExportsPurge,
         {QStringLiteral("older-than"), QStringLiteral("limit")},
         QT_TRANSLATE_NOOP("beaconctl", "--older-than DAYS [--limit N]")},
        {ActionKind::BillingSync,
         {QStringLiteral("workspace"), QStringLiteral("allow-over-quota"), QStringLiteral("stripe-key-file"),
          QStringLiteral("stripe-api-base")},
         QT_TRANSLATE_NOOP("beaconctl", "--workspace ID [--allow-over-quota] (Stripe key: STRIPE_API_KEY or "
                                        "--stripe-key-file PATH)")},
        {ActionKind::BillingLink,
         {QStringLiteral("workspace"), QStringLiteral("customer"), QStringLiteral("subscription")},
         QT_TRANSLATE_NOOP("beaconctl", "--workspace ID [--customer cus_...] [--subscription sub_...]")},
    };
    return list;
}

const QStringList &commonOptions()
{
    static const QStringList options = {QStringLiteral("reason"), QStringLiteral("action-id"),
                                        QStringLiteral("expect-version"), QStringLiteral("dry-run"),
                                        QStringLiteral("lock-timeout")};
    return options;
}

// A positive id, or a usage error naming the option.
DbError parseId(const QCommandLineParser &parser, const QString &option, std::optional<qint64> *id)
{
    if (!parser.isSet(option))
        return {};
    bool ok = false;
    const qint64 value = parser.value(option).trimmed().toLongLong(&ok);
    if (!ok || value <= 0)
        return usage(tr("--%1 takes a positive whole number, not \"%2\".").arg(option, parser.value(option)));
    *id = value;
    return {};
}

DbError parseCount(const QCommandLineParser &parser, const QString &option, int minimum, int *count)
{
    if (!parser.isSet(option))
        return {};
    bool ok = false;
    const int value = parser.value(option).trimmed().toInt(&ok);
    if (!ok || value < minimum)
        return usage(tr("--%1 takes a whole number of at least %2, not \"%3\".")
                         .arg(option)
                         .arg(minimum)
                         .arg(parser.value(option)));
    *count = value;
    return {};
}

QJsonObject fieldsOf(const actions::ActionResult &result)
{
    QJsonObject fields{
        {QStringLiteral("action"), actions::actionName(result.kind)},
        // null when no usable id was given (a malformed --action-id), never the nil UUID
        {QStringLiteral("action_id"), result.actionId.isNull()
                                          ? QJsonValue(QJsonValue::Null)
                                          : QJsonValue(result.actionId.toString(QUuid::WithoutBraces))},
        {QStringLiteral("outcome"), result.outcome()},
        {QStringLiteral("message"), result.error ? result.error.message : result.message},
        {QStringLiteral("before"), result.before},
        {QStringLiteral("after"), result.after},
        {QStringLiteral("dry_run"), result.dryRun},
        {QStringLiteral("attempts"), result.attempts}};
    if (!result.preview.isEmpty())
        fields.insert(QStringLiteral("preview"), result.preview);
    return fields;
}

} // namespace

QList<QCommandLineOption> actionOptions()
{
    return {
        {QStringLiteral("reason"),
         tr("actions: why (a ticket reference); required, at most %1 characters.")
             .arg(actions::MaxReasonLength),
         QStringLiteral("text")},
        {QStringLiteral("action-id"),
         tr("actions: this action's UUID, to retry it safely; without one, a new id is made and printed on "
            "stderr before the action starts."),
         QStringLiteral("uuid")},
        {QStringLiteral("expect-version"),
         tr("actions: stop with a conflict unless the workspace is at this version."), QStringLiteral("n")},
        {QStringLiteral("dry-run"), tr("actions: check and show what would change, then change nothing.")},
        {QStringLiteral("lock-timeout"), tr("actions: how long to wait for a lock (default 3000)."),
         QStringLiteral("ms")},
        {QStringLiteral("plan"), tr("plan-change: the new plan's code."), QStringLiteral("code")},
        {QStringLiteral("allow-over-quota"),
         tr("plan-change: go ahead over the quota, making it read-only.")},
        {QStringLiteral("proration"),
         tr("plan-change through Stripe: create (default), none or always-invoice."), QStringLiteral("how")},
        {QStringLiteral("proration-date"),
         tr("plan-change through Stripe: prorate from this moment (Unix seconds), the one --dry-run showed."),
         QStringLiteral("seconds")},
        {QStringLiteral("user"), tr("member actions: the user's id (member-add: or e-mail)."),
         QStringLiteral("user")},
        {QStringLiteral("role"), tr("member-add, member-role: owner, admin, member or viewer."),
         QStringLiteral("role")},
        {QStringLiteral("project"), tr("project-delete: the project's id."), QStringLiteral("id")},
        {QStringLiteral("file"), tr("file-delete: the file's id."), QStringLiteral("id")},
        {QStringLiteral("on"), tr("read-only: make the workspace read-only.")},
        {QStringLiteral("off"), tr("read-only: make the workspace writable.")},
        {QStringLiteral("keep"), tr("user-merge: the user to keep."), QStringLiteral("id")},
        {QStringLiteral("merge"), tr("user-merge: the duplicate to merge and disable."),
         QStringLiteral("id")},
        {QStringLiteral("older-than"), tr("exports-purge: expired more than this many days ago."),
         QStringLiteral("days")},
        {QStringLiteral("limit"), tr("exports-purge: exports per batch (default 1000)."),
         QStringLiteral("n")},
        {QStringLiteral("customer"), tr("billing-link: the Stripe customer id the row lost."),
         QStringLiteral("id")},
        {QStringLiteral("subscription"), tr("billing-link: the Stripe subscription id the row lost."),
         QStringLiteral("id")},
    };
}

QStringList actionOptionNames(ActionKind kind)
{
    QStringList common = commonOptions();
    // Only an action on one workspace has a version to expect.
    if (kind == ActionKind::UserMerge || kind == ActionKind::ExportsPurge)
        common.removeAll(QStringLiteral("expect-version"));
    for (const OptionInfo &info : optionInfo()) {
        if (info.kind == kind)
            return common + info.options;
    }
    return common;
}

QString actionSynopsis(ActionKind kind)
{
    for (const OptionInfo &info : optionInfo()) {
        if (info.kind == kind)
            return QCoreApplication::translate("beaconctl", info.synopsis) + QLatin1Char(' ') +
                   (actionOptionNames(kind).contains(QStringLiteral("expect-version"))
                        ? tr("--reason TEXT [--action-id UUID] [--expect-version N] [--dry-run] "
                             "[--lock-timeout MS]")
                        : tr("--reason TEXT [--action-id UUID] [--dry-run] [--lock-timeout MS]"));
    }
    return {};
}

DbError actionRequestFromOptions(ActionKind kind, const QCommandLineParser &parser, const QString &actor,
                                 ActionRequest *request)
{
    request->kind = kind;
    request->actor = actor;
    request->client = QStringLiteral("beaconctl");
    request->reason = parser.value(QStringLiteral("reason")).trimmed();
    if (parser.isSet(QStringLiteral("action-id"))) {
        const QString text = parser.value(QStringLiteral("action-id")).trimmed();
        request->actionId = QUuid::fromString(text);
        if (request->actionId.isNull())
            return usage(
                tr("--action-id takes a UUID such as 0b6f3b2e-6c1d-4e8e-9d5a-2f7f3c1a9e10, not \"%1\".")
                    .arg(text));
    }
    request->dryRun = parser.isSet(QStringLiteral("dry-run"));
    std::optional<qint64> version;
    if (DbError error = parseId(parser, QStringLiteral("expect-version"), &version))
        return error;
    request->expectVersion = version;
    if (DbError error = parseCount(parser, QStringLiteral("lock-timeout"), 1, &request->lockTimeoutMs))
        return error;
    for (const auto &[option, target] : {std::pair{QStringLiteral("workspace"), &request->workspaceId},
                                         std::pair{QStringLiteral("project"), &request->projectId},
                                         std::pair{QStringLiteral("file"), &request->fileId},
                                         std::pair{QStringLiteral("keep"), &request->keepUserId},
                                         std::pair{QStringLiteral("merge"), &request->mergeUserId}}) {
        if (DbError error = parseId(parser, option, target))
            return error;
    }
    if (parser.isSet(QStringLiteral("user"))) {
        const QString user = parser.value(QStringLiteral("user")).trimmed();
        if (kind == ActionKind::MemberAdd && user.contains(QLatin1Char('@')))
            request->userEmail = user;
        else if (DbError error = parseId(parser, QStringLiteral("user"), &request->userId))
            return kind == ActionKind::MemberAdd
                       ? usage(tr("--user takes a user's id or e-mail address, not \"%1\".").arg(user))
                       : error;
    }
    request->plan = parser.value(QStringLiteral("plan")).trimmed();
    request->role = parser.value(QStringLiteral("role")).trimmed();
    request->allowOverQuota = parser.isSet(QStringLiteral("allow-over-quota"));
    if (parser.isSet(QStringLiteral("proration")))
        request->proration = parser.value(QStringLiteral("proration")).trimmed();
    if (DbError error = parseId(parser, QStringLiteral("proration-date"), &request->prorationDate))
        return error;
    if (parser.isSet(QStringLiteral("on")) && parser.isSet(QStringLiteral("off")))
        return usage(tr("Give --on or --off, not both."));
    if (parser.isSet(QStringLiteral("on")) || parser.isSet(QStringLiteral("off")))
        request->readOnly = parser.isSet(QStringLiteral("on"));
    if (DbError error = parseCount(parser, QStringLiteral("older-than"), 0, &request->olderThanDays))
        return error;
    if (DbError error = parseCount(parser, QStringLiteral("limit"), 1, &request->limit))
        return error;
    request->stripeCustomerId = parser.value(QStringLiteral("customer")).trimmed();
    request->stripeSubscriptionId = parser.value(QStringLiteral("subscription")).trimmed();
    return actions::validate(*request);
}

ActionReport runActionCommand(const QSqlDatabase &db, const ActionRequest &request,
                              const std::optional<billing::StripeAccess> &stripe)
{
    const actions::ActionResult result = billing::runBilledAction(db, request, stripe);
    ActionReport report;
    report.fields = fieldsOf(result);
    report.text = result.error ? QString() : result.message;
    report.error = result.error;
    if (request.kind != ActionKind::ExportsPurge)
        return report;
    // exports-purge reports per batch; a dry run previews the first batch and purges nothing.
    if (request.dryRun) {
        report.fields.insert(QStringLiteral("before"), QJsonArray{result.before});
        report.fields.insert(QStringLiteral("after"), QJsonArray{result.after});
        report.fields.insert(QStringLiteral("batches"), 1);
        report.fields.insert(QStringLiteral("purged"), 0);
    } else {
        report.fields.insert(QStringLiteral("batches"), result.preview.value(QStringLiteral("batches")));
        report.fields.insert(QStringLiteral("purged"), result.preview.value(QStringLiteral("rows_affected")));
    }
    return report;
}

} // namespace beacon::cli
