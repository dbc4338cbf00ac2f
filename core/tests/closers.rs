//! Closers on GitHub: the issue listing carries no `closed_by`, so every closed issue's closer is
//! the actor of its latest `closed` event; an issue reopened later loses it.

use aveloxis_mock_forge::model::State;
use aveloxis_mock_forge::{MockForge, Preset, Scenario, StartOptions};

use crate::support::*;

/// (issue number, closer login) of every issue of the database, in number order.
async fn closers(conn: &mut sqlx::PgConnection) -> Vec<(i64, Option<String>)> {
    sqlx::query_as(
        "SELECT i.issue_number, c.cntrb_login FROM aveloxis_data.issues i
           LEFT JOIN aveloxis_data.contributors c ON c.cntrb_id = i.closed_by_id
          ORDER BY i.issue_number",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// What the world says of its issues (pull requests are not issue rows): the closer's login
/// for closed ones, none for open ones.
fn truth(s: &Scenario) -> Vec<(i64, Option<String>)> {
    let repo = s.world.repos.iter().find(|r| r.name == "tiny").unwrap();
    let mut t: Vec<(i64, Option<String>)> = repo
        .issues
        .iter()
        .filter(|i| i.pull.is_none())
        .map(|i| {
            let closer = match i.state {
                State::Closed => i.closed_by.map(|u| s.world.users[u].login.clone()),
                State::Open => None,
            };
            (i.number as i64, closer)
        })
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn closers_come_from_closed_events_and_leave_reopened_issues() {
    let mut scenario = Scenario::generate(Preset::Tiny, 42);
    let want = truth(&scenario);
    let closed = want.iter().filter(|(_, c)| c.is_some()).count();
    assert!(closed >= 3, "the tiny world closes issues: {want:?}");

    let forge = MockForge::start(scenario.clone()).unwrap();
    let (db, url) = github_tiny(&forge).await;
    let out = db.run(&["collect", &url, "--full"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut conn = db.connect().await;
    assert_eq!(closers(&mut conn).await, want);

    // The world moves: the first closed issue is reopened (state, its event, a new update time).
    let addr = forge.addr();
    forge.shutdown();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let repo = scenario
        .world
        .repos
        .iter_mut()
        .find(|r| r.name == "tiny")
        .unwrap();
    let next_event = repo.events.iter().map(|e| e.id).max().unwrap() + 1;
    let issue = repo
        .issues
        .iter_mut()
        .find(|i| i.state == State::Closed && i.pull.is_none())
        .expect("a closed issue");
    let (number, author) = (issue.number, issue.user);
    issue.state = State::Open;
    issue.state_reason = None;
    issue.closed_at = None;
    issue.closed_by = None;
    issue.updated_at = now;
    let mut reopened = repo.events[0].clone();
    (reopened.id, reopened.number, reopened.actor) = (next_event, number, author);
    reopened.event = "reopened".into();
    reopened.created_at = now;
    (reopened.label, reopened.assignee, reopened.commit) = (None, None, None);
    repo.events.push(reopened);
    let want = truth(&scenario);
    let opts = StartOptions {
        addr,
        public_url: None,
    };
    let _forge = MockForge::start_with(scenario, opts).unwrap();

    let out = db.run(&["collect", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got = closers(&mut conn).await;
    assert_eq!(got, want);
    assert!(got.contains(&(number as i64, None)), "{got:?}");
}
