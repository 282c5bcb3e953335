-- An action that must call another service (Stripe, for plan changes) runs in phases: each phase that
-- touches this database is one short transaction of its own, and the call in between runs with no
-- transaction open, so that no row lock is ever held across the network. Each finished phase is recorded
-- here, with what it handed on to the next, so that a run that stopped half-way (a lost connection, a
-- killed process, a failed call) is resumed with the same action id from the first unfinished phase.
-- The last phase writes the action's one audit_log row, in its own transaction.
--
-- Like the audit log this is history: rows are only ever added. What a phase hands on is ids and statuses,
-- never a payload, a card or a secret.

CREATE TABLE public.action_phases (
    action_id uuid NOT NULL,
    seq integer NOT NULL CHECK (seq >= 0),
    action text NOT NULL CHECK (btrim(action) <> ''),
    phase text NOT NULL CHECK (btrim(phase) <> ''),
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    db_user text NOT NULL DEFAULT session_user,
    -- What the phase hands on to the next ones (for a resumed run, read back from here).
    carried jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (action_id, seq)
);

CREATE FUNCTION public.action_phases_stamp() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.recorded_at := clock_timestamp();
    NEW.db_user := session_user;
    RETURN NEW;
END;
$$;

CREATE FUNCTION public.action_phases_refuse_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'BE002',
        MESSAGE = format('the action phase record is append-only: %s on action_phases is refused for every role',
                         TG_OP);
END;
$$;

CREATE TRIGGER action_phases_stamp
    BEFORE INSERT ON public.action_phases
    FOR EACH ROW EXECUTE FUNCTION public.action_phases_stamp();
CREATE TRIGGER action_phases_refuse_update_delete
    BEFORE UPDATE OR DELETE ON public.action_phases
    FOR EACH ROW EXECUTE FUNCTION public.action_phases_refuse_change();
CREATE TRIGGER action_phases_refuse_truncate
    BEFORE TRUNCATE ON public.action_phases
    FOR EACH STATEMENT EXECUTE FUNCTION public.action_phases_refuse_change();
ALTER TABLE public.action_phases ENABLE ALWAYS TRIGGER action_phases_stamp;
ALTER TABLE public.action_phases ENABLE ALWAYS TRIGGER action_phases_refuse_update_delete;
ALTER TABLE public.action_phases ENABLE ALWAYS TRIGGER action_phases_refuse_truncate;

REVOKE ALL ON public.action_phases FROM PUBLIC;
REVOKE ALL ON FUNCTION public.action_phases_stamp() FROM PUBLIC;
REVOKE ALL ON FUNCTION public.action_phases_refuse_change() FROM PUBLIC;
-- Any group's action may come to need phases; each records and reads its own, and changes none.
GRANT SELECT, INSERT ON public.action_phases TO beacon_support, beacon_finance, beacon_admin;
