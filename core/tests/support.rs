//! Shared test fixtures: one private PostgreSQL cluster per test process, a database per test,
//! and helpers to run the real `aveloxis` binary against it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use aveloxis_migrations::{Options, Plan};
use aveloxis_pg::{Cluster, Provisioner};
use sqlx::{Connection, PgConnection};
use tokio::sync::OnceCell;

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| Cluster::start().expect("start the test cluster"))
}

/// A loopback port free right now, and `127.0.0.1:PORT` (for a monitor to listen on).
pub fn free_loopback_addr() -> (u16, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    (port, format!("127.0.0.1:{port}"))
}

/// A database for one test.
pub struct TestDb {
    pub name: String,
    pub url: String,
    pub port: u16,
    /// Holds the aveloxis.json (and anything else) for this test.
    pub dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .expect("connect to test db")
    }

    /// Path of an aveloxis.json pointing at this database.
    pub fn config_path(&self) -> PathBuf {
        let p = self.dir.path().join("aveloxis.json");
        if !p.exists() {
            let cfg = serde_json::json!({
                "database": {"host": "127.0.0.1", "port": self.port, "user": "postgres",
                             "password": cluster().password(),
                             "dbname": self.name, "sslmode": "disable", "lock_timeout_ms": 2000}
            });
            std::fs::write(&p, cfg.to_string()).unwrap();
        }
        p
    }

    /// Write an aveloxis.json for this database with extra sections (`github`, `gitlab`,
    /// `collection`, …); the clone directory defaults to one inside the test's directory.
    pub fn configure(&self, extra: serde_json::Value) {
        let mut cfg = serde_json::json!({
            "database": {"host": "127.0.0.1", "port": self.port, "user": "postgres",
                         "password": cluster().password(),
                         "dbname": self.name, "sslmode": "disable", "lock_timeout_ms": 2000},
            "collection": {"repo_clone_dir": self.dir.path().join("clones")}
        });
        for (k, v) in extra.as_object().expect("sections").iter() {
            match (cfg.get_mut(k), v) {
                (Some(serde_json::Value::Object(have)), serde_json::Value::Object(add)) => {
                    have.extend(add.clone())
                }
                _ => {
                    cfg[k] = v.clone();
                }
            }
        }
        std::fs::write(self.dir.path().join("aveloxis.json"), cfg.to_string()).unwrap();
    }

    /// Run `aveloxis ARGS…` and require success.
    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.aveloxis().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "aveloxis {args:?} failed:\n{}\n{}",
            stdout(&out),
            stderr(&out)
        );
        out
    }

    /// The `aveloxis` binary configured for this database.
    pub fn aveloxis(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_aveloxis"));
        c.arg("--config").arg(self.config_path());
        c.env("AVELOXIS_LOG", "warn");
        c.env_remove("AVELOXIS_MIGRATIONS_DIR");
        c
    }
}

fn next_name(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// An empty database.
pub async fn empty_db() -> TestDb {
    let c = cluster();
    let name = next_name("t");
    c.create_database(&name, None).await.unwrap();
    TestDb {
        url: c.url(&name),
        name,
        port: c.port(),
        dir: tempfile::tempdir().unwrap(),
    }
}

/// A database migrated with the embedded plan (cloned from a template migrated once).
pub async fn migrated_db() -> TestDb {
    let c = cluster();
    let template = TEMPLATE
        .get_or_init(|| async {
            let name = next_name("tpl");
            c.create_database(&name, None).await.unwrap();
            let mut conn = PgConnection::connect(&c.url(&name)).await.unwrap();
            aveloxis_migrations::run(&mut conn, &Plan::embedded(), &Options::default())
                .await
                .expect("migrate the template");
            conn.close().await.unwrap();
            name
        })
        .await;
    let name = next_name("t");
    c.create_database(&name, Some(template)).await.unwrap();
    TestDb {
        url: c.url(&name),
        name,
        port: c.port(),
        dir: tempfile::tempdir().unwrap(),
    }
}

/// Run the embedded plan up to `target` (a database "as of" that step).
pub async fn db_at_step(target: u32) -> TestDb {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    let opts = Options {
        target: Some(target),
        ..Options::default()
    };
    aveloxis_migrations::run(&mut conn, &Plan::embedded(), &opts)
        .await
        .expect("migrate to target");
    db
}

/// The repository's `migrations/` directory.
/// A repository group for test repositories inserted by hand (every repository is in one).
pub async fn test_group(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type) VALUES ('tests', '')
         ON CONFLICT (rg_type, rg_name) DO UPDATE SET rg_name = EXCLUDED.rg_name
         RETURNING repo_group_id",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

/// A repository row inserted by hand (`platform_id`, URL), in the tests' group.
pub async fn repo_row(conn: &mut PgConnection, platform: i16, url: &str) -> i64 {
    let group = test_group(conn).await;
    sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_name, repo_group_id)
         VALUES ($1, $2, regexp_replace($2, '^.*/', ''), $3) RETURNING repo_id",
    )
    .bind(platform)
    .bind(url)
    .bind(group)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// A migrated database set up to collect `mock-org/tiny` of `forge` on GitHub with the
