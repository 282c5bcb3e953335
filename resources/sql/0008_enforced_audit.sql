-- The audit no longer depends on the console. Until now every action wrote its audit_log row because the
-- console's engine did so; a support login in psql could change a plan or add an owner and simply not write
-- one. From here on the server refuses to commit such a change, and the audit row itself can no longer be
-- forged in the columns that say when, who and in which transaction.
--
-- The line this draws: a session whose login is a member of beacon_support, beacon_finance or beacon_admin
-- (the console's groups) is subject to it; the backend's own login (the tables' owner) and superusers are
-- not. The product itself writes these tables all day without an audit row, and an owner can always
-- ALTER TABLE ... DISABLE TRIGGER, so a rule against the owner would only pretend (see README, "What the
-- server enforces").

-- The transaction that wrote an audit row, stamped by the server like the time and the login, so that a
-- change can be matched to the audit row of its own transaction. Older rows predate the column and stay NULL.
ALTER TABLE public.audit_log ADD COLUMN txid xid8;
CREATE INDEX audit_log_txid_idx ON public.audit_log (txid);

CREATE OR REPLACE FUNCTION public.audit_log_stamp() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.occurred_at := clock_timestamp();
    NEW.db_user := session_user;
    NEW.txid := pg_current_xact_id();
    RETURN NEW;
END;
$$;

-- Runs at commit (the triggers below are deferred), so an action may write its audit row before or after
-- its change, as long as both are in one transaction. A savepoint rolled back with the audit row in it
-- takes the row away, and the check then finds none, as it should.
CREATE FUNCTION public.audit_require_same_transaction() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM public.audit_log WHERE txid = pg_current_xact_id()) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'BE003',
        MESSAGE = format('a change to %s by %s needs an audit_log row written in the same transaction',
                         TG_TABLE_NAME, session_user),
        DETAIL = 'Members of beacon_support, beacon_finance and beacon_admin may change audited tables only '
                 'together with the audit entry that records the change. Nothing was committed.',
        HINT = 'Make the change through Beacon Admin or beaconctl, which record it, or insert the audit_log '
               'row in the same transaction before COMMIT.';
END;
$$;

REVOKE ALL ON FUNCTION public.audit_require_same_transaction() FROM PUBLIC;

-- The WHEN clause is evaluated as each row changes, with built-in functions only, so that the backend's
-- login and superusers queue nothing at all: their bulk writes pay a few function calls per row, not a
-- deferred event. is_superuser follows SET ROLE, so a superuser who takes on a Beacon group is held to it.
-- pg_has_role() counts superusers as members of everything, hence the first test.
DO $$
DECLARE
    audited text;
BEGIN
    FOREACH audited IN ARRAY ARRAY['workspaces', 'memberships', 'projects', 'files', 'exports', 'users'] LOOP
        EXECUTE format(
            'CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON public.%I '
            'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
            'WHEN (pg_catalog.current_setting(''is_superuser'') = ''off'' AND '
            '      (pg_catalog.pg_has_role(session_user, ''beacon_support'', ''MEMBER'') OR '
            '       pg_catalog.pg_has_role(session_user, ''beacon_finance'', ''MEMBER'') OR '
            '       pg_catalog.pg_has_role(session_user, ''beacon_admin'', ''MEMBER''))) '
            'EXECUTE FUNCTION public.audit_require_same_transaction()',
            audited || '_audit_required', audited);
    END LOOP;
END;
$$;

-- Forged rows. The server stamps occurred_at, db_user and txid whatever the client sends, but id is an
-- identity that OVERRIDING SYSTEM VALUE lets a client choose: a planted id ahead of the sequence would make
-- a later, real action fail on the primary key. Column grants leave the groups exactly the columns the
-- engine writes. Identity values are drawn without any right on the sequence, so USAGE goes too (it only
-- let a group burn ids with nextval()).
REVOKE INSERT ON public.audit_log FROM beacon_support, beacon_finance, beacon_admin;
GRANT INSERT (actor, action, action_id, target_type, target_id, workspace_id, reason, before, after, client)
    ON public.audit_log TO beacon_support, beacon_finance, beacon_admin;
REVOKE ALL ON SEQUENCE public.audit_log_id_seq FROM beacon_support, beacon_finance, beacon_admin;

REVOKE INSERT ON public.action_phases FROM beacon_support, beacon_finance, beacon_admin;
GRANT INSERT (action_id, seq, action, phase, carried)
    ON public.action_phases TO beacon_support, beacon_finance, beacon_admin;

-- Narrow grants: adding a member writes the workspace, the user and the role, nothing else; created_at is
-- the server's.
REVOKE INSERT ON public.memberships FROM beacon_support, beacon_admin;
GRANT INSERT (workspace_id, user_id, role) ON public.memberships TO beacon_support, beacon_admin;
