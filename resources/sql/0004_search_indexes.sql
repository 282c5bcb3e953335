-- Substring search that stays fast on punctuation. pg_trgm splits text into words at every character that
-- is not a letter or digit, so the plain trigram indexes of 0001 answered "en.nguye" with the candidates of
-- "en" and of "nguye" apart: tens of thousands of rows on a million users, each rechecked. These indexes
-- are built on the text folded to lower-case letters and digits only, where "en.nguye" is the one word
-- "ennguye" and its trigrams are specific. The console asks them first (a necessary condition: a substring,
-- folded, is a substring of the folded text), then applies the exact ILIKE to what they return.
-- The expression must match alnumFolded() in app/core/browse/keysetpager.cpp character for character, or
-- the planner cannot use the index.

CREATE INDEX users_primary_email_alnum_trgm_idx ON public.users
    USING gin (regexp_replace(lower(primary_email), '[^[:alnum:]]+', '', 'g') public.gin_trgm_ops);
CREATE INDEX users_display_name_alnum_trgm_idx ON public.users
    USING gin (regexp_replace(lower(display_name), '[^[:alnum:]]+', '', 'g') public.gin_trgm_ops);
CREATE INDEX workspaces_name_alnum_trgm_idx ON public.workspaces
    USING gin (regexp_replace(lower(name), '[^[:alnum:]]+', '', 'g') public.gin_trgm_ops);
CREATE INDEX workspaces_slug_alnum_trgm_idx ON public.workspaces
    USING gin (regexp_replace(lower(slug), '[^[:alnum:]]+', '', 'g') public.gin_trgm_ops);

-- The planner would otherwise AND the old indexes' broad candidate sets into every search.
DROP INDEX public.users_primary_email_trgm_idx;
DROP INDEX public.users_display_name_trgm_idx;
DROP INDEX public.workspaces_name_trgm_idx;
DROP INDEX public.workspaces_slug_trgm_idx;
