//! `aveloxis serve`: collection workers over the shared SQL queue, the scheduler, the monitor.
//!
//! Several `serve` processes on several hosts may share one database; PostgreSQL is the only
//! coordinator (see `queue`). Shutdown (SIGTERM/SIGINT): stop claiming, give running jobs
//! `shutdown_grace` to finish, then abort them and hand their repositories back to the queue;
//! exit 0. A process that dies without shutting down leaves claims whose heartbeat stops; any
//! other process's scheduler recovers them after `stale_after`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::Datelike;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::collect::{Collector, Outcome};
use crate::config::{Config, RebuildDay};
use crate::forge::client::{ClientOptions, ForgeError, WebStatus};
use crate::queue::{self, Finish};

/// Tunables of a `serve` process (the intervals are flags so tests can shorten them).
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub workers: usize,
    pub monitor: Option<String>,
    pub augur_keys: bool,
    /// Pause between claim attempts when the queue has nothing due.
    pub poll: Duration,
    pub heartbeat: Duration,
    /// A claim without a heartbeat for this long belongs to a dead worker.
    pub stale_after: Duration,
    pub shutdown_grace: Duration,
    /// Period of the scheduler's duties.
    pub scheduler_every: Duration,
    /// Retry delay after a failed collection.
    pub retry_after: Duration,
}

/// Counters exported on `/metrics`.
#[derive(Default)]
pub struct Metrics {
    pub jobs_ok: AtomicU64,
    pub jobs_failed: AtomicU64,
    pub jobs_sidelined: AtomicU64,
    pub errors: std::sync::Mutex<BTreeMap<&'static str, u64>>,
    /// Job durations in seconds: (bucket upper bounds counts, sum, count).
    pub durations: std::sync::Mutex<(Vec<u64>, f64, u64)>,
    pub busy_workers: AtomicU64,
}

/// Histogram bucket bounds for job durations (seconds).
pub const DURATION_BUCKETS: &[f64] = &[0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0, 7200.0];

impl Metrics {
    fn observe(&self, secs: f64) {
        if let Ok(mut d) = self.durations.lock() {
            if d.0.is_empty() {
                d.0 = vec![0; DURATION_BUCKETS.len()];
            }
            for (i, b) in DURATION_BUCKETS.iter().enumerate() {
                if secs <= *b {
                    d.0[i] += 1;
                }
            }
            d.1 += secs;
            d.2 += 1;
        }
    }

    fn error(&self, class: &'static str) {
        if let Ok(mut e) = self.errors.lock() {
            *e.entry(class).or_default() += 1;
        }
    }
}

/// What the monitor needs to see of a running daemon.
pub struct Shared {
    pub pool: PgPool,
    pub collector: Arc<Collector>,
    pub metrics: Metrics,
    pub paused: AtomicBool,
    pub workers: usize,
}

fn classify(e: &anyhow::Error) -> &'static str {
    if let Some(f) = e.downcast_ref::<ForgeError>() {
        return match f {
            ForgeError::NotFound { .. } | ForgeError::Gone { .. } => "forge_not_found",
            ForgeError::Forbidden { .. } => "forge_forbidden",
            ForgeError::NoKeys { .. } => "no_keys",
            ForgeError::Exhausted { .. } => "forge_unavailable",
            _ => "forge_other",
        };
    }
    if e.chain().any(|c| c.is::<sqlx::Error>()) {
        return "database";
    }
    "other"
}

fn process_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// Run the daemon until SIGTERM/SIGINT (the schema must already be migrated).
pub async fn run(
    cfg: Config,
    opts: ServeOptions,
    mut shutdown: crate::commands::Shutdown,
) -> Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections((opts.workers as u32) * 2 + 6)
        .acquire_timeout(Duration::from_secs(60))
        .connect_with(
            cfg.database
                .connect_options()
                .application_name("aveloxis-serve"),
        )
        .await
        .with_context(|| {
            format!(
                "connecting to PostgreSQL at {}:{}",
                cfg.database.host, cfg.database.port
            )
        })?;
    let collector = {
        let mut conn = pool.acquire().await?;
        Arc::new(
            Collector::new(
                &mut conn,
                cfg.clone(),
                opts.augur_keys,
                ClientOptions::default(),
            )
            .await?,
        )
    };
    let shared = Arc::new(Shared {
        pool: pool.clone(),
        collector,
        metrics: Metrics::default(),
        paused: AtomicBool::new(false),
        workers: opts.workers,
    });
    let me = process_id();
    let (stop_tx, stop_rx) = watch::channel(false);

    drain_staging(&pool).await?;

    let mut monitor = None;
    if let Some(addr) = &opts.monitor {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the monitor to {addr}"))?;
        tracing::info!(addr = %listener.local_addr()?, "monitor listening");
        let app = crate::monitor::router(shared.clone());
        let mut rx = stop_rx.clone();
        monitor = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await;
        }));
    }

    let mut workers = JoinSet::new();
    for n in 0..opts.workers {
        let id = format!("{me}:w{n}");
        workers.spawn(worker(shared.clone(), id, opts.clone(), stop_rx.clone()));
    }
    let scheduler = tokio::spawn(scheduler(shared.clone(), opts.clone(), stop_rx.clone()));
    tracing::info!(workers = opts.workers, process = %me, "serving");

    shutdown.wait().await;
    tracing::info!("shutting down: no new claims; waiting for running jobs");
    let _ = stop_tx.send(true);
    let deadline = tokio::time::sleep(opts.shutdown_grace);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = workers.join_next() => if next.is_none() { break },
            _ = &mut deadline => {
                tracing::warn!(grace_s = opts.shutdown_grace.as_secs(), "grace period over; aborting running jobs");
                workers.abort_all();
                while workers.join_next().await.is_some() {}
                break;
            }
        }
    }
    scheduler.abort();
    let mut conn = pool.acquire().await?;
    let released = queue::release_all(&mut conn, &format!("{me}:")).await?;
    if released > 0 {
        tracing::info!(released, "returned unfinished jobs to the queue");
    }
    if let Some(m) = monitor {
        let _ = m.await;
    }
    tracing::info!("shutting down");
    Ok(())
}

