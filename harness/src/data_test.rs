//! `harness data-test`: collect the same repositories with the released binary and with the
//! working tree's binary into two scratch databases, and compare every table.
//!
//! Phases (each timed in the report):
//!
//! 1. **resolve** — `--released-tag` (any revision; `--fetch-tags` runs `git fetch --tags`
//!    first) must resolve to a commit, else exit 2 naming it. The released `migrations/steps`
//!    must be an unchanged prefix of the working tree's (an edited step is a FAIL of its own).
//! 2. **build** — the released revision is checked out with `git worktree add --detach` (removed
//!    again on every exit path) and built with `cargo build --profile P -p aveloxis-core --bin
//!    aveloxis` into the *shared* target directory (`--target-dir`, `$CARGO_TARGET_DIR`, else the
//!    repository's `target/`), so dependencies are compiled once and a warm rebuild only
//!    recompiles the project's crates. The working tree (uncommitted changes included) is built
//!    the same way. Both binaries are copied to `<work-dir>/bin/`. `--released-bin` /
//!    `--new-bin` skip the builds.
//! 3. **provision** — two scratch databases `aveloxis_harness_dt_<pid>_released` / `_new`, each
//!    marked `COMMENT ON DATABASE … IS 'aveloxis-harness scratch'`, on a private ephemeral
//!    cluster (default) or an operator's server (`--provisioner server --server-url URL`,
//!    CREATEDB needed). The harness only ever drops a database whose name carries the scratch
//!    prefix **and** whose comment is the marker; anything else is refused and left alone.
//! 4. **forge** — `--forge mock` (default): the mock forge (in process) serves a generated world
//!    (`--preset`, `--seed`). Repository URLs are mapped onto it: `…/mock-org/NAME` stays
//!    `BASE/mock-org/NAME`; any other URL maps to the preset's main repository
//!    `BASE/mock-org/<preset>`. Without `--preset` the preset is `augur` when a URL names a
//!    repository called `augur` (e.g. `https://github.com/augurlabs/augur`), else `tiny`.
//!    `--forge live`: the real forge of the operator's setup (see [`crate::operator`]): the
//!    `github`/`gitlab` URLs of `--operator-config` and the keys of its primary database's
//!    `aveloxis_ops.worker_oauth` (read before anything is built; a platform of the requested
//!    repositories without a key is exit 2). Repository URLs are used as given.
//! 5. **collect** — per side: `migrate --skip-views`, keys (mock: `add-key` with `mock-token-0`
//!    for released, `mock-token-1` for new, via stdin; live: the operator's keys inserted by the
//!    harness itself, never on a command line or in the environment), `add-repo URL…`,
//!    `collect URL… --full` (with `--matviews` also `migrate` and `refresh-views`). Mock: both
//!    sides in parallel; live: released, then new (they share the operator's rate budget).
//!    Output streams live, each line prefixed `[released]` / `[new]`, and is kept in
//!    `<work-dir>/<side>.log`. Children get `PGHOST/PGPORT/PGUSER/PGDATABASE` of their database
//!    and `HARNESS_SIDE`; inherited `AVELOXIS_*` variables (except `AVELOXIS_LOG`) are removed so
//!    an operator's overrides cannot point a side at a real database. The mock's rate limit is
//!    lifted (the gate measures data, not throttling).
//! 6. **diff** — see [`crate::diff`].
//! 7. **report** — `report.md`, `report.json`, `junit.xml` and `state.json` in the work dir;
//!    `report.md` is appended to `$GITHUB_STEP_SUMMARY` when set.
//!
//! `--diff-only` re-runs 6–7 against the databases recorded in `state.json` (kept with
//! `--keep-dbs` on a server provisioner — an ephemeral cluster ends with the run).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use aveloxis_migrations::Plan;
use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};
use aveloxis_pg::{Cluster, Provisioner, Server, quote_ident, quote_literal};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::diff::{self, Finding, TableResult, Verdict};
use crate::operator::{self, OperatorConfig, Platform};
use crate::schema_check::{SCRATCH_PREFIX, redact};
use aveloxis_migrations::plan::prefix_problems;

/// A line of harness output on stderr (above the progress bars when they are drawn).
macro_rules! say {
    ($($t:tt)*) => { crate::progress::line(&format!($($t)*)) };
}

/// Examples per category in the row-level section of the report.
pub const ROW_LEVEL_EXAMPLES: usize = 5;

/// The comment that marks a database as created by the harness.
pub const SCRATCH_MARKER: &str = "aveloxis-harness scratch";

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

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The released revision (tag, branch or commit) to compare against.
    #[arg(long, required_unless_present = "diff_only")]
    pub released_tag: Option<String>,
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
    /// Keep the scratch databases (names in `<work-dir>/state.json`).
    #[arg(long)]
    pub keep_dbs: bool,
    /// Only diff and report the databases recorded in `<work-dir>/state.json`.
    #[arg(long)]
    pub diff_only: bool,
    /// Where scratch databases come from.
    #[arg(long, value_enum, default_value = "ephemeral")]
    pub provisioner: ProvisionerKind,
    /// `postgres://user[:pw]@host:port` for `--provisioner server` (implies it).
    #[arg(long, env = "HARNESS_SERVER_URL")]
    pub server_url: Option<String>,
    /// Use this binary as the released side instead of building the revision.
    #[arg(long)]
    pub released_bin: Option<PathBuf>,
    /// Use this binary as the new side instead of building the working tree.
    #[arg(long)]
    pub new_bin: Option<PathBuf>,
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
    /// Also build, refresh and compare the materialized views.
    #[arg(long)]
    pub matviews: bool,
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
    /// The repository (default: the git work tree containing the current directory).
    #[arg(long)]
    pub repo_dir: Option<PathBuf>,
}

/// What `state.json` records so `--diff-only` can find the databases again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct State {
    pub provisioner: ProvisionerKind,
    /// Redacted server address (for humans).
    pub server: String,
    pub released_db: String,
    pub new_db: String,
    pub released_tag: String,
    pub released_commit: String,
    pub repos: Vec<String>,
    pub kept: bool,
}

/// A named check outside the per-table diff (the migrations prefix).
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub verdict: Verdict,
    pub details: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    pub name: String,
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub released_tag: String,
    pub released_commit: String,
    pub released_db: String,
    pub new_db: String,
    pub repos: Vec<String>,
    pub forge: String,
    pub schemas: Vec<String>,
    pub generated: String,
    pub checks: Vec<Check>,
    pub tables: Vec<TableResult>,
    pub phases: Vec<Phase>,
    pub notes: Vec<String>,
    /// shadow-diff over the aveloxis_data tables that FAILed: which rows, which values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_level: Option<crate::shadow_diff::Report>,
}

