//! The GitLab collector end to end: the real `aveloxis` binary against the mock forge's GitLab
//! v4 side, into a real database, compared with exact counts derived from the served world.

use std::collections::BTreeSet;
use std::process::Output;

use aveloxis_mock_forge::model::{RepoData, World};
use aveloxis_mock_forge::truth::contributors;
use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};

use crate::support::*;

/// The mock serves both forges on one port; the host name tells the collector which forge a
/// URL belongs to: GitHub at 127.0.0.1, GitLab at localhost.
fn gitlab_web(forge: &MockForge) -> String {
    forge.base_url().replace("127.0.0.1", "localhost")
}

fn configure(db: &TestDb, forge: &MockForge) {
    db.configure(serde_json::json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        "gitlab": {"api_url": forge.gitlab_api_url(), "web_url": gitlab_web(forge)}
    }));
}

fn run(db: &TestDb, args: &[&str]) -> Output {
    db.run(args)
}

async fn count(conn: &mut sqlx::PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(conn)
        .await
        .unwrap()
}

async fn rows(conn: &mut sqlx::PgConnection, table: &str) -> i64 {
    count(conn, &format!("SELECT count(*) FROM aveloxis_data.{table}")).await
}

/// What the GitLab side serves that the GitHub-oriented ground truth does not count directly.
struct GitLabTruth {
    /// Distinct approvers per merge request, summed (`/approvals`).
    approvals: usize,
    /// `/events` (opened, closed, reopened) plus `resource_label_events`, on plain issues.
    issue_events: usize,
    /// The same on merge requests (merged is `accepted`; a merge's own close is no event).
    mr_events: usize,
    /// Every user any served object names.
    users: BTreeSet<usize>,
}

fn gitlab_truth(world: &World, repo: &RepoData) -> GitLabTruth {
    let mut g = GitLabTruth {
        approvals: 0,
        issue_events: 0,
        mr_events: 0,
        users: BTreeSet::new(),
    };
    // Members: the mock lists users 3..8 as maintainers plus every committer.
    g.users.extend(3..8.min(world.users.len()));
    g.users.extend(contributors(repo).into_iter().map(|c| c.0));
    for is in &repo.issues {
        let merged = is.pull.as_ref().is_some_and(|p| p.merged_at.is_some());
        g.users.insert(is.user);
        g.users.extend(is.assignees.iter().copied());
        if !merged && let Some(c) = is.closed_by {
            g.users.insert(c);
        }
        let mut events = 1; // opened
        for e in repo.events.iter().filter(|e| e.number == is.number) {
            let counted = match e.event.as_str() {
                // The close that comes with a merge is no event of its own.
                "closed" => is.pull.as_ref().and_then(|p| p.merged_at) != Some(e.created_at),
                "reopened" | "merged" => true,
                _ => e.label.is_some(),
            };
            if counted {
                events += 1;
                g.users.insert(e.actor);
            }
        }
        match &is.pull {
            Some(pr) => {
                g.mr_events += events;
                g.users.extend(pr.merged_by);
                g.users.extend(pr.requested_reviewers.iter().copied());
                let approvers: BTreeSet<usize> = repo
                    .reviews
                    .iter()
                    .filter(|r| r.number == is.number && r.state == "APPROVED")
                    .map(|r| r.user)
                    .collect();
                g.approvals += approvers.len();
                g.users.extend(approvers);
            }
            None => g.issue_events += events,
        }
    }
    g.users.extend(repo.issue_comments.iter().map(|c| c.user));
    g.users.extend(repo.review_comments.iter().map(|c| c.user));
    g.users.extend(
        repo.reviews
            .iter()
            .filter(|r| !r.body.is_empty())
            .map(|r| r.user),
    );
    g.users.extend(repo.releases.iter().map(|r| r.author));
    g
}

