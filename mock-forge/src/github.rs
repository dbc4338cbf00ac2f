//! GitHub REST v3, rendered from the synthetic world.
//!
//! Shapes follow GitHub's OpenAPI description (`@octokit/openapi`); every
//! required property of the served schemas is present. Behaviour follows
//! what collectors meet in practice:
//! - pull requests are issues, so `/issues` lists both (with a `pull_request`
//!   key), and they share the number space;
//! - `Link` headers point at `/repositories/{id}/...`, as GitHub's do;
//! - a renamed repository answers 301 with `Location: /repositories/{id}`;
//! - list defaults: `per_page` 30 (max 100), `/issues` and `/pulls` default
//!   to `state=open`, sorted by `created` descending.

use serde_json::{Value, json};

use crate::http::{PageReq, Reply, Req, build_query, json_array};
use crate::index::{GhCache, RepoServe};
use crate::model::{Commit, Label, RepoData, State, User, UserKind};
use crate::server::{Forge, Lookup, Platform, layout_slot};
use crate::time::{iso, parse};
use crate::truth::pull_files;

/// URL roots for rendering.
pub struct Urls {
    /// API root (`http://h:p` or `http://h:p/api/v3`).
    pub api: String,
    /// Web root.
    pub web: String,
}

fn not_found() -> Reply {
    Reply::json(
        404,
        &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

fn node_id(prefix: &str, id: u64) -> String {
    format!("{prefix}_kwDO{id:x}")
}

/// `simple-user`.
pub fn user_json(u: &Urls, user: &User) -> Value {
    let api = format!("{}/users/{}", u.api, user.login);
    json!({
        "login": user.login,
        "id": user.id,
        "node_id": node_id(if user.kind == UserKind::Organization { "O" } else { "U" }, user.id),
        "avatar_url": format!("{}/avatars/u/{}?v=4", u.web, user.id),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{}/{}", u.web, user.login),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": match user.kind { UserKind::User => "User", UserKind::Bot => "Bot", UserKind::Organization => "Organization" },
        "user_view_type": "public",
        "site_admin": false,
    })
}

fn public_user_json(u: &Urls, user: &User, repos: usize) -> Value {
    let mut v = user_json(u, user);
    let o = v.as_object_mut().expect("object");
    o.insert("name".into(), json!(user.name));
    o.insert("company".into(), json!(user.company));
    o.insert("blog".into(), json!(""));
    o.insert("location".into(), json!(user.location));
    o.insert("email".into(), json!(user.email));
    o.insert("hireable".into(), Value::Null);
    o.insert("bio".into(), Value::Null);
    o.insert("twitter_username".into(), Value::Null);
    o.insert("public_repos".into(), json!(repos));
    o.insert("public_gists".into(), json!(0));
    o.insert("followers".into(), json!(user.id % 97));
    o.insert("following".into(), json!(user.id % 13));
    o.insert("created_at".into(), json!(iso(user.created_at)));
    o.insert(
        "updated_at".into(),
        json!(iso(user.created_at + 86_400 * 30)),
    );
    v
}

fn label_json(u: &Urls, repo: &RepoData, l: &Label) -> Value {
    json!({
        "id": l.id,
        "node_id": node_id("LA", l.id),
        "url": format!("{}/repos/{}/labels/{}", u.api, repo.full_name(), crate::http::percent_encode(&l.name)),
        "name": l.name,
        "color": l.color,
        "default": l.default,
        "description": l.description,
    })
}

fn license_json() -> Value {
    json!({"key": "mit", "name": "MIT License", "spdx_id": "MIT", "url": "https://api.github.com/licenses/mit", "node_id": "MDc6TGljZW5zZTEz"})
}

/// `repository` / `full-repository`.
pub fn repo_json(f: &Forge, u: &Urls, repo: &RepoData, full: bool) -> Value {
    let fname = repo.full_name();
    let a = format!("{}/repos/{fname}", u.api);
    let open = repo
        .issues
        .iter()
        .filter(|i| i.state == State::Open)
        .count();
    let mut v = json!({
        "id": repo.id,
        "node_id": node_id("R", repo.id),
        "name": repo.name,
        "full_name": fname,
        "private": false,
        "owner": user_json(u, &f.world.users[repo.owner_user]),
        "html_url": format!("{}/{fname}", u.web),
        "description": repo.description,
        "fork": false,
        "url": a,
        "archive_url": format!("{a}/{{archive_format}}{{/ref}}"),
        "assignees_url": format!("{a}/assignees{{/user}}"),
        "blobs_url": format!("{a}/git/blobs{{/sha}}"),
        "branches_url": format!("{a}/branches{{/branch}}"),
        "collaborators_url": format!("{a}/collaborators{{/collaborator}}"),
        "comments_url": format!("{a}/comments{{/number}}"),
        "commits_url": format!("{a}/commits{{/sha}}"),
        "compare_url": format!("{a}/compare/{{base}}...{{head}}"),
        "contents_url": format!("{a}/contents/{{+path}}"),
        "contributors_url": format!("{a}/contributors"),
        "deployments_url": format!("{a}/deployments"),
        "downloads_url": format!("{a}/downloads"),
        "events_url": format!("{a}/events"),
        "forks_url": format!("{a}/forks"),
        "git_commits_url": format!("{a}/git/commits{{/sha}}"),
        "git_refs_url": format!("{a}/git/refs{{/sha}}"),
        "git_tags_url": format!("{a}/git/tags{{/sha}}"),
        "git_url": format!("git://{}/{fname}.git", u.web.trim_start_matches("http://").trim_start_matches("https://")),
        "issue_comment_url": format!("{a}/issues/comments{{/number}}"),
        "issue_events_url": format!("{a}/issues/events{{/number}}"),
        "issues_url": format!("{a}/issues{{/number}}"),
        "keys_url": format!("{a}/keys{{/key_id}}"),
        "labels_url": format!("{a}/labels{{/name}}"),
        "languages_url": format!("{a}/languages"),
        "merges_url": format!("{a}/merges"),
        "milestones_url": format!("{a}/milestones{{/number}}"),
        "notifications_url": format!("{a}/notifications{{?since,all,participating}}"),
        "pulls_url": format!("{a}/pulls{{/number}}"),
        "releases_url": format!("{a}/releases{{/id}}"),
        "ssh_url": format!("git@mock-forge:{fname}.git"),
        "stargazers_url": format!("{a}/stargazers"),
        "statuses_url": format!("{a}/statuses/{{sha}}"),
        "subscribers_url": format!("{a}/subscribers"),
        "subscription_url": format!("{a}/subscription"),
        "tags_url": format!("{a}/tags"),
        "teams_url": format!("{a}/teams"),
        "trees_url": format!("{a}/git/trees{{/sha}}"),
        "clone_url": format!("{}/{fname}.git", u.web),
        "mirror_url": null,
        "hooks_url": format!("{a}/hooks"),
        "svn_url": format!("{}/{fname}", u.web),
        "homepage": "",
        "language": repo.language,
        "forks_count": repo.forks,
        "forks": repo.forks,
        "stargazers_count": repo.stargazers,
        "watchers_count": repo.stargazers,
        "watchers": repo.stargazers,
        "size": repo.commits.len() as u64 * 3,
        "default_branch": "main",
        "open_issues_count": open,
        "open_issues": open,
        "is_template": false,
        "topics": ["open-source", "mock"],
        "has_issues": true,
        "has_projects": true,
        "has_wiki": true,
        "has_pages": false,
        "has_downloads": true,
        "has_discussions": false,
        "archived": false,
        "disabled": false,
        "visibility": "public",
        "pushed_at": iso(repo.pushed_at),
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.pushed_at),
        "allow_forking": true,
        "web_commit_signoff_required": false,
        "license": license_json(),
    });
    if full {
        let o = v.as_object_mut().expect("object");
        o.insert("network_count".into(), json!(repo.forks));
        o.insert("subscribers_count".into(), json!(repo.subscribers));
        o.insert("temp_clone_token".into(), Value::Null);
        o.insert(
            "organization".into(),
            user_json(u, &f.world.users[repo.owner_user]),
        );
    }
    v
}

fn association(rs: &RepoServe, user: usize) -> &'static str {
    if (3..8).contains(&user) {
        "MEMBER"
    } else if rs.contributor_set.contains(&user) {
        "CONTRIBUTOR"
    } else {
        "NONE"
    }
}

