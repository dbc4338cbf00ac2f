-- label: unique (repo_id, platform_event_id, event_kind) on pull_request_events
-- mode: concurrent-index aveloxis_data.uq_pull_request_events_repo_event_kind
-- Wider than the old key it replaces, so existing rows cannot violate it.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_pull_request_events_repo_event_kind
    ON aveloxis_data.pull_request_events (repo_id, platform_event_id, event_kind);
