//! Optional endpoints: a forge's known "none" answers (410 issues disabled, 204 / 409 for an
//! empty repository, 403 "too large to list", 404 traffic; GitLab's 403 for a disabled feature)
//! are zero items and a note the monitor shows, and the collection succeeds; any other answer
//! still fails it.

use aveloxis_mock_forge::faults::FaultConfig;
use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};
use serde_json::json;

use crate::support::*;

async fn count(conn: &mut sqlx::PgConnection, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM aveloxis_data.{table}"
    )))
    .fetch_one(conn)
    .await
    .unwrap()
}

async fn notes(conn: &mut sqlx::PgConnection) -> Vec<(String, i16, String)> {
    sqlx::query_as(
        "SELECT endpoint, status, reason FROM aveloxis_ops.endpoint_notes ORDER BY endpoint",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

fn faults(rules: serde_json::Value) -> FaultConfig {
    serde_json::from_value(json!({"seed": 1, "rules": rules})).unwrap()
}

/// `GET /api/queue` of a monitor started on this database (no workers).
fn monitor_queue(db: &TestDb) -> serde_json::Value {
    let (status, body) = Monitor::start(db).get("/api/queue");
    assert_eq!(status, "200", "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn optional_endpoints_that_have_nothing_are_noted_and_the_collection_succeeds() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 42).with_faults(faults(json!([
        {"route": "/repos/*/*/issues", "every": 1, "fault": {"kind": "status", "status": 410,
            "message": "Issues are disabled for this repo"}},
        {"route": "/repos/*/*/contributors", "nth": [1], "fault": {"kind": "status", "status": 204}},
        {"route": "/repos/*/*/contributors", "nth": [2], "fault": {"kind": "status", "status": 403,
            "message": "The history or contributor list is too large to list contributors for this repository via the API."}},
        {"route": "/repos/*/*/contributors", "nth": [3], "fault": {"kind": "status", "status": 409,
            "message": "Git Repository is empty."}},
        {"route": "/repos/*/*/contributors", "nth": [4], "fault": {"kind": "status", "status": 403,
            "message": "Resource not accessible by integration"}},
        {"route": "/repos/*/*/traffic/clones", "every": 1, "fault": {"kind": "status", "status": 404}}
    ]))))
    .unwrap();
    let t = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    let db = migrated_db().await;
    db.configure(json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()}
    }));
    db.run(&["add-key", DEFAULT_TOKENS[0]]);
    let url = forge.web_url("mock-org", "tiny");
    db.run(&["add-repo", &url]);

    let out = db.run(&["collect", &url, "--full"]);
    assert!(
        stdout(&out).contains("note: issues answered 410"),
        "{}",
        stdout(&out)
    );
    let mut conn = db.connect().await;
    assert_eq!(count(&mut conn, "issues").await, 0);
    assert_eq!(
        count(&mut conn, "pull_requests").await as usize,
        t.pull_requests
    );
    assert_eq!(count(&mut conn, "releases").await as usize, t.releases);
    assert_eq!(count(&mut conn, "repo_clones").await, 0);
    let commits: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT cmt_commit_hash) FROM aveloxis_data.commits")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(commits as usize, t.commits);
    let n = notes(&mut conn).await;
    let statuses: Vec<(&str, i16)> = n.iter().map(|(e, s, _)| (e.as_str(), *s)).collect();
    assert_eq!(
        statuses,
        vec![
            ("contributors", 204),
            ("issues", 410),
            ("traffic/clones", 404)
        ]
    );
    assert!(n[1].2.contains("disabled"), "{n:?}");

    // The next runs meet the other "none" answers of contributors; each replaces the note.
    db.run(&["collect", &url]);
    assert!(notes(&mut conn).await.contains(&(
        "contributors".into(),
        403,
        "the contributor list is too large for the API".into()
    )));
    db.run(&["collect", &url]);
    assert!(
        notes(&mut conn)
            .await
            .iter()
            .any(|(e, s, _)| e == "contributors" && *s == 409)
    );
    let status: String =
        sqlx::query_scalar("SELECT core_status FROM aveloxis_ops.collection_status")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(status, "Success");

    // The monitor shows the notes with the repository.
    let q = monitor_queue(&db);
    let shown: Vec<String> = q["rows"][0]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| format!("{} {}", n["endpoint"].as_str().unwrap(), n["status"]))
        .collect();
    assert_eq!(
        shown,
        ["contributors 409", "issues 410", "traffic/clones 404"]
    );

    // A 403 that is not one of the known answers still fails the collection.
    let out = db.aveloxis().args(["collect", &url]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("Resource not accessible by integration"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn a_gitlab_feature_switched_off_is_noted_and_the_rest_is_collected() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 42).with_faults(faults(json!([
        {"route": "/api/v4/projects/*/issues", "every": 1, "fault": {"kind": "status", "status": 403,
            "message": "403 Forbidden"}},
        {"route": "/api/v4/projects/*/merge_requests", "nth": [2], "fault": {"kind": "status",
            "status": 409, "message": "409 Conflict"}}
    ]))))
    .unwrap();
    let t = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    let db = migrated_db().await;
    db.configure(json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url().replace("127.0.0.1", "localhost")},
        "gitlab": {"api_url": forge.gitlab_api_url(), "web_url": forge.base_url()}
    }));
    db.run(&["add-key", "--platform", "gitlab", DEFAULT_TOKENS[0]]);
    let url = forge.web_url("mock-org", "tiny");
    db.run(&["collect", &url, "--full"]);
    let mut conn = db.connect().await;
    assert_eq!(count(&mut conn, "issues").await, 0);
    assert_eq!(
        count(&mut conn, "pull_requests").await as usize,
        t.pull_requests
    );
    assert_eq!(count(&mut conn, "releases").await as usize, t.releases);
    let n = notes(&mut conn).await;
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!((n[0].0.as_str(), n[0].1), ("issues", 403));
    // A status merge requests never answer for "none" fails the run.
    let out = db.aveloxis().args(["collect", &url]).output().unwrap();
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(stderr(&out).contains("409"), "{}", stderr(&out));
}
