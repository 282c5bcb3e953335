-- Billing through Stripe: the console writes Stripe's view of a workspace into its row (billing-sync, the
-- plan change through Stripe) and links a lost customer or subscription id (billing-link). Those are
-- finance's and admin's actions, so those two groups may now write the row's Stripe columns; support still
-- may not. updated_at and version stay with the trigger, as 0002_roles.sql says.

GRANT UPDATE (stripe_customer_id, stripe_subscription_id, subscription_status, current_period_end)
    ON public.workspaces TO beacon_finance, beacon_admin;
