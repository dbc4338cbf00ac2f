//! Claims: a job whose claim is lost stops, writes under a lost claim are refused, `aveloxis
//! collect` never runs beside a `serve` holding the same repository, and a stop signal to the
//! daemon's process group neither reaches git nor costs the clone.

use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use crate::daemon::*;
use crate::support::*;

const FIRST: &str = "(SELECT min(repo_id) FROM aveloxis_data.repos)";

async fn statuses_of_first(db: &TestDb) -> Vec<(String, String)> {
    let mut conn = db.connect().await;
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT worker, status FROM aveloxis_ops.worker_history WHERE repo_id = {FIRST}
          ORDER BY history_id"
    )))
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_job_whose_claim_is_recovered_is_cancelled_and_recorded_lost_not_successful() {
    let (_forge, db, mut s) = first_repo_in_flight(2, &["--workers", "1"]).await;
    let mut conn = db.connect().await;
    // The process looks dead to another scheduler (a VM pause, SIGSTOP): its claim is recovered.
    let recovered = aveloxis_core::queue::recover_stale(&mut conn, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(recovered.len(), 1);
    // Noticed by the next heartbeat, long before the 30 s answer would have ended the job.
    wait_until(
        &db,
        "SELECT EXISTS (SELECT 1 FROM aveloxis_ops.worker_history WHERE status = 'lost'
                          AND repo_id = (SELECT min(repo_id) FROM aveloxis_data.repos))",
        Duration::from_secs(15),
    )
    .await;
    // The repository was due again, so it is collected once more, now in full.
    wait_until(
        &db,
        "SELECT count(*) = 2 FROM aveloxis_ops.collection_queue WHERE last_collected IS NOT NULL AND status = 'queued'",
        Duration::from_secs(60),
    )
    .await;
    sigterm(&s);
    assert!(wait_exit(&mut s, Duration::from_secs(30)).success());
    let statuses: Vec<String> = statuses_of_first(&db)
        .await
        .into_iter()
        .map(|(_, st)| st)
        .collect();
    assert_eq!(
        statuses,
        ["claimed", "recovered", "lost", "claimed", "success"],
        "history of the first repository"
    );
}

#[tokio::test]
async fn processing_under_a_claim_that_is_not_held_writes_nothing() {
    let forge = fleet_forge(1, None);
    let db = migrated_db().await;
    configure(&db, &forge);
    seed_fleet(&db, &forge, 1).await;
    db.run(&["collect", &forge.web_url("mock-org", "fleet-00000")]);
    let mut conn = db.connect().await;
    let repo_id: i64 = sqlx::query_scalar("SELECT min(repo_id) FROM aveloxis_data.repos")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let pages = sqlx::query("UPDATE aveloxis_ops.staging SET processed = false")
        .execute(&mut conn)
        .await
        .unwrap()
        .rows_affected();
    assert!(pages > 0);
    // Another worker holds the repository now.
    sqlx::query(
        "UPDATE aveloxis_ops.collection_queue SET status = 'collecting', locked_by = 'other:1:w0',
                heartbeat_at = now() WHERE repo_id = $1",
    )
    .bind(repo_id)
    .execute(&mut conn)
    .await
    .unwrap();
    use aveloxis_core::queue::{ClaimLost, Fence};
    let err = aveloxis_core::collect::process_staged(
        &mut conn,
        repo_id,
        Fence::Claim("me:1:w0".into()),
        Default::default(),
    )
    .await
    .expect_err("processing under a claim that is not held");
    assert!(err.downcast_ref::<ClaimLost>().is_some(), "{err:#}");
    let err = aveloxis_core::collect::process_staged(
        &mut conn,
        repo_id,
        Fence::Unclaimed,
        aveloxis_core::collect::Budget::default(),
    )
    .await
    .expect_err("draining pages of a repository someone collects");
    assert!(format!("{err:#}").contains("other:1:w0"), "{err:#}");
    let unprocessed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM aveloxis_ops.staging WHERE NOT processed")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(unprocessed, pages as i64, "pages were marked processed");
    // Once the claim is this worker's, the same call writes.
    sqlx::query(
        "UPDATE aveloxis_ops.collection_queue SET locked_by = 'me:1:w0' WHERE repo_id = $1",
    )
    .bind(repo_id)
    .execute(&mut conn)
    .await
    .unwrap();
    let counts = aveloxis_core::collect::process_staged(
        &mut conn,
        repo_id,
        Fence::Claim("me:1:w0".into()),
        Default::default(),
    )
    .await
    .unwrap();
    assert!(counts.get("issues") > 0, "{counts:?}");
}

