//! A forge that moves between collections: after items are reopened, relabelled, unassigned,
//! their reviewers un-requested and their bodies cleared, an incremental collection holds
//! exactly what a fresh full collection of the moved world holds.

use aveloxis_mock_forge::model::State;
use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario, StartOptions};

use crate::support::*;

/// What analysts read of issues and pull requests and their stated children, by natural key.
const VIEWS: &[(&str, &str)] = &[
    (
        "issues",
        "SELECT issue_number, issue_title, issue_body, issue_state, closed_at, updated_at
           FROM aveloxis_data.issues",
    ),
    (
        "issue_labels",
        "SELECT i.issue_number, l.label_text FROM aveloxis_data.issue_labels l
           JOIN aveloxis_data.issues i USING (issue_id)",
    ),
    (
        "issue_assignees",
        "SELECT i.issue_number, a.platform_assignee_id FROM aveloxis_data.issue_assignees a
           JOIN aveloxis_data.issues i USING (issue_id)",
    ),
    (
        "pull_requests",
        "SELECT pr_number, pr_title, pr_body, pr_state, closed_at, merged_at, updated_at
           FROM aveloxis_data.pull_requests",
    ),
    (
        "pull_request_labels",
        "SELECT p.pr_number, l.label_name FROM aveloxis_data.pull_request_labels l
           JOIN aveloxis_data.pull_requests p USING (pull_request_id)",
    ),
    (
        "pull_request_assignees",
        "SELECT p.pr_number, a.platform_assignee_id FROM aveloxis_data.pull_request_assignees a
           JOIN aveloxis_data.pull_requests p USING (pull_request_id)",
    ),
    (
        "pull_request_reviewers",
        "SELECT p.pr_number, r.platform_reviewer_id FROM aveloxis_data.pull_request_reviewers r
           JOIN aveloxis_data.pull_requests p USING (pull_request_id)",
    ),
];

async fn contents(db: &TestDb) -> Vec<(String, Vec<String>)> {
    let mut conn = db.connect().await;
    let mut out = Vec::new();
    for (name, sql) in VIEWS {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT row_to_json(v)::text FROM ({sql}) v ORDER BY 1"
        )))
        .fetch_all(&mut conn)
        .await
        .unwrap();
        out.push((name.to_string(), rows));
    }
    out
}

fn collect(db: &TestDb, forge: &MockForge, full: bool) {
    db.configure(serde_json::json!({
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()}
    }));
    let url = forge.web_url("mock-org", "tiny");
    if full {
        db.run(&["add-key", DEFAULT_TOKENS[0]]);
        db.run(&["add-repo", &url]);
        db.run(&["collect", &url, "--full"]);
    } else {
        db.run(&["collect", &url]);
    }
}

/// Day 1 of the tiny world: a closed issue reopened, an issue's first label removed, an
/// assignee removed, a body cleared, a pull request's label and requested reviewer removed
/// and it reopened; each item's update time moves to now.
fn move_world(s: &mut Scenario) -> Vec<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let repo = s.world.repos.iter_mut().find(|r| r.name == "tiny").unwrap();
    let mut done = Vec::new();
    let issues = &mut repo.issues;
    if let Some(i) = issues
        .iter_mut()
        .find(|i| i.pull.is_none() && i.state == State::Closed)
    {
        (i.state, i.state_reason, i.closed_at, i.closed_by) = (State::Open, None, None, None);
        i.updated_at = now;
        done.push(format!("reopened #{}", i.number));
    }
    if let Some(i) = issues
        .iter_mut()
        .find(|i| i.pull.is_none() && !i.labels.is_empty())
    {
        i.labels.remove(0);
        i.updated_at = now;
        done.push(format!("unlabelled #{}", i.number));
    }
    if let Some(i) = issues
        .iter_mut()
        .find(|i| i.pull.is_none() && !i.assignees.is_empty())
    {
        i.assignees.remove(0);
        i.updated_at = now;
        done.push(format!("unassigned #{}", i.number));
    }
    if let Some(i) = issues
        .iter_mut()
        .find(|i| i.pull.is_none() && !i.body.is_empty())
    {
        i.body.clear();
        i.updated_at = now;
        done.push(format!("cleared #{}", i.number));
    }
    let pulls = issues.iter_mut().filter(|i| i.pull.is_some());
    for i in pulls {
        let p = i.pull.as_mut().unwrap();
        if !i.labels.is_empty() && !p.requested_reviewers.is_empty() {
            i.labels.clear();
            p.requested_reviewers.remove(0);
            if i.state == State::Closed && p.merged_at.is_none() {
                (i.state, i.closed_at, i.closed_by) = (State::Open, None, None);
            }
            i.body.clear();
            i.updated_at = now;
            done.push(format!("reworked PR #{}", i.number));
            break;
        }
    }
    done
}

#[tokio::test]
async fn an_incremental_collection_after_the_world_moved_equals_a_fresh_full_one() {
    let mut scenario = Scenario::generate(Preset::Tiny, 1);
    let forge = MockForge::start(scenario.clone()).unwrap();
    let upgraded = migrated_db().await;
    collect(&upgraded, &forge, true);
    let day0 = contents(&upgraded).await;

    let addr = forge.addr();
    forge.shutdown();
    let moved = move_world(&mut scenario);
    assert_eq!(
        moved.len(),
        5,
        "the tiny world has every kind of item: {moved:?}"
    );
    let opts = StartOptions {
        addr,
        public_url: None,
    };
    let forge = MockForge::start_with(scenario, opts).unwrap();
    collect(&upgraded, &forge, false);
    let fresh = migrated_db().await;
    collect(&fresh, &forge, true);

    let (got, want) = (contents(&upgraded).await, contents(&fresh).await);
    assert_ne!(day0, want, "the world moved: {moved:?}");
    for ((name, g), (_, w)) in got.iter().zip(&want) {
        let stale: Vec<_> = g.iter().filter(|r| !w.contains(r)).collect();
        let missing: Vec<_> = w.iter().filter(|r| !g.contains(r)).collect();
        assert!(
            stale.is_empty() && missing.is_empty(),
            "{name} after {moved:?}:\n  kept but gone from the forge: {stale:#?}\n  missing: {missing:#?}"
        );
    }
}
