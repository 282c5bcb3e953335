-- Who may do what, enforced by the server itself rather than by the console: a login that bypasses the
-- console (psql, a script) meets the same refusals. Login roles are granted exactly one of these groups.
--
--   | what                                                                 | support | finance | admin |
--   | read every table (billing_events.payload: finance and admin only)   | yes     | yes     | yes   |
--   | member add/remove/role change, project and file delete, quota repair | yes     | no      | yes   |
--   | plan change, read-only on/off                                        | no      | yes     | yes   |
--   | user merge, purge of expired exports                                 | no      | no      | yes   |
--
-- Shared tables get column-level UPDATE grants, so a role may change only the columns its actions touch.
-- Every role that acts locks the workspace row first (SELECT ... FOR UPDATE), which PostgreSQL allows only
-- with UPDATE rights on some column of it: each group therefore holds at least one workspaces column.
-- Nobody may UPDATE workspaces.version or updated_at: the trigger owns them.

-- Roles are cluster-wide while this migration runs once per database, possibly in two databases at once:
-- create each group only if missing, and treat losing a race to another migrator as success.
DO $$
DECLARE
    group_role text;
BEGIN
    FOREACH group_role IN ARRAY ARRAY['beacon_support', 'beacon_finance', 'beacon_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = group_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', group_role);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END;
$$;

-- Nothing in the schema is anyone's by default. Tables and sequences carry no PUBLIC grants in PostgreSQL,
-- but functions do: the trigger functions are not for calling directly, least of all the SECURITY DEFINER one.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON FUNCTION public.workspaces_bump_version() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.memberships_enforce_team_size() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.audit_log_stamp() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.audit_log_refuse_change() FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO beacon_support, beacon_finance, beacon_admin;

-- Reading: everything, except that Stripe payloads (customer names, addresses, card details) stay with
-- finance and admin. schema_migrations is read by every console to refuse an unknown schema version.
GRANT SELECT ON public.schema_migrations, public.plans, public.users, public.workspaces, public.memberships,
    public.projects, public.files, public.ai_usage, public.exports, public.audit_log
    TO beacon_support, beacon_finance, beacon_admin;
GRANT SELECT ON public.billing_events TO beacon_finance, beacon_admin;
GRANT SELECT (id, stripe_event_id, type, workspace_id, received_at, processed_at) ON public.billing_events
    TO beacon_support;

-- Every action is audited by the role that performs it; no role may change or remove an entry (the triggers
-- refuse that even to the owner, and no grant allows it in the first place).
GRANT INSERT ON public.audit_log TO beacon_support, beacon_finance, beacon_admin;
GRANT USAGE ON SEQUENCE public.audit_log_id_seq TO beacon_support, beacon_finance, beacon_admin;

-- Support: members, project and file deletion, quota repair.
GRANT INSERT, DELETE ON public.memberships TO beacon_support;
GRANT UPDATE (role) ON public.memberships TO beacon_support;
GRANT DELETE ON public.projects, public.files TO beacon_support;
GRANT UPDATE (storage_used_bytes) ON public.workspaces TO beacon_support;

-- Finance: plan and read-only mode.
GRANT UPDATE (plan, read_only) ON public.workspaces TO beacon_finance;

-- Admin: all of the above, plus user merge (moving memberships, disabling the merged user) and the purge of
-- expired exports.
GRANT INSERT, DELETE ON public.memberships TO beacon_admin;
GRANT UPDATE (role, user_id) ON public.memberships TO beacon_admin;
GRANT DELETE ON public.projects, public.files TO beacon_admin;
GRANT UPDATE (storage_used_bytes, plan, read_only) ON public.workspaces TO beacon_admin;
GRANT UPDATE (disabled_at) ON public.users TO beacon_admin;
GRANT UPDATE (purged_at, status) ON public.exports TO beacon_admin;
