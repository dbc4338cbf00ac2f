//! The provision stage: the host of the scratch databases (ephemeral cluster, operator's
//! server or container), the two marked scratch databases, and `state.json` recording them for
//! `--diff-only`.

use std::path::Path;

use anyhow::{Context, Result, bail};
#[cfg(feature = "testcontainers")]
use aveloxis_pg::Server;
use serde::{Deserialize, Serialize};

use super::args::{Run, Where};
use crate::cli::ProvisionerKind;
use crate::report::redact;
use crate::scratch::{Host, SCRATCH_PREFIX};

/// The image the testcontainers provisioner runs.
pub const CONTAINER_IMAGE: &str = "postgres:15-alpine";

/// What `state.json` records so `--diff-only` can find the databases again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct State {
    pub provisioner: ProvisionerKind,
    /// Redacted server address (for humans).
    pub server: String,
    pub released_db: String,
    pub new_db: String,
    /// The upgraded side's database (absent with `--no-upgraded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgraded_db: Option<String>,
    /// The copy of the upgraded database the rollback check collects into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_db: Option<String>,
    pub released_tag: String,
    pub released_commit: String,
    pub repos: Vec<String>,
    pub kept: bool,
}

impl State {
    /// The scratch databases of this run on `host`.
    pub fn new(run: &Run, host: &Host, commit: &str) -> State {
        let pid = std::process::id();
        State {
            provisioner: match host {
                Host::Cluster(_) => ProvisionerKind::Ephemeral,
                Host::Server(..) => ProvisionerKind::Server,
                Host::Container(..) => ProvisionerKind::Testcontainers,
            },
            server: match (host, &run.scratch) {
                (Host::Container(..), _) => format!("testcontainers {CONTAINER_IMAGE}"),
                (_, Where::Server(u)) => redact(u),
                (_, _) => "ephemeral cluster".into(),
            },
            released_db: format!("{SCRATCH_PREFIX}dt_{pid}_released"),
            new_db: format!("{SCRATCH_PREFIX}dt_{pid}_new"),
            upgraded_db: run
                .upgraded
                .then(|| format!("{SCRATCH_PREFIX}dt_{pid}_upgraded")),
            rollback_db: run
                .upgraded
                .then(|| format!("{SCRATCH_PREFIX}dt_{pid}_rollback")),
            released_tag: run.tag.clone(),
            released_commit: commit.to_string(),
            repos: run.repos.clone(),
            kept: run.keep_dbs,
        }
    }

    /// Read `<work>/state.json` (written by a run with `--keep-dbs`).
    pub fn load(work: &Path) -> Result<State> {
        let path = work.join("state.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {} (run with --keep-dbs first)", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// The databases created before collecting (the rollback copy is made later).
    pub fn databases(&self) -> Vec<&String> {
        let mut dbs = vec![&self.released_db, &self.new_db];
        dbs.extend(&self.upgraded_db);
        dbs
    }

    /// Every database of the run, the rollback copy included.
    pub fn all_databases(&self) -> Vec<&String> {
        let mut dbs = self.databases();
        dbs.extend(&self.rollback_db);
        dbs
    }
}

/// Start (or reach) the host of the scratch databases.
pub async fn host(scratch: &Where) -> Result<Host> {
    match scratch {
        Where::Ephemeral => Host::ephemeral(),
        Where::Server(url) => Host::server(url),
        Where::Container => start_container().await,
    }
}

/// Create the marked scratch databases (each name in `created` once it exists; the rollback
/// copy's name too, as it is made during the run) and write `state.json`.
pub async fn create(
    host: &Host,
    state: &State,
    work: &Path,
    created: &mut Vec<String>,
) -> Result<()> {
    for db in state.databases() {
        host.create(db).await?;
        created.push(db.clone());
    }
    created.extend(state.rollback_db.iter().cloned());
    std::fs::write(
        work.join("state.json"),
        serde_json::to_string_pretty(state)?,
    )?;
    Ok(())
}

/// The end of a run: the created databases are dropped, unless they are kept on a server.
pub async fn release(host: &Host, created: &[String], run: &Run, state: &State) {
    if run.keep_dbs && matches!(host, Host::Server(..)) {
        let kept: Vec<&str> = state.all_databases().iter().map(|d| d.as_str()).collect();
        say!(
            "harness: kept {} (see {})",
            kept.join(", "),
            run.work.join("state.json").display()
        );
    } else {
        host.drop_all(created).await;
    }
}

/// Start `postgres:15-alpine` and hand out its server.
#[cfg(feature = "testcontainers")]
async fn start_container() -> Result<Host> {
    use crate::scratch::Conn;
    use testcontainers_modules::postgres::Postgres;
    use testcontainers_modules::testcontainers::{ImageExt, runners::AsyncRunner};
    let c = Postgres::default()
        .with_tag("15-alpine")
        .start()
        .await
        .with_context(|| {
            format!("starting {CONTAINER_IMAGE} with testcontainers (is a Docker engine running?)")
        })?;
    let host = c
        .get_host()
        .await
        .context("the container's host")?
        .to_string();
    let port = c
        .get_host_port_ipv4(5432)
        .await
        .context("the container's PostgreSQL port")?;
    // The module's default account: user, password and database are all `postgres`.
    let server = Server::new(
        format!("postgres://postgres:postgres@{host}:{port}"),
        format!("postgres://***@{host}:{port} ({CONTAINER_IMAGE})"),
    );
    let conn = Conn {
        host,
        port,
        user: "postgres".into(),
        password: Some("postgres".into()),
    };
    Ok(Host::Container(server, conn, Box::new(c)))
}

#[cfg(not(feature = "testcontainers"))]
async fn start_container() -> Result<Host> {
    bail!("{}", super::args::NO_TESTCONTAINERS)
}
