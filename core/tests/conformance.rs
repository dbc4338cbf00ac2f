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
        .join("tests/fixtures/real/github")
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
         VALUES ($1, 1, $2, $3)",
    )
    .bind(repo_id)
    .bind(entity)
    .bind(json!({"ctx": ctx, "items": items}))
    .execute(conn)
    .await
    .unwrap();
}

/// (table, column, why the recorded responses leave it empty).
const EMPTY_BY_DESIGN: &[(&str, &str, &str)] = &[
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
async fn stage_recordings(conn: &mut PgConnection, repo_id: i64) {
    let issue = real("issue.json");
    let pull = real("pull.json");
    let n = pull["number"].clone();
    let mut issues = list(real("issues_list.json"));
    issues.push(issue.clone());
    let mut pulls = list(real("pulls_list.json"));
    pulls.push(pull.clone());
    let events: Vec<Value> = list(real("issue_events.json"))
        .into_iter()
        .chain(list(real("issue_event_closed.json")))
        .map(|mut e| {
            e["issue"] = issue.clone();
            e
        })
        .collect();
    let review_comments: Vec<Value> = list(real("pull_review_comment.json"))
        .into_iter()
        .map(|mut c| {
            c["pull_request_url"] = pull["url"].clone();
            c
        })
        .collect();
    let pr = json!({"pr_number": n});
    stage(conn, repo_id, "repo", Value::Null, real("repo.json")).await;
    stage(
        conn,
        repo_id,
        "contributors",
        Value::Null,
        real("contributor.json"),
    )
    .await;
    stage(
        conn,
        repo_id,
        "releases",
        Value::Null,
        json!(list(real("release.json"))),
    )
    .await;
    stage(conn, repo_id, "issues", Value::Null, json!(issues)).await;
    stage(conn, repo_id, "pulls", Value::Null, json!(pulls)).await;
    stage(
        conn,
        repo_id,
        "pull_reviews",
        pr.clone(),
        real("pull_review.json"),
    )
    .await;
    stage(
        conn,
        repo_id,
        "pull_commits",
        pr.clone(),
        real("pull_commit.json"),
    )
    .await;
    stage(conn, repo_id, "pull_files", pr, real("pull_file.json")).await;
    stage(conn, repo_id, "events", Value::Null, json!(events)).await;
    stage(
        conn,
        repo_id,
        "issue_comments",
        Value::Null,
        json!(list(real("comment.json"))),
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

#[tokio::test]
async fn real_github_responses_fill_every_column_our_specs_write() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    let group = test_group(&mut conn).await;
    let repo_id: i64 = sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_owner, repo_name, repo_group_id)
         VALUES (1, 'https://github.com/PyGithub/PyGithub', 'PyGithub', 'PyGithub', $1)
         RETURNING repo_id",
    )
    .bind(group)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    stage_recordings(&mut conn, repo_id).await;
    aveloxis_core::collect::process_staged(&mut conn, repo_id, Fence::Unclaimed)
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
                tables_with_rows.insert(spec.table);
            }
            if rows > 0 && nulls == rows {
                empty.insert((spec.table.trim_start_matches("aveloxis_data."), *column));
            }
        }
    }
    let allowed: BTreeSet<(&str, &str)> =
        EMPTY_BY_DESIGN.iter().map(|(t, c, _)| (*t, *c)).collect();
    let unexpected: Vec<_> = empty.difference(&allowed).collect();
    let stale: Vec<_> = allowed.difference(&empty).collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "columns left NULL by every real response: {unexpected:?}\nlisted but filled: {stale:?}\ntables: {tables_with_rows:?}"
    );
}
