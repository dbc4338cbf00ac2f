//! The command line: config errors, version checks, serve's lifecycle.

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;

#[test]
fn version_prints_tool_and_schema_version() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aveloxis"))
        .arg("version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    let want = format!(
        "aveloxis {} (schema version {})",
        env!("CARGO_PKG_VERSION"),
        aveloxis_migrations::Plan::embedded().schema_version()
    );
    assert_eq!(text.trim(), want);
}

#[test]
fn missing_config_file_is_named() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aveloxis"))
        .args(["--config", "/nonexistent/aveloxis.json", "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("/nonexistent/aveloxis.json not found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unreachable_server_names_host_port_but_never_the_password() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("aveloxis.json");
    std::fs::write(
        &cfg,
        format!(r#"{{"database": {{"host": "127.0.0.1", "port": {port}, "password": "pw-s3cr3t-value", "sslmode": "disable"}}}}"#),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aveloxis"))
        .arg("--config")
        .arg(&cfg)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("pw-s3cr3t-value"), "{err}");
    assert!(!stdout(&out).contains("pw-s3cr3t-value"));
}

#[test]
fn unknown_config_key_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("aveloxis.json");
    std::fs::write(&cfg, r#"{"database": {"hots": "db"}}"#).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aveloxis"))
        .arg("--config")
        .arg(&cfg)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("hots") && err.contains("aveloxis.json"),
        "{err}"
    );
}

#[tokio::test]
async fn other_commands_refuse_an_unmigrated_or_older_schema() {
    let db = empty_db().await;
    let out = db.aveloxis().arg("refresh-views").output().unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("run `aveloxis migrate`"),
        "{}",
        stderr(&out)
    );

    let db = db_at_step(3).await;
    let out = db.aveloxis().arg("refresh-views").output().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("version 3") && err.contains("run `aveloxis migrate`"),
        "{err}"
    );
    // refresh-views did not migrate: still at 3.
    let mut conn = db.connect().await;
    let v: i32 = sqlx::query_scalar("SELECT schema_version FROM aveloxis_ops.schema_meta")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(v, 3);

    let out = db.aveloxis().arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = db.aveloxis().arg("refresh-views").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("refreshed"), "{}", stdout(&out));
    let populated: bool = sqlx::query_scalar(
        "SELECT bool_and(relispopulated) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE relkind = 'm' AND nspname LIKE 'aveloxis%'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(populated);
}

#[tokio::test]
async fn serve_migrates_then_stops_cleanly_on_sigterm() {
    let db = empty_db().await;
    let mut child = db
        .aveloxis()
        .args(["serve", "--monitor", "off", "--workers", "2"])
        .env("AVELOXIS_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut conn = db.connect().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let exists: bool =
            sqlx::query_scalar("SELECT to_regclass('aveloxis_ops.schema_meta') IS NOT NULL")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        if exists {
            let v: Option<i32> =
                sqlx::query_scalar("SELECT schema_version FROM aveloxis_ops.schema_meta")
                    .fetch_optional(&mut conn)
                    .await
                    .unwrap();
            if v.is_some() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "serve did not migrate");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(child.try_wait().unwrap().is_none(), "serve exited early");
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "serve ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{err}");
    assert!(err.contains("shutting down"), "{err}");
}
