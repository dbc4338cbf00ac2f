//! A bad value holds its item, not the run: poisoned listings from the mock forge (over real
//! sockets, through the real binary), staged pages processed in process, a commit with an
//! impossible time-zone offset made with real git — and the quarantine that says why.

use std::process::Command;

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};
use serde_json::{Value, json};
use sqlx::PgConnection;

use crate::support::*;

/// The tiny world, with one fault rule.
fn forge_with(rule: Value) -> MockForge {
    let faults = serde_json::from_value(json!({"seed": 1, "rules": [rule]})).unwrap();
    MockForge::start(Scenario::generate(Preset::Tiny, 42).with_faults(faults)).unwrap()
}

fn configure(db: &TestDb, forge: &MockForge) {
    db.configure(json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()}
    }));
    db.run(&["add-key", DEFAULT_TOKENS[0]]);
}

async fn count(conn: &mut PgConnection, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM aveloxis_data.{table}"
    )))
    .fetch_one(conn)
    .await
    .unwrap()
}

async fn unprocessed(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM aveloxis_ops.staging WHERE NOT processed")
        .fetch_one(conn)
        .await
        .unwrap()
}

/// One quarantined item: entity, target, reason, item, times seen, action.
type Held = (String, String, String, Value, i32, String);

async fn quarantined(conn: &mut PgConnection) -> Vec<Held> {
    sqlx::query_as(
        "SELECT entity_type, target, reason, item, times_seen, action
           FROM aveloxis_ops.quarantine ORDER BY quarantine_id",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// `curl` a monitor path; (status, body).
/// `/api/quarantine?repo_id=…` of a `serve` with no workers.
fn monitor_quarantine(db: &TestDb, repo_id: i64) -> Value {
    let (status, body) = Monitor::start(db).get(&format!("/api/quarantine?repo_id={repo_id}"));
    assert_eq!(status, "200", "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn a_listed_item_with_a_date_that_is_not_a_date_is_quarantined_and_the_rest_written() {
    let forge = forge_with(json!({"route": "/repos/*/*/pulls", "every": 1,
        "fault": {"kind": "poison", "item": 0, "field": "created_at", "value": "not a date"}}));
    let t = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    assert!(
        (2..=100).contains(&t.pull_requests),
        "one page of pull requests"
    );
    let db = migrated_db().await;
    configure(&db, &forge);
    let url = forge.web_url("mock-org", "tiny");
    let out = db.run(&["collect", &url, "--full"]);
    assert!(
        stdout(&out).contains("1 pulls items quarantined"),
        "{}",
        stdout(&out)
    );
    let mut conn = db.connect().await;
    assert_eq!(
        count(&mut conn, "pull_requests").await as usize,
        t.pull_requests - 1
    );
    assert_eq!(count(&mut conn, "issues").await as usize, t.issues);
    assert_eq!(count(&mut conn, "releases").await as usize, t.releases);
    assert_eq!(unprocessed(&mut conn).await, 0);
    let held = quarantined(&mut conn).await;
    assert_eq!(held.len(), 1, "{held:?}");
    let (entity, target, reason, item, seen, action) = &held[0];
    assert_eq!(
        (entity.as_str(), target.as_str()),
        ("pulls", "aveloxis_data.pull_requests")
    );
    assert!(
        reason.starts_with("created_at: ") && reason.contains("not a date"),
        "{reason}"
    );
    assert_eq!(item["created_at"], "not a date");
    assert!(item["number"].is_i64(), "the forge's item is kept: {item}");
    assert_eq!((*seen, action.as_str()), (1, "held"));

    // The forge keeps serving it: the next run writes the rest again, and counts the item
    // again instead of holding it twice.
    db.run(&["collect", &url, "--full"]);
    assert_eq!(
        count(&mut conn, "pull_requests").await as usize,
        t.pull_requests - 1
    );
    assert_eq!(unprocessed(&mut conn).await, 0);
    let held = quarantined(&mut conn).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].4, 2);

    // The monitor lists it, with its reason.
    let repo_id: i64 = sqlx::query_scalar("SELECT repo_id FROM aveloxis_data.repos")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let listed = monitor_quarantine(&db, repo_id);
    assert_eq!(listed["total"], 1, "{listed}");
    let row = &listed["rows"][0];
    assert_eq!(row["entity_type"], "pulls", "{listed}");
    assert!(
        row["reason"].as_str().unwrap().contains("created_at"),
        "{listed}"
    );
    assert_eq!(row["item"]["created_at"], "not a date", "{listed}");
}

#[tokio::test]
async fn a_number_out_of_range_or_a_string_for_a_number_holds_its_item_only() {
    // (poison, reason it must start with, where it is caught)
    let cases = [
        (
            json!({"field": "id", "value": 1e20}),
            "platform_pr_id: ",
            "aveloxis_data.pull_requests",
        ),
        (
            json!({"field": "number", "value": "seven"}),
            "number: not an integer",
            "",
        ),
    ];
    for (poison, starts, target) in cases {
        let mut fault = json!({"kind": "poison", "item": 1});
        fault
            .as_object_mut()
            .unwrap()
            .extend(poison.as_object().unwrap().clone());
        let forge = forge_with(json!({"route": "/repos/*/*/pulls", "every": 1, "fault": fault}));
        let t = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
        let db = migrated_db().await;
        configure(&db, &forge);
        db.run(&["collect", &forge.web_url("mock-org", "tiny"), "--full"]);
        let mut conn = db.connect().await;
        assert_eq!(
            count(&mut conn, "pull_requests").await as usize,
            t.pull_requests - 1,
            "{poison}"
        );
        assert_eq!(count(&mut conn, "issues").await as usize, t.issues);
        let held = quarantined(&mut conn).await;
        assert_eq!(held.len(), 1, "{poison}: {held:?}");
        let (entity, got_target, reason, item, _, _) = &held[0];
        assert_eq!(
            (entity.as_str(), got_target.as_str()),
            ("pulls", target),
            "{poison}"
        );
        assert!(reason.starts_with(starts), "{poison}: {reason}");
        assert_eq!(item[poison["field"].as_str().unwrap()], poison["value"]);
        if target.is_empty() {
            continue;
        }
        assert!(reason.contains("out of range"), "{reason}");
    }
}

#[tokio::test]
async fn a_repository_whose_processing_fails_does_not_stage_a_new_set_of_pages_every_run() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let t = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    let db = migrated_db().await;
    configure(&db, &forge);
    let url = forge.web_url("mock-org", "tiny");
    let mut conn = db.connect().await;
    // Planted: the database refuses every pull request (a constraint, not a bad value: the
    // run fails and its pages stay staged).
    sqlx::raw_sql(
        "ALTER TABLE aveloxis_data.pull_requests
           ADD CONSTRAINT ck_test_refuse_prs CHECK (pr_number < 0) NOT VALID",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let fails = || {
        let out = db
            .aveloxis()
            .args(["collect", &url, "--full"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{}", stdout(&out));
        assert!(
            stderr(&out).contains("ck_test_refuse_prs"),
            "{}",
            stderr(&out)
        );
    };
    fails();
    let staged = unprocessed(&mut conn).await;
    assert!(staged > 5, "{staged} pages staged");
    let noted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_ops.staging
          WHERE NOT processed AND error LIKE '%ck_test_refuse_prs%'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(noted, staged, "every pending page says why it is pending");
    fails();
    fails();
    assert_eq!(
        unprocessed(&mut conn).await,
        staged,
        "retries of a failing repository staged new pages"
    );
    // Fixed: the next run writes the old pages, then fetches and writes anew; nothing is left.
    sqlx::raw_sql("ALTER TABLE aveloxis_data.pull_requests DROP CONSTRAINT ck_test_refuse_prs")
        .execute(&mut conn)
        .await
        .unwrap();
    db.run(&["collect", &url, "--full"]);
    assert_eq!(unprocessed(&mut conn).await, 0);
    assert_eq!(
        count(&mut conn, "pull_requests").await as usize,
        t.pull_requests
    );
    assert_eq!(count(&mut conn, "issues").await as usize, t.issues);
    assert!(quarantined(&mut conn).await.is_empty());
}

/// A GitHub repository row to stage pages for.
async fn github_repo(conn: &mut PgConnection) -> i64 {
    let group = test_group(conn).await;
    sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_owner, repo_name, repo_group_id)
         VALUES (1, 'https://github.com/o/r', 'o', 'r', $1) RETURNING repo_id",
    )
    .bind(group)
    .fetch_one(conn)
    .await
    .unwrap()
}

