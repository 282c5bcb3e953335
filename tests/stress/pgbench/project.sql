-- The backend creates a project; uploads go to a workspace's newest one, so deleted projects are replaced.
\set w random(2, :workspaces)
INSERT INTO public.projects (workspace_id, name) VALUES (CAST(:w AS bigint), 'pgbench project');
