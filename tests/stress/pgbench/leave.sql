-- A member leaves a workspace (never its owner), which frees a seat for the next invitation.
\set w random(2, :workspaces)
\set u random(1, :users)
DELETE FROM public.memberships WHERE workspace_id = CAST(:w AS bigint) AND user_id = CAST(:u AS bigint) AND role <> 'owner';
