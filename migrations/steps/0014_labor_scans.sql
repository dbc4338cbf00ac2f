-- label: add aveloxis_ops.labor_scans (the tree each repository's labor was counted from)
-- One row per repository: a tree already counted is not counted again.
CREATE TABLE IF NOT EXISTS aveloxis_ops.labor_scans (
    repo_id              BIGINT NOT NULL,
    tree_id              TEXT NOT NULL,
    files                BIGINT NOT NULL,
    scanned_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_labor_scans PRIMARY KEY (repo_id),
    CONSTRAINT fk_labor_scans_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
