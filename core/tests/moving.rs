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

/// Tables that keep what the collector met, by design.
const REGISTRIES: &[&str] = &["contributors", "contributor_identities"];

/// Columns the collector fills from its own clock when it acts (not from the forge).
const COLLECTOR_CLOCKS: &[&str] = &["cntrb_last_enriched_at", "looked_up_at"];

/// Every column of every table of `aveloxis_data` (history tables aside: they grow by design)
/// but those whose values a database gives itself (serials, identities, generated uuids,
/// insert-time clocks) and foreign keys holding such values, as sorted JSON rows, by table.
/// Contributor references are compared: a contributor's id is derived from the forge's user.
async fn every_table(db: &TestDb) -> Vec<(String, Vec<String>)> {
    let mut conn = db.connect().await;
    let tables: Vec<(String, Vec<String>, Vec<String>)> = sqlx::query_as(
        "WITH c AS (
             SELECT c.table_name::text AS tbl, c.column_name::text AS col, c.data_type,
                    c.is_identity = 'YES'
                      OR c.column_default ~* '(nextval|gen_random_uuid|now\\(\\)|current_timestamp|clock_timestamp)'
                      AS generated,
                    EXISTS (SELECT 1 FROM pg_constraint k
                              JOIN pg_attribute a ON a.attrelid = k.conrelid
                                                 AND a.attnum = ANY (k.conkey)
                             WHERE k.contype = 'f'
                               AND k.conrelid = format('aveloxis_data.%I', c.table_name)::regclass
                               AND a.attname = c.column_name) AS fk
               FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
              WHERE c.table_schema = 'aveloxis_data' AND t.table_type = 'BASE TABLE'
                AND c.table_name NOT LIKE '%\\_history')
         SELECT tbl,
                coalesce(array_agg(col ORDER BY col)
                           FILTER (WHERE generated OR fk AND data_type <> 'uuid'), '{}'),
                coalesce(array_agg(col ORDER BY col) FILTER (WHERE fk AND data_type = 'uuid'), '{}')
           FROM c GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let emails: std::collections::HashMap<String, Option<String>> =
        sqlx::query_as("SELECT cntrb_id::text, cntrb_email FROM aveloxis_data.contributors")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let mut out = Vec::new();
    for (table, skip, people) in tables {
        let skip = skip
            .into_iter()
            .chain(COLLECTOR_CLOCKS.iter().map(|c| c.to_string()));
        let skip: Vec<String> = skip.map(|c| format!("'{c}'")).collect();
        let sql = format!(
            "SELECT (to_jsonb(t) - ARRAY[{}]::text[])::text FROM aveloxis_data.\"{table}\" t",
            if skip.is_empty() {
                "NULL".to_string()
            } else {
                skip.join(",")
            }
        );
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let mut rows: Vec<String> = rows
            .into_iter()
            .map(|r| as_compared(&r, &people, &emails))
            .collect();
        rows.sort();
        out.push((table, rows));
    }
    out
}

/// A row with its contributor references as compared: a deterministic id (derived from the
/// forge's user) as it is, a random one (a contributor the commit facade knows only by an
/// e-mail address) as that address.
fn as_compared(
    row: &str,
    people: &[String],
    emails: &std::collections::HashMap<String, Option<String>>,
) -> String {
    let mut r: serde_json::Map<String, serde_json::Value> = serde_json::from_str(row).unwrap();
    for col in people {
        if let Some(serde_json::Value::String(id)) = r.get(col)
            && !deterministic(id)
        {
            let email = emails.get(id).cloned().flatten();
            r.insert(col.clone(), format!("e-mail:{email:?}").into());
        }
    }
    serde_json::Value::Object(r).to_string()
}

/// A contributor id derived from the forge's user (`core/src/contributor_id.rs`): platform
/// byte 01 or 02, the user id, zeros (or the wide form's marker).
fn deterministic(id: &str) -> bool {
    (id.starts_with("01") || id.starts_with("02"))
        && (id.ends_with("00-0000-0000-000000000000") || id.ends_with("00-000000000001"))
}

/// The keys whose values differ between the first row of `a` and the row of `b` closest to it.
fn differing_keys(a: &[&String], b: &[&String]) -> Vec<String> {
    let parse = |r: &str| -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(r).unwrap()
    };
    let (Some(x), false) = (a.first(), b.is_empty()) else {
        return Vec::new();
    };
    let x = parse(x);
    let diff = |y: &serde_json::Map<String, serde_json::Value>| -> Vec<String> {
        x.keys()
            .filter(|k| x.get(*k) != y.get(*k))
            .cloned()
            .collect()
    };
    b.iter()
        .map(|y| diff(&parse(y)))
        .min_by_key(|d| d.len())
        .unwrap_or_default()
}