#[tokio::test]
async fn collect_refuses_a_repository_that_serve_is_collecting() {
    let forge = fleet_forge(
        1,
        Some(serde_json::json!({"seed": 1, "rules": [
            {"route": "/repos/mock-org/fleet-00000/releases", "nth": [1], "fault": {"kind": "slow", "delay_ms": 8000}}
        ]})),
    );
    let db = migrated_db().await;
    configure(&db, &forge);
    seed_fleet(&db, &forge, 1).await;
    let mut s = serve(&db, &["--workers", "1"]);
    wait_until(
        &db,
        "SELECT EXISTS (SELECT 1 FROM aveloxis_ops.collection_queue WHERE status = 'collecting')",
        Duration::from_secs(60),
    )
    .await;
    let out = db
        .aveloxis()
        .args(["collect", &forge.web_url("mock-org", "fleet-00000")])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!out.status.success(), "collect ran beside serve: {err}");
    assert!(err.contains("being collected by"), "{err}");
    wait_until(
        &db,
        "SELECT EXISTS (SELECT 1 FROM aveloxis_ops.collection_queue WHERE last_collected IS NOT NULL AND status = 'queued')",
        Duration::from_secs(60),
    )
    .await;
    sigterm(&s);
    assert!(wait_exit(&mut s, Duration::from_secs(30)).success());
    // Only the serve worker ever claimed it; and `collect` itself goes through the queue.
    let claimers: Vec<String> = statuses_of_first(&db)
        .await
        .into_iter()
        .filter(|(_, st)| st == "claimed")
        .map(|(w, _)| w)
        .collect();
    assert_eq!(claimers.len(), 1, "{claimers:?}");
    db.run(&["collect", &forge.web_url("mock-org", "fleet-00000")]);
    let last = statuses_of_first(&db).await;
    let (w, st) = last.last().unwrap();
    assert!(w.ends_with(":collect") && st == "success", "{last:?}");
}

/// Pids of running `git fetch` processes working on `path`.
fn git_fetches_on(path: &std::path::Path) -> Vec<i32> {
    let needle = path.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmd
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.iter().any(|a| a == "fetch") && args.iter().any(|a| a.contains(&needle)) {
            pids.push(pid);
        }
    }
    pids
}

#[tokio::test]
async fn ctrl_c_to_the_serve_process_group_neither_reaches_git_nor_costs_the_clone() {
    // The second smart-HTTP handshake (the fetch of the second collection) answers slowly.
    let forge = fleet_forge(
        1,
        Some(serde_json::json!({"seed": 1, "rules": [
            {"route": "/mock-org/fleet-00000.git/info/refs", "nth": [2], "fault": {"kind": "slow", "delay_ms": 4000}}
        ]})),
    );
    let db = migrated_db().await;
    configure(&db, &forge);
    seed_fleet(&db, &forge, 1).await;
    let url = forge.web_url("mock-org", "fleet-00000");
    db.run(&["collect", &url]);
    let mut conn = db.connect().await;
    let repo_id: i64 = sqlx::query_scalar("SELECT min(repo_id) FROM aveloxis_data.repos")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let clone = db.dir.path().join("clones").join(format!("{repo_id}.git"));
    let marker = clone.join("kept-by-test");
    std::fs::write(&marker, "the same clone").unwrap();
    sqlx::query("UPDATE aveloxis_ops.collection_queue SET due_at = now()")
        .execute(&mut conn)
        .await
        .unwrap();

    // serve leads its own process group, as a shell's foreground job does.
    let mut cmd = serve_command(&db, &["--workers", "1"]);
    cmd.process_group(0);
    let mut s = cmd.spawn().unwrap();
    let t = Instant::now();
    while git_fetches_on(&clone).is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no git fetch started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Ctrl-C: SIGINT to every process of the group.
    let group = format!("-{}", s.id());
    let sent = std::process::Command::new("kill")
        .args(["-INT", "--", &group])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = wait_exit(&mut s, Duration::from_secs(60));
    assert!(status.success(), "{status:?}");
    assert!(
        marker.exists(),
        "the clone was deleted and cloned again after the signal"
    );
    let history = statuses_of_first(&db).await;
    assert_eq!(
        history.last().map(|(_, st)| st.as_str()),
        Some("success"),
        "{history:?}"
    );
}
