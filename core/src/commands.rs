//! One function per subcommand; `run` dispatches.
//!
//! Architecture invariant: only `migrate` and `serve` change the schema. Every other command
//! that touches the database first checks the stamped schema version and, if it does not match
//! this binary, stops with a message telling the operator what to run.

use anyhow::{Context, Result};
use aveloxis_migrations::{MigrateError, Options, Plan};
use sqlx::PgConnection;

use crate::TOOL_VERSION;
use crate::cli::{Cli, Command, MigrateArgs};
use crate::config::{self, Config};

pub async fn run(cli: Cli) -> Result<()> {
    let plan = match &cli.migrations_dir {
        Some(dir) => Plan::from_dir(dir)?,
        None => Plan::embedded(),
    };
    match cli.command {
        Command::Version => {
            println!(
                "aveloxis {TOOL_VERSION} (schema version {})",
                plan.schema_version()
            );
            Ok(())
        }
        Command::Migrate(args) => {
            let cfg = Config::load(&cli.config)?;
            migrate(&cfg, &plan, &args).await
        }
        Command::Serve(args) => {
            let cfg = Config::load(&cli.config)?;
            serve(&cfg, &plan, &args).await
        }
        Command::Start { what, serve } => crate::service::start(&cli.config, &what, &serve),
        Command::Stop { what } => crate::service::stop(&what).await,
        Command::Collect(args) => {
            let cfg = Config::load(&cli.config)?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-collect").await?;
            crate::repo_commands::collect(&mut conn, &cfg, &args).await
        }
        Command::AddRepo(args) => {
            let cfg = Config::load(&cli.config)?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-add-repo").await?;
            crate::repo_commands::add_repo(&mut conn, &cfg, &args).await
        }
        Command::AddKey(args) => {
            let cfg = Config::load(&cli.config)?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-add-key").await?;
            crate::repo_commands::add_key(&mut conn, &args).await
        }
        Command::Prioritize { target } => {
            let cfg = Config::load(&cli.config)?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-prioritize").await?;
            crate::repo_commands::prioritize(&mut conn, &cfg, &target).await
        }
        Command::Recollect { urls } => {
            let cfg = Config::load(&cli.config)?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-recollect").await?;
            crate::repo_commands::recollect(&mut conn, &cfg, &urls).await
        }
        Command::RefreshViews => {
            let cfg = Config::load(&cli.config)?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-refresh-views").await?;
            refresh_views(&mut conn).await
        }
    }
}

fn options(cfg: &Config, args: &MigrateArgs) -> Options {
    Options {
        skip_views: args.skip_views,
        no_wait: args.no_wait,
        dry_run: args.dry_run,
        lock_timeout: cfg.lock_timeout(),
        target: args.target,
        tool_version: TOOL_VERSION.to_owned(),
        ..Options::default()
    }
}

async fn migrate(cfg: &Config, plan: &Plan, args: &MigrateArgs) -> Result<()> {
    let mut conn = config::connect(&cfg.database, "aveloxis-migrate").await?;
    let opts = options(cfg, args);
    let outcome = aveloxis_migrations::run(&mut conn, plan, &opts)
        .await
        .map_err(describe_failure)?;
    if args.dry_run {
        print!("{}", outcome.plan_text);
        println!("dry run: nothing was changed");
    } else {
        store_settings(&mut conn, cfg).await?;
        for label in &outcome.applied {
            println!("applied {label}");
        }
        println!("migrate complete: {outcome}");
    }
    Ok(())
}

fn describe_failure(e: MigrateError) -> anyhow::Error {
    match e {
        MigrateError::Failed(_) => anyhow::anyhow!(
            "{e}\nnothing above was marked applied; fix the cause and run `aveloxis migrate` again"
        ),
        other => anyhow::Error::new(other),
    }
}

async fn serve(cfg: &Config, plan: &Plan, args: &crate::cli::ServeArgs) -> Result<()> {
    let shutdown = Shutdown::register()?;
    let mut conn = config::connect(&cfg.database, "aveloxis-serve").await?;
    let opts = Options {
        lock_timeout: cfg.lock_timeout(),
        tool_version: TOOL_VERSION.to_owned(),
        ..Options::default()
    };
    let outcome = aveloxis_migrations::run(&mut conn, plan, &opts)
        .await
        .map_err(|e| anyhow::anyhow!("refusing to start: {e}"))?;
    store_settings(&mut conn, cfg).await?;
    drop(conn);
    tracing::info!(%outcome, "schema ready");
    let ms = std::time::Duration::from_millis;
    let monitor = args
        .monitor
        .clone()
        .unwrap_or_else(|| cfg.monitor.addr.clone());
    crate::daemon::run(
        cfg.clone(),
        crate::daemon::ServeOptions {
            workers: args.workers.unwrap_or(cfg.collection.workers as usize),
            monitor: (monitor != "off").then_some(monitor),
            augur_keys: args.augur_keys,
            poll: ms(args.poll_ms),
            heartbeat: ms(args.heartbeat_ms),
            stale_after: ms(args.stale_after_ms),
            shutdown_grace: ms(args.shutdown_grace_ms),
            scheduler_every: ms(args.scheduler_ms),
            retry_after: ms(args.retry_after_ms),
        },
        shutdown,
    )
    .await
}

/// Record the operator settings the database-side scheduler reads (`aveloxis_ops.config`).
async fn store_settings(conn: &mut PgConnection, cfg: &Config) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.config (section_name, setting_name, value, type)
         VALUES ('collection', 'matview_rebuild_day', $1, 'str')
         ON CONFLICT (section_name, setting_name) DO UPDATE
         SET value = EXCLUDED.value, updated_at = now()
         WHERE config.value IS DISTINCT FROM EXCLUDED.value",
    )
    .bind(cfg.collection.matview_rebuild_day.as_str())
    .execute(&mut *conn)
    .await
    .context("storing collection.matview_rebuild_day in aveloxis_ops.config")?;
    Ok(())
}

/// SIGTERM/SIGINT, registered when created: a signal that arrives before anyone waits is not
/// lost (and does not kill the process with the default action).
pub struct Shutdown {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Shutdown {
    pub fn register() -> Result<Shutdown> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Shutdown {
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    /// Resolves on the first SIGTERM or SIGINT.
    pub async fn wait(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

/// Connect and verify the schema version (for every command except migrate/serve).
pub async fn open_checked(cfg: &Config, plan: &Plan, app: &str) -> Result<PgConnection> {
    let mut conn = config::connect(&cfg.database, app).await?;
    aveloxis_migrations::check_schema_version(&mut conn, plan)
        .await
        .with_context(|| format!("database {}", cfg.database.display()))?;
    Ok(conn)
}

/// Refresh all materialized views we own; CONCURRENTLY when the view is populated and has a
/// unique index (so readers are never blocked), plainly otherwise.
pub async fn refresh_views(conn: &mut PgConnection) -> Result<()> {
    aveloxis_migrations::views::refresh_materialized(conn, |line| println!("{line}")).await
}
