//! Real recorded GitHub responses (tests/fixtures/real, sources in SOURCES.md) through our
//! mappers: every column a spec writes must come out non-NULL unless it is listed below with
//! the reason the real response has no value for it. A mapper reading a field under a name the
//! real API does not use leaves its column NULL and fails here — the mock forge, written from
//! the same picture of the API, cannot catch that.

use std::collections::BTreeSet;

use aveloxis_core::collect::specs;
use aveloxis_core::queue::Fence;
use serde_json::{Value, json};
use sqlx::PgConnection;

use crate::support::*;

fn real(name: &str) -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        one => vec![one],
    }
}

async fn stage(conn: &mut PgConnection, repo_id: i64, entity: &str, ctx: Value, items: Value) {
    sqlx::query(
        "INSERT INTO aveloxis_ops.staging (repo_id, platform_id, entity_type, payload)
         SELECT $1, platform_id, $2, $3 FROM aveloxis_data.repos WHERE repo_id = $1",
    )
    .bind(repo_id)
    .bind(entity)
    .bind(json!({"ctx": ctx, "items": items}))
    .execute(conn)
    .await
    .unwrap();
}

/// GitHub: (table, column, why the recorded responses leave it empty).
const GITHUB_EMPTY: &[(&str, &str, &str)] = &[
    (
        "contributors",
        "cntrb_email",
        "user objects in listings carry no e-mail (the profile does: enrichment)",
    ),
    (
        "contributors",
        "cntrb_full_name",
        "user objects in listings carry no name (the profile does: enrichment)",
    ),
    ("contributors", "gl_avatar_url", "GitLab only"),
    ("contributors", "gl_full_name", "GitLab only"),
    ("contributors", "gl_id", "GitLab only"),
    ("contributors", "gl_state", "GitLab only"),
    ("contributors", "gl_username", "GitLab only"),
    ("contributors", "gl_web_url", "GitLab only"),
    (
        "issue_events",
        "action_commit_hash",
        "the recorded events (closed, reopened) have commit_id null",
    ),
    (
        "issue_labels",
        "label_description",
        "the recorded labels have description null",
    ),
    (
        "review_comments",
        "in_reply_to_id",
        "the recorded comment is no reply (in_reply_to_id absent)",
    ),
    (
        "review_comments",
        "original_line",
        "the recorded comment has original_line null",
    ),
    (
        "review_comments",
        "platform_review_id",
        "the recorded comment has pull_request_review_id null",
    ),
    (
        "review_comments",
        "pr_review_id",
        "the recorded comment belongs to no review (see above)",
    ),
];

/// Stage every recording as one collection would, linked to each other where the recordings
/// come from different repositories (only the linking URLs and numbers are changed).
async fn stage_github(conn: &mut PgConnection, repo_id: i64) {
    let issue = real("github/issue.json");
    let pull = real("github/pull.json");
    let n = pull["number"].clone();
    let mut issues = list(real("github/issues_list.json"));
    issues.push(issue.clone());
    let mut pulls = list(real("github/pulls_list.json"));
    pulls.push(pull.clone());
    let events: Vec<Value> = list(real("github/issue_events.json"))
        .into_iter()
        .chain(list(real("github/issue_event_closed.json")))
        .map(|mut e| {
            e["issue"] = issue.clone();
            e
        })
        .collect();
    let review_comments: Vec<Value> = list(real("github/pull_review_comment.json"))
        .into_iter()
        .map(|mut c| {
            c["pull_request_url"] = pull["url"].clone();
            c
        })
        .collect();
    let pr = json!({"pr_number": n});
    stage(conn, repo_id, "repo", Value::Null, real("github/repo.json")).await;
    stage(
        conn,
        repo_id,
        "contributors",
        Value::Null,
        real("github/contributor.json"),
    )
    .await;
    stage(
        conn,
        repo_id,
        "releases",
        Value::Null,
        json!(list(real("github/release.json"))),
    )
    .await;
    stage(conn, repo_id, "issues", Value::Null, json!(issues)).await;
    stage(conn, repo_id, "pulls", Value::Null, json!(pulls)).await;
    stage(
        conn,
        repo_id,
        "pull_reviews",
        pr.clone(),
        real("github/pull_review.json"),
    )
    .await;
    stage(
        conn,
        repo_id,
        "pull_commits",
        pr.clone(),
        real("github/pull_commit.json"),
    )
    .await;
    stage(
        conn,
        repo_id,
        "pull_files",
        pr,
        real("github/pull_file.json"),
    )
    .await;
    stage(conn, repo_id, "events", Value::Null, json!(events)).await;
    stage(
        conn,
        repo_id,
        "issue_comments",
        Value::Null,
        json!(list(real("github/comment.json"))),
    )
    .await;
    stage(
        conn,
        repo_id,
        "review_comments",
        Value::Null,
        json!(review_comments),
    )
    .await;
}

