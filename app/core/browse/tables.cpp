#include "browse/tables.h"

namespace beacon::browse {

namespace {

// Workspaces, Subscriptions and Quotas are three views of the same rows: one FROM, one id, one search, one
// change channel, and these shared columns.
Column plainColumn(const char *name, const char *expression, KeyType type, bool nullable = false)
{
    return {QLatin1String(name), QLatin1String(expression), type, false, nullable, {}};
}

// A column that sorts: only where an index on (expression, id), or on (scope, expression, id) for a table
// always read within one scope, makes a page cheap. `attribute` is the column whose statistics place a jump.
Column indexedColumn(const char *name, const char *expression, KeyType type, const char *attribute)
{
    return {QLatin1String(name), QLatin1String(expression), type, true, false, QLatin1String(attribute)};
}

TableDefinition workspaceView(QList<Column> columns)
{
    return {.relation = QStringLiteral("public.workspaces"),
            .from = QStringLiteral("public.workspaces AS w JOIN public.plans AS p ON p.code = w.plan"),
            .id = QStringLiteral("w.id"),
            .columns = std::move(columns),
            .searchable = {QStringLiteral("w.name"), QStringLiteral("w.slug")},
            .searchIndexedByAlnumTrigrams = true,
            .changeChannel = QStringLiteral("beacon_workspace_changed")};
}

Column workspaceId(const char *name)
{
    return {QLatin1String(name), QStringLiteral("w.id"), KeyType::BigInt, false, false, {}};
}
Column workspaceName()
{
    return {QStringLiteral("name"), QStringLiteral("w.name"), KeyType::Text, true, false,
            QStringLiteral("name")};
}
Column workspacePlan()
{
    return {QStringLiteral("plan"), QStringLiteral("w.plan"), KeyType::Text, true, false,
            QStringLiteral("plan")};
}
Column memberCount()
{
    return plainColumn("members",
                       "(SELECT count(*) FROM public.memberships AS m WHERE m.workspace_id = w.id)",
                       KeyType::BigInt);
}

// The Subscriptions table and the workspace detail pane's Subscription tab show the same columns.
QList<Column> subscriptionColumns()
{
    return {
        workspaceId("workspace"),
        workspaceName(),
        workspacePlan(),
        plainColumn("monthly_price", "round(p.monthly_price_cents / 100.0, 2)", KeyType::Numeric),
        plainColumn("status", "w.subscription_status", KeyType::Text, true),
        plainColumn("stripe_customer", "w.stripe_customer_id", KeyType::Text, true),
        plainColumn("stripe_subscription", "w.stripe_subscription_id", KeyType::Text, true),
        plainColumn("period_end", "w.current_period_end", KeyType::Timestamp, true),
        plainColumn("read_only", "w.read_only", KeyType::Boolean),
        plainColumn("mismatch",
                    "coalesce((w.subscription_status = 'canceled' AND NOT w.read_only) OR "
                    "(w.subscription_status = 'active' AND w.read_only), false)",
                    KeyType::Boolean),
    };
}

// ai_usage has an index on (workspace_id, created_at, id) and one on (user_id, created_at, id): within one
// workspace or one user, a page by time is an index range.
Column usageCreated()
{
    return indexedColumn("created", "a.created_at", KeyType::Timestamp, "created_at");
}

QList<Column> usageMeasures()
{
    return {
        plainColumn("provider", "a.provider", KeyType::Text),
        plainColumn("model", "a.model", KeyType::Text),
        plainColumn("input_tokens", "a.input_tokens", KeyType::BigInt),
        plainColumn("output_tokens", "a.output_tokens", KeyType::BigInt),
        plainColumn("cost_usd", "a.cost_usd", KeyType::Numeric),
    };
}

// Shared by the audit log's scoped views; sortable by time, which audit_log's (occurred_at, id) and
// (workspace_id, occurred_at, id) indexes serve.
QList<Column> auditHistoryColumns()
{
    return {
        plainColumn("entry", "a.id", KeyType::BigInt),
        indexedColumn("when", "a.occurred_at", KeyType::Timestamp, "occurred_at"),
        plainColumn("actor", "a.actor", KeyType::Text),
        plainColumn("login", "a.db_user", KeyType::Text),
        plainColumn("action", "a.action", KeyType::Text),
        plainColumn("reason", "a.reason", KeyType::Text, true),
    };
}

} // namespace

const TableDefinition &usersTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.users"),
        .from = QStringLiteral("public.users AS u"),
        .id = QStringLiteral("u.id"),
        .columns =
            {
                plainColumn("id", "u.id", KeyType::BigInt),
                {QStringLiteral("email"), QStringLiteral("u.primary_email"), KeyType::Text, true, false,
                 QStringLiteral("primary_email")},
                plainColumn("name", "u.display_name", KeyType::Text, true),
                plainColumn("provider", "u.provider", KeyType::Text),
                {QStringLiteral("created"), QStringLiteral("u.created_at"), KeyType::Timestamp, true, false,
                 QStringLiteral("created_at")},
                {QStringLiteral("last_login"), QStringLiteral("u.last_login_at"), KeyType::Timestamp, true,
                 true, QStringLiteral("last_login_at")},
                plainColumn("workspaces",
                            "(SELECT count(*) FROM public.memberships AS m WHERE m.user_id = u.id)",
                            KeyType::BigInt),
                {QStringLiteral("email_shared"),
                 QStringLiteral("EXISTS (SELECT 1 FROM public.users AS o WHERE lower(o.primary_email) = "
                                "lower(u.primary_email) AND o.id <> u.id)"),
                 KeyType::Boolean,
                 false,
                 false,
                 {}},
            },
        .searchable = {QStringLiteral("u.primary_email"), QStringLiteral("u.display_name")},
        .searchIndexedByAlnumTrigrams = true,
    };
    return table;
}