impl Report {
    pub fn count(&self, v: Verdict) -> usize {
        self.tables.iter().filter(|t| t.verdict == v).count()
            + self.checks.iter().filter(|c| c.verdict == v).count()
    }
    pub fn failed(&self) -> bool {
        self.count(Verdict::Fail) > 0
    }
}

/// Escape text for a markdown table cell.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escape text for XML attributes and content.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn rows(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_else(|| "—".into())
}

fn findings_text(f: &[Finding], only: Option<Verdict>) -> String {
    f.iter()
        .filter(|x| only.is_none_or(|v| x.verdict == v))
        .map(|x| md_escape(&x.message))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn markdown(r: &Report) -> String {
    let mut s = String::from("# aveloxis data-test report\n\n");
    let _ = writeln!(
        s,
        "- Released: `{}` ({}) (in `{}`)",
        md_escape(&r.released_tag),
        &r.released_commit.get(..12).unwrap_or(&r.released_commit),
        r.released_db
    );
    let _ = writeln!(s, "- Local version: working tree (in `{}`)", r.new_db);
    let _ = writeln!(
        s,
        "- Test repo(s): {}",
        r.repos
            .iter()
            .map(|u| md_escape(u))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(s, "- Forge: {}", md_escape(&r.forge));
    let _ = writeln!(s, "- Schemas: {}", r.schemas.join(", "));
    let _ = writeln!(s, "- Generated: {}", r.generated);
    let verdict = if r.failed() { "FAIL" } else { "PASS" };
    let _ = writeln!(s, "\n**Verdict: {verdict}**\n\n## Summary\n");
    let _ = writeln!(
        s,
        "- FAIL (released has more rows, values or content = data loss): {}",
        r.count(Verdict::Fail)
    );
    let _ = writeln!(
        s,
        "- FLAG (new has more rows = likely new coverage): {}",
        r.count(Verdict::Flag)
    );
    let _ = writeln!(
        s,
        "- PASS (equal counts, fill and content): {}",
        r.count(Verdict::Pass)
    );
    if !r.checks.is_empty() {
        s.push_str("\n## Checks\n\n| check | verdict | details |\n|---|---|---|\n");
        for c in &r.checks {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                md_escape(&c.name),
                c.verdict.as_str(),
                md_escape(&c.details.join("; "))
            );
        }
    }
    for v in [Verdict::Fail, Verdict::Flag, Verdict::Pass] {
        let list: Vec<&TableResult> = r.tables.iter().filter(|t| t.verdict == v).collect();
        let _ = writeln!(s, "\n## {} ({})\n", v.as_str(), list.len());
        if list.is_empty() {
            s.push_str("_none_\n");
            continue;
        }
        s.push_str("| table | released | new | delta | findings |\n|---|---:|---:|---:|---|\n");
        for t in list {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:+} | {} |",
                md_escape(&t.qualified()),
                rows(t.released_rows),
                rows(t.new_rows),
                t.delta(),
                findings_text(&t.findings, None)
            );
        }
    }
    if !r.phases.is_empty() {
        s.push_str("\n## Phases\n\n| phase | seconds |\n|---|---:|\n");
        for p in &r.phases {
            let _ = writeln!(s, "| {} | {:.1} |", md_escape(&p.name), p.seconds);
        }
    }
    if let Some(sd) = &r.row_level {
        let _ = writeln!(
            s,
            "\n## Row-level examples (shadow-diff)\n\n\
             The FAIL tables of {} compared row by row, keyed by platform-stable keys \
             (up to {} examples per category).\n",
            crate::shadow_diff::SCHEMA,
            ROW_LEVEL_EXAMPLES
        );
        s.push_str(&crate::shadow_diff::markdown_body(sd, "###"));
    }
    if !r.notes.is_empty() {
        s.push_str("\n## Notes\n\n");
        for n in &r.notes {
            let _ = writeln!(s, "- {}", md_escape(n));
        }
    }
    s
}

pub fn junit(r: &Report) -> String {
    let fails = r.count(Verdict::Fail);
    let total = r.tables.len() + r.checks.len();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuite name=\"aveloxis data-test\" tests=\"{total}\" failures=\"{fails}\" errors=\"0\">"
    );
    for c in &r.checks {
        let _ = write!(
            s,
            "  <testcase classname=\"checks\" name=\"{}\">",
            xml_escape(&c.name)
        );
        if c.verdict == Verdict::Fail {
            let _ = write!(
                s,
                "<failure message=\"{}\">{}</failure>",
                xml_escape(&c.details.join("; ")),
                xml_escape(&c.details.join("\n"))
            );
        }
        s.push_str("</testcase>\n");
    }
    for t in &r.tables {
        let _ = write!(
            s,
            "  <testcase classname=\"{}\" name=\"{}\">",
            xml_escape(&t.schema),
            xml_escape(&t.table)
        );
        let msg = format!(
            "released={} new={} delta={:+}: {}",
            rows(t.released_rows),
            rows(t.new_rows),
            t.delta(),
            t.findings
                .iter()
                .map(|f| format!("{} {}", f.verdict.as_str(), f.message))
                .collect::<Vec<_>>()
                .join("; ")
        );
        match t.verdict {
            Verdict::Fail => {
                let _ = write!(
                    s,
                    "<failure message=\"{}\">{}</failure>",
                    xml_escape(&findings_plain(&t.findings, Verdict::Fail)),
                    xml_escape(&msg)
                );
            }
            Verdict::Flag => {
                let _ = write!(s, "<system-out>{}</system-out>", xml_escape(&msg));
            }
            Verdict::Pass => {}
        }
        s.push_str("</testcase>\n");
    }
    s.push_str("</testsuite>\n");
    s
}

