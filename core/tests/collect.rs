//! The collector end to end: the real `aveloxis` binary against the mock forge over real
//! sockets, into a real database, compared with the generator's exact ground truth.

use std::process::Output;

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};

use crate::support::*;

fn configure(db: &TestDb, forge: &MockForge) {
    db.configure(serde_json::json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()}
    }));
}

fn run(db: &TestDb, args: &[&str]) -> Output {
    db.run(args)
}

async fn count(conn: &mut sqlx::PgConnection, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM aveloxis_data.{table}"
    )))
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn full_collection_matches_the_ground_truth_exactly_and_reruns_are_idempotent() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let truth = forge.ground_truth();
    let t = truth.repo("mock-org/tiny").unwrap().clone();
    let db = migrated_db().await;
    configure(&db, &forge);
    run(&db, &["add-key", DEFAULT_TOKENS[0]]);
    let url = forge.web_url("mock-org", "tiny");
    let out = run(&db, &["collect", &url, "--full"]);
    assert!(
        stdout(&out).contains(&format!("{} issues", t.issues)),
        "{}",
        stdout(&out)
    );
    assert!(
        !stderr(&out).contains(DEFAULT_TOKENS[0]),
        "token leaked into logs"
    );

    let mut conn = db.connect().await;
    let c = |n: usize| n as i64;
    assert_eq!(count(&mut conn, "issues").await, c(t.issues));
    assert_eq!(count(&mut conn, "pull_requests").await, c(t.pull_requests));
    assert_eq!(count(&mut conn, "issue_labels").await, c(t.issue_labels));
    assert_eq!(
        count(&mut conn, "pull_request_labels").await,
        c(t.pull_request_labels)
    );
    assert_eq!(
        count(&mut conn, "issue_assignees").await,
        c(t.issue_assignees)
    );
    assert_eq!(
        count(&mut conn, "pull_request_assignees").await,
        c(t.pull_request_assignees)
    );
    assert_eq!(
        count(&mut conn, "pull_request_reviewers").await,
        c(t.pull_request_reviewers)
    );
    assert_eq!(count(&mut conn, "pull_request_reviews").await, c(t.reviews));
    assert_eq!(
        count(&mut conn, "review_comments").await,
        c(t.review_comments)
    );
    assert_eq!(count(&mut conn, "issue_events").await, c(t.issue_events));
    assert_eq!(
        count(&mut conn, "pull_request_events").await,
        c(t.pull_request_events)
    );
    assert_eq!(
        count(&mut conn, "pull_request_commits").await,
        c(t.pull_request_commits)
    );
    assert_eq!(
        count(&mut conn, "pull_request_files").await,
        c(t.pull_request_files)
    );
    assert_eq!(
        count(&mut conn, "pull_request_meta").await,
        c(2 * t.pull_requests)
    );
    assert_eq!(count(&mut conn, "releases").await, c(t.releases));
    assert_eq!(count(&mut conn, "repo_clones").await, c(t.clone_days));
    // Messages: every kind survives although numeric ids collide across kinds.
    assert!(
        t.colliding_message_ids > 0,
        "the scenario must exercise id collisions"
    );
    assert_eq!(count(&mut conn, "messages").await, c(t.messages));
    assert_eq!(
        count(&mut conn, "issue_message_ref").await
            + count(&mut conn, "pull_request_message_ref").await,
        c(t.issue_comments + t.pull_request_issue_comments)
    );
    assert_eq!(
        count(&mut conn, "pull_request_review_message_ref").await,
        c(t.reviews_with_body)
    );
    let commits: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT cmt_commit_hash) FROM aveloxis_data.commits")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(commits, c(t.commits));
    let staged_left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM aveloxis_ops.staging WHERE NOT processed")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(staged_left, 0);

    let before = collected_counts(&mut conn).await;
    run(&db, &["collect", &url, "--full"]);
    assert_eq!(
        before,
        collected_counts(&mut conn).await,
        "a second full collection changed row counts"
    );
    run(&db, &["collect", &url]);
    assert_eq!(
        before,
        collected_counts(&mut conn).await,
        "an incremental collection changed row counts"
    );
    assert!(
        forge.unmatched_requests().is_empty(),
        "{:?}",
        forge.unmatched_requests()
    );
}

