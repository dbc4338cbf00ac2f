//! `aveloxis serve`'s engine: collection workers over the shared SQL queue and the scheduler.
//!
//! Several `serve` processes on several hosts may share one database; PostgreSQL is the only
//! coordinator (see `queue`). Shutdown (SIGTERM/SIGINT): stop claiming, give running jobs
//! `shutdown_grace` to finish, then abort them and hand their repositories back to the queue;
//! exit 0. A process that dies without shutting down leaves claims whose heartbeat stops; any
//! other process's scheduler recovers them after `stale_after`.
//!
//! The daemon knows nothing of the monitor: the monitor reads [`Shared`] and stops with
//! [`Daemon::stopping`]; `commands::serve` puts the two side by side.

mod metrics;
mod scheduler;
mod shutdown;
mod worker;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use self::metrics::{DURATION_BUCKETS, Metrics};
pub use self::shutdown::Shutdown;
use crate::collect::Collector;
use crate::config::Config;
use crate::forge::client::ClientOptions;
use crate::queue;

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
    /// A group's `dm_repo_group_*` aggregates are recomputed at most this often.
    pub group_aggregates_every: Duration,
}

/// What the monitor needs to see of a running daemon.
pub struct Shared {
    pub pool: PgPool,
    pub collector: Arc<Collector>,
    pub metrics: Metrics,
    pub paused: AtomicBool,
    pub workers: usize,
}

async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

/// A daemon that is connected and has drained staging, not yet serving.
pub struct Daemon {
    shared: Arc<Shared>,
    opts: ServeOptions,
    me: String,
    stop_tx: watch::Sender<bool>,
    stop_rx: watch::Receiver<bool>,
}

impl Daemon {
    /// Connect, load the key pools, process what an earlier run left staged (the schema must
    /// already be migrated).
    pub async fn start(cfg: Config, opts: ServeOptions) -> Result<Daemon> {
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
            let etags = ClientOptions::long_lived(cfg.collection.etag_cache_mib);
            let c = Collector::new(&mut conn, cfg, opts.augur_keys, etags);
            Arc::new(c.await?)
        };
        let shared = Arc::new(Shared {
            pool: pool.clone(),
            collector,
            metrics: Metrics::default(),
            paused: AtomicBool::new(false),
            workers: opts.workers,
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        drain_staging(&pool, shared.collector.budget()).await?;
        Ok(Daemon {
            shared,
            opts,
            me: crate::job::process_id(),
            stop_tx,
            stop_rx,
        })
    }

    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Becomes `true` when the daemon starts shutting down.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop_rx.clone()
    }

    /// Serve until SIGTERM/SIGINT, then shut down gracefully.
    pub async fn run(self, mut shutdown: Shutdown) -> Result<()> {
        let Daemon {
            shared,
            opts,
            me,
            stop_tx,
            stop_rx,
        } = self;
        let mut workers = JoinSet::new();
        for n in 0..opts.workers {
            let id = format!("{me}:w{n}");
            workers.spawn(worker::worker(
                shared.clone(),
                id,
                opts.clone(),
                stop_rx.clone(),
            ));
        }
        let scheduler = tokio::spawn(scheduler::scheduler(shared.clone(), opts.clone(), stop_rx));
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
        tracing::debug!("workers stopped; returning unfinished jobs");
        // Bounded: a process that cannot reach its database still exits (another process's
        // scheduler recovers its claims as stale).
        let release = async {
            let mut conn = shared.pool.acquire().await?;
            queue::release_all(&mut conn, &format!("{me}:")).await
        };
        match tokio::time::timeout(Duration::from_secs(10), release).await {
            Ok(Ok(released)) if released > 0 => {
                tracing::info!(released, "returned unfinished jobs to the queue")
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "could not return unfinished jobs; they are recovered as stale")
            }
            Err(_) => {
                tracing::warn!("returning unfinished jobs timed out; they are recovered as stale")
            }
        }
        Ok(())
    }
}

/// Process pages a previous process staged but never processed (repositories nobody holds).
async fn drain_staging(pool: &PgPool, budget: crate::collect::Budget) -> Result<()> {
    let mut conn = pool.acquire().await?;
    for r in crate::collect::unclaimed_staged_repos(&mut conn).await? {
        match crate::collect::process_staged(&mut conn, r, queue::Fence::Unclaimed, budget).await {
            Ok(_) => tracing::info!(repo_id = r, "processed pages left staged by an earlier run"),
            Err(e) => {
                tracing::error!(repo_id = r, error = %format!("{e:#}"), "could not process leftover staged pages")
            }
        }
    }
    Ok(())
}
