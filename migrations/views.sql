-- =============================================================================
-- Aveloxis data model: derived objects (materialized views + compatibility views)
-- =============================================================================
--
-- Executed in ONE transaction after tables.sql.  When this file changes the
-- migration engine drops every materialized view in aveloxis_data and every
-- view in aveloxis_augur_data and runs the file again, so definitions here are
-- plain CREATE ... IF NOT EXISTS / CREATE OR REPLACE.
--
-- Materialized views (19, upstream/Augur names, Augur column names):
--   * created WITH NO DATA: a fresh install never blocks on a populated build;
--     `aveloxis refresh-views` populates them (`migrate --skip-views` skips
--     this file altogether);
--   * each one has exactly one UNIQUE index named uq_mv_<matview>, on plain
--     columns and without a predicate, so REFRESH MATERIALIZED VIEW
--     CONCURRENTLY is allowed once the view has been populated.  The Rust side
--     finds them through the catalog (pg_index.indisunique on a relkind 'm'
--     relation, indpred IS NULL, no expression columns);
--   * no materialized view reads another one, so they can be refreshed in any
--     order (a dependent view would fail on an unpopulated base).
-- Timestamps are bucketed in UTC so results do not depend on the session
-- TimeZone.
--
-- The facade aggregates dm_repo_* / dm_repo_group_* are plain tables (see
-- tables.sql): they are counted among the 84 documented tables and are
-- rebuilt in SQL after each git log, as in Augur.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- 1-3. Per-repo totals used by the Augur API.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.api_get_all_repo_prs AS
SELECT p.repo_id,
       count(*) AS pull_requests_all_time
