-- The backend's delete_file (storage.py, "with_for_update() locking"): lock the workspace row, then remove
-- its oldest file and take its bytes off the counter in the same transaction.
\set w random(2, :workspaces)
BEGIN;
SELECT id FROM public.workspaces WHERE id = CAST(:w AS bigint) FOR UPDATE;
WITH removed AS (
    DELETE FROM public.files
     WHERE id = (SELECT min(f.id) FROM public.files AS f WHERE f.workspace_id = CAST(:w AS bigint))
    RETURNING size_bytes)
UPDATE public.workspaces SET storage_used_bytes = storage_used_bytes - coalesce((SELECT sum(size_bytes) FROM removed), 0)
 WHERE id = CAST(:w AS bigint);
COMMIT;