fn findings_plain(f: &[Finding], v: Verdict) -> String {
    f.iter()
        .filter(|x| x.verdict == v)
        .map(|x| x.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The short table printed at the end of a run.
pub fn terminal_summary(r: &Report, work_dir: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\ndata-test: FAIL {}  FLAG {}  PASS {}",
        r.count(Verdict::Fail),
        r.count(Verdict::Flag),
        r.count(Verdict::Pass)
    );
    for c in r.checks.iter().filter(|c| c.verdict != Verdict::Pass) {
        let _ = writeln!(
            s,
            "  {} {}: {}",
            c.verdict.as_str(),
            c.name,
            c.details.join("; ")
        );
    }
    let interesting: Vec<&TableResult> = r
        .tables
        .iter()
        .filter(|t| t.verdict != Verdict::Pass)
        .collect();
    if !interesting.is_empty() {
        let _ = writeln!(
            s,
            "  {:<4} {:<44} {:>9} {:>9} {:>7}  findings",
            "", "table", "released", "new", "delta"
        );
        for t in interesting {
            let _ = writeln!(
                s,
                "  {:<4} {:<44} {:>9} {:>9} {:>+7}  {}",
                t.verdict.as_str(),
                t.qualified(),
                rows(t.released_rows),
                rows(t.new_rows),
                t.delta(),
                t.findings
                    .iter()
                    .filter(|f| f.verdict != Verdict::Pass)
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
    }
    let _ = writeln!(
        s,
        "report: {}\nverdict: {}",
        work_dir.join("report.md").display(),
        if r.failed() { "FAIL" } else { "PASS" }
    );
    s
}

/// Where scratch databases live.
enum Pg {
    Cluster(Cluster),
    Server(Server, Conn),
    /// A server in a container that lives as long as this value (the guard is only held: its
    /// Drop removes the container).
    #[allow(dead_code)]
    Container(Server, Conn, Box<ContainerGuard>),
}

#[cfg(feature = "testcontainers")]
type ContainerGuard = testcontainers_modules::testcontainers::ContainerAsync<
    testcontainers_modules::postgres::Postgres,
>;
#[cfg(not(feature = "testcontainers"))]
type ContainerGuard = std::convert::Infallible;

const NO_TESTCONTAINERS: &str = "--provisioner testcontainers: this harness was built without the \
     testcontainers feature (rebuild with `cargo build -p aveloxis-harness --features testcontainers`)";

/// The image the testcontainers provisioner runs.
pub const CONTAINER_IMAGE: &str = "postgres:15-alpine";

/// Start `postgres:15-alpine` and hand out its server.
#[cfg(feature = "testcontainers")]
async fn start_container() -> Result<Pg> {
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
    Ok(Pg::Container(server, conn, Box::new(c)))
}

#[cfg(not(feature = "testcontainers"))]
async fn start_container() -> Result<Pg> {
    bail!("{NO_TESTCONTAINERS}")
}

/// Connection parameters of a server, for the children's configuration.
#[derive(Clone, Debug)]
struct Conn {
    host: String,
    port: u16,
    user: String,
    password: Option<String>,
}

fn parse_server_url(url: &str) -> Result<Conn> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .context("--server-url must start with postgres://")?;
    let rest = rest.split(['/', '?']).next().unwrap_or("");
    let (auth, hostport) = rest.rsplit_once('@').unwrap_or(("postgres", rest));
    let (user, password) = match auth.split_once(':') {
        Some((u, p)) => (u.to_string(), Some(p.to_string())),
        None => (auth.to_string(), None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().context("port in --server-url")?),
        None => (hostport.to_string(), 5432),
    };
    if host.is_empty() {
        bail!("--server-url has no host");
    }
    Ok(Conn {
        host,
        port,
        user,
        password,
    })
}

impl Pg {
    fn url(&self, db: &str) -> String {
        match self {
            Pg::Cluster(c) => c.database_url(db),
            Pg::Server(s, _) | Pg::Container(s, _, _) => s.database_url(db),
        }
    }
    fn conn(&self) -> Conn {
        match self {
            Pg::Cluster(c) => Conn {
                host: c.host().into(),
                port: c.port(),
                user: "postgres".into(),
                password: None,
            },
            Pg::Server(_, c) | Pg::Container(_, c, _) => c.clone(),
        }
    }
    async fn create(&self, name: &str) -> Result<()> {
        match self {
            Pg::Cluster(c) => c.create_database(name, None).await,
            Pg::Server(s, _) | Pg::Container(s, _, _) => s.create_database(name, None).await,
        }
    }
}

fn server_from(args: &Args) -> Result<Option<(Server, Conn)>> {
    if args.provisioner == ProvisionerKind::Testcontainers {
        return Ok(None);
    }
    match (&args.server_url, args.provisioner) {
        (Some(url), _) => Ok(Some((
            Server::new(url.clone(), redact(url)),
            parse_server_url(url)?,
        ))),
        (None, ProvisionerKind::Server) => {
            bail!("--provisioner server needs --server-url (or $HARNESS_SERVER_URL)")
        }
        (None, ProvisionerKind::Ephemeral | ProvisionerKind::Testcontainers) => Ok(None),
    }
}

/// Create a scratch database and mark it as ours. Refuses names without the scratch prefix and
/// names that already exist (it never adopts a database it did not create).
async fn create_scratch(pg: &Pg, name: &str) -> Result<()> {
    if !name.starts_with(SCRATCH_PREFIX) {
        bail!("refusing to create {name}: scratch names start with {SCRATCH_PREFIX}");
    }
    pg.create(name)
        .await
        .with_context(|| format!("provisioning scratch database {name}"))?;
    let mut admin = PgConnection::connect(&pg.url("postgres"))
        .await
        .context("connecting to the maintenance database")?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "COMMENT ON DATABASE {} IS {}",
        quote_ident(name),
        quote_literal(SCRATCH_MARKER)
    )))
    .execute(&mut admin)
    .await
    .with_context(|| format!("marking {name} as a harness scratch database"))?;
    let _ = admin.close().await;
    Ok(())
}

/// Drop `name` only if it carries the scratch prefix and the marker comment. `Ok(false)` = left
/// alone (with the reason printed); the harness never drops a database it did not create.
pub async fn drop_scratch(admin_url: &str, name: &str) -> Result<bool> {
    if !name.starts_with(SCRATCH_PREFIX) {
        say!("harness: refusing to drop {name}: not a harness scratch name ({SCRATCH_PREFIX}…)");
        return Ok(false);
    }
    let mut admin = PgConnection::connect(admin_url)
        .await
        .context("connecting to the maintenance database")?;
    let comment: Option<Option<String>> = sqlx::query_scalar(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
    )
    .bind(name)
    .fetch_optional(&mut admin)
    .await?;
    let ok = match comment {
        None => {
            let _ = admin.close().await;
            return Ok(false);
        }
        Some(Some(c)) if c == SCRATCH_MARKER => true,
        _ => false,
    };
    if !ok {
        say!(
            "harness: refusing to drop {name}: it lacks the comment {SCRATCH_MARKER:?}, so the \
             harness did not create it"
        );
        let _ = admin.close().await;
        return Ok(false);
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    )))
    .execute(&mut admin)
    .await
    .with_context(|| format!("dropping {name}"))?;
    let _ = admin.close().await;
    Ok(true)
}

