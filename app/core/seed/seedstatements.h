#pragma once

// The seeder's SQL. Every statement reads its numbers from the one-row seed_params table, which is filled
// with bound values; nothing here is built from values at run time.
//
// Determinism: no random() (its order depends on the plan, and parallel plans reorder rows). Every "random"
// number is a hash of (seed, salt, row key) through pg_temp.seed_unit, so the same seed and size give the
// same rows however the server executes the statement. Each column that needs chance has its own salt.
// Ids are computed (series numbers, or running sums over per-parent counts), never taken from sequences,
// because a rolled-back earlier attempt leaves sequences advanced.

namespace beacon::seedsql {

// Inlinable SQL functions (IMMUTABLE, one expression): the planner folds them into the statements.
inline constexpr char helperFunctions[] = R"sql(
CREATE FUNCTION pg_temp.seed_unit(seed bigint, salt integer, n bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (hashint8extended(n, seed * 1000 + salt) & 9007199254740991)::double precision / 9007199254740992 $$;

-- Pareto: most values near low, a long tail of big ones (team sizes, projects, files).
CREATE FUNCTION pg_temp.seed_pareto(seed bigint, salt integer, n bigint, low double precision,
                                    alpha double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT low / power(1 - pg_temp.seed_unit(seed, salt, n), 1 / alpha) $$;

-- Log-uniform: every order of magnitude between low and high equally likely (file sizes, tokens).
CREATE FUNCTION pg_temp.seed_log_uniform(seed bigint, salt integer, n bigint, low double precision,
                                         high double precision) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT floor(exp(ln(low) + pg_temp.seed_unit(seed, salt, n) * (ln(high) - ln(low))))::bigint $$;

CREATE FUNCTION pg_temp.seed_pick(seed bigint, salt integer, n bigint, choices text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT choices[1 + floor(pg_temp.seed_unit(seed, salt, n) * cardinality(choices))::integer] $$;

-- Google for most people, then GitHub, then Microsoft, as sign-ins to a SaaS tend to split.
CREATE FUNCTION pg_temp.seed_provider(seed bigint, n bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN pg_temp.seed_unit(seed, 1, n) < 0.55 THEN 'google'
                  WHEN pg_temp.seed_unit(seed, 1, n) < 0.85 THEN 'github'
                  ELSE 'microsoft' END $$;
)sql";

inline constexpr char dropHelperFunctions[] = R"sql(
DROP FUNCTION pg_temp.seed_provider(bigint, bigint);
DROP FUNCTION pg_temp.seed_pick(bigint, integer, bigint, text[]);
DROP FUNCTION pg_temp.seed_log_uniform(bigint, integer, bigint, double precision, double precision);
DROP FUNCTION pg_temp.seed_pareto(bigint, integer, bigint, double precision, double precision);
DROP FUNCTION pg_temp.seed_unit(bigint, integer, bigint);
)sql";

inline constexpr char scratchTables[] = R"sql(
CREATE TEMP TABLE seed_params (
    seed bigint NOT NULL,
    anchor timestamptz NOT NULL,
    users bigint NOT NULL,
    workspaces bigint NOT NULL,
    ai_usage bigint NOT NULL,
    exports bigint NOT NULL,
    duplicate_sources bigint[] NOT NULL,
    duplicate_copies bigint[] NOT NULL,
    drift_workspaces bigint[] NOT NULL,
    canceled_workspaces bigint[] NOT NULL,
    over_limit_workspaces bigint[] NOT NULL
) ON COMMIT DROP;

CREATE TEMP TABLE seed_ws (
    id bigint PRIMARY KEY,
    plan text NOT NULL,
    member_count integer NOT NULL,
    first_member bigint NOT NULL, -- members are the member_count users from here on, wrapping around
    project_count integer NOT NULL,
    project_base bigint NOT NULL,
    usage_rank bigint NOT NULL, -- 0 for the biggest team: AI usage and exports concentrate there
    created_at timestamptz NOT NULL
) ON COMMIT DROP;
CREATE UNIQUE INDEX ON seed_ws (usage_rank);

CREATE TEMP TABLE seed_projects (
    id bigint PRIMARY KEY,
    workspace_id bigint NOT NULL,
    file_count integer NOT NULL,
    file_base bigint NOT NULL,
    created_at timestamptz NOT NULL
) ON COMMIT DROP;

CREATE TEMP TABLE seed_models (
    idx integer PRIMARY KEY,
    provider text NOT NULL,
    model text NOT NULL,
    input_usd_per_mtok numeric NOT NULL,
    output_usd_per_mtok numeric NOT NULL
) ON COMMIT DROP;

INSERT INTO seed_models VALUES
    (0, 'openai', 'gpt-4o', 2.50, 10.00),
    (1, 'openai', 'gpt-4o-mini', 0.15, 0.60),
    (2, 'openai', 'text-embedding-3-small', 0.02, 0),
    (3, 'anthropic', 'claude-3-5-sonnet', 3.00, 15.00),
    (4, 'anthropic', 'claude-3-5-haiku', 0.80, 4.00),
    (5, 'google', 'gemini-1.5-pro', 1.25, 5.00),
    (6, 'google', 'gemini-1.5-flash', 0.075, 0.30),
    (7, 'mistral', 'mistral-large', 2.00, 6.00),
    (8, 'openai', 'gpt-4o-mini', 0.15, 0.60);
)sql";

// The one statement with bound values.
inline constexpr char insertParams[] = R"sql(
INSERT INTO seed_params VALUES (
    CAST(:seed AS bigint), CAST(:anchor AS timestamptz), CAST(:users AS bigint), CAST(:workspaces AS bigint),
    CAST(:aiUsage AS bigint), CAST(:exports AS bigint), CAST(:duplicateSources AS bigint[]),
    CAST(:duplicateCopies AS bigint[]), CAST(:driftWorkspaces AS bigint[]), CAST(:canceledWorkspaces AS bigint[]),
    CAST(:overLimitWorkspaces AS bigint[]))
)sql";

// A copy (planted duplicate) takes its source's name and email, in another letter case, from the next
// provider: the same person signed in twice.
inline constexpr char users[] = R"sql(
INSERT INTO public.users (id, provider, provider_user_id, primary_email, display_name, avatar_url, created_at,
                          last_login_at, disabled_at)
SELECT g.id,
       v.provider,
       CASE v.provider
           WHEN 'google' THEN '1' || lpad(g.id::text, 9, '0')
                              || lpad(floor(pg_temp.seed_unit(s.seed, 2, g.id) * 1e10)::bigint::text, 10, '0')
           WHEN 'github' THEN (1000000 + g.id * 13 + floor(pg_temp.seed_unit(s.seed, 2, g.id) * 13))::bigint::text
           ELSE lpad(to_hex(g.id), 8, '0') || '-' || substr(h.hex, 1, 4) || '-4' || substr(h.hex, 5, 3) || '-a'
                || substr(h.hex, 8, 3) || '-' || substr(h.hex, 11, 12)
       END,
       CASE p.ord WHEN 2 THEN initcap(n.email) WHEN 3 THEN upper(n.email) ELSE n.email END,
       nm.first_name || ' ' || nm.last_name,
       CASE v.provider
           WHEN 'github' THEN 'https://avatars.githubusercontent.com/u/' || (1000000 + g.id * 13)::text
           WHEN 'google' THEN 'https://lh3.googleusercontent.com/a/' || substr(h.hex, 1, 24)
       END,
       t.created_at,
       CASE WHEN pg_temp.seed_unit(s.seed, 7, g.id) >= 0.05
            THEN t.created_at + (s.anchor - t.created_at) * power(pg_temp.seed_unit(s.seed, 8, g.id), 0.25) END,
       CASE WHEN pg_temp.seed_unit(s.seed, 9, g.id) < 0.03
            THEN t.created_at + (s.anchor - t.created_at) * pg_temp.seed_unit(s.seed, 10, g.id) END
  FROM seed_params AS s
 CROSS JOIN LATERAL generate_series(1, s.users) AS g(id)
  LEFT JOIN unnest(s.duplicate_copies, s.duplicate_sources) WITH ORDINALITY AS p(copy_id, source_id, ord)
         ON p.copy_id = g.id
 CROSS JOIN LATERAL (SELECT coalesce(p.source_id, g.id) AS id) AS src
 CROSS JOIN LATERAL (
       SELECT CASE WHEN p.copy_id IS NULL THEN pg_temp.seed_provider(s.seed, g.id)
                   ELSE CASE pg_temp.seed_provider(s.seed, src.id)
                            WHEN 'google' THEN 'github' WHEN 'github' THEN 'microsoft' ELSE 'google' END
              END AS provider) AS v
 CROSS JOIN LATERAL (SELECT md5(s.seed::text || ':user:' || g.id::text) AS hex) AS h
 CROSS JOIN LATERAL (
       SELECT pg_temp.seed_pick(s.seed, 3, src.id, ARRAY['Ann', 'Ben', 'Chloe', 'David', 'Emma', 'Farid', 'Grace',
                  'Hiro', 'Ines', 'Jonas', 'Kara', 'Liam', 'Maya', 'Noah', 'Olga', 'Pedro', 'Quinn', 'Rosa',
                  'Sam', 'Tara', 'Umar', 'Vera', 'Wei', 'Ximena', 'Yusuf', 'Zoe', 'Aisha', 'Bruno', 'Chen',
                  'Dmitri', 'Elena', 'Felix', 'Gita', 'Hannah', 'Ivan', 'Julia', 'Kofi', 'Lena', 'Mateo', 'Nina'])
                  AS first_name,
              pg_temp.seed_pick(s.seed, 4, src.id, ARRAY['Lee', 'Smith', 'Garcia', 'Müller', 'Rossi', 'Kim',
                  'Nguyen', 'Okafor', 'Silva', 'Novak', 'Cohen', 'Tanaka', 'Dubois', 'Larsen', 'Patel', 'Khan',
                  'Jensen', 'Kowalski', 'Moreau', 'Hughes', 'Brown', 'Ivanova', 'Haddad', 'Berg', 'Costa',
                  'Fischer', 'Wright', 'Lopez', 'Sato', 'Ahmed']) AS last_name,
              pg_temp.seed_pick(s.seed, 5, src.id, ARRAY['gmail.com', 'gmail.com', 'gmail.com', 'outlook.com',
                  'hotmail.com', 'yahoo.com', 'proton.me', 'icloud.com', 'acme.io', 'globex.com', 'initech.com',
                  'umbrella.co', 'hooli.com', 'piedpiper.com', 'northwind.dev', 'contoso.com']) AS domain,
              floor(pg_temp.seed_unit(s.seed, 6, src.id) * 4)::integer AS style) AS nm
 CROSS JOIN LATERAL (
       SELECT lower(translate(CASE nm.style
                        WHEN 0 THEN nm.first_name || '.' || nm.last_name || src.id
                        WHEN 1 THEN nm.first_name || src.id
                        WHEN 2 THEN left(nm.first_name, 1) || nm.last_name || src.id
                        ELSE nm.first_name || '_' || nm.last_name || '.' || src.id
                    END, 'ü', 'u')) || '@' || nm.domain AS email) AS n
 CROSS JOIN LATERAL (
       SELECT s.anchor - interval '1 day' * (1 + 1094 * pg_temp.seed_unit(s.seed, 11, g.id)) AS created_at) AS t
)sql";

