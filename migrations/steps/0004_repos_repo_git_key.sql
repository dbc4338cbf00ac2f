-- label: unique index on lower(repos.repo_git)
-- mode: concurrent-index aveloxis_data.repos_repo_git_lower_key
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS repos_repo_git_lower_key
    ON aveloxis_data.repos (lower(repo_git));