/// Where the released revision is checked out: `<target>/harness-released-src-<pid>`.
const RELEASED_SRC: &str = "harness-released-src-";

/// Remove the worktree at `path` (registered or not), then forget missing ones.
fn remove_worktree(repo: &Path, path: &Path) {
    let _ = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["worktree", "remove", "--force"])
        .arg(path)
        .output();
    let _ = std::fs::remove_dir_all(path);
    let _ = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["worktree", "prune"])
        .output();
}

/// Remove released worktrees left by runs that no longer exist (killed before their clean-up).
fn remove_stale_worktrees(repo: &Path, target: &Path) {
    let Ok(entries) = std::fs::read_dir(target) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(RELEASED_SRC) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            remove_worktree(repo, &e.path());
        }
    }
}

/// `git worktree add --detach`, removed again on drop.
struct Worktree {
    repo: PathBuf,
    path: PathBuf,
}

impl Worktree {
    fn add(repo: &Path, path: &Path, commit: &str) -> Result<Worktree> {
        if path.exists() {
            remove_worktree(repo, path);
        }
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["worktree", "add", "--detach"])
            .arg(path)
            .arg(commit)
            .output()
            .context("running git worktree add")?;
        if !out.status.success() {
            bail!(
                "git worktree add {commit} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(Worktree {
            repo: repo.to_path_buf(),
            path: path.to_path_buf(),
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        remove_worktree(&self.repo, &self.path);
    }
}

/// The cargo profile both sides are built with: the harness's own, inheriting the requested one.
///
/// Cargo fingerprints a workspace member by its path *relative to the workspace root* and by
/// file mtimes, so two checkouts of this project building into one target directory share
/// every member's artifacts: after the released worktree was built, the working tree's older
/// files look up to date and a plain `cargo build` would hand back the *released* collector.
/// So the harness builds in a profile (an output directory) of its own, never in the
/// operator's, and before building a tree other than the one its directory was last built from
/// it cleans the workspace members there (dependencies stay warm and are shared by both sides).
const HARNESS_PROFILE: &str = "harness";

/// The marker naming the source tree a side's profile directory was last built from.
const SOURCE_MARKER: &str = ".harness-source";

/// Every package of the workspace at `src` (`cargo metadata --no-deps`).
async fn workspace_members(cargo: &std::ffi::OsStr, src: &Path) -> Result<Vec<String>> {
    let out = tokio::process::Command::new(cargo)
        .current_dir(src)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .stdin(Stdio::null())
        .output()
        .await
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata in {} failed: {}",
            src.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("parsing cargo metadata")?;
    Ok(meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect())
}

/// `cargo build` the collector in `src` into the shared target dir (in the harness's profile
/// directory); returns the copy in `dest`.
async fn build(
    side: &str,
    src: &Path,
    target: &Path,
    profile: &str,
    dest: &Path,
) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or("cargo".into());
    let own = HARNESS_PROFILE;
    let inherit = format!("profile.{own}.inherits={profile:?}");
    let out_dir = target.join(own);
    let marker = out_dir.join(SOURCE_MARKER);
    let source = std::fs::canonicalize(src)
        .with_context(|| format!("resolving {}", src.display()))?
        .display()
        .to_string();
    // One build at a time per target dir: the marker, the clean, the build and the copy below
    // must not interleave with another harness run's.
    std::fs::create_dir_all(&out_dir)?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out_dir.join(".harness-lock"))
        .with_context(|| format!("opening the build lock in {}", out_dir.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            say!(
                "harness: [{side}] waiting for another harness build in {}",
                out_dir.display()
            );
            let waiting = lock.try_clone()?;
            tokio::task::spawn_blocking(move || waiting.lock())
                .await?
                .context("waiting for the build lock")?;
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).context("taking the build lock");
        }
    }
    let previous = std::fs::read_to_string(&marker).ok();
    // Artifacts (`deps/`) from another tree, or from a tree nobody recorded, go first.
    if out_dir.join("deps").exists() && previous.as_deref() != Some(source.as_str()) {
        let members = workspace_members(&cargo, src).await?;
        say!(
            "harness: [{side}] {} was built from {}; cleaning the workspace members first",
            out_dir.display(),
            previous.as_deref().unwrap_or("an unknown tree")
        );
        let mut clean = tokio::process::Command::new(&cargo);
        clean
            .current_dir(src)
            .args(["--config", &inherit, "clean", "--profile", own])
            .env("CARGO_TARGET_DIR", target);
        for m in &members {
            clean.args(["-p", m]);
        }
        stream(side, clean, None, None)
            .await
            .with_context(|| format!("cleaning the {side} build of {}", out_dir.display()))?;
    }
    std::fs::write(&marker, &source)?;
    let mut cmd = tokio::process::Command::new(&cargo);
    cmd.current_dir(src)
        .args([
            "--config",
            &inherit,
            "build",
            "--profile",
            own,
            "-p",
            "aveloxis-core",
            "--bin",
            "aveloxis",
        ])
        .env("CARGO_TARGET_DIR", target);
    stream(side, cmd, None, None)
        .await
        .with_context(|| format!("building the {side} binary in {}", src.display()))?;
    let built = out_dir.join("aveloxis");
    std::fs::create_dir_all(dest)?;
    let copy = dest.join("aveloxis");
    let _ = std::fs::remove_file(&copy);
    std::fs::copy(&built, &copy)
        .with_context(|| format!("copying {} to {}", built.display(), copy.display()))?;
    Ok(copy)
}

