//! `issue`, `issue-comment` and `issue-event`.

use serde_json::{Value, json};

use super::{association, body_or_null, label_json, node_id, reactions, user_json};
use crate::forge::{Forge, RepoServe};
use crate::github::Urls;
use crate::model::{RepoData, State};
use crate::time::iso;

/// `issue` (with `closed_by` when `detail`); pull requests carry a
/// `pull_request` key.
pub fn issue_json(
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
        "issue_dependencies_summary": {"blocked_by": 0, "total_blocked_by": 0, "blocking": 0, "total_blocking": 0},
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

/// `issue-comment`.
pub fn issue_comment_json(f: &Forge, u: &Urls, rs: &RepoServe, repo: &RepoData, i: usize) -> Value {
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

/// `issue-event`, without its embedded `issue`.
pub fn event_json(f: &Forge, u: &Urls, repo: &RepoData, i: usize) -> Value {
    let e = &repo.events[i];
    let users = &f.world.users;
    let fname = repo.full_name();
    let sha = e
        .commit
        .map(|c| repo.commits[c].sha.clone())
        .or_else(|| e.dangling_commit.clone());
    let issue = repo.issue_index(e.number).map(|p| &repo.issues[p]);
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
        "state_reason": if e.event == "closed" { e.state_reason.clone().or_else(|| issue.and_then(|i| i.state_reason.clone())) } else { None },
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
        let to = issue.map_or("", |i| i.title.as_str());
        o.insert("rename".into(), json!({"from": "Old title", "to": to}));
    }
    v
}