/// A repository of `platform` at `url` whose staged recordings `stage_all` writes, processed;
/// then every spec column NULL in every row of a table that has rows must be in `allowed`.
async fn check(
    platform: i16,
    url: &str,
    allowed: &[(&str, &str, &str)],
    filled: &[&str],
    stage_all: impl AsyncFnOnce(&mut PgConnection, i64),
) {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let repo_id = repo_row(&mut conn, platform, url).await;
    stage_all(&mut conn, repo_id).await;
    aveloxis_core::collect::process_staged(
        &mut conn,
        repo_id,
        Fence::Unclaimed,
        aveloxis_core::collect::Budget::default(),
    )
    .await
    .unwrap();
    let mut empty = BTreeSet::new();
    let mut tables_with_rows = BTreeSet::new();
    for e in specs::all() {
        let spec = e.spec();
        for (column, _) in spec.columns {
            let (rows, nulls): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT count(*), count(*) FILTER (WHERE {column} IS NULL) FROM {}",
                spec.table
            )))
            .fetch_one(&mut conn)
            .await
            .unwrap();
            if rows > 0 {
                tables_with_rows.insert(spec.table.trim_start_matches("aveloxis_data."));
            }
            if rows > 0 && nulls == rows {
                empty.insert((spec.table.trim_start_matches("aveloxis_data."), *column));
            }
        }
    }
    // Every table the recordings feed got rows (a mapper that dropped them all would pass the
    // column check vacuously).
    let missing: Vec<_> = filled
        .iter()
        .filter(|t| !tables_with_rows.contains(*t))
        .collect();
    assert!(missing.is_empty(), "no rows in {missing:?}");
    let allowed: BTreeSet<(&str, &str)> = allowed.iter().map(|(t, c, _)| (*t, *c)).collect();
    let unexpected: Vec<_> = empty.difference(&allowed).collect();
    let stale: Vec<_> = allowed.difference(&empty).collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "columns left NULL by every real response: {unexpected:?}\nlisted but filled: {stale:?}\ntables: {tables_with_rows:?}"
    );
}

#[tokio::test]
async fn real_github_responses_fill_every_column_our_specs_write() {
    check(
        1,
        "https://github.com/PyGithub/PyGithub",
        GITHUB_EMPTY,
        &[
            "contributor_identities",
            "contributors",
            "issue_assignees",
            "issue_events",
            "issue_labels",
            "issue_message_ref",
            "issues",
            "messages",
            "pull_request_assignees",
            "pull_request_commits",
            "pull_request_files",
            "pull_request_labels",
            "pull_request_meta",
            "pull_request_reviewers",
            "pull_request_reviews",
            "pull_requests",
            "releases",
            "review_comments",
        ],
        async |c, r| stage_github(c, r).await,
    )
    .await;
}

