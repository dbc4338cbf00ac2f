//! Every clap type of the `harness` binary. Options several commands share are groups of their
//! own ([`RevisionArgs`], [`ServerArgs`]), flattened into each command.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde::{Deserialize, Serialize};

#[derive(Debug, Parser)]
#[command(name = "harness", version, about = "Aveloxis release gate")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fresh install vs upgraded install (catalog equality), schema conventions, step lint.
    SchemaCheck(SchemaCheckArgs),
    /// Collect the same repositories with the released and the working-tree collector into two
    /// scratch databases and compare every table (counts, fill, content).
    DataTest(DataTestArgs),
    /// Row-level comparison of two databases keyed by platform-stable keys: rows missing on
    /// new, rows whose content changed (which columns), rows only on new.
    ShadowDiff(ShadowDiffArgs),
}

/// Which released revision, in which repository.
#[derive(Clone, Debug, clap::Args)]
pub struct RevisionArgs {
    /// The released revision (tag, branch or commit) to compare against.
    #[arg(long)]
    pub released_tag: Option<String>,
    /// The repository holding the released revision and the working tree (default: the git
    /// work tree containing the current directory).
    #[arg(long)]
    pub repo_dir: Option<PathBuf>,
}

/// An operator's server instead of a private ephemeral cluster.
#[derive(Clone, Debug, clap::Args)]
pub struct ServerArgs {
    /// `postgres://user[:pw]@host:port` of a server to use instead of a private ephemeral
    /// cluster (CREATEDB needed; for data-test it implies `--provisioner server`).
    #[arg(long)]
    pub server_url: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(mut_arg("server_url", |a| a.env("HARNESS_SERVER_URL").hide_env_values(true)))]
pub struct SchemaCheckArgs {
    #[command(flatten)]
    pub revision: RevisionArgs,
    /// The working tree's migrations directory (default: `<git top>/migrations`).
    #[arg(long)]
    pub migrations_dir: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
    /// Also write the markdown report here.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProvisionerKind {
    /// A private PostgreSQL cluster that lives as long as the run.
    Ephemeral,
    /// An operator's server (`--server-url`; the account needs CREATEDB).
    Server,
    /// A `postgres:15-alpine` container started with testcontainers (needs a Docker engine and
    /// a harness built with `--features testcontainers`); it ends with the run.
    Testcontainers,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ForgeKind {
    /// The in-process mock forge with a generated world.
    Mock,
    /// The real forge of the operator's setup (`--operator-config`): its GitHub/GitLab URLs
    /// and the keys of its database's `aveloxis_ops.worker_oauth`; the sides run one after the
    /// other.
    Live,
}

/// Where data-test's scratch databases come from.
#[derive(Clone, Debug, clap::Args)]
pub struct ProvisionArgs {
    /// Where scratch databases come from.
    #[arg(long, value_enum, default_value = "ephemeral")]
    pub provisioner: ProvisionerKind,
    #[command(flatten)]
    pub server: ServerArgs,
    /// Keep the scratch databases (names in `<work-dir>/state.json`).
    #[arg(long)]
    pub keep_dbs: bool,
}

/// How data-test gets its two collectors.
#[derive(Clone, Debug, clap::Args)]
pub struct BuildArgs {
    /// Use this binary as the released side instead of building the revision.
    #[arg(long)]
    pub released_bin: Option<PathBuf>,
    /// Use this binary as the new side instead of building the working tree.
    #[arg(long)]
    pub new_bin: Option<PathBuf>,
    /// Run `git fetch --tags` before resolving the revision.
    #[arg(long)]
    pub fetch_tags: bool,
    /// Cargo profile the builds inherit (`dev` is fastest to build); they land in
    /// `<target-dir>/harness/`, never in the operator's own profile directories.
    #[arg(long, default_value = "dev")]
    pub profile: String,
    /// Shared cargo target directory (default `$CARGO_TARGET_DIR`, else `<repo>/target`).
    #[arg(long)]
    pub target_dir: Option<PathBuf>,
}

/// What data-test's sides collect from.
#[derive(Clone, Debug, clap::Args)]
pub struct ForgeArgs {
    /// The forge both sides collect from.
    #[arg(long, value_enum, default_value = "mock")]
    pub forge: ForgeKind,
    /// The operator's aveloxis config for `--forge live`: forge URLs from its `github`/`gitlab`
    /// sections, keys from `aveloxis_ops.worker_oauth` of its `database` (only read). Default
    /// `$AVELOXIS_CONFIG`, else `./aveloxis.json`.
    #[arg(long, value_name = "PATH")]
    pub operator_config: Option<PathBuf>,
    /// The mock world's preset (tiny, augur, large).
    #[arg(long)]
    pub preset: Option<String>,
    /// The mock world's seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The day of the world's timeline the sides collect (the upgraded side collects day 0
    /// first, then this day incrementally). The report states the day actually served.
    /// Default 1: the upgraded side judges what the in-place migration did to rows already
    /// collected and incremental collection against a forge that moved a day (new, edited,
    /// reopened, relabelled and deleted items, a force-push); 0 judges the migration alone.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub days: usize,
}

#[derive(Debug, clap::Args)]
#[command(
    mut_arg("released_tag", |a| a.required_unless_present("diff_only")),
    mut_arg("server_url", |a| a.env("HARNESS_SERVER_URL").hide_env_values(true))
)]
pub struct DataTestArgs {
    #[command(flatten)]
    pub revision: RevisionArgs,
    /// A repository to collect (repeatable).
    #[arg(
        long = "repo",
        value_name = "URL",
        required_unless_present = "diff_only"
    )]
    pub repos: Vec<String>,
    /// Where reports, logs, configs, binaries and state.json go.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Only diff and report the databases recorded in `<work-dir>/state.json`.
    #[arg(long)]
    pub diff_only: bool,
    #[command(flatten)]
    pub provision: ProvisionArgs,
    #[command(flatten)]
    pub build: BuildArgs,
    #[command(flatten)]
    pub forge: ForgeArgs,
    /// Accepted for compatibility: the Augur views and the materialized views are now built,
    /// refreshed and compared on every run.
    #[arg(long)]
    pub matviews: bool,
    /// Leave out the upgraded side (released binary on day 0, then the new binary migrating
    /// that database in place and collecting incrementally) and the rollback check.
    #[arg(long)]
    pub no_upgraded: bool,
}

