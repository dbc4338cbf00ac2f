-- label: drop the event keys without the kind
-- The keys with the kind (steps 0007 and 0008) are in place and valid by now.
ALTER TABLE aveloxis_data.issue_events DROP CONSTRAINT IF EXISTS uq_issue_events_repo_event;
ALTER TABLE aveloxis_data.pull_request_events
    DROP CONSTRAINT IF EXISTS uq_pull_request_events_repo_event;