const TableDefinition &aiUsageTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.ai_usage"),
        .from = QStringLiteral("public.ai_usage AS a"),
        .id = QStringLiteral("a.id"),
        .columns =
            {
                plainColumn("id", "a.id", KeyType::BigInt),
                plainColumn("workspace", "a.workspace_id", KeyType::BigInt),
                plainColumn("user", "a.user_id", KeyType::BigInt, true),
                plainColumn("provider", "a.provider", KeyType::Text),
                plainColumn("model", "a.model", KeyType::Text),
                plainColumn("input_tokens", "a.input_tokens", KeyType::BigInt),
                plainColumn("output_tokens", "a.output_tokens", KeyType::BigInt),
                plainColumn("cost_usd", "a.cost_usd", KeyType::Numeric),
                {QStringLiteral("created"), QStringLiteral("a.created_at"), KeyType::Timestamp, true, false,
                 QStringLiteral("created_at")},
            },
    };
    return table;
}

const TableDefinition &workspaceMembersTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.memberships"),
        .from = QStringLiteral("public.memberships AS m JOIN public.users AS u ON u.id = m.user_id"),
        .id = QStringLiteral("m.user_id"),
        .columns =
            {
                plainColumn("user", "u.id", KeyType::BigInt),
                plainColumn("email", "u.primary_email", KeyType::Text),
                plainColumn("name", "u.display_name", KeyType::Text, true),
                plainColumn("role", "m.role", KeyType::Text),
                plainColumn("joined", "m.created_at", KeyType::Timestamp),
            },
        .searchable = {QStringLiteral("u.primary_email"), QStringLiteral("u.display_name")},
        .scopeColumn = QStringLiteral("m.workspace_id"),
    };
    return table;
}

const TableDefinition &workspaceProjectsTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.projects"),
        .from = QStringLiteral("public.projects AS p"),
        .id = QStringLiteral("p.id"),
        .columns =
            {
                plainColumn("project", "p.id", KeyType::BigInt),
                plainColumn("name", "p.name", KeyType::Text),
                plainColumn("files", "(SELECT count(*) FROM public.files AS f WHERE f.project_id = p.id)",
                            KeyType::BigInt),
                {QStringLiteral("bytes"),
                 QStringLiteral("(SELECT coalesce(sum(f.size_bytes), 0) FROM public.files AS f WHERE "
                                "f.project_id = p.id)"),
                 KeyType::Numeric,
                 false,
                 false,
                 {}},
                plainColumn("created", "p.created_at", KeyType::Timestamp),
            },
        .searchable = {QStringLiteral("p.name")},
        .scopeColumn = QStringLiteral("p.workspace_id"),
    };
    return table;
}

const TableDefinition &workspaceAuditTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.audit_log"),
        .from = QStringLiteral("public.audit_log AS a"),
        .id = QStringLiteral("a.id"),
        .columns = auditHistoryColumns(),
        .searchable = {QStringLiteral("a.actor"), QStringLiteral("a.action"), QStringLiteral("a.reason")},
        .scopeColumn = QStringLiteral("a.workspace_id"),
    };
    return table;
}

