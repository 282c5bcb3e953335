-- Live refresh: every change to a workspace, or to the members, projects and files counted against it,
-- announces the workspace's id on channel beacon_workspace_changed. Open views re-read just that row.
-- NOTIFY is sent at commit and PostgreSQL folds repeated identical payloads of one transaction into one,
-- so a bulk change sends each workspace id once.

CREATE FUNCTION public.notify_workspace_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
DECLARE
    changed bigint;
BEGIN
    -- Separate statements per table: plpgsql resolves NEW.workspace_id when it runs a statement, and
    -- workspaces rows have no such field.
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_TABLE_NAME = 'workspaces' THEN
            changed := OLD.id;
        ELSE
            changed := OLD.workspace_id;
        END IF;
        PERFORM pg_notify('beacon_workspace_changed', changed::text);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF TG_TABLE_NAME = 'workspaces' THEN
            changed := NEW.id;
        ELSE
            changed := NEW.workspace_id;
        END IF;
        PERFORM pg_notify('beacon_workspace_changed', changed::text);
    END IF;
    RETURN NULL;
END;
$$;

REVOKE ALL ON FUNCTION public.notify_workspace_changed() FROM PUBLIC;

CREATE TRIGGER workspaces_notify_changed
    AFTER INSERT OR UPDATE OR DELETE ON public.workspaces
    FOR EACH ROW EXECUTE FUNCTION public.notify_workspace_changed();
CREATE TRIGGER memberships_notify_changed
    AFTER INSERT OR UPDATE OR DELETE ON public.memberships
    FOR EACH ROW EXECUTE FUNCTION public.notify_workspace_changed();
CREATE TRIGGER projects_notify_changed
    AFTER INSERT OR UPDATE OR DELETE ON public.projects
    FOR EACH ROW EXECUTE FUNCTION public.notify_workspace_changed();
CREATE TRIGGER files_notify_changed
    AFTER INSERT OR UPDATE OR DELETE ON public.files
    FOR EACH ROW EXECUTE FUNCTION public.notify_workspace_changed();
