//! Throwaway PostgreSQL for tests, the harness and the embedded default run.
//!
//! Two ways to get databases:
//!
//! * [`Cluster`] starts a private cluster with `initdb` + `pg_ctl` on a free loopback port in a
//!   temporary directory. `initdb` refuses to run as root, so when we are root every server-side
//!   command runs through `runuser -u postgres`. The first `initdb` on a machine is cached (per
//!   PostgreSQL version) and later clusters start from a copy of it, which turns a ~1 s `initdb`
//!   into a ~0.1 s file copy.
//! * [`Server`] uses an operator's existing server; it needs the `CREATEDB` privilege.
//!
//! Both hand out databases with [`Provisioner::create_database`], optionally cloned from a
//! template (a migrated database), which is how each test gets its own schema in ~0.1 s.
//!
//! A cluster trusts no one over TCP: its `pg_hba.conf` asks loopback connections for a password
//! (SCRAM), a random secret per cluster that is set over the unix socket and never appears in a
//! command line; the socket lives in the cluster's own 0700 directory, so only its owner (and
//! root) can use it. Another local account can neither log in nor reach the socket.
//!
//! Architecture invariant: a cluster never outlives its owner. Every cluster has a *watchdog*: a
//! shell in its own session whose stdin is a pipe held by the owning process. When the owner
//! drops the [`Cluster`], exits, panics, is interrupted with Ctrl-C or is SIGKILLed, the pipe
//! closes and the watchdog stops the server and removes the directory. `Drop` simply closes the
//! pipe and waits for the watchdog, so there is exactly one clean-up path.

use std::fmt;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

mod auth;
mod cache;

use auth::{random_secret, restrict_to_owner, set_password};
use cache::cached_initdb;
use sqlx::{Connection, PgConnection};

/// Where the PostgreSQL server binaries live: `$AVELOXIS_PG_BIN`, else the newest
/// `/usr/lib/postgresql/<v>/bin`, else whatever `initdb` is on `PATH`.
pub fn pg_bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("AVELOXIS_PG_BIN") {
        let dir = PathBuf::from(dir);
        if dir.join("initdb").exists() {
            return Ok(dir);
        }
        bail!("AVELOXIS_PG_BIN={} has no initdb in it", dir.display());
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if dir.join("initdb").exists() && dir.join("pg_ctl").exists() {
            return Ok(dir);
        }
    }
    bail!(
        "no PostgreSQL server binaries found (looked in $AVELOXIS_PG_BIN, /usr/lib/postgresql/*/bin \
         and PATH); install the server package, e.g. `apt-get install postgresql`"
    )
}

fn euid() -> u32 {
    // geteuid has no preconditions and cannot fail; libc only exposes it as an unsafe fn.
    #[allow(unsafe_code)]
    unsafe {
        libc::geteuid()
    }
}

fn running_as_root() -> bool {
    euid() == 0
}

/// A command for a server-side binary, run as `postgres` when we are root.
fn server_cmd(bin: &Path, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn run_checked(mut cmd: Command, what: &str) -> Result<()> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not run {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

fn chown_postgres(path: &Path) -> Result<()> {
    let mut c = Command::new("chown");
    c.arg("-R").arg("postgres:").arg(path);
    run_checked(c, &format!("chown postgres {}", path.display()))
}

fn make_temp_dir(prefix: &str) -> Result<PathBuf> {
    let base = std::env::temp_dir();
    for attempt in 0..100u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = base.join(format!(
            "{prefix}{}-{nanos:x}-{attempt}",
            std::process::id()
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
        }
    }
    bail!(
        "could not create a temporary directory under {}",
        base.display()
    )
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("binding a probe socket on 127.0.0.1")?;
    Ok(l.local_addr()?.port())
}

/// Options for [`Cluster::start_with`].
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// Start from a cached `initdb` output (created on first use). Off = always run `initdb`.
    pub use_initdb_cache: bool,
    /// `max_connections` of the server.
    pub max_connections: u32,
    /// Where the `initdb` cache lives; `None` = `aveloxis-initdb-cache-<uid>` in the temporary
    /// directory. Either way it must be a directory of ours with mode 0700, or it is refused.
    pub initdb_cache_dir: Option<PathBuf>,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            use_initdb_cache: true,
            max_connections: 200,
            initdb_cache_dir: None,
        }
    }
}

/// A private PostgreSQL cluster on 127.0.0.1; stopped and deleted on drop.
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    /// The superuser's password (random per cluster); never printed.
    password: String,
    watchdog: Mutex<Option<(Child, ChildStdin)>>,
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("dir", &self.dir)
            .field("port", &self.port)
            .field("password", &"***")
            .finish()
    }
}

