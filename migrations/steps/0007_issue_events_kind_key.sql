-- label: unique (repo_id, platform_event_id, event_kind) on issue_events
-- mode: concurrent-index aveloxis_data.uq_issue_events_repo_event_kind
-- Wider than the old key it replaces, so existing rows cannot violate it.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_issue_events_repo_event_kind
    ON aveloxis_data.issue_events (repo_id, platform_event_id, event_kind);
