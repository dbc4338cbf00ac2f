//! GitLab v4, rendered from the same synthetic world.
//!
//! Issues and pull requests become issues and merge requests with their own
//! `iid` sequences (GitLab numbers them apart). Conversation comments,
//! review comments (`DiffNote`) and non-empty review bodies become notes;
//! note ids are made unique per kind, as GitLab's are. Pagination uses
//! `X-Page`/`X-Next-Page`/`X-Total`/`X-Total-Pages` and `Link`.

use serde_json::{Value, json};

use crate::http::{PageReq, Reply, Req, build_query, json_array, percent_decode};
use crate::index::GlCache;
use crate::model::{RepoData, State, User};
use crate::server::{Forge, Lookup, Platform};
use crate::time::{iso_millis, parse};
use crate::truth::pull_files;

/// Offsets that keep GitLab note ids unique across the three message kinds.
pub const NOTE_OFFSET_REVIEW_COMMENT: u64 = 1 << 40;
/// See [`NOTE_OFFSET_REVIEW_COMMENT`].
pub const NOTE_OFFSET_REVIEW: u64 = 2 << 40;

fn not_found(what: &str) -> Reply {
    Reply::json(404, &json!({"message": format!("404 {what} Not Found")}))
}

fn user_json(web: &str, u: &User) -> Value {
    json!({
        "id": u.id,
        "username": u.login,
        "public_email": u.email,
        "name": u.name,
        "state": "active",
        "locked": false,
        "avatar_url": format!("{web}/uploads/-/system/user/avatar/{}/avatar.png", u.id),
        "web_url": format!("{web}/{}", u.login),
    })
}

fn project_json(f: &Forge, web: &str, repo: &RepoData, stats: bool) -> Value {
    let fname = repo.full_name();
    let owner = &f.world.users[repo.owner_user];
    let open = repo
        .issues
        .iter()
        .filter(|i| i.pull.is_none() && i.state == State::Open)
        .count();
    let mut v = json!({
        "id": repo.project_id,
        "description": repo.description,
        "name": repo.name,
        "name_with_namespace": format!("{} / {}", owner.name, repo.name),
        "path": repo.name,
        "path_with_namespace": fname,
        "created_at": iso_millis(repo.created_at),
        "default_branch": "main",
        "tag_list": ["mock"],
        "topics": ["mock"],
        "ssh_url_to_repo": format!("git@mock-forge:{fname}.git"),
        "http_url_to_repo": format!("{web}/{fname}.git"),
        "web_url": format!("{web}/{fname}"),
        "readme_url": format!("{web}/{fname}/-/blob/main/README.md"),
        "forks_count": repo.forks,
        "star_count": repo.stargazers,
        "last_activity_at": iso_millis(repo.pushed_at),
        "namespace": {"id": owner.id, "name": owner.name, "path": owner.login, "kind": "group", "full_path": owner.login, "parent_id": null, "web_url": format!("{web}/groups/{}", owner.login)},
        "visibility": "public",
        "archived": false,
        "open_issues_count": open,
        "issues_enabled": true,
        "merge_requests_enabled": true,
        "empty_repo": repo.commits.is_empty(),
    });
    if stats {
        let size = repo.commits.len() as u64 * 3072;
        v.as_object_mut().expect("object").insert(
            "statistics".into(),
            json!({"commit_count": repo.commits.len(), "storage_size": size, "repository_size": size, "wiki_size": 0, "lfs_objects_size": 0, "job_artifacts_size": 0, "packages_size": 0, "snippets_size": 0, "uploads_size": 0}),
        );
    }
    v
}

fn gl_state(repo: &RepoData, p: usize) -> &'static str {
    let is = &repo.issues[p];
    match (&is.pull, is.state) {
        (_, State::Open) => "opened",
        (Some(pr), State::Closed) if pr.merged_at.is_some() => "merged",
        _ => "closed",
    }
}

