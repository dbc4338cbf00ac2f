-- label: baseline schema
CREATE SCHEMA IF NOT EXISTS aveloxis_data;
CREATE SCHEMA IF NOT EXISTS aveloxis_ops;

CREATE TABLE IF NOT EXISTS aveloxis_data.platforms (
    platform_id   SMALLINT PRIMARY KEY,
    pltfrm_name   TEXT NOT NULL UNIQUE,
    pltfrm_version TEXT,
    pltfrm_release_date DATE,
    tool_source   TEXT,
    tool_version  TEXT,
    data_source   TEXT,
    data_collection_date TIMESTAMPTZ DEFAULT now()
);
INSERT INTO aveloxis_data.platforms (platform_id, pltfrm_name) VALUES
    (1, 'GitHub'), (2, 'GitLab'), (3, 'Git')
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS aveloxis_data.repo_groups (
    repo_group_id BIGSERIAL PRIMARY KEY,
    rg_name       TEXT NOT NULL UNIQUE,
    rg_description TEXT,
    rg_type       TEXT,
    tool_source   TEXT,
    tool_version  TEXT,
    data_source   TEXT,
    data_collection_date TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE IF NOT EXISTS aveloxis_data.repos (
    repo_id       BIGSERIAL PRIMARY KEY,
    repo_group_id BIGINT,
    platform_id   SMALLINT NOT NULL,
    repo_git      TEXT NOT NULL,
    repo_owner    TEXT,
    repo_name     TEXT,
    tool_source   TEXT,
    tool_version  TEXT,
    data_source   TEXT,
    data_collection_date TIMESTAMPTZ DEFAULT now(),
    CONSTRAINT fk_repos_repo_group FOREIGN KEY (repo_group_id)
        REFERENCES aveloxis_data.repo_groups (repo_group_id),
    CONSTRAINT fk_repos_platform FOREIGN KEY (platform_id)
        REFERENCES aveloxis_data.platforms (platform_id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS repos_repo_group_id_idx ON aveloxis_data.repos (repo_group_id);
CREATE INDEX IF NOT EXISTS repos_platform_id_idx ON aveloxis_data.repos (platform_id);

CREATE TABLE IF NOT EXISTS aveloxis_ops.config (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
