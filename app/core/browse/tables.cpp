#include "browse/tables.h"

namespace beacon::browse {

namespace {

// Workspaces, Subscriptions and Quotas are three views of the same rows: one FROM, one id, one search, one
// change channel, and these shared columns.
TableDefinition workspaceView(QList<Column> columns)
{
    TableDefinition table;
    table.relation = QStringLiteral("public.workspaces");
    table.from = QStringLiteral("public.workspaces AS w JOIN public.plans AS p ON p.code = w.plan");
    table.id = QStringLiteral("w.id");
    table.columns = std::move(columns);
    table.searchable = {QStringLiteral("w.name"), QStringLiteral("w.slug")};
    table.changeChannel = QStringLiteral("beacon_workspace_changed");
    return table;
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
    return {QStringLiteral("members"),
            QStringLiteral("(SELECT count(*) FROM public.memberships AS m WHERE m.workspace_id = w.id)"),
            KeyType::BigInt,
            false,
            false,
            {}};
}
Column plainColumn(const char *name, const char *expression, KeyType type, bool nullable = false)
{
    return {QLatin1String(name), QLatin1String(expression), type, false, nullable, {}};
}

} // namespace

const TableDefinition &usersTable()
{
    static const TableDefinition table{
        QStringLiteral("public.users"),
        QStringLiteral("public.users AS u"),
        QStringLiteral("u.id"),
        {
            {QStringLiteral("id"), QStringLiteral("u.id"), KeyType::BigInt, false, false, {}},
            {QStringLiteral("email"), QStringLiteral("u.primary_email"), KeyType::Text, true, false,
             QStringLiteral("primary_email")},
            {QStringLiteral("name"), QStringLiteral("u.display_name"), KeyType::Text, false, true, {}},
            {QStringLiteral("provider"), QStringLiteral("u.provider"), KeyType::Text, false, false, {}},
            {QStringLiteral("created"), QStringLiteral("u.created_at"), KeyType::Timestamp, true, false,
             QStringLiteral("created_at")},
            {QStringLiteral("last_login"), QStringLiteral("u.last_login_at"), KeyType::Timestamp, true, true,
             QStringLiteral("last_login_at")},
            {QStringLiteral("workspaces"),
             QStringLiteral("(SELECT count(*) FROM public.memberships AS m WHERE m.user_id = u.id)"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("email_shared"),
             QStringLiteral("EXISTS (SELECT 1 FROM public.users AS o WHERE lower(o.primary_email) = "
                            "lower(u.primary_email) AND o.id <> u.id)"),
             KeyType::Boolean,
             false,
             false,
             {}},
        },
        {QStringLiteral("u.primary_email"), QStringLiteral("u.display_name")},
    };
    return table;
}

const TableDefinition &aiUsageTable()
{
    static const TableDefinition table{
        QStringLiteral("public.ai_usage"),
        QStringLiteral("public.ai_usage AS a"),
        QStringLiteral("a.id"),
        {
            {QStringLiteral("id"), QStringLiteral("a.id"), KeyType::BigInt, false, false, {}},
            {QStringLiteral("workspace"),
             QStringLiteral("a.workspace_id"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("user"), QStringLiteral("a.user_id"), KeyType::BigInt, false, true, {}},
            {QStringLiteral("provider"), QStringLiteral("a.provider"), KeyType::Text, false, false, {}},
            {QStringLiteral("model"), QStringLiteral("a.model"), KeyType::Text, false, false, {}},
            {QStringLiteral("input_tokens"),
             QStringLiteral("a.input_tokens"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("output_tokens"),
             QStringLiteral("a.output_tokens"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("cost_usd"), QStringLiteral("a.cost_usd"), KeyType::Numeric, false, false, {}},
            {QStringLiteral("created"), QStringLiteral("a.created_at"), KeyType::Timestamp, true, false,
             QStringLiteral("created_at")},
        },
        {},
    };
    return table;
}

const TableDefinition &workspaceMembersTable()
{
    static const TableDefinition table{
        QStringLiteral("public.memberships"),
        QStringLiteral("public.memberships AS m JOIN public.users AS u ON u.id = m.user_id"),
        QStringLiteral("m.user_id"),
        {
            {QStringLiteral("user"), QStringLiteral("u.id"), KeyType::BigInt, false, false, {}},
            {QStringLiteral("email"), QStringLiteral("u.primary_email"), KeyType::Text, false, false, {}},
            {QStringLiteral("name"), QStringLiteral("u.display_name"), KeyType::Text, false, true, {}},
            {QStringLiteral("role"), QStringLiteral("m.role"), KeyType::Text, false, false, {}},
            {QStringLiteral("joined"), QStringLiteral("m.created_at"), KeyType::Timestamp, false, false, {}},
        },
        {QStringLiteral("u.primary_email"), QStringLiteral("u.display_name")},
        QStringLiteral("m.workspace_id"),
    };
    return table;
}

const TableDefinition &workspaceProjectsTable()
{
    static const TableDefinition table{
        QStringLiteral("public.projects"),
        QStringLiteral("public.projects AS p"),
        QStringLiteral("p.id"),
        {
            {QStringLiteral("project"), QStringLiteral("p.id"), KeyType::BigInt, false, false, {}},
            {QStringLiteral("name"), QStringLiteral("p.name"), KeyType::Text, false, false, {}},
            {QStringLiteral("files"),
             QStringLiteral("(SELECT count(*) FROM public.files AS f WHERE f.project_id = p.id)"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("bytes"),
             QStringLiteral(
                 "(SELECT coalesce(sum(f.size_bytes), 0) FROM public.files AS f WHERE f.project_id = p.id)"),
             KeyType::Numeric,
             false,
             false,
             {}},
            {QStringLiteral("created"), QStringLiteral("p.created_at"), KeyType::Timestamp, false, false, {}},
        },
        {QStringLiteral("p.name")},
        QStringLiteral("p.workspace_id"),
    };
    return table;
}

const TableDefinition &workspaceAuditTable()
{
    static const TableDefinition table{
        QStringLiteral("public.audit_log"),
        QStringLiteral("public.audit_log AS a"),
        QStringLiteral("a.id"),
        {
            {QStringLiteral("entry"), QStringLiteral("a.id"), KeyType::BigInt, false, false, {}},
            {QStringLiteral("when"), QStringLiteral("a.occurred_at"), KeyType::Timestamp, false, false, {}},
            {QStringLiteral("actor"), QStringLiteral("a.actor"), KeyType::Text, false, false, {}},
            {QStringLiteral("login"), QStringLiteral("a.db_user"), KeyType::Text, false, false, {}},
            {QStringLiteral("action"), QStringLiteral("a.action"), KeyType::Text, false, false, {}},
            {QStringLiteral("reason"), QStringLiteral("a.reason"), KeyType::Text, false, true, {}},
        },
        {QStringLiteral("a.actor"), QStringLiteral("a.action"), QStringLiteral("a.reason")},
        QStringLiteral("a.workspace_id"),
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
        {QStringLiteral("created"), QStringLiteral("w.created_at"), KeyType::Timestamp, true, false,
         QStringLiteral("created_at")},
    });
    return table;
}

const TableDefinition &subscriptionsTable()
{
    static const TableDefinition table = workspaceView({
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
    });
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

const TableDefinition &exportsTable()
{
    static const TableDefinition table = [] {
        TableDefinition definition;
        definition.relation = QStringLiteral("public.exports");
        definition.from = QStringLiteral("public.exports AS e");
        definition.id = QStringLiteral("e.id");
        definition.columns = {
            plainColumn("id", "e.id", KeyType::BigInt),
            plainColumn("workspace", "e.workspace_id", KeyType::BigInt),
            plainColumn("requested_by", "e.requested_by", KeyType::BigInt, true),
            plainColumn("status", "e.status", KeyType::Text),
            plainColumn("size", "e.size_bytes", KeyType::BigInt, true),
            plainColumn("created", "e.created_at", KeyType::Timestamp),
            plainColumn("expires", "e.expires_at", KeyType::Timestamp, true),
            plainColumn("purged", "e.purged_at", KeyType::Timestamp, true),
        };
        definition.searchable = {QStringLiteral("e.status")};
        return definition;
    }();
    return table;
}

const TableDefinition &auditLogTable()
{
    static const TableDefinition table = [] {
        TableDefinition definition;
        definition.relation = QStringLiteral("public.audit_log");
        definition.from = QStringLiteral("public.audit_log AS a");
        definition.id = QStringLiteral("a.id");
        definition.columns = {
            plainColumn("id", "a.id", KeyType::BigInt),
            {QStringLiteral("when"), QStringLiteral("a.occurred_at"), KeyType::Timestamp, true, false,
             QStringLiteral("occurred_at")},
            plainColumn("actor", "a.actor", KeyType::Text),
            plainColumn("login", "a.db_user", KeyType::Text),
            plainColumn("action", "a.action", KeyType::Text),
            plainColumn("target", "a.target_type || ' ' || coalesce(a.target_id, '')", KeyType::Text),
            plainColumn("workspace", "a.workspace_id", KeyType::BigInt, true),
            plainColumn("reason", "a.reason", KeyType::Text, true),
        };
        definition.searchable = {QStringLiteral("a.actor"), QStringLiteral("a.action"),
                                 QStringLiteral("a.reason")};
        return definition;
    }();
    return table;
}

} // namespace beacon::browse