/// Stage a GitHub page of `entity` for `repo_id`, as the fetcher does.
async fn stage(conn: &mut PgConnection, repo_id: i64, entity: &str, items: Value) {
    sqlx::query(
        "INSERT INTO aveloxis_ops.staging (repo_id, platform_id, entity_type, payload)
         VALUES ($1, 1, $2, $3)",
    )
    .bind(repo_id)
    .bind(entity)
    .bind(json!({"ctx": null, "items": items}))
    .execute(conn)
    .await
    .unwrap();
}

fn issue(id: i64, title: &str) -> Value {
    json!({"id": id, "number": id, "title": title, "state": "open",
           "created_at": "2024-01-01T00:00:00Z", "user": {"id": 5, "login": "u"}})
}

#[tokio::test]
async fn of_two_staged_versions_of_an_item_the_later_one_wins_every_time() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = github_repo(&mut conn).await;
    let ids: Vec<i64> = (1..=400).collect();
    for round in 0..5 {
        // One run's pages, then a later run's pages, carrying the same issues retitled; and a
        // page that repeats an item (pagination shifting while items change).
        let page = |tag: &str| {
            Value::Array(
                ids.iter()
                    .map(|i| issue(*i, &format!("{tag} {round}")))
                    .collect(),
            )
        };
        stage(&mut conn, repo_id, "issues", page("older")).await;
        stage(&mut conn, repo_id, "issues", page("newer")).await;
        stage(
            &mut conn,
            repo_id,
            "issues",
            json!([issue(1, "first"), issue(1, &format!("last {round}"))]),
        )
        .await;
        aveloxis_core::collect::process_staged(
            &mut conn,
            repo_id,
            aveloxis_core::queue::Fence::Unclaimed,
            aveloxis_core::collect::Budget::default(),
        )
        .await
        .unwrap();
        let titles: Vec<(i64, String)> = sqlx::query_as(
            "SELECT platform_issue_id, issue_title FROM aveloxis_data.issues ORDER BY 1",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert_eq!(titles.len(), ids.len());
        assert_eq!(titles[0].1, format!("last {round}"));
        let stale: Vec<&(i64, String)> = titles[1..]
            .iter()
            .filter(|(_, t)| *t != format!("newer {round}"))
            .collect();
        assert!(
            stale.is_empty(),
            "round {round}: an earlier version won: {stale:?}"
        );
    }
}