// Plans are spread by a golden-ratio sequence rather than by chance, so that even 20 workspaces show the
// real mix (about 70 % free). Team sizes follow a Pareto law per plan, capped by the plan's seats.
inline constexpr char workspacePlan[] = R"sql(
INSERT INTO seed_ws (id, plan, member_count, first_member, project_count, project_base, usage_rank, created_at)
SELECT b.id, b.plan, b.member_count, b.first_member, b.project_count,
       (sum(b.project_count) OVER (ORDER BY b.id) - b.project_count)::bigint,
       row_number() OVER (ORDER BY b.member_count DESC, b.id) - 1,
       b.created_at
  FROM (
       SELECT w.id, pl.plan,
              CASE WHEN w.id = ANY (s.over_limit_workspaces)
                   THEN 3 + array_position(s.over_limit_workspaces, w.id)
                   ELSE least(p.max_members::double precision, s.users::double precision,
                              floor(pg_temp.seed_pareto(s.seed, 21, w.id,
                                    CASE pl.plan WHEN 'team' THEN 3 WHEN 'business' THEN 10
                                                 WHEN 'enterprise' THEN 40 ELSE 1 END, 1.16)))
              END::integer AS member_count,
              floor(pg_temp.seed_unit(s.seed, 22, w.id) * s.users)::bigint AS first_member,
              least(40, floor(pg_temp.seed_pareto(s.seed, 23, w.id, 1, 1.5)))::integer AS project_count,
              s.anchor - interval '1 day' * (2 + 1090 * pg_temp.seed_unit(s.seed, 24, w.id)) AS created_at
         FROM seed_params AS s
        CROSS JOIN LATERAL generate_series(1, s.workspaces) AS w(id)
        CROSS JOIN LATERAL (
              SELECT w.id * 0.6180339887498949 + pg_temp.seed_unit(s.seed, 20, 0) AS x) AS golden
        CROSS JOIN LATERAL (
              SELECT CASE WHEN w.id = ANY (s.canceled_workspaces) OR w.id = ANY (s.over_limit_workspaces) THEN 'team'
                          WHEN golden.x - floor(golden.x) < 0.70 THEN 'free'
                          WHEN golden.x - floor(golden.x) < 0.83 THEN 'starter'
                          WHEN golden.x - floor(golden.x) < 0.93 THEN 'team'
                          WHEN golden.x - floor(golden.x) < 0.98 THEN 'business'
                          ELSE 'enterprise' END AS plan) AS pl
         JOIN public.plans AS p ON p.code = pl.plan) AS b
)sql";