#[tokio::test]
async fn prelim_handles_renames_duplicates_and_gone_repositories() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 7)).unwrap();
    let db = migrated_db().await;
    configure(&db, &forge);
    run(&db, &["add-key", DEFAULT_TOKENS[1]]);
    let main = forge.web_url("mock-org", "tiny");
    let renamed_old = forge.web_url("mock-org", "sidecar-old");
    let legacy = forge.web_url("mock-org", "tiny-legacy");
    let deleted = forge.web_url("mock-org", "deleted-repo");
    let gone = forge.web_url("mock-org", "gone-repo");
    run(
        &db,
        &["add-repo", &main, &renamed_old, &legacy, &deleted, &gone],
    );
    let mut conn = db.connect().await;
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM aveloxis_ops.collection_queue")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(queued, 5);

    let out = run(&db, &["collect", &renamed_old, &legacy, &deleted, &gone]);
    let text = stdout(&out);
    assert!(text.contains("marked duplicate"), "{text}");
    assert!(
        text.contains("gone (404)") && text.contains("gone (410)"),
        "{text}"
    );

    // Renamed: URL rewritten, old URL kept, still queued, data collected.
    let new_url = forge.web_url("mock-org", "sidecar");
    let (rid, git): (i64, String) = sqlx::query_as(
        "SELECT r.repo_id, r.repo_git FROM aveloxis_data.repos r
           JOIN aveloxis_data.historical_repo_urls h ON h.repo_id = r.repo_id WHERE h.git_url = $1",
    )
    .bind(&renamed_old)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(git, new_url);
    let issues: i64 =
        sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.issues WHERE repo_id = $1")
            .bind(rid)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        issues as usize,
        forge
            .ground_truth()
            .repo("mock-org/sidecar")
            .unwrap()
            .issues
    );

    // No repository is stranded: every one is either queued or sidelined.
    let stranded: Vec<String> = sqlx::query_scalar(
        "SELECT repo_git FROM aveloxis_data.repos r
          WHERE repo_gone_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM aveloxis_ops.collection_queue q WHERE q.repo_id = r.repo_id)",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(stranded.is_empty(), "stranded: {stranded:?}");
    let sidelined: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.repo_git, s.core_status FROM aveloxis_data.repos r
           JOIN aveloxis_ops.collection_status s ON s.repo_id = r.repo_id
          WHERE r.repo_gone_at IS NOT NULL ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(sidelined.len(), 3, "{sidelined:?}");
    assert!(
        sidelined
            .iter()
            .any(|(u, s)| *u == legacy && s.starts_with("Duplicate")),
        "{sidelined:?}"
    );
    // Reversible: adding a gone repository again clears the marker and queues it.
    run(&db, &["add-repo", &gone]);
    let back: bool = sqlx::query_scalar(
        "SELECT repo_gone_at IS NULL FROM aveloxis_data.repos WHERE repo_git = $1",
    )
    .bind(&gone)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(back);
}

#[tokio::test]
async fn keys_queue_commands_and_hostile_input() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 3)).unwrap();
    let db = migrated_db().await;
    configure(&db, &forge);
    // Tokens from stdin; duplicates skipped.
    for _ in 0..2 {
        let mut child = db
            .aveloxis()
            .args(["add-key", "--platform", "github", "--name", "ci"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"mock-token-2\n")
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
    let mut conn = db.connect().await;
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM aveloxis_ops.worker_oauth")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys, 1);

    // Org URL expands to all of the owner's repositories, in a repo group.
    let org = format!("{}/mock-org", forge.base_url());
    run(&db, &["add-repo", &org, "--priority", "50"]);
    let (repos, groups): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM aveloxis_data.repos WHERE repo_group_id IS NOT NULL),
                (SELECT count(*) FROM aveloxis_data.repo_groups WHERE rg_type = 'github_org')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(repos >= 2, "{repos}");
    assert_eq!(groups, 1);

    let tiny = forge.web_url("mock-org", "tiny");
    run(&db, &["prioritize", &tiny]);
    let (prio, force): (i32, bool) = sqlx::query_as(
        "SELECT q.priority, q.force_full_collect FROM aveloxis_ops.collection_queue q
           JOIN aveloxis_data.repos r USING (repo_id) WHERE r.repo_git = $1",
    )
    .bind(&tiny)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((prio, force), (0, false));
    run(&db, &["recollect", &tiny]);
    let force: bool = sqlx::query_scalar(
        "SELECT q.force_full_collect FROM aveloxis_ops.collection_queue q
           JOIN aveloxis_data.repos r USING (repo_id) WHERE r.repo_git = $1",
    )
    .bind(&tiny)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(force);

    // Hostile names are refused by name, and nothing is half-added.
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.repos")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let bad = format!("{}/mock-org/..%2f..%2fetc", forge.base_url());
    let out = db
        .aveloxis()
        .args(["add-repo", &forge.web_url("mock-org", "sidecar"), &bad])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a valid repository"),
        "{}",
        stderr(&out)
    );
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.repos")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(before, after);
    let out = db
        .aveloxis()
        .args(["prioritize", "999999"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no repository with id 999999"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn faults_on_the_forge_lose_nothing() {
    let faults: aveloxis_mock_forge::faults::FaultConfig = serde_json::from_value(serde_json::json!({
        "seed": 11,
        "rules": [
            {"route": "/repos/*/*/issues", "nth": [1], "fault": {"kind": "status", "status": 502}},
            {"route": "/repositories/**", "every": 5, "fault": {"kind": "truncate"}},
            {"route": "/repos/*/*/pulls/*/reviews", "every": 4, "fault": {"kind": "malformed"}},
            {"route": "/repos/*/*/pulls/*/files", "every": 6, "fault": {"kind": "reset"}},
            {"route": "/repos/*/*/pulls/*/commits", "nth": [2], "fault": {"kind": "secondary_rate_limit", "retry_after_secs": 1}},
            {"route": "/repos/*/*/issues/comments", "nth": [1], "fault": {"kind": "status", "status": 503}}
        ]
    }))
    .unwrap();
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 42).with_faults(faults)).unwrap();
    let clean = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let (faulty_db, clean_db) = (migrated_db().await, migrated_db().await);
    configure(&faulty_db, &forge);
    configure(&clean_db, &clean);
    for (db, f) in [(&faulty_db, &forge), (&clean_db, &clean)] {
        run(db, &["add-key", DEFAULT_TOKENS[0]]);
        run(db, &["collect", &f.web_url("mock-org", "tiny"), "--full"]);
    }
    let mut a = faulty_db.connect().await;
    let mut b = clean_db.connect().await;
    assert_eq!(
        collected_counts(&mut a).await,
        collected_counts(&mut b).await
    );
    let t = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    assert_eq!(count(&mut a, "messages").await as usize, t.messages);
}