async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

async fn worker(
    shared: Arc<Shared>,
    id: String,
    opts: ServeOptions,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        if shared.paused.load(Ordering::Relaxed) {
            sleep_or_stop(opts.poll, &mut stop).await;
            continue;
        }
        let job = match shared.pool.acquire().await {
            Ok(mut c) => queue::claim(&mut c, &id).await,
            Err(e) => Err(e.into()),
        };
        match job {
            Ok(Some(job)) => run_job(&shared, &id, &opts, job).await,
            Ok(None) => sleep_or_stop(opts.poll, &mut stop).await,
            Err(e) => {
                tracing::error!(worker = %id, error = %e, "claiming failed");
                shared.metrics.error("database");
                sleep_or_stop(opts.poll, &mut stop).await;
            }
        }
    }
}

async fn run_job(shared: &Arc<Shared>, id: &str, opts: &ServeOptions, job: queue::Job) {
    let started = Instant::now();
    shared.metrics.busy_workers.fetch_add(1, Ordering::Relaxed);
    // Heartbeat on its own connection while the job runs.
    let hb = {
        let pool = shared.pool.clone();
        let (wid, every, repo) = (id.to_owned(), opts.heartbeat, job.repo_id);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Ok(mut c) = pool.acquire().await
                    && let Ok(false) = queue::heartbeat(&mut c, repo, &wid).await
                {
                    tracing::warn!(worker = %wid, repo_id = repo, "lost the claim (recovered as stale?)");
                    return;
                }
            }
        })
    };
    let result = match shared.pool.acquire().await {
        Ok(mut conn) => {
            shared
                .collector
                .collect(&mut conn, job.repo_id, job.force_full)
                .await
        }
        Err(e) => Err(e.into()),
    };
    hb.abort();
    let elapsed = started.elapsed();
    shared.metrics.observe(elapsed.as_secs_f64());
    let recollect =
        Duration::from_secs(shared.collector.cfg.collection.days_until_recollect as u64 * 86_400);
    let (how, err_text);
    match &result {
        Ok(Outcome::Collected(c)) => {
            shared.metrics.jobs_ok.fetch_add(1, Ordering::Relaxed);
            how = Finish::Success {
                recollect_after: recollect,
                items: (c.get("issues") + c.get("pulls")) as i64,
            };
        }
        Ok(_) => {
            shared
                .metrics
                .jobs_sidelined
                .fetch_add(1, Ordering::Relaxed);
            how = Finish::Dequeued;
        }
        Err(e) => {
            shared.metrics.jobs_failed.fetch_add(1, Ordering::Relaxed);
            shared.metrics.error(classify(e));
            err_text = format!("{e:#}");
            tracing::error!(worker = %id, repo_id = job.repo_id, error = %err_text, "collection failed");
            how = Finish::Failure {
                retry_after: opts.retry_after,
                error: &err_text,
            };
        }
    }
    match shared.pool.acquire().await {
        Ok(mut c) => {
            if let Err(e) = queue::finish(&mut c, job.repo_id, id, how, elapsed).await {
                tracing::error!(worker = %id, repo_id = job.repo_id, error = %e, "could not record the job's end");
            }
        }
        Err(e) => tracing::error!(error = %e, "no connection to record the job's end"),
    }
    shared.metrics.busy_workers.fetch_sub(1, Ordering::Relaxed);
}