fn reactions(url: &str) -> Value {
    json!({"url": format!("{url}/reactions"), "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0})
}

fn body_or_null(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

fn issue_json(
    f: &Forge,
    u: &Urls,
    rs: &RepoServe,
    repo: &RepoData,
    pos: usize,
    detail: bool,
) -> Value {
    let is = &repo.issues[pos];
    let users = &f.world.users;
    let fname = repo.full_name();
    let a = format!("{}/repos/{fname}/issues/{}", u.api, is.number);
    let html = format!(
        "{}/{fname}/{}/{}",
        u.web,
        if is.pull.is_some() { "pull" } else { "issues" },
        is.number
    );
    let mut v = json!({
        "url": a,
        "repository_url": format!("{}/repos/{fname}", u.api),
        "labels_url": format!("{a}/labels{{/name}}"),
        "comments_url": format!("{a}/comments"),
        "events_url": format!("{a}/events"),
        "html_url": html,
        "id": is.id,
        "node_id": node_id("I", is.id),
        "number": is.number,
        "title": is.title,
        "user": user_json(u, &users[is.user]),
        "labels": is.labels.iter().map(|&l| label_json(u, repo, &repo.labels[l])).collect::<Vec<_>>(),
        "state": if is.state == State::Open { "open" } else { "closed" },
        "locked": is.locked,
        "assignee": is.assignees.first().map(|&a| user_json(u, &users[a])),
        "assignees": is.assignees.iter().map(|&a| user_json(u, &users[a])).collect::<Vec<_>>(),
        "milestone": null,
        "comments": rs.comments[pos].len(),
        "created_at": iso(is.created_at),
        "updated_at": iso(is.updated_at),
        "closed_at": is.closed_at.map(iso),
        "author_association": association(rs, is.user),
        "type": null,
        "active_lock_reason": if is.locked { json!("resolved") } else { Value::Null },
        "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
        "body": body_or_null(&is.body),
        "reactions": reactions(&a),
        "timeline_url": format!("{a}/timeline"),
        "performed_via_github_app": null,
        "state_reason": is.state_reason,
    });
    let o = v.as_object_mut().expect("object");
    if let Some(pr) = &is.pull {
        let p = format!("{}/repos/{fname}/pulls/{}", u.api, is.number);
        o.insert("draft".into(), json!(pr.draft));
        o.insert(
            "pull_request".into(),
            json!({
                "url": p,
                "html_url": html,
                "diff_url": format!("{html}.diff"),
                "patch_url": format!("{html}.patch"),
                "merged_at": pr.merged_at.map(iso),
            }),
        );
    }
    if detail {
        o.insert(
            "closed_by".into(),
            is.closed_by
                .map_or(Value::Null, |c| user_json(u, &users[c])),
        );
    }
    v
}

fn pull_json(
    f: &Forge,
    u: &Urls,
    rs: &RepoServe,
    repo: &RepoData,
    pos: usize,
    detail: bool,
) -> Value {
    let is = &repo.issues[pos];
    let pr = is.pull.as_ref().expect("pull request");
    let users = &f.world.users;
    let fname = repo.full_name();
    let a = format!("{}/repos/{fname}/pulls/{}", u.api, is.number);
    let ia = format!("{}/repos/{fname}/issues/{}", u.api, is.number);
    let html = format!("{}/{fname}/pull/{}", u.web, is.number);
    let head = &repo.commits[pr.first_commit + pr.commit_count - 1];
    let base_sha = repo.commits[pr.first_commit.saturating_sub(1)].sha.clone();
    let owner = &users[repo.owner_user];
    let repo_v = repo_json(f, u, repo, false);
    let state = if is.state == State::Open {
        "open"
    } else {
        "closed"
    };
    let mut v = json!({
        "url": a,
        "id": pr.id,
        "node_id": node_id("PR", pr.id),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": ia,
        "number": is.number,
        "state": state,
        "locked": is.locked,
        "title": is.title,
        "user": user_json(u, &users[is.user]),
        "body": body_or_null(&is.body),
        "created_at": iso(is.created_at),
        "updated_at": iso(is.updated_at),
        "closed_at": is.closed_at.map(iso),
        "merged_at": pr.merged_at.map(iso),
        "merge_commit_sha": pr.merged_at.map(|_| head.sha.clone()),
        "assignee": is.assignees.first().map(|&x| user_json(u, &users[x])),
        "assignees": is.assignees.iter().map(|&x| user_json(u, &users[x])).collect::<Vec<_>>(),
        "requested_reviewers": pr.requested_reviewers.iter().map(|&x| user_json(u, &users[x])).collect::<Vec<_>>(),
        "requested_teams": [],
        "labels": is.labels.iter().map(|&l| label_json(u, repo, &repo.labels[l])).collect::<Vec<_>>(),
        "milestone": null,
        "draft": pr.draft,
        "commits_url": format!("{a}/commits"),
        "review_comments_url": format!("{a}/comments"),
        "review_comment_url": format!("{}/repos/{fname}/pulls/comments{{/number}}", u.api),
        "comments_url": format!("{ia}/comments"),
        "statuses_url": format!("{}/repos/{fname}/statuses/{}", u.api, head.sha),
        "head": {
            "label": format!("{}:{}", owner.login, pr.head_ref),
            "ref": pr.head_ref,
            "sha": head.sha,
            "user": user_json(u, owner),
            "repo": repo_v,
        },
        "base": {
            "label": format!("{}:{}", owner.login, pr.base_ref),
            "ref": pr.base_ref,
            "sha": base_sha,
            "user": user_json(u, owner),
            "repo": repo_v,
        },
        "_links": {
            "self": {"href": a},
            "html": {"href": html},
            "issue": {"href": ia},
            "comments": {"href": format!("{ia}/comments")},
            "review_comments": {"href": format!("{a}/comments")},
            "review_comment": {"href": format!("{}/repos/{fname}/pulls/comments{{/number}}", u.api)},
            "commits": {"href": format!("{a}/commits")},
            "statuses": {"href": format!("{}/repos/{fname}/statuses/{}", u.api, head.sha)},
        },
        "author_association": association(rs, is.user),
        "auto_merge": null,
        "active_lock_reason": null,
    });
    if detail {
        let files = pull_files(repo, pr.first_commit, pr.commit_count);
        let o = v.as_object_mut().expect("object");
        o.insert("merged".into(), json!(pr.merged_at.is_some()));
        o.insert(
            "mergeable".into(),
            if is.state == State::Open {
                json!(true)
            } else {
                Value::Null
            },
        );
        o.insert(
            "rebaseable".into(),
            if is.state == State::Open {
                json!(true)
            } else {
                Value::Null
            },
        );
        o.insert(
            "mergeable_state".into(),
            json!(if is.state == State::Open {
                "clean"
            } else {
                "unknown"
            }),
        );
        o.insert(
            "merged_by".into(),
            pr.merged_by
                .map_or(Value::Null, |m| user_json(u, &users[m])),
        );
        o.insert("comments".into(), json!(rs.comments[pos].len()));
        o.insert(
            "review_comments".into(),
            json!(rs.review_comments[pos].len()),
        );
        o.insert("maintainer_can_modify".into(), json!(false));
        o.insert("commits".into(), json!(pr.commit_count));
        o.insert(
            "additions".into(),
            json!(files.iter().map(|f| f.1).sum::<u64>()),
        );
        o.insert(
            "deletions".into(),
            json!(files.iter().map(|f| f.2).sum::<u64>()),
        );
        o.insert("changed_files".into(), json!(files.len()));
    }
    v
}

fn issue_comment_json(f: &Forge, u: &Urls, rs: &RepoServe, repo: &RepoData, i: usize) -> Value {
    let c = &repo.issue_comments[i];
    let fname = repo.full_name();
    let is_pr = repo
        .issue_index(c.number)
        .is_some_and(|p| repo.issues[p].pull.is_some());
    let a = format!("{}/repos/{fname}/issues/comments/{}", u.api, c.id);
    json!({
        "url": a,
        "html_url": format!("{}/{fname}/{}/{}#issuecomment-{}", u.web, if is_pr { "pull" } else { "issues" }, c.number, c.id),
        "issue_url": format!("{}/repos/{fname}/issues/{}", u.api, c.number),
        "id": c.id,
        "node_id": node_id("IC", c.id),
        "user": user_json(u, &f.world.users[c.user]),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "body": c.body,
        "author_association": association(rs, c.user),
        "reactions": reactions(&a),
        "performed_via_github_app": null,
    })
}

fn review_comment_json(f: &Forge, u: &Urls, rs: &RepoServe, repo: &RepoData, i: usize) -> Value {
    let c = &repo.review_comments[i];
    let fname = repo.full_name();
    let a = format!("{}/repos/{fname}/pulls/comments/{}", u.api, c.id);
    let html = format!("{}/{fname}/pull/{}#discussion_r{}", u.web, c.number, c.id);
    let pr_url = format!("{}/repos/{fname}/pulls/{}", u.api, c.number);
    let sha = &repo.commits[c.commit].sha;
    let mut v = json!({
        "url": a,
        "pull_request_review_id": c.review_id,
        "id": c.id,
        "node_id": node_id("PRRC", c.id),
        "diff_hunk": format!("@@ -{},6 +{},8 @@\n context line", c.line, c.line),
        "path": c.path,
        "position": c.line,
        "original_position": c.line,
        "commit_id": sha,
        "original_commit_id": sha,
        "user": user_json(u, &f.world.users[c.user]),
        "body": c.body,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "html_url": html,
        "pull_request_url": pr_url,
        "author_association": association(rs, c.user),
        "_links": {"self": {"href": a}, "html": {"href": html}, "pull_request": {"href": pr_url}},
        "reactions": reactions(&a),
        "start_line": null,
        "original_start_line": null,
        "start_side": null,
        "line": c.line,
        "original_line": c.line,
        "side": "RIGHT",
        "subject_type": "line",
    });
    if let Some(r) = c.in_reply_to {
        v.as_object_mut()
            .expect("object")
            .insert("in_reply_to_id".into(), json!(r));
    }
    v
}

fn review_json(f: &Forge, u: &Urls, rs: &RepoServe, repo: &RepoData, i: usize) -> Value {
    let r = &repo.reviews[i];
    let fname = repo.full_name();
    let html = format!(
        "{}/{fname}/pull/{}#pullrequestreview-{}",
        u.web, r.number, r.id
    );
    let pr_url = format!("{}/repos/{fname}/pulls/{}", u.api, r.number);
    json!({
        "id": r.id,
        "node_id": node_id("PRR", r.id),
        "user": user_json(u, &f.world.users[r.user]),
        "body": r.body,
        "state": r.state,
        "html_url": html,
        "pull_request_url": pr_url,
        "author_association": association(rs, r.user),
        "_links": {"html": {"href": html}, "pull_request": {"href": pr_url}},
        "submitted_at": iso(r.submitted_at),
        "commit_id": repo.commits[r.commit].sha,
    })
}

fn event_json(f: &Forge, u: &Urls, repo: &RepoData, i: usize) -> Value {
    let e = &repo.events[i];
    let users = &f.world.users;
    let fname = repo.full_name();
    let sha = e.commit.map(|c| repo.commits[c].sha.clone());
    let mut v = json!({
        "id": e.id,
        "node_id": node_id("E", e.id),
        "url": format!("{}/repos/{fname}/issues/events/{}", u.api, e.id),
        "actor": user_json(u, &users[e.actor]),
        "event": e.event,
        "commit_id": sha,
        "commit_url": sha.as_ref().map(|s| format!("{}/repos/{fname}/commits/{s}", u.api)),
        "created_at": iso(e.created_at),
        "performed_via_github_app": null,
    });
    let o = v.as_object_mut().expect("object");
    if let Some(l) = e.label {
        let l = &repo.labels[l];
        o.insert("label".into(), json!({"name": l.name, "color": l.color}));
    }
    if let Some(a) = e.assignee {
        o.insert("assignee".into(), user_json(u, &users[a]));
        o.insert("assigner".into(), user_json(u, &users[e.actor]));
    }
    if e.event == "renamed" {
        o.insert("rename".into(), json!({"from": "Old title", "to": repo.issues[repo.issue_index(e.number).unwrap_or(0)].title}));
    }
    v
}

fn commit_json(f: &Forge, u: &Urls, repo: &RepoData, c: &Commit, with_files: bool) -> Value {
    let fname = repo.full_name();
    let a = format!("{}/repos/{fname}/commits/{}", u.api, c.sha);
    let ident = json!({"name": c.author_name, "email": c.author_email, "date": iso(c.time)});
    let gh_user = c
        .author_user
        .map_or(Value::Null, |x| user_json(u, &f.world.users[x]));
    let mut v = json!({
        "url": a,
        "sha": c.sha,
        "node_id": node_id("C", crate::rng::fnv1a(c.sha.as_bytes())),
        "html_url": format!("{}/{fname}/commit/{}", u.web, c.sha),
        "comments_url": format!("{a}/comments"),
        "commit": {
            "url": format!("{}/repos/{fname}/git/commits/{}", u.api, c.sha),
            "author": ident,
            "committer": ident,
            "message": c.message.trim_end(),
            "tree": {"sha": c.tree, "url": format!("{}/repos/{fname}/git/trees/{}", u.api, c.tree)},
            "comment_count": 0,
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
        },
        "author": gh_user,
        "committer": gh_user,
        "parents": c.parent.iter().map(|p| json!({
            "sha": p,
            "url": format!("{}/repos/{fname}/commits/{p}", u.api),
            "html_url": format!("{}/{fname}/commit/{p}", u.web),
        })).collect::<Vec<_>>(),
    });
    if with_files {
        let adds: u64 = c.changes.iter().map(|x| x.additions).sum();
        let dels: u64 = c.changes.iter().map(|x| x.deletions).sum();
        let o = v.as_object_mut().expect("object");
        o.insert(
            "stats".into(),
            json!({"total": adds + dels, "additions": adds, "deletions": dels}),
        );
        o.insert(
            "files".into(),
            json!(
                c.changes
                    .iter()
                    .map(|ch| diff_entry(
                        u,
                        repo,
                        &c.sha,
                        &ch.path,
                        &ch.status,
                        ch.additions,
                        ch.deletions,
                        &ch.blob_sha,
                        &ch.patch
                    ))
                    .collect::<Vec<_>>()
            ),
        );
    }
    v
}

#[allow(clippy::too_many_arguments)]
fn diff_entry(
    u: &Urls,
    repo: &RepoData,
    sha: &str,
    path: &str,
    status: &str,
    adds: u64,
    dels: u64,
    blob: &str,
    patch: &str,
) -> Value {
    let fname = repo.full_name();
    json!({
        "sha": blob,
        "filename": path,
        "status": status,
        "additions": adds,
        "deletions": dels,
        "changes": adds + dels,
        "blob_url": format!("{}/{fname}/blob/{sha}/{path}", u.web),
        "raw_url": format!("{}/{fname}/raw/{sha}/{path}", u.web),
        "contents_url": format!("{}/repos/{fname}/contents/{path}?ref={sha}", u.api),
        "patch": patch,
    })
}

fn release_json(f: &Forge, u: &Urls, repo: &RepoData, i: usize) -> Value {
    let r = &repo.releases[i];
    let fname = repo.full_name();
    let a = format!("{}/repos/{fname}/releases/{}", u.api, r.id);
    json!({
        "url": a,
        "assets_url": format!("{a}/assets"),
        "upload_url": format!("{}/repos/{fname}/releases/{}/assets{{?name,label}}", u.api, r.id),
        "html_url": format!("{}/{fname}/releases/tag/{}", u.web, r.tag_name),
        "id": r.id,
        "author": user_json(u, &f.world.users[r.author]),
        "node_id": node_id("RE", r.id),
        "tag_name": r.tag_name,
        "target_commitish": "main",
        "name": r.name,
        "draft": r.draft,
        "immutable": false,
        "prerelease": r.prerelease,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.published_at),
        "published_at": iso(r.published_at),
        "assets": [],
        "tarball_url": format!("{}/repos/{fname}/tarball/{}", u.api, r.tag_name),
        "zipball_url": format!("{}/repos/{fname}/zipball/{}", u.api, r.tag_name),
        "body": r.body,
    })
}

fn cache<'f>(f: &'f Forge, u: &Urls, ri: usize, slot: usize) -> &'f GhCache {
    f.repos[ri].gh[slot].get_or_init(|| {
        let repo = &f.world.repos[ri];
        let rs = &f.repos[ri];
        let n = repo.issues.len();
        GhCache {
            issues: (0..n)
                .map(|p| issue_json(f, u, rs, repo, p, false).to_string())
                .collect(),
            pulls: (0..n)
                .map(|p| {
                    if repo.issues[p].pull.is_some() {
                        pull_json(f, u, rs, repo, p, false).to_string()
                    } else {
                        String::new()
                    }
                })
                .collect(),
            issue_comments: (0..repo.issue_comments.len())
                .map(|i| issue_comment_json(f, u, rs, repo, i).to_string())
                .collect(),
            review_comments: (0..repo.review_comments.len())
                .map(|i| review_comment_json(f, u, rs, repo, i).to_string())
                .collect(),
            events: (0..repo.events.len())
                .map(|i| event_json(f, u, repo, i).to_string())
                .collect(),
        }
    })
}