FROM aveloxis_data.pull_requests p
GROUP BY p.repo_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_api_get_all_repo_prs
    ON aveloxis_data.api_get_all_repo_prs (repo_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.api_get_all_repos_commits AS
SELECT c.repo_id,
       count(DISTINCT c.cmt_commit_hash) AS commits_all_time
FROM aveloxis_data.commits c
GROUP BY c.repo_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_api_get_all_repos_commits
    ON aveloxis_data.api_get_all_repos_commits (repo_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.api_get_all_repos_issues AS
SELECT i.repo_id,
       count(*) AS issues_all_time
FROM aveloxis_data.issues i
WHERE i.pull_request IS NULL
GROUP BY i.repo_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_api_get_all_repos_issues
    ON aveloxis_data.api_get_all_repos_issues (repo_id);

-- -----------------------------------------------------------------------------
-- 4. Every contributor action, ranked per (contributor, repo) in time order.
--    The same action union appears in 5-7 below (deliberately duplicated so
--    that no materialized view depends on another).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_contributor_actions AS
SELECT a.cntrb_id,
       a.created_at,
       a.repo_id,
       a.action,
       r.repo_name,
       co.cntrb_login AS login,
       a.source_id,
       row_number() OVER (PARTITION BY a.cntrb_id, a.repo_id
                          ORDER BY a.created_at, a.action, a.source_id) AS rank
FROM (
    SELECT c.cmt_ght_author_id AS cntrb_id, min(c.cmt_author_timestamp) AS created_at,
           c.repo_id, 'commit'::text AS action, c.cmt_commit_hash AS source_id
    FROM aveloxis_data.commits c
    WHERE c.cmt_ght_author_id IS NOT NULL
    GROUP BY c.cmt_ght_author_id, c.repo_id, c.cmt_commit_hash
    UNION ALL
    SELECT i.reporter_id, i.created_at, i.repo_id, 'issue_opened', i.issue_id::text
    FROM aveloxis_data.issues i
    WHERE i.reporter_id IS NOT NULL AND i.pull_request IS NULL
    UNION ALL
    SELECT i.closed_by_id, i.closed_at, i.repo_id, 'issue_closed', i.issue_id::text
    FROM aveloxis_data.issues i
    WHERE i.closed_by_id IS NOT NULL AND i.closed_at IS NOT NULL AND i.pull_request IS NULL
    UNION ALL
    SELECT p.author_id, p.created_at, p.repo_id, 'pull_request_open', p.pull_request_id::text
    FROM aveloxis_data.pull_requests p
    WHERE p.author_id IS NOT NULL
    UNION ALL
    SELECT e.cntrb_id, e.created_at, e.repo_id, 'pull_request_' || e.action, e.pr_event_id::text
    FROM aveloxis_data.pull_request_events e
    WHERE e.cntrb_id IS NOT NULL AND e.action IN ('closed', 'merged')
    UNION ALL
    SELECT m.cntrb_id, m.msg_timestamp, ref.repo_id, 'issue_comment', m.msg_id::text
    FROM aveloxis_data.issue_message_ref ref
    JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
    WHERE m.cntrb_id IS NOT NULL
    UNION ALL
    SELECT m.cntrb_id, m.msg_timestamp, ref.repo_id, 'pull_request_comment', m.msg_id::text
    FROM aveloxis_data.pull_request_message_ref ref
    JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
    WHERE m.cntrb_id IS NOT NULL AND m.msg_kind = 'issue_comment'
    UNION ALL
    SELECT v.cntrb_id, v.submitted_at, v.repo_id,
           'pull_request_review_' || coalesce(v.review_state, 'COMMENTED'), v.pr_review_id::text
    FROM aveloxis_data.pull_request_reviews v
    WHERE v.cntrb_id IS NOT NULL
    UNION ALL
    SELECT rc.cntrb_id, rc.created_at, rc.repo_id, 'pull_request_review_comment',
           rc.review_comment_id::text
    FROM aveloxis_data.review_comments rc
    WHERE rc.cntrb_id IS NOT NULL
) a
JOIN aveloxis_data.repos r ON r.repo_id = a.repo_id
LEFT JOIN aveloxis_data.contributors co ON co.cntrb_id = a.cntrb_id
WHERE a.created_at IS NOT NULL
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_contributor_actions
    ON aveloxis_data.explorer_contributor_actions (cntrb_id, repo_id, rank);

-- -----------------------------------------------------------------------------
-- 5. The same, restricted to the last 13 months (8Knot's "recent" pages).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_contributor_recent_actions AS
SELECT a.cntrb_id,
       a.created_at,
       a.repo_id,
       a.action,
       r.repo_name,
       co.cntrb_login AS login,
       a.source_id,
       row_number() OVER (PARTITION BY a.cntrb_id, a.repo_id
                          ORDER BY a.created_at, a.action, a.source_id) AS rank
FROM (
    SELECT c.cmt_ght_author_id AS cntrb_id, min(c.cmt_author_timestamp) AS created_at,
           c.repo_id, 'commit'::text AS action, c.cmt_commit_hash AS source_id
    FROM aveloxis_data.commits c
    WHERE c.cmt_ght_author_id IS NOT NULL
    GROUP BY c.cmt_ght_author_id, c.repo_id, c.cmt_commit_hash
    UNION ALL
    SELECT i.reporter_id, i.created_at, i.repo_id, 'issue_opened', i.issue_id::text
    FROM aveloxis_data.issues i
    WHERE i.reporter_id IS NOT NULL AND i.pull_request IS NULL
    UNION ALL
    SELECT i.closed_by_id, i.closed_at, i.repo_id, 'issue_closed', i.issue_id::text
    FROM aveloxis_data.issues i
    WHERE i.closed_by_id IS NOT NULL AND i.closed_at IS NOT NULL AND i.pull_request IS NULL
    UNION ALL
    SELECT p.author_id, p.created_at, p.repo_id, 'pull_request_open', p.pull_request_id::text
    FROM aveloxis_data.pull_requests p
    WHERE p.author_id IS NOT NULL
    UNION ALL
    SELECT e.cntrb_id, e.created_at, e.repo_id, 'pull_request_' || e.action, e.pr_event_id::text
    FROM aveloxis_data.pull_request_events e
    WHERE e.cntrb_id IS NOT NULL AND e.action IN ('closed', 'merged')
    UNION ALL
    SELECT m.cntrb_id, m.msg_timestamp, ref.repo_id, 'issue_comment', m.msg_id::text
    FROM aveloxis_data.issue_message_ref ref
    JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
    WHERE m.cntrb_id IS NOT NULL
    UNION ALL
    SELECT m.cntrb_id, m.msg_timestamp, ref.repo_id, 'pull_request_comment', m.msg_id::text
    FROM aveloxis_data.pull_request_message_ref ref
    JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
    WHERE m.cntrb_id IS NOT NULL AND m.msg_kind = 'issue_comment'
    UNION ALL
    SELECT v.cntrb_id, v.submitted_at, v.repo_id,
           'pull_request_review_' || coalesce(v.review_state, 'COMMENTED'), v.pr_review_id::text
    FROM aveloxis_data.pull_request_reviews v
    WHERE v.cntrb_id IS NOT NULL
    UNION ALL
    SELECT rc.cntrb_id, rc.created_at, rc.repo_id, 'pull_request_review_comment',
           rc.review_comment_id::text
    FROM aveloxis_data.review_comments rc
    WHERE rc.cntrb_id IS NOT NULL
) a
JOIN aveloxis_data.repos r ON r.repo_id = a.repo_id
LEFT JOIN aveloxis_data.contributors co ON co.cntrb_id = a.cntrb_id
WHERE a.created_at >= now() - interval '13 months'
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_contributor_recent_actions
    ON aveloxis_data.explorer_contributor_recent_actions (cntrb_id, repo_id, rank);

-- -----------------------------------------------------------------------------
-- 6. Augur's new-contributor view: every action ranked per contributor across
--    all repos (rank = 1 is the contributor's first contribution anywhere).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.augur_new_contributors AS
SELECT a.cntrb_id,
       a.created_at,
       extract(month FROM a.created_at AT TIME ZONE 'UTC')::integer AS month,
       extract(year FROM a.created_at AT TIME ZONE 'UTC')::integer AS year,
       a.repo_id,
       r.repo_name,
       co.cntrb_full_name AS full_name,
       co.cntrb_login AS login,
       a.action,
       row_number() OVER (PARTITION BY a.cntrb_id
                          ORDER BY a.created_at, a.repo_id, a.action, a.source_id) AS rank
FROM (
    SELECT c.cmt_ght_author_id AS cntrb_id, min(c.cmt_author_timestamp) AS created_at,
           c.repo_id, 'commit'::text AS action, c.cmt_commit_hash AS source_id
    FROM aveloxis_data.commits c
    WHERE c.cmt_ght_author_id IS NOT NULL
    GROUP BY c.cmt_ght_author_id, c.repo_id, c.cmt_commit_hash
    UNION ALL
    SELECT i.reporter_id, i.created_at, i.repo_id, 'issue_opened', i.issue_id::text
    FROM aveloxis_data.issues i
    WHERE i.reporter_id IS NOT NULL AND i.pull_request IS NULL
    UNION ALL
    SELECT i.closed_by_id, i.closed_at, i.repo_id, 'issue_closed', i.issue_id::text
    FROM aveloxis_data.issues i
    WHERE i.closed_by_id IS NOT NULL AND i.closed_at IS NOT NULL AND i.pull_request IS NULL
    UNION ALL
    SELECT p.author_id, p.created_at, p.repo_id, 'pull_request_open', p.pull_request_id::text
    FROM aveloxis_data.pull_requests p
    WHERE p.author_id IS NOT NULL
    UNION ALL
    SELECT e.cntrb_id, e.created_at, e.repo_id, 'pull_request_' || e.action, e.pr_event_id::text
    FROM aveloxis_data.pull_request_events e
    WHERE e.cntrb_id IS NOT NULL AND e.action IN ('closed', 'merged')
    UNION ALL
    SELECT m.cntrb_id, m.msg_timestamp, ref.repo_id, 'issue_comment', m.msg_id::text
    FROM aveloxis_data.issue_message_ref ref
    JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
    WHERE m.cntrb_id IS NOT NULL
    UNION ALL
    SELECT m.cntrb_id, m.msg_timestamp, ref.repo_id, 'pull_request_comment', m.msg_id::text
    FROM aveloxis_data.pull_request_message_ref ref
    JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
    WHERE m.cntrb_id IS NOT NULL AND m.msg_kind = 'issue_comment'
    UNION ALL
    SELECT v.cntrb_id, v.submitted_at, v.repo_id,
           'pull_request_review_' || coalesce(v.review_state, 'COMMENTED'), v.pr_review_id::text
    FROM aveloxis_data.pull_request_reviews v
    WHERE v.cntrb_id IS NOT NULL
    UNION ALL
    SELECT rc.cntrb_id, rc.created_at, rc.repo_id, 'pull_request_review_comment',
           rc.review_comment_id::text
    FROM aveloxis_data.review_comments rc
    WHERE rc.cntrb_id IS NOT NULL
) a
JOIN aveloxis_data.repos r ON r.repo_id = a.repo_id
LEFT JOIN aveloxis_data.contributors co ON co.cntrb_id = a.cntrb_id
WHERE a.created_at IS NOT NULL
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_augur_new_contributors
    ON aveloxis_data.augur_new_contributors (cntrb_id, rank);

-- -----------------------------------------------------------------------------
-- 7. First action of each contributor in each repo.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_new_contributors AS
SELECT f.cntrb_id,
       f.created_at,
       extract(month FROM f.created_at AT TIME ZONE 'UTC')::integer AS month,
       extract(year FROM f.created_at AT TIME ZONE 'UTC')::integer AS year,
       f.repo_id,
       r.repo_name,
       co.cntrb_full_name AS full_name,
       co.cntrb_login AS login,
       f.action
FROM (
    SELECT DISTINCT ON (a.cntrb_id, a.repo_id)
           a.cntrb_id, a.created_at, a.repo_id, a.action
    FROM (
        SELECT c.cmt_ght_author_id AS cntrb_id, min(c.cmt_author_timestamp) AS created_at,
               c.repo_id, 'commit'::text AS action, c.cmt_commit_hash AS source_id
        FROM aveloxis_data.commits c
        WHERE c.cmt_ght_author_id IS NOT NULL
        GROUP BY c.cmt_ght_author_id, c.repo_id, c.cmt_commit_hash
        UNION ALL
        SELECT i.reporter_id, i.created_at, i.repo_id, 'issue_opened', i.issue_id::text
        FROM aveloxis_data.issues i
        WHERE i.reporter_id IS NOT NULL AND i.pull_request IS NULL
        UNION ALL
        SELECT i.closed_by_id, i.closed_at, i.repo_id, 'issue_closed', i.issue_id::text
        FROM aveloxis_data.issues i
        WHERE i.closed_by_id IS NOT NULL AND i.closed_at IS NOT NULL AND i.pull_request IS NULL
        UNION ALL
        SELECT p.author_id, p.created_at, p.repo_id, 'pull_request_open', p.pull_request_id::text
        FROM aveloxis_data.pull_requests p
        WHERE p.author_id IS NOT NULL
        UNION ALL
        SELECT e.cntrb_id, e.created_at, e.repo_id, 'pull_request_' || e.action, e.pr_event_id::text
        FROM aveloxis_data.pull_request_events e
        WHERE e.cntrb_id IS NOT NULL AND e.action IN ('closed', 'merged')
        UNION ALL
        SELECT m.cntrb_id, m.msg_timestamp, ref.repo_id, 'issue_comment', m.msg_id::text
        FROM aveloxis_data.issue_message_ref ref
        JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
        WHERE m.cntrb_id IS NOT NULL
        UNION ALL
        SELECT m.cntrb_id, m.msg_timestamp, ref.repo_id, 'pull_request_comment', m.msg_id::text
        FROM aveloxis_data.pull_request_message_ref ref
        JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
        WHERE m.cntrb_id IS NOT NULL AND m.msg_kind = 'issue_comment'
        UNION ALL
        SELECT v.cntrb_id, v.submitted_at, v.repo_id,
               'pull_request_review_' || coalesce(v.review_state, 'COMMENTED'), v.pr_review_id::text
        FROM aveloxis_data.pull_request_reviews v
        WHERE v.cntrb_id IS NOT NULL
        UNION ALL
        SELECT rc.cntrb_id, rc.created_at, rc.repo_id, 'pull_request_review_comment',
               rc.review_comment_id::text
        FROM aveloxis_data.review_comments rc
        WHERE rc.cntrb_id IS NOT NULL
    ) a
    WHERE a.created_at IS NOT NULL
    ORDER BY a.cntrb_id, a.repo_id, a.created_at, a.action, a.source_id
) f
JOIN aveloxis_data.repos r ON r.repo_id = f.repo_id
LEFT JOIN aveloxis_data.contributors co ON co.cntrb_id = f.cntrb_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_new_contributors
    ON aveloxis_data.explorer_new_contributors (cntrb_id, repo_id);

-- -----------------------------------------------------------------------------
-- 8. Commits and distinct committers per repo per (UTC) day.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_commits_and_committers_daily_count AS
SELECT c.repo_id,
       r.repo_name,
       (c.cmt_committer_timestamp AT TIME ZONE 'UTC')::date AS cmt_committer_date,
       count(DISTINCT c.cmt_commit_hash) AS num_of_commits,
       count(DISTINCT c.cmt_committer_email) AS num_of_unique_committers
FROM aveloxis_data.commits c
JOIN aveloxis_data.repos r ON r.repo_id = c.repo_id
WHERE c.cmt_committer_timestamp IS NOT NULL
GROUP BY c.repo_id, r.repo_name, (c.cmt_committer_timestamp AT TIME ZONE 'UTC')::date
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_commits_and_committers_daily_count
    ON aveloxis_data.explorer_commits_and_committers_daily_count (repo_id, cmt_committer_date);

-- -----------------------------------------------------------------------------
-- 9. Repo picker list.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_entry_list AS
SELECT r.repo_git,
       r.repo_id,
       r.repo_name,
       rg.rg_name,
       r.repo_group_id
FROM aveloxis_data.repos r
LEFT JOIN aveloxis_data.repo_groups rg ON rg.repo_group_id = r.repo_group_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_entry_list
    ON aveloxis_data.explorer_entry_list (repo_id);

-- -----------------------------------------------------------------------------
-- 10-11. Assignment history of issues and PRs (LEFT JOIN: unassigned items
--        appear once with NULL event columns).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_issue_assignments AS
SELECT i.issue_id,
       i.repo_id AS id,
       i.created_at AS created,
       i.closed_at AS closed,
       ie.created_at AS assign_date,
       ie.action AS assignment_action,
       ie.cntrb_id AS assignee,
       ie.node_id,
       ie.issue_event_id
FROM aveloxis_data.issues i
LEFT JOIN aveloxis_data.issue_events ie
       ON ie.issue_id = i.issue_id AND ie.action IN ('assigned', 'unassigned')
WHERE i.pull_request IS NULL
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_issue_assignments
    ON aveloxis_data.explorer_issue_assignments (issue_id, issue_event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_pr_assignments AS
SELECT p.pull_request_id,
       p.repo_id AS id,
       p.created_at AS created,
       p.closed_at AS closed,
       pe.created_at AS assign_date,
       pe.action AS assignment_action,
       pe.cntrb_id AS assignee,
       pe.node_id,
       pe.pr_event_id
FROM aveloxis_data.pull_requests p
LEFT JOIN aveloxis_data.pull_request_events pe
       ON pe.pull_request_id = p.pull_request_id AND pe.action IN ('assigned', 'unassigned')
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_pr_assignments
    ON aveloxis_data.explorer_pr_assignments (pull_request_id, pr_event_id);

-- -----------------------------------------------------------------------------
-- 12. Every response on a PR (conversation comments, reviews, inline comments).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_pr_response AS
SELECT p.pull_request_id,
       p.repo_id AS id,
       p.author_id AS cntrb_id,
       x.msg_timestamp,
       x.msg_cntrb_id,
       x.response_kind,
       x.source_id,
       p.created_at AS pr_created_at,
       p.closed_at AS pr_closed_at
FROM aveloxis_data.pull_requests p
JOIN (
    SELECT ref.pull_request_id, m.msg_timestamp, m.cntrb_id AS msg_cntrb_id,
           'comment'::text AS response_kind, m.msg_id AS source_id
    FROM aveloxis_data.pull_request_message_ref ref
    JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
    WHERE m.msg_kind = 'issue_comment'   -- inline comments come from review_comments
    UNION ALL
    SELECT v.pull_request_id, v.submitted_at, v.cntrb_id, 'review', v.pr_review_id
    FROM aveloxis_data.pull_request_reviews v
    UNION ALL
    SELECT rc.pull_request_id, rc.created_at, rc.cntrb_id, 'review_comment', rc.review_comment_id
    FROM aveloxis_data.review_comments rc
) x ON x.pull_request_id = p.pull_request_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_pr_response
    ON aveloxis_data.explorer_pr_response (pull_request_id, response_kind, source_id);

-- -----------------------------------------------------------------------------
-- 13. Per-PR response-time summary (responses by someone other than the author).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_pr_response_times AS
SELECT p.repo_id,
       p.pull_request_id,
       p.platform_pr_id AS pr_src_id,
       p.pr_number AS pr_src_number,
       p.pr_title AS pr_src_title,
       CASE WHEN p.pr_state = 'merged' THEN 'closed' ELSE p.pr_state END AS pr_src_state,
       p.author_id AS pr_augur_contributor_id,
       p.created_at AS pr_created_at,
       p.closed_at AS pr_closed_at,
       p.merged_at AS pr_merged_at,
       resp.first_response_time,
       resp.last_response_time,
       coalesce(resp.response_count, 0) AS response_count,
       coalesce(resp.comment_count, 0) AS comment_count,
       coalesce(resp.review_count, 0) AS review_count,
       coalesce(resp.review_comment_count, 0) AS review_comment_count,
       extract(epoch FROM resp.first_response_time - p.created_at) / 3600.0 AS hours_to_first_response,
       extract(epoch FROM coalesce(p.merged_at, p.closed_at) - p.created_at) / 3600.0 AS hours_to_close
FROM aveloxis_data.pull_requests p
LEFT JOIN LATERAL (
    SELECT min(x.at) AS first_response_time,
           max(x.at) AS last_response_time,
           count(*) AS response_count,
           count(*) FILTER (WHERE x.kind = 'comment') AS comment_count,
           count(*) FILTER (WHERE x.kind = 'review') AS review_count,
           count(*) FILTER (WHERE x.kind = 'review_comment') AS review_comment_count
    FROM (
        SELECT m.msg_timestamp AS at, m.cntrb_id AS who, 'comment'::text AS kind
        FROM aveloxis_data.pull_request_message_ref ref
        JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
        WHERE ref.pull_request_id = p.pull_request_id AND m.msg_kind = 'issue_comment'
        UNION ALL
        SELECT v.submitted_at, v.cntrb_id, 'review'
        FROM aveloxis_data.pull_request_reviews v
        WHERE v.pull_request_id = p.pull_request_id
        UNION ALL
        SELECT rc.created_at, rc.cntrb_id, 'review_comment'
        FROM aveloxis_data.review_comments rc
        WHERE rc.pull_request_id = p.pull_request_id
    ) x
    WHERE x.at IS NOT NULL AND x.who IS DISTINCT FROM p.author_id
) resp ON true
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_pr_response_times
    ON aveloxis_data.explorer_pr_response_times (pull_request_id);

-- -----------------------------------------------------------------------------
-- 14. Which repos each front-end user follows, by group.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_user_repos AS
SELECT u.login_name,
       u.user_id,
       g.group_id,
       g.name AS group_name,
       ur.repo_id
FROM aveloxis_ops.users u
JOIN aveloxis_ops.user_groups g ON g.user_id = u.user_id
JOIN aveloxis_ops.user_repos ur ON ur.group_id = g.group_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_user_repos
    ON aveloxis_data.explorer_user_repos (group_id, repo_id);

-- -----------------------------------------------------------------------------
-- 15. Languages of each repo, from its latest scc analysis.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_repo_languages AS
SELECT rl.repo_id,
       coalesce(rl.programming_language, '') AS programming_language,
       sum(rl.code_lines) AS code_lines,
       sum(rl.comment_lines) AS comment_lines,
       sum(rl.blank_lines) AS blank_lines,
       count(*) AS files
FROM aveloxis_data.repo_labor rl
JOIN (
    SELECT repo_id, max(rl_analysis_date) AS rl_analysis_date
    FROM aveloxis_data.repo_labor
    GROUP BY repo_id
) latest ON latest.repo_id = rl.repo_id AND latest.rl_analysis_date = rl.rl_analysis_date
GROUP BY rl.repo_id, coalesce(rl.programming_language, '')
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_repo_languages
    ON aveloxis_data.explorer_repo_languages (repo_id, programming_language);

-- -----------------------------------------------------------------------------
-- 16-18. Libyear (dependency freshness).  Augur's column spelling
--        current_verion is kept in the detail view for 8Knot.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_libyear_all AS
SELECT d.repo_id,
       r.repo_name,
       count(*) AS dependency_count,
       avg(d.libyear) AS avg_libyear,
       max(d.libyear) AS max_libyear,
       min(d.libyear) AS min_libyear,
       sum(d.libyear) AS sum_libyear,
       max(d.data_collection_date) AS data_collection_date
FROM aveloxis_data.repo_deps_libyear d
JOIN aveloxis_data.repos r ON r.repo_id = d.repo_id
GROUP BY d.repo_id, r.repo_name
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_libyear_all
    ON aveloxis_data.explorer_libyear_all (repo_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_libyear_summary AS
SELECT h.repo_id,
       r.repo_name,
       extract(year FROM h.data_collection_date AT TIME ZONE 'UTC')::integer AS year,
       extract(month FROM h.data_collection_date AT TIME ZONE 'UTC')::integer AS month,
       count(*) AS dependency_count,
       avg(h.libyear) AS avg_libyear,
       max(h.libyear) AS max_libyear,
       min(h.libyear) AS min_libyear,
       sum(h.libyear) AS sum_libyear
FROM (
    SELECT repo_id, libyear, data_collection_date FROM aveloxis_data.repo_deps_libyear
    UNION ALL
    SELECT repo_id, libyear, data_collection_date FROM aveloxis_data.repo_deps_libyear_history
) h
JOIN aveloxis_data.repos r ON r.repo_id = h.repo_id
WHERE h.data_collection_date IS NOT NULL
GROUP BY h.repo_id, r.repo_name,
         extract(year FROM h.data_collection_date AT TIME ZONE 'UTC')::integer,
         extract(month FROM h.data_collection_date AT TIME ZONE 'UTC')::integer
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_libyear_summary
    ON aveloxis_data.explorer_libyear_summary (repo_id, year, month);

CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_libyear_detail AS
SELECT d.repo_id,
       r.repo_name,
       d.package_manager,
       d.name,
       d.requirement,
       d.type,
       d.current_version AS current_verion,
       d.latest_version,
       d.current_release_date,
       d.latest_release_date,
       d.libyear,
       d.license,
       d.purl,
       d.data_collection_date
FROM aveloxis_data.repo_deps_libyear d
JOIN aveloxis_data.repos r ON r.repo_id = d.repo_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_libyear_detail
    ON aveloxis_data.explorer_libyear_detail (repo_id, package_manager, name, requirement);

-- -----------------------------------------------------------------------------
-- 19. Issue openers and when (issues only, not PRs).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.issue_reporter_created_at AS
SELECT i.reporter_id,
       i.created_at,
       i.repo_id,
       i.issue_id
FROM aveloxis_data.issues i
WHERE i.pull_request IS NULL
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_issue_reporter_created_at
    ON aveloxis_data.issue_reporter_created_at (issue_id);

-- =============================================================================
-- aveloxis_augur_data: Augur/8Knot compatibility views
-- =============================================================================
-- Our tables under Augur's table and column names, read-only.  8Knot uses
--   AUGUR_SCHEMA=aveloxis_augur_data,aveloxis_data
-- so any table not shadowed here (and every materialized view) resolves to
-- aveloxis_data, where the name and columns already match Augur's.
-- Explicit column lists (never SELECT *): a view's columns are fixed when it is
-- created, and this file is re-run whenever it changes.
-- =============================================================================

CREATE SCHEMA IF NOT EXISTS aveloxis_augur_data;

CREATE OR REPLACE VIEW aveloxis_augur_data.platform AS
SELECT p.platform_id::bigint AS pltfrm_id,
       p.platform_name AS pltfrm_name,
       p.platform_version AS pltfrm_version,
       p.platform_release_date AS pltfrm_release_date,
       p.tool_source, p.tool_version, p.data_source, p.data_collection_date
FROM aveloxis_data.platforms p;

CREATE OR REPLACE VIEW aveloxis_augur_data.repo_groups AS
SELECT g.repo_group_id,
       g.rg_name,
       g.rg_description,
       g.rg_website,
       g.rg_recache,
       g.rg_last_modified,
       g.rg_type,
       g.tool_source, g.tool_version, g.data_source, g.data_collection_date
FROM aveloxis_data.repo_groups g;

CREATE OR REPLACE VIEW aveloxis_augur_data.repo AS
SELECT r.repo_id,
       r.repo_group_id,
       r.repo_git,
       r.repo_path,
       r.repo_name,
       r.repo_added,
       r.repo_type,
       r.repo_git AS url,
       NULL::integer AS owner_id,
       r.repo_description AS description,
       r.primary_language,
       r.created_at,
       r.forked_from,
       r.updated_at,
       r.repo_archived_date_collected,
       CASE WHEN r.repo_archived THEN 1 ELSE 0 END AS repo_archived,
       r.tool_source, r.tool_version, r.data_source, r.data_collection_date,
       CASE WHEN r.platform_repo_id ~ '^[0-9]{1,18}$' THEN r.platform_repo_id::bigint END AS repo_src_id,
       r.platform_id,
       r.repo_owner
FROM aveloxis_data.repos r;

CREATE OR REPLACE VIEW aveloxis_augur_data.contributors AS
SELECT c.cntrb_id,
       c.cntrb_login,
       c.cntrb_email,
       c.cntrb_full_name,
       c.cntrb_company,
       c.cntrb_created_at,
       c.cntrb_type,
       c.cntrb_fake,
       c.cntrb_deleted,
       c.cntrb_long,
       c.cntrb_lat,
       c.cntrb_country_code,
       c.cntrb_state,
       c.cntrb_city,
       c.cntrb_location,
       c.cntrb_canonical,
       c.cntrb_last_used,
       c.gh_user_id,
       c.gh_login,
       c.gh_url,
       c.gh_html_url,
       c.gh_node_id,
       c.gh_avatar_url,
       c.gh_gravatar_id,
       c.gh_followers_url,
       c.gh_following_url,
       c.gh_gists_url,
       c.gh_starred_url,
       c.gh_subscriptions_url,
       c.gh_organizations_url,
       c.gh_repos_url,
       c.gh_events_url,
       c.gh_received_events_url,
       c.gh_type,
       c.gh_site_admin,
       c.gl_web_url,
       c.gl_avatar_url,
       c.gl_state,
       c.gl_username,
       c.gl_full_name,
       c.gl_id,
       c.tool_source, c.tool_version, c.data_source, c.data_collection_date
FROM aveloxis_data.contributors c;

CREATE OR REPLACE VIEW aveloxis_augur_data.issues AS
SELECT i.issue_id,
       i.repo_id,
       i.reporter_id,
       i.pull_request,
       i.pull_request_id,
       i.created_at,
       i.issue_title,
       i.issue_body,
       i.closed_by_id AS cntrb_id,
       i.comment_count,
       i.updated_at,
       i.closed_at,
       i.due_on,
       i.repository_url,
       i.issue_url,
       i.labels_url,
       i.comments_url,
       i.events_url,
       i.html_url,
       i.issue_state,
       i.node_id AS issue_node_id,
       i.issue_number AS gh_issue_number,
       i.platform_issue_id AS gh_issue_id,
       i.gh_user_id,
       i.tool_source, i.tool_version, i.data_source, i.data_collection_date
FROM aveloxis_data.issues i;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_requests AS
SELECT p.pull_request_id,
       p.repo_id,
       p.pr_url,
       p.platform_pr_id AS pr_src_id,
       p.node_id AS pr_src_node_id,
       p.pr_html_url,
       p.pr_diff_url,
       p.pr_patch_url,
       p.pr_issue_url,
       p.pr_augur_issue_id,
       p.pr_number AS pr_src_number,
       CASE WHEN p.pr_state = 'merged' THEN 'closed' ELSE p.pr_state END AS pr_src_state,
       p.pr_locked AS pr_src_locked,
       p.pr_title AS pr_src_title,
       p.author_id AS pr_augur_contributor_id,
       p.pr_body,
       p.created_at AS pr_created_at,
       p.updated_at AS pr_updated_at,
       p.closed_at AS pr_closed_at,
       p.merged_at AS pr_merged_at,
       p.merge_commit_sha AS pr_merge_commit_sha,
       p.pr_teams,
       p.pr_milestone,
       p.pr_commits_url,
       p.pr_review_comments_url,
       NULL::text AS pr_review_comment_url,
       p.pr_comments_url,
       p.pr_statuses_url,
       p.meta_head_id AS pr_meta_head_id,
       p.meta_base_id AS pr_meta_base_id,
       p.pr_issue_url AS pr_src_issue_url,
       p.pr_comments_url AS pr_src_comments_url,
       p.pr_review_comments_url AS pr_src_review_comments_url,
       p.pr_commits_url AS pr_src_commits_url,
       p.pr_statuses_url AS pr_src_statuses_url,
       p.author_association AS pr_src_author_association,
       p.tool_source, p.tool_version, p.data_source, p.data_collection_date
FROM aveloxis_data.pull_requests p;

CREATE OR REPLACE VIEW aveloxis_augur_data.commits AS
SELECT c.cmt_id,
       c.repo_id,
       c.cmt_commit_hash,
       c.cmt_author_name,
       c.cmt_author_raw_email,
       c.cmt_author_email,
       c.cmt_author_date,
       c.cmt_author_affiliation,
       c.cmt_committer_name,
       c.cmt_committer_raw_email,
       c.cmt_committer_email,
       c.cmt_committer_date,
       c.cmt_committer_affiliation,
       c.cmt_added,
       c.cmt_removed,
       c.cmt_whitespace,
       c.cmt_filename,
       c.cmt_date_attempted,
       c.cmt_ght_committer_id,
       c.cmt_ght_committed_at,
       c.cmt_committer_timestamp,
       c.cmt_author_timestamp,
       c.cmt_author_platform_username,
       c.tool_source, c.tool_version, c.data_source, c.data_collection_date,
       c.cmt_ght_author_id
FROM aveloxis_data.commits c;

-- Augur's table is the singular "message".
CREATE OR REPLACE VIEW aveloxis_augur_data.message AS
SELECT m.msg_id,
       m.rgls_id,
       m.platform_msg_id,
       m.node_id AS platform_node_id,
       m.repo_id,
       m.msg_text,
       m.msg_timestamp,
       m.msg_sender_email,
       m.msg_header,
       m.platform_id::bigint AS pltfrm_id,
       m.tool_source, m.tool_version, m.data_source, m.data_collection_date,
       m.cntrb_id,
       m.msg_kind
FROM aveloxis_data.messages m;

CREATE OR REPLACE VIEW aveloxis_augur_data.issue_events AS
SELECT e.issue_event_id AS event_id,
       e.issue_id,
       e.repo_id,
       e.action,
       e.action_commit_hash,
       e.created_at,
       e.node_id,
       e.node_url,
       e.platform_id::bigint AS platform_id,
       e.platform_event_id AS issue_event_src_id,
       e.tool_source, e.tool_version, e.data_source, e.data_collection_date,
       e.cntrb_id
FROM aveloxis_data.issue_events e;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_events AS
SELECT e.pr_event_id,
       e.pull_request_id,
       e.repo_id,
       e.action,
       e.action_commit_hash,
       e.created_at,
       e.platform_event_id AS issue_event_src_id,
       e.node_id,
       e.node_url,
       e.platform_id::bigint AS platform_id,
       e.platform_event_id AS pr_platform_event_id,
       e.tool_source, e.tool_version, e.data_source, e.data_collection_date,
       e.cntrb_id
FROM aveloxis_data.pull_request_events e;

CREATE OR REPLACE VIEW aveloxis_augur_data.releases AS
SELECT rl.release_id,
       rl.repo_id,
       rl.release_name,
       rl.release_description,
       rl.release_author,
       rl.release_created_at,
       rl.release_published_at,
       rl.release_updated_at,
       rl.is_draft AS release_is_draft,
       rl.is_prerelease AS release_is_prerelease,
       rl.release_tag_name,
       rl.release_url,
       rl.tag_only,
       rl.tool_source, rl.tool_version, rl.data_source, rl.data_collection_date
FROM aveloxis_data.releases rl;

-- Augur's repo_info is a time series: current snapshot + rotated history.
CREATE OR REPLACE VIEW aveloxis_augur_data.repo_info AS
SELECT ri.repo_info_id, ri.repo_id, ri.last_updated, ri.issues_enabled, ri.open_issues,
       ri.pull_requests_enabled, ri.wiki_enabled, ri.pages_enabled, ri.fork_count,
       ri.default_branch, ri.watcher_count AS watchers_count, ri.star_count AS stars_count,
       ri.committer_count AS committers_count, ri.commit_count, ri.issues_count,
       ri.issues_closed, ri.issues_open, ri.pr_count AS pull_request_count,
       ri.prs_open AS pull_requests_open, ri.prs_closed AS pull_requests_closed,
       ri.prs_merged AS pull_requests_merged, ri.issue_contributors_count, ri.license,
       ri.changelog_file, ri.contributing_file, ri.license_file, ri.code_of_conduct_file,
       ri.security_issue_file, ri.security_audit_file, ri.status, ri.keywords,
       ri.tool_source, ri.tool_version, ri.data_source, ri.data_collection_date
FROM aveloxis_data.repo_info ri
UNION ALL
SELECT h.repo_info_id, h.repo_id, h.last_updated, h.issues_enabled, h.open_issues,
       h.pull_requests_enabled, h.wiki_enabled, h.pages_enabled, h.fork_count,
       h.default_branch, h.watcher_count, h.star_count,
       h.committer_count, h.commit_count, h.issues_count,
       h.issues_closed, h.issues_open, h.pr_count,
       h.prs_open, h.prs_closed,
       h.prs_merged, h.issue_contributors_count, h.license,
       h.changelog_file, h.contributing_file, h.license_file, h.code_of_conduct_file,
       h.security_issue_file, h.security_audit_file, h.status, h.keywords,
       h.tool_source, h.tool_version, h.data_source, h.data_collection_date
FROM aveloxis_data.repo_info_history h;

CREATE OR REPLACE VIEW aveloxis_augur_data.issue_labels AS
SELECT l.issue_label_id,
       l.issue_id,
       l.repo_id,
       l.label_text,
       l.label_description,
       l.label_color,
       l.platform_label_id AS label_src_id,
       l.node_id AS label_src_node_id,
       l.tool_source, l.tool_version, l.data_source, l.data_collection_date
FROM aveloxis_data.issue_labels l;

CREATE OR REPLACE VIEW aveloxis_augur_data.issue_assignees AS
SELECT a.issue_assignee_id,
       a.issue_id,
       a.repo_id,
       a.cntrb_id,
       a.platform_assignee_id AS issue_assignee_src_id,
       a.node_id AS issue_assignee_src_node,
       a.tool_source, a.tool_version, a.data_source, a.data_collection_date
FROM aveloxis_data.issue_assignees a;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_labels AS
SELECT l.pr_label_id,
       l.pull_request_id,
       l.repo_id,
       l.platform_label_id AS pr_src_id,
       l.node_id AS pr_src_node_id,
       l.label_name AS pr_src_description,
       l.label_color AS pr_src_color,
       l.is_default AS pr_src_default_bool,
       l.tool_source, l.tool_version, l.data_source, l.data_collection_date
FROM aveloxis_data.pull_request_labels l;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_assignees AS
SELECT a.pr_assignee_map_id,
       a.pull_request_id,
       a.repo_id,
       a.cntrb_id AS contrib_id,
       a.platform_assignee_id AS pr_assignee_src_id,
       a.tool_source, a.tool_version, a.data_source, a.data_collection_date
FROM aveloxis_data.pull_request_assignees a;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_reviewers AS
SELECT r.pr_reviewer_map_id,
       r.pull_request_id,
       p.platform_pr_id AS pr_source_id,
       r.repo_id,
       r.cntrb_id,
       r.platform_reviewer_id AS pr_reviewer_src_id,
       r.tool_source, r.tool_version, r.data_source, r.data_collection_date
FROM aveloxis_data.pull_request_reviewers r
JOIN aveloxis_data.pull_requests p ON p.pull_request_id = r.pull_request_id;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_reviews AS
SELECT v.pr_review_id,
       v.pull_request_id,
       v.repo_id,
       v.cntrb_id,
       v.author_association AS pr_review_author_association,
       v.review_state AS pr_review_state,
       v.review_body AS pr_review_body,
       v.submitted_at AS pr_review_submitted_at,
       v.platform_review_id AS pr_review_src_id,
       v.node_id AS pr_review_node_id,
       v.html_url AS pr_review_html_url,
       v.pull_request_url AS pr_review_pull_request_url,
       v.commit_id AS pr_review_commit_id,
       v.platform_id::bigint AS platform_id,
       v.tool_source, v.tool_version, v.data_source, v.data_collection_date
FROM aveloxis_data.pull_request_reviews v;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_meta AS
SELECT m.pr_meta_id AS pr_repo_meta_id,
       m.pull_request_id,
       m.repo_id,
       m.head_or_base AS pr_head_or_base,
       m.meta_label AS pr_src_meta_label,
       m.meta_ref AS pr_src_meta_ref,
       m.meta_sha AS pr_sha,
       m.cntrb_id,
       m.tool_source, m.tool_version, m.data_source, m.data_collection_date
FROM aveloxis_data.pull_request_meta m;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_commits AS
SELECT c.pr_cmt_id,
       c.pull_request_id,
       c.repo_id,
       c.pr_cmt_sha,
       c.pr_cmt_node_id,
       c.pr_cmt_message,
       c.pr_cmt_comments_url,
       c.author_cntrb_id AS pr_cmt_author_cntrb_id,
       c.pr_cmt_timestamp,
       c.pr_cmt_author_email,
       c.tool_source, c.tool_version, c.data_source, c.data_collection_date
FROM aveloxis_data.pull_request_commits c;

CREATE OR REPLACE VIEW aveloxis_augur_data.repo_deps_libyear AS
SELECT d.repo_deps_libyear_id,
       d.repo_id,
       d.name,
       d.requirement,
       d.type,
       d.package_manager,
       d.current_version AS current_verion,
       d.latest_version,
       d.current_release_date,
       d.latest_release_date,
       d.libyear,
       d.tool_source, d.tool_version, d.data_source, d.data_collection_date
FROM aveloxis_data.repo_deps_libyear d;