#[derive(Debug, clap::Args)]
pub struct ShadowDiffArgs {
    /// The database collected by the released version (libpq-style URL). Prefer the
    /// environment variable when the URL holds a password: a command line is visible to every
    /// local user.
    #[arg(
        long,
        value_name = "DSN",
        env = "HARNESS_RELEASED_DSN",
        hide_env_values = true
    )]
    pub released_dsn: String,
    /// The database collected by the new version (or `$HARNESS_NEW_DSN`).
    #[arg(
        long,
        value_name = "DSN",
        env = "HARNESS_NEW_DSN",
        hide_env_values = true
    )]
    pub new_dsn: String,
    /// Only this repository, by its id in the released database (matched on new by repo_git).
    #[arg(long, value_name = "N", conflicts_with = "repo")]
    pub repo_id: Option<i64>,
    /// Only this repository, by its URL (`repos.repo_git`).
    #[arg(long, value_name = "URL")]
    pub repo: Option<String>,
    /// Print the report as JSON instead of markdown.
    #[arg(long)]
    pub json: bool,
    /// Example rows shown per category.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub examples: usize,
    /// Only these tables of aveloxis_data (repeatable; default: all).
    #[arg(long = "table", value_name = "NAME")]
    pub tables: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_can_come_from_the_environment_and_help_never_shows_them() {
        use clap::CommandFactory;
        // Passwords need not be on the command line: each URL flag has an environment form.
        let cmd = Cli::command();
        for (sub, flag, var) in [
            ("shadow-diff", "released_dsn", "HARNESS_RELEASED_DSN"),
            ("shadow-diff", "new_dsn", "HARNESS_NEW_DSN"),
            ("schema-check", "server_url", "HARNESS_SERVER_URL"),
            ("data-test", "server_url", "HARNESS_SERVER_URL"),
        ] {
            let sc = cmd.find_subcommand(sub).unwrap();
            let arg = sc
                .get_arguments()
                .find(|a| a.get_id() == flag)
                .unwrap_or_else(|| panic!("{sub} has no {flag}"));
            assert_eq!(
                arg.get_env().and_then(|e| e.to_str()),
                Some(var),
                "{sub} {flag}"
            );
            assert!(
                arg.is_hide_env_values_set(),
                "{sub} {flag} shows its value in --help"
            );
        }
    }

    #[test]
    fn shared_groups_keep_each_commands_flags() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let dt = Cli::try_parse_from(["harness", "data-test", "--repo", "u"]);
        assert!(
            dt.is_err(),
            "--released-tag is required without --diff-only"
        );
        assert!(Cli::try_parse_from(["harness", "data-test", "--diff-only"]).is_ok());
        assert!(Cli::try_parse_from(["harness", "schema-check"]).is_ok());
        let Ok(Cli {
            command: Command::DataTest(a),
        }) = Cli::try_parse_from([
            "harness",
            "data-test",
            "--released-tag",
            "v1",
            "--repo",
            "u",
            "--server-url",
            "postgres://h",
            "--keep-dbs",
        ])
        else {
            panic!("data-test did not parse");
        };
        assert_eq!(
            a.provision.server.server_url.as_deref(),
            Some("postgres://h")
        );
        assert_eq!(
            (a.provision.provisioner, a.forge.forge, a.forge.seed),
            (ProvisionerKind::Ephemeral, ForgeKind::Mock, 1)
        );
        assert_eq!(a.build.profile, "dev");
    }
}
