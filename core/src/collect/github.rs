//! GitHub REST v3: what to fetch (staged raw) and how staged pages become rows.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::specs;
use super::upsert::upsert;
use super::{Counts, Staged, Stager};
use crate::contributor_id::{PLATFORM_GITHUB, contributor_id};
use crate::forge::client::{ForgeClient, ForgeError};

const DATA_SOURCE: &str = "GitHub API";
/// Per-PR listings fetched at once (reviews, commits, files of several PRs).
const PR_FETCH_CONCURRENCY: usize = 8;
const PID: i64 = 1;

fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Fetch everything changed since `since` (None = everything) into staging.
pub async fn fetch(
    client: &ForgeClient,
    api: &str,
    owner: &str,
    name: &str,
    since: Option<DateTime<Utc>>,
    stage: &mut Stager<'_>,
) -> anyhow::Result<()> {
    let base = format!("{}/repos/{owner}/{name}", api.trim_end_matches('/'));
    let since_q = since
        .map(|s| format!("&since={}", s.format("%Y-%m-%dT%H:%M:%SZ")))
        .unwrap_or_default();
    let info = client.get(&base).await?;
    stage.put("repo", Value::Null, info.body).await?;
    for (entity, url) in [
        ("releases", format!("{base}/releases?per_page=100")),
        ("contributors", format!("{base}/contributors?per_page=100")),
        (
            "issues",
            format!("{base}/issues?state=all&sort=updated&direction=asc&per_page=100{since_q}"),
        ),
    ] {
        for page in client.get_all(&url, |_| true).await? {
            stage.put(entity, Value::Null, page.body).await?;
        }
    }
    // Pulls have no server-side `since`: newest-updated first, stop past the window.
    let older_than_window = |page: &Value| -> bool {
        let Some(since) = since else { return false };
        page.as_array()
            .and_then(|a| a.last())
            .and_then(|p| parse_time(&p["updated_at"]))
            .is_some_and(|t| t < since)
    };
    let mut pr_numbers = Vec::new();
    let pulls = client
        .get_all(
            &format!("{base}/pulls?state=all&sort=updated&direction=desc&per_page=100"),
            |page| !older_than_window(page),
        )
        .await?;
    for page in pulls {
        for pr in page.body.as_array().into_iter().flatten() {
            let fresh = match since {
                Some(s) => parse_time(&pr["updated_at"]).is_none_or(|t| t >= s),
                None => true,
            };
            if fresh && let Some(n) = pr["number"].as_i64() {
                pr_numbers.push(n);
            }
        }
        stage.put("pulls", Value::Null, page.body).await?;
    }
    // The per-PR listings are independent: fetch a few at once, stage them in order.
    let base_ref = base.as_str();
    let requests: Vec<(i64, &'static str, String)> = pr_numbers
        .iter()
        .flat_map(|n| {
            [
                ("pull_reviews", "reviews"),
                ("pull_commits", "commits"),
                ("pull_files", "files"),
            ]
            .into_iter()
            .map(move |(entity, sub)| {
                (
                    *n,
                    entity,
                    format!("{base_ref}/pulls/{n}/{sub}?per_page=100"),
                )
            })
        })
        .collect();
    for chunk in requests.chunks(PR_FETCH_CONCURRENCY) {
        let mut batch = Vec::with_capacity(chunk.len());
        for (n, entity, url) in chunk {
            batch.push(listing(client, *n, entity, url.clone()));
        }
        for (n, entity, pages) in futures_util::future::join_all(batch).await {
            for page in pages? {
                stage
                    .put(entity, json!({"pr_number": n}), page.body)
                    .await?;
            }
        }
    }
    // Repository events: newest first; stop once a page reaches past the window.
    let events = client
        .get_all(&format!("{base}/issues/events?per_page=100"), |page| {
            let Some(since) = since else { return true };
            page.as_array()
                .and_then(|a| a.last())
                .and_then(|e| parse_time(&e["created_at"]))
                .is_none_or(|t| t >= since)
        })
        .await?;
    for page in events {
        stage.put("events", Value::Null, page.body).await?;
    }
    for (entity, url) in [
        (
            "issue_comments",
            format!("{base}/issues/comments?per_page=100{since_q}"),
        ),
        (
            "review_comments",
            format!("{base}/pulls/comments?per_page=100{since_q}"),
        ),
    ] {
        for page in client.get_all(&url, |_| true).await? {
            stage.put(entity, Value::Null, page.body).await?;
        }
    }
    // Clone traffic needs push access; without it the forge answers 403, which is not a failure.
    match client.get(&format!("{base}/traffic/clones")).await {
        Ok(p) => stage.put("clones", Value::Null, p.body).await?,
        Err(ForgeError::Forbidden { .. } | ForgeError::NotFound { .. }) => {
            tracing::info!(repo = %format!("{owner}/{name}"), "clone traffic not available with these keys");
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Every page of one per-PR listing (a named future, so the stream of them is `Send`).
async fn listing(
    client: &ForgeClient,
    n: i64,
    entity: &'static str,
    url: String,
) -> (
    i64,
    &'static str,
    Result<Vec<crate::forge::client::Page>, ForgeError>,
) {
    (n, entity, client.get_all(&url, keep_all).await)
}

fn keep_all(_: &Value) -> bool {
    true
}

/// Contributor rows gathered while mapping, written before anything that references them.
#[derive(Default)]
struct Users {
    rows: HashMap<i64, Value>,
}

impl Users {
    /// Record a GitHub user object; its deterministic contributor id.
    fn add(&mut self, u: &Value) -> Value {
        let Some(id) = u["id"].as_i64().filter(|i| *i >= 0) else {
            return Value::Null;
        };
        let cid = contributor_id(PLATFORM_GITHUB, id as u64).to_string();
        self.rows.entry(id).or_insert_with(|| {
            json!({
                "cntrb_id": cid, "cntrb_login": u["login"], "cntrb_type": u["type"],
                "gh_user_id": id, "gh_login": u["login"], "gh_node_id": u["node_id"],
                "gh_url": u["url"], "gh_html_url": u["html_url"], "gh_avatar_url": u["avatar_url"],
                "gh_type": u["type"], "gh_site_admin": u["site_admin"].as_bool().map(|b| b.to_string()),
                "data_source": DATA_SOURCE,
            })
        });
        Value::String(cid)
    }

    async fn write(&self, conn: &mut PgConnection) -> anyhow::Result<u64> {
        let rows: Vec<Value> = self.rows.values().cloned().collect();
        let ids: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({"cntrb_id": r["cntrb_id"], "platform_id": PID, "platform_user_id": r["gh_user_id"],
                       "login": r["gh_login"], "node_id": r["gh_node_id"], "avatar_url": r["gh_avatar_url"],
                       "profile_url": r["gh_html_url"], "user_type": r["gh_type"], "data_source": DATA_SOURCE})
            })
            .collect();
        let w = upsert(conn, specs::Entity::Contributors, &rows).await?;
        upsert(conn, specs::Entity::Identities, &ids).await?;
        Ok(w.rows)
    }
}

fn with_source(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("data_source".into(), Value::String(DATA_SOURCE.into()));
    }
    v
}

fn items(s: &Staged) -> impl Iterator<Item = &Value> {
    s.payload.as_array().into_iter().flatten()
}

fn number_from_url(url: &Value) -> Option<i64> {
    url.as_str()?.rsplit('/').next()?.parse().ok()
}

/// Turn the staged pages of one repository into rows, parents before children.
pub async fn process(
    conn: &mut PgConnection,
    repo_id: i64,
    staged: &[Staged],
    counts: &mut Counts,
) -> anyhow::Result<()> {
    let by = |e: &'static str| staged.iter().filter(move |s| s.entity == e);
    let mut users = Users::default();
    let mut rows: HashMap<&'static str, Vec<Value>> = HashMap::new();
    let mut push = |k: &'static str, v: Value| rows.entry(k).or_default().push(with_source(v));

    // Repository metadata.
    let info = by("repo").next_back().map(|s| s.payload.clone());
    if let Some(info) = &info {
        users.add(&info["owner"]);
    }
    for s in by("contributors") {
        for u in items(s) {
            users.add(u);
        }
    }
    for s in by("releases") {
        for r in items(s) {
            users.add(&r["author"]);
            push(
                "releases",
                json!({"repo_id": repo_id, "release_id": r["node_id"].as_str().map(str::to_owned).unwrap_or_else(|| r["id"].to_string()),
                       "release_name": r["name"], "release_description": r["body"], "release_author": r["author"]["login"],
                       "release_tag_name": r["tag_name"], "release_url": r["html_url"], "release_created_at": r["created_at"],
                       "release_published_at": r["published_at"], "is_draft": r["draft"], "is_prerelease": r["prerelease"]}),
            );
        }
    }
    // Issues (GitHub's /issues also lists PRs; those are kept as PRs only).
    let mut pr_numbers: HashSet<i64> = HashSet::new();
    for s in by("pulls") {
        for p in items(s) {
            if let Some(n) = p["number"].as_i64() {
                pr_numbers.insert(n);
            }
        }
    }
    let mut issue_ids_by_number: HashMap<i64, i64> = HashMap::new();
    for s in by("issues") {
        for i in items(s) {
            let number = i["number"].as_i64();
            if !i["pull_request"].is_null() {
                if let Some(n) = number {
                    pr_numbers.insert(n);
                }
                continue;
            }
            let Some(id) = i["id"].as_i64() else { continue };
            if let Some(n) = number {
                issue_ids_by_number.insert(n, id);
            }
            let reporter = users.add(&i["user"]);
            let closer = users.add(&i["closed_by"]);
            push(
                "issues",
                json!({"repo_id": repo_id, "platform_id": PID, "platform_issue_id": id, "issue_number": number,
                       "node_id": i["node_id"], "issue_title": i["title"], "issue_body": i["body"], "issue_state": i["state"],
                       "issue_url": i["url"], "html_url": i["html_url"], "repository_url": i["repository_url"],
                       "comments_url": i["comments_url"], "events_url": i["events_url"], "labels_url": i["labels_url"],
                       "reporter_id": reporter, "closed_by_id": closer, "gh_user_id": i["user"]["id"],
                       "comment_count": i["comments"], "created_at": i["created_at"], "updated_at": i["updated_at"],
                       "closed_at": i["closed_at"]}),
            );
            for l in i["labels"].as_array().into_iter().flatten() {
                push(
                    "issue_labels",
                    json!({"repo_id": repo_id, "platform_issue_id": id, "platform_label_id": l["id"], "label_text": l["name"],
                           "label_description": l["description"], "label_color": l["color"], "node_id": l["node_id"]}),
                );
            }
            for a in i["assignees"].as_array().into_iter().flatten() {
                let c = users.add(a);
                push(
                    "issue_assignees",
                    json!({"repo_id": repo_id, "platform_issue_id": id, "cntrb_id": c, "platform_assignee_id": a["id"], "node_id": a["node_id"]}),
                );
            }
        }
    }
    for s in by("pulls") {
        for p in items(s) {
            let Some(n) = p["number"].as_i64() else {
                continue;
            };
            let author = users.add(&p["user"]);
            push(
                "pulls",
                json!({"repo_id": repo_id, "platform_id": PID, "platform_pr_id": p["id"], "pr_number": n, "node_id": p["node_id"],
                       "pr_url": p["url"], "pr_html_url": p["html_url"], "pr_diff_url": p["diff_url"], "pr_patch_url": p["patch_url"],
                       "pr_issue_url": p["issue_url"], "pr_commits_url": p["commits_url"], "pr_review_comments_url": p["review_comments_url"],
                       "pr_comments_url": p["comments_url"], "pr_statuses_url": p["statuses_url"], "pr_title": p["title"], "pr_body": p["body"],
                       "pr_state": p["state"], "pr_locked": p["locked"], "author_id": author, "author_association": p["author_association"],
                       "merge_commit_sha": p["merge_commit_sha"], "meta_head_id": p["head"]["sha"], "meta_base_id": p["base"]["sha"],
                       "created_at": p["created_at"], "updated_at": p["updated_at"], "closed_at": p["closed_at"], "merged_at": p["merged_at"]}),
            );
            for l in p["labels"].as_array().into_iter().flatten() {
                push(
                    "pr_labels",
                    json!({"repo_id": repo_id, "pr_number": n, "platform_label_id": l["id"], "node_id": l["node_id"], "label_name": l["name"],
                           "label_description": l["description"], "label_color": l["color"], "is_default": l["default"]}),
                );
            }
            for a in p["assignees"].as_array().into_iter().flatten() {
                let c = users.add(a);
                push(
                    "pr_assignees",
                    json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "platform_assignee_id": a["id"]}),
                );
            }
            for r in p["requested_reviewers"].as_array().into_iter().flatten() {
                let c = users.add(r);
                push(
                    "pr_reviewers",
                    json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "platform_reviewer_id": r["id"], "reviewer_login": r["login"]}),
                );
            }
            for side in ["head", "base"] {
                let m = &p[side];
                if m.is_null() {
                    continue;
                }
                let c = users.add(&m["user"]);
                push(
                    "pr_meta",
                    json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "head_or_base": side, "meta_label": m["label"],
                           "meta_ref": m["ref"], "meta_sha": m["sha"]}),
                );
            }
        }
    }
    for s in by("pull_reviews") {
        let n = s.ctx["pr_number"].clone();
        for r in items(s) {
            let c = users.add(&r["user"]);
            push(
                "pr_reviews",
                json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "platform_id": PID, "platform_review_id": r["id"],
                       "node_id": r["node_id"], "review_state": r["state"], "review_body": r["body"], "submitted_at": r["submitted_at"],
                       "author_association": r["author_association"], "commit_id": r["commit_id"], "html_url": r["html_url"],
                       "pull_request_url": r["pull_request_url"]}),
            );
            if r["body"].as_str().is_some_and(|b| !b.is_empty()) {
                push(
                    "messages",
                    json!({"repo_id": repo_id, "platform_id": PID, "platform_msg_id": r["id"], "msg_kind": "review_body",
                           "node_id": r["node_id"], "msg_text": r["body"], "msg_timestamp": r["submitted_at"], "cntrb_id": c}),
                );
                push(
                    "review_refs",
                    json!({"repo_id": repo_id, "pr_number": n, "platform_review_id": r["id"], "platform_id": PID,
                           "platform_msg_id": r["id"], "msg_kind": "review_body", "node_id": r["node_id"], "html_url": r["html_url"]}),
                );
            }
        }
    }
    for s in by("pull_commits") {
        let n = s.ctx["pr_number"].clone();
        for c in items(s) {
            let author = users.add(&c["author"]);
            push(
                "pr_commits",
                json!({"repo_id": repo_id, "pr_number": n, "pr_cmt_sha": c["sha"], "pr_cmt_node_id": c["node_id"],
                       "pr_cmt_message": c["commit"]["message"], "pr_cmt_comments_url": c["comments_url"],
                       "pr_cmt_author_email": c["commit"]["author"]["email"], "pr_cmt_author_name": c["commit"]["author"]["name"],
                       "pr_cmt_timestamp": c["commit"]["author"]["date"], "author_cntrb_id": author}),
            );
        }
    }
    for s in by("pull_files") {
        let n = s.ctx["pr_number"].clone();
        for f in items(s) {
            push(
                "pr_files",
                json!({"repo_id": repo_id, "pr_number": n, "pr_file_path": f["filename"], "pr_file_additions": f["additions"],
                       "pr_file_deletions": f["deletions"], "pr_file_change_type": f["status"]}),
            );
        }
    }
    for s in by("events") {
        for e in items(s) {
            let c = users.add(&e["actor"]);
            let issue = &e["issue"];
            let n = issue["number"].as_i64();
            let is_pr =
                !issue["pull_request"].is_null() || n.is_some_and(|n| pr_numbers.contains(&n));
            let row = json!({"repo_id": repo_id, "platform_issue_id": issue["id"], "pr_number": n, "cntrb_id": c,
                             "platform_id": PID, "platform_event_id": e["id"], "node_id": e["node_id"], "node_url": e["url"],
                             "action": e["event"], "action_commit_hash": e["commit_id"], "created_at": e["created_at"]});
            push(if is_pr { "pr_events" } else { "issue_events" }, row);
        }
    }
    for s in by("issue_comments") {
        for m in items(s) {
            let c = users.add(&m["user"]);
            push(
                "messages",
                json!({"repo_id": repo_id, "platform_id": PID, "platform_msg_id": m["id"], "msg_kind": "issue_comment",
                       "node_id": m["node_id"], "msg_text": m["body"], "msg_timestamp": m["created_at"],
                       "msg_updated_at": m["updated_at"], "cntrb_id": c}),
            );
            let Some(n) = number_from_url(&m["issue_url"]) else {
                continue;
            };
            if pr_numbers.contains(&n)
                || !issue_ids_by_number.contains_key(&n) && is_known_pr(conn, repo_id, n).await?
            {
                push(
                    "pr_msg_refs",
                    json!({"repo_id": repo_id, "pr_number": n, "platform_id": PID, "platform_msg_id": m["id"],
                           "msg_kind": "issue_comment", "node_id": m["node_id"], "pr_issue_url": m["issue_url"]}),
                );
            } else {
                let issue_id = match issue_ids_by_number.get(&n) {
                    Some(id) => Some(*id),
                    None => known_issue(conn, repo_id, n).await?,
                };
                push(
                    "issue_msg_refs",
                    json!({"repo_id": repo_id, "platform_issue_id": issue_id, "platform_id": PID, "platform_msg_id": m["id"],
                           "msg_kind": "issue_comment", "node_id": m["node_id"]}),
                );
            }
        }
    }
    for s in by("review_comments") {
        for m in items(s) {
            let c = users.add(&m["user"]);
            let n = number_from_url(&m["pull_request_url"]);
            push(
                "messages",
                json!({"repo_id": repo_id, "platform_id": PID, "platform_msg_id": m["id"], "msg_kind": "review_comment",
                       "node_id": m["node_id"], "msg_text": m["body"], "msg_timestamp": m["created_at"],
                       "msg_updated_at": m["updated_at"], "cntrb_id": c}),
            );
            push(
                "review_comments",
                json!({"repo_id": repo_id, "pr_number": n, "platform_id": PID, "platform_msg_id": m["id"], "msg_kind": "review_comment",
                       "cntrb_id": c, "platform_review_id": m["pull_request_review_id"], "node_id": m["node_id"], "diff_hunk": m["diff_hunk"],
                       "path": m["path"], "position": m["position"], "original_position": m["original_position"], "line": m["line"],
                       "original_line": m["original_line"], "side": m["side"], "commit_id": m["commit_id"],
                       "original_commit_id": m["original_commit_id"], "in_reply_to_id": m["in_reply_to_id"],
                       "author_association": m["author_association"], "html_url": m["html_url"], "url": m["url"],
                       "created_at": m["created_at"], "updated_at": m["updated_at"]}),
            );
        }
    }
    for s in by("clones") {
        for c in s.payload["clones"].as_array().into_iter().flatten() {
            push(
                "clones",
                json!({"repo_id": repo_id, "unique_clones": c["uniques"], "count_clones": c["count"], "clone_timestamp": c["timestamp"]}),
            );
        }
    }

    // Write: contributors first, then parents before children.
    counts.contributors += users.write(conn).await?;
    if let Some(info) = &info {
        write_repo_info(conn, repo_id, info).await?;
    }
    super::write_rows(conn, rows, counts).await?;
    Ok(())
}

