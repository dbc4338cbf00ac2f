//! The collection queue: `aveloxis_ops.collection_queue`, plain SQL, shared by every `serve`
//! process on every host.
//!
//! Architecture invariant: a repository is claimed by at most one worker at a time. A claim is
//! one `UPDATE … WHERE repo_id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)`: concurrent
//! claimers skip each other's locked rows instead of waiting or double-claiming. A claim that
//! stops heart-beating (a crashed or killed worker) is released by [`recover_stale`].
//! Every claim and completion is logged in `aveloxis_ops.worker_history` (job_model
//! `collect`), which is how tests prove the invariant from the data.

use std::time::Duration;

use anyhow::Result;
use sqlx::PgConnection;

/// Priority of repositories that have been collected (0 is the operator's override).
pub const DEFAULT_PRIORITY: i32 = 100;

/// A claimed job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub repo_id: i64,
    pub force_full: bool,
    pub priority: i32,
}

/// Claim the most urgent due repository (priority, then due time) for `worker`.
pub async fn claim(conn: &mut PgConnection, worker: &str) -> Result<Option<Job>> {
    let row: Option<(i64, bool, i32)> = sqlx::query_as(
        "WITH next AS (
             SELECT repo_id FROM aveloxis_ops.collection_queue
              WHERE status = 'queued' AND due_at <= now()
              ORDER BY priority, due_at
              FOR UPDATE SKIP LOCKED
              LIMIT 1)
         UPDATE aveloxis_ops.collection_queue q
            SET status = 'collecting', locked_by = $1, locked_at = now(), heartbeat_at = now(),
                updated_at = now()
           FROM next WHERE q.repo_id = next.repo_id
         RETURNING q.repo_id, q.force_full_collect, q.priority",
    )
    .bind(worker)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((repo_id, force_full, priority)) = row else {
        return Ok(None);
    };
    log(conn, repo_id, worker, "claimed", None).await?;
    Ok(Some(Job {
        repo_id,
        force_full,
        priority,
    }))
}

async fn log(
    conn: &mut PgConnection,
    repo_id: i64,
    worker: &str,
    status: &str,
    total: Option<i32>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.worker_history (repo_id, worker, job_model, status, total_results)
         VALUES ($1, $2, 'collect', $3, $4)",
    )
    .bind(repo_id)
    .bind(worker)
    .bind(status)
    .bind(total)
    .execute(conn)
    .await?;
    Ok(())
}

/// Prove the worker still owns its job.
pub async fn heartbeat(conn: &mut PgConnection, repo_id: i64, worker: &str) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE aveloxis_ops.collection_queue SET heartbeat_at = now()
          WHERE repo_id = $1 AND locked_by = $2 AND status = 'collecting'",
    )
    .bind(repo_id)
    .bind(worker)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// How a job ended.
pub enum Finish<'a> {
    /// Collected: due again after `recollect_after`; priority back to the default; the
    /// full-collection request is cleared.
    Success {
        recollect_after: Duration,
        items: i64,
    },
    /// Failed: kept, retried after `retry_after`, error recorded.
    Failure {
        retry_after: Duration,
        error: &'a str,
    },
    /// Shutting down: back to the queue unchanged, due now.
    Released,
    /// The repository left the queue (gone, duplicate): nothing to update.
    Dequeued,
}

