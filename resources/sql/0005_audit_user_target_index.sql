-- A user's audit history (the Users page's detail pane) finds the entries whose target is that user.
-- target_id is free text, so the console compares the canonical spelling of a bigint only (see
-- userAuditTable() in app/core/browse/tables.cpp); without an index on that very expression every selected
-- user read the whole audit log. The expression must match the console's character for character.

CREATE INDEX audit_log_user_target_idx ON public.audit_log
    ((CASE WHEN target_type = 'user' AND target_id ~ '^(0|[1-9][0-9]{0,17})$' THEN CAST(target_id AS bigint) END),
     occurred_at, id);
