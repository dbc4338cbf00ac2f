-- =============================================================================
-- Aveloxis data model: derived objects (materialized views + compatibility views)
-- =============================================================================
--
-- Executed in ONE transaction after tables.sql.  When this file changes the
-- migration engine drops every materialized view in aveloxis_data and every
-- view in aveloxis_augur_data and runs the file again, so definitions here are
-- plain CREATE ... IF NOT EXISTS / CREATE OR REPLACE.
--
-- Materialized views (23).  Where Augur's result shape is all we compute, the
-- matview carries Augur's name and exact columns (api_get_all_*,
-- explorer_pr_response, explorer_pr_files, explorer_cntrb_per_file,
-- explorer_repo_files).  Where we compute more, the matview is <name>_ext and
-- Augur's name is a plain view with exactly Augur's columns, in Augur's order,
-- in aveloxis_augur_data (first on the consumers' search_path); see the end of
-- this file.  core/tests/shapes.rs checks every name against Augur's list.
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
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_contributor_actions_ext AS
SELECT a.cntrb_id,
       a.created_at,
       a.repo_id,
       a.action,
       r.repo_name,
       co.cntrb_login AS login,
       a.source_id,
       row_number() OVER (PARTITION BY a.cntrb_id, a.repo_id
                          ORDER BY a.created_at, a.action, a.source_id) AS rank,
       row_number() OVER (PARTITION BY a.cntrb_id, a.repo_id
                          ORDER BY a.created_at DESC, a.action DESC, a.source_id DESC) AS rank_newest
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
      AND NOT (e.action = 'closed' AND EXISTS (  -- a merged PR's close is its merge
          SELECT 1 FROM aveloxis_data.pull_requests mp
          WHERE mp.pull_request_id = e.pull_request_id AND mp.merged_at IS NOT NULL))
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_contributor_actions_ext
    ON aveloxis_data.explorer_contributor_actions_ext (cntrb_id, repo_id, rank);

-- -----------------------------------------------------------------------------
-- 5. The same, restricted to the last 13 months (8Knot's "recent" pages).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_contributor_recent_actions_ext AS
SELECT a.cntrb_id,
       a.created_at,
       a.repo_id,
       a.action,
       r.repo_name,
       co.cntrb_login AS login,
       a.source_id,
       row_number() OVER (PARTITION BY a.cntrb_id, a.repo_id
                          ORDER BY a.created_at, a.action, a.source_id) AS rank,
       row_number() OVER (PARTITION BY a.cntrb_id, a.repo_id
                          ORDER BY a.created_at DESC, a.action DESC, a.source_id DESC) AS rank_newest
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
      AND NOT (e.action = 'closed' AND EXISTS (  -- a merged PR's close is its merge
          SELECT 1 FROM aveloxis_data.pull_requests mp
          WHERE mp.pull_request_id = e.pull_request_id AND mp.merged_at IS NOT NULL))
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_contributor_recent_actions_ext
    ON aveloxis_data.explorer_contributor_recent_actions_ext (cntrb_id, repo_id, rank);

-- -----------------------------------------------------------------------------
-- 6. Augur's new-contributor view: every action ranked per contributor across
--    all repos (rank = 1 is the contributor's first contribution anywhere).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.augur_new_contributors_ext AS
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
                          ORDER BY a.created_at, a.repo_id, a.action, a.source_id) AS rank,
       row_number() OVER (PARTITION BY a.cntrb_id, a.repo_id
                          ORDER BY a.created_at DESC, a.action DESC, a.source_id DESC) AS rank_newest
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
      AND NOT (e.action = 'closed' AND EXISTS (  -- a merged PR's close is its merge
          SELECT 1 FROM aveloxis_data.pull_requests mp
          WHERE mp.pull_request_id = e.pull_request_id AND mp.merged_at IS NOT NULL))
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_augur_new_contributors_ext
    ON aveloxis_data.augur_new_contributors_ext (cntrb_id, rank);

-- -----------------------------------------------------------------------------
-- 7. First action of each contributor in each repo.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_new_contributors_ext AS
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
          AND NOT (e.action = 'closed' AND EXISTS (  -- a merged PR's close is its merge
              SELECT 1 FROM aveloxis_data.pull_requests mp
              WHERE mp.pull_request_id = e.pull_request_id AND mp.merged_at IS NOT NULL))
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_new_contributors_ext
    ON aveloxis_data.explorer_new_contributors_ext (cntrb_id, repo_id);

-- -----------------------------------------------------------------------------
-- 8. Commits and distinct committers per repo per (UTC) day.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_commits_and_committers_daily_count_ext AS
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_commits_and_committers_daily_count_ext
    ON aveloxis_data.explorer_commits_and_committers_daily_count_ext (repo_id, cmt_committer_date);

-- -----------------------------------------------------------------------------
-- 9. Repo picker list.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_entry_list_ext AS
SELECT r.repo_git,
       r.repo_id,
       r.repo_name,
       rg.rg_name,
       r.repo_group_id
FROM aveloxis_data.repos r
LEFT JOIN aveloxis_data.repo_groups rg ON rg.repo_group_id = r.repo_group_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_entry_list_ext
    ON aveloxis_data.explorer_entry_list_ext (repo_id);

-- -----------------------------------------------------------------------------
-- 10-11. Assignment history of issues and PRs (LEFT JOIN: unassigned items
--        appear once with NULL event columns).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_issue_assignments_ext AS
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_issue_assignments_ext
    ON aveloxis_data.explorer_issue_assignments_ext (issue_id, issue_event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_pr_assignments_ext AS
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_pr_assignments_ext
    ON aveloxis_data.explorer_pr_assignments_ext (pull_request_id, pr_event_id);

-- -----------------------------------------------------------------------------
-- 12. Every response on a PR (conversation comments, reviews, inline comments).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_pr_response_ext AS
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_pr_response_ext
    ON aveloxis_data.explorer_pr_response_ext (pull_request_id, response_kind, source_id);

-- -----------------------------------------------------------------------------
-- 13. Per-PR response-time summary (responses by someone other than the author).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_pr_response_times_ext AS
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
       extract(epoch FROM coalesce(p.merged_at, p.closed_at) - p.created_at) / 3600.0 AS hours_to_close,
       extract(epoch FROM resp.first_response_time - p.created_at) / 86400.0 AS days_to_first_response,
       extract(epoch FROM resp.last_response_time - p.created_at) / 3600.0 AS hours_to_last_response,
       extract(epoch FROM resp.last_response_time - p.created_at) / 86400.0 AS days_to_last_response,
       extract(epoch FROM coalesce(p.merged_at, p.closed_at) - p.created_at) / 86400.0 AS days_to_close,
       (resp.last_response_time - resp.first_response_time)
           / nullif(resp.response_count - 1, 0) AS average_time_between_responses,
       r.repo_name,
       rg.rg_name AS repo_group,
       p.author_association AS pr_src_author_association,
       base.meta_label AS pr_src_meta_label,
       base.head_or_base AS pr_head_or_base,
       coalesce(ev.assigned_count, 0) AS assigned_count,
       coalesce(ev.review_requested_count, 0) AS review_requested_count,
       coalesce(ev.labeled_count, 0) AS labeled_count,
       coalesce(ev.subscribed_count, 0) AS subscribed_count,
       coalesce(ev.mentioned_count, 0) AS mentioned_count,
       coalesce(ev.referenced_count, 0) AS referenced_count,
       coalesce(ev.closed_count, 0) AS closed_count,
       coalesce(ev.head_ref_force_pushed_count, 0) AS head_ref_force_pushed_count,
       coalesce(ev.merged_count, 0) AS merged_count,
       coalesce(ev.milestoned_count, 0) AS milestoned_count,
       coalesce(ev.unlabeled_count, 0) AS unlabeled_count,
       coalesce(ev.head_ref_deleted_count, 0) AS head_ref_deleted_count,
       coalesce(fl.lines_added, 0) AS lines_added,
       coalesce(fl.lines_removed, 0) AS lines_removed,
       coalesce(fl.file_count, 0) AS file_count,
       (SELECT count(*) FROM aveloxis_data.pull_request_commits pc
         WHERE pc.pull_request_id = p.pull_request_id) AS commit_count
FROM aveloxis_data.pull_requests p
JOIN aveloxis_data.repos r ON r.repo_id = p.repo_id
LEFT JOIN aveloxis_data.repo_groups rg ON rg.repo_group_id = r.repo_group_id
LEFT JOIN aveloxis_data.pull_request_meta base
       ON base.pull_request_id = p.pull_request_id AND base.head_or_base = 'base'
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE e.action = 'assigned') AS assigned_count,
           count(*) FILTER (WHERE e.action = 'review_requested') AS review_requested_count,
           count(*) FILTER (WHERE e.action = 'labeled') AS labeled_count,
           count(*) FILTER (WHERE e.action = 'subscribed') AS subscribed_count,
           count(*) FILTER (WHERE e.action = 'mentioned') AS mentioned_count,
           count(*) FILTER (WHERE e.action = 'referenced') AS referenced_count,
           count(*) FILTER (WHERE e.action = 'closed') AS closed_count,
           count(*) FILTER (WHERE e.action = 'head_ref_force_pushed') AS head_ref_force_pushed_count,
           count(*) FILTER (WHERE e.action = 'merged') AS merged_count,
           count(*) FILTER (WHERE e.action = 'milestoned') AS milestoned_count,
           count(*) FILTER (WHERE e.action = 'unlabeled') AS unlabeled_count,
           count(*) FILTER (WHERE e.action = 'head_ref_deleted') AS head_ref_deleted_count
    FROM aveloxis_data.pull_request_events e
    WHERE e.pull_request_id = p.pull_request_id
) ev ON true
LEFT JOIN LATERAL (
    SELECT sum(f.pr_file_additions)::bigint AS lines_added,
           sum(f.pr_file_deletions)::bigint AS lines_removed,
           count(*) AS file_count
    FROM aveloxis_data.pull_request_files f
    WHERE f.pull_request_id = p.pull_request_id
) fl ON true
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_pr_response_times_ext
    ON aveloxis_data.explorer_pr_response_times_ext (pull_request_id);

-- -----------------------------------------------------------------------------
-- 14. Which repos each front-end user follows, by group.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_user_repos_ext AS
SELECT u.login_name,
       u.user_id,
       g.group_id,
       g.name AS group_name,
       ur.repo_id
FROM aveloxis_ops.users u
JOIN aveloxis_ops.user_groups g ON g.user_id = u.user_id
JOIN aveloxis_ops.user_repos ur ON ur.group_id = g.group_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_user_repos_ext
    ON aveloxis_data.explorer_user_repos_ext (group_id, repo_id);

-- -----------------------------------------------------------------------------
-- 15. Languages of each repo, from its latest scc analysis.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_repo_languages_ext AS
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_repo_languages_ext
    ON aveloxis_data.explorer_repo_languages_ext (repo_id, programming_language);

-- -----------------------------------------------------------------------------
-- 16-18. Libyear (dependency freshness).  Augur's column spelling
--        current_verion is kept in the detail view for 8Knot.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_libyear_all_ext AS
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_libyear_all_ext
    ON aveloxis_data.explorer_libyear_all_ext (repo_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_libyear_summary_ext AS
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_libyear_summary_ext
    ON aveloxis_data.explorer_libyear_summary_ext (repo_id, year, month);

CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_libyear_detail_ext AS
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
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_libyear_detail_ext
    ON aveloxis_data.explorer_libyear_detail_ext (repo_id, package_manager, name, requirement);

-- -----------------------------------------------------------------------------
-- 19. Issue openers and when (issues only, not PRs).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.issue_reporter_created_at_ext AS
SELECT i.reporter_id,
       i.created_at,
       i.repo_id,
       i.issue_id
FROM aveloxis_data.issues i
WHERE i.pull_request IS NULL
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_issue_reporter_created_at_ext
    ON aveloxis_data.issue_reporter_created_at_ext (issue_id);

-- -----------------------------------------------------------------------------
-- 20. Augur's explorer_pr_response: one row per (PR, distinct response message),
--     a PR without messages once with NULL message columns.  Responses are the
--     messages of inline review comments (through their review) and of
--     conversation comments, reduced to (PR, timestamp, author) and de-duplicated;
--     a review submission alone is not a response.  Our richer per-response
--     list (reviews included, with their kind and id) is explorer_pr_response_ext.
--     Rows are distinct by construction; the unique index has NULL message
--     columns for PRs without a response (NULLs distinct), which REFRESH
--     CONCURRENTLY accepts: it only needs a plain unique index covering all rows.
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_pr_response AS
SELECT p.pull_request_id,
       p.repo_id AS id,
       p.author_id AS cntrb_id,
       x.msg_timestamp,
       x.msg_cntrb_id,
       p.created_at AS pr_created_at,
       p.closed_at AS pr_closed_at
FROM aveloxis_data.pull_requests p
LEFT JOIN (
    SELECT v.pull_request_id, m.msg_timestamp, m.cntrb_id AS msg_cntrb_id
    FROM aveloxis_data.pull_request_review_message_ref ref
    JOIN aveloxis_data.pull_request_reviews v ON v.pr_review_id = ref.pr_review_id
    JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
    UNION
    SELECT ref.pull_request_id, m.msg_timestamp, m.cntrb_id
    FROM aveloxis_data.pull_request_message_ref ref
    JOIN aveloxis_data.messages m ON m.msg_id = ref.msg_id
) x ON x.pull_request_id = p.pull_request_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_pr_response
    ON aveloxis_data.explorer_pr_response
       (pull_request_id, id, cntrb_id, msg_cntrb_id, msg_timestamp);

-- -----------------------------------------------------------------------------
-- 21-23. File-level views for 8Knot's heat maps (proposed Augur migration 39).
--   explorer_pr_files: each distinct (path, PR) with the PR's repository.
--   explorer_cntrb_per_file: per (repo, path), the PR authors and the
--     reviewers of those PRs, each a sorted comma-separated list of full uuids
--     (NULL when none is known).
--   explorer_repo_files: the files of each repository's latest scc analysis
--     (rows with a NULL analysis date cannot exist here: the column is NOT NULL).
-- -----------------------------------------------------------------------------
CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_pr_files AS
SELECT DISTINCT f.pr_file_path AS file_path,
       p.pull_request_id,
       p.repo_id
FROM aveloxis_data.pull_request_files f
JOIN aveloxis_data.pull_requests p ON p.pull_request_id = f.pull_request_id
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_pr_files
    ON aveloxis_data.explorer_pr_files (file_path, pull_request_id, repo_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_cntrb_per_file AS
SELECT p.repo_id,
       f.pr_file_path AS file_path,
       string_agg(DISTINCT p.author_id::text, ',' ORDER BY p.author_id::text) AS cntrb_ids,
       string_agg(DISTINCT v.cntrb_id::text, ',' ORDER BY v.cntrb_id::text) AS reviewer_ids
FROM aveloxis_data.pull_requests p
JOIN aveloxis_data.pull_request_files f ON f.pull_request_id = p.pull_request_id
LEFT JOIN aveloxis_data.pull_request_reviews v ON v.pull_request_id = p.pull_request_id
GROUP BY p.repo_id, f.pr_file_path
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_cntrb_per_file
    ON aveloxis_data.explorer_cntrb_per_file (repo_id, file_path);

CREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.explorer_repo_files AS
SELECT rl.repo_id,
       r.repo_name,
       r.repo_path,
       rl.rl_analysis_date,
       rl.file_path,
       rl.file_name
FROM aveloxis_data.repo_labor rl
JOIN aveloxis_data.repos r ON r.repo_id = rl.repo_id
WHERE rl.rl_analysis_date = (SELECT max(l.rl_analysis_date)
                               FROM aveloxis_data.repo_labor l
                              WHERE l.repo_id = rl.repo_id)
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS uq_mv_explorer_repo_files
    ON aveloxis_data.explorer_repo_files (repo_id, file_path, file_name, rl_analysis_date);

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
       to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,  -- varchar in Augur
       r.forked_from,
       r.updated_at,
       r.repo_archived_date_collected,
       CASE WHEN r.repo_archived THEN 1 ELSE 0 END AS repo_archived,
       r.tool_source, r.tool_version, r.data_source, r.data_collection_date,
       CASE WHEN r.platform_repo_id ~ '^[0-9]{1,18}$' THEN r.platform_repo_id::bigint END AS repo_src_id
FROM aveloxis_data.repos r;

-- Augur's repo columns, then what we carry beyond them.
CREATE OR REPLACE VIEW aveloxis_augur_data.repo_ext AS
SELECT a.*, r.platform_id, r.repo_owner
FROM aveloxis_augur_data.repo a
JOIN aveloxis_data.repos r ON r.repo_id = a.repo_id;

CREATE OR REPLACE VIEW aveloxis_augur_data.contributors AS
SELECT c.cntrb_login,
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
       c.tool_source, c.tool_version, c.data_source, c.data_collection_date,
       c.cntrb_id
FROM aveloxis_data.contributors c;

CREATE OR REPLACE VIEW aveloxis_augur_data.issues AS
SELECT i.issue_id,
       i.repo_id,
       i.pull_request,
       i.pull_request_id,
       i.created_at,
       i.issue_title,
       i.issue_body,
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
       i.tool_source, i.tool_version, i.data_source, i.data_collection_date,
       i.reporter_id,
       i.closed_by_id AS cntrb_id
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
       p.tool_source, p.tool_version, p.data_source, p.data_collection_date,
       p.author_id AS pr_augur_contributor_id
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
       m.cntrb_id
FROM aveloxis_data.messages m;

-- Augur's message columns plus the kind of message (issue_comment, review_comment, ...).
CREATE OR REPLACE VIEW aveloxis_augur_data.message_ext AS
SELECT a.*, m.msg_kind
FROM aveloxis_augur_data.message a
JOIN aveloxis_data.messages m ON m.msg_id = a.msg_id;

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
-- repo_info_ext: all our columns (issues_open included); repo_info: Augur's.
CREATE OR REPLACE VIEW aveloxis_augur_data.repo_info_ext AS
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

CREATE OR REPLACE VIEW aveloxis_augur_data.repo_info AS
SELECT x.repo_info_id, x.repo_id, x.last_updated, x.issues_enabled, x.open_issues,
       x.pull_requests_enabled, x.wiki_enabled, x.pages_enabled, x.fork_count,
       x.default_branch, x.watchers_count,
       NULL::integer AS "UUID",              -- never filled by Augur either
       x.license, x.stars_count, x.committers_count,
       x.issue_contributors_count::text AS issue_contributors_count,
       x.changelog_file, x.contributing_file, x.license_file, x.code_of_conduct_file,
       x.security_issue_file, x.security_audit_file, x.status, x.keywords,
       x.commit_count, x.issues_count, x.issues_closed, x.pull_request_count,
       x.pull_requests_open, x.pull_requests_closed, x.pull_requests_merged,
       x.tool_source, x.tool_version, x.data_source, x.data_collection_date
FROM aveloxis_augur_data.repo_info_ext x;

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
       a.platform_assignee_id AS issue_assignee_src_id,
       a.node_id AS issue_assignee_src_node,
       a.tool_source, a.tool_version, a.data_source, a.data_collection_date,
       a.cntrb_id
FROM aveloxis_data.issue_assignees a;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_labels AS
SELECT l.pr_label_id,
       l.pull_request_id,
       l.repo_id,
       l.platform_label_id AS pr_src_id,
       l.node_id AS pr_src_node_id,
       NULL::text AS pr_src_url,             -- label API URLs are not collected
       l.label_name AS pr_src_description,
       l.label_color AS pr_src_color,
       l.is_default AS pr_src_default_bool,
       l.tool_source, l.tool_version, l.data_source, l.data_collection_date
FROM aveloxis_data.pull_request_labels l;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_assignees AS
SELECT a.pr_assignee_map_id,
       a.pull_request_id,
       a.repo_id,
       a.platform_assignee_id AS pr_assignee_src_id,
       a.tool_source, a.tool_version, a.data_source, a.data_collection_date,
       a.cntrb_id AS contrib_id
FROM aveloxis_data.pull_request_assignees a;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_reviewers AS
SELECT r.pr_reviewer_map_id,
       r.pull_request_id,
       p.platform_pr_id AS pr_source_id,
       r.repo_id,
       r.platform_reviewer_id AS pr_reviewer_src_id,
       r.tool_source, r.tool_version, r.data_source, r.data_collection_date,
       r.cntrb_id
FROM aveloxis_data.pull_request_reviewers r
JOIN aveloxis_data.pull_requests p ON p.pull_request_id = r.pull_request_id;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_reviews AS
SELECT v.pr_review_id,
       v.pull_request_id,
       v.repo_id,
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
       v.tool_source, v.tool_version, v.data_source, v.data_collection_date,
       v.cntrb_id
FROM aveloxis_data.pull_request_reviews v;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_meta AS
SELECT m.pr_meta_id AS pr_repo_meta_id,
       m.pull_request_id,
       m.repo_id,
       m.head_or_base AS pr_head_or_base,
       m.meta_label AS pr_src_meta_label,
       m.meta_ref AS pr_src_meta_ref,
       m.meta_sha AS pr_sha,
       m.tool_source, m.tool_version, m.data_source, m.data_collection_date,
       m.cntrb_id
FROM aveloxis_data.pull_request_meta m;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_commits AS
SELECT c.pr_cmt_id,
       c.pull_request_id,
       c.repo_id,
       c.pr_cmt_sha,
       c.pr_cmt_node_id,
       c.pr_cmt_message,
       c.pr_cmt_comments_url,
       c.pr_cmt_timestamp,
       c.pr_cmt_author_email,
       c.tool_source, c.tool_version, c.data_source, c.data_collection_date,
       c.author_cntrb_id AS pr_cmt_author_cntrb_id
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
       to_char(d.current_release_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS current_release_date,
       to_char(d.latest_release_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS latest_release_date,
       d.libyear,
       d.tool_source, d.tool_version, d.data_source, d.data_collection_date
FROM aveloxis_data.repo_deps_libyear d;

-- Our tables whose names are Augur's, under Augur's column order.
CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_files AS
SELECT f.pr_file_id,
       f.pull_request_id,
       f.repo_id,
       f.pr_file_additions,
       f.pr_file_deletions,
       f.pr_file_path,
       f.tool_source, f.tool_version, f.data_source, f.data_collection_date
FROM aveloxis_data.pull_request_files f;

CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_files_ext AS
SELECT a.*, f.pr_file_change_type
FROM aveloxis_augur_data.pull_request_files a
JOIN aveloxis_data.pull_request_files f ON f.pr_file_id = a.pr_file_id;

CREATE OR REPLACE VIEW aveloxis_augur_data.contributors_aliases AS
SELECT a.cntrb_alias_id,
       a.canonical_email,
       a.alias_email,
       a.cntrb_active,
       a.cntrb_last_modified,
       a.tool_source, a.tool_version, a.data_source, a.data_collection_date,
       a.cntrb_id
FROM aveloxis_data.contributors_aliases a;

-- The location and context of each inline review comment come from the comment
-- itself (review_comments, found by its message: one per message and repository),
-- and so do its URLs and update time when the link row lacks them.  Values are GitHub's as
-- collected: unlike Augur, a 0 or JSON null stays itself (never 'None').
CREATE OR REPLACE VIEW aveloxis_augur_data.pull_request_review_message_ref AS
SELECT ref.pr_review_msg_ref_id,
       ref.pr_review_id,
       ref.repo_id,
       ref.msg_id,
       coalesce(ref.pr_review_msg_url, rc.url) AS pr_review_msg_url,
       ref.pr_review_src_id,
       ref.pr_review_msg_src_id,
       ref.pr_review_msg_node_id,
       rc.diff_hunk AS pr_review_msg_diff_hunk,
       rc.path AS pr_review_msg_path,
       rc.position::bigint AS pr_review_msg_position,
       rc.original_position::bigint AS pr_review_msg_original_position,
       rc.commit_id AS pr_review_msg_commit_id,
       rc.original_commit_id AS pr_review_msg_original_commit_id,
       coalesce(ref.pr_review_msg_updated_at, rc.updated_at) AS pr_review_msg_updated_at,
       coalesce(ref.pr_review_msg_html_url, rc.html_url) AS pr_review_msg_html_url,
       coalesce(ref.pr_url, p.pr_url) AS pr_url,
       rc.author_association AS pr_review_msg_author_association,
       rc.start_line::bigint AS pr_review_msg_start_line,
       rc.original_start_line::bigint AS pr_review_msg_original_start_line,
       rc.start_side AS pr_review_msg_start_side,
       rc.line::bigint AS pr_review_msg_line,
       rc.original_line::bigint AS pr_review_msg_original_line,
       rc.side AS pr_review_msg_side,
       ref.tool_source, ref.tool_version, ref.data_source, ref.data_collection_date
FROM aveloxis_data.pull_request_review_message_ref ref
LEFT JOIN aveloxis_data.review_comments rc ON rc.msg_id = ref.msg_id AND rc.repo_id = ref.repo_id
LEFT JOIN aveloxis_data.pull_requests p ON p.pull_request_id = rc.pull_request_id;

-- -----------------------------------------------------------------------------
-- Augur-shaped views over our richer materialized views (<name>_ext in
-- aveloxis_data).  Through the consumers' search_path these names resolve here
-- first, so a client sees exactly Augur's columns; the _ext matview (refreshed
-- concurrently on its own unique index) keeps everything else we compute.
-- Ranks are Augur's (its revision 25): per contributor and repository, newest
-- first (rank 1 = the latest action); the _ext matviews also keep our
-- oldest-first rank.
-- -----------------------------------------------------------------------------
CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_contributor_actions AS
SELECT x.cntrb_id, x.created_at, x.repo_id, x.action, x.repo_name, x.login, x.rank_newest AS rank
FROM aveloxis_data.explorer_contributor_actions_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_contributor_recent_actions AS
SELECT x.cntrb_id, x.created_at, x.repo_id, x.action, x.repo_name, x.login, x.rank_newest AS rank
FROM aveloxis_data.explorer_contributor_recent_actions_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.augur_new_contributors AS
SELECT x.cntrb_id, x.created_at, x.repo_id, x.action, x.repo_name, x.login, x.rank_newest AS rank
FROM aveloxis_data.augur_new_contributors_ext x;

-- As in Augur: the 7 most recent actions of each contributor in each repository
-- (rank 1..7, newest first).  Each contributor's first action per repository is
-- explorer_new_contributors_ext.
CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_new_contributors AS
SELECT x.cntrb_id, x.created_at, x.month::float8 AS month, x.year::float8 AS year,
       x.repo_id, x.repo_name, x.full_name, x.login, x.rank_newest AS rank
FROM aveloxis_data.augur_new_contributors_ext x
WHERE x.rank_newest <= 7;

CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_commits_and_committers_daily_count AS
SELECT x.repo_id, x.repo_name,
       to_char(x.cmt_committer_date, 'YYYY-MM-DD')::varchar AS cmt_committer_date,
       x.num_of_commits, x.num_of_unique_committers
FROM aveloxis_data.explorer_commits_and_committers_daily_count_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_entry_list AS
SELECT x.repo_git, x.repo_id, x.repo_name, x.rg_name
FROM aveloxis_data.explorer_entry_list_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_issue_assignments AS
SELECT x.issue_id, x.id, x.created, x.closed, x.assign_date, x.assignment_action,
       x.assignee, x.node_id
FROM aveloxis_data.explorer_issue_assignments_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_pr_assignments AS
SELECT x.pull_request_id, x.id, x.created, x.closed, x.assign_date, x.assignment_action,
       x.assignee, x.node_id
FROM aveloxis_data.explorer_pr_assignments_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_pr_response_times AS
SELECT x.repo_id, x.pr_src_id, x.repo_name, x.pr_src_author_association, x.repo_group,
       x.pr_src_state, x.pr_merged_at, x.pr_created_at, x.pr_closed_at,
       date_part('year', x.pr_created_at AT TIME ZONE 'UTC') AS created_year,
       date_part('month', x.pr_created_at AT TIME ZONE 'UTC') AS created_month,
       date_part('year', x.pr_closed_at AT TIME ZONE 'UTC') AS closed_year,
       date_part('month', x.pr_closed_at AT TIME ZONE 'UTC') AS closed_month,
       x.pr_src_meta_label, x.pr_head_or_base,
       x.hours_to_close, x.days_to_close,
       x.hours_to_first_response, x.days_to_first_response,
       x.hours_to_last_response, x.days_to_last_response,
       x.first_response_time, x.last_response_time, x.average_time_between_responses,
       x.assigned_count, x.review_requested_count, x.labeled_count, x.subscribed_count,
       x.mentioned_count, x.referenced_count, x.closed_count, x.head_ref_force_pushed_count,
       x.merged_count, x.milestoned_count, x.unlabeled_count, x.head_ref_deleted_count,
       x.comment_count, x.lines_added, x.lines_removed, x.commit_count, x.file_count
FROM aveloxis_data.explorer_pr_response_times_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_user_repos AS
SELECT x.login_name, x.user_id, x.group_id, x.repo_id
FROM aveloxis_data.explorer_user_repos_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_repo_languages AS
SELECT x.repo_id, r.repo_git, r.repo_name, x.programming_language, x.code_lines, x.files
FROM aveloxis_data.explorer_repo_languages_ext x
JOIN aveloxis_data.repos r ON r.repo_id = x.repo_id;

-- Augur's last published libyear views (dropped from Augur in its revision 25):
-- per repository and month of collection, and per dependency.
CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_libyear_all AS
SELECT x.repo_id, x.repo_name, x.avg_libyear, x.month::float8 AS month, x.year::float8 AS year
FROM aveloxis_data.explorer_libyear_summary_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_libyear_summary AS
SELECT x.repo_id, x.repo_name, x.avg_libyear, x.month::float8 AS month, x.year::float8 AS year
FROM aveloxis_data.explorer_libyear_summary_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.explorer_libyear_detail AS
SELECT x.repo_id, x.repo_name, x.name, x.requirement, x.current_verion, x.latest_version,
       to_char(x.current_release_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS current_release_date,
       x.libyear,
       x.data_collection_date AS max
FROM aveloxis_data.explorer_libyear_detail_ext x;

CREATE OR REPLACE VIEW aveloxis_augur_data.issue_reporter_created_at AS
SELECT x.reporter_id, x.created_at, x.repo_id
FROM aveloxis_data.issue_reporter_created_at_ext x;
