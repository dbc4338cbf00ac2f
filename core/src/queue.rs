//! The collection queue: `aveloxis_ops.collection_queue`, plain SQL, shared by every `serve`
//! process on every host.
//!
//! Architecture invariant: a repository is claimed by at most one worker at a time. A claim is
//! one `UPDATE … WHERE repo_id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)`: concurrent
//! claimers skip each other's locked rows instead of waiting or double-claiming. A claim that
//! stops heart-beating (a crashed or killed worker) is released by [`recover_stale`].
//! Every claim and completion is logged in `aveloxis_ops.worker_history` (job_model
//! `collect`), which is how tests prove the invariant from the data.
//!
//! Architecture invariant: this module is the only writer of `aveloxis_ops.collection_queue`.
//! Commands, the daemon, the monitor and collection change the queue only through the
//! functions here (enqueue, prioritize, request a full collection, record a run's result or
//! error, dequeue, claim/heartbeat/finish/recover), so every state change of a queue row is
//! one of the transitions named in this file. A claimed row (`status = 'collecting'`) is never
//! reset by an operator request: [`prioritize`] keeps it collecting.

use std::time::Duration;

use anyhow::Result;
use sqlx::PgConnection;

/// Priority of repositories that have been collected (0 is the operator's override).
pub const DEFAULT_PRIORITY: i32 = 100;

/// Queue a repository (or change its priority); `priority` 0 is "next".
pub(crate) async fn enqueue(conn: &mut PgConnection, repo_id: i64, priority: i32) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.collection_queue (repo_id, priority, status, due_at)
         VALUES ($1, $2, 'queued', now())
         ON CONFLICT (repo_id) DO UPDATE SET priority = EXCLUDED.priority, updated_at = now()",
    )
    .bind(repo_id)
    .bind(priority)
    .execute(conn)
    .await?;
    Ok(())
}