const TableDefinition &workspaceAiUsageTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.ai_usage"),
        .from = QStringLiteral("public.ai_usage AS a LEFT JOIN public.users AS u ON u.id = a.user_id"),
        .id = QStringLiteral("a.id"),
        .columns = QList<Column>{plainColumn("id", "a.id", KeyType::BigInt), usageCreated(),
                                 plainColumn("user", "a.user_id", KeyType::BigInt, true),
                                 plainColumn("email", "u.primary_email", KeyType::Text, true)} +
                   usageMeasures(),
        .scopeColumn = QStringLiteral("a.workspace_id"),
    };
    return table;
}

const TableDefinition &projectFilesTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.files"),
        .from = QStringLiteral("public.files AS f"),
        .id = QStringLiteral("f.id"),
        .columns =
            {
                plainColumn("id", "f.id", KeyType::BigInt),
                plainColumn("name", "f.name", KeyType::Text),
                plainColumn("size_bytes", "f.size_bytes", KeyType::BigInt),
                plainColumn("created", "f.created_at", KeyType::Timestamp),
            },
        // files_project_id_idx finds the project's files; they are then few enough to order by id.
        .scopeColumn = QStringLiteral("f.project_id"),
    };
    return table;
}

const TableDefinition &userMembershipsTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.memberships"),
        .from =
            QStringLiteral("public.memberships AS m JOIN public.workspaces AS w ON w.id = m.workspace_id"),
        // Unique within one user's memberships, which is all the scope ever shows.
        .id = QStringLiteral("m.workspace_id"),
        .columns =
            {
                plainColumn("workspace", "w.id", KeyType::BigInt),
                plainColumn("name", "w.name", KeyType::Text),
                plainColumn("slug", "w.slug", KeyType::Text),
                plainColumn("plan", "w.plan", KeyType::Text),
                plainColumn("role", "m.role", KeyType::Text),
                plainColumn("joined", "m.created_at", KeyType::Timestamp),
            },
        .scopeColumn = QStringLiteral("m.user_id"),
    };
    return table;
}

const TableDefinition &userAiUsageTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.ai_usage"),
        .from = QStringLiteral("public.ai_usage AS a JOIN public.workspaces AS w ON w.id = a.workspace_id"),
        .id = QStringLiteral("a.id"),
        .columns = QList<Column>{plainColumn("id", "a.id", KeyType::BigInt), usageCreated(),
                                 plainColumn("workspace", "a.workspace_id", KeyType::BigInt),
                                 plainColumn("workspace_name", "w.name", KeyType::Text)} +
                   usageMeasures(),
        .scopeColumn = QStringLiteral("a.user_id"),
    };
    return table;
}

const TableDefinition &userAuditTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.audit_log"),
        .from = QStringLiteral("public.audit_log AS a"),
        .id = QStringLiteral("a.id"),
        .columns = auditHistoryColumns(),
        .searchable = {QStringLiteral("a.actor"), QStringLiteral("a.action"), QStringLiteral("a.reason")},
        // The scope is compared as a bigint, and target_id is free text ("7", "ws-12", a UUID). The guard
        // lets through only the canonical spelling of a number that fits a bigint, so a cast never fails
        // and "007" is not taken for user 7; CASE does not evaluate THEN when WHEN is false.
        .scopeColumn = QStringLiteral("(CASE WHEN a.target_type = 'user' AND a.target_id ~ "
                                      "'^(0|[1-9][0-9]{0,17})$' THEN CAST(a.target_id AS bigint) END)"),
    };
    return table;
}

const TableDefinition &workspacesTable()
{
    static const TableDefinition table = workspaceView({
        workspaceId("id"),
        workspaceName(),
        {QStringLiteral("slug"), QStringLiteral("w.slug"), KeyType::Text, true, false,
         QStringLiteral("slug")},
        workspacePlan(),
        plainColumn("subscription_status", "w.subscription_status", KeyType::Text, true),
        plainColumn("read_only", "w.read_only", KeyType::Boolean),
        memberCount(),
        plainColumn("member_limit", "p.max_members", KeyType::BigInt),
        plainColumn("storage_used", "w.storage_used_bytes", KeyType::BigInt),
        plainColumn("storage_quota", "p.storage_quota_bytes", KeyType::BigInt),
        // Empty for a plan without a quota.
        plainColumn("storage_percent",
                    "round(100.0 * w.storage_used_bytes / nullif(p.storage_quota_bytes, 0), 1)",
                    KeyType::Numeric, true),
        {QStringLiteral("created"), QStringLiteral("w.created_at"), KeyType::Timestamp, true, false,
         QStringLiteral("created_at")},
    });
    return table;
}

