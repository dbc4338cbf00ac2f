-- label: the quarantine of items the collector could not write as received
-- Items the collector could not write (a value that is not of its column's type, an item
-- without its identity, a malformed page), and items it wrote with a repaired value (a commit
-- date with an impossible time-zone offset, stored in UTC): each with the item as received and
-- why. One row per distinct item; seeing it again counts it.
CREATE TABLE IF NOT EXISTS aveloxis_ops.quarantine (
    quarantine_id        BIGSERIAL PRIMARY KEY,
    repo_id              BIGINT NOT NULL,
    staging_id           BIGINT,          -- the staged page it came from (pages are purged; the item is kept here)
    entity_type          TEXT NOT NULL,   -- the staged entity (issues, pulls, ...), 'commit' for the facade
    target               TEXT NOT NULL DEFAULT '',  -- the table the row was for ('' for a whole item or page)
    item                 JSONB NOT NULL,  -- the item (or page) as the forge or git gave it
    reason               TEXT NOT NULL,
    action               TEXT NOT NULL DEFAULT 'held',  -- held: not written; normalised: written repaired
    fingerprint          TEXT NOT NULL,   -- md5 of the item's text
    times_seen           INTEGER NOT NULL DEFAULT 1,
    first_seen_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT ck_quarantine_action CHECK (action IN ('held', 'normalised')),
    CONSTRAINT uq_quarantine_item UNIQUE (repo_id, entity_type, target, fingerprint),
    CONSTRAINT fk_quarantine_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX IF NOT EXISTS idx_quarantine_repo_seen
    ON aveloxis_ops.quarantine (repo_id, last_seen_at);