fn issue_json(f: &Forge, web: &str, repo: &RepoData, p: usize) -> Value {
    let rs_iid = f.repos[f.by_project[&repo.project_id]].gl_iid[p];
    let rs = &f.repos[f.by_project[&repo.project_id]];
    let is = &repo.issues[p];
    let users = &f.world.users;
    let fname = repo.full_name();
    json!({
        "id": is.id,
        "iid": rs_iid,
        "project_id": repo.project_id,
        "title": is.title,
        "description": if is.body.is_empty() { Value::Null } else { json!(is.body) },
        "state": gl_state(repo, p),
        "created_at": iso_millis(is.created_at),
        "updated_at": iso_millis(is.updated_at),
        "closed_at": is.closed_at.map(iso_millis),
        "closed_by": is.closed_by.map(|c| user_json(web, &users[c])),
        "labels": is.labels.iter().map(|&l| repo.labels[l].name.clone()).collect::<Vec<_>>(),
        "milestone": null,
        "assignees": is.assignees.iter().map(|&a| user_json(web, &users[a])).collect::<Vec<_>>(),
        "assignee": is.assignees.first().map(|&a| user_json(web, &users[a])),
        "author": user_json(web, &users[is.user]),
        "type": "ISSUE",
        "issue_type": "issue",
        "user_notes_count": rs.comments[p].len(),
        "merge_requests_count": 0,
        "upvotes": 0,
        "downvotes": 0,
        "due_date": null,
        "confidential": false,
        "discussion_locked": is.locked,
        "web_url": format!("{web}/{fname}/-/issues/{rs_iid}"),
        "time_stats": {"time_estimate": 0, "total_time_spent": 0, "human_time_estimate": null, "human_total_time_spent": null},
        "task_completion_status": {"count": 0, "completed_count": 0},
        "references": {"short": format!("#{rs_iid}"), "relative": format!("#{rs_iid}"), "full": format!("{fname}#{rs_iid}")},
        "severity": "UNKNOWN",
    })
}

fn mr_json(f: &Forge, web: &str, repo: &RepoData, p: usize) -> Value {
    let rs = &f.repos[f.by_project[&repo.project_id]];
    let iid = rs.gl_iid[p];
    let is = &repo.issues[p];
    let pr = is.pull.as_ref().expect("pull");
    let users = &f.world.users;
    let fname = repo.full_name();
    let head = &repo.commits[pr.first_commit + pr.commit_count - 1].sha;
    let notes = rs.comments[p].len()
        + rs.review_comments[p].len()
        + rs.reviews[p]
            .iter()
            .filter(|&&r| !repo.reviews[r].body.is_empty())
            .count();
    json!({
        "id": pr.id,
        "iid": iid,
        "project_id": repo.project_id,
        "title": is.title,
        "description": is.body,
        "state": gl_state(repo, p),
        "created_at": iso_millis(is.created_at),
        "updated_at": iso_millis(is.updated_at),
        "merged_by": pr.merged_by.map(|m| user_json(web, &users[m])),
        "merge_user": pr.merged_by.map(|m| user_json(web, &users[m])),
        "merged_at": pr.merged_at.map(iso_millis),
        "closed_by": if pr.merged_at.is_none() { is.closed_by.map(|c| user_json(web, &users[c])) } else { None },
        "closed_at": if pr.merged_at.is_none() { is.closed_at.map(iso_millis) } else { None },
        "target_branch": pr.base_ref,
        "source_branch": pr.head_ref,
        "user_notes_count": notes,
        "upvotes": 0,
        "downvotes": 0,
        "author": user_json(web, &users[is.user]),
        "assignees": is.assignees.iter().map(|&a| user_json(web, &users[a])).collect::<Vec<_>>(),
        "assignee": is.assignees.first().map(|&a| user_json(web, &users[a])),
        "reviewers": pr.requested_reviewers.iter().map(|&a| user_json(web, &users[a])).collect::<Vec<_>>(),
        "source_project_id": repo.project_id,
        "target_project_id": repo.project_id,
        "labels": is.labels.iter().map(|&l| repo.labels[l].name.clone()).collect::<Vec<_>>(),
        "draft": pr.draft,
        "work_in_progress": pr.draft,
        "milestone": null,
        "merge_when_pipeline_succeeds": false,
        "merge_status": "can_be_merged",
        "detailed_merge_status": if is.state == State::Open { "mergeable" } else { "not_open" },
        "sha": head,
        "merge_commit_sha": pr.merged_at.map(|_| head.clone()),
        "squash_commit_sha": null,
        "discussion_locked": is.locked,
        "should_remove_source_branch": null,
        "force_remove_source_branch": true,
        "reference": format!("!{iid}"),
        "references": {"short": format!("!{iid}"), "relative": format!("!{iid}"), "full": format!("{fname}!{iid}")},
        "web_url": format!("{web}/{fname}/-/merge_requests/{iid}"),
        "time_stats": {"time_estimate": 0, "total_time_spent": 0, "human_time_estimate": null, "human_total_time_spent": null},
        "squash": false,
        "task_completion_status": {"count": 0, "completed_count": 0},
        "has_conflicts": false,
        "blocking_discussions_resolved": true,
    })
}