#[tokio::test]
async fn gitlab_collection_matches_the_served_world_exactly_and_reruns_are_idempotent() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let t = forge.ground_truth().repo("mock-org/tiny").unwrap().clone();
    let world = forge.world();
    let repo = world
        .repos
        .iter()
        .find(|r| r.full_name() == "mock-org/tiny")
        .unwrap();
    let g = gitlab_truth(world, repo);
    // Every mapping below is exercised by the scenario.
    for (what, n) in [
        ("issue labels", t.issue_labels),
        ("MR labels", t.pull_request_labels),
        ("issue assignees", t.issue_assignees),
        ("reviewers", t.pull_request_reviewers),
        ("issue comments", t.issue_comments),
        ("MR comments", t.pull_request_issue_comments),
        ("diff notes", t.review_comments),
        ("review bodies", t.reviews_with_body),
        ("approvals", g.approvals),
        ("releases", t.releases),
        ("merged MRs", t.merged_pull_requests),
    ] {
        assert!(n > 0, "the scenario has no {what}");
    }
    eprintln!(
        "gitlab truth: issues {} mrs {} messages {} diff notes {} approvals {} issue events {} mr events {} users {} mr commits {} mr files {}",
        t.issues,
        t.pull_requests,
        t.messages,
        t.review_comments,
        g.approvals,
        g.issue_events,
        g.mr_events,
        g.users.len(),
        t.pull_request_commits,
        t.pull_request_files
    );
    let db = migrated_db().await;
    configure(&db, &forge);
    let token = DEFAULT_TOKENS[0];
    let out = run(&db, &["add-key", "--platform", "gitlab", token]);
    assert!(!stdout(&out).contains(token) && !stderr(&out).contains(token));

    let url = format!("{}/mock-org/tiny", gitlab_web(&forge));
    let out = run(&db, &["collect", &url, "--full"]);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "{} issues, {} pull requests, {} messages",
            t.issues, t.pull_requests, t.messages
        )),
        "{text}"
    );
    assert!(!text.contains("skipped"), "orphaned rows: {text}");
    assert!(
        !text.contains(token) && !stderr(&out).contains(token),
        "token leaked into output"
    );

    let mut conn = db.connect().await;
    let c = |n: usize| n as i64;
    let (platform, git): (i16, String) =
        sqlx::query_as("SELECT platform_id, repo_git FROM aveloxis_data.repos")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!((platform, git.as_str()), (2, url.as_str()));

    assert_eq!(rows(&mut conn, "issues").await, c(t.issues));
    assert_eq!(rows(&mut conn, "pull_requests").await, c(t.pull_requests));
    assert_eq!(rows(&mut conn, "issue_labels").await, c(t.issue_labels));
    assert_eq!(
        rows(&mut conn, "pull_request_labels").await,
        c(t.pull_request_labels)
    );
    assert_eq!(
        rows(&mut conn, "issue_assignees").await,
        c(t.issue_assignees)
    );
    assert_eq!(
        rows(&mut conn, "pull_request_assignees").await,
        c(t.pull_request_assignees)
    );
    assert_eq!(
        rows(&mut conn, "pull_request_reviewers").await,
        c(t.pull_request_reviewers)
    );
    assert_eq!(
        rows(&mut conn, "pull_request_commits").await,
        c(t.pull_request_commits)
    );
    assert_eq!(
        rows(&mut conn, "pull_request_files").await,
        c(t.pull_request_files)
    );
    assert_eq!(
        rows(&mut conn, "pull_request_meta").await,
        c(2 * t.pull_requests)
    );
    assert_eq!(rows(&mut conn, "releases").await, c(t.releases));
    assert_eq!(
        rows(&mut conn, "pull_request_reviews").await,
        c(g.approvals)
    );
    assert_eq!(rows(&mut conn, "issue_events").await, c(g.issue_events));
    assert_eq!(rows(&mut conn, "pull_request_events").await, c(g.mr_events));
    // GitLab's label events and project events have id sequences of their own, and the mock
    // forge makes them overlap: both events of a shared id are kept, told apart by their kind.
    let shared: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM aveloxis_data.issue_events
                  GROUP BY repo_id, platform_event_id HAVING count(*) > 1) i)
              + (SELECT count(*) FROM (SELECT 1 FROM aveloxis_data.pull_request_events
                  GROUP BY repo_id, platform_event_id HAVING count(*) > 1) p)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(shared > 0, "the world has no overlapping event ids");

    // Notes: conversation notes, diff notes and review bodies; system notes are not messages.
    assert_eq!(rows(&mut conn, "messages").await, c(t.messages));
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM aveloxis_data.messages WHERE msg_kind = 'review_comment'"
        )
        .await,
        c(t.review_comments)
    );
    assert_eq!(
        rows(&mut conn, "review_comments").await,
        c(t.review_comments)
    );
    assert_eq!(
        rows(&mut conn, "issue_message_ref").await,
        c(t.issue_comments)
    );
    assert_eq!(
        rows(&mut conn, "pull_request_message_ref").await,
        c(t.pull_request_issue_comments + t.review_comments + t.reviews_with_body)
    );

    // Contributors: one per GitLab user named anywhere, with its platform-2 identity.
    let got: BTreeSet<i64> =
        sqlx::query_scalar("SELECT gl_id FROM aveloxis_data.contributors WHERE gl_id IS NOT NULL")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let want: BTreeSet<i64> = g.users.iter().map(|&u| world.users[u].id as i64).collect();
    assert_eq!(got, want);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM aveloxis_data.contributor_identities WHERE platform_id = 2"
        )
        .await,
        c(g.users.len())
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM aveloxis_data.contributors
              WHERE gl_id IS NOT NULL AND gl_username IS NOT NULL AND gh_user_id IS NULL
                AND cntrb_id::text LIKE '02%'"
        )
        .await,
        c(g.users.len())
    );

    // GitLab numbering: global ids in platform_*_id, per-project iids in the numbers.
    let issue_ids: BTreeSet<i64> = repo
        .issues
        .iter()
        .filter(|i| i.pull.is_none())
        .map(|i| i.id as i64)
        .collect();
    let got: BTreeSet<i64> = sqlx::query_scalar(
        "SELECT platform_issue_id FROM aveloxis_data.issues WHERE platform_id = 2",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(got, issue_ids);
    let iids: Vec<i64> =
        sqlx::query_scalar("SELECT issue_number FROM aveloxis_data.issues ORDER BY 1")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(iids, (1..=c(t.issues)).collect::<Vec<_>>());
    let iids: Vec<i64> =
        sqlx::query_scalar("SELECT pr_number FROM aveloxis_data.pull_requests ORDER BY 1")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(iids, (1..=c(t.pull_requests)).collect::<Vec<_>>());
    let pr_ids: BTreeSet<i64> = repo
        .issues
        .iter()
        .filter_map(|i| i.pull.as_ref())
        .map(|p| p.id as i64)
        .collect();
    let got: BTreeSet<i64> =
        sqlx::query_scalar("SELECT platform_pr_id FROM aveloxis_data.pull_requests")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(got, pr_ids);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM aveloxis_data.pull_requests WHERE pr_state = 'merged' AND merged_at IS NOT NULL"
        )
        .await,
        c(t.merged_pull_requests)
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM aveloxis_data.issues WHERE issue_state = 'opened'"
        )
        .await,
        c(t.open_issues)
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM aveloxis_data.issue_labels WHERE platform_label_id IS NOT NULL OR label_color IS NULL"
        )
        .await,
        0,
        "GitLab labels are names (no label id); colours come from the project's labels"
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM aveloxis_data.pull_request_meta WHERE meta_ref IS NULL"
        )
        .await,
        0
    );
    let (commit_count, issues_count, open): (Option<i64>, Option<i64>, Option<i64>) =
        sqlx::query_as(
            "SELECT commit_count, issues_count, issues_open FROM aveloxis_data.repo_info",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        (commit_count, issues_count, open),
        (
            Some(c(t.commits)),
            Some(c(t.issues)),
            Some(c(t.open_issues))
        )
    );
    let commits = count(
        &mut conn,
        "SELECT count(DISTINCT cmt_commit_hash) FROM aveloxis_data.commits",
    )
    .await;
    assert_eq!(commits, c(t.commits));
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM aveloxis_ops.staging WHERE NOT processed"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) FROM aveloxis_data.issues WHERE data_source <> 'GitLab API'"
        )
        .await,
        0
    );

    let before = collected_counts(&mut conn).await;
    run(&db, &["collect", &url, "--full"]);
    assert_eq!(
        before,
        collected_counts(&mut conn).await,
        "a second full collection changed row counts"
    );
    let out = run(&db, &["collect", &url]);
    assert!(!stdout(&out).contains("skipped"), "{}", stdout(&out));
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
async fn a_gitlab_group_url_expands_to_its_projects() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 5)).unwrap();
    let db = migrated_db().await;
    // The mock's project objects carry web URLs on 127.0.0.1, so GitLab takes that host here.
    let cfg = serde_json::json!({
        "database": {"host": "127.0.0.1", "port": db.port, "user": "postgres",
                     "password": cluster().password(), "dbname": db.name, "sslmode": "disable"},
        "github": {"api_url": forge.github_api_url(), "web_url": gitlab_web(&forge)},
        "gitlab": {"api_url": forge.gitlab_api_url(), "web_url": forge.base_url()},
        "collection": {"repo_clone_dir": db.dir.path().join("clones")}
    });
    std::fs::write(db.config_path(), cfg.to_string()).unwrap();
    run(&db, &["add-key", "--platform", "gitlab", DEFAULT_TOKENS[2]]);
    let group = format!("{}/mock-org", forge.base_url());
    let out = run(&db, &["add-repo", &group]);
    assert!(!stdout(&out).contains(DEFAULT_TOKENS[2]));

    let mut want: Vec<String> = forge
        .world()
        .repos
        .iter()
        .filter(|r| r.full_name().starts_with("mock-org/"))
        .map(|r| format!("{}/{}", forge.base_url(), r.full_name()))
        .collect();
    want.sort();
    assert!(want.len() >= 2, "{want:?}");
    let mut conn = db.connect().await;
    let got: Vec<String> = sqlx::query_scalar(
        "SELECT r.repo_git FROM aveloxis_data.repos r
           JOIN aveloxis_data.repo_groups g ON g.repo_group_id = r.repo_group_id
           JOIN aveloxis_ops.collection_queue q ON q.repo_id = r.repo_id
          WHERE r.platform_id = 2 AND g.rg_type = 'gitlab_group' AND g.rg_name = 'mock-org'
          ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(got, want);

    // An unknown group is a clear failure that adds nothing.
    let out = db
        .aveloxis()
        .args(["add-repo", &format!("{}/no-such-group", forge.base_url())])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("404"), "{}", stderr(&out));
    assert_eq!(rows(&mut conn, "repos").await, want.len() as i64);
}
