//! GitLab v4: what to fetch (`fetch`: raw pages into staging) and how staged pages become rows
//! (`map`).
//!
//! Projects are addressed by their URL-encoded full path (`group%2Fsub%2Fproject`) for the first
//! request and by numeric id afterwards (a renamed project keeps its id). GitLab numbers issues
//! and merge requests apart: `platform_issue_id`/`platform_pr_id` hold the global `id`,
//! `issue_number`/`pr_number` the per-project `iid`.

mod fetch;
mod map;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use self::fetch::{fetch, owner_repos};
pub(crate) use self::map::process;

const DATA_SOURCE: &str = "GitLab API";
const PID: i64 = 2;

/// Staged entities in processing order: parents before the children that resolve them.
pub(crate) const PROCESSING_ORDER: &[&str] = &[
    "project",
    "issues_statistics",
    "members",
    "releases",
    "issues",
    "merge_requests",
    "issue_notes",
    "issue_label_events",
    "mr_notes",
    "mr_label_events",
    "mr_commits",
    "mr_diffs",
    "mr_approvals",
    "events",
    // After the notes: the complete note lists, which remove notes deleted on the forge.
    "issue_notes_listed",
    "mr_notes_listed",
];
/// Read by every chunk: label details (issues and merge requests name their labels only).
pub(crate) const CONTEXT: &[&str] = &["labels"];

fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Percent-encode one path component (GitLab wants `/` in project paths as `%2F`).
use crate::forge::locate::encode_path as encode;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::map::{diff_stat, label_name};
    use super::*;

    #[test]
    fn project_paths_are_encoded() {
        assert_eq!(encode("grp/sub/proj.x"), "grp%2Fsub%2Fproj.x");
        assert_eq!(encode("a b"), "a%20b");
    }

    #[test]
    fn diffs_are_counted() {
        let d = "--- a/x\n+++ b/x\n@@ -1,2 +1,3 @@\n a\n-b\n+c\n+d\n";
        assert_eq!(diff_stat(d), (2, 1));
        assert_eq!(label_name(&json!("bug")), Some("bug"));
        assert_eq!(label_name(&json!({"name": "ui"})), Some("ui"));
    }
}
