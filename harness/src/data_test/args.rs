//! The first stage: every option of a full run checked before anything is resolved, built or
//! started, and turned into the [`Run`] the later stages read.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cli::{BuildArgs, DataTestArgs, ForgeArgs, ProvisionerKind};

pub const NO_TESTCONTAINERS: &str = "--provisioner testcontainers: this harness was built without \
     the testcontainers feature (rebuild with `cargo build -p aveloxis-harness --features testcontainers`)";

/// Where the scratch databases will live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Where {
    Ephemeral,
    /// An operator's server, by its URL (may hold a password: never shown unredacted).
    Server(String),
    Container,
}

impl Where {
    /// `--server-url` implies `--provisioner server`; `--provisioner server` needs a URL.
    pub fn from_options(kind: ProvisionerKind, server_url: Option<&str>) -> Result<Where> {
        match (kind, server_url) {
            (ProvisionerKind::Testcontainers, _) => Ok(Where::Container),
            (_, Some(url)) => Ok(Where::Server(url.to_string())),
            (ProvisionerKind::Server, None) => {
                bail!("--provisioner server needs --server-url (or $HARNESS_SERVER_URL)")
            }
            (ProvisionerKind::Ephemeral, None) => Ok(Where::Ephemeral),
        }
    }
}

/// A full run's options, validated.
#[derive(Clone, Debug)]
pub struct Run {
    pub tag: String,
    pub repos: Vec<String>,
    /// The work directory (created, absolute).
    pub work: PathBuf,
    /// The repository: the released revision and the working tree.
    pub repo: PathBuf,
    /// The shared cargo target directory (absolute).
    pub target: PathBuf,
    pub scratch: Where,
    pub keep_dbs: bool,
    pub matviews: bool,
    /// The upgraded side and the rollback check run (not `--no-upgraded`).
    pub upgraded: bool,
    pub build: BuildArgs,
    pub forge: ForgeArgs,
}

/// The work directory of a run: `--work-dir`, else `.aveloxis-work/data-test`.
pub fn work_dir(args: &DataTestArgs) -> PathBuf {
    args.work_dir
        .clone()
        .unwrap_or_else(|| crate::default_work_dir().join("data-test"))
}

/// Check the options of a full run and create its work directory.
pub fn validate(args: &DataTestArgs, work: &Path) -> Result<Run> {
    let tag = args
        .revision
        .released_tag
        .clone()
        .context("--released-tag is required")?;
    if args.repos.is_empty() {
        bail!("at least one --repo is required");
    }
    let provision = &args.provision;
    if provision.provisioner == ProvisionerKind::Testcontainers && !cfg!(feature = "testcontainers")
    {
        bail!("{NO_TESTCONTAINERS}");
    }
    let scratch = Where::from_options(
        provision.provisioner,
        provision.server.server_url.as_deref(),
    )?;
    std::fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
    let work = std::fs::canonicalize(work)?;
    let repo = crate::git::repo_root(args.revision.repo_dir.as_deref())?;
    let target = match (&args.build.target_dir, std::env::var_os("CARGO_TARGET_DIR")) {
        (Some(t), _) => t.clone(),
        (None, Some(t)) if !t.is_empty() => PathBuf::from(t),
        _ => repo.join("target"),
    };
    Ok(Run {
        tag,
        repos: args.repos.clone(),
        work,
        repo,
        target: std::path::absolute(target)?,
        scratch,
        keep_dbs: provision.keep_dbs,
        matviews: args.matviews,
        upgraded: !args.no_upgraded,
        build: args.build.clone(),
        forge: args.forge.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_url_implies_the_server_provisioner() {
        let k = ProvisionerKind::Ephemeral;
        assert_eq!(Where::from_options(k, None).unwrap(), Where::Ephemeral);
        assert_eq!(
            Where::from_options(k, Some("postgres://h")).unwrap(),
            Where::Server("postgres://h".into())
        );
        assert!(Where::from_options(ProvisionerKind::Server, None).is_err());
        assert_eq!(
            Where::from_options(ProvisionerKind::Testcontainers, Some("postgres://h")).unwrap(),
            Where::Container
        );
    }
}