#[tokio::test]
async fn pages_staged_by_a_run_that_died_are_processed_by_the_next() {
    use aveloxis_core::collect::{Stager, github};
    use aveloxis_core::forge::client::ClientOptions;
    use aveloxis_core::forge::{Platform, Target, parse_target};
    use aveloxis_core::repos::upsert_repo;

    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 5)).unwrap();
    let db = migrated_db().await;
    configure(&db, &forge);
    let cfg = aveloxis_core::config::Config::load(&db.config_path()).unwrap();
    let mut conn = db.connect().await;
    let url = forge.web_url("mock-org", "tiny");
    let Target::Repo(r) = parse_target(&url, &cfg).unwrap() else {
        panic!()
    };
    let repo_id = upsert_repo(&mut conn, &cfg, &r, None).await.unwrap();
    // The fetch phase of a run that is then killed: pages staged, nothing processed.
    let client = test_client(
        Platform::GitHub,
        &[DEFAULT_TOKENS[0]],
        ClientOptions::default(),
    );
    let mut stager = Stager::new(&mut conn, repo_id, Platform::GitHub);
    github::fetch(
        &client,
        &cfg.github.api_url,
        "mock-org",
        "tiny",
        None,
        &mut stager,
    )
    .await
    .unwrap();
    let pages = stager.pages;
    assert!(pages > 5);
    assert_eq!(count(&mut conn, "issues").await, 0);
    // The next run processes the leftover pages together with its own.
    run(&db, &["add-key", DEFAULT_TOKENS[0]]);
    run(&db, &["collect", &url]);
    let t = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    assert_eq!(count(&mut conn, "issues").await as usize, t.issues);
    assert_eq!(count(&mut conn, "messages").await as usize, t.messages);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM aveloxis_ops.staging WHERE NOT processed")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn augur_keys_and_repositories_are_imported() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 9)).unwrap();
    let db = migrated_db().await;
    configure(&db, &forge);
    let mut conn = db.connect().await;
    let web = |n: &str| forge.web_url("mock-org", n);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA augur_data; CREATE SCHEMA augur_operations;
         CREATE TABLE augur_data.repo_groups (repo_group_id BIGINT PRIMARY KEY, rg_name TEXT NOT NULL);
         INSERT INTO augur_data.repo_groups VALUES (1, 'Default Repo Group'), (25430, 'CHAOSS Projects');
         CREATE TABLE augur_data.repo (repo_id BIGSERIAL PRIMARY KEY,
             repo_group_id BIGINT NOT NULL DEFAULT 1 REFERENCES augur_data.repo_groups,
             repo_git TEXT, repo_name TEXT);
         CREATE TABLE augur_operations.worker_oauth (oauth_id BIGSERIAL PRIMARY KEY, name TEXT,
             consumer_key TEXT, consumer_secret TEXT, access_token TEXT, access_token_secret TEXT,
             repo_directory TEXT, platform TEXT DEFAULT 'github');
         INSERT INTO augur_data.repo (repo_git) VALUES ('{}'), ('{}.git'), ('{}'), ('{}'), ('{}'), ('not a url');
         UPDATE augur_data.repo SET repo_group_id = 25430 WHERE repo_id = 1;
         INSERT INTO augur_operations.worker_oauth (name, access_token) VALUES ('a', '{}'), ('b', '{}'), ('empty', '');",
        web("tiny"),
        web("sidecar"),
        web("sidecar-old"),
        web("deleted-repo"),
        web("gone-repo"),
        DEFAULT_TOKENS[0],
        DEFAULT_TOKENS[1],
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    // --augur-keys: collection works with Augur's keys alone (read, never copied).
    run(&db, &["collect", &web("tiny"), "--augur-keys"]);
    let ours: i64 = sqlx::query_scalar("SELECT count(*) FROM aveloxis_ops.worker_oauth")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(ours, 0);
    let out = run(&db, &["add-key", "--from-augur"]);
    assert!(stdout(&out).contains("copied 2 key(s)"), "{}", stdout(&out));
    let out = run(&db, &["add-key", "--from-augur"]);
    assert!(stdout(&out).contains("copied 0 key(s)"), "{}", stdout(&out));

    let out = run(&db, &["add-repo", "--from-augur"]);
    let text = stdout(&out);
    assert!(text.contains("2 added"), "{text}");
    assert!(
        text.contains("2 gone or unreachable") && text.contains("1 not repository URLs"),
        "{text}"
    );
    let urls: Vec<String> = sqlx::query_scalar(
        "SELECT r.repo_git FROM aveloxis_data.repos r JOIN aveloxis_ops.collection_queue q USING (repo_id) ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    // sidecar and sidecar-old (301 → sidecar) are one repository under its canonical URL.
    assert_eq!(urls, vec![web("sidecar"), web("tiny")]);
    // Each is in its Augur group's namesake: tiny (collected before in the default group)
    // moves to it.
    let groups: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.repo_git, g.rg_name FROM aveloxis_data.repos r
           JOIN aveloxis_data.repo_groups g USING (repo_group_id) ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        groups,
        vec![
            (web("sidecar"), "Default Repo Group".to_string()),
            (web("tiny"), "CHAOSS Projects".to_string())
        ]
    );
    // Augur's tables are untouched.
    let augur_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM augur_data.repo")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(augur_rows, 6);
}

