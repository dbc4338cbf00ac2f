-- label: index contributors by profile age (the enrichment's oldest-first queue)
-- mode: concurrent-index aveloxis_data.idx_contributors_last_enriched_at
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_contributors_last_enriched_at
    ON aveloxis_data.contributors (cntrb_last_enriched_at NULLS FIRST);
