//! The consumer contract on a collected database: the queries Augur clients issue (written by
//! us, in their shapes), run with a consumer's `search_path = aveloxis_augur_data,
//! aveloxis_data` after `collect` and `refresh-views`, return Augur's columns
//! (`fixtures/augur/columns.tsv`, Augur's published schema) and rows wherever the collector
//! gathers the entity; and the same through CollectOSS's `search_path = public, data,
//! operations, spdx` with `database.collectoss_schema` on.

use aveloxis_mock_forge::{MockForge, Preset, Scenario};
use sqlx::{Column, Executor, Row};

use crate::support::*;

const COLUMNS: &str = include_str!("fixtures/augur/columns.tsv");

/// Augur's column names of `object`, in order.
fn augur_columns(object: &str) -> Vec<String> {
    COLUMNS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() == 5 && f[0] == object)
        .map(|f| f[3].to_string())
        .collect()
}

/// (what a dashboard shows, object, the query in a consumer's shape).
const QUERIES: &[(&str, &str, &str)] = &[
    (
        "repository list",
        "repo",
        "SELECT r.* FROM repo r JOIN repo_groups g ON g.repo_group_id = r.repo_group_id",
    ),
    (
        "repository groups",
        "repo_groups",
        "SELECT * FROM repo_groups WHERE repo_group_id IN (SELECT repo_group_id FROM repo)",
    ),
    (
        "issues",
        "issues",
        "SELECT * FROM issues WHERE repo_id IN (SELECT repo_id FROM repo)",
    ),
    (
        "pull requests",
        "pull_requests",
        "SELECT * FROM pull_requests WHERE repo_id IN (SELECT repo_id FROM repo)",
    ),
    (
        "commits",
        "commits",
        "SELECT * FROM commits WHERE repo_id IN (SELECT repo_id FROM repo)",
    ),
    ("contributors", "contributors", "SELECT * FROM contributors"),
    ("releases", "releases", "SELECT * FROM releases"),
    ("repository info", "repo_info", "SELECT * FROM repo_info"),
    (
        "contributor actions",
        "explorer_contributor_actions",
        "SELECT * FROM explorer_contributor_actions",
    ),
    (
        "new contributors",
        "explorer_new_contributors",
        "SELECT * FROM explorer_new_contributors",
    ),
    (
        "first response",
        "explorer_pr_response",
        "SELECT * FROM explorer_pr_response",
    ),
    (
        "response times",
        "explorer_pr_response_times",
        "SELECT * FROM explorer_pr_response_times",
    ),
    (
        "issue assignments",
        "explorer_issue_assignments",
        "SELECT * FROM explorer_issue_assignments",
    ),
    (
        "PR assignments",
        "explorer_pr_assignments",
        "SELECT * FROM explorer_pr_assignments",
    ),
    (
        "files per PR",
        "explorer_pr_files",
        "SELECT * FROM explorer_pr_files",
    ),
    (
        "contributors per file",
        "explorer_cntrb_per_file",
        "SELECT * FROM explorer_cntrb_per_file",
    ),
    (
        "repository files",
        "explorer_repo_files",
        "SELECT * FROM explorer_repo_files",
    ),
    (
        "languages",
        "explorer_repo_languages",
        "SELECT * FROM explorer_repo_languages",
    ),
    (
        "commit counts",
        "explorer_commits_and_committers_daily_count",
        "SELECT * FROM explorer_commits_and_committers_daily_count",
    ),
    ("labor", "repo_labor", "SELECT * FROM repo_labor"),
];

/// What the consumer queries find wrong through the connection's search path.
async fn contract_problems(conn: &mut sqlx::PgConnection) -> Vec<String> {
    let mut problems = Vec::new();
    for (what, object, sql) in QUERIES {
        let want = augur_columns(object);
        assert!(!want.is_empty(), "{object} is in Augur's published list");
        let rows = conn.fetch_all(sqlx::AssertSqlSafe(*sql)).await.unwrap();
        let Some(first) = rows.first() else {
            problems.push(format!("{what} ({object}): no rows"));
            continue;
        };
        let got: Vec<String> = first
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        if got != want {
            problems.push(format!(
                "{what} ({object}): columns {got:?}, Augur's {want:?}"
            ));
        }
    }
    problems
}

#[tokio::test]
async fn consumer_queries_return_augurs_columns_and_rows_on_a_collected_database() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 1)).unwrap();
    let (db, url) = github_tiny(&forge).await;
    db.run(&["collect", &url, "--full"]);
    db.run(&["refresh-views"]);
    // CollectOSS's clients read the same names through `data` (database.collectoss_schema).
    db.configure(serde_json::json!({"database": {"collectoss_schema": true}}));
    db.run(&["migrate"]);
    let mut conn = db.connect().await;
    let mut problems = Vec::new();
    for path in [
        "aveloxis_augur_data, aveloxis_data",
        "public, data, operations, spdx",
    ] {
        conn.execute(sqlx::AssertSqlSafe(format!("SET search_path = {path}")))
            .await
            .unwrap();
        problems.extend(
            contract_problems(&mut conn)
                .await
                .into_iter()
                .map(|p| format!("[{path}] {p}")),
        );
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