/// Priority 0, due now, unlocked: the next worker takes it (a running claim is kept).
pub(crate) async fn prioritize(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.collection_queue (repo_id, priority, status, due_at)
         VALUES ($1, 0, 'queued', now())
         ON CONFLICT (repo_id) DO UPDATE SET priority = 0, due_at = now(),
             status = CASE WHEN collection_queue.status = 'collecting' THEN 'collecting' ELSE 'queued' END,
             updated_at = now()",
    )
    .bind(repo_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The next collection of `repo_id` ignores the incremental window.
pub(crate) async fn request_full(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.collection_queue (repo_id, force_full_collect) VALUES ($1, true)
         ON CONFLICT (repo_id) DO UPDATE SET force_full_collect = true, updated_at = now()",
    )
    .bind(repo_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Remove a repository from the queue (gone, duplicate).
pub(crate) async fn dequeue(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM aveloxis_ops.collection_queue WHERE repo_id = $1")
        .bind(repo_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What one successful run gathered (shown on the dashboard next to the totals).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LastRun {
    pub issues: i64,
    pub prs: i64,
    pub messages: i64,
    pub events: i64,
    pub releases: i64,
    pub contributors: i64,
    pub commits: i64,
}

/// A run succeeded: error and full-collection request cleared, its counts kept, and
/// `last_collected` set to when the run `started` (what the forge held then is collected: the
/// next incremental window starts before it, so nothing updated while this run read is lost).
pub(crate) async fn record_success(
    conn: &mut PgConnection,
    repo_id: i64,
    run: &LastRun,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE aveloxis_ops.collection_queue SET last_collected = $9, last_error = NULL,
                force_full_collect = false, last_issues = $2, last_prs = $3, last_messages = $4,
                last_events = $5, last_releases = $6, last_contributors = $7, last_commits = $8,
                updated_at = now()
          WHERE repo_id = $1",
    )
    .bind(repo_id)
    .bind(run.issues)
    .bind(run.prs)
    .bind(run.messages)
    .bind(run.events)
    .bind(run.releases)
    .bind(run.contributors)
    .bind(run.commits)
    .bind(started)
    .execute(conn)
    .await?;
    Ok(())
}

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

/// Release the claim of `worker` on `repo_id`. Returns whether the claim was still held: when
/// it was not (recovered as stale, taken by another worker), nothing of the queue row changes
/// and the history records `lost`, not the outcome.
pub async fn finish(
    conn: &mut PgConnection,
    repo_id: i64,
    worker: &str,
    how: Finish<'_>,
    duration: Duration,
) -> Result<bool> {
    let ms = duration.as_millis() as i64;
    let (status, total, changed) = match how {
        Finish::Success {
            recollect_after,
            items,
        } => {
            let changed = sqlx::query(
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
            .await?
            .rows_affected();
            ("success", Some(items.min(i32::MAX as i64) as i32), changed)
        }
        Finish::Failure { retry_after, error } => {
            let changed = sqlx::query(
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
            .await?
            .rows_affected();
            ("error", None, changed)
        }
        Finish::Released => {
            let changed = sqlx::query(
                "UPDATE aveloxis_ops.collection_queue
                    SET status = 'queued', locked_by = NULL, locked_at = NULL, heartbeat_at = NULL,
                        updated_at = now()
                  WHERE repo_id = $1 AND locked_by = $2",
            )
            .bind(repo_id)
            .bind(worker)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            ("released", None, changed)
        }
        Finish::Dequeued => ("dequeued", None, 1),
    };
    if changed == 0 {
        log(conn, repo_id, worker, "lost", None).await?;
        return Ok(false);
    }
    log(conn, repo_id, worker, status, total).await?;
    Ok(true)
}

/// A job whose claim was lost while it ran was cancelled: recorded in the history only (the
/// queue row belongs to whoever holds it now).
pub async fn record_lost(conn: &mut PgConnection, repo_id: i64, worker: &str) -> Result<()> {
    log(conn, repo_id, worker, "lost", None).await
}

/// Why a write was refused: the claim it was made under is no longer held.
#[derive(Debug, thiserror::Error)]
#[error(
    "repository {repo_id}: the claim of {worker} is no longer held (recovered as stale or taken over); nothing written"
)]
pub struct ClaimLost {
    pub repo_id: i64,
    pub worker: String,
}

/// Under whose claim a processing transaction writes.
#[derive(Clone, Debug)]
pub enum Fence {
    /// The claim of this worker, which must still hold the repository.
    Claim(String),
    /// Nobody's: the repository must not be claimed (leftover pages drained at startup).
    Unclaimed,
}

/// Check the fence inside a processing transaction and hold the queue row (`FOR SHARE`) until
/// it ends, so the claim cannot be recovered or taken between the check and the commit.
pub async fn check_fence(conn: &mut PgConnection, repo_id: i64, fence: &Fence) -> Result<()> {
    let holder: Option<Option<String>> = sqlx::query_scalar(
        "SELECT CASE WHEN status = 'collecting' THEN locked_by END
           FROM aveloxis_ops.collection_queue WHERE repo_id = $1 FOR SHARE",
    )
    .bind(repo_id)
    .fetch_optional(&mut *conn)
    .await?;
    let holder = holder.flatten();
    match fence {
        Fence::Claim(worker) if holder.as_deref() == Some(worker.as_str()) => Ok(()),
        Fence::Claim(worker) => Err(ClaimLost {
            repo_id,
            worker: worker.clone(),
        }
        .into()),
        Fence::Unclaimed => match holder {
            None => Ok(()),
            Some(w) => anyhow::bail!(
                "repository {repo_id} is being collected by {w}; its staged pages are left to it"
            ),
        },
    }
}

/// Claim one given repository for `worker` (`aveloxis collect`), queueing it when it is not
/// queued. `Err(holder)` when another worker holds it.
pub async fn claim_repo(
    conn: &mut PgConnection,
    repo_id: i64,
    worker: &str,
) -> Result<std::result::Result<Job, String>> {
    let row: Option<(bool, i32)> = sqlx::query_as(
        "INSERT INTO aveloxis_ops.collection_queue
             (repo_id, priority, status, locked_by, locked_at, heartbeat_at, due_at)
         VALUES ($1, $3, 'collecting', $2, now(), now(), now())
         ON CONFLICT (repo_id) DO UPDATE
            SET status = 'collecting', locked_by = $2, locked_at = now(), heartbeat_at = now(),
                updated_at = now()
          WHERE collection_queue.status <> 'collecting'
         RETURNING force_full_collect, priority",
    )
    .bind(repo_id)
    .bind(worker)
    .bind(DEFAULT_PRIORITY)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((force_full, priority)) = row else {
        let holder: Option<String> = sqlx::query_scalar(
            "SELECT locked_by FROM aveloxis_ops.collection_queue WHERE repo_id = $1",
        )
        .bind(repo_id)
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
        return Ok(Err(holder.unwrap_or_else(|| "another worker".into())));
    };
    log(conn, repo_id, worker, "claimed", None).await?;
    Ok(Ok(Job {
        repo_id,
        force_full,
        priority,
    }))
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