const TableDefinition &subscriptionsTable()
{
    static const TableDefinition table = workspaceView(subscriptionColumns());
    return table;
}

const TableDefinition &workspaceSubscriptionTable()
{
    static const TableDefinition table = [] {
        TableDefinition one = workspaceView(subscriptionColumns());
        one.scopeColumn = QStringLiteral("w.id");
        return one;
    }();
    return table;
}

const TableDefinition &quotasTable()
{
    static const TableDefinition table = workspaceView({
        workspaceId("workspace"),
        workspaceName(),
        workspacePlan(),
        memberCount(),
        plainColumn("member_limit", "p.max_members", KeyType::BigInt),
        plainColumn("storage_used", "w.storage_used_bytes", KeyType::BigInt),
        plainColumn("storage_quota", "p.storage_quota_bytes", KeyType::BigInt),
        plainColumn("storage_drift",
                    "w.storage_used_bytes - (SELECT coalesce(sum(f.size_bytes), 0) FROM public.files AS f "
                    "WHERE f.workspace_id = w.id)",
                    KeyType::Numeric),
        plainColumn("ai_tokens_this_month",
                    "(SELECT coalesce(sum(a.input_tokens + a.output_tokens), 0) FROM public.ai_usage AS a "
                    "WHERE a.workspace_id = w.id AND a.created_at >= date_trunc('month', now()))",
                    KeyType::Numeric),
        plainColumn("ai_monthly_tokens", "p.ai_monthly_tokens", KeyType::BigInt),
    });
    return table;
}

const TableDefinition &filesTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.files"),
        .from = QStringLiteral("public.files AS f"),
        .id = QStringLiteral("f.id"),
        .columns =
            {
                plainColumn("id", "f.id", KeyType::BigInt),
                plainColumn("workspace", "f.workspace_id", KeyType::BigInt),
                plainColumn("project", "f.project_id", KeyType::BigInt),
                plainColumn("name", "f.name", KeyType::Text),
                plainColumn("size_bytes", "f.size_bytes", KeyType::BigInt),
                plainColumn("created", "f.created_at", KeyType::Timestamp),
            },
    };
    return table;
}

const TableDefinition &exportsTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.exports"),
        .from = QStringLiteral("public.exports AS e"),
        .id = QStringLiteral("e.id"),
        .columns =
            {
                plainColumn("id", "e.id", KeyType::BigInt),
                plainColumn("workspace", "e.workspace_id", KeyType::BigInt),
                plainColumn("requested_by", "e.requested_by", KeyType::BigInt, true),
                plainColumn("status", "e.status", KeyType::Text),
                plainColumn("size", "e.size_bytes", KeyType::BigInt, true),
                plainColumn("created", "e.created_at", KeyType::Timestamp),
                plainColumn("expires", "e.expires_at", KeyType::Timestamp, true),
                plainColumn("purged", "e.purged_at", KeyType::Timestamp, true),
            },
        .searchable = {QStringLiteral("e.status")}};
    return table;
}

const TableDefinition &auditLogTable()
{
    static const TableDefinition table{
        .relation = QStringLiteral("public.audit_log"),
        .from = QStringLiteral("public.audit_log AS a"),
        .id = QStringLiteral("a.id"),
        .columns =
            {
                plainColumn("id", "a.id", KeyType::BigInt),
                {QStringLiteral("when"), QStringLiteral("a.occurred_at"), KeyType::Timestamp, true, false,
                 QStringLiteral("occurred_at")},
                plainColumn("actor", "a.actor", KeyType::Text),
                plainColumn("login", "a.db_user", KeyType::Text),
                plainColumn("action", "a.action", KeyType::Text),
                plainColumn("target", "a.target_type || ' ' || coalesce(a.target_id, '')", KeyType::Text),
                plainColumn("workspace", "a.workspace_id", KeyType::BigInt, true),
                plainColumn("reason", "a.reason", KeyType::Text, true),
            },
        .searchable = {QStringLiteral("a.actor"), QStringLiteral("a.action"), QStringLiteral("a.reason")}};
    return table;
}

} // namespace beacon::browse