#[tokio::test]
async fn malformed_pages_and_items_are_held_and_a_wholesale_refusal_still_fails() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = github_repo(&mut conn).await;
    // A listing page that is not a list, an item that is not an object, an issue without its
    // id, and a good issue.
    stage(
        &mut conn,
        repo_id,
        "issues",
        json!({"message": "Server Error"}),
    )
    .await;
    stage(
        &mut conn,
        repo_id,
        "issues",
        json!(["just a string", {"number": 3, "title": "no id"}, issue(9, "good")]),
    )
    .await;
    let counts = aveloxis_core::collect::process_staged(
        &mut conn,
        repo_id,
        aveloxis_core::queue::Fence::Unclaimed,
        aveloxis_core::collect::Budget::default(),
    )
    .await
    .unwrap();
    assert_eq!(counts.get("issues"), 1);
    let held = quarantined(&mut conn).await;
    let reasons: Vec<&str> = held.iter().map(|h| h.2.as_str()).collect();
    assert_eq!(held.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].starts_with("the issues page is not a JSON list"),
        "{reasons:?}"
    );
    assert_eq!(held[0].3, json!({"message": "Server Error"}));
    assert!(
        reasons[1].starts_with("the item is not a JSON object"),
        "{reasons:?}"
    );
    assert!(reasons[2].starts_with("id: not an integer"), "{reasons:?}");
    assert_eq!(unprocessed(&mut conn).await, 0);

    // Every row of a batch refused is a broken write, not bad items: the run fails and the
    // pages stay.
    stage(
        &mut conn,
        repo_id,
        "issues",
        json!([
            {"id": 20, "number": 20, "created_at": "not-a-date-1"},
            {"id": 21, "number": 21, "created_at": "not-a-date-2"}
        ]),
    )
    .await;
    let e = aveloxis_core::collect::process_staged(
        &mut conn,
        repo_id,
        aveloxis_core::queue::Fence::Unclaimed,
        aveloxis_core::collect::Budget::default(),
    )
    .await
    .unwrap_err();
    assert!(format!("{e:#}").contains("aveloxis_data.issues"), "{e:#}");
    assert_eq!(unprocessed(&mut conn).await, 1);
    assert_eq!(quarantined(&mut conn).await.len(), 3);
}

