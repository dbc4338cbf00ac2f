-- label: case-insensitive unique repo URL for forge repos
-- mode: concurrent-index aveloxis_data.uq_repos_repo_git_ci
-- Forge URLs are case-insensitive; plain git hosts (platform 3) are exempt. A database with
-- case-duplicates fails this step by name; merge the duplicates, then re-run migrate.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_repos_repo_git_ci
    ON aveloxis_data.repos (lower(repo_git)) WHERE platform_id IN (1, 2);
