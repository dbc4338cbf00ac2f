//! The provisioner against real PostgreSQL binaries.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aveloxis_pg::{Cluster, ClusterOptions, Provisioner, Server};
use sqlx::{Connection, PgConnection};

fn accepts(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

async fn one(url: &str, sql: &'static str) -> i64 {
    let mut c = PgConnection::connect(url).await.unwrap();
    let v: i64 = sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap();
    c.close().await.unwrap();
    v
}

#[tokio::test]
async fn cluster_hands_out_template_clones_and_is_removed_on_drop() {
    let cluster = Cluster::start().unwrap();
    let (dir, port) = (cluster.dir().to_owned(), cluster.port());
    assert!(dir.join("data/PG_VERSION").exists());
    cluster.create_database("tpl", None).await.unwrap();
    let mut c = PgConnection::connect(&cluster.url("tpl")).await.unwrap();
    sqlx::raw_sql("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 42)")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    cluster
        .create_database("clone_1", Some("tpl"))
        .await
        .unwrap();
    cluster
        .create_database("clone_2", Some("tpl"))
        .await
        .unwrap();
    assert_eq!(
        one(&cluster.url("clone_2"), "SELECT count(*) FROM t").await,
        42
    );
    cluster.drop_database("clone_1").await.unwrap();
    let n = one(
        &cluster.url("postgres"),
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'clone_%'",
    )
    .await;
    assert_eq!(n, 1);
    drop(cluster);
    assert!(!dir.exists(), "cluster directory left behind");
    assert!(!accepts(port), "server still listening after drop");
}

#[tokio::test]
async fn uncached_start_and_existing_server_mode_work() {
    let cluster = Cluster::start_with(&ClusterOptions {
        use_initdb_cache: false,
        ..ClusterOptions::default()
    })
    .unwrap();
    // Treat the cluster as an operator's server reached by URL.
    let server = Server::new(
        format!(
            "postgres://postgres:{}@127.0.0.1:{}",
            cluster.password(),
            cluster.port()
        ),
        "postgres@127.0.0.1",
    );
    server.create_database("scratch_a", None).await.unwrap();
    assert_eq!(
        one(&server.database_url("scratch_a"), "SELECT 7::bigint").await,
        7
    );
    server.drop_database("scratch_a").await.unwrap();
    let err = PgConnection::connect(&server.database_url("scratch_a"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("scratch_a"), "{err}");
}

/// Not a test on its own: the body of the child process of the SIGKILL test.
#[test]
fn child_process_holding_a_cluster() {
    if std::env::var_os("AVELOXIS_PG_TEST_CHILD").is_none() {
        return;
    }
    let cluster = Cluster::start().unwrap();
    println!("CLUSTER {} {}", cluster.port(), cluster.dir().display());
    std::thread::sleep(Duration::from_secs(120));
    drop(cluster);
}

#[test]
fn a_sigkilled_owner_leaves_no_cluster_behind() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_holding_a_cluster",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("AVELOXIS_PG_TEST_CHILD", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child exited early");
        if let Some(at) = line.find("CLUSTER ") {
            line = line[at..].to_owned();
            break;
        }
    }
    let mut parts = line.trim().splitn(3, ' ').skip(1);
    let port: u16 = parts.next().unwrap().parse().unwrap();
    let dir = std::path::PathBuf::from(parts.next().unwrap());
    assert!(accepts(port));
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while dir.exists() || accepts(port) {
        assert!(
            Instant::now() < deadline,
            "cluster of a killed owner still present: dir {} listening {}",
            dir.exists(),
            accepts(port)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_initdb_cache_others_could_write_or_do_not_own_is_refused_by_name() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("cache");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let opts = |dir: &std::path::Path| ClusterOptions {
        initdb_cache_dir: Some(dir.to_owned()),
        ..ClusterOptions::default()
    };
    let e = Cluster::start_with(&opts(&shared)).unwrap_err().to_string();
    assert!(
        e.contains(&shared.display().to_string()) && e.contains("mode 777"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_dir(&shared).unwrap().count(),
        0,
        "nothing was written into a refused cache"
    );
    // A symlink planted where the cache would be is refused too (not followed).
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&shared, &link).unwrap();
    let e = Cluster::start_with(&opts(&link)).unwrap_err().to_string();
    assert!(e.contains("not a directory"), "{e}");
    // Private but another user's (as root, the test can make one): refused, naming the owner.
    let theirs = tmp.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o700)).unwrap();
    if Command::new("chown")
        .arg("postgres:")
        .arg(&theirs)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        let e = Cluster::start_with(&opts(&theirs)).unwrap_err().to_string();
        assert!(
            e.contains("belongs to uid") && e.contains("not to us"),
            "{e}"
        );
    }
    // A private directory of ours is created 0700 and used.
    let mine = tmp.path().join("mine");
    let cluster = Cluster::start_with(&opts(&mine)).unwrap();
    let mode = std::fs::metadata(&mine).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    drop(cluster);
}

#[tokio::test]
async fn a_cluster_asks_every_tcp_client_for_its_password_and_never_shows_it() {
    use std::os::unix::fs::PermissionsExt;
    let cluster = Cluster::start().unwrap();
    let other = Cluster::start().unwrap();
    assert_ne!(cluster.password(), other.password(), "a secret per cluster");
    assert_eq!(cluster.password().len(), 32);
    // Any local account reaching the port without the secret is refused.
    for url in [
        format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port()),
        format!(
            "postgres://postgres:wrong@127.0.0.1:{}/postgres",
            cluster.port()
        ),
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/postgres",
            other.password(),
            cluster.port()
        ),
    ] {
        let e = PgConnection::connect(&url).await.unwrap_err().to_string();
        assert!(e.contains("password authentication failed"), "{e}");
    }
    assert_eq!(one(&cluster.url("postgres"), "SELECT 1::bigint").await, 1);
    // The socket's directory is the owner's alone.
    let mode = std::fs::metadata(cluster.dir())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
    // The secret is in no process's command line and not in Debug or the shown URL.
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline);
            assert!(
                !cmdline.contains(cluster.password()),
                "argv shows it: {cmdline}"
            );
        }
    }
    assert!(!format!("{cluster:?}").contains(cluster.password()));
    assert!(!cluster.shown_url("x").contains(cluster.password()));
}
