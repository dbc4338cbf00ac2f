//! How staged GitHub pages become rows: one method per entity, contributors gathered on the
//! way and written first, then every table in dependency order.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};
use sqlx::PgConnection;

use super::{DATA_SOURCE, PID, parse_time};
use crate::collect::specs::Entity;
use crate::collect::upsert;
use crate::collect::{Counts, Mapped, Staged, items, write_entity};
use crate::contributor_id::{PLATFORM_GITHUB, contributor_id};

/// Contributor rows gathered while mapping, written before anything that references them.
struct Users {
    repo_id: i64,
    rows: HashMap<i64, Value>,
}

impl Users {
    fn new(repo_id: i64) -> Users {
        Users {
            repo_id,
            rows: HashMap::new(),
        }
    }

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
        // Contributors, then their platform identities (refused rows are quarantined).
        let m = Mapped::new(self.repo_id, &[]);
        let mut c = Counts::default();
        let n = write_entity(conn, &m, Entity::Contributors, &rows, &[], &mut c).await?;
        write_entity(conn, &m, Entity::Identities, &ids, &[], &mut c).await?;
        Ok(n)
    }
}

fn with_source(v: Value) -> Value {
    upsert::with_source(v, DATA_SOURCE)
}

fn number_from_url(url: &Value) -> Option<i64> {
    url.as_str()?.rsplit('/').next()?.parse().ok()
}

/// The rows mapped so far from one repository's staged pages.
struct Mapper<'a> {
    repo_id: i64,
    staged: &'a [Staged],
    users: Users,
    rows: Mapped<'a>,
}

fn by<'s>(
    staged: &'s [Staged],
    entity: &'static str,
) -> impl DoubleEndedIterator<Item = &'s Staged> {
    staged.iter().filter(move |s| s.entity == entity)
}

impl<'a> Mapper<'a> {
    fn push(&mut self, kind: &'static str, v: Value) {
        self.rows.push(kind, with_source(v));
    }

