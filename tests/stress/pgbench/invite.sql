-- An invitation accepted (memberships INSERT through the team-size trigger, which locks the workspace row
-- and refuses a full team with BE001). stress_invite() is the backend's handler: it catches BE001 as the
-- backend does, since pgbench would otherwise end the client at its first full team.
\set w random(2, :workspaces)
\set u random(1, :users)
SELECT public.stress_invite(CAST(:w AS bigint), CAST(:u AS bigint));