/// A consumer's repository list: repositories joined with their groups (Augur's names).
async fn listed(conn: &mut sqlx::PgConnection) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT r.repo_git, g.rg_name FROM aveloxis_augur_data.repo r
           JOIN aveloxis_augur_data.repo_groups g ON g.repo_group_id = r.repo_group_id
          ORDER BY 1",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// Every repository is in a group, so a consumer's repository list (repositories joined with
/// their groups) lists them all: alone → the configured default group, `--group` → that one
/// (moving a known repository), an owner URL → the owner's group.
#[tokio::test]
async fn every_added_repository_is_in_a_group() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 9)).unwrap();
    let db = migrated_db().await;
    db.configure(serde_json::json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        "collection": {"default_repo_group": "Singles"}
    }));
    run(&db, &["add-key", DEFAULT_TOKENS[0]]);
    let mut conn = db.connect().await;
    let web = |n: &str| forge.web_url("mock-org", n);
    run(&db, &["add-repo", &web("tiny")]);
    assert_eq!(
        listed(&mut conn).await,
        vec![(web("tiny"), "Singles".to_string())]
    );
    run(&db, &["add-repo", "--group", "Team X", &web("sidecar")]);
    run(&db, &["add-repo", "--group", "Team X", &web("tiny")]);
    assert_eq!(
        listed(&mut conn).await,
        vec![
            (web("sidecar"), "Team X".to_string()),
            (web("tiny"), "Team X".to_string())
        ]
    );
    let out = db
        .aveloxis()
        .args(["add-repo", "--group", " ", &web("tiny")])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("needs a name"), "{}", stderr(&out));
    let org = format!("{}/mock-org", forge.base_url());
    run(&db, &["add-repo", &org]);
    let all = listed(&mut conn).await;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.repos")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(all.len() as i64, total);
    assert!(all.iter().all(|(_, g)| g == "mock-org"), "{all:?}");
}