/// Run `cmd`, streaming its stdout and stderr line by line prefixed `[side]` (to stderr and to
/// `log`); fails with the exit status and the last lines of output.
async fn stream(
    side: &str,
    mut cmd: tokio::process::Command,
    stdin: Option<String>,
    log: Option<Arc<Mutex<std::fs::File>>>,
) -> Result<()> {
    // Program and arguments only: `Command`'s Debug also prints the environment it sets, and
    // that holds the scratch server's password (PGPASSWORD).
    let shown = std::iter::once(cmd.as_std().get_program())
        .chain(cmd.as_std().get_args())
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(" ");
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("[{side}] starting {shown}"))?;
    if let Some(input) = stdin
        && let Some(mut w) = child.stdin.take()
    {
        w.write_all(input.as_bytes()).await?;
        drop(w);
    }
    let tail = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    let out = child
        .stdout
        .take()
        .map(|o| Box::new(o) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
    let err = child
        .stderr
        .take()
        .map(|o| Box::new(o) as Box<dyn tokio::io::AsyncRead + Unpin + Send>);
    for pipe in [out, err].into_iter().flatten() {
        let side = side.to_string();
        let tail = tail.clone();
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let mut lines = BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                say!("[{side}] {line}");
                if let Some(l) = &log
                    && let Ok(mut f) = l.lock()
                {
                    let _ = writeln!(f, "{line}");
                }
                if let Ok(mut t) = tail.lock() {
                    t.push(line);
                    if t.len() > 15 {
                        t.remove(0);
                    }
                }
            }
        }));
    }
    let status = child.wait().await?;
    for t in tasks {
        let _ = t.await;
    }
    if !status.success() {
        let tail = tail.lock().map(|t| t.join("\n")).unwrap_or_default();
        bail!("[{side}] {shown} failed ({status}); last output:\n{tail}");
    }
    Ok(())
}

/// Mapping of `--repo` URLs onto the mock forge.
pub fn mock_preset(explicit: Option<&str>, repos: &[String]) -> Result<Preset> {
    if let Some(p) = explicit {
        return p.parse();
    }
    let augur = repos.iter().any(|u| {
        u.trim_end_matches('/')
            .trim_end_matches(".git")
            .ends_with("/augur")
    });
    Ok(if augur { Preset::Augur } else { Preset::Tiny })
}

/// `…/mock-org/NAME` keeps its name; anything else is the preset's main repository.
pub fn map_repo(base: &str, preset: Preset, url: &str) -> String {
    let trimmed = url.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = trimmed.rsplit('/');
    let name = parts.next().unwrap_or("");
    let owner = parts.next().unwrap_or("");
    let base = base.trim_end_matches('/');
    if owner == aveloxis_mock_forge::generate::OWNER && !name.is_empty() {
        format!("{base}/{owner}/{name}")
    } else {
        format!(
            "{base}/{}/{}",
            aveloxis_mock_forge::generate::OWNER,
            preset.name()
        )
    }
}

/// `--forge live`: the operator's setup, read before anything is built.
struct Live {
    config: OperatorConfig,
    /// The operator's keys for the platforms of the requested repositories.
    keys: Vec<operator::Key>,
    platforms: Vec<Platform>,
}

impl Live {
    /// `live (<api urls>)` of the platforms in use.
    fn description(&self) -> String {
        format!(
            "live ({})",
            self.platforms
                .iter()
                .map(|p| crate::schema_check::redact(&self.config.forge(*p).api_url))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

async fn live_setup(args: &Args) -> Result<Live> {
    let path = operator::config_path(
        args.operator_config.as_deref(),
        std::env::var_os("AVELOXIS_CONFIG"),
    );
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let config = OperatorConfig::load(&path, env)?;
    let mut platforms = Vec::new();
    for u in &args.repos {
        let p = config.platform_of(u)?;
        if !platforms.contains(&p) {
            platforms.push(p);
        }
    }
    platforms.sort();
    let keys = operator::read_keys(config.database(), &platforms).await?;
    let live = Live {
        config,
        keys,
        platforms,
    };
    say!(
        "harness: forge {} (from {}); {} key(s) from {} of {}",
        live.description(),
        live.config.path.display(),
        live.keys.len(),
        operator::KEY_TABLE,
        operator::shown(live.config.database())
    );
    if args.preset.is_some() {
        say!("harness: --preset applies to --forge mock only; ignored");
    }
    Ok(live)
}

/// How a side gets its API keys.
enum SideKeys<'a> {
    /// `add-key -` with this mock token on stdin.
    Token(&'static str),
    /// The operator's keys, inserted by the harness into the side's database; `from` is the
    /// (redacted) database they come from.
    Operator {
        keys: &'a [operator::Key],
        from: String,
    },
}

struct Side<'a> {
    name: &'static str,
    bin: PathBuf,
    db: String,
    keys: SideKeys<'a>,
}

/// One side: its config (`forges` holds the `github`/`gitlab` sections), migrate, keys,
/// add-repo, collect.
async fn collect_side(
    side: &Side<'_>,
    work: &Path,
    pg: &Conn,
    forges: &serde_json::Value,
    urls: &[String],
    matviews: bool,
) -> Result<()> {
    let dir = work.join(side.name);
    std::fs::create_dir_all(&dir)?;
    let clones = dir.join("clones");
    let _ = std::fs::remove_dir_all(&clones);
    let mut cfg = serde_json::json!({
        "database": {"host": pg.host, "port": pg.port, "user": pg.user, "dbname": side.db,
                     "sslmode": "disable"},
        "collection": {"repo_clone_dir": clones}
    });
    if let (Some(cfg), Some(forges)) = (cfg.as_object_mut(), forges.as_object()) {
        for (k, v) in forges {
            cfg.insert(k.clone(), v.clone());
        }
    }
    let config = dir.join("aveloxis.json");
    std::fs::write(&config, serde_json::to_string_pretty(&cfg)?)?;
    let log = Arc::new(Mutex::new(
        std::fs::File::create(work.join(format!("{}.log", side.name)))
            .context("creating the side's log")?,
    ));
    let command = |args: &[&str]| {
        let mut c = tokio::process::Command::new(&side.bin);
        for (k, _) in std::env::vars_os() {
            if let Some(k) = k.to_str()
                && k.starts_with("AVELOXIS_")
                && k != "AVELOXIS_LOG"
            {
                c.env_remove(k);
            }
        }
        c.arg("--config").arg(&config).args(args);
        c.env("PGHOST", &pg.host)
            .env("PGPORT", pg.port.to_string())
            .env("PGUSER", &pg.user)
            .env("PGDATABASE", &side.db)
            .env("HARNESS_SIDE", side.name)
            .env("NO_COLOR", "1")
            .current_dir(&dir);
        if let Some(pw) = &pg.password {
            c.env("AVELOXIS_DATABASE_PASSWORD", pw)
                .env("PGPASSWORD", pw);
        }
        c
    };
    let run = |args: Vec<&str>, stdin: Option<String>| {
        let cmd = command(&args);
        let log = log.clone();
        let step = format!("{} {}", side.name, args[0]);
        async move {
            stream(side.name, cmd, stdin, Some(log)).await?;
            crate::progress::step(&step);
            anyhow::Ok(())
        }
    };
    run(vec!["migrate", "--skip-views"], None).await?;
    match &side.keys {
        SideKeys::Token(token) => run(vec!["add-key", "-"], Some(format!("{token}\n"))).await?,
        SideKeys::Operator { keys, from } => {
            // Through the collector's own `add-key` (token on stdin, never in argv), so the
            // keys land exactly as an operator's would.
            for k in keys.iter() {
                let args = vec![
                    "add-key",
                    "-",
                    "--platform",
                    k.platform.name(),
                    "--name",
                    &k.name,
                ];
                run(args, Some(format!("{}\n", k.token.expose())))
                    .await
                    .with_context(|| format!("[{}] copying the operator's keys", side.name))?;
            }
            let msg = format!(
                "copied {} key(s) from {} of {from} into {}",
                keys.len(),
                operator::KEY_TABLE,
                side.db
            );
            say!("harness: [{}] {msg}", side.name);
            if let Ok(mut f) = log.lock() {
                let _ = writeln!(f, "harness: {msg}");
            }
            crate::progress::step(&format!("{} keys", side.name));
        }
    }
    let mut add = vec!["add-repo"];
    add.extend(urls.iter().map(String::as_str));
    run(add, None).await?;
    let mut collect = vec!["collect"];
    collect.extend(urls.iter().map(String::as_str));
    collect.push("--full");
    run(collect, None).await?;
    if matviews {
        run(vec!["migrate"], None).await?;
        run(vec!["refresh-views"], None).await?;
    }
    Ok(())
}

fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn write_reports(work: &Path, report: &Report) -> Result<()> {
    let md = markdown(report);
    std::fs::write(work.join("report.md"), &md)?;
    std::fs::write(
        work.join("report.json"),
        serde_json::to_string_pretty(report)?,
    )?;
    std::fs::write(work.join("junit.xml"), junit(report))?;
    if let Some(p) = std::env::var_os("GITHUB_STEP_SUMMARY")
        && !p.is_empty()
    {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .with_context(|| {
                format!(
                    "opening $GITHUB_STEP_SUMMARY {}",
                    PathBuf::from(&p).display()
                )
            })?;
        writeln!(f, "{md}")?;
    }
    Ok(())
}

struct Timer {
    phases: Vec<Phase>,
    start: Instant,
}

impl Timer {
    fn new() -> Timer {
        Timer {
            phases: Vec::new(),
            start: Instant::now(),
        }
    }
    fn phase(&mut self, name: &str) {
        let now = Instant::now();
        self.phases.push(Phase {
            name: name.into(),
            seconds: (now - self.start).as_secs_f64(),
        });
        self.start = now;
        let took = self.phases.last().map(|p| p.seconds).unwrap_or(0.0);
        crate::progress::end(&format!("done in {took:.1}s"));
        say!("harness: phase {name} done in {took:.1}s");
    }
}

async fn shutdown_signal() -> &'static str {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term => "SIGTERM",
    }
}