/// Repository sub-routes we serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub<'a> {
    Info,
    Issues,
    Issue(u64),
    IssueComments(u64),
    IssueLabels(u64),
    IssueEvents(u64),
    AllEvents,
    AllComments,
    Pulls,
    Pull(u64),
    PullCommits(u64),
    PullFiles(u64),
    PullReviews(u64),
    PullReviewers(u64),
    PullComments(u64),
    AllReviewComments,
    Labels,
    Releases,
    Contributors,
    Clones,
    Commit(&'a str),
    Commits,
    Assignees,
}

fn parse_sub<'a>(rest: &[&'a str]) -> Option<Sub<'a>> {
    let num = |s: &str| s.parse::<u64>().ok();
    Some(match rest {
        [] => Sub::Info,
        ["issues"] => Sub::Issues,
        ["issues", "events"] => Sub::AllEvents,
        ["issues", "comments"] => Sub::AllComments,
        ["issues", n] => Sub::Issue(num(n)?),
        ["issues", n, "comments"] => Sub::IssueComments(num(n)?),
        ["issues", n, "labels"] => Sub::IssueLabels(num(n)?),
        ["issues", n, "events"] => Sub::IssueEvents(num(n)?),
        ["pulls"] => Sub::Pulls,
        ["pulls", "comments"] => Sub::AllReviewComments,
        ["pulls", n] => Sub::Pull(num(n)?),
        ["pulls", n, "commits"] => Sub::PullCommits(num(n)?),
        ["pulls", n, "files"] => Sub::PullFiles(num(n)?),
        ["pulls", n, "reviews"] => Sub::PullReviews(num(n)?),
        ["pulls", n, "requested_reviewers"] => Sub::PullReviewers(num(n)?),
        ["pulls", n, "comments"] => Sub::PullComments(num(n)?),
        ["labels"] => Sub::Labels,
        ["releases"] => Sub::Releases,
        ["contributors"] => Sub::Contributors,
        ["traffic", "clones"] => Sub::Clones,
        ["commits"] => Sub::Commits,
        ["commits", sha] => Sub::Commit(sha),
        ["assignees"] => Sub::Assignees,
        _ => return None,
    })
}

