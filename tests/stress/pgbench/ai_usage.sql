-- AI usage metered after the response was delivered (routers/ai.py): one row per request, committed with
-- the request's own transaction; the provider's request id makes a retried metering call harmless.
\set w random(2, :workspaces)
\set u random(1, :users)
\set input random(10, 4000)
\set output random(10, 2000)
BEGIN;
INSERT INTO public.ai_usage (workspace_id, user_id, provider, model, input_tokens, output_tokens, cost_usd, request_id)
VALUES (CAST(:w AS bigint), CAST(:u AS bigint), 'openai', 'gpt-4o-mini', CAST(:input AS int), CAST(:output AS int), (CAST(:input AS int) + CAST(:output AS int)) * 0.000002, 'req_' || gen_random_uuid());
COMMIT;
