-- label: issue_events/pull_request_events.event_kind (GitLab label events have ids of their own)
-- GitLab numbers resource label events in a sequence apart from project events, so a label
-- event and a project event of one project can share an id and the second would overwrite the
-- first under the old key (repo_id, platform_event_id). The kind joins the key (next steps).
-- ADD COLUMN with a constant default rewrites nothing. Idempotent: the backfill only touches
-- label events still marked as plain events.
ALTER TABLE aveloxis_data.issue_events
    ADD COLUMN IF NOT EXISTS event_kind TEXT NOT NULL DEFAULT 'event';
ALTER TABLE aveloxis_data.pull_request_events
    ADD COLUMN IF NOT EXISTS event_kind TEXT NOT NULL DEFAULT 'event';
UPDATE aveloxis_data.issue_events SET event_kind = 'label_event'
 WHERE node_id LIKE 'ResourceLabelEvent/%' AND event_kind <> 'label_event';
UPDATE aveloxis_data.pull_request_events SET event_kind = 'label_event'
 WHERE node_id LIKE 'ResourceLabelEvent/%' AND event_kind <> 'label_event';
