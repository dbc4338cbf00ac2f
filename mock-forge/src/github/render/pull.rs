//! `pull-request` / `pull-request-simple`, `pull-request-review-comment`
//! and `pull-request-review`.

use serde_json::{Value, json};

use super::repo::repo_json;
use super::{association, body_or_null, label_json, node_id, reactions, user_json};
use crate::forge::{Forge, RepoServe};
use crate::github::Urls;
use crate::model::{RepoData, State, User};
use crate::time::iso;
use crate::truth::pull_files;

/// `pull-request-simple`, or `pull-request` when `detail`.
pub fn pull_json(
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
    let statuses = format!("{}/repos/{fname}/statuses/{}", u.api, head.sha);
    let review_comment = format!("{}/repos/{fname}/pulls/comments{{/number}}", u.api);
    let mut v = json!({
        "url": a,
        "id": pr.id,
        "node_id": node_id("PR", pr.id),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": ia,
        "number": is.number,
        "state": if is.state == State::Open { "open" } else { "closed" },
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
        "review_comment_url": review_comment,
        "comments_url": format!("{ia}/comments"),
        "statuses_url": statuses,
        "head": branch_json(u, owner, &pr.head_ref, &head.sha, &repo_v),
        "base": branch_json(u, owner, &pr.base_ref, &base_sha, &repo_v),
        "_links": {
            "self": {"href": a},
            "html": {"href": html},
            "issue": {"href": ia},
            "comments": {"href": format!("{ia}/comments")},
            "review_comments": {"href": format!("{a}/comments")},
            "review_comment": {"href": review_comment},
            "commits": {"href": format!("{a}/commits")},
            "statuses": {"href": statuses},
        },
        "author_association": association(rs, is.user),
        "auto_merge": null,
        "active_lock_reason": null,
    });
    if detail {
        extend_detail(&mut v, f, u, rs, repo, pos);
    }
    v
}

/// A pull request's `head` or `base`.
fn branch_json(u: &Urls, owner: &User, branch: &str, sha: &str, repo_v: &Value) -> Value {
    json!({
        "label": format!("{}:{}", owner.login, branch),
        "ref": branch,
        "sha": sha,
        "user": user_json(u, owner),
        "repo": repo_v,
    })
}

/// The fields only the single `pull-request` has: merge state and counts.
fn extend_detail(v: &mut Value, f: &Forge, u: &Urls, rs: &RepoServe, repo: &RepoData, pos: usize) {
    let is = &repo.issues[pos];
    let pr = is.pull.as_ref().expect("pull request");
    let users = &f.world.users;
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

/// `pull-request-review-comment`.
pub fn review_comment_json(
    f: &Forge,
    u: &Urls,
    rs: &RepoServe,
    repo: &RepoData,
    i: usize,
) -> Value {
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

/// `pull-request-review`.
pub fn review_json(f: &Forge, u: &Urls, rs: &RepoServe, repo: &RepoData, i: usize) -> Value {
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
