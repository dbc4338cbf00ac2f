-- Issues and pull requests of repository $1 whose comment count, as the issue listing staged
-- since $2 states it, differs from the issue comments collected for them: a comment was
-- deleted (or one is missing). Their own comment listing is asked to settle it.
WITH stated AS (
    SELECT DISTINCT ON (n) n, c
      FROM (SELECT s.staging_id, (i ->> 'number')::bigint AS n, (i ->> 'comments')::bigint AS c
              FROM aveloxis_ops.staging s
             CROSS JOIN LATERAL jsonb_array_elements(
                   CASE jsonb_typeof(s.payload -> 'items') WHEN 'array' THEN s.payload -> 'items'
                        ELSE '[]'::jsonb END) AS i
             WHERE s.repo_id = $1 AND s.entity_type = 'issues' AND s.created_at >= $2
               AND jsonb_typeof(i -> 'number') = 'number'
               AND jsonb_typeof(i -> 'comments') = 'number') x
     ORDER BY n, staging_id DESC
),
have AS (
    SELECT i.issue_number AS n, count(m.msg_id) AS c
      FROM aveloxis_data.issues i
      JOIN aveloxis_data.issue_message_ref r ON r.issue_id = i.issue_id
      JOIN aveloxis_data.messages m ON m.msg_id = r.msg_id AND m.msg_kind = 'issue_comment'
     WHERE i.repo_id = $1
     GROUP BY 1
    UNION ALL
    SELECT p.pr_number, count(m.msg_id)
      FROM aveloxis_data.pull_requests p
      JOIN aveloxis_data.pull_request_message_ref r ON r.pull_request_id = p.pull_request_id
      JOIN aveloxis_data.messages m ON m.msg_id = r.msg_id AND m.msg_kind = 'issue_comment'
     WHERE p.repo_id = $1
     GROUP BY 1
)
SELECT s.n
  FROM stated s
  LEFT JOIN (SELECT n, sum(c) AS c FROM have GROUP BY n) h ON h.n = s.n
 WHERE coalesce(h.c, 0) <> s.c
 ORDER BY s.n