fn cache<'f>(f: &'f Forge, web: &str, ri: usize) -> &'f GlCache {
    f.repos[ri].gl.get_or_init(|| {
        let repo = &f.world.repos[ri];
        GlCache {
            issues: (0..repo.issues.len())
                .map(|p| {
                    if repo.issues[p].pull.is_none() {
                        issue_json(f, web, repo, p).to_string()
                    } else {
                        String::new()
                    }
                })
                .collect(),
            mrs: (0..repo.issues.len())
                .map(|p| {
                    if repo.issues[p].pull.is_some() {
                        mr_json(f, web, repo, p).to_string()
                    } else {
                        String::new()
                    }
                })
                .collect(),
        }
    })
}

/// Notes of an issue/MR in GitLab shape: (id, created_at, json).
fn notes(
    f: &Forge,
    web: &str,
    repo: &RepoData,
    p: usize,
    noteable: &str,
) -> Vec<(u64, i64, Value)> {
    let rs = &f.repos[f.by_project[&repo.project_id]];
    let users = &f.world.users;
    let iid = rs.gl_iid[p];
    let noteable_id = repo.issues[p]
        .pull
        .as_ref()
        .map_or(repo.issues[p].id, |pr| pr.id);
    let base = |id: u64, user: usize, body: &str, created: i64, updated: i64, kind: Value| {
        json!({
            "id": id,
            "type": kind,
            "body": body,
            "attachment": null,
            "author": user_json(web, &users[user]),
            "created_at": iso_millis(created),
            "updated_at": iso_millis(updated),
            "system": false,
            "noteable_id": noteable_id,
            "noteable_type": noteable,
            "project_id": repo.project_id,
            "noteable_iid": iid,
            "resolvable": false,
            "confidential": false,
            "internal": false,
        })
    };
    let mut out = Vec::new();
    for &i in &rs.comments[p] {
        let c = &repo.issue_comments[i];
        out.push((
            c.id,
            c.created_at,
            base(
                c.id,
                c.user,
                &c.body,
                c.created_at,
                c.updated_at,
                Value::Null,
            ),
        ));
    }
    for &i in &rs.review_comments[p] {
        let c = &repo.review_comments[i];
        let id = c.id + NOTE_OFFSET_REVIEW_COMMENT;
        let mut v = base(
            id,
            c.user,
            &c.body,
            c.created_at,
            c.updated_at,
            json!("DiffNote"),
        );
        let sha = &repo.commits[c.commit].sha;
        v.as_object_mut().expect("object").insert(
            "position".into(),
            json!({"base_sha": sha, "start_sha": sha, "head_sha": sha, "old_path": c.path, "new_path": c.path, "position_type": "text", "old_line": null, "new_line": c.line}),
        );
        out.push((id, c.created_at, v));
    }
    for &i in &rs.reviews[p] {
        let r = &repo.reviews[i];
        if !r.body.is_empty() {
            let id = r.id + NOTE_OFFSET_REVIEW;
            out.push((
                id,
                r.submitted_at,
                base(
                    id,
                    r.user,
                    &r.body,
                    r.submitted_at,
                    r.submitted_at,
                    Value::Null,
                ),
            ));
        }
    }
    out.sort_by_key(|n| (n.1, n.0));
    out
}

