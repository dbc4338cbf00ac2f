//! How staged GitLab pages become rows: one method per entity, contributors gathered on the
//! way and written first, then every table in dependency order.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::PgConnection;

use super::{DATA_SOURCE, PID, parse_time};
use crate::collect::specs::Entity;
use crate::collect::upsert;
use crate::collect::{Counts, Mapped, Origin, Staged, items, write_entity};
use crate::contributor_id::{PLATFORM_GITLAB, contributor_id};

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

    /// Record a GitLab user object; its deterministic contributor id.
    fn add(&mut self, u: &Value) -> Value {
        let Some(id) = u["id"].as_i64().filter(|i| *i >= 0) else {
            return Value::Null;
        };
        let cid = contributor_id(PLATFORM_GITLAB, id as u64).to_string();
        self.rows.entry(id).or_insert_with(|| {
            let email = u["public_email"].as_str().filter(|e| !e.is_empty());
            json!({
                "cntrb_id": cid, "cntrb_login": u["username"], "cntrb_full_name": u["name"],
                "cntrb_email": email, "gl_id": id, "gl_username": u["username"], "gl_full_name": u["name"],
                "gl_web_url": u["web_url"], "gl_avatar_url": u["avatar_url"], "gl_state": u["state"],
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
                json!({"cntrb_id": r["cntrb_id"], "platform_id": PID, "platform_user_id": r["gl_id"],
                       "login": r["gl_username"], "avatar_url": r["gl_avatar_url"],
                       "profile_url": r["gl_web_url"], "data_source": DATA_SOURCE})
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

/// A label as GitLab lists it on an issue: a name, or an object with `with_labels_details`.
pub(super) fn label_name(l: &Value) -> Option<&str> {
    l.as_str().or_else(|| l["name"].as_str())
}

/// Lines added and removed in a unified diff.
pub(super) fn diff_stat(diff: &str) -> (i64, i64) {
    let (mut add, mut del) = (0, 0);
    for line in diff.lines() {
        if line.starts_with("+++") || line.starts_with("---") {
            continue;
        }
        if line.starts_with('+') {
            add += 1;
        } else if line.starts_with('-') {
            del += 1;
        }
    }
    (add, del)
}

/// The rows mapped so far from one repository's staged pages.
struct Mapper<'a> {
    repo_id: i64,
    staged: &'a [Staged],
    users: Users,
    labels: HashMap<String, Value>,
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

    /// The project object and its issue statistics (members become users).
    fn project(&mut self) -> (Option<&'a Staged>, Option<Value>) {
        let project = by(self.staged, "project").next_back();
        let stats = by(self.staged, "issues_statistics")
            .next_back()
            .map(|s| s.payload.clone());
        for (_, _, u) in items(self.staged, "members") {
            self.users.add(u);
        }
        (project, stats)
    }

    /// Label details by name (issues and MRs carry names only).
    fn labels(&mut self) {
        for (_, _, l) in items(self.staged, "labels") {
            if let Some(n) = l["name"].as_str() {
                self.labels.insert(n.to_owned(), l.clone());
            }
        }
    }

    fn label_detail(&self, l: &Value) -> Option<(String, Value, Value)> {
        let n = label_name(l)?;
        let d = self.labels.get(n).unwrap_or(l);
        let color = d["color"]
            .as_str()
            .map(|c| Value::String(c.trim_start_matches('#').to_owned()))
            .unwrap_or(Value::Null);
        Some((n.to_owned(), d["description"].clone(), color))
    }

    fn releases(&mut self) {
        let repo_id = self.repo_id;
        for (o, _, r) in items(self.staged, "releases") {
            self.rows.at(o);
            let Some(tag) = r["tag_name"].as_str() else {
                self.rows
                    .refuse(format!("tag_name: not a string: {}", r["tag_name"]));
                continue;
            };
            self.users.add(&r["author"]);
            self.push(
                "releases",
                json!({"repo_id": repo_id, "release_id": tag, "release_name": r["name"], "release_description": r["description"],
                       "release_author": r["author"]["username"], "release_tag_name": tag, "release_url": r["_links"]["self"],
                       "release_created_at": r["created_at"], "release_published_at": r["released_at"], "is_draft": false,
                       "is_prerelease": r["upcoming_release"]}),
            );
        }
    }

    fn issues(&mut self) {
        let repo_id = self.repo_id;
        for (o, _, i) in items(self.staged, "issues") {
            self.rows.at(o);
            let Some(id) = self.rows.integer(i, "id") else {
                continue;
            };
            let Some(iid) = self.rows.integer(i, "iid") else {
                continue;
            };
            let reporter = self.users.add(&i["author"]);
            let closer = self.users.add(&i["closed_by"]);
            self.push(
                "issues",
                json!({"repo_id": repo_id, "platform_id": PID, "platform_issue_id": id, "issue_number": iid,
                       "issue_title": i["title"], "issue_body": i["description"], "issue_state": i["state"],
                       "issue_url": i["_links"]["self"], "html_url": i["web_url"], "repository_url": i["_links"]["project"],
                       "comments_url": i["_links"]["notes"], "reporter_id": reporter, "closed_by_id": closer,
                       "gh_user_id": i["author"]["id"], "comment_count": i["user_notes_count"],
                       "created_at": i["created_at"], "updated_at": i["updated_at"], "closed_at": i["closed_at"]}),
            );
            for l in i["labels"].as_array().into_iter().flatten() {
                if let Some((text, desc, color)) = self.label_detail(l) {
                    self.push(
                        "issue_labels",
                        json!({"repo_id": repo_id, "platform_issue_id": id, "platform_label_id": null, "label_text": text,
                               "label_description": desc, "label_color": color}),
                    );
                }
            }
            for a in i["assignees"].as_array().into_iter().flatten() {
                let c = self.users.add(a);
                self.push(
                    "issue_assignees",
                    json!({"repo_id": repo_id, "platform_issue_id": id, "cntrb_id": c, "platform_assignee_id": a["id"]}),
                );
            }
        }
    }

    fn merge_requests(&mut self) {
        let repo_id = self.repo_id;
        for (o, _, m) in items(self.staged, "merge_requests") {
            self.rows.at(o);
            let Some(n) = self.rows.integer(m, "iid") else {
                continue;
            };
            let author = self.users.add(&m["author"]);
            self.users.add(&m["merged_by"]);
            self.users.add(&m["closed_by"]);
            let web = m["web_url"].as_str();
            self.push(
                "pulls",
                json!({"repo_id": repo_id, "platform_id": PID, "platform_pr_id": m["id"], "pr_number": n,
                       "pr_url": web, "pr_html_url": web, "pr_diff_url": web.map(|w| format!("{w}.diff")),
                       "pr_patch_url": web.map(|w| format!("{w}.patch")), "pr_title": m["title"], "pr_body": m["description"],
                       "pr_state": m["state"], "pr_locked": m["discussion_locked"], "author_id": author,
                       "merge_commit_sha": m["merge_commit_sha"], "meta_head_id": m["sha"],
                       "meta_base_id": m["diff_refs"]["base_sha"], "created_at": m["created_at"], "updated_at": m["updated_at"],
                       "closed_at": if m["closed_at"].is_null() { &m["merged_at"] } else { &m["closed_at"] },
                       "merged_at": m["merged_at"]}),
            );
            for l in m["labels"].as_array().into_iter().flatten() {
                if let Some((name, desc, color)) = self.label_detail(l) {
                    self.push(
                        "pr_labels",
                        json!({"repo_id": repo_id, "pr_number": n, "platform_label_id": null, "label_name": name,
                               "label_description": desc, "label_color": color}),
                    );
                }
            }
            for a in m["assignees"].as_array().into_iter().flatten() {
                let c = self.users.add(a);
                self.push(
                    "pr_assignees",
                    json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "platform_assignee_id": a["id"]}),
                );
            }
            for r in m["reviewers"].as_array().into_iter().flatten() {
                let c = self.users.add(r);
                self.push(
                    "pr_reviewers",
                    json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "platform_reviewer_id": r["id"],
                           "reviewer_login": r["username"]}),
                );
            }
            for (side, branch, sha) in [
                ("head", &m["source_branch"], &m["sha"]),
                ("base", &m["target_branch"], &m["diff_refs"]["base_sha"]),
            ] {
                if branch.is_null() {
                    continue;
                }
                self.push(
                    "pr_meta",
                    json!({"repo_id": repo_id, "pr_number": n, "head_or_base": side, "meta_label": branch,
                           "meta_ref": branch, "meta_sha": sha}),
                );
            }
        }
    }

    fn mr_commits_and_diffs(&mut self) {
        let repo_id = self.repo_id;
        for (o, s, c) in items(self.staged, "mr_commits") {
            self.rows.at(o);
            let n = s.ctx["iid"].clone();
            self.push(
                "pr_commits",
                json!({"repo_id": repo_id, "pr_number": n, "pr_cmt_sha": c["id"], "pr_cmt_message": c["message"],
                       "pr_cmt_author_email": c["author_email"], "pr_cmt_author_name": c["author_name"],
                       "pr_cmt_timestamp": c["authored_date"]}),
            );
        }
        for (o, s, f) in items(self.staged, "mr_diffs") {
            self.rows.at(o);
            let n = s.ctx["iid"].clone();
            let (add, del) = diff_stat(f["diff"].as_str().unwrap_or(""));
            let kind = if f["new_file"].as_bool() == Some(true) {
                "added"
            } else if f["deleted_file"].as_bool() == Some(true) {
                "removed"
            } else if f["renamed_file"].as_bool() == Some(true) {
                "renamed"
            } else {
                "modified"
            };
            let path = if f["new_path"].is_null() {
                &f["old_path"]
            } else {
                &f["new_path"]
            };
            self.push(
                "pr_files",
                json!({"repo_id": repo_id, "pr_number": n, "pr_file_path": path, "pr_file_additions": add,
                       "pr_file_deletions": del, "pr_file_change_type": kind}),
            );
        }
    }

    fn mr_approvals(&mut self) {
        let repo_id = self.repo_id;
        // Approvals have no id of their own; one approval per user per MR, so the approver's id
        // names the review.
        for s in by(self.staged, "mr_approvals") {
            self.rows.at(Origin {
                staging_id: s.staging_id,
                item: None,
            });
            let n = s.ctx["iid"].clone();
            for a in s.payload["approved_by"].as_array().into_iter().flatten() {
                let u = &a["user"];
                let c = self.users.add(u);
                self.push(
                    "pr_reviews",
                    json!({"repo_id": repo_id, "pr_number": n, "cntrb_id": c, "platform_id": PID, "platform_review_id": u["id"],
                           "review_state": "APPROVED", "submitted_at": a["approved_at"]}),
                );
            }
        }
    }

    /// Notes of issues and MRs: messages, their references, diff notes as review comments.
    fn notes(&mut self) {
        let repo_id = self.repo_id;
        for (entity, on_mr) in [("issue_notes", false), ("mr_notes", true)] {
            for (o, s, m) in items(self.staged, entity) {
                self.rows.at(o);
                // System notes ("added label", "changed the description") are events, not messages.
                if m["system"].as_bool() == Some(true) {
                    continue;
                }
                let c = self.users.add(&m["author"]);
                let diff = on_mr && m["type"].as_str() == Some("DiffNote");
                let kind = if diff {
                    "review_comment"
                } else {
                    "issue_comment"
                };
                self.push(
                    "messages",
                    json!({"repo_id": repo_id, "platform_id": PID, "platform_msg_id": m["id"], "msg_kind": kind,
                           "msg_text": m["body"], "msg_timestamp": m["created_at"], "msg_updated_at": m["updated_at"],
                           "cntrb_id": c}),
                );
                let html = s.ctx["web_url"]
                    .as_str()
                    .zip(m["id"].as_i64())
                    .map(|(w, id)| format!("{w}#note_{id}"));
                if !on_mr {
                    self.push(
                        "issue_msg_refs",
                        json!({"repo_id": repo_id, "platform_issue_id": s.ctx["id"], "platform_id": PID,
                               "platform_msg_id": m["id"], "msg_kind": kind}),
                    );
                    continue;
                }
                let n = s.ctx["iid"].clone();
                self.push(
                    "pr_msg_refs",
                    json!({"repo_id": repo_id, "pr_number": n, "platform_id": PID, "platform_msg_id": m["id"],
                           "msg_kind": kind, "pr_issue_url": s.ctx["web_url"]}),
                );
                if diff {
                    let p = &m["position"];
                    let side = if p["new_line"].is_null() && !p["old_line"].is_null() {
                        "LEFT"
                    } else {
                        "RIGHT"
                    };
                    self.push(
                        "review_comments",
                        json!({"repo_id": repo_id, "pr_number": n, "platform_id": PID, "platform_msg_id": m["id"],
                               "msg_kind": kind, "cntrb_id": c, "path": if p["new_path"].is_null() { &p["old_path"] } else { &p["new_path"] },
                               "line": p["new_line"], "original_line": p["old_line"], "side": side, "commit_id": p["head_sha"],
                               "original_commit_id": p["base_sha"], "html_url": html, "created_at": m["created_at"],
                               "updated_at": m["updated_at"]}),
                    );
                }
            }
        }
    }

    /// Label events and project events of issues and MRs.
    fn events(&mut self) {
        let repo_id = self.repo_id;
        for (entity, on_mr) in [("issue_label_events", false), ("mr_label_events", true)] {
            for (o, s, e) in items(self.staged, entity) {
                self.rows.at(o);
                let c = self.users.add(&e["user"]);
                let action = match e["action"].as_str() {
                    Some("remove") => "unlabeled",
                    _ => "labeled",
                };
                let row = json!({"repo_id": repo_id, "platform_issue_id": s.ctx["id"], "pr_number": s.ctx["iid"], "cntrb_id": c,
                                 "platform_id": PID, "platform_event_id": e["id"],
                                 "node_id": e["id"].as_i64().map(|i| format!("ResourceLabelEvent/{i}")),
                                 "action": action, "created_at": e["created_at"], "event_kind": "label_event"});
                self.push(if on_mr { "pr_events" } else { "issue_events" }, row);
            }
        }
        for (o, _, e) in items(self.staged, "events") {
            self.rows.at(o);
            let on_mr = match e["target_type"].as_str() {
                Some("MergeRequest") => true,
                Some("Issue") => false,
                _ => continue,
            };
            let c = self.users.add(&e["author"]);
            let row = json!({"repo_id": repo_id, "platform_issue_id": e["target_id"], "pr_number": e["target_iid"], "cntrb_id": c,
                             "platform_id": PID, "platform_event_id": e["id"],
                             "node_id": e["id"].as_i64().map(|i| format!("Event/{i}")),
                             "action": e["action_name"], "created_at": e["created_at"]});
            self.push(if on_mr { "pr_events" } else { "issue_events" }, row);
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
        labels: HashMap::new(),
        rows: Mapped::new(repo_id, staged),
    };
    let (project, stats) = m.project();
    m.labels();
    m.releases();
    m.issues();
    m.merge_requests();
    m.mr_commits_and_diffs();
    m.mr_approvals();
    m.notes();
    m.events();

    // Write: contributors first, then parents before children.
    counts.contributors += m.users.write(conn).await?;
    if let Some(p) = &project {
        write_repo_info(conn, repo_id, p, stats.as_ref()).await?;
    }
    crate::collect::write_rows(conn, m.rows, counts).await?;
    Ok(())
}

/// Update `repos` from the project object's page and rotate the `repo_info` snapshot; a value
/// the database refuses quarantines the object instead.
async fn write_repo_info(
    conn: &mut PgConnection,
    repo_id: i64,
    page: &Staged,
    stats: Option<&Value>,
) -> anyhow::Result<()> {
    let p = &page.payload;
    crate::collect::write_object(conn, repo_id, page, async |c: &mut PgConnection| {
        write_repo_info_rows(c, repo_id, p, stats).await
    })
    .await
}

async fn write_repo_info_rows(
    conn: &mut PgConnection,
    repo_id: i64,
    p: &Value,
    stats: Option<&Value>,
) -> anyhow::Result<()> {
    let facts = crate::repos::ForgeFacts {
        description: p["description"].as_str(),
        platform_repo_id: p["id"].as_i64().map(|i| i.to_string()),
        forked_from: p["forked_from_project"]["path_with_namespace"].as_str(),
        archived: p["archived"].as_bool(),
        created_at: parse_time(&p["created_at"]),
        updated_at: parse_time(&p["last_activity_at"]),
        repo_type: p["visibility"].as_str(),
    };
    crate::repos::update_from_gitlab(conn, repo_id, &facts).await?;
    crate::collect::rotate_repo_info(conn, repo_id).await?;
    let topics: Option<String> = p["topics"]
        .as_array()
        .or(p["tag_list"].as_array())
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")
        });
    let counts = stats.map(|s| &s["statistics"]["counts"]);
    let count = |k: &str| counts.and_then(|c| c[k].as_i64());
    let enabled = |k: &str| p[k].as_bool().map(|b| b.to_string());
    sqlx::query(
        "INSERT INTO aveloxis_data.repo_info
             (repo_id, last_updated, issues_enabled, open_issues, pull_requests_enabled, wiki_enabled,
              fork_count, default_branch, star_count, commit_count, issues_count, issues_closed,
              issues_open, license, keywords, archived,
              tool_source, tool_version, data_source, data_collection_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                 'aveloxis', $17, $18, now())
         ON CONFLICT (repo_id) DO UPDATE SET
             last_updated = EXCLUDED.last_updated, issues_enabled = EXCLUDED.issues_enabled,
             open_issues = EXCLUDED.open_issues, pull_requests_enabled = EXCLUDED.pull_requests_enabled,
             wiki_enabled = EXCLUDED.wiki_enabled, fork_count = EXCLUDED.fork_count,
             default_branch = EXCLUDED.default_branch, star_count = EXCLUDED.star_count,
             commit_count = EXCLUDED.commit_count, issues_count = EXCLUDED.issues_count,
             issues_closed = EXCLUDED.issues_closed, issues_open = EXCLUDED.issues_open,
             license = EXCLUDED.license, keywords = EXCLUDED.keywords, archived = EXCLUDED.archived,
             tool_version = EXCLUDED.tool_version, data_source = EXCLUDED.data_source,
             data_collection_date = now()",
    )
    .bind(repo_id)
    .bind(parse_time(&p["last_activity_at"]))
    .bind(enabled("issues_enabled"))
    .bind(p["open_issues_count"].as_i64())
    .bind(enabled("merge_requests_enabled"))
    .bind(enabled("wiki_enabled"))
    .bind(p["forks_count"].as_i64())
    .bind(p["default_branch"].as_str())
    .bind(p["star_count"].as_i64())
    .bind(p["statistics"]["commit_count"].as_i64())
    .bind(count("all"))
    .bind(count("closed"))
    .bind(count("opened"))
    .bind(p["license"]["key"].as_str())
    .bind(topics)
    .bind(p["archived"].as_bool())
    .bind(crate::TOOL_VERSION)
    .bind(DATA_SOURCE)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
