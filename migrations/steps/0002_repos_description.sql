-- label: add repos.description
ALTER TABLE aveloxis_data.repos ADD COLUMN IF NOT EXISTS description TEXT;