/// The run's result: the exit code (0, 1, 2).
pub async fn run(args: &Args) -> u8 {
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| crate::default_work_dir().join("data-test"));
    let work_fut = async {
        if args.diff_only {
            diff_only(args, &work).await
        } else {
            full_run(args, &work).await
        }
    };
    // On Ctrl-C / SIGTERM the run is dropped: children are killed (kill_on_drop), the worktree
    // is removed and an ephemeral cluster stops.
    let result = tokio::select! {
        r = work_fut => r,
        sig = shutdown_signal() => Err(anyhow::anyhow!("interrupted by {sig}")),
    };
    match result {
        Ok(report) => {
            print!("{}", terminal_summary(&report, &work));
            if report.failed() { 1 } else { 0 }
        }
        Err(e) => {
            crate::progress::end("stopped");
            say!("harness: data-test could not run: {e:#}");
            2
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn diff_and_report(
    pg_url: &dyn Fn(&str) -> String,
    state: &State,
    args: &Args,
    work: &Path,
    forge: String,
    checks: Vec<Check>,
    mut timer: Timer,
    mut notes: Vec<String>,
) -> Result<Report> {
    crate::progress::begin("diff", None);
    let mut r = PgConnection::connect(&pg_url(&state.released_db))
        .await
        .with_context(|| format!("connecting to {}", state.released_db))?;
    let mut n = PgConnection::connect(&pg_url(&state.new_db))
        .await
        .with_context(|| format!("connecting to {}", state.new_db))?;
    let tables = diff::diff_databases(&mut r, &mut n, diff::DATA_SCHEMAS, args.matviews).await?;
    let failing: Vec<String> = tables
        .iter()
        .filter(|t| {
            t.verdict == Verdict::Fail
                && t.schema == crate::shadow_diff::SCHEMA
                && t.released_rows.is_some()
                && t.new_rows.is_some()
        })
        .map(|t| t.table.clone())
        .collect();
    let mut row_level = None;
    if !failing.is_empty() {
        match crate::shadow_diff::compare_databases(
            &mut r,
            &mut n,
            &crate::shadow_diff::Scope::All,
            ROW_LEVEL_EXAMPLES,
            &failing,
        )
        .await
        {
            Ok(mut sd) => {
                sd.released = state.released_db.clone();
                sd.new = state.new_db.clone();
                row_level = Some(sd);
            }
            Err(e) => notes.push(format!("row-level examples unavailable: {e:#}")),
        }
        if state.kept && state.provisioner == ProvisionerKind::Server {
            let tables: String = failing.iter().map(|t| format!(" --table {t}")).collect();
            notes.push(format!(
                "row-level diff of the kept databases: harness shadow-diff --released-dsn \
                 {server}/{} --new-dsn {server}/{}{tables}",
                state.released_db,
                state.new_db,
                server = state.server
            ));
        }
    }
    let _ = r.close().await;
    let _ = n.close().await;
    if tables.is_empty() {
        bail!("no tables found in either database: nothing was compared");
    }
    timer.phase("diff");
    crate::progress::begin("report", None);
    if args.matviews {
        notes.push("materialized views refreshed and compared".into());
    }
    let mut report = Report {
        released_tag: state.released_tag.clone(),
        released_commit: state.released_commit.clone(),
        released_db: state.released_db.clone(),
        new_db: state.new_db.clone(),
        repos: state.repos.clone(),
        forge,
        schemas: diff::DATA_SCHEMAS.iter().map(|s| s.to_string()).collect(),
        generated: now_utc(),
        checks,
        tables,
        phases: Vec::new(),
        notes,
        row_level,
    };
    timer.phase("report");
    report.phases = timer.phases;
    write_reports(work, &report)?;
    Ok(report)
}

async fn diff_only(args: &Args, work: &Path) -> Result<Report> {
    let timer = Timer::new();
    let path = work.join("state.json");
    let state: State = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .with_context(|| format!("reading {} (run with --keep-dbs first)", path.display()))?,
    )
    .with_context(|| format!("parsing {}", path.display()))?;
    if state.provisioner != ProvisionerKind::Server {
        bail!(
            "the databases in {} lived in an ephemeral cluster or container that ended with its run; use \
             --provisioner server --keep-dbs to keep databases for --diff-only",
            path.display()
        );
    }
    let Some((server, _)) = server_from(args)? else {
        bail!(
            "--diff-only needs --server-url for the server in {}",
            path.display()
        );
    };
    let url = |db: &str| server.database_url(db);
    let report = diff_and_report(
        &url,
        &state,
        args,
        work,
        "(diff only)".into(),
        Vec::new(),
        timer,
        vec!["--diff-only: compared the databases recorded in state.json".into()],
    )
    .await;
    if !args.keep_dbs {
        for db in [&state.released_db, &state.new_db] {
            if let Err(e) = drop_scratch(&url("postgres"), db).await {
                say!("harness: could not drop {db}: {e:#}");
            }
        }
    }
    report
}

async fn full_run(args: &Args, work: &Path) -> Result<Report> {
    let mut timer = Timer::new();
    crate::progress::begin("resolve", None);
    let tag = args
        .released_tag
        .clone()
        .context("--released-tag is required")?;
    if args.repos.is_empty() {
        bail!("at least one --repo is required");
    }
    if args.provisioner == ProvisionerKind::Testcontainers && !cfg!(feature = "testcontainers") {
        bail!("{NO_TESTCONTAINERS}");
    }
    // The operator's setup is read before anything is built: a missing config or key is exit 2
    // within a second, not after a build.
    let live = match args.forge {
        ForgeKind::Live => Some(live_setup(args).await?),
        ForgeKind::Mock => None,
    };
    std::fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
    let work = std::fs::canonicalize(work)?;
    let cwd = std::env::current_dir()?;
    let repo = match &args.repo_dir {
        Some(d) => d.clone(),
        None => crate::git::toplevel(&cwd).unwrap_or_else(|_| cwd.clone()),
    };

    // 1. resolve
    if args.fetch_tags {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["fetch", "--tags"])
            .output()
            .context("running git fetch --tags")?;
        if !out.status.success() {
            say!(
                "harness: git fetch --tags failed (continuing with local refs): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    let commit = crate::git::resolve(&repo, &tag)?;
    let mut checks = Vec::new();
    let mut notes = Vec::new();
    let working_plan = Plan::from_dir(&repo.join("migrations"))
        .with_context(|| format!("loading {}/migrations", repo.display()))?;
    {
        let tmp = tempfile::tempdir()?;
        match crate::git::export(&repo, &commit, "migrations", tmp.path()) {
            Ok(()) => {
                let released = Plan::from_dir(&tmp.path().join("migrations"))
                    .with_context(|| format!("loading the migrations of {tag}"))?;
                let problems = prefix_problems(&released, &working_plan);
                checks.push(Check {
                    name: format!("released steps of {tag} are an unchanged prefix"),
                    verdict: if problems.is_empty() {
                        Verdict::Pass
                    } else {
                        Verdict::Fail
                    },
                    details: problems,
                });
            }
            Err(e) => notes.push(format!(
                "released revision has no migrations/ to check: {e}"
            )),
        }
    }
    timer.phase("resolve");
    crate::progress::begin("build", None);

    // 2. build
    let target = match (&args.target_dir, std::env::var_os("CARGO_TARGET_DIR")) {
        (Some(t), _) => t.clone(),
        (None, Some(t)) if !t.is_empty() => PathBuf::from(t),
        _ => repo.join("target"),
    };
    let target = std::path::absolute(target)?;
    let released_bin = match &args.released_bin {
        Some(b) => std::path::absolute(b)?,
        None => {
            // A path of its own per run: concurrent runs never remove each other's worktree.
            remove_stale_worktrees(&repo, &target);
            let wt = Worktree::add(
                &repo,
                &target.join(format!("{RELEASED_SRC}{}", std::process::id())),
                &commit,
            )?;
            let bin = build(
                "released",
                &wt.path,
                &target,
                &args.profile,
                &work.join("bin/released"),
            )
            .await?;
            drop(wt);
            bin
        }
    };
    let new_bin = match &args.new_bin {
        Some(b) => std::path::absolute(b)?,
        None => build("new", &repo, &target, &args.profile, &work.join("bin/new")).await?,
    };
    for b in [&released_bin, &new_bin] {
        if !b.exists() {
            bail!("collector binary {} does not exist", b.display());
        }
    }
    timer.phase("build");
    crate::progress::begin("provision", None);

    // 3. provision
    let pg = match server_from(args)? {
        Some((s, c)) => Pg::Server(s, c),
        None if args.provisioner == ProvisionerKind::Testcontainers => start_container().await?,
        None => Pg::Cluster(Cluster::start().context("starting an ephemeral PostgreSQL cluster")?),
    };
    let pid = std::process::id();
    let state = State {
        provisioner: match pg {
            Pg::Cluster(_) => ProvisionerKind::Ephemeral,
            Pg::Server(..) => ProvisionerKind::Server,
            Pg::Container(..) => ProvisionerKind::Testcontainers,
        },
        server: match (&pg, &args.server_url) {
            (Pg::Container(..), _) => format!("testcontainers {CONTAINER_IMAGE}"),
            (_, Some(u)) => redact(u),
            (_, None) => "ephemeral cluster".into(),
        },
        released_db: format!("{SCRATCH_PREFIX}dt_{pid}_released"),
        new_db: format!("{SCRATCH_PREFIX}dt_{pid}_new"),
        released_tag: tag.clone(),
        released_commit: commit.clone(),
        repos: args.repos.clone(),
        kept: args.keep_dbs,
    };
    let mut created = Vec::new();
    let result = async {
        for db in [&state.released_db, &state.new_db] {
            create_scratch(&pg, db).await?;
            created.push(db.clone());
        }
        std::fs::write(
            work.join("state.json"),
            serde_json::to_string_pretty(&state)?,
        )?;
        timer.phase("provision");
        crate::progress::begin("forge", None);

        // 4. forge
        let mut mock = None;
        let mut urls: Vec<String> = Vec::new();
        let (forges, forge_desc) = match &live {
            None => {
                let preset = mock_preset(args.preset.as_deref(), &args.repos)?;
                // The gate measures data, not throttling: lift the mock's per-token rate limit so
                // a large preset never waits for a window reset.
                let mut scenario = Scenario::generate(preset, args.seed);
                scenario.rate_limit.limit = 1_000_000_000;
                let forge = MockForge::start(scenario).context("starting the mock forge")?;
                for u in &args.repos {
                    let m = map_repo(&forge.base_url(), preset, u);
                    say!("harness: {u} -> {m}");
                    if !urls.contains(&m) {
                        urls.push(m);
                    }
                }
                let forges = serde_json::json!({
                    "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
                });
                mock = Some(forge);
                let desc = format!(
                    "mock (preset {}, seed {}; {})",
                    preset.name(),
                    args.seed,
                    args.repos
                        .iter()
                        .map(|u| format!("{u} -> {}", map_repo("BASE", preset, u)))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                (forges, desc)
            }
            Some(l) => {
                for u in &args.repos {
                    if !urls.contains(u) {
                        urls.push(u.clone());
                    }
                }
                let c = &l.config;
                let forges = serde_json::json!({
                    "github": {"api_url": c.config.github.api_url, "web_url": c.config.github.web_url},
                    "gitlab": {"api_url": c.config.gitlab.api_url, "web_url": c.config.gitlab.web_url},
                });
                (forges, l.description())
            }
        };
        timer.phase("forge");
        // Per side: migrate, keys, add-repo, collect (and migrate + refresh-views with views).
        let steps_per_side = if args.matviews { 6 } else { 4 };
        crate::progress::begin("collect", Some(2 * steps_per_side));

        // 5. collect: on the mock both sides in parallel; live one after the other (they share
        // the operator's rate budget), released first.
        let conn = pg.conn();
        let keys = |token: &'static str| match &live {
            None => SideKeys::Token(token),
            Some(l) => SideKeys::Operator {
                keys: &l.keys,
                from: operator::shown(l.config.database()),
            },
        };
        let released = Side {
            name: "released",
            bin: released_bin.clone(),
            db: state.released_db.clone(),
            keys: keys(DEFAULT_TOKENS[0]),
        };
        let new = Side {
            name: "new",
            bin: new_bin.clone(),
            db: state.new_db.clone(),
            keys: keys(DEFAULT_TOKENS[1]),
        };
        let (released_done, new_done) = if live.is_none() {
            tokio::join!(
                collect_side(&released, &work, &conn, &forges, &urls, args.matviews),
                collect_side(&new, &work, &conn, &forges, &urls, args.matviews),
            )
        } else {
            let released_done =
                collect_side(&released, &work, &conn, &forges, &urls, args.matviews).await;
            // Without a released collection there is nothing to compare against: the new side
            // would only spend the operator's budget.
            released_done?;
            let new_done = collect_side(&new, &work, &conn, &forges, &urls, args.matviews).await;
            (Ok(()), new_done)
        };
        // The released collector must work, or there is nothing to compare against (exit 2).
        released_done?;
        // The new collector failing where the released one succeeded is the regression itself
        // (a NOT NULL column it does not fill, a CHECK its data violates, a renamed column it
        // still writes…): a FAIL naming the error, and the diff shows what it left missing.
        if let Err(e) = new_done {
            checks.push(Check {
                name: "new collector completes".into(),
                verdict: Verdict::Fail,
                details: vec![format!("{e:#}")],
            });
        }
        timer.phase("collect");
        drop(mock);

        // 6–7. diff and report
        if args.keep_dbs && state.provisioner != ProvisionerKind::Server {
            notes.push(
                "--keep-dbs with an ephemeral cluster or container: it ends with the run; use \
                 --provisioner server to keep databases"
                    .into(),
            );
        }
        let url = |db: &str| pg.url(db);
        diff_and_report(&url, &state, args, &work, forge_desc, checks, timer, notes).await
    }
    .await;
    if !args.keep_dbs || !matches!(pg, Pg::Server(..)) {
        for db in &created {
            if let Err(e) = drop_scratch(&pg.url("postgres"), db).await {
                say!("harness: could not drop {db}: {e:#}");
            }
        }
    } else {
        say!(
            "harness: kept {} and {} (see {})",
            state.released_db,
            state.new_db,
            work.join("state.json").display()
        );
    }
    drop(pg);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_map_onto_the_mock_forge() {
        let b = "http://127.0.0.1:9";
        let augur = vec!["https://github.com/augurlabs/augur".to_string()];
        assert_eq!(mock_preset(None, &augur).unwrap(), Preset::Augur);
        assert_eq!(
            mock_preset(None, &["https://github.com/a/b".to_string()]).unwrap(),
            Preset::Tiny
        );
        assert_eq!(mock_preset(Some("tiny"), &augur).unwrap(), Preset::Tiny);
        assert!(mock_preset(Some("huge"), &augur).is_err());
        assert_eq!(
            map_repo(b, Preset::Augur, "https://github.com/augurlabs/augur.git"),
            "http://127.0.0.1:9/mock-org/augur"
        );
        assert_eq!(
            map_repo(b, Preset::Tiny, "https://github.com/someone/else/"),
            "http://127.0.0.1:9/mock-org/tiny"
        );
        assert_eq!(
            map_repo(b, Preset::Tiny, "https://github.com/mock-org/sidecar-old"),
            "http://127.0.0.1:9/mock-org/sidecar-old"
        );
    }

    #[test]
    fn markdown_and_xml_are_escaped() {
        assert_eq!(md_escape("a|b_c*<x>\n`d`"), "a\\|b\\_c\\*&lt;x&gt; \\`d\\`");
        assert_eq!(xml_escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn server_urls_parse_and_keep_the_password_out_of_sight() {
        let c = parse_server_url("postgres://u:pw@db.example:6543").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.user.as_str()),
            ("db.example", 6543, "u")
        );
        assert_eq!(c.password.as_deref(), Some("pw"));
        let c = parse_server_url("postgresql://postgres@localhost").unwrap();
        assert_eq!((c.port, c.password), (5432, None));
        assert!(parse_server_url("mysql://x").is_err());
        assert!(!redact("postgres://u:pw@h:1").contains("pw"));
    }
}