const INITDB_ARGS: &[&str] = &[
    "-N",
    "-A",
    "trust",
    "-U",
    "postgres",
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
];

impl Cluster {
    /// Start a cluster with default options.
    pub fn start() -> Result<Cluster> {
        Self::start_with(&ClusterOptions::default())
    }

    pub fn start_with(opts: &ClusterOptions) -> Result<Cluster> {
        let bin = pg_bin_dir()?;
        let as_postgres = running_as_root();
        let dir = make_temp_dir("aveloxis-pg-")?;
        // From here on the directory is ours: remove it if anything below fails.
        let cleanup = DirGuard(Some(dir.clone()));
        let data = dir.join("data");
        if opts.use_initdb_cache {
            let root = match &opts.initdb_cache_dir {
                Some(d) => d.clone(),
                None => std::env::temp_dir().join(format!("aveloxis-initdb-cache-{}", euid())),
            };
            let cached = cached_initdb(&bin, as_postgres, &root)?;
            let mut cp = Command::new("cp");
            cp.arg("-a").arg(&cached).arg(&data);
            run_checked(cp, "copying the cached initdb output")?;
        } else {
            if as_postgres {
                chown_postgres(&dir)?;
            }
            let mut c = server_cmd(&bin.join("initdb"), as_postgres);
            c.arg("-D").arg(&data).args(INITDB_ARGS);
            run_checked(c, "initdb")?;
        }
        restrict_to_owner(&dir, &data)?;
        if as_postgres {
            chown_postgres(&dir)?;
        }
        let password = random_secret()?;
        let mut last_err = None;
        for _ in 0..5 {
            let port = free_port()?;
            match start_server(&bin, as_postgres, &dir, &data, port, opts) {
                Ok(()) => {
                    // From here the server runs: the watchdog stops it whatever happens next.
                    let watchdog = spawn_watchdog(&bin, as_postgres, &dir, &data)?;
                    let cluster = Cluster {
                        dir: dir.clone(),
                        port,
                        password: password.clone(),
                        watchdog: Mutex::new(Some(watchdog)),
                    };
                    let mut cleanup = cleanup;
                    cleanup.0 = None;
                    set_password(&bin, &dir, port, &password)?;
                    return Ok(cluster);
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow!("could not start postgres")))
    }

    pub fn host(&self) -> &str {
        "127.0.0.1"
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Connection URL for database `db` as the superuser `postgres`, with its password: a
    /// secret, to be passed to connect calls only (never printed; [`Cluster::shown_url`] is what
    /// may be shown).
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// The URL of `db` as messages may show it (no password).
    pub fn shown_url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// The superuser's password (random per cluster).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Stop the server and delete its directory now (also done on drop).
    pub fn stop(&self) {
        let taken = self.watchdog.lock().map(|mut g| g.take()).unwrap_or(None);
        if let Some((mut child, stdin)) = taken {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

struct DirGuard(Option<PathBuf>);

impl Drop for DirGuard {
    fn drop(&mut self) {
        if let Some(d) = self.0.take() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn start_server(
    bin: &Path,
    as_postgres: bool,
    dir: &Path,
    data: &Path,
    port: u16,
    opts: &ClusterOptions,
) -> Result<()> {
    let server_opts = format!(
        "-h 127.0.0.1 -p {port} -k {} -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections={} -c log_min_messages=warning",
        dir.display(),
        opts.max_connections
    );
    let mut c = server_cmd(&bin.join("pg_ctl"), as_postgres);
    c.arg("-D")
        .arg(data)
        .arg("-w")
        .arg("-t")
        .arg("30")
        .arg("-l")
        .arg(dir.join("server.log"))
        .arg("-o")
        .arg(server_opts)
        .arg("start");
    run_checked(c, &format!("pg_ctl start on port {port}")).map_err(|e| {
        let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        e.context(format!("server log:\n{log}"))
    })
}

/// The watchdog owns the clean-up: it blocks reading its stdin (a pipe from us) and, when the
/// pipe closes for whatever reason, stops the server and removes the directory. It runs in its
/// own session (`setsid`) so a Ctrl-C aimed at our process group does not kill it first.
fn spawn_watchdog(
    bin: &Path,
    as_postgres: bool,
    dir: &Path,
    data: &Path,
) -> Result<(Child, ChildStdin)> {
    let script = r#"cat >/dev/null
if [ "$4" = 1 ]; then runuser -u postgres -- "$1" -D "$2" -m immediate stop >/dev/null 2>&1
else "$1" -D "$2" -m immediate stop >/dev/null 2>&1; fi
rm -rf "$3""#;
    let mut child = Command::new("setsid")
        .arg("sh")
        .arg("-c")
        .arg(script)
        .arg("aveloxis-pg-watchdog")
        .arg(bin.join("pg_ctl"))
        .arg(data)
        .arg(dir)
        .arg(if as_postgres { "1" } else { "0" })
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("spawning the cluster watchdog (setsid sh)")?;
    let stdin = child.stdin.take().context("watchdog stdin")?;
    Ok((child, stdin))
}

/// Raw `initdb` + `pg_ctl start` + stop, timed — the baseline the cluster benchmark prints.
pub fn raw_initdb_start_seconds() -> Result<f64> {
    let bin = pg_bin_dir()?;
    let as_postgres = running_as_root();
    let dir = make_temp_dir("aveloxis-pg-raw-")?;
    let _guard = DirGuard(Some(dir.clone()));
    if as_postgres {
        chown_postgres(&dir)?;
    }
    let data = dir.join("data");
    let t = Instant::now();
    let mut c = server_cmd(&bin.join("initdb"), as_postgres);
    c.arg("-D").arg(&data).args(INITDB_ARGS);
    run_checked(c, "initdb")?;
    let port = free_port()?;
    start_server(
        &bin,
        as_postgres,
        &dir,
        &data,
        port,
        &ClusterOptions::default(),
    )?;
    let secs = t.elapsed().as_secs_f64();
    let mut stop = server_cmd(&bin.join("pg_ctl"), as_postgres);
    stop.arg("-D").arg(&data).args(["-m", "immediate", "stop"]);
    run_checked(stop, "pg_ctl stop")?;
    Ok(secs)
}

pub use aveloxis_migrations::sql::{quote_ident, quote_literal};

/// Something that hands out databases: a private cluster or an operator's server.
pub trait Provisioner: Send + Sync {
    /// URL of a database on this server (the maintenance database is `postgres`).
    fn database_url(&self, db: &str) -> String;

    /// `CREATE DATABASE name [TEMPLATE template]`, retried briefly while the template is busy.
    fn create_database(
        &self,
        name: &str,
        template: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send {
        let admin = self.database_url("postgres");
        let name = name.to_owned();
        let template = template.map(str::to_owned);
        async move { create_database(&admin, &name, template.as_deref()).await }
    }

    /// `DROP DATABASE IF EXISTS name WITH (FORCE)`.
    fn drop_database(&self, name: &str) -> impl Future<Output = Result<()>> + Send {
        let admin = self.database_url("postgres");
        let name = name.to_owned();
        async move { drop_database(&admin, &name).await }
    }
}

impl Provisioner for Cluster {
    fn database_url(&self, db: &str) -> String {
        self.url(db)
    }
}

/// An existing server, reached with an account that has `CREATEDB`.
#[derive(Clone)]
pub struct Server {
    /// `postgres://user[:password]@host:port` without a database.
    base_url: String,
    display: String,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The base URL may carry a password: show only the redacted form.
        f.debug_struct("Server").field("at", &self.display).finish()
    }
}

impl Server {
    /// `base_url` is `postgres://user[:password]@host:port` (no database part).
    pub fn new(base_url: impl Into<String>, display: impl Into<String>) -> Server {
        Server {
            base_url: base_url.into(),
            display: display.into(),
        }
    }
}

impl Provisioner for Server {
    fn database_url(&self, db: &str) -> String {
        format!("{}/{db}", self.base_url.trim_end_matches('/'))
    }
}

/// See [`Provisioner::create_database`].
pub async fn create_database(admin_url: &str, name: &str, template: Option<&str>) -> Result<()> {
    let mut sql = format!("CREATE DATABASE {}", quote_ident(name));
    if let Some(t) = template {
        sql.push_str(&format!(" TEMPLATE {} STRATEGY FILE_COPY", quote_ident(t)));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut conn = PgConnection::connect(admin_url)
            .await
            .context("connecting to the maintenance database")?;
        let res = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
        match res {
            Ok(_) => return Ok(()),
            // 55006 object_in_use: the template has a session open; it is usually closing.
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e).with_context(|| format!("creating database {name}")),
        }
    }
}

/// See [`Provisioner::drop_database`].
pub async fn drop_database(admin_url: &str, name: &str) -> Result<()> {
    let mut conn = PgConnection::connect(admin_url)
        .await
        .context("connecting to the maintenance database")?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    )))
    .execute(&mut conn)
    .await
    .with_context(|| format!("dropping database {name}"))?;
    let _ = conn.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_quotes() {
        assert_eq!(quote_ident(r#"a"b"#), r#""a""b""#);
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn server_debug_hides_the_url() {
        let s = Server::new("postgres://u:hunter2@db:5432", "u@db:5432");
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("u@db:5432"));
        assert_eq!(s.database_url("x"), "postgres://u:hunter2@db:5432/x");
    }
}
