//! Columns derived from other collected rows rather than read from one forge item, and the
//! children a re-listed item no longer has.
//!
//! GitHub's issue listing carries no `closed_by` (only the single-issue endpoint does), so the
//! closer of an issue or pull request is the actor of its latest `closed` event, which the
//! events listing brings. Run in the processing transaction after the rows are written, so an
//! issue and its events are consistent whenever a transaction commits.

use anyhow::{Context, Result};
use serde_json::Value;
use sqlx::PgConnection;

use super::specs::Entity;

/// Children stated in full by their parent's document (an issue's `labels` and `assignees`, a
/// pull request's `labels`, `assignees` and `requested_reviewers`): (child, parent, the
/// column naming the parent in both rows, the parent table and its id column, the child's own
/// key column and its type).
const STATED_BY_PARENT: &[(Entity, Entity, &str, &str, &str, &str, &str)] = &[
    (
        Entity::IssueLabels,
        Entity::Issues,
        "platform_issue_id",
        "aveloxis_data.issues",
        "issue_id",
        "label_text",
        "text",
    ),
    (
        Entity::IssueAssignees,
        Entity::Issues,
        "platform_issue_id",
        "aveloxis_data.issues",
        "issue_id",
        "platform_assignee_id",
        "bigint",
    ),
    (
        Entity::PrLabels,
        Entity::PullRequests,
        "pr_number",
        "aveloxis_data.pull_requests",
        "pull_request_id",
        "label_name",
        "text",
    ),
    (
        Entity::PrAssignees,
        Entity::PullRequests,
        "pr_number",
        "aveloxis_data.pull_requests",
        "pull_request_id",
        "platform_assignee_id",
        "bigint",
    ),
    (
        Entity::PrReviewers,
        Entity::PullRequests,
        "pr_number",
        "aveloxis_data.pull_requests",
        "pull_request_id",
        "platform_reviewer_id",
        "bigint",
    ),
];

/// The parent entity of `child` when the parent's document states every `child` row.
pub(super) fn stated_by(child: Entity) -> Option<Entity> {
    STATED_BY_PARENT.iter().find(|r| r.0 == child).map(|r| r.1)
}

/// After `parents` (rows of the parent entity, each a full document from the forge) and
/// `children` (the rows those documents state) are written: remove the children of those
/// parents that the documents no longer state (a removed label, an unassigned person, a
/// reviewer no longer requested). Parents absent from this batch keep all their children.
pub(super) async fn drop_unstated(
    conn: &mut PgConnection,
    repo_id: i64,
    child: Entity,
    parents: &[Value],
    children: &[Value],
) -> Result<u64> {
    let Some(&(_, _, link, parent_table, id, key, ty)) =
        STATED_BY_PARENT.iter().find(|r| r.0 == child)
    else {
        return Ok(0);
    };
    let listed: Vec<i64> = parents.iter().filter_map(|p| p[link].as_i64()).collect();
    if listed.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "DELETE FROM {table} c USING {parent_table} p
          WHERE c.{id} = p.{id} AND p.repo_id = $1 AND p.{link} = ANY($2)
            AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset($3) AS x({link} bigint, {key} {ty})
                             WHERE x.{link} = p.{link} AND x.{key} = c.{key})",
        table = child.table()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(repo_id)
        .bind(&listed)
        .bind(Value::Array(children.to_vec()))
        .execute(&mut *conn)
        .await
        .with_context(|| format!("removing {} no longer stated", child.table()))?;
    Ok(done.rows_affected())
}

/// Set `issues.closed_by_id` of `repo_id` from the events: the actor of the latest `closed`
/// event for a closed issue; none for an open one (a reopened issue loses its closer, as the
/// forge no longer reports one). A closed issue with no collected `closed` event keeps what it
/// has. Returns the number of issues changed.
pub async fn closers(conn: &mut PgConnection, repo_id: i64) -> Result<u64> {
    let set = sqlx::query(
        "UPDATE aveloxis_data.issues i SET closed_by_id = c.cntrb_id
         FROM (SELECT DISTINCT ON (e.issue_id) e.issue_id, e.cntrb_id
               FROM aveloxis_data.issue_events e
               WHERE e.repo_id = $1 AND e.action = 'closed' AND e.cntrb_id IS NOT NULL
               ORDER BY e.issue_id, e.created_at DESC NULLS LAST, e.platform_event_id DESC) c
         WHERE i.repo_id = $1 AND i.issue_id = c.issue_id AND i.issue_state = 'closed'
           AND i.closed_by_id IS DISTINCT FROM c.cntrb_id",
    )
    .bind(repo_id)
    .execute(&mut *conn)
    .await
    .context("setting issue closers from their closed events")?;
    Ok(set.rows_affected() + clear_open_closers(conn, repo_id).await?)
}

/// An open issue has no closer (a reopened issue loses the one it had: the forge no longer
/// reports one, and "NULL never overwrites" would keep it). Returns the issues changed.
pub async fn clear_open_closers(conn: &mut PgConnection, repo_id: i64) -> Result<u64> {
    let cleared = sqlx::query(
        "UPDATE aveloxis_data.issues SET closed_by_id = NULL
         WHERE repo_id = $1 AND issue_state <> 'closed' AND closed_by_id IS NOT NULL",
    )
    .bind(repo_id)
    .execute(&mut *conn)
    .await
    .context("clearing the closers of open issues")?;
    Ok(cleared.rows_affected())
}

const DROP_DELETED_COMMENTS: &str = include_str!("sql/drop_deleted_comments.sql");
const COMMENT_COUNT_MISMATCHES: &str = include_str!("sql/comment_count_mismatches.sql");

/// Which items a comment listing's number names.
#[derive(Clone, Copy)]
pub(super) enum Numbered {
    /// An issue or a pull request (GitHub numbers them together).
    Either,
    /// An issue (GitLab numbers issues and merge requests apart).
    Issue,
    /// A pull or merge request.
    Pull,
}

impl Numbered {
    fn sql(self) -> &'static str {
        match self {
            Numbered::Either => "either",
            Numbered::Issue => "issue",
            Numbered::Pull => "pull",
        }
    }
}

/// After the complete comment listing of item `number` (`listed`: the ids it holds) is written:
/// remove its issue comments the listing no longer holds (deleted on the forge), with every row
/// that refers to them. Returns the messages removed.
pub(super) async fn drop_deleted_comments(
    conn: &mut PgConnection,
    repo_id: i64,
    (number, of): (i64, Numbered),
    listed: &[i64],
) -> Result<u64> {
    let done = sqlx::query(DROP_DELETED_COMMENTS)
        .bind(repo_id)
        .bind(number)
        .bind(listed)
        .bind(of.sql())
        .execute(&mut *conn)
        .await
        .context("removing deleted comments")?;
    Ok(done.rows_affected())
}

/// Issues and pull requests whose comment count in the issue listing staged since `since`
/// differs from the comments collected for them (see `sql/comment_count_mismatches.sql`).
pub(super) async fn comment_count_mismatches(
    conn: &mut PgConnection,
    repo_id: i64,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(COMMENT_COUNT_MISMATCHES)
        .bind(repo_id)
        .bind(since)
        .fetch_all(conn)
        .await?)
}
