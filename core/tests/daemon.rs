//! `aveloxis serve` processes sharing one queue, against the mock forge.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Scenario};

use crate::support::*;

pub(crate) fn fleet_forge(n: usize, faults: Option<serde_json::Value>) -> MockForge {
    let mut s = Scenario::fleet(n, 21);
    s.rate_limit.limit = 10_000_000;
    if let Some(f) = faults {
        s = s.with_faults(serde_json::from_value(f).unwrap());
    }
    MockForge::start(s).unwrap()
}

pub(crate) fn configure(db: &TestDb, forge: &MockForge) {
    db.configure(serde_json::json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        "collection": {"days_until_recollect": 1}
    }));
}

/// Queue `n` fleet repositories, all in one group as an org URL adds them, with one multi-row
/// insert (priority 100).
pub(crate) async fn seed_fleet(db: &TestDb, forge: &MockForge, n: usize) {
    let mut conn = db.connect().await;
    let urls: Vec<String> = (0..n)
        .map(|i| forge.web_url("mock-org", &format!("fleet-{i:05}")))
        .collect();
    sqlx::query(
        "WITH g AS (
             INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type) VALUES ('mock-org', 'github_org')
             RETURNING repo_group_id),
         r AS (
             INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_owner, repo_name, repo_group_id)
             SELECT 1, u, 'mock-org', regexp_replace(u, '^.*/', ''), g.repo_group_id
               FROM unnest($1::text[]) u, g
             RETURNING repo_id)
         INSERT INTO aveloxis_ops.collection_queue (repo_id, priority) SELECT repo_id, 100 FROM r",
    )
    .bind(&urls)
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("INSERT INTO aveloxis_ops.worker_oauth (access_token, platform) SELECT unnest($1::text[]), 'github'")
        .bind(DEFAULT_TOKENS.iter().map(|t| t.to_string()).collect::<Vec<_>>())
        .execute(&mut conn)
        .await
        .unwrap();
}

pub(crate) fn serve(db: &TestDb, extra: &[&str]) -> Child {
    serve_command(db, extra).spawn().unwrap()
}

