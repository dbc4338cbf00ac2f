//! `aveloxis serve`: migrate, then run the daemon with the monitor beside it until
//! SIGTERM/SIGINT.

use anyhow::Result;
use aveloxis_migrations::{Options, Plan};

use crate::TOOL_VERSION;
use crate::cli::ServeArgs;
use crate::config::{self, Config};
use crate::daemon::{Daemon, ServeOptions, Shutdown};

fn serve_options(cfg: &Config, args: &ServeArgs) -> ServeOptions {
    let ms = std::time::Duration::from_millis;
    let monitor = args
        .monitor
        .clone()
        .unwrap_or_else(|| cfg.monitor.addr.clone());
    ServeOptions {
        workers: args.workers.unwrap_or(cfg.collection.workers as usize),
        monitor: (monitor != "off").then_some(monitor),
        augur_keys: args.augur_keys,
        poll: ms(args.poll_ms),
        heartbeat: ms(args.heartbeat_ms),
        stale_after: ms(args.stale_after_ms),
        shutdown_grace: ms(args.shutdown_grace_ms),
        scheduler_every: ms(args.scheduler_ms),
        retry_after: ms(args.retry_after_ms),
        group_aggregates_every: ms(args.group_aggregates_ms),
    }
}

pub(super) async fn run(cfg: &Config, plan: &Plan, args: &ServeArgs) -> Result<()> {
    let shutdown = Shutdown::register()?;
    let mut conn = config::connect(&cfg.database, "aveloxis-serve").await?;
    let opts = Options {
        lock_timeout: cfg.lock_timeout(),
        tool_version: TOOL_VERSION.to_owned(),
        settings: super::migrate::step_settings(cfg),
        collectoss_schema: cfg.database.collectoss_schema,
        ..Options::default()
    };
    let outcome = aveloxis_migrations::run(&mut conn, plan, &opts)
        .await
        .map_err(|e| anyhow::anyhow!("refusing to start: {e}"))?;
    super::migrate::store_settings(&mut conn, cfg).await?;
    drop(conn);
    tracing::info!(%outcome, "schema ready");
    let opts = serve_options(cfg, args);
    let daemon = Daemon::start(cfg.clone(), opts.clone()).await?;
    let monitor = match &opts.monitor {
        Some(addr) => Some(
            crate::monitor::spawn(addr, &cfg.monitor.hosts, daemon.shared(), daemon.stopping())
                .await?,
        ),
        None => None,
    };
    daemon.run(shutdown).await?;
    if let Some(m) = monitor {
        let _ = m.await;
    }
    tracing::info!("shutting down");
    Ok(())
}
