-- The backend's invitation handler, for pgbench (invite.sql): the INSERT goes through the team-size
-- trigger like any invitation, and a full team (BE001) is answered as the backend answers it, instead of
-- ending the pgbench client. Created by the stress test as the table owner, in its own database only.
CREATE FUNCTION public.stress_invite(workspace bigint, invitee bigint) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO public.memberships (workspace_id, user_id, role) VALUES (workspace, invitee, 'member')
        ON CONFLICT (workspace_id, user_id) DO NOTHING;
    RETURN true;
EXCEPTION WHEN SQLSTATE 'BE001' THEN
    RETURN false;
END;
$$;