/// The rows of `a` not in `b` (as multisets).
fn minus<'a>(a: &'a [String], b: &[String]) -> Vec<&'a String> {
    let mut left: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for r in b {
        *left.entry(r.as_str()).or_default() += 1;
    }
    a.iter()
        .filter(|r| match left.get_mut(r.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect()
}

/// Which of the mock's two APIs a collection goes through (the same world behind both).
#[derive(Clone, Copy, Debug)]
enum Via {
    GitHub,
    GitLab,
}

impl Via {
    /// The web base of the forge: the mock tells the forges apart by host name.
    fn web(self, forge: &MockForge) -> String {
        match self {
            Via::GitHub => forge.base_url(),
            Via::GitLab => forge.base_url().replace("127.0.0.1", "localhost"),
        }
    }
}

/// `collect` with every key of `keys` in the pool (the augur preset needs more requests than
/// one key's 5000 an hour).
fn collect_with_keys(db: &TestDb, forge: &MockForge, full: bool, keys: &[String], via: Via) {
    if full {
        // One run enriches every profile and resolves every e-mail, so a database collected
        // twice and one collected once differ only in what the forge changed.
        db.configure(serde_json::json!({
            "github": {"api_url": forge.github_api_url(), "web_url": Via::GitHub.web(forge)},
            "gitlab": {"api_url": forge.gitlab_api_url(), "web_url": Via::GitLab.web(forge)},
            "collection": {"enrich_per_run": 100_000, "resolve_per_run": 100_000}
        }));
        for k in keys {
            match via {
                Via::GitHub => db.run(&["add-key", k]),
                Via::GitLab => db.run(&["add-key", "--platform", "gitlab", k]),
            };
        }
    }
    let url = format!(
        "{}/mock-org/{}",
        via.web(forge),
        forge.world().repos[0].name
    );
    if full {
        db.run(&["add-repo", &url]);
        db.run(&["collect", &url, "--full"]);
    } else {
        db.run(&["collect", &url]);
    }
}

#[tokio::test]
async fn after_three_days_of_a_moving_forge_an_incremental_collection_equals_a_full_one() {
    // The augur-shaped world (a few minutes in a debug build); MOVING_PRESET=tiny for a quick
    // run while working on the collector.
    let preset = match std::env::var("MOVING_PRESET").as_deref() {
        Ok("tiny") => Preset::Tiny,
        _ => Preset::Augur,
    };
    three_days(preset, Via::GitHub).await;
}

#[tokio::test]
async fn after_three_days_of_a_moving_forge_an_incremental_gitlab_collection_equals_a_full_one() {
    three_days(Preset::Tiny, Via::GitLab).await;
}

/// Collect day 0 in full, move the forge three days on, collect incrementally: every table
/// equals a fresh full collection of day 3.
async fn three_days(preset: Preset, via: Via) {
    let mut scenario = Scenario::generate_days(preset, 1, 3);
    let mut keys: Vec<String> = DEFAULT_TOKENS.iter().map(|t| t.to_string()).collect();
    for k in 3..8 {
        keys.push(format!("mock-token-{k}"));
        scenario = scenario.with_token(&keys[k], None);
    }
    let changes = scenario.day_changes.clone();
    let forge = MockForge::start(scenario).unwrap();
    let started = std::time::Instant::now();
    let upgraded = migrated_db().await;
    collect_with_keys(&upgraded, &forge, true, &keys, via);
    let day0 = every_table(&upgraded).await;
    eprintln!("{via:?} day 0 full: {:?}", started.elapsed());

    forge.set_day(3);
    collect_with_keys(&upgraded, &forge, false, &keys, via);
    eprintln!("{via:?} day 3 incremental: {:?}", started.elapsed());
    let fresh = migrated_db().await;
    collect_with_keys(&fresh, &forge, true, &keys, via);
    eprintln!("{via:?} day 3 full: {:?}", started.elapsed());

    let (got, want) = (every_table(&upgraded).await, every_table(&fresh).await);
    assert_ne!(day0, want, "the world moved");
    let main = format!("mock-org/{}", preset.name());
    let tiny: Vec<_> = changes.iter().map(|d| &d.repos[&main]).collect();
    // The days hold every kind of change the collector must follow.
    let any =
        |f: &dyn Fn(&aveloxis_mock_forge::truth::RepoChanges) -> bool| tiny.iter().any(|c| f(c));
    assert!(any(&|c| !c.reopened.is_empty()), "an issue reopened");
    assert!(any(&|c| !c.unlabeled.is_empty()), "a label removed");
    assert!(
        any(&|c| !c.deleted_comments.is_empty()),
        "a comment deleted"
    );
    assert!(any(&|c| !c.dropped_commits.is_empty()), "a force-push");
    let mut failures = Vec::new();
    for ((name, g), (_, w)) in got.iter().zip(&want) {
        let (mut stale, missing) = (minus(g, w), minus(w, g));
        // People are a registry shared by every repository: someone met once stays known
        // (here, the author of a comment since deleted), but nobody may be missing.
        if REGISTRIES.contains(&name.as_str()) {
            stale.clear();
        }
        if !stale.is_empty() || !missing.is_empty() {
            let keys = differing_keys(&stale, &missing);
            failures.push(format!(
                "{name}: columns that differ between kept and missing rows: {keys:?}"
            ));
            failures.push(format!(
                "{name}: {} rows kept but gone from the forge, {} missing\n  kept: {:#?}\n  missing: {:#?}",
                stale.len(),
                missing.len(),
                &stale[..stale.len().min(3)],
                &missing[..missing.len().min(3)]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "after {tiny:?}:\n{}",
        failures.join("\n")
    );
}
