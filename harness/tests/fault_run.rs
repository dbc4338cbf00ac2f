//! The fault-injection run: the augur-shaped repository collected once from a clean mock forge
//! and once through every fault a real forge and network bring, compared table by table with
//! `harness shadow-diff`. The two databases must be identical but for the quarantined item.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};

use super::support::*;

/// Every fault kind, on routes and request numbers the collection surely reaches; each fires a
/// bounded number of times, so a retrying collector gets through.
fn faults() -> serde_json::Value {
    serde_json::json!({"seed": 11, "rules": [
        // A poison item: one release whose date is not a date, every time it is served.
        {"route": "/repos/*/*/releases", "every": 1,
         "fault": {"kind": "poison", "item": 0, "field": "published_at", "value": "not a date"}},
        // A next link to another host, on the second page of issues.
        {"route": "/repos/*/*/issues", "nth": [2],
         "fault": {"kind": "foreign_link", "host": "http://127.0.0.1:9"}},
        {"route": "/repos/**", "nth": [5], "fault": {"kind": "rate_limit", "status": 403, "reset_in_secs": 2}},
        {"route": "/repos/**", "nth": [9], "fault": {"kind": "rate_limit", "status": 429, "reset_in_secs": -30}},
        {"route": "/repos/**", "nth": [13], "fault": {"kind": "secondary_rate_limit", "retry_after_secs": 1}},
        {"route": "/repos/**", "nth": [17],
         "fault": {"kind": "secondary_rate_limit", "retry_after_secs": 1, "http_date": true}},
        {"route": "/repos/**", "nth": [21, 22], "fault": {"kind": "truncate"}},
        {"route": "/repos/**", "nth": [25], "fault": {"kind": "malformed"}},
        {"route": "/repos/**", "nth": [29, 30], "fault": {"kind": "reset"}},
        {"route": "/repos/**", "every": 41, "max": 12, "fault": {"kind": "status", "status": 502}},
        {"route": "/repos/**", "nth": [60], "fault": {"kind": "status", "status": 503, "retry_after_secs": 1}}
    ]})
}

/// The augur world on `port` (0: a free one). Both runs use one address, so that repository
/// URLs, the keys of the comparison, agree.
fn forge(faulted: bool, port: u16) -> MockForge {
    let mut s = Scenario::generate(Preset::Augur, 1);
    s.rate_limit.limit = 1_000_000_000;
    if faulted {
        s = s.with_faults(serde_json::from_value(faults()).unwrap());
    }
    let opts = aveloxis_mock_forge::StartOptions {
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        public_url: None,
    };
    MockForge::start_with(s, opts).unwrap()
}

fn aveloxis(config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(aveloxis_bin());
    c.arg("--config")
        .arg(config)
        .args(args)
        .env("AVELOXIS_LOG", "warn")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

/// A database `name` on `cluster`, migrated, with the mock's keys, holding one collection of
/// the augur repository from `forge` (repeated, as the daemon would, while a run fails: a
/// refused foreign link fails its run). Returns the URL and the failed attempts.
fn collected(
    cluster: &aveloxis_pg::Cluster,
    name: &str,
    forge: &MockForge,
    dir: &Path,
) -> (String, Vec<String>) {
    let rt = runtime();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&server_url(cluster))
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .unwrap();
    });
    let config = dir.join(format!("{name}.json"));
    let cfg = serde_json::json!({
        "database": {"host": "127.0.0.1", "port": cluster.port(), "user": "postgres",
                     "password": cluster.password(), "dbname": name, "sslmode": "disable"},
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        // The phases after the core ones spend what budget the faults leave (by design, so
        // the two runs would differ in them); this run judges the core collection.
        "collection": {"repo_clone_dir": dir.join(format!("{name}-clones")),
                       "enrich_per_run": 0, "resolve_per_run": 0}
    });
    std::fs::write(&config, cfg.to_string()).unwrap();
    let ok = |o: &Output, what: &str| assert!(o.status.success(), "{name}: {what}: {}", text(o));
    ok(
        &aveloxis(&config, &["migrate", "--skip-views"], None),
        "migrate",
    );
    for t in DEFAULT_TOKENS {
        ok(
            &aveloxis(&config, &["add-key", "-"], Some(&format!("{t}\n"))),
            "add-key",
        );
    }
    let url = forge.web_url("mock-org", "augur");
    let mut failed = Vec::new();
    for _ in 0..3 {
        let out = aveloxis(&config, &["collect", "--full", &url], None);
        if out.status.success() {
            return (format!("{}/{name}", server_url(cluster)), failed);
        }
        failed.push(text(&out));
    }
    panic!("{name}: three collections failed: {failed:#?}");
}

#[test]
fn a_collection_through_every_fault_ends_identical_to_a_clean_one_but_for_the_quarantined_item() {
    let cluster = aveloxis_pg::Cluster::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clean_forge = forge(false, 0);
    let (clean, clean_failures) = collected(&cluster, "fault_clean", &clean_forge, dir.path());
    assert!(clean_failures.is_empty(), "{clean_failures:#?}");
    let port = url::Url::parse(&clean_forge.base_url())
        .unwrap()
        .port()
        .unwrap();
    drop(clean_forge);
    let faulted_forge = forge(true, port);
    let (faulted, failures) = collected(&cluster, "fault_run", &faulted_forge, dir.path());
    eprintln!(
        "fault run: {} failed attempt(s) before the one that succeeded",
        failures.len()
    );
    // Only the refused cross-host link may fail a run, and it names the other host.
    for f in &failures {
        assert!(
            f.contains("127.0.0.1:9"),
            "a run failed for another reason: {f}"
        );
    }

    let out = harness(
        &[
            "shadow-diff",
            "--released-dsn",
            &clean,
            "--new-dsn",
            &faulted,
            "--json",
        ],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("shadow-diff --json: {e}: {}", text(&out)));
    let mut differing = Vec::new();
    for t in report["tables"].as_array().unwrap() {
        if t["verdict"] != "PASS" {
            differing.push((
                t["table"].as_str().unwrap().to_owned(),
                t["fail_missing"]["rows"].as_u64().unwrap(),
                t["fail_content"]["rows"].as_u64().unwrap(),
                t["flag_extra"]["rows"].as_u64().unwrap(),
            ));
        }
    }
    assert!(report["tables"].as_array().unwrap().len() > 40, "{report}");
    // The one release held in quarantine is the only difference.
    assert_eq!(
        differing,
        [("releases".to_owned(), 1, 0, 0)],
        "tables that differ from the clean run"
    );
    let held: Vec<(String, String, String)> = runtime().block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&faulted).await.unwrap();
        sqlx::query_as(
            "SELECT entity_type, reason, action FROM aveloxis_ops.quarantine ORDER BY quarantine_id",
        )
        .fetch_all(&mut c)
        .await
        .unwrap()
    });
    assert_eq!(held.len(), 1, "{held:?}");
    let (entity, reason, action) = &held[0];
    assert!(entity.contains("release"), "{held:?}");
    assert!(reason.contains("not a date"), "{reason}");
    assert_eq!(action, "held");
}