// Canceled subscriptions are read-only, as the billing webhook makes them, except the planted ones.
inline constexpr char workspaces[] = R"sql(
INSERT INTO public.workspaces (id, name, slug, plan, stripe_customer_id, stripe_subscription_id,
                               subscription_status, current_period_end, read_only, storage_used_bytes,
                               created_at, updated_at)
SELECT w.id,
       n.adjective || ' ' || n.noun || n.suffix,
       lower(n.adjective || '-' || n.noun) || '-' || w.id,
       w.plan,
       CASE WHEN w.plan <> 'free' THEN 'cus_' || lpad(to_hex(w.id), 6, '0') || substr(h.hex, 1, 8) END,
       CASE WHEN st.status <> 'none' THEN 'sub_' || lpad(to_hex(w.id), 6, '0') || substr(h.hex, 9, 18) END,
       st.status,
       CASE st.status
           WHEN 'none' THEN NULL
           WHEN 'canceled' THEN s.anchor - interval '1 day' * (1 + 60 * pg_temp.seed_unit(s.seed, 31, w.id))
           ELSE s.anchor + interval '1 day' * (1 + 29 * pg_temp.seed_unit(s.seed, 31, w.id))
       END,
       st.status = 'canceled' AND w.id <> ALL (s.canceled_workspaces),
       0,
       w.created_at,
       w.created_at
  FROM seed_ws AS w
 CROSS JOIN seed_params AS s
 CROSS JOIN LATERAL (SELECT md5(s.seed::text || ':workspace:' || w.id::text) AS hex) AS h
 CROSS JOIN LATERAL (
       SELECT CASE WHEN w.id = ANY (s.canceled_workspaces) THEN 'canceled'
                   WHEN w.plan IN ('free', 'enterprise') THEN 'none'
                   WHEN pg_temp.seed_unit(s.seed, 30, w.id) < 0.86 THEN 'active'
                   WHEN pg_temp.seed_unit(s.seed, 30, w.id) < 0.91 THEN 'trialing'
                   WHEN pg_temp.seed_unit(s.seed, 30, w.id) < 0.95 THEN 'past_due'
                   WHEN pg_temp.seed_unit(s.seed, 30, w.id) < 0.98 THEN 'canceled'
                   ELSE 'unpaid' END AS status) AS st
 CROSS JOIN LATERAL (
       SELECT pg_temp.seed_pick(s.seed, 32, w.id, ARRAY['Blue', 'Quiet', 'Bright', 'Northern', 'Rapid', 'Silver',
                  'Golden', 'Clever', 'Brave', 'Lucky', 'Crimson', 'Green', 'Swift', 'Bold', 'Calm', 'Happy', 'Iron',
                  'Misty', 'Red', 'Sunny']) AS adjective,
              pg_temp.seed_pick(s.seed, 33, w.id, ARRAY['Fox', 'Harbor', 'Pixel', 'Rocket', 'Summit', 'River',
                  'Forge', 'Orbit', 'Falcon', 'Maple', 'Atlas', 'Cedar', 'Comet', 'Delta', 'Ember', 'Garden',
                  'Lantern', 'Meadow', 'Nimbus', 'Otter']) AS noun,
              pg_temp.seed_pick(s.seed, 34, w.id, ARRAY['', '', '', ' Labs', ' Studio', ' Inc', ' Team', ' Co',
                  ' Agency', ' Collective']) AS suffix) AS n
)sql";

