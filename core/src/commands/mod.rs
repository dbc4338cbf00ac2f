//! One file per subcommand; [`run`] dispatches. Nothing in the crate imports this module: it
//! is the top layer, called only by `main.rs` (and by tests that run a command in-process).
//!
//! Architecture invariant: only `migrate` and `serve` change the schema. Every other command
//! that touches the database first checks the stamped schema version ([`open_checked`]) and,
//! if it does not match this binary, stops with a message telling the operator what to run.

mod add_key;
mod add_repo;
mod collect;
mod migrate;
mod prioritize;
mod refresh_views;
mod serve;
mod start_stop;
mod version;

use anyhow::{Context, Result};
use aveloxis_migrations::Plan;
use sqlx::PgConnection;

use crate::cli::{Cli, Command};
use crate::config::{self, Config};

pub async fn run(cli: Cli) -> Result<()> {
    let plan = match &cli.migrations_dir {
        Some(dir) => Plan::from_dir(dir)?,
        None => Plan::embedded(),
    };
    let load = || Config::load(&cli.config);
    match cli.command {
        Command::Version => version::run(&plan),
        Command::Migrate(args) => migrate::run(&load()?, &plan, &args).await,
        Command::Serve(args) => serve::run(&load()?, &plan, &args).await,
        Command::Start { what, serve } => start_stop::start(&cli.config, &what, &serve),
        Command::Stop { what } => start_stop::stop(&what).await,
        Command::Collect(args) => {
            let cfg = load()?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-collect").await?;
            collect::run(&mut conn, &cfg, &args).await
        }
        Command::AddRepo(args) => {
            let cfg = load()?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-add-repo").await?;
            add_repo::run(&mut conn, &cfg, &args).await
        }
        Command::AddKey(args) => {
            let cfg = load()?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-add-key").await?;
            add_key::run(&mut conn, &args).await
        }
        Command::Prioritize { target } => {
            let cfg = load()?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-prioritize").await?;
            prioritize::prioritize(&mut conn, &cfg, &target).await
        }
        Command::Recollect { urls } => {
            let cfg = load()?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-recollect").await?;
            prioritize::recollect(&mut conn, &cfg, &urls).await
        }
        Command::RefreshViews => {
            let cfg = load()?;
            let mut conn = open_checked(&cfg, &plan, "aveloxis-refresh-views").await?;
            refresh_views::run(&mut conn).await
        }
    }
}

/// Connect and verify the schema version (for every command except migrate/serve).
async fn open_checked(cfg: &Config, plan: &Plan, app: &str) -> Result<PgConnection> {
    let mut conn = config::connect(&cfg.database, app).await?;
    aveloxis_migrations::check_schema_version(&mut conn, plan)
        .await
        .with_context(|| format!("database {}", cfg.database.display()))?;
    Ok(conn)
}
