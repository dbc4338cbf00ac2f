//! Every clap type of the `aveloxis` command line, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "aveloxis",
    version,
    about = "Collect GitHub and GitLab data into PostgreSQL"
)]
pub struct Cli {
    /// Configuration file (upstream layout; `AVELOXIS_<SECTION>_<KEY>` variables override it).
    #[arg(
        short,
        long,
        global = true,
        default_value = "aveloxis.json",
        env = "AVELOXIS_CONFIG"
    )]
    pub config: PathBuf,

    /// Load the schema from this directory (schema.sql, views.sql, steps/) instead of the one
    /// built into the binary. For developing migrations.
    #[arg(long, global = true, hide = true, env = "AVELOXIS_MIGRATIONS_DIR")]
    pub migrations_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring the database schema up to this binary's version (fail-closed; safe to re-run).
    Migrate(MigrateArgs),
    /// Migrate, then run the collection daemon; refuses to start if migration failed.
    Serve,
    /// Refresh every materialized view (CONCURRENTLY where a unique index allows).
    RefreshViews,
    /// Print the tool version and the schema version it expects.
    Version,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Do not build the materialized and compatibility views.
    #[arg(long)]
    pub skip_views: bool,
    /// Fail at once if another migrate holds the migration lock, instead of waiting.
    #[arg(long)]
    pub no_wait: bool,
    /// Print the pending steps and their SQL; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop after this step version (builds a database as of an older release).
    #[arg(long, hide = true)]
    pub target: Option<u32>,
}