inline constexpr char memberships[] = R"sql(
INSERT INTO public.memberships (workspace_id, user_id, role, created_at)
SELECT w.id,
       (w.first_member + j) % s.users + 1,
       CASE WHEN j = 0 THEN 'owner'
            WHEN j <= w.member_count / 10 THEN 'admin'
            WHEN pg_temp.seed_unit(s.seed, 40, w.id * 16384 + j) < 0.2 THEN 'viewer'
            ELSE 'member' END,
       w.created_at + (s.anchor - w.created_at)
                      * CASE WHEN j = 0 THEN 0 ELSE pg_temp.seed_unit(s.seed, 41, w.id * 16384 + j) END
  FROM seed_ws AS w
 CROSS JOIN seed_params AS s
 CROSS JOIN LATERAL generate_series(0, w.member_count - 1) AS j
)sql";

inline constexpr char projectPlan[] = R"sql(
INSERT INTO seed_projects (id, workspace_id, file_count, file_base, created_at)
SELECT b.id, b.workspace_id, b.file_count, (sum(b.file_count) OVER (ORDER BY b.id) - b.file_count)::bigint,
       b.created_at
  FROM (
       SELECT w.project_base + j + 1 AS id,
              w.id AS workspace_id,
              least(300, floor(pg_temp.seed_pareto(s.seed, 50, w.project_base + j + 1, 1.5, 1.4)) - 1)::integer
                  AS file_count,
              w.created_at + (s.anchor - w.created_at) * pg_temp.seed_unit(s.seed, 51, w.project_base + j + 1)
                  AS created_at
         FROM seed_ws AS w
        CROSS JOIN seed_params AS s
        CROSS JOIN LATERAL generate_series(0, w.project_count - 1) AS j) AS b
)sql";