/// The `serve` command of [`serve`], not yet started.
pub(crate) fn serve_command(db: &TestDb, extra: &[&str]) -> Command {
    let mut c = db.aveloxis();
    c.args([
        "serve",
        "--poll-ms",
        "200",
        "--heartbeat-ms",
        "300",
        "--scheduler-ms",
        "300",
    ]);
    if !extra.contains(&"--monitor") {
        c.args(["--monitor", "off"]);
    }
    c.args(extra)
        .env("AVELOXIS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

pub(crate) fn sigterm(c: &Child) {
    Command::new("kill")
        .arg("-TERM")
        .arg(c.id().to_string())
        .status()
        .unwrap();
}

pub(crate) fn wait_exit(c: &mut Child, within: Duration) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(s) = c.try_wait().unwrap() {
            return s;
        }
        assert!(t.elapsed() < within, "serve did not exit within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) async fn wait_until(db: &TestDb, sql: &'static str, within: Duration) {
    let mut conn = db.connect().await;
    let t = Instant::now();
    loop {
        let ok: bool = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
        if ok {
            return;
        }
        assert!(t.elapsed() < within, "timed out waiting for: {sql}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn four_serve_processes_collect_a_fleet_exactly_once_in_priority_order() {
    const N: usize = 1000;
    let forge = fleet_forge(N, None);
    let db = migrated_db().await;
    configure(&db, &forge);
    seed_fleet(&db, &forge, N).await;
    let mut conn = db.connect().await;
    // 20 repositories are urgent: the operator's override and a better priority.
    sqlx::raw_sql(
        "UPDATE aveloxis_ops.collection_queue SET priority = 0 WHERE repo_id IN (SELECT repo_id FROM aveloxis_data.repos ORDER BY repo_id DESC LIMIT 10);
         UPDATE aveloxis_ops.collection_queue SET priority = 10 WHERE repo_id IN (SELECT repo_id FROM aveloxis_data.repos ORDER BY repo_id DESC OFFSET 10 LIMIT 10);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let mut procs: Vec<Child> = (0..4).map(|_| serve(&db, &["--workers", "3"])).collect();
    wait_until(
        &db,
        "SELECT count(*) = 1000 FROM aveloxis_ops.collection_queue WHERE last_collected IS NOT NULL AND status = 'queued'",
        Duration::from_secs(1200),
    )
    .await;
    for p in &procs {
        sigterm(p);
    }
    for p in &mut procs {
        assert!(wait_exit(p, Duration::from_secs(60)).success());
    }
    // Exactly once, from the data: one claim and one success per repository, by 4 processes.
    let (claims, successes, repos_once, processes, other): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'claimed'),
                count(*) FILTER (WHERE status = 'success'),
                (SELECT count(*) FROM (SELECT repo_id FROM aveloxis_ops.worker_history
                                        WHERE status = 'claimed' GROUP BY repo_id HAVING count(*) = 1) x),
                count(DISTINCT split_part(worker, ':w', 1)) FILTER (WHERE status = 'claimed'),
                count(*) FILTER (WHERE status NOT IN ('claimed', 'success'))
           FROM aveloxis_ops.worker_history",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        (claims, successes, repos_once, other),
        (N as i64, N as i64, N as i64, 0)
    );
    assert_eq!(processes, 4, "every process took part");
    // Priorities: the 20 urgent repositories were among the first claims (12 workers race).
    let late: i64 = sqlx::query_scalar(
        "WITH c AS (SELECT repo_id, row_number() OVER (ORDER BY history_id) AS n
                      FROM aveloxis_ops.worker_history WHERE status = 'claimed')
         SELECT count(*) FROM c JOIN aveloxis_ops.collection_queue q USING (repo_id)
          WHERE q.repo_id IN (SELECT repo_id FROM aveloxis_data.repos ORDER BY repo_id DESC LIMIT 20)
            AND c.n > 20 + 12",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(late, 0);
    // Priority 0 is an override: back to the default after collection; re-queued a day out.
    let (zero, soon): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE priority = 0), count(*) FILTER (WHERE due_at < now() + interval '23 hours')
           FROM aveloxis_ops.collection_queue",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((zero, soon), (0, 0));
    let truth = forge.ground_truth();
    let want: usize = truth.repos.values().map(|r| r.issues).sum();
    let got: i64 = sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.issues")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(got as usize, want);
}

#[tokio::test]
async fn four_serve_processes_collect_exactly_once_while_the_forge_moves_between_claims() {
    const N: usize = 120;
    let mut s = Scenario::fleet(N, 22).with_days(1, 22);
    s.rate_limit.limit = 10_000_000;
    let forge = MockForge::start(s).unwrap();
    let day1 = forge.ground_truth_of(1).unwrap();
    let db = migrated_db().await;
    configure(&db, &forge);
    seed_fleet(&db, &forge, N).await;
    let mut procs: Vec<Child> = (0..4).map(|_| serve(&db, &["--workers", "2"])).collect();
    wait_until(
        &db,
        "SELECT count(*) >= 30 FROM aveloxis_ops.collection_queue WHERE last_collected IS NOT NULL",
        Duration::from_secs(600),
    )
    .await;
    // The forge moves on while the fleet is being collected: runs see day 0, day 1, or both
    // (a clone that straddles the move can fail: the run is an error, retried below).
    forge.set_day(1);
    wait_until(
        &db,
        "SELECT count(*) = 120 FROM aveloxis_ops.collection_queue
          WHERE status = 'queued' AND (last_collected IS NOT NULL OR last_error IS NOT NULL)",
        Duration::from_secs(900),
    )
    .await;
    // One more incremental round brings every repository to the day the forge shows.
    let mut conn = db.connect().await;
    let moved: chrono::DateTime<chrono::Utc> = sqlx::query_scalar(
        "UPDATE aveloxis_ops.collection_queue SET due_at = now() RETURNING now()",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let t = Instant::now();
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM aveloxis_ops.collection_queue
              WHERE status = 'queued' AND last_collected >= $1",
        )
        .bind(moved)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if done == N as i64 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(900),
            "{done} of {N} collected again"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for p in &procs {
        sigterm(p);
    }
    for p in &mut procs {
        assert!(wait_exit(p, Duration::from_secs(60)).success());
    }
    let (claims, repos_twice, other): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'claimed'),
                (SELECT count(*) FROM (SELECT repo_id FROM aveloxis_ops.worker_history
                                        WHERE status = 'claimed' GROUP BY repo_id HAVING count(*) = 2) x),
                count(*) FILTER (WHERE status NOT IN ('claimed', 'success', 'error'))
           FROM aveloxis_ops.worker_history",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((claims, repos_twice, other), (2 * N as i64, N as i64, 0));
    let per_repo: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT r.repo_name,
                (SELECT count(*) FROM aveloxis_data.issues i WHERE i.repo_id = r.repo_id),
                (SELECT count(*) FROM aveloxis_data.messages m WHERE m.repo_id = r.repo_id)
           FROM aveloxis_data.repos r ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let wrong: Vec<String> = per_repo
        .into_iter()
        .filter_map(|(name, issues, messages)| {
            let t = day1.repo(&format!("mock-org/{name}")).unwrap();
            let want = (t.issues as i64, t.messages as i64);
            (want != (issues, messages))
                .then(|| format!("{name}: {:?} != {want:?}", (issues, messages)))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A fleet of `n` whose first repository is collected first and answers its releases after
/// 30 s, with one `serve` (`serve_args`) started and that job surely in flight.
pub(crate) async fn first_repo_in_flight(
    n: usize,
    serve_args: &[&str],
) -> (MockForge, TestDb, Child) {
    let forge = fleet_forge(
        n,
        Some(serde_json::json!({"seed": 1, "rules": [
            {"route": "/repos/mock-org/fleet-00000/releases", "nth": [1], "fault": {"kind": "slow", "delay_ms": 30000}}
        ]})),
    );
    let db = migrated_db().await;
    configure(&db, &forge);
    seed_fleet(&db, &forge, n).await;
    let mut conn = db.connect().await;
    sqlx::query("UPDATE aveloxis_ops.collection_queue SET priority = 0 WHERE repo_id = (SELECT min(repo_id) FROM aveloxis_data.repos)")
        .execute(&mut conn)
        .await
        .unwrap();
    let s = serve(&db, serve_args);
    wait_until(
        &db,
        "SELECT EXISTS (SELECT 1 FROM aveloxis_ops.collection_queue WHERE status = 'collecting'
                          AND repo_id = (SELECT min(repo_id) FROM aveloxis_data.repos))",
        Duration::from_secs(60),
    )
    .await;
    (forge, db, s)
}

#[tokio::test]
async fn a_sigkilled_worker_is_recovered_by_another_process_without_loss() {
    let (forge, db, mut victim) =
        first_repo_in_flight(6, &["--workers", "1", "--stale-after-ms", "2000"]).await;
    let mut conn = db.connect().await;
    victim.kill().unwrap();
    victim.wait().unwrap();
    let mut survivor = serve(&db, &["--workers", "2", "--stale-after-ms", "2000"]);
    wait_until(
        &db,
        "SELECT count(*) = 6 FROM aveloxis_ops.collection_queue WHERE last_collected IS NOT NULL AND status = 'queued'",
        Duration::from_secs(120),
    )
    .await;
    sigterm(&survivor);
    assert!(wait_exit(&mut survivor, Duration::from_secs(60)).success());
    let recovered: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_ops.worker_history WHERE status = 'recovered'
            AND repo_id = (SELECT min(repo_id) FROM aveloxis_data.repos)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(recovered, 1);
    let truth = forge.ground_truth();
    let t = truth.repo("mock-org/fleet-00000").unwrap();
    let (issues, releases): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM aveloxis_data.issues WHERE repo_id = m.id),
                (SELECT count(*) FROM aveloxis_data.releases WHERE repo_id = m.id)
           FROM (SELECT min(repo_id) AS id FROM aveloxis_data.repos) m",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((issues as usize, releases as usize), (t.issues, t.releases));
}

#[tokio::test]
async fn sigterm_exits_within_the_bound_and_leaves_nothing_collecting() {
    let forge = fleet_forge(
        3,
        Some(serde_json::json!({"seed": 1, "rules": [
            {"route": "/repos/mock-org/*/releases", "fault": {"kind": "slow", "delay_ms": 20000}}
        ]})),
    );
    let db = migrated_db().await;
    configure(&db, &forge);
    seed_fleet(&db, &forge, 3).await;
    let mut s = serve(&db, &["--workers", "3", "--shutdown-grace-ms", "1500"]);
    wait_until(
        &db,
        "SELECT count(*) = 3 FROM aveloxis_ops.collection_queue WHERE status = 'collecting'",
        Duration::from_secs(60),
    )
    .await;
    let t = Instant::now();
    sigterm(&s);
    let status = wait_exit(&mut s, Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    let mut conn = db.connect().await;
    let collecting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_ops.collection_queue WHERE status = 'collecting'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(collecting, 0);
}

#[tokio::test]
async fn metrics_parse_and_change_as_work_is_done() {
    let forge = fleet_forge(4, None);
    let db = migrated_db().await;
    configure(&db, &forge);
    seed_fleet(&db, &forge, 4).await;
    let (_, addr) = free_loopback_addr();
    let mut s = serve(&db, &["--workers", "2", "--monitor", &addr]);
    let get = |path: &str| -> Option<String> {
        let out = Command::new("curl")
            .args(["-sf", &format!("http://{addr}{path}")])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let t = Instant::now();
    let first = loop {
        if let Some(m) = get("/metrics") {
            break m;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "monitor did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    wait_until(
        &db,
        "SELECT count(*) = 4 FROM aveloxis_ops.collection_queue WHERE last_collected IS NOT NULL",
        Duration::from_secs(120),
    )
    .await;
    let later = get("/metrics").unwrap();
    assert_eq!(get("/healthz").as_deref(), Some("ok\n"));
    let value = |text: &str, name: &str, label: Option<(&str, &str)>| -> f64 {
        let lines = text.lines().map(|l| Ok(l.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).expect("valid Prometheus text format");
        scrape
            .samples
            .iter()
            .filter(|s| s.metric == name)
            .filter(|s| label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => 0.0,
            })
            .sum()
    };
    assert_eq!(
        value(&first, "aveloxis_jobs_total", Some(("outcome", "success"))),
        0.0
    );
    assert_eq!(
        value(&later, "aveloxis_jobs_total", Some(("outcome", "success"))),
        4.0
    );
    assert!(
        value(&later, "aveloxis_rate_limit_remaining", None) > 0.0,
        "{later}"
    );
    assert!(
        later.contains("aveloxis_job_duration_seconds_count 4"),
        "{later}"
    );
    assert!(!later.contains(DEFAULT_TOKENS[0]));
    sigterm(&s);
    assert!(wait_exit(&mut s, Duration::from_secs(30)).success());
}

/// `curl` a monitor path with extra headers; (status, body).
#[tokio::test]
async fn the_monitor_answers_only_its_own_host_and_refuses_cross_origin_boosts_with_a_valid_token()
{
    let forge = fleet_forge(1, None);
    let db = migrated_db().await;
    configure(&db, &forge);
    seed_fleet(&db, &forge, 1).await;
    let repo_id: i64 = sqlx::query_scalar("SELECT repo_id FROM aveloxis_data.repos LIMIT 1")
        .fetch_one(&mut db.connect().await)
        .await
        .unwrap();
    let (port, addr) = free_loopback_addr();
    let mut s = serve(&db, &["--workers", "0", "--monitor", &addr]);
    let t = Instant::now();
    while curl(&format!("http://{addr}/healthz"), "GET", &[]).0 != "200" {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "monitor did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The page carries the token for our own Host (and its loopback aliases) only.
    let (status, page) = curl(&format!("http://{addr}/"), "GET", &[]);
    assert_eq!(status, "200");
    let token = page
        .split("content=\"")
        .map(|p| p.split('"').next().unwrap_or(""))
        .find(|t| t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("the page's token")
        .to_owned();
    assert_eq!(
        curl(
            &format!("http://{addr}/"),
            "GET",
            &[&format!("Host: localhost:{port}")]
        )
        .0,
        "200"
    );
    // A rebinding page's requests carry its own name as Host: no page, no token, no API.
    for path in ["/", "/api/queue", "/metrics"] {
        let (status, body) = curl(
            &format!("http://{addr}{path}"),
            "GET",
            &["Host: rebind.evil.example"],
        );
        assert_eq!(status, "421", "{path}: {body}");
        assert!(!body.contains(&token), "{path} leaked the token");
    }
    // Paging arithmetic cannot be made to overflow.
    let (status, body) = curl(
        &format!("http://{addr}/api/queue?page=9223372036854775807&per_page=500"),
        "GET",
        &[],
    );
    assert_eq!(status, "200", "{body}");
    // With the real token, a cross-origin boost is still refused by its Origin; a boost from
    // the page's own origin goes through (so the refusal above is the Origin check's).
    let boost = format!("http://{addr}/api/prioritize/{repo_id}");
    let with_token = format!("X-Aveloxis-Token: {token}");
    let (status, body) = curl(
        &boost,
        "POST",
        &[&with_token, "Origin: http://evil.example"],
    );
    assert_eq!(status, "403", "{body}");
    assert!(body.contains("cross-origin"), "{body}");
    let (status, body) = curl(
        &boost,
        "POST",
        &[&with_token, &format!("Origin: http://{addr}")],
    );
    assert_eq!(status, "200", "{body}");
    sigterm(&s);
    wait_exit(&mut s, Duration::from_secs(30));
}