enum Target<'a> {
    Name(&'a str, &'a str),
    Id(u64),
}

enum Route<'a> {
    RateLimit,
    User(&'a str),
    UserEvents(&'a str),
    OrgRepos(&'a str),
    SearchUsers,
    Repo(Target<'a>, Vec<&'a str>, Sub<'a>),
}

fn parse_route<'a>(segs: &[&'a str]) -> Option<Route<'a>> {
    Some(match segs {
        ["rate_limit"] => Route::RateLimit,
        ["users", login] => Route::User(login),
        ["users", login, "events"] => Route::UserEvents(login),
        ["orgs", org, "repos"] | ["users", org, "repos"] => Route::OrgRepos(org),
        ["search", "users"] => Route::SearchUsers,
        ["repos", owner, name, rest @ ..] => {
            Route::Repo(Target::Name(owner, name), rest.to_vec(), parse_sub(rest)?)
        }
        ["repositories", id, rest @ ..] => Route::Repo(
            Target::Id(id.parse().ok()?),
            rest.to_vec(),
            parse_sub(rest)?,
        ),
        _ => return None,
    })
}

/// Answers a GitHub API request; `None` for endpoints we do not serve.
pub fn handle(f: &Forge, req: &Req) -> Option<Reply> {
    if !req.is_read() {
        return None;
    }
    let segs = req.segments();
    let route = parse_route(&segs)?;
    let u = Urls {
        api: f.api_base(req.layout),
        web: f.base.clone(),
    };
    if let Route::RateLimit = route {
        return Some(rate_limit(f, req));
    }
    let resource = if matches!(route, Route::SearchUsers) {
        "search"
    } else {
        "core"
    };
    let gate = match f.gate(req, Platform::GitHub, resource) {
        Ok(g) => g,
        Err(r) => return Some(r),
    };
    let reply = match route {
        Route::RateLimit => unreachable_rate_limit(),
        Route::User(login) => match f.users_by_login.get(&login.to_ascii_lowercase()) {
            Some(&i) => {
                let repos = f.world.repos.iter().filter(|r| r.owner_user == i).count();
                Reply::json(200, &public_user_json(&u, &f.world.users[i], repos))
            }
            None => not_found(),
        },
        Route::UserEvents(login) => match f.users_by_login.get(&login.to_ascii_lowercase()) {
            Some(_) => Reply::raw_json(200, "[]".into()),
            None => not_found(),
        },
        Route::OrgRepos(org) => {
            let items: Vec<String> = f
                .world
                .repos
                .iter()
                .filter(|r| r.owner.eq_ignore_ascii_case(org))
                .map(|r| repo_json(f, &u, r, false).to_string())
                .collect();
            if items.is_empty() && !f.users_by_login.contains_key(&org.to_ascii_lowercase()) {
                not_found()
            } else {
                let refs: Vec<&str> = items.iter().map(String::as_str).collect();
                paginate(&u, req, &req.path, &refs, 30)
            }
        }
        Route::SearchUsers => search_users(f, &u, req),
        Route::Repo(target, rest, sub) => {
            let ri = match target {
                Target::Name(owner, name) => match f.lookup(&format!("{owner}/{name}")) {
                    Lookup::Repo(i) => i,
                    Lookup::Moved(i) => {
                        let mut loc = format!("{}/repositories/{}", u.api, f.world.repos[i].id);
                        for s in &rest {
                            loc.push('/');
                            loc.push_str(s);
                        }
                        if !req.raw_query.is_empty() {
                            loc.push('?');
                            loc.push_str(&req.raw_query);
                        }
                        let r = Reply::json(
                            301,
                            &json!({"message": "Moved Permanently", "url": loc, "documentation_url": "https://docs.github.com/v3/#http-redirects"}),
                        );
                        return Some(f.finish(req, &gate, r.with("location", loc)));
                    }
                    Lookup::Gone => {
                        let r = Reply::json(
                            410,
                            &json!({"message": "Repository access blocked", "block": {"reason": "unavailable", "created_at": "2025-01-01T00:00:00Z"}, "documentation_url": "https://docs.github.com/rest", "status": "410"}),
                        );
                        return Some(f.finish(req, &gate, r));
                    }
                    Lookup::Missing => return Some(f.finish(req, &gate, not_found())),
                },
                Target::Id(id) => match f.by_id.get(&id) {
                    Some(&i) => i,
                    None => return Some(f.finish(req, &gate, not_found())),
                },
            };
            let link_path = {
                let mut p = format!("/repositories/{}", f.world.repos[ri].id);
                for s in &rest {
                    p.push('/');
                    p.push_str(s);
                }
                p
            };
            repo_route(f, &u, req, ri, sub, &link_path)
        }
    };
    Some(f.finish(req, &gate, reply))
}

