-- label: make fk_repos_repo_group deferrable
-- Idempotent: re-created only while it is still immediate. NOT VALID + VALIDATE keeps the
-- exclusive lock short on a large table.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint
                WHERE conname = 'fk_repos_repo_group'
                  AND conrelid = 'aveloxis_data.repos'::regclass
                  AND NOT condeferrable) THEN
        ALTER TABLE aveloxis_data.repos DROP CONSTRAINT fk_repos_repo_group;
        ALTER TABLE aveloxis_data.repos ADD CONSTRAINT fk_repos_repo_group
            FOREIGN KEY (repo_group_id) REFERENCES aveloxis_data.repo_groups (repo_group_id)
            DEFERRABLE INITIALLY DEFERRED NOT VALID;
        ALTER TABLE aveloxis_data.repos VALIDATE CONSTRAINT fk_repos_repo_group;
    END IF;
END $$;
