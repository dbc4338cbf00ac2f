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
    Serve(ServeArgs),
    /// Start `serve` detached (pidfile and log under $AVELOXIS_HOME, default ~/.aveloxis).
    Start {
        /// What to start (only `serve` exists; `all` is the same).
        #[arg(default_value = "serve")]
        what: String,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Stop a detached `serve` (SIGTERM, then wait); stale pidfiles are removed.
    Stop {
        #[arg(default_value = "all")]
        what: String,
    },
    /// Refresh every materialized view (CONCURRENTLY where a unique index allows).
    RefreshViews,
    /// Print the tool version and the schema version it expects.
    Version,
    /// Collect repositories now, outside the queue (adds them if needed).
    Collect(CollectArgs),
    /// Add repositories (or every repository of an org/group URL) to the collection queue.
    AddRepo(AddRepoArgs),
    /// Add a forge API key (the token is read from stdin when not given).
    AddKey(AddKeyArgs),
    /// Move a repository (URL or repo id) to the head of the queue.
    Prioritize {
        /// Repository URL or numeric repo id.
        target: String,
    },
    /// Make the next collection of these repositories a full one.
    Recollect {
        #[arg(required = true)]
        urls: Vec<String>,
    },
}

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Concurrent collection workers (default: collection.workers; 0 runs only the monitor and
    /// the scheduler).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Monitor (dashboard, API, metrics) address (default: monitor.addr); `off` disables it.
    #[arg(long)]
    pub monitor: Option<String>,
    /// Also use the API keys of the Augur database (read-only).
    #[arg(long)]
    pub augur_keys: bool,
    /// Idle pause between claim attempts, in milliseconds.
    #[arg(long, default_value_t = 5000, hide = true)]
    pub poll_ms: u64,
    #[arg(long, default_value_t = 30_000, hide = true)]
    pub heartbeat_ms: u64,
    /// A claim without heartbeat for this long is recovered.
    #[arg(long, default_value_t = 600_000, hide = true)]
    pub stale_after_ms: u64,
    /// How long running jobs may finish after SIGTERM before they are aborted and released.
    #[arg(long, default_value_t = 60_000)]
    pub shutdown_grace_ms: u64,
    #[arg(long, default_value_t = 60_000, hide = true)]
    pub scheduler_ms: u64,
    #[arg(long, default_value_t = 3_600_000, hide = true)]
    pub retry_after_ms: u64,
    /// Recompute a group's commit aggregates at most this often while its repositories are
    /// collected, in milliseconds.
    #[arg(long, default_value_t = 3_600_000, hide = true)]
    pub group_aggregates_ms: u64,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    #[arg(required = true)]
    pub urls: Vec<String>,
    /// Collect everything, not just what changed since the last collection.
    #[arg(long)]
    pub full: bool,
    /// Also use the API keys of the Augur database (read-only).
    #[arg(long)]
    pub augur_keys: bool,
}

#[derive(Debug, Args)]
pub struct AddRepoArgs {
    /// Repository or organisation/group URLs.
    pub urls: Vec<String>,
    /// Queue priority (lower is sooner; 0 is next).
    #[arg(long, default_value_t = 100)]
    pub priority: i32,
    /// Put every repository this command adds in this repository group (created when new;
    /// known repositories move to it). Without it: an owner's repositories go to the owner's
    /// group, Augur's to their Augur group, and a repository added alone to
    /// `collection.default_repo_group`.
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Import every repository of the Augur database in this database (checked with HEAD).
    #[arg(long)]
    pub from_augur: bool,
    /// Also use the API keys of the Augur database (read-only).
    #[arg(long)]
    pub augur_keys: bool,
}

#[derive(Debug, Args)]
pub struct AddKeyArgs {
    /// The token; omit it (or pass `-`) to read it from stdin, keeping it out of `ps`.
    pub token: Option<String>,
    #[arg(long, default_value = "github")]
    pub platform: String,
    #[arg(long, default_value = "")]
    pub name: String,
    /// Copy every key of Augur's `augur_operations.worker_oauth` (duplicates skipped).
    #[arg(long)]
    pub from_augur: bool,
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
