-- The issue comments of item number $2 of repository $1 that its complete comment listing
-- ($3: the ids it lists) no longer holds: deleted on the forge. Removed with every row that
-- refers to them. $4 says what the number names: 'issue', 'pull', or 'either' (GitHub numbers
-- issues and pull requests together, GitLab apart).
WITH gone AS (
    SELECT m.msg_id
      FROM aveloxis_data.messages m
     WHERE m.repo_id = $1 AND m.msg_kind = 'issue_comment' AND m.platform_msg_id <> ALL ($3)
       AND (($4 <> 'pull'
             AND EXISTS (SELECT 1 FROM aveloxis_data.issue_message_ref r
                           JOIN aveloxis_data.issues i ON i.issue_id = r.issue_id
                          WHERE r.msg_id = m.msg_id AND i.repo_id = $1 AND i.issue_number = $2))
            OR ($4 <> 'issue'
                AND EXISTS (SELECT 1 FROM aveloxis_data.pull_request_message_ref r
                              JOIN aveloxis_data.pull_requests p ON p.pull_request_id = r.pull_request_id
                             WHERE r.msg_id = m.msg_id AND p.repo_id = $1 AND p.pr_number = $2)))
),
issue_refs AS (
    DELETE FROM aveloxis_data.issue_message_ref WHERE msg_id IN (SELECT msg_id FROM gone)
),
pr_refs AS (
    DELETE FROM aveloxis_data.pull_request_message_ref WHERE msg_id IN (SELECT msg_id FROM gone)
),
analysis AS (
    DELETE FROM aveloxis_data.message_analysis WHERE msg_id IN (SELECT msg_id FROM gone)
),
sentiment AS (
    DELETE FROM aveloxis_data.message_sentiment WHERE msg_id IN (SELECT msg_id FROM gone)
),
insights AS (
    DELETE FROM aveloxis_data.discourse_insights WHERE msg_id IN (SELECT msg_id FROM gone)
)
DELETE FROM aveloxis_data.messages WHERE msg_id IN (SELECT msg_id FROM gone)
