//! GitHub REST v3: what to fetch (`fetch`: raw pages into staging) and how staged pages
//! become rows (`map`).

mod fetch;
mod map;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use self::fetch::{fetch, fetch_item_comments, fetch_pr_children, owner_repos};
pub(crate) use self::map::process;

const DATA_SOURCE: &str = "GitHub API";
/// Per-PR listings fetched at once (reviews, commits, files of several PRs).
const PR_FETCH_CONCURRENCY: usize = 8;
const PID: i64 = 1;

/// Staged entities in processing order: parents before the children that resolve them.
pub(crate) const PROCESSING_ORDER: &[&str] = &[
    "repo",
    "releases",
    "contributors",
    "issues",
    "pulls",
    "pull_reviews",
    "pull_commits",
    "pull_files",
    "events",
    "issue_comments",
    "item_comments",
    "review_comments",
    "clones",
];

fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}