#[allow(clippy::unreachable)]
fn unreachable_rate_limit() -> Reply {
    unreachable!("rate_limit is answered before gating")
}

fn rate_limit(f: &Forge, req: &Req) -> Reply {
    let (key, limit) = match f.peek(req, Platform::GitHub) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let t = crate::time::now();
    let core = f.limiter.peek(&key, "core", limit, f.rate.window_secs, t);
    let search = f.limiter.peek(
        &key,
        "search",
        f.rate.search_limit,
        f.rate.search_window_secs,
        t,
    );
    let j = |s: crate::ratelimit::Snapshot| json!({"limit": s.limit, "remaining": s.remaining, "reset": s.reset, "used": s.used, "resource": s.resource});
    Reply::json(
        200,
        &json!({"resources": {"core": j(core), "search": j(search)}, "rate": j(core)}),
    )
    .with("x-ratelimit-limit", core.limit.to_string())
    .with("x-ratelimit-remaining", core.remaining.to_string())
    .with("x-ratelimit-reset", core.reset.to_string())
    .with("x-ratelimit-used", core.used.to_string())
    .with("x-ratelimit-resource", "core")
}

fn search_users(f: &Forge, u: &Urls, req: &Req) -> Reply {
    let q = req.q("q").unwrap_or("").to_ascii_lowercase();
    let terms: Vec<&str> = q.split_whitespace().filter(|t| !t.contains(':')).collect();
    let in_email = q.contains("in:email");
    let hits: Vec<String> = f
        .world
        .users
        .iter()
        .filter(|user| {
            !terms.is_empty()
                && terms.iter().all(|t| {
                    if in_email || t.contains('@') {
                        user.email
                            .as_deref()
                            .is_some_and(|e| e.eq_ignore_ascii_case(t))
                            || user.commit_email.eq_ignore_ascii_case(t)
                    } else {
                        user.login.to_ascii_lowercase().contains(t)
                            || user.name.to_ascii_lowercase().contains(t)
                    }
                })
        })
        .map(|user| {
            let mut v = user_json(u, user);
            v.as_object_mut()
                .expect("object")
                .insert("score".into(), json!(1.0));
            v.to_string()
        })
        .collect();
    let page = PageReq::from(req, 30);
    let range = page.range(hits.len());
    let body = format!(
        "{{\"total_count\":{},\"incomplete_results\":false,\"items\":{}}}",
        hits.len(),
        json_array(hits[range].iter().map(String::as_str))
    );
    let mut r = Reply::raw_json(200, body);
    if let Some(l) = link_header(u, req, "/search/users", page, hits.len()) {
        r = r.with("link", l);
    }
    r
}