#[tokio::test]
async fn a_repository_object_the_database_refuses_is_held_and_the_rest_written() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = github_repo(&mut conn).await;
    // Planted: the database refuses a fork count over a billion as out of range (as an
    // `integer` column would).
    sqlx::raw_sql(
        "CREATE FUNCTION pg_temp_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.fork_count > 1000000000 THEN
             RAISE EXCEPTION 'fork_count % is out of range', NEW.fork_count USING ERRCODE = '22003';
           END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER test_refuse BEFORE INSERT OR UPDATE ON aveloxis_data.repo_info
           FOR EACH ROW EXECUTE FUNCTION pg_temp_refuse();",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let repo = json!({"id": 77, "full_name": "o/r", "forks_count": 3_000_000_000_i64,
                      "owner": {"id": 5, "login": "u"}});
    stage(&mut conn, repo_id, "repo", repo.clone()).await;
    stage(&mut conn, repo_id, "issues", json!([issue(9, "good")])).await;
    let counts = aveloxis_core::collect::process_staged(
        &mut conn,
        repo_id,
        aveloxis_core::queue::Fence::Unclaimed,
        aveloxis_core::collect::Budget::default(),
    )
    .await
    .unwrap();
    assert_eq!(counts.get("issues"), 1);
    assert_eq!(count(&mut conn, "issues").await, 1);
    assert_eq!(count(&mut conn, "repo_info").await, 0);
    let held = quarantined(&mut conn).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].0, "repo");
    assert!(held[0].2.contains("out of range"), "{}", held[0].2);
    assert_eq!(held[0].3, repo);
    assert_eq!(unprocessed(&mut conn).await, 0);
}

// ---------------------------------------------------------------------------------------------
// The facade
// ---------------------------------------------------------------------------------------------

fn git(dir: &std::path::Path, args: &[&str], stdin: Option<&[u8]>) -> String {
    use std::io::Write;
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or(b""))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn a_commit_with_an_impossible_time_zone_offset_is_written_in_utc_and_noted() {
    use aveloxis_core::git_commits::{collect_commits, sync_repo};
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("tz");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"], None);
    let empty_tree = git(
        &work,
        &["hash-object", "-t", "tree", "-w", "--stdin"],
        Some(b""),
    );
    // `git commit` normalises a bad offset; a commit object written as bytes keeps it, and
    // git log, clone and fetch take it without complaint.
    let commit = |parent: Option<&str>, when: &str, msg: &str| {
        let parent = parent.map(|p| format!("parent {p}\n")).unwrap_or_default();
        let text = format!(
            "tree {empty_tree}\n{parent}author A <a@tz.example> {when}\ncommitter A <a@tz.example> {when}\n\n{msg}\n"
        );
        git(
            &work,
            &["hash-object", "-t", "commit", "-w", "--stdin"],
            Some(text.as_bytes()),
        )
    };
    let first = commit(None, "1699990000 +0100", "first");
    let bad = commit(Some(&first), "1700000000 +9959", "impossible offset");
    let last = commit(Some(&bad), "1700010000 -0500", "last");
    git(&work, &["update-ref", "refs/heads/main", &last], None);
    assert_eq!(
        git(&work, &["log", "-1", "--format=%aI", &bad], None),
        "2023-11-19T02:12:20+99:59"
    );

    let url = format!("file://{}", work.display());
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = repo_row(&mut conn, 3, &url).await;
    let bare = sync_repo(&tmp.path().join("clones"), repo_id, &url)
        .await
        .unwrap();
    let counts = collect_commits(&mut conn, repo_id, &bare).await.unwrap();
    assert_eq!(counts.commits, 3);
    let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT cmt_commit_hash, cmt_author_date, extract(epoch FROM cmt_author_timestamp)::bigint,
                cmt_committer_date
           FROM aveloxis_data.commits WHERE repo_id = $1 ORDER BY cmt_author_timestamp",
    )
    .bind(repo_id)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let want = [
        (
            first.clone(),
            "2023-11-14".to_owned(),
            1699990000,
            "2023-11-14".to_owned(),
        ),
        (
            bad.clone(),
            "2023-11-14".to_owned(),
            1700000000,
            "2023-11-14".to_owned(),
        ),
        (
            last.clone(),
            "2023-11-14".to_owned(),
            1700010000,
            "2023-11-14".to_owned(),
        ),
    ];
    assert_eq!(rows, want);
    let held = quarantined(&mut conn).await;
    assert_eq!(held.len(), 1, "{held:?}");
    let (entity, target, reason, item, _, action) = &held[0];
    assert_eq!(
        (entity.as_str(), target.as_str(), action.as_str()),
        ("commit", "aveloxis_data.commits", "normalised")
    );
    assert!(
        reason.contains("+99:59") && reason.contains("2023-11-14T22:13:20Z"),
        "{reason}"
    );
    assert_eq!(item["hash"], bad.as_str());
    // A rerun changes nothing and notes it once more.
    assert_eq!(
        collect_commits(&mut conn, repo_id, &bare).await.unwrap(),
        counts
    );
    let held = quarantined(&mut conn).await;
    assert_eq!((held.len(), held[0].4), (1, 2));
}
