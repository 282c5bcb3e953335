-- A Stripe webhook (billing.py, customer.subscription.updated): lock the workspace row, then write the
-- subscription's status and period end. Never "canceled": a canceled subscription on a writable workspace
-- is an anomaly `beaconctl check` reports, and the stress test counts every new one as a violation.
\set w random(2, :workspaces)
\set status random(1, 3)
\set days random(1, 60)
BEGIN;
SELECT id FROM public.workspaces WHERE id = CAST(:w AS bigint) FOR UPDATE;
UPDATE public.workspaces
   SET subscription_status = (ARRAY['active', 'trialing', 'past_due'])[CAST(:status AS int)],
       current_period_end = now() + make_interval(days => CAST(:days AS int))
 WHERE id = CAST(:w AS bigint);
COMMIT;
