#include "browse/tables.h"

namespace beacon::browse {

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

const TableDefinition &workspacesTable()
{
    static const TableDefinition table{
        QStringLiteral("public.workspaces"),
        QStringLiteral("public.workspaces AS w JOIN public.plans AS p ON p.code = w.plan"),
        QStringLiteral("w.id"),
        {
            {QStringLiteral("id"), QStringLiteral("w.id"), KeyType::BigInt, false, false, {}},
            {QStringLiteral("name"), QStringLiteral("w.name"), KeyType::Text, true, false,
             QStringLiteral("name")},
            {QStringLiteral("slug"), QStringLiteral("w.slug"), KeyType::Text, true, false,
             QStringLiteral("slug")},
            {QStringLiteral("plan"), QStringLiteral("w.plan"), KeyType::Text, true, false,
             QStringLiteral("plan")},
            {QStringLiteral("subscription_status"),
             QStringLiteral("w.subscription_status"),
             KeyType::Text,
             false,
             true,
             {}},
            {QStringLiteral("read_only"), QStringLiteral("w.read_only"), KeyType::Boolean, false, false, {}},
            {QStringLiteral("members"),
             QStringLiteral("(SELECT count(*) FROM public.memberships AS m WHERE m.workspace_id = w.id)"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("member_limit"),
             QStringLiteral("p.max_members"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("storage_used"),
             QStringLiteral("w.storage_used_bytes"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("storage_quota"),
             QStringLiteral("p.storage_quota_bytes"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("created"), QStringLiteral("w.created_at"), KeyType::Timestamp, true, false,
             QStringLiteral("created_at")},
        },
        {QStringLiteral("w.name"), QStringLiteral("w.slug")},
        {}, // no scope
        QStringLiteral("beacon_workspace_changed"),
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

const TableDefinition &subscriptionsTable()
{
    static const TableDefinition table{
        QStringLiteral("public.workspaces"),
        QStringLiteral("public.workspaces AS w JOIN public.plans AS p ON p.code = w.plan"),
        QStringLiteral("w.id"),
        {
            {QStringLiteral("workspace"), QStringLiteral("w.id"), KeyType::BigInt, false, false, {}},
            {QStringLiteral("name"), QStringLiteral("w.name"), KeyType::Text, true, false,
             QStringLiteral("name")},
            {QStringLiteral("plan"), QStringLiteral("w.plan"), KeyType::Text, true, false,
             QStringLiteral("plan")},
            {QStringLiteral("monthly_price"),
             QStringLiteral("round(p.monthly_price_cents / 100.0, 2)"),
             KeyType::Numeric,
             false,
             false,
             {}},
            {QStringLiteral("status"),
             QStringLiteral("w.subscription_status"),
             KeyType::Text,
             false,
             true,
             {}},
            {QStringLiteral("stripe_customer"),
             QStringLiteral("w.stripe_customer_id"),
             KeyType::Text,
             false,
             true,
             {}},
            {QStringLiteral("stripe_subscription"),
             QStringLiteral("w.stripe_subscription_id"),
             KeyType::Text,
             false,
             true,
             {}},
            {QStringLiteral("period_end"),
             QStringLiteral("w.current_period_end"),
             KeyType::Timestamp,
             false,
             true,
             {}},
            {QStringLiteral("read_only"), QStringLiteral("w.read_only"), KeyType::Boolean, false, false, {}},
            {QStringLiteral("mismatch"),
             QStringLiteral("coalesce((w.subscription_status = 'canceled' AND NOT w.read_only) OR "
                            "(w.subscription_status = 'active' AND w.read_only), false)"),
             KeyType::Boolean,
             false,
             false,
             {}},
        },
        {QStringLiteral("w.name"), QStringLiteral("w.slug")},
        {}, // no scope
        QStringLiteral("beacon_workspace_changed"),
    };
    return table;
}

const TableDefinition &quotasTable()
{
    static const TableDefinition table{
        QStringLiteral("public.workspaces"),
        QStringLiteral("public.workspaces AS w JOIN public.plans AS p ON p.code = w.plan"),
        QStringLiteral("w.id"),
        {
            {QStringLiteral("workspace"), QStringLiteral("w.id"), KeyType::BigInt, false, false, {}},
            {QStringLiteral("name"), QStringLiteral("w.name"), KeyType::Text, true, false,
             QStringLiteral("name")},
            {QStringLiteral("plan"), QStringLiteral("w.plan"), KeyType::Text, true, false,
             QStringLiteral("plan")},
            {QStringLiteral("members"),
             QStringLiteral("(SELECT count(*) FROM public.memberships AS m WHERE m.workspace_id = w.id)"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("member_limit"),
             QStringLiteral("p.max_members"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("storage_used"),
             QStringLiteral("w.storage_used_bytes"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("storage_quota"),
             QStringLiteral("p.storage_quota_bytes"),
             KeyType::BigInt,
             false,
             false,
             {}},
            {QStringLiteral("storage_drift"),
             QStringLiteral(
                 "w.storage_used_bytes - (SELECT coalesce(sum(f.size_bytes), 0) FROM public.files AS f "
                 "WHERE f.workspace_id = w.id)"),
             KeyType::Numeric,
             false,
             false,
             {}},
            {QStringLiteral("ai_tokens_this_month"),
             QStringLiteral(
                 "(SELECT coalesce(sum(a.input_tokens + a.output_tokens), 0) FROM public.ai_usage AS a "
                 "WHERE a.workspace_id = w.id AND a.created_at >= date_trunc('month', now()))"),
             KeyType::Numeric,
             false,
             false,
             {}},
            {QStringLiteral("ai_monthly_tokens"),
             QStringLiteral("p.ai_monthly_tokens"),
             KeyType::BigInt,
             false,
             false,
             {}},
        },
        {QStringLiteral("w.name"), QStringLiteral("w.slug")},
        {}, // no scope
        QStringLiteral("beacon_workspace_changed"),
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

} // namespace beacon::browse