/// default key; returns it with the repository's URL.
pub async fn github_tiny(forge: &aveloxis_mock_forge::MockForge) -> (TestDb, String) {
    let db = migrated_db().await;
    db.configure(serde_json::json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()}
    }));
    db.run(&["add-key", aveloxis_mock_forge::DEFAULT_TOKENS[0]]);
    let url = forge.web_url("mock-org", "tiny");
    db.run(&["add-repo", &url]);
    (db, url)
}

pub fn migrations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations")
}

/// Copy `migrations/` (schema.sql, views.sql, steps/) into `dest` and add `extra` steps.
pub fn migrations_copy(dest: &Path, extra: &[(&str, &str)]) -> PathBuf {
    let src = migrations_dir();
    let out = dest.join("migrations");
    std::fs::create_dir_all(out.join("steps")).unwrap();
    for f in ["schema.sql", "views.sql"] {
        std::fs::copy(src.join(f), out.join(f)).unwrap();
    }
    for e in std::fs::read_dir(src.join("steps")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), out.join("steps").join(e.file_name())).unwrap();
    }
    for (name, text) in extra {
        std::fs::write(out.join("steps").join(name), text).unwrap();
    }
    out
}

pub async fn snapshot(conn: &mut PgConnection) -> Vec<String> {
    aveloxis_migrations::catalog::snapshot(conn, aveloxis_migrations::catalog::OUR_SCHEMAS)
        .await
        .unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Assert two catalog snapshots are equal, printing only the differing lines.
pub fn assert_same_catalog(a: &[String], b: &[String], what: &str) {
    let (only_a, only_b) = aveloxis_migrations::catalog::diff(a, b);
    assert!(
        only_a.is_empty() && only_b.is_empty(),
        "{what}: catalogs differ\nonly in first:\n  {}\nonly in second:\n  {}",
        only_a.join("\n  "),
        only_b.join("\n  ")
    );
}

/// Every table a collection writes: the row counts a re-run must leave unchanged.
pub const COLLECTED_TABLES: &[&str] = &[
    "issues",
    "issue_labels",
    "issue_assignees",
    "pull_requests",
    "pull_request_labels",
    "pull_request_assignees",
    "pull_request_reviewers",
    "pull_request_reviews",
    "pull_request_commits",
    "pull_request_files",
    "pull_request_meta",
    "issue_events",
    "pull_request_events",
    "messages",
    "issue_message_ref",
    "pull_request_message_ref",
    "pull_request_review_message_ref",
    "review_comments",
    "releases",
    "repo_clones",
    "contributors",
    "contributor_identities",
    "commits",
    "commit_parents",
    "commit_messages",
    "repo_info",
];

/// Row counts of [`COLLECTED_TABLES`].
pub async fn collected_counts(conn: &mut PgConnection) -> Vec<(String, i64)> {
    let mut v = Vec::new();
    for t in COLLECTED_TABLES {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM aveloxis_data.{t}"
        )))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        v.push((t.to_string(), n));
    }
    v
}

/// A forge client with keys `tokens` (ids from 1) and `opts`.
pub fn test_client(
    platform: aveloxis_core::forge::Platform,
    tokens: &[&str],
    opts: aveloxis_core::forge::client::ClientOptions,
) -> aveloxis_core::forge::client::ForgeClient {
    use aveloxis_core::forge::keys::{ApiKey, KeyPool};
    let keys = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| ApiKey {
            id: i as i64 + 1,
            token: aveloxis_core::config::Secret::new(*t),
        })
        .collect();
    aveloxis_core::forge::client::ForgeClient::new(platform, KeyPool::new(platform, keys, 10), opts)
        .unwrap()
}

/// `curl -X method` with `headers`: (HTTP status, body).
pub fn curl(url: &str, method: &str, headers: &[&str]) -> (String, String) {
    let mut c = Command::new("curl");
    c.args(["-s", "-X", method, "-w", "\n%{http_code}"]);
    for h in headers {
        c.args(["-H", h]);
    }
    let out = c.arg(url).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (status.to_owned(), body.to_owned())
}

/// A `serve` with no workers and its monitor on a free loopback address, answering; stopped
/// with SIGTERM when dropped.
pub struct Monitor {
    child: std::process::Child,
    pub addr: String,
}

impl Monitor {
    pub fn start(db: &TestDb) -> Monitor {
        let (_, addr) = free_loopback_addr();
        let child = db
            .aveloxis()
            .args(["serve", "--workers", "0", "--monitor", &addr])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let m = Monitor { child, addr };
        let t = std::time::Instant::now();
        while m.get("/healthz").0 != "200" {
            assert!(
                t.elapsed() < std::time::Duration::from_secs(30),
                "monitor did not come up"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        m
    }

    /// `GET path`: (HTTP status, body).
    pub fn get(&self, path: &str) -> (String, String) {
        curl(&format!("http://{}{path}", self.addr), "GET", &[])
    }

    /// SIGTERM, and the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.terminate()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap()
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}
