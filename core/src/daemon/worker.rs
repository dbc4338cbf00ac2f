//! A collection worker: claim, collect with a heartbeat beside it (cancelled when the claim is
//! lost), finish; until stopped.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::metrics::classify;
use super::{ServeOptions, Shared, sleep_or_stop};
use crate::collect::Outcome;
use crate::job::{JobEnd, run_claimed};
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
    let end = match (shared.pool.acquire().await, shared.pool.acquire().await) {
        (Ok(hb), Ok(mut conn)) => {
            let work = shared
                .collector
                .collect(&mut conn, job.repo_id, job.force_full, id);
            run_claimed(hb, job.repo_id, id, opts.heartbeat, work).await
        }
        (Err(e), _) | (_, Err(e)) => JobEnd::Done(Err(e.into())),
    };
    let lost = match &end {
        JobEnd::ClaimLost => true,
        JobEnd::Done(Err(e)) => e.downcast_ref::<queue::ClaimLost>().is_some(),
        JobEnd::Done(Ok(_)) => false,
    };
    let result = match end {
        JobEnd::Done(r) if !lost => r,
        _ => {
            shared.metrics.jobs_lost.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut c) = shared.pool.acquire().await
                && let Err(e) = queue::record_lost(&mut c, job.repo_id, id).await
            {
                tracing::error!(worker = %id, repo_id = job.repo_id, error = %e, "could not record the lost claim");
            }
            shared.metrics.busy_workers.fetch_sub(1, Ordering::Relaxed);
            return;
        }
    };
    let elapsed = started.elapsed();
    shared.metrics.observe(elapsed.as_secs_f64());
    let recollect =
        Duration::from_secs(shared.collector.cfg.collection.days_until_recollect as u64 * 86_400);
    let (how, err_text);
    match &result {
        Ok(Outcome::Collected(c)) => {
            shared.metrics.jobs_ok.fetch_add(1, Ordering::Relaxed);
            shared.metrics.enriched(&c.enriched);
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
        Ok(mut c) => match queue::finish(&mut c, job.repo_id, id, how, elapsed).await {
            Ok(true) => {}
            Ok(false) => {
                shared.metrics.jobs_lost.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(worker = %id, repo_id = job.repo_id, "the claim was gone when the job ended; recorded as lost");
            }
            Err(e) => {
                tracing::error!(worker = %id, repo_id = job.repo_id, error = %e, "could not record the job's end")
            }
        },
        Err(e) => tracing::error!(error = %e, "no connection to record the job's end"),
    }
    shared.metrics.busy_workers.fetch_sub(1, Ordering::Relaxed);
}
