//! Commits no branch or tag reaches any more (a force-push dropped them, a branch was deleted):
//! after a complete `git log --all` of a clone fetched with `--prune`, every commit of the
//! repository's rows that the log did not show is removed — its per-file `commits` rows, its
//! `commit_messages` row and its `commit_parents` rows — in one transaction, so the `dm_*`
//! aggregates recomputed after the facade no longer count it. A fresh collection of the same
//! repository would never have seen them: removal keeps "incremental equals fresh". A commit
//! comment on a removed commit keeps its row; only its link to the commit row is cleared.

use std::collections::HashSet;

use anyhow::{Context, Result};
use sqlx::{Connection, PgConnection};

/// Remove the commits of `repo_id` that are not in `reachable` (the hashes a complete log
/// showed). Returns how many commits were removed. An empty `reachable` removes nothing (a log
/// that showed nothing is no evidence that every commit is gone).
pub(super) async fn remove_unreachable(
    conn: &mut PgConnection,
    repo_id: i64,
    reachable: &HashSet<String>,
) -> Result<u64> {
    if reachable.is_empty() {
        return Ok(0);
    }
    // Cheap test first: one message row per commit.
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.commit_messages WHERE repo_id = $1")
            .bind(repo_id)
            .fetch_one(&mut *conn)
            .await?;
    if stored as usize <= reachable.len() {
        return Ok(0);
    }
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT cmt_hash FROM aveloxis_data.commit_messages WHERE repo_id = $1")
            .bind(repo_id)
            .fetch_all(&mut *conn)
            .await?;
    let gone: Vec<String> = hashes
        .into_iter()
        .filter(|h| !reachable.contains(h))
        .collect();
    if gone.is_empty() {
        return Ok(0);
    }
    let mut tx = conn.begin().await?;
    for sql in [
        "UPDATE aveloxis_data.commit_comment_ref SET cmt_id = NULL
          WHERE cmt_id IN (SELECT cmt_id FROM aveloxis_data.commits
                            WHERE repo_id = $1 AND cmt_commit_hash = ANY($2))",
        "DELETE FROM aveloxis_data.commit_parents
          WHERE repo_id = $1 AND (cmt_commit_hash = ANY($2) OR parent_commit_hash = ANY($2))",
        "DELETE FROM aveloxis_data.commits WHERE repo_id = $1 AND cmt_commit_hash = ANY($2)",
        "DELETE FROM aveloxis_data.commit_messages WHERE repo_id = $1 AND cmt_hash = ANY($2)",
    ] {
        sqlx::query(sql)
            .bind(repo_id)
            .bind(&gone)
            .execute(&mut *tx)
            .await
            .context("removing commits no branch or tag reaches")?;
    }
    tx.commit().await?;
    tracing::info!(
        repo_id,
        removed = gone.len(),
        "removed commits no branch or tag reaches"
    );
    Ok(gone.len() as u64)
}