inline constexpr char projects[] = R"sql(
INSERT INTO public.projects (id, workspace_id, name, created_at)
SELECT p.id, p.workspace_id,
       pg_temp.seed_pick(s.seed, 52, p.id, ARRAY['Website', 'Mobile app', 'Launch', 'Brand refresh', 'Onboarding',
           'Research', 'Docs', 'Pitch deck', 'Hiring', 'Roadmap', 'Newsletter', 'Support', 'Data pipeline',
           'Design system', 'Q3 planning', 'Customer interviews']),
       p.created_at
  FROM seed_projects AS p
 CROSS JOIN seed_params AS s
)sql";

// Sizes from 16 bytes to 4 GiB, log-uniform skewed towards small files: a few huge videos and backups
// dominate a workspace's storage, as they do in real life.
inline constexpr char files[] = R"sql(
INSERT INTO public.files (id, project_id, workspace_id, name, size_bytes, storage_key, created_at)
SELECT f.id, p.id, p.workspace_id,
       pg_temp.seed_pick(s.seed, 60, f.id, ARRAY['report', 'invoice', 'design', 'notes', 'backup', 'photo',
           'recording', 'dataset', 'slides', 'contract', 'logo', 'export'])
           || '-' || (j + 1)
           || pg_temp.seed_pick(s.seed, 61, f.id, ARRAY['.pdf', '.png', '.docx', '.zip', '.mp4', '.csv', '.key',
                  '.txt', '.jpg', '.fig']),
       floor(exp(ln(16) + power(pg_temp.seed_unit(s.seed, 62, f.id), 1.5) * (ln(4294967296) - ln(16))))::bigint,
       'files/' || p.workspace_id || '/' || f.id || '-' || substr(md5(s.seed::text || ':file:' || f.id::text), 1, 16),
       p.created_at + (s.anchor - p.created_at) * pg_temp.seed_unit(s.seed, 63, f.id)
  FROM seed_projects AS p
 CROSS JOIN seed_params AS s
 CROSS JOIN LATERAL generate_series(0, p.file_count - 1) AS j
 CROSS JOIN LATERAL (SELECT p.file_base + j + 1 AS id) AS f
)sql";