    /// The repository object's page (its owner and contributors become users).
    fn repo(&mut self) -> Option<&'a Staged> {
        // Repository metadata.
        let info = by(self.staged, "repo").next_back();
        if let Some(info) = info {
            self.users.add(&info.payload["owner"]);
        }
        for (_, _, u) in items(self.staged, "contributors") {
            self.users.add(u);
        }
        info
    }

    fn releases(&mut self) {
        let repo_id = self.repo_id;
        for (o, _, r) in items(self.staged, "releases") {
            self.rows.at(o);
            self.users.add(&r["author"]);
            self.push(
                "releases",
                json!({"repo_id": repo_id, "release_id": r["node_id"].as_str().map(str::to_owned).unwrap_or_else(|| r["id"].to_string()),
                       "release_name": r["name"], "release_description": r["body"], "release_author": r["author"]["login"],
                       "release_tag_name": r["tag_name"], "release_url": r["html_url"], "release_created_at": r["created_at"],
                       "release_published_at": r["published_at"], "is_draft": r["draft"], "is_prerelease": r["prerelease"]}),
            );
        }
    }

    /// Issues; returns the PR numbers seen and the issue ids by number.
    fn issues(&mut self) -> (HashSet<i64>, HashMap<i64, i64>) {
        let repo_id = self.repo_id;
        // Issues (GitHub's /issues also lists PRs; those are kept as PRs only).
        let mut pr_numbers: HashSet<i64> = HashSet::new();
        for s in by(self.staged, "pulls") {
            for p in s.items() {
                if let Some(n) = p["number"].as_i64() {
                    pr_numbers.insert(n);
                }
            }
        }
        let mut issue_ids_by_number: HashMap<i64, i64> = HashMap::new();
        for (o, _, i) in items(self.staged, "issues") {
            self.rows.at(o);
            let number = i["number"].as_i64();
            if !i["pull_request"].is_null() {
                if let Some(n) = number {
                    pr_numbers.insert(n);
                }
                continue;
            }
            let Some(id) = self.rows.integer(i, "id") else {
                continue;
            };
            if let Some(n) = number {
                issue_ids_by_number.insert(n, id);
            }
            let reporter = self.users.add(&i["user"]);
            let closer = self.users.add(&i["closed_by"]);
            self.push(
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
                self.push(
                    "issue_labels",
                    json!({"repo_id": repo_id, "platform_issue_id": id, "platform_label_id": l["id"], "label_text": l["name"],
                           "label_description": l["description"], "label_color": l["color"], "node_id": l["node_id"]}),
                );
            }
            for a in i["assignees"].as_array().into_iter().flatten() {
                let c = self.users.add(a);
                self.push(
                    "issue_assignees",
                    json!({"repo_id": repo_id, "platform_issue_id": id, "cntrb_id": c, "platform_assignee_id": a["id"], "node_id": a["node_id"]}),
                );
            }
        }
        (pr_numbers, issue_ids_by_number)
    }

    fn pulls(&mut self) {
        let repo_id = self.repo_id;
        for (o, _, p) in items(self.staged, "pulls") {
            self.rows.at(o);
            let Some(n) = self.rows.integer(p, "number") else {
                continue;
            };
            let author = self.users.add(&p["user"]);
            self.push(
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
                self.push(
                    "pr_labels",
                    json!({"repo_id": repo_id, "pr_number": n, "platform_label_id": l["id"], "node_id": l["node_id"], "label_name": l["name"],
                           "label_description": l["description"], "label_color": l["color"], "is_default": l["default"]}),
                );
            }
            for a in p["assignees"].as_array().into_iter().flatten() {
                let c = self.users.add(a);
                self.push(
                    "pr_assignees",
                    json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "platform_assignee_id": a["id"]}),
                );
            }
            for r in p["requested_reviewers"].as_array().into_iter().flatten() {
                let c = self.users.add(r);
                self.push(
                    "pr_reviewers",
                    json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "platform_reviewer_id": r["id"], "reviewer_login": r["login"]}),
                );
            }
            for side in ["head", "base"] {
                let m = &p[side];
                if m.is_null() {
                    continue;
                }
                let c = self.users.add(&m["user"]);
                self.push(
                    "pr_meta",
                    json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "head_or_base": side, "meta_label": m["label"],
                           "meta_ref": m["ref"], "meta_sha": m["sha"]}),
                );
            }
        }
    }

    fn pull_reviews(&mut self) {
        let repo_id = self.repo_id;
        for (o, s, r) in items(self.staged, "pull_reviews") {
            self.rows.at(o);
            let n = s.ctx["pr_number"].clone();
            let c = self.users.add(&r["user"]);
            self.push(
                "pr_reviews",
                json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "platform_id": PID, "platform_review_id": r["id"],
                       "node_id": r["node_id"], "review_state": r["state"], "review_body": r["body"], "submitted_at": r["submitted_at"],
                       "author_association": r["author_association"], "commit_id": r["commit_id"], "html_url": r["html_url"],
                       "pull_request_url": r["pull_request_url"]}),
            );
            if r["body"].as_str().is_some_and(|b| !b.is_empty()) {
                self.push(
                    "messages",
                    json!({"repo_id": repo_id, "platform_id": PID, "platform_msg_id": r["id"], "msg_kind": "review_body",
                           "node_id": r["node_id"], "msg_text": r["body"], "msg_timestamp": r["submitted_at"], "cntrb_id": c}),
                );
                self.push(
                    "review_refs",
                    json!({"repo_id": repo_id, "pr_number": n, "platform_review_id": r["id"], "platform_id": PID,
                           "platform_msg_id": r["id"], "msg_kind": "review_body", "node_id": r["node_id"], "html_url": r["html_url"]}),
                );
            }
        }
    }

    fn pull_commits_and_files(&mut self) {
        let repo_id = self.repo_id;
        for (o, s, c) in items(self.staged, "pull_commits") {
            self.rows.at(o);
            let n = s.ctx["pr_number"].clone();
            let author = self.users.add(&c["author"]);
            self.push(
                "pr_commits",
                json!({"repo_id": repo_id, "pr_number": n, "pr_cmt_sha": c["sha"], "pr_cmt_node_id": c["node_id"],
                       "pr_cmt_message": c["commit"]["message"], "pr_cmt_comments_url": c["comments_url"],
                       "pr_cmt_author_email": c["commit"]["author"]["email"], "pr_cmt_author_name": c["commit"]["author"]["name"],
                       "pr_cmt_timestamp": c["commit"]["author"]["date"], "author_cntrb_id": author}),
            );
        }
        for (o, s, f) in items(self.staged, "pull_files") {
            self.rows.at(o);
            let n = s.ctx["pr_number"].clone();
            self.push(
                "pr_files",
                json!({"repo_id": repo_id, "pr_number": n, "pr_file_path": f["filename"], "pr_file_additions": f["additions"],
                       "pr_file_deletions": f["deletions"], "pr_file_change_type": f["status"]}),
            );
        }
    }

    fn events(&mut self, pr_numbers: &HashSet<i64>) {
        let repo_id = self.repo_id;
        for (o, _, e) in items(self.staged, "events") {
            self.rows.at(o);
            let c = self.users.add(&e["actor"]);
            let issue = &e["issue"];
            let n = issue["number"].as_i64();
            let is_pr =
                !issue["pull_request"].is_null() || n.is_some_and(|n| pr_numbers.contains(&n));
            let row = json!({"repo_id": repo_id, "platform_issue_id": issue["id"], "pr_number": n, "cntrb_id": c,
                             "platform_id": PID, "platform_event_id": e["id"], "node_id": e["node_id"], "node_url": e["url"],
                             "action": e["event"], "action_commit_hash": e["commit_id"], "created_at": e["created_at"]});
            self.push(if is_pr { "pr_events" } else { "issue_events" }, row);
        }
    }

    /// Issue comments: messages, referenced from their PR or issue (looked up when not in this run).
    async fn issue_comments(
        &mut self,
        conn: &mut PgConnection,
        pr_numbers: &HashSet<i64>,
        issue_ids_by_number: &HashMap<i64, i64>,
    ) -> anyhow::Result<()> {
        let repo_id = self.repo_id;
        // The repository's comment listing, and the complete listings of single items.
        let listed =
            items(self.staged, "issue_comments").chain(items(self.staged, "item_comments"));
        for (o, _, m) in listed {
            self.rows.at(o);
            let c = self.users.add(&m["user"]);
            self.push(
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
                self.push(
                    "pr_msg_refs",
                    json!({"repo_id": repo_id, "pr_number": n, "platform_id": PID, "platform_msg_id": m["id"],
                           "msg_kind": "issue_comment", "node_id": m["node_id"], "pr_issue_url": m["issue_url"]}),
                );
            } else {
                let issue_id = match issue_ids_by_number.get(&n) {
                    Some(id) => Some(*id),
                    None => known_issue(conn, repo_id, n).await?,
                };
                self.push(
                    "issue_msg_refs",
                    json!({"repo_id": repo_id, "platform_issue_id": issue_id, "platform_id": PID, "platform_msg_id": m["id"],
                           "msg_kind": "issue_comment", "node_id": m["node_id"]}),
                );
            }
        }
        Ok(())
    }

    fn review_comments(&mut self) {
        let repo_id = self.repo_id;
        for (o, _, m) in items(self.staged, "review_comments") {
            self.rows.at(o);
            let c = self.users.add(&m["user"]);
            let n = number_from_url(&m["pull_request_url"]);
            self.push(
                "messages",
                json!({"repo_id": repo_id, "platform_id": PID, "platform_msg_id": m["id"], "msg_kind": "review_comment",
                       "node_id": m["node_id"], "msg_text": m["body"], "msg_timestamp": m["created_at"],
                       "msg_updated_at": m["updated_at"], "cntrb_id": c}),
            );
            self.push(
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

    fn clones(&mut self) {
        let repo_id = self.repo_id;
        for s in by(self.staged, "clones") {
            self.rows.at(crate::collect::Origin {
                staging_id: s.staging_id,
                item: None,
            });
            for c in s.payload["clones"].as_array().into_iter().flatten() {
                self.push(
                    "clones",
                    json!({"repo_id": repo_id, "unique_clones": c["uniques"], "count_clones": c["count"], "clone_timestamp": c["timestamp"]}),
                );
            }
        }
    }
}

/// Turn the staged pages of one repository into rows, parents before children.
pub(crate) async fn process(
    conn: &mut PgConnection,
    repo_id: i64,
    staged: &[Staged],
    counts: &mut Counts,
) -> anyhow::Result<()> {
    let mut m = Mapper {
        repo_id,
        staged,
        users: Users::new(repo_id),
        rows: Mapped::new(repo_id, staged),
    };
    let info = m.repo();
    m.releases();
    let (pr_numbers, issue_ids_by_number) = m.issues();
    m.pulls();
    m.pull_reviews();
    m.pull_commits_and_files();
    m.events(&pr_numbers);
    m.issue_comments(conn, &pr_numbers, &issue_ids_by_number)
        .await?;
    m.review_comments();
    m.clones();

    // Write: contributors first, then parents before children.
    counts.contributors += m.users.write(conn).await?;
    if let Some(info) = &info {
        write_repo_info(conn, repo_id, info).await?;
    }
    crate::collect::write_rows(conn, m.rows, counts).await?;
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

/// Update `repos` from the repository object's page and rotate the `repo_info` snapshot; a value
/// the database refuses quarantines the object instead.
async fn write_repo_info(
    conn: &mut PgConnection,
    repo_id: i64,
    page: &Staged,
) -> anyhow::Result<()> {
    let r = &page.payload;
    crate::collect::write_object(conn, repo_id, page, async |c: &mut PgConnection| {
        write_repo_info_rows(c, repo_id, r).await
    })
    .await
}

async fn write_repo_info_rows(
    conn: &mut PgConnection,
    repo_id: i64,
    r: &Value,
) -> anyhow::Result<()> {
    let facts = crate::repos::ForgeFacts {
        description: r["description"].as_str(),
        platform_repo_id: r["id"].as_i64().map(|i| i.to_string()),
        forked_from: r["parent"]["full_name"].as_str(),
        archived: r["archived"].as_bool(),
        created_at: parse_time(&r["created_at"]),
        updated_at: parse_time(&r["updated_at"]),
        repo_type: r["visibility"].as_str(),
    };
    crate::repos::update_from_github(conn, repo_id, &facts, r["language"].as_str()).await?;
    crate::collect::rotate_repo_info(conn, repo_id).await?;
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