/// GitHub's `Link` header for a page of `total` items.
fn link_header(u: &Urls, req: &Req, path: &str, page: PageReq, total: usize) -> Option<String> {
    let last = page.pages(total);
    if total == 0 || (last == 1 && page.page == 1) {
        return None;
    }
    let others: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| k != "page")
        .cloned()
        .collect();
    let url = |p: usize| {
        let mut q = others.clone();
        q.push(("page".into(), p.to_string()));
        format!("<{}{}?{}>", u.api, path, build_query(&q))
    };
    let mut parts = Vec::new();
    if page.page > 1 {
        parts.push(format!("{}; rel=\"prev\"", url((page.page - 1).min(last))));
    }
    if page.page < last {
        parts.push(format!("{}; rel=\"next\"", url(page.page + 1)));
        parts.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page.page > 1 {
        parts.push(format!("{}; rel=\"first\"", url(1)));
    }
    Some(parts.join(", "))
}

fn paginate(
    u: &Urls,
    req: &Req,
    link_path: &str,
    items: &[&str],
    default_per_page: usize,
) -> Reply {
    let page = PageReq::from(req, default_per_page);
    let range = page.range(items.len());
    let mut r = Reply::raw_json(200, json_array(items[range].iter().copied()));
    if let Some(l) = link_header(u, req, link_path, page, items.len()) {
        r = r.with("link", l);
    }
    r
}

fn since(req: &Req) -> Result<Option<i64>, Reply> {
    match req.q("since") {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| {
            Reply::json(422, &json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "field": "since", "code": "invalid"}], "documentation_url": "https://docs.github.com/rest", "status": "422"}))
        }),
    }
}

fn desc(req: &Req, default_desc: bool) -> bool {
    match req.q("direction") {
        Some("asc") => false,
        Some("desc") => true,
        _ => default_desc,
    }
}

/// The `state` filter: `None` means all.
fn state_filter(req: &Req) -> Option<State> {
    match req.q("state").unwrap_or("open") {
        "all" => None,
        "closed" => Some(State::Closed),
        _ => Some(State::Open),
    }
}