inline constexpr char storageFromFiles[] = R"sql(
UPDATE public.workspaces AS w
   SET storage_used_bytes = f.total
  FROM (SELECT workspace_id, sum(size_bytes)::bigint AS total FROM public.files GROUP BY workspace_id) AS f
 WHERE f.workspace_id = w.id
)sql";

// Usage concentrates in the biggest teams (rank drawn as u³), by one of their members, spread over the last
// twelve months or the workspace's life if shorter.
inline constexpr char aiUsage[] = R"sql(
INSERT INTO public.ai_usage (id, workspace_id, user_id, provider, model, input_tokens, output_tokens, cost_usd,
                             request_id, created_at)
SELECT g.id, w.id,
       (w.first_member + floor(pg_temp.seed_unit(s.seed, 71, g.id) * w.member_count)::bigint) % s.users + 1,
       m.provider, m.model, t.input_tokens, t.output_tokens,
       round((t.input_tokens * m.input_usd_per_mtok + t.output_tokens * m.output_usd_per_mtok) / 1000000, 6),
       'req_' || lpad(to_hex(g.id), 10, '0') || to_hex(hashint8extended(g.id, s.seed * 1000 + 72) & 281474976710655),
       s.anchor - least(interval '365 days', s.anchor - w.created_at) * pg_temp.seed_unit(s.seed, 73, g.id)
  FROM seed_params AS s
 CROSS JOIN LATERAL generate_series(1, s.ai_usage) AS g(id)
  JOIN seed_ws AS w ON w.usage_rank = floor(power(pg_temp.seed_unit(s.seed, 70, g.id), 3) * s.workspaces)::bigint
  JOIN seed_models AS m ON m.idx = floor(pg_temp.seed_unit(s.seed, 74, g.id) * 9)::integer
 CROSS JOIN LATERAL (
       SELECT pg_temp.seed_log_uniform(s.seed, 75, g.id, 20, 30000)::integer AS input_tokens,
              CASE WHEN m.output_usd_per_mtok = 0 THEN 0
                   ELSE pg_temp.seed_log_uniform(s.seed, 76, g.id, 5, 4000)::integer END AS output_tokens) AS t
)sql";

// The first two exports are always expired and never purged, so every size has some for the purge action.
inline constexpr char exports[] = R"sql(
INSERT INTO public.exports (id, workspace_id, requested_by, status, storage_key, size_bytes, created_at,
                            expires_at, purged_at)
SELECT g.id, w.id,
       (w.first_member + floor(pg_temp.seed_unit(s.seed, 81, g.id) * w.member_count)::bigint) % s.users + 1,
       st.status,
       CASE WHEN st.status NOT IN ('failed', 'running')
            THEN 'exports/' || w.id || '/' || g.id || '-' || substr(md5(s.seed::text || ':export:' || g.id::text), 1, 12)
                 || '.zip' END,
       CASE WHEN st.status NOT IN ('failed', 'running')
            THEN pg_temp.seed_log_uniform(s.seed, 82, g.id, 100000, 20000000000) END,
       c.created_at,
       CASE WHEN st.status <> 'failed' THEN c.created_at + interval '7 days' END,
       CASE WHEN st.status = 'purged' THEN c.created_at + interval '8 days' END
  FROM seed_params AS s
 CROSS JOIN LATERAL generate_series(1, s.exports) AS g(id)
  JOIN seed_ws AS w ON w.usage_rank = floor(power(pg_temp.seed_unit(s.seed, 80, g.id), 2) * s.workspaces)::bigint
 CROSS JOIN LATERAL (
       SELECT CASE WHEN g.id <= 2 THEN s.anchor - interval '1 day' * (10 + 5 * g.id)
                   ELSE s.anchor - interval '1 hour' * (1 + 24 * 120 * pg_temp.seed_unit(s.seed, 83, g.id))
              END AS created_at) AS c
 CROSS JOIN LATERAL (
       SELECT CASE WHEN g.id <= 2 THEN 'expired'
                   WHEN pg_temp.seed_unit(s.seed, 84, g.id) < 0.05 THEN 'failed'
                   WHEN c.created_at > s.anchor - interval '2 hours' THEN 'running'
                   WHEN c.created_at + interval '7 days' > s.anchor THEN 'ready'
                   WHEN pg_temp.seed_unit(s.seed, 85, g.id) < 0.6 THEN 'expired'
                   ELSE 'purged' END AS status) AS st
)sql";