/// GitLab: (table, column, why the recorded responses leave it empty).
const GITLAB_EMPTY: &[(&str, &str, &str)] = &[
    (
        "contributor_identities",
        "node_id",
        "GitLab has no node ids",
    ),
    (
        "contributor_identities",
        "user_type",
        "GitLab user objects carry no type",
    ),
    (
        "contributors",
        "cntrb_email",
        "user objects in listings carry no e-mail (the profile's public_email: enrichment)",
    ),
    (
        "contributors",
        "cntrb_type",
        "user objects in listings carry no type (the profile's bot flag: enrichment)",
    ),
    ("contributors", "gh_avatar_url", "GitHub only"),
    ("contributors", "gh_html_url", "GitHub only"),
    ("contributors", "gh_login", "GitHub only"),
    ("contributors", "gh_node_id", "GitHub only"),
    ("contributors", "gh_site_admin", "GitHub only"),
    ("contributors", "gh_type", "GitHub only"),
    ("contributors", "gh_url", "GitHub only"),
    ("contributors", "gh_user_id", "GitHub only"),
    (
        "issue_labels",
        "label_color",
        "issues name their labels only; colours come from the project's label listing (no GitLab recording of it)",
    ),
    ("issue_labels", "label_description", "as label_color"),
    ("issue_labels", "node_id", "GitLab has no node ids"),
    ("issue_labels", "platform_label_id", "as label_color"),
    (
        "issue_message_ref",
        "issue_msg_ref_src_node_id",
        "GitLab has no node ids",
    ),
    ("issues", "events_url", "GitHub only"),
    ("issues", "labels_url", "GitHub only"),
    ("issues", "node_id", "GitLab has no node ids"),
    ("messages", "node_id", "GitLab has no node ids"),
    (
        "pull_request_commits",
        "author_cntrb_id",
        "GitLab commits name their author by e-mail only",
    ),
    ("pull_request_commits", "pr_cmt_comments_url", "GitHub only"),
    (
        "pull_request_commits",
        "pr_cmt_node_id",
        "GitLab has no node ids",
    ),
    ("pull_request_labels", "is_default", "GitHub only"),
    (
        "pull_request_labels",
        "label_color",
        "as issue_labels.label_color",
    ),
    (
        "pull_request_labels",
        "label_description",
        "as issue_labels.label_color",
    ),
    ("pull_request_labels", "node_id", "GitLab has no node ids"),
    (
        "pull_request_labels",
        "platform_label_id",
        "as issue_labels.label_color",
    ),
    (
        "pull_request_message_ref",
        "pr_message_ref_src_node_id",
        "GitLab has no node ids",
    ),
    (
        "pull_request_meta",
        "cntrb_id",
        "GitLab's source and target branches carry no user",
    ),
    ("pull_requests", "author_association", "GitHub only"),
    ("pull_requests", "node_id", "GitLab has no node ids"),
    ("pull_requests", "pr_comments_url", "GitHub only"),
    ("pull_requests", "pr_commits_url", "GitHub only"),
    ("pull_requests", "pr_issue_url", "GitHub only"),
    (
        "pull_requests",
        "pr_locked",
        "the recorded merge requests have discussion_locked null",
    ),
    ("pull_requests", "pr_review_comments_url", "GitHub only"),
    ("pull_requests", "pr_statuses_url", "GitHub only"),
];

/// Stage GitLab's recordings, each child under the item its recording belongs to.
async fn stage_gitlab(conn: &mut PgConnection, repo_id: i64) {
    let issue = real("gitlab/issue.json");
    let mr = real("gitlab/merge_request.json");
    let merged = real("gitlab/merge_request_merged.json");
    let mut issues = list(real("gitlab/issues_list.json"));
    issues.extend([issue.clone(), real("gitlab/issue_open.json")]);
    let mut mrs = list(real("gitlab/merge_requests_list.json"));
    mrs.extend([mr.clone(), merged.clone()]);
    let diffs = real("gitlab/mr_changes.json")["changes"].clone();
    stage(
        conn,
        repo_id,
        "project",
        Value::Null,
        real("gitlab/project.json"),
    )
    .await;
    stage(
        conn,
        repo_id,
        "releases",
        Value::Null,
        real("gitlab/release.json"),
    )
    .await;
    stage(conn, repo_id, "issues", Value::Null, json!(issues)).await;
    stage(conn, repo_id, "merge_requests", Value::Null, json!(mrs)).await;
    stage(
        conn,
        repo_id,
        "issue_notes",
        issue,
        real("gitlab/note.json"),
    )
    .await;
    stage(conn, repo_id, "mr_notes", mr, real("gitlab/mr_note.json")).await;
    stage(
        conn,
        repo_id,
        "mr_commits",
        merged.clone(),
        real("gitlab/mr_commit.json"),
    )
    .await;
    stage(conn, repo_id, "mr_diffs", merged, diffs).await;
}

#[tokio::test]
async fn real_gitlab_responses_fill_every_column_our_specs_write() {
    check(
        2,
        "https://gitlab.com/packit-service/ogr-tests",
        GITLAB_EMPTY,
        &[
            "contributor_identities",
            "contributors",
            "issue_labels",
            "issue_message_ref",
            "issues",
            "messages",
            "pull_request_assignees",
            "pull_request_commits",
            "pull_request_files",
            "pull_request_labels",
            "pull_request_message_ref",
            "pull_request_meta",
            "pull_requests",
            "releases",
        ],
        async |c, r| stage_gitlab(c, r).await,
    )
    .await;
}