fn paginate(f: &Forge, req: &Req, items: &[&str]) -> Reply {
    let page = PageReq::from(req, 20);
    let total = items.len();
    let pages = page.pages(total);
    let range = page.range(total);
    let mut r = Reply::raw_json(200, json_array(items[range].iter().copied()));
    let others: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| k != "page")
        .cloned()
        .collect();
    let url = |p: usize| {
        let mut q = others.clone();
        q.push(("page".into(), p.to_string()));
        format!("<{}/api/v4{}?{}>", f.base, req.path, build_query(&q))
    };
    let mut links = Vec::new();
    if page.page > 1 {
        links.push(format!("{}; rel=\"prev\"", url((page.page - 1).min(pages))));
    }
    if page.page < pages {
        links.push(format!("{}; rel=\"next\"", url(page.page + 1)));
    }
    links.push(format!("{}; rel=\"first\"", url(1)));
    links.push(format!("{}; rel=\"last\"", url(pages)));
    r = r
        .with("x-page", page.page.to_string())
        .with("x-per-page", page.per_page.to_string())
        .with("x-total", total.to_string())
        .with("x-total-pages", pages.to_string())
        .with(
            "x-next-page",
            if page.page < pages {
                (page.page + 1).to_string()
            } else {
                String::new()
            },
        )
        .with(
            "x-prev-page",
            if page.page > 1 {
                (page.page - 1).min(pages).to_string()
            } else {
                String::new()
            },
        )
        .with("link", links.join(", "));
    r
}

fn paginate_owned(f: &Forge, req: &Req, items: Vec<Value>) -> Reply {
    let s: Vec<String> = items.iter().map(Value::to_string).collect();
    let refs: Vec<&str> = s.iter().map(String::as_str).collect();
    paginate(f, req, &refs)
}

/// Answers a GitLab API request; `None` for endpoints we do not serve.
pub fn handle(f: &Forge, req: &Req) -> Option<Reply> {
    if !req.is_read() {
        return None;
    }
    let segs = req.segments();
    let web = f.base.clone();
    // Shape check before charging the budget.
    let known = match segs.as_slice() {
        ["users"] | ["users", _] | ["groups", _, "projects"] => true,
        ["projects", _, rest @ ..] => matches!(
            rest,
            [] | ["issues"]
                | ["issues_statistics"]
                | ["merge_requests"]
                | ["events"]
                | ["releases"]
                | ["labels"]
                | ["members", "all"]
                | ["members"]
                | ["repository", "contributors"]
                | ["repository", "tree"]
                | ["repository", "commits"]
                | ["repository", "commits", _]
                | ["issues", _]
                | ["issues", _, "notes"]
                | ["issues", _, "resource_label_events"]
                | ["merge_requests", _]
                | [
                    "merge_requests",
                    _,
                    "commits"
                        | "diffs"
                        | "changes"
                        | "approvals"
                        | "discussions"
                        | "notes"
                        | "resource_label_events"
                ]
        ),
        _ => false,
    };
    if !known {
        return None;
    }
    let gate = match f.gate(req, Platform::GitLab, "core") {
        Ok(g) => g,
        Err(r) => return Some(r),
    };
    let reply = match segs.as_slice() {
        ["users"] => {
            let want = req.q("username").map(str::to_ascii_lowercase);
            let items: Vec<Value> = match want {
                Some(w) => f
                    .users_by_login
                    .get(&w)
                    .map(|&i| vec![user_json(&web, &f.world.users[i])])
                    .unwrap_or_default(),
                None => f.world.users.iter().map(|u| user_json(&web, u)).collect(),
            };
            paginate_owned(f, req, items)
        }
        ["users", id] => match f.world.users.iter().find(|u| u.id.to_string() == *id) {
            Some(u) => {
                let mut v = user_json(&web, u);
                let o = v.as_object_mut().expect("object");
                o.insert("created_at".into(), json!(iso_millis(u.created_at)));
                o.insert("organization".into(), json!(u.company));
                o.insert("location".into(), json!(u.location));
                Reply::json(200, &v)
            }
            None => not_found("User"),
        },
        ["groups", group, "projects"] => {
            // A group is an owner; `include_subgroups=true` also lists projects of `group/...`.
            let group = percent_decode(group).to_ascii_lowercase();
            let nested = req.q("include_subgroups") == Some("true");
            let mut repos: Vec<&RepoData> = f
                .world
                .repos
                .iter()
                .filter(|r| {
                    let full = r.full_name().to_ascii_lowercase();
                    let Some((owner, _)) = full.rsplit_once('/') else {
                        return false;
                    };
                    owner == group || nested && owner.starts_with(&format!("{group}/"))
                })
                .collect();
            if repos.is_empty() && !f.users_by_login.contains_key(&group) {
                not_found("Group")
            } else {
                repos.sort_by_key(|r| r.project_id);
                let items = repos
                    .into_iter()
                    .map(|r| project_json(f, &web, r, false))
                    .collect();
                paginate_owned(f, req, items)
            }
        }
        ["projects", id, rest @ ..] => {
            let id = percent_decode(id);
            let ri = if let Ok(n) = id.parse::<u64>() {
                match f.by_project.get(&n) {
                    Some(&i) => i,
                    None => return Some(f.finish(req, &gate, not_found("Project"))),
                }
            } else {
                match f.lookup(&id) {
                    Lookup::Repo(i) => i,
                    Lookup::Moved(i) => {
                        let mut loc =
                            format!("{}/api/v4/projects/{}", f.base, f.world.repos[i].project_id);
                        for s in rest {
                            loc.push('/');
                            loc.push_str(s);
                        }
                        if !req.raw_query.is_empty() {
                            loc.push('?');
                            loc.push_str(&req.raw_query);
                        }
                        let r = Reply::json(301, &json!({"message": "301 Moved Permanently"}))
                            .with("location", loc);
                        return Some(f.finish(req, &gate, r));
                    }
                    Lookup::Gone => {
                        return Some(f.finish(
                            req,
                            &gate,
                            Reply::json(410, &json!({"message": "410 Gone"})),
                        ));
                    }
                    Lookup::Missing => return Some(f.finish(req, &gate, not_found("Project"))),
                }
            };
            project_route(f, &web, req, ri, rest)
        }
        _ => return None,
    };
    Some(f.finish(req, &gate, reply))
}

