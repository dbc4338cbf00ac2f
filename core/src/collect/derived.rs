//! Columns derived from other collected rows rather than read from one forge item.
//!
//! GitHub's issue listing carries no `closed_by` (only the single-issue endpoint does), so the
//! closer of an issue or pull request is the actor of its latest `closed` event, which the
//! events listing brings. Run in the processing transaction after the rows are written, so an
//! issue and its events are consistent whenever a transaction commits.

use anyhow::{Context, Result};
use sqlx::PgConnection;

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
    let cleared = sqlx::query(
        "UPDATE aveloxis_data.issues SET closed_by_id = NULL
         WHERE repo_id = $1 AND issue_state <> 'closed' AND closed_by_id IS NOT NULL",
    )
    .bind(repo_id)
    .execute(&mut *conn)
    .await
    .context("clearing the closers of open issues")?;
    Ok(set.rows_affected() + cleared.rows_affected())
}
