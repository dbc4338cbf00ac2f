-- label: add aveloxis_ops.endpoint_notes (optional endpoints that had nothing, per repository)
-- One row per repository and optional endpoint whose last fetch answered a known "none"
-- (410 issues disabled, 204 empty repository, 403 too large to list, ...). Replaced by each run.
CREATE TABLE IF NOT EXISTS aveloxis_ops.endpoint_notes (
    repo_id              BIGINT NOT NULL,
    endpoint             TEXT NOT NULL,
    status               SMALLINT NOT NULL,
    reason               TEXT NOT NULL,
    message              TEXT,
    noted_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_endpoint_notes PRIMARY KEY (repo_id, endpoint),
    CONSTRAINT fk_endpoint_notes_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
