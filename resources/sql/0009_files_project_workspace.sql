-- A file belongs to a project, and the project to a workspace; files also carry workspace_id so that a
-- workspace's files and storage are found without a join. Until now nothing made the two agree, so a file
-- could count against one workspace's storage while its project lived in another. The schema now says it:
-- a file's (project_id, workspace_id) must be a project's (id, workspace_id).
--
-- On a database that already holds files whose workspace is not their project's, this migration stops
-- with a message that says how many and which, rather than guessing which of the two columns is right.

DO $$
DECLARE
    mismatched bigint;
    examples text;
BEGIN
    SELECT count(*), string_agg(m.id::text, ', ' ORDER BY m.id)
      INTO mismatched, examples
      FROM (SELECT f.id
              FROM public.files AS f
              JOIN public.projects AS p ON p.id = f.project_id
             WHERE p.workspace_id <> f.workspace_id) AS m;
    IF mismatched > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = format('%s of the files belong to a project of another workspace; the schema cannot require '
                             'them to agree until they do', mismatched),
            DETAIL = format('File ids: %s.', left(examples, 500)),
            HINT = 'Decide for each file whether its workspace_id or its project_id is right, correct it, '
                   'and run the migration again.';
    END IF;
END;
$$;

ALTER TABLE public.projects ADD CONSTRAINT projects_id_workspace_id_key UNIQUE (id, workspace_id);

-- The same ON DELETE CASCADE as the single-column key it replaces: deleting a project deletes its files.
-- The key on workspace_id alone stays, with its own cascade, for files whose workspace goes.
ALTER TABLE public.files DROP CONSTRAINT files_project_id_fkey;
ALTER TABLE public.files ADD CONSTRAINT files_project_id_workspace_id_fkey
    FOREIGN KEY (project_id, workspace_id) REFERENCES public.projects (id, workspace_id) ON DELETE CASCADE;
