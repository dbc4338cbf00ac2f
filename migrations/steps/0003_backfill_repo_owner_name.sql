-- label: backfill repos.repo_owner/repo_name from repo_git
-- Idempotent: only rows still missing a value are touched.
UPDATE aveloxis_data.repos
   SET repo_owner = CASE WHEN repo_owner = ''
                         THEN split_part(regexp_replace(repo_git, '^[a-z]+://[^/]+/', ''), '/', 1)
                         ELSE repo_owner END,
       repo_name  = CASE WHEN repo_name = ''
                         THEN regexp_replace(regexp_replace(repo_git, '^.*/', ''), '\.git$', '')
                         ELSE repo_name END
 WHERE repo_owner = '' OR repo_name = '';
