-- The backend's upload (storage.py): lock the workspace row, store the file in its newest project, add its
-- bytes to the counter, commit. Workspace 1 is held by the stress test's lock holder, so never chosen here.
\set w random(2, :workspaces)
\set size random(1, 1000000)
BEGIN;
SELECT id FROM public.workspaces WHERE id = CAST(:w AS bigint) FOR UPDATE;
WITH stored AS (
    INSERT INTO public.files (project_id, workspace_id, name, size_bytes, storage_key)
    SELECT p.id, p.workspace_id, 'upload.bin', CAST(:size AS bigint), 'uploads/' || gen_random_uuid()
      FROM public.projects AS p WHERE p.workspace_id = CAST(:w AS bigint) ORDER BY p.id DESC LIMIT 1
    RETURNING size_bytes)
UPDATE public.workspaces SET storage_used_bytes = storage_used_bytes + coalesce((SELECT sum(size_bytes) FROM stored), 0)
 WHERE id = CAST(:w AS bigint);
COMMIT;
