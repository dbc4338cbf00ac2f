//! A collection worker: claim, collect with a heartbeat beside it, finish; until stopped.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::metrics::classify;
use super::{ServeOptions, Shared, sleep_or_stop};
use crate::collect::Outcome;
use crate::queue::{self, Finish};

pub(super) async fn worker(
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