// What Stripe's webhooks would have left: a creation per subscription, invoices, failures, cancellations.
inline constexpr char billingEvents[] = R"sql(
INSERT INTO public.billing_events (id, stripe_event_id, type, workspace_id, payload, received_at, processed_at)
SELECT e.n, e.event_id, e.type, e.workspace_id,
       jsonb_build_object('id', e.event_id, 'object', 'event', 'type', e.type,
                          'created', extract(epoch FROM e.received_at)::bigint,
                          'data', jsonb_build_object('object', jsonb_build_object(
                              'customer', e.customer, 'subscription', e.subscription, 'status', e.status,
                              'amount_due', e.amount, 'currency', 'usd'))),
       e.received_at,
       CASE WHEN pg_temp.seed_unit(e.seed, 92, e.n) >= 0.02 THEN e.received_at + interval '2 seconds' END
  FROM (
       SELECT k.n, s.seed, k.type, k.workspace_id, k.customer, k.subscription, k.status, k.amount, k.received_at,
              'evt_' || lpad(to_hex(k.n), 8, '0') || substr(md5(s.seed::text || ':event:' || k.n::text), 1, 16)
                  AS event_id
         FROM seed_params AS s
        CROSS JOIN LATERAL (
              SELECT row_number() OVER (ORDER BY w.id, kind.ord) AS n, kind.type, w.id AS workspace_id,
                     w.stripe_customer_id AS customer, w.stripe_subscription_id AS subscription,
                     w.subscription_status AS status, p.monthly_price_cents AS amount,
                     CASE kind.ord WHEN 1 THEN w.created_at
                          ELSE s.anchor - interval '1 hour' * (1 + 24 * 28 * pg_temp.seed_unit(s.seed, 91, w.id * 4 + kind.ord))
                     END AS received_at
                FROM public.workspaces AS w
                JOIN public.plans AS p ON p.code = w.plan
                JOIN (VALUES (1, 'customer.subscription.created'), (2, 'invoice.paid'),
                             (3, 'invoice.payment_failed'), (4, 'customer.subscription.deleted')) AS kind(ord, type)
                  ON kind.ord = 1
                  OR (kind.ord = 2 AND w.subscription_status IN ('active', 'past_due', 'canceled', 'unpaid'))
                  OR (kind.ord = 3 AND w.subscription_status IN ('past_due', 'unpaid'))
                  OR (kind.ord = 4 AND w.subscription_status = 'canceled')
               WHERE w.stripe_subscription_id IS NOT NULL) AS k) AS e
)sql";

// Planting: drift both ways, and downgrades that leave teams bigger than the new plan allows (the team-size
// trigger guards inserts, not plan changes, exactly as in production).
inline constexpr char plantStorageDrift[] = R"sql(
UPDATE public.workspaces AS w
   SET storage_used_bytes = CASE WHEN p.ord % 2 = 0 AND w.storage_used_bytes > 1 THEN w.storage_used_bytes / 2
                                 ELSE w.storage_used_bytes + p.ord * 987654321 END
  FROM seed_params AS s
 CROSS JOIN LATERAL unnest(s.drift_workspaces) WITH ORDINALITY AS p(id, ord)
 WHERE w.id = p.id
)sql";

inline constexpr char plantDowngrades[] = R"sql(
UPDATE public.workspaces AS w
   SET plan = 'free', subscription_status = 'none', stripe_subscription_id = NULL, current_period_end = NULL,
       read_only = false
  FROM seed_params AS s
 WHERE w.id = ANY (s.over_limit_workspaces)
)sql";

// Secondary indexes of the bulk tables that no constraint owns: dropped before the load and rebuilt after it
// with their own definitions, because one sorted build is far cheaper than millions of random insertions.
inline constexpr char secondaryIndexes[] = R"sql(
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
  FROM pg_index AS i
  JOIN pg_class AS t ON t.oid = i.indrelid
  JOIN pg_namespace AS ns ON ns.oid = t.relnamespace
 WHERE ns.nspname = 'public'
   AND t.relname IN ('users', 'workspaces', 'memberships', 'projects', 'files', 'ai_usage', 'exports',
                     'billing_events')
   AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
 ORDER BY 1
)sql";

} // namespace beacon::seedsql
