-- label: backfill repos.repo_owner/repo_name from repo_git
-- Idempotent: only rows still missing a value are touched.
UPDATE aveloxis_data.repos
   SET repo_owner = COALESCE(repo_owner, split_part(regexp_replace(repo_git, '^[a-z]+://[^/]+/', ''), '/', 1)),
       repo_name  = COALESCE(repo_name, regexp_replace(split_part(regexp_replace(repo_git, '^[a-z]+://[^/]+/', ''), '/', 2), '\.git$', ''))
 WHERE repo_owner IS NULL OR repo_name IS NULL;