/// Release the claim of `worker` on `repo_id`.
pub async fn finish(
    conn: &mut PgConnection,
    repo_id: i64,
    worker: &str,
    how: Finish<'_>,
    duration: Duration,
) -> Result<()> {
    let ms = duration.as_millis() as i64;
    let (status, total) = match how {
        Finish::Success {
            recollect_after,
            items,
        } => {
            sqlx::query(
                "UPDATE aveloxis_ops.collection_queue
                    SET status = 'queued', locked_by = NULL, locked_at = NULL, heartbeat_at = NULL,
                        due_at = now() + make_interval(secs => $3), force_full_collect = false,
                        priority = CASE WHEN priority = 0 THEN $4 ELSE priority END,
                        last_duration_ms = $5, last_error = NULL, updated_at = now()
                  WHERE repo_id = $1 AND locked_by = $2",
            )
            .bind(repo_id)
            .bind(worker)
            .bind(recollect_after.as_secs_f64())
            .bind(DEFAULT_PRIORITY)
            .bind(ms)
            .execute(&mut *conn)
            .await?;
            ("success", Some(items.min(i32::MAX as i64) as i32))
        }
        Finish::Failure { retry_after, error } => {
            sqlx::query(
                "UPDATE aveloxis_ops.collection_queue
                    SET status = 'queued', locked_by = NULL, locked_at = NULL, heartbeat_at = NULL,
                        due_at = now() + make_interval(secs => $3), last_error = $4,
                        last_duration_ms = $5, updated_at = now()
                  WHERE repo_id = $1 AND locked_by = $2",
            )
            .bind(repo_id)
            .bind(worker)
            .bind(retry_after.as_secs_f64())
            .bind(error)
            .bind(ms)
            .execute(&mut *conn)
            .await?;
            ("error", None)
        }
        Finish::Released => {
            sqlx::query(
                "UPDATE aveloxis_ops.collection_queue
                    SET status = 'queued', locked_by = NULL, locked_at = NULL, heartbeat_at = NULL,
                        updated_at = now()
                  WHERE repo_id = $1 AND locked_by = $2",
            )
            .bind(repo_id)
            .bind(worker)
            .execute(&mut *conn)
            .await?;
            ("released", None)
        }
        Finish::Dequeued => ("dequeued", None),
    };
    log(conn, repo_id, worker, status, total).await
}

/// Return to the queue every claim whose heartbeat is older than `stale_after`. Returns the
/// repositories recovered.
pub async fn recover_stale(conn: &mut PgConnection, stale_after: Duration) -> Result<Vec<i64>> {
    let ids: Vec<(i64, String)> = sqlx::query_as(
        "UPDATE aveloxis_ops.collection_queue
            SET status = 'queued', locked_by = NULL, locked_at = NULL, heartbeat_at = NULL,
                due_at = least(due_at, now()), updated_at = now()
          WHERE status = 'collecting' AND heartbeat_at < now() - make_interval(secs => $1)
          RETURNING repo_id, 'stale'",
    )
    .bind(stale_after.as_secs_f64())
    .fetch_all(&mut *conn)
    .await?;
    for (id, _) in &ids {
        log(conn, *id, "scheduler", "recovered", None).await?;
    }
    Ok(ids.into_iter().map(|(id, _)| id).collect())
}

/// Release every claim held by workers whose id starts with `prefix` (this process).
pub async fn release_all(conn: &mut PgConnection, prefix: &str) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE aveloxis_ops.collection_queue
            SET status = 'queued', locked_by = NULL, locked_at = NULL, heartbeat_at = NULL, updated_at = now()
          WHERE status = 'collecting' AND starts_with(locked_by, $1)",
    )
    .bind(prefix)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Queue counts for the dashboard and metrics.
#[derive(Clone, Debug, Default, serde::Serialize, PartialEq, Eq)]
pub struct Stats {
    pub queued: i64,
    pub due: i64,
    pub collecting: i64,
    pub with_errors: i64,
    pub repos: i64,
    pub gone: i64,
}

pub async fn stats(conn: &mut PgConnection) -> Result<Stats> {
    let (queued, due, collecting, with_errors, repos, gone): (i64, i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "SELECT count(*) FILTER (WHERE status = 'queued'),
                count(*) FILTER (WHERE status = 'queued' AND due_at <= now()),
                count(*) FILTER (WHERE status = 'collecting'),
                count(*) FILTER (WHERE last_error IS NOT NULL),
                (SELECT count(*) FROM aveloxis_data.repos),
                (SELECT count(*) FROM aveloxis_data.repos WHERE repo_gone_at IS NOT NULL)
           FROM aveloxis_ops.collection_queue",
        )
        .fetch_one(conn)
        .await?;
    Ok(Stats {
        queued,
        due,
        collecting,
        with_errors,
        repos,
        gone,
    })
}