/// Process pages a previous process staged but never processed (repositories nobody holds).
async fn drain_staging(pool: &PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let repos: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT s.repo_id FROM aveloxis_ops.staging s
          WHERE NOT s.processed
            AND NOT EXISTS (SELECT 1 FROM aveloxis_ops.collection_queue q
                             WHERE q.repo_id = s.repo_id AND q.status = 'collecting')",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in repos {
        match crate::collect::process_staged(&mut conn, r).await {
            Ok(_) => tracing::info!(repo_id = r, "processed pages left staged by an earlier run"),
            Err(e) => {
                tracing::error!(repo_id = r, error = %format!("{e:#}"), "could not process leftover staged pages")
            }
        }
    }
    Ok(())
}

async fn scheduler(shared: Arc<Shared>, opts: ServeOptions, mut stop: watch::Receiver<bool>) {
    loop {
        sleep_or_stop(opts.scheduler_every, &mut stop).await;
        if *stop.borrow() {
            return;
        }
        if let Err(e) = duties(&shared, &opts).await {
            tracing::error!(error = %format!("{e:#}"), "scheduler duty failed");
        }
    }
}

async fn duties(shared: &Arc<Shared>, opts: &ServeOptions) -> Result<()> {
    let mut conn = shared.pool.acquire().await?;
    let recovered = queue::recover_stale(&mut conn, opts.stale_after).await?;
    if !recovered.is_empty() {
        tracing::warn!(repos = ?recovered, "recovered claims of dead workers");
    }
    sqlx::query(
        "DELETE FROM aveloxis_ops.staging WHERE processed AND processed_at < now() - interval '7 days'",
    )
    .execute(&mut *conn)
    .await?;
    recheck_gone(shared, &mut conn).await?;
    weekly_rebuild(shared, &mut conn).await?;
    Ok(())
}

/// Sidelined repositories are looked at again weekly; one that answers again is re-queued.
async fn recheck_gone(shared: &Arc<Shared>, conn: &mut sqlx::PgConnection) -> Result<()> {
    let due: Vec<(i64, String, i16)> = sqlx::query_as(
        "SELECT repo_id, repo_git, platform_id FROM aveloxis_data.repos
          WHERE repo_gone_at IS NOT NULL AND coalesce(repo_gone_checked_at, 'epoch') < now() - interval '7 days'
          LIMIT 50",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (id, url, platform) in due {
        let Some(p) = crate::forge::Platform::from_id(platform) else {
            continue;
        };
        let status = shared.collector.client(p)?.check_web(&url).await;
        sqlx::query(
            "UPDATE aveloxis_data.repos SET repo_gone_checked_at = now() WHERE repo_id = $1",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        if let Ok(WebStatus::Ok) = status {
            sqlx::query("UPDATE aveloxis_data.repos SET repo_gone_at = NULL WHERE repo_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            crate::collect::enqueue(conn, id, queue::DEFAULT_PRIORITY).await?;
            tracing::info!(
                repo_id = id,
                "sidelined repository answers again; re-queued"
            );
        }
    }
    Ok(())
}

fn today_is(day: RebuildDay) -> bool {
    use chrono::Weekday::*;
    let w = chrono::Utc::now().weekday();
    matches!(
        (day, w),
        (RebuildDay::Monday, Mon)
            | (RebuildDay::Tuesday, Tue)
            | (RebuildDay::Wednesday, Wed)
            | (RebuildDay::Thursday, Thu)
            | (RebuildDay::Friday, Fri)
            | (RebuildDay::Saturday, Sat)
            | (RebuildDay::Sunday, Sun)
    )
}

/// On the configured day, once, when at most a third of the workers are busy: pause claiming,
/// refresh the materialized views, resume.
async fn weekly_rebuild(shared: &Arc<Shared>, conn: &mut sqlx::PgConnection) -> Result<()> {
    let day = shared.collector.cfg.collection.matview_rebuild_day;
    if day == RebuildDay::Disabled || !today_is(day) {
        return Ok(());
    }
    let done_today: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM aveloxis_ops.matview_refresh_log WHERE started_at::date = current_date)",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap_or(true);
    let busy = shared.metrics.busy_workers.load(Ordering::Relaxed) as usize;
    if done_today || busy * 3 > shared.workers {
        return Ok(());
    }
    shared.paused.store(true, Ordering::Relaxed);
    tracing::info!("weekly materialized-view rebuild: collection paused");
    let r = crate::commands::refresh_views(conn).await;
    shared.paused.store(false, Ordering::Relaxed);
    let logged = sqlx::query(
        "INSERT INTO aveloxis_ops.matview_refresh_log (matview_name, refresh_trigger, finished_at, error)
         VALUES ('*', 'weekly', now(), $1)",
    )
    .bind(r.as_ref().err().map(|e| format!("{e:#}")))
    .execute(&mut *conn)
    .await;
    if let Err(e) = logged {
        tracing::warn!(error = %e, "could not log the rebuild");
    }
    r
}
