-- label: add aveloxis_ops.listing_cursors and aveloxis_ops.children_fetched (resumable listings)
-- Where a listing a run left half-way stands: its pages so far are staged, the next run asks
-- for the rest instead of starting again. A row lives only while its listing is unfinished.
CREATE TABLE IF NOT EXISTS aveloxis_ops.listing_cursors (
    repo_id              BIGINT NOT NULL,
    listing              TEXT NOT NULL,   -- the listing's first URL (window included)
    next_url             TEXT NOT NULL,
    pages                INTEGER NOT NULL DEFAULT 0,
    started_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_listing_cursors PRIMARY KEY (repo_id, listing),
    CONSTRAINT fk_listing_cursors_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- The parents (pull requests) whose child listings (reviews, commits, files) are staged, and
-- the parent's update time they were fetched for: a parent is fetched again only once it moved.
CREATE TABLE IF NOT EXISTS aveloxis_ops.children_fetched (
    repo_id              BIGINT NOT NULL,
    parent               TEXT NOT NULL,   -- pull
    number               BIGINT NOT NULL,
    parent_updated_at    TIMESTAMPTZ,
    fetched_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_children_fetched PRIMARY KEY (repo_id, parent, number),
    CONSTRAINT fk_children_fetched_repo FOREIGN KEY (repo_id)
        REFERENCES aveloxis_data.repos (repo_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- GitHub pull requests collected before this step had their children fetched with them: record that,
-- so the first run after the upgrade does not ask every pull request's listings again.
INSERT INTO aveloxis_ops.children_fetched (repo_id, parent, number, parent_updated_at)
SELECT DISTINCT ON (p.repo_id, p.pr_number) p.repo_id, 'pull', p.pr_number, p.updated_at
  FROM aveloxis_data.pull_requests p
  JOIN aveloxis_data.repos r ON r.repo_id = p.repo_id
 WHERE p.pr_number IS NOT NULL AND r.platform_id = 1
 ORDER BY p.repo_id, p.pr_number, p.updated_at DESC NULLS LAST
ON CONFLICT DO NOTHING;