fn bad_request(msg: &str) -> Reply {
    Reply::json(400, &json!({"error": msg}))
}

#[allow(clippy::too_many_lines)]
fn project_route(f: &Forge, web: &str, req: &Req, ri: usize, rest: &[&str]) -> Reply {
    let repo = &f.world.repos[ri];
    let rs = &f.repos[ri];
    let users = &f.world.users;
    let ts = |name: &str| -> Result<Option<i64>, Reply> {
        match req.q(name) {
            None | Some("") => Ok(None),
            Some(s) => parse(s)
                .map(Some)
                .ok_or_else(|| bad_request(&format!("{name} is invalid"))),
        }
    };
    let (updated_after, created_after) = match (ts("updated_after"), ts("created_after")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let desc = req.q("sort") != Some("asc");
    let by_iid = |iid: &str, mr: bool| -> Option<usize> {
        let n: usize = iid.parse().ok()?;
        let v = if mr {
            &rs.gl_mr_by_iid
        } else {
            &rs.gl_issue_by_iid
        };
        n.checked_sub(1).and_then(|k| v.get(k)).copied()
    };
    let list = |mr: bool| -> Reply {
        let c = cache(f, web, ri);
        let state = req.q("state").unwrap_or("all");
        let mut idx: Vec<usize> = (0..repo.issues.len())
            .filter(|&p| {
                let is = &repo.issues[p];
                is.pull.is_some() == mr
                    && (state == "all" || gl_state(repo, p) == state)
                    && updated_after.is_none_or(|t| is.updated_at >= t)
                    && created_after.is_none_or(|t| is.created_at >= t)
            })
            .collect();
        let order = req.q("order_by").unwrap_or("created_at");
        idx.sort_by_key(|&p| {
            let is = &repo.issues[p];
            (
                if order == "updated_at" {
                    is.updated_at
                } else {
                    is.created_at
                },
                is.number,
            )
        });
        if desc {
            idx.reverse();
        }
        let items: Vec<&str> = idx
            .iter()
            .map(|&p| {
                if mr {
                    c.mrs[p].as_str()
                } else {
                    c.issues[p].as_str()
                }
            })
            .collect();
        paginate(f, req, &items)
    };
    let note_list = |p: usize, kind: &str| -> Reply {
        let mut n = notes(f, web, repo, p, kind);
        // GitLab's notes default to newest first; `sort=asc` flips it.
        if desc {
            n.reverse();
        }
        paginate_owned(f, req, n.into_iter().map(|x| x.2).collect())
    };
    match rest {
        [] => Reply::json(
            200,
            &project_json(f, web, repo, req.q("statistics") == Some("true")),
        ),
        ["issues"] => list(false),
        ["merge_requests"] => list(true),
        ["issues_statistics"] => {
            let iss: Vec<_> = repo.issues.iter().filter(|i| i.pull.is_none()).collect();
            let closed = iss.iter().filter(|i| i.state == State::Closed).count();
            Reply::json(
                200,
                &json!({"statistics": {"counts": {"all": iss.len(), "closed": closed, "opened": iss.len() - closed}}}),
            )
        }
        ["issues", iid] => match by_iid(iid, false) {
            Some(p) => Reply::raw_json(200, cache(f, web, ri).issues[p].clone()),
            None => not_found("Issue"),
        },
        ["merge_requests", iid] => match by_iid(iid, true) {
            Some(p) => Reply::raw_json(200, cache(f, web, ri).mrs[p].clone()),
            None => not_found("Merge Request"),
        },
        ["issues", iid, "notes"] => match by_iid(iid, false) {
            Some(p) => note_list(p, "Issue"),
            None => not_found("Issue"),
        },
        ["merge_requests", iid, "notes"] => match by_iid(iid, true) {
            Some(p) => note_list(p, "MergeRequest"),
            None => not_found("Merge Request"),
        },
        ["merge_requests", iid, "discussions"] => match by_iid(iid, true) {
            Some(p) => {
                let items = notes(f, web, repo, p, "MergeRequest")
                    .into_iter()
                    .map(|(id, _, n)| json!({"id": format!("{id:040x}"), "individual_note": true, "notes": [n]}))
                    .collect();
                paginate_owned(f, req, items)
            }
            None => not_found("Merge Request"),
        },
        ["issues", iid, "resource_label_events"]
        | ["merge_requests", iid, "resource_label_events"] => {
            match by_iid(iid, rest[0] == "merge_requests") {
                Some(p) => {
                    let items = rs.events[p]
                        .iter()
                        .filter(|&&e| repo.events[e].label.is_some())
                        .map(|&i| {
                            let e = &repo.events[i];
                            let l = &repo.labels[e.label.unwrap_or(0)];
                            json!({"id": label_event_id(repo, i), "user": user_json(web, &users[e.actor]), "created_at": iso_millis(e.created_at),
                                "resource_type": if rest[0] == "issues" { "Issue" } else { "MergeRequest" }, "resource_id": repo.issues[p].id,
                                "label": {"id": l.id, "name": l.name, "color": format!("#{}", l.color), "description": l.description}, "action": "add"})
                        })
                        .collect();
                    paginate_owned(f, req, items)
                }
                None => not_found("Issue"),
            }
        }
        ["merge_requests", iid, "commits"] => match by_iid(iid, true) {
            Some(p) => {
                let pr = repo.issues[p].pull.as_ref().expect("pull");
                let items = repo.commits[pr.first_commit..pr.first_commit + pr.commit_count]
                    .iter()
                    .rev()
                    .map(|c| commit_json(web, repo, c))
                    .collect();
                paginate_owned(f, req, items)
            }
            None => not_found("Merge Request"),
        },
        ["merge_requests", iid, "diffs" | "changes"] => match by_iid(iid, true) {
            Some(p) => {
                let pr = repo.issues[p].pull.as_ref().expect("pull");
                let diffs: Vec<Value> = pull_files(repo, pr.first_commit, pr.commit_count)
                    .iter()
                    .map(|(path, _, _, ci)| {
                        let ch = repo.commits[*ci].changes.iter().find(|x| &x.path == path).expect("change");
                        json!({"old_path": path, "new_path": path, "a_mode": "100644", "b_mode": "100644", "diff": ch.patch, "new_file": ch.status == "added", "renamed_file": false, "deleted_file": false})
                    })
                    .collect();
                if rest[2] == "changes" {
                    let mut v: Value =
                        serde_json::from_str(&cache(f, web, ri).mrs[p]).unwrap_or(Value::Null);
                    if let Some(o) = v.as_object_mut() {
                        o.insert("changes".into(), json!(diffs));
                    }
                    Reply::json(200, &v)
                } else {
                    paginate_owned(f, req, diffs)
                }
            }
            None => not_found("Merge Request"),
        },
        ["merge_requests", iid, "approvals"] => match by_iid(iid, true) {
            Some(p) => {
                let mut approvers: Vec<usize> = rs.reviews[p]
                    .iter()
                    .map(|&r| &repo.reviews[r])
                    .filter(|r| r.state == "APPROVED")
                    .map(|r| r.user)
                    .collect();
                approvers.sort_unstable();
                approvers.dedup();
                let is = &repo.issues[p];
                Reply::json(
                    200,
                    &json!({
                        "id": is.pull.as_ref().map_or(0, |x| x.id), "iid": rs.gl_iid[p], "project_id": repo.project_id, "title": is.title,
                        "state": gl_state(repo, p), "approved": !approvers.is_empty(), "approvals_required": 0, "approvals_left": 0,
                        "approved_by": approvers.iter().map(|&a| json!({"user": user_json(web, &users[a])})).collect::<Vec<_>>(),
                    }),
                )
            }
            None => not_found("Merge Request"),
        },
        ["events"] => {
            let target = req.q("target_type");
            let mut evs: Vec<(u64, i64, Value)> = Vec::new();
            for (p, is) in repo.issues.iter().enumerate() {
                let (ttype, tname) = if is.pull.is_some() {
                    ("MergeRequest", "merge_request")
                } else {
                    ("Issue", "issue")
                };
                if target.is_some_and(|t| t != tname) {
                    continue;
                }
                let mk = |id: u64, action: &str, author: usize, at: i64| {
                    json!({"id": id, "project_id": repo.project_id, "action_name": action, "target_id": is.pull.as_ref().map_or(is.id, |x| x.id),
                        "target_iid": rs.gl_iid[p], "target_type": ttype, "author_id": users[author].id, "target_title": is.title,
                        "created_at": iso_millis(at), "author": user_json(web, &users[author]), "author_username": users[author].login, "imported": false, "imported_from": "none"})
                };
                evs.push((
                    is.id,
                    is.created_at,
                    mk(is.id, "opened", is.user, is.created_at),
                ));
                for &e in &rs.events[p] {
                    let e = &repo.events[e];
                    let action = match e.event.as_str() {
                        "closed" if is.pull.as_ref().is_some_and(|x| x.merged_at.is_some()) => {
                            continue;
                        }
                        "closed" => "closed",
                        "reopened" => "reopened",
                        "merged" => "accepted",
                        _ => continue,
                    };
                    evs.push((e.id, e.created_at, mk(e.id, action, e.actor, e.created_at)));
                }
            }
            evs.sort_by_key(|e| (e.1, e.0));
            if desc {
                evs.reverse();
            }
            paginate_owned(f, req, evs.into_iter().map(|e| e.2).collect())
        }
        ["releases"] => {
            let items = repo
                .releases
                .iter()
                .rev()
                .map(|r| {
                    let c = &repo.commits[r.commit];
                    json!({"tag_name": r.tag_name, "description": r.body, "name": r.name, "created_at": iso_millis(r.created_at),
                        "released_at": iso_millis(r.published_at), "upcoming_release": false, "author": user_json(web, &users[r.author]),
                        "commit": commit_json(web, repo, c), "commit_path": format!("/{}/-/commit/{}", repo.full_name(), c.sha),
                        "tag_path": format!("/{}/-/tags/{}", repo.full_name(), r.tag_name), "assets": {"count": 0, "sources": [], "links": []},
                        "_links": {"self": format!("{web}/{}/-/releases/{}", repo.full_name(), r.tag_name)}})
                })
                .collect();
            paginate_owned(f, req, items)
        }
        ["labels"] => {
            let items = repo
                .labels
                .iter()
                .map(|l| json!({"id": l.id, "name": l.name, "color": format!("#{}", l.color), "text_color": "#FFFFFF", "description": l.description, "open_issues_count": 0, "closed_issues_count": 0, "open_merge_requests_count": 0, "subscribed": false, "priority": null, "is_project_label": true}))
                .collect();
            paginate_owned(f, req, items)
        }
        ["members", "all"] | ["members"] => {
            let mut members: Vec<(usize, u32)> = (3..8.min(users.len())).map(|u| (u, 40)).collect();
            for &(u, _) in &rs.contributors {
                if !members.iter().any(|m| m.0 == u) {
                    members.push((u, 30));
                }
            }
            let items = members
                .iter()
                .map(|&(u, level)| {
                    let mut v = user_json(web, &users[u]);
                    let o = v.as_object_mut().expect("object");
                    o.insert("access_level".into(), json!(level));
                    o.insert("created_at".into(), json!(iso_millis(repo.created_at)));
                    o.insert("expires_at".into(), Value::Null);
                    v
                })
                .collect();
            paginate_owned(f, req, items)
        }
        ["repository", "contributors"] => {
            let mut by_email: std::collections::BTreeMap<&str, (&str, u64, u64, u64)> =
                std::collections::BTreeMap::new();
            for c in &repo.commits {
                let e = by_email.entry(c.author_email.as_str()).or_insert((
                    c.author_name.as_str(),
                    0,
                    0,
                    0,
                ));
                e.1 += 1;
                e.2 += c.changes.iter().map(|x| x.additions).sum::<u64>();
                e.3 += c.changes.iter().map(|x| x.deletions).sum::<u64>();
            }
            let items = by_email
                .iter()
                .map(|(email, (name, n, a, d))| json!({"name": name, "email": email, "commits": n, "additions": a, "deletions": d}))
                .collect();
            paginate_owned(f, req, items)
        }
        ["repository", "tree"] => {
            let mut paths: Vec<&str> = repo
                .commits
                .iter()
                .flat_map(|c| c.changes.iter().map(|x| x.path.as_str()))
                .collect();
            paths.sort_unstable();
            paths.dedup();
            let recursive = req.q("recursive") == Some("true");
            let mut items: Vec<Value> = Vec::new();
            let mut seen_dirs: Vec<&str> = Vec::new();
            for p in paths {
                if recursive || !p.contains('/') {
                    items.push(json!({"id": format!("{:040x}", crate::rng::fnv1a(p.as_bytes())), "name": p.rsplit('/').next(), "type": "blob", "path": p, "mode": "100644"}));
                } else if let Some((d, _)) = p.split_once('/')
                    && !seen_dirs.contains(&d)
                {
                    seen_dirs.push(d);
                    items.push(json!({"id": format!("{:040x}", crate::rng::fnv1a(d.as_bytes())), "name": d, "type": "tree", "path": d, "mode": "040000"}));
                }
            }
            paginate_owned(f, req, items)
        }
        ["repository", "commits"] => {
            let items = repo
                .commits
                .iter()
                .rev()
                .map(|c| commit_json(web, repo, c))
                .collect();
            paginate_owned(f, req, items)
        }
        ["repository", "commits", sha] => match repo
            .commits
            .iter()
            .find(|c| c.sha.starts_with(sha) && sha.len() >= 7)
        {
            Some(c) => Reply::json(200, &commit_json(web, repo, c)),
            None => not_found("Commit"),
        },
        _ => not_found("Endpoint"),
    }
}

fn commit_json(web: &str, repo: &RepoData, c: &crate::model::Commit) -> Value {
    json!({
        "id": c.sha,
        "short_id": &c.sha[..8],
        "title": c.message.lines().next().unwrap_or(""),
        "message": c.message,
        "author_name": c.author_name,
        "author_email": c.author_email,
        "authored_date": iso_millis(c.time),
        "committer_name": c.author_name,
        "committer_email": c.author_email,
        "committed_date": iso_millis(c.time),
        "created_at": iso_millis(c.time),
        "parent_ids": c.parent.iter().collect::<Vec<_>>(),
        "web_url": format!("{web}/{}/-/commit/{}", repo.full_name(), c.sha),
        "trailers": {},
        "extended_trailers": {},
    })
}

/// GitLab numbers resource label events in a sequence of their own, separate from project
/// events, so the two overlap: a label event takes the id of the project event at the mirrored
/// position of the repository's event list (unique per label event, and equal to the id of
/// some `/events` entry of the same project).
fn label_event_id(repo: &RepoData, index: usize) -> u64 {
    repo.events[repo.events.len() - 1 - index].id
}