async fn is_known_pr(conn: &mut PgConnection, repo_id: i64, n: i64) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM aveloxis_data.pull_requests WHERE repo_id = $1 AND pr_number = $2)",
    )
    .bind(repo_id)
    .bind(n)
    .fetch_one(conn)
    .await?)
}

async fn known_issue(conn: &mut PgConnection, repo_id: i64, n: i64) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT platform_issue_id FROM aveloxis_data.issues WHERE repo_id = $1 AND issue_number = $2",
    )
    .bind(repo_id)
    .bind(n)
    .fetch_optional(conn)
    .await?)
}

/// Update `repos` from the repository object and rotate the `repo_info` snapshot.
async fn write_repo_info(conn: &mut PgConnection, repo_id: i64, r: &Value) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE aveloxis_data.repos SET
             repo_description = $2, primary_language = $3, platform_repo_id = $4,
             forked_from = $5, repo_archived = coalesce($6, repo_archived),
             created_at = $7, updated_at = $8, repo_type = coalesce($9, repo_type),
             data_collection_date = now()
         WHERE repo_id = $1",
    )
    .bind(repo_id)
    .bind(r["description"].as_str())
    .bind(r["language"].as_str())
    .bind(r["id"].as_i64().map(|i| i.to_string()))
    .bind(r["parent"]["full_name"].as_str())
    .bind(r["archived"].as_bool())
    .bind(parse_time(&r["created_at"]))
    .bind(parse_time(&r["updated_at"]))
    .bind(r["visibility"].as_str())
    .execute(&mut *conn)
    .await?;
    super::rotate_repo_info(conn, repo_id).await?;
    let topics: Option<String> = r["topics"].as_array().map(|t| {
        t.iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(",")
    });
    sqlx::query(
        "INSERT INTO aveloxis_data.repo_info
             (repo_id, last_updated, issues_enabled, open_issues, wiki_enabled, pages_enabled, fork_count,
              default_branch, watcher_count, star_count, license, keywords, archived,
              tool_source, tool_version, data_source, data_collection_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'aveloxis', $14, $15, now())
         ON CONFLICT (repo_id) DO UPDATE SET
             last_updated = EXCLUDED.last_updated, issues_enabled = EXCLUDED.issues_enabled,
             open_issues = EXCLUDED.open_issues, wiki_enabled = EXCLUDED.wiki_enabled,
             pages_enabled = EXCLUDED.pages_enabled, fork_count = EXCLUDED.fork_count,
             default_branch = EXCLUDED.default_branch, watcher_count = EXCLUDED.watcher_count,
             star_count = EXCLUDED.star_count, license = EXCLUDED.license, keywords = EXCLUDED.keywords,
             archived = EXCLUDED.archived, tool_version = EXCLUDED.tool_version,
             data_collection_date = now()",
    )
    .bind(repo_id)
    .bind(parse_time(&r["updated_at"]))
    .bind(r["has_issues"].as_bool().map(|b| b.to_string()))
    .bind(r["open_issues_count"].as_i64())
    .bind(r["has_wiki"].as_bool().map(|b| b.to_string()))
    .bind(r["has_pages"].as_bool().map(|b| b.to_string()))
    .bind(r["forks_count"].as_i64())
    .bind(r["default_branch"].as_str())
    .bind(r["subscribers_count"].as_i64().or(r["watchers_count"].as_i64()))
    .bind(r["stargazers_count"].as_i64())
    .bind(r["license"]["spdx_id"].as_str())
    .bind(topics)
    .bind(r["archived"].as_bool())
    .bind(crate::TOOL_VERSION)
    .bind(DATA_SOURCE)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Owner URL expansion: every repository of a GitHub organisation or user.
pub async fn owner_repos(
    client: &ForgeClient,
    api: &str,
    owner: &str,
) -> Result<Vec<String>, ForgeError> {
    let url = format!(
        "{}/orgs/{owner}/repos?per_page=100&type=all",
        api.trim_end_matches('/')
    );
    let pages = match client.get_all(&url, |_| true).await {
        Err(ForgeError::NotFound { .. }) => {
            client
                .get_all(
                    &format!(
                        "{}/users/{owner}/repos?per_page=100&type=all",
                        api.trim_end_matches('/')
                    ),
                    |_| true,
                )
                .await?
        }
        other => other?,
    };
    let mut names = BTreeSet::new();
    for p in pages {
        for r in p.body.as_array().into_iter().flatten() {
            if let Some(n) = r["html_url"].as_str() {
                names.insert(n.to_owned());
            }
        }
    }
    Ok(names.into_iter().collect())
}