#[allow(clippy::too_many_lines)]
fn repo_route(f: &Forge, u: &Urls, req: &Req, ri: usize, sub: Sub<'_>, link_path: &str) -> Reply {
    let repo = &f.world.repos[ri];
    let rs = &f.repos[ri];
    let slot = layout_slot(req.layout);
    let users = &f.world.users;
    let pos_of = |n: u64| repo.issue_index(n);
    let pr_pos = |n: u64| pos_of(n).filter(|&p| repo.issues[p].pull.is_some());
    let since = match since(req) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match sub {
        Sub::Info => Reply::json(200, &repo_json(f, u, repo, true)),
        Sub::Issues => {
            let c = cache(f, u, ri, slot);
            let state = state_filter(req);
            let labels: Vec<&str> = req
                .q("labels")
                .map(|l| {
                    l.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let creator = req.q("creator").map(str::to_ascii_lowercase);
            let assignee = req.q("assignee");
            let mut idx: Vec<usize> = (0..repo.issues.len())
                .filter(|&p| {
                    let is = &repo.issues[p];
                    state.is_none_or(|st| is.state == st)
                        && since.is_none_or(|s| is.updated_at >= s)
                        && labels.iter().all(|l| {
                            is.labels
                                .iter()
                                .any(|&x| repo.labels[x].name.eq_ignore_ascii_case(l))
                        })
                        && creator
                            .as_deref()
                            .is_none_or(|c| users[is.user].login.eq_ignore_ascii_case(c))
                        && match assignee {
                            None => true,
                            Some("*") => !is.assignees.is_empty(),
                            Some("none") => is.assignees.is_empty(),
                            Some(a) => is
                                .assignees
                                .iter()
                                .any(|&x| users[x].login.eq_ignore_ascii_case(a)),
                        }
                })
                .collect();
            let sort = req.q("sort").unwrap_or("created");
            let key = |p: &usize| -> (i64, u64) {
                let is = &repo.issues[*p];
                match sort {
                    "updated" => (is.updated_at, is.number),
                    "comments" => (rs.comments[*p].len() as i64, is.number),
                    _ => (is.created_at, is.number),
                }
            };
            idx.sort_by_key(key);
            if desc(req, true) {
                idx.reverse();
            }
            let items: Vec<&str> = idx.iter().map(|&p| c.issues[p].as_str()).collect();
            paginate(u, req, link_path, &items, 30)
        }
        Sub::Issue(n) => match pos_of(n) {
            Some(p) => Reply::json(200, &issue_json(f, u, rs, repo, p, true)),
            None => not_found(),
        },
        Sub::IssueComments(n) => match pos_of(n) {
            Some(p) => {
                let c = cache(f, u, ri, slot);
                let items: Vec<&str> = rs.comments[p]
                    .iter()
                    .filter(|&&i| since.is_none_or(|s| repo.issue_comments[i].updated_at >= s))
                    .map(|&i| c.issue_comments[i].as_str())
                    .collect();
                paginate(u, req, link_path, &items, 30)
            }
            None => not_found(),
        },
        Sub::IssueLabels(n) => match pos_of(n) {
            Some(p) => {
                let items: Vec<String> = repo.issues[p]
                    .labels
                    .iter()
                    .map(|&l| label_json(u, repo, &repo.labels[l]).to_string())
                    .collect();
                let refs: Vec<&str> = items.iter().map(String::as_str).collect();
                paginate(u, req, link_path, &refs, 30)
            }
            None => not_found(),
        },
        Sub::IssueEvents(n) => match pos_of(n) {
            Some(p) => {
                let c = cache(f, u, ri, slot);
                let items: Vec<&str> = rs.events[p].iter().map(|&i| c.events[i].as_str()).collect();
                paginate(u, req, link_path, &items, 30)
            }
            None => not_found(),
        },
        Sub::AllEvents => {
            let c = cache(f, u, ri, slot);
            let page = PageReq::from(req, 30);
            let total = repo.events.len();
            // Newest first, each with its issue embedded (rendered per page).
            let range = page.range(total);
            let rendered: Vec<String> = range
                .map(|k| {
                    let i = total - 1 - k;
                    let ev = &c.events[i];
                    let p = pos_of(repo.events[i].number).unwrap_or(0);
                    format!("{},\"issue\":{}}}", &ev[..ev.len() - 1], c.issues[p])
                })
                .collect();
            let mut r = Reply::raw_json(200, json_array(rendered.iter().map(String::as_str)));
            if let Some(l) = link_header(u, req, link_path, page, total) {
                r = r.with("link", l);
            }
            r
        }
        Sub::AllComments => {
            let c = cache(f, u, ri, slot);
            let mut idx: Vec<usize> = (0..repo.issue_comments.len())
                .filter(|&i| since.is_none_or(|s| repo.issue_comments[i].updated_at >= s))
                .collect();
            if let Some(sort) = req.q("sort") {
                if sort == "updated" {
                    idx.sort_by_key(|&i| {
                        (repo.issue_comments[i].updated_at, repo.issue_comments[i].id)
                    });
                }
                if desc(req, true) {
                    idx.reverse();
                }
            } else if req.q("direction") == Some("desc") {
                idx.reverse();
            }
            let items: Vec<&str> = idx.iter().map(|&i| c.issue_comments[i].as_str()).collect();
            paginate(u, req, link_path, &items, 30)
        }
        Sub::Pulls => {
            let c = cache(f, u, ri, slot);
            let state = state_filter(req);
            let base = req.q("base");
            let head = req.q("head").map(|h| h.split_once(':').map_or(h, |x| x.1));
            let mut idx: Vec<usize> = (0..repo.issues.len())
                .filter(|&p| {
                    let is = &repo.issues[p];
                    is.pull.as_ref().is_some_and(|pr| {
                        base.is_none_or(|b| b == pr.base_ref)
                            && head.is_none_or(|h| h == pr.head_ref)
                    }) && state.is_none_or(|st| is.state == st)
                })
                .collect();
            let sort = req.q("sort").unwrap_or("created");
            idx.sort_by_key(|&p| {
                let is = &repo.issues[p];
                match sort {
                    "updated" => (is.updated_at, is.number),
                    "popularity" => (rs.comments[p].len() as i64, is.number),
                    "long-running" => (
                        is.closed_at.unwrap_or(crate::generate::T_END) - is.created_at,
                        is.number,
                    ),
                    _ => (is.created_at, is.number),
                }
            });
            if desc(req, sort == "created") {
                idx.reverse();
            }
            let items: Vec<&str> = idx.iter().map(|&p| c.pulls[p].as_str()).collect();
            paginate(u, req, link_path, &items, 30)
        }
        Sub::Pull(n) => match pr_pos(n) {
            Some(p) => Reply::json(200, &pull_json(f, u, rs, repo, p, true)),
            None => not_found(),
        },
        Sub::PullCommits(n) => match pr_pos(n) {
            Some(p) => {
                let pr = repo.issues[p].pull.as_ref().expect("pull");
                let items: Vec<String> = repo.commits
                    [pr.first_commit..pr.first_commit + pr.commit_count]
                    .iter()
                    .map(|c| commit_json(f, u, repo, c, false).to_string())
                    .collect();
                let refs: Vec<&str> = items.iter().map(String::as_str).collect();
                paginate(u, req, link_path, &refs, 30)
            }
            None => not_found(),
        },
        Sub::PullFiles(n) => match pr_pos(n) {
            Some(p) => {
                let pr = repo.issues[p].pull.as_ref().expect("pull");
                let head = &repo.commits[pr.first_commit + pr.commit_count - 1].sha;
                let items: Vec<String> = pull_files(repo, pr.first_commit, pr.commit_count)
                    .iter()
                    .map(|(path, a, d, ci)| {
                        let ch = repo.commits[*ci]
                            .changes
                            .iter()
                            .find(|x| &x.path == path)
                            .expect("change");
                        let status = if repo.commits[..pr.first_commit]
                            .iter()
                            .any(|c| c.changes.iter().any(|x| &x.path == path))
                        {
                            "modified"
                        } else {
                            "added"
                        };
                        diff_entry(u, repo, head, path, status, *a, *d, &ch.blob_sha, &ch.patch)
                            .to_string()
                    })
                    .collect();
                let refs: Vec<&str> = items.iter().map(String::as_str).collect();
                paginate(u, req, link_path, &refs, 30)
            }
            None => not_found(),
        },
        Sub::PullReviews(n) => match pr_pos(n) {
            Some(p) => {
                let items: Vec<String> = rs.reviews[p]
                    .iter()
                    .map(|&i| review_json(f, u, rs, repo, i).to_string())
                    .collect();
                let refs: Vec<&str> = items.iter().map(String::as_str).collect();
                paginate(u, req, link_path, &refs, 30)
            }
            None => not_found(),
        },
        Sub::PullReviewers(n) => match pr_pos(n) {
            Some(p) => {
                let pr = repo.issues[p].pull.as_ref().expect("pull");
                Reply::json(
                    200,
                    &json!({"users": pr.requested_reviewers.iter().map(|&x| user_json(u, &users[x])).collect::<Vec<_>>(), "teams": []}),
                )
            }
            None => not_found(),
        },
        Sub::PullComments(n) => match pr_pos(n) {
            Some(p) => {
                let c = cache(f, u, ri, slot);
                let mut idx: Vec<usize> = rs.review_comments[p]
                    .iter()
                    .copied()
                    .filter(|&i| since.is_none_or(|s| repo.review_comments[i].updated_at >= s))
                    .collect();
                if req.q("direction") == Some("desc") {
                    idx.reverse();
                }
                let items: Vec<&str> = idx.iter().map(|&i| c.review_comments[i].as_str()).collect();
                paginate(u, req, link_path, &items, 30)
            }
            None => not_found(),
        },
        Sub::AllReviewComments => {
            let c = cache(f, u, ri, slot);
            let mut idx: Vec<usize> = (0..repo.review_comments.len())
                .filter(|&i| since.is_none_or(|s| repo.review_comments[i].updated_at >= s))
                .collect();
            if let Some(sort) = req.q("sort") {
                if sort == "updated" {
                    idx.sort_by_key(|&i| {
                        (
                            repo.review_comments[i].updated_at,
                            repo.review_comments[i].id,
                        )
                    });
                }
                if desc(req, true) {
                    idx.reverse();
                }
            } else if req.q("direction") == Some("desc") {
                idx.reverse();
            }
            let items: Vec<&str> = idx.iter().map(|&i| c.review_comments[i].as_str()).collect();
            paginate(u, req, link_path, &items, 30)
        }
        Sub::Labels => {
            let items: Vec<String> = repo
                .labels
                .iter()
                .map(|l| label_json(u, repo, l).to_string())
                .collect();
            let refs: Vec<&str> = items.iter().map(String::as_str).collect();
            paginate(u, req, link_path, &refs, 30)
        }
        Sub::Releases => {
            let items: Vec<String> = (0..repo.releases.len())
                .rev()
                .map(|i| release_json(f, u, repo, i).to_string())
                .collect();
            let refs: Vec<&str> = items.iter().map(String::as_str).collect();
            paginate(u, req, link_path, &refs, 30)
        }
        Sub::Contributors => {
            let items: Vec<String> = rs
                .contributors
                .iter()
                .map(|&(x, n)| {
                    let mut v = user_json(u, &users[x]);
                    v.as_object_mut()
                        .expect("object")
                        .insert("contributions".into(), json!(n));
                    v.to_string()
                })
                .collect();
            let refs: Vec<&str> = items.iter().map(String::as_str).collect();
            paginate(u, req, link_path, &refs, 30)
        }
        Sub::Assignees => {
            let mut set: Vec<usize> = repo
                .issues
                .iter()
                .flat_map(|i| i.assignees.iter().copied())
                .collect();
            set.sort_unstable();
            set.dedup();
            let items: Vec<String> = set
                .iter()
                .map(|&x| user_json(u, &users[x]).to_string())
                .collect();
            let refs: Vec<&str> = items.iter().map(String::as_str).collect();
            paginate(u, req, link_path, &refs, 30)
        }
        Sub::Clones => {
            let count: u64 = repo.clones.iter().map(|c| c.count).sum();
            let uniques: u64 = repo.clones.iter().map(|c| c.uniques).sum();
            Reply::json(
                200,
                &json!({
                    "count": count,
                    "uniques": uniques,
                    "clones": repo.clones.iter().map(|c| json!({"timestamp": iso(c.timestamp), "count": c.count, "uniques": c.uniques})).collect::<Vec<_>>(),
                }),
            )
        }
        Sub::Commit(sha) => {
            let found = if sha.len() >= 7 {
                repo.commits.iter().find(|c| c.sha.starts_with(sha))
            } else {
                None
            };
            match found {
                Some(c) => Reply::json(200, &commit_json(f, u, repo, c, true)),
                None => Reply::json(
                    422,
                    &json!({"message": format!("No commit found for SHA: {sha}"), "documentation_url": "https://docs.github.com/rest/commits/commits#get-a-commit", "status": "422"}),
                ),
            }
        }
        Sub::Commits => {
            let picked: Vec<&Commit> = repo
                .commits
                .iter()
                .rev()
                .filter(|c| since.is_none_or(|s| c.time >= s))
                .collect();
            let page = PageReq::from(req, 30);
            let items: Vec<String> = picked[page.range(picked.len())]
                .iter()
                .map(|c| commit_json(f, u, repo, c, false).to_string())
                .collect();
            let mut r = Reply::raw_json(200, json_array(items.iter().map(String::as_str)));
            if let Some(l) = link_header(u, req, link_path, page, picked.len()) {
                r = r.with("link", l);
            }
            r
        }
    }
}
