//! The scheduler's periodic duties: recover claims of dead workers, purge processed staging,
//! recompute stale group aggregates, re-check sidelined repositories, the weekly
//! materialized-view rebuild.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Result;
use chrono::Datelike;
use tokio::sync::watch;

use super::{ServeOptions, Shared, sleep_or_stop};
use crate::config::RebuildDay;
use crate::forge::locate::{Location, locate};
use crate::forge::{Target, parse_target};
use crate::{queue, repos};

pub(super) async fn scheduler(
    shared: Arc<Shared>,
    opts: ServeOptions,
    mut stop: watch::Receiver<bool>,
) {
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
    crate::collect::purge_processed_staging(&mut conn).await?;
    crate::collect::purge_stale_cursors(&mut conn).await?;
    let groups =
        crate::aggregates::refresh_stale_groups(&mut conn, opts.group_aggregates_every).await?;
    if !groups.is_empty() {
        tracing::info!(groups = ?groups, "group aggregates recomputed");
    }
    recheck_gone(shared, &mut conn).await?;
    weekly_rebuild(shared, &mut conn).await?;
    Ok(())
}

/// Sidelined repositories are looked at again weekly (through the API, with a key); one that
/// answers again, under its name or another, is re-queued (its next run's prelim check records a
/// rename or a duplicate).
async fn recheck_gone(shared: &Arc<Shared>, conn: &mut sqlx::PgConnection) -> Result<()> {
    let due = repos::gone_due_for_check(&mut *conn).await?;
    let cfg = &shared.collector.cfg;
    for (id, url, platform) in due {
        let Some(p) = crate::forge::Platform::from_id(platform) else {
            continue;
        };
        let Ok(Target::Repo(repo)) = parse_target(&url, cfg) else {
            continue;
        };
        let found = locate(shared.collector.client(p)?, cfg, &repo).await;
        repos::mark_gone_checked(&mut *conn, id).await?;
        if let Ok(Location::Here | Location::Moved(_)) = found {
            repos::clear_gone(&mut *conn, id).await?;
            queue::enqueue(conn, id, queue::DEFAULT_PRIORITY).await?;
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
    let r = aveloxis_migrations::views::refresh_materialized(conn, |line| println!("{line}")).await;
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
