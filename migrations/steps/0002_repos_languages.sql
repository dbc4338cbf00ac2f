-- label: add repos.languages
ALTER TABLE aveloxis_data.repos
    ADD COLUMN IF NOT EXISTS languages JSONB NOT NULL DEFAULT '{}'::jsonb;
