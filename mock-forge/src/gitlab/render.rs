//! GitLab JSON shapes: users, projects, issues, merge requests, commits,
//! and the statuses GitLab reports for them.

use serde_json::{Value, json};

use crate::forge::Forge;
use crate::http::Reply;
use crate::model::{Commit, RepoData, State, User};
use crate::time::iso_millis;

/// GitLab's 404 for `what` (`Project`, `Issue`, …).
pub fn not_found(what: &str) -> Reply {
    Reply::json(404, &json!({"message": format!("404 {what} Not Found")}))
}

/// GitLab's 400 for a bad parameter.
pub fn bad_request(msg: &str) -> Reply {
    Reply::json(400, &json!({"error": msg}))
}

/// A user in GitLab's basic shape.
pub fn user_json(web: &str, u: &User) -> Value {
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

/// A project (with `statistics` when asked).
pub fn project_json(f: &Forge, web: &str, repo: &RepoData, stats: bool) -> Value {
    let fname = repo.full_name();
    let private = f.private.contains_key(&fname.to_ascii_lowercase());
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
        "namespace": {"id": owner.id, "name": owner.name, "path": owner.login, "kind": "group", "full_path": owner.login, "parent_id": null, "avatar_url": null, "web_url": format!("{web}/groups/{}", owner.login)},
        "visibility": if private { "private" } else { "public" },
        "archived": false,
        "open_issues_count": open,
        "issues_enabled": true,
        "merge_requests_enabled": true,
        "empty_repo": repo.commits.is_empty(),
    });
    extend(&mut v, project_settings(f, web, repo));
    if stats {
        let size = repo.commits.len() as u64 * 3072;
        v.as_object_mut().expect("object").insert(
            "statistics".into(),
            json!({"commit_count": repo.commits.len(), "storage_size": size, "repository_size": size, "wiki_size": 0, "lfs_objects_size": 0, "job_artifacts_size": 0, "packages_size": 0, "snippets_size": 0, "uploads_size": 0}),
        );
    }
    v
}

/// Adds every field of the object `more` to the object `v`.
pub fn extend(v: &mut Value, more: Value) {
    if let (Some(o), Value::Object(more)) = (v.as_object_mut(), more) {
        o.extend(more);
    }
}

/// A project's links, feature access levels and merge settings, as a
/// non-member sees them on gitlab.com (every feature enabled, the defaults
/// of a new project, no membership in `permissions`).
fn project_settings(f: &Forge, web: &str, repo: &RepoData) -> Value {
    let fname = repo.full_name();
    let api = format!("{web}/api/v4/projects/{}", repo.project_id);
    let creator = f
        .world
        .users
        .get(crate::model::MEMBER_POSITIONS.start)
        .map_or(0, |u| u.id);
    let html = repo
        .description
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let mut v = json!({
        "_links": {"self": api, "issues": format!("{api}/issues"), "merge_requests": format!("{api}/merge_requests"), "repo_branches": format!("{api}/repository/branches"), "labels": format!("{api}/labels"), "events": format!("{api}/events"), "members": format!("{api}/members"), "cluster_agents": format!("{api}/cluster_agents")},
        "avatar_url": null,
        "creator_id": creator,
        "description_html": format!("<p dir=\"auto\">{html}</p>"),
        "updated_at": iso_millis(repo.pushed_at),
        "import_status": "none",
        "wiki_enabled": true,
        "permissions": {"project_access": null, "group_access": null},
        "container_registry_enabled": true,
        "container_registry_image_prefix": format!("registry.mock-forge/{}", fname.to_ascii_lowercase()),
        "container_expiration_policy": {"cadence": "1d", "enabled": false, "keep_n": 10, "older_than": "90d", "name_regex": null, "name_regex_keep": null, "next_run_at": iso_millis(repo.created_at + 86_400)},
        "compliance_frameworks": [],
        "shared_with_groups": [],
        "ci_config_path": "",
        "external_authorization_classification_label": "",
        "issue_branch_template": null,
        "merge_commit_template": null,
        "squash_commit_template": null,
        "suggestion_commit_message": null,
        "merge_method": "merge",
        "squash_option": "default_off",
        "repository_object_format": "sha1",
        "security_and_compliance_access_level": "private",
    });
    project_flags(v.as_object_mut().expect("object"));
    v
}

/// A new project's feature access levels and switches.
fn project_flags(o: &mut serde_json::Map<String, Value>) {
    for feature in [
        "analytics",
        "builds",
        "container_registry",
        "environments",
        "feature_flags",
        "forking",
        "infrastructure",
        "issues",
        "merge_requests",
        "model_experiments",
        "model_registry",
        "monitor",
        "pages",
        "releases",
        "repository",
        "requirements",
        "snippets",
        "wiki",
    ] {
        o.insert(format!("{feature}_access_level"), json!("enabled"));
    }
    for (flag, on) in [
        ("allow_merge_on_skipped_pipeline", None),
        ("autoclose_referenced_issues", Some(true)),
        ("can_create_merge_request_in", Some(true)),
        ("emails_disabled", Some(false)),
        ("emails_enabled", Some(true)),
        ("enforce_auth_checks_on_uploads", Some(true)),
        ("jobs_enabled", Some(true)),
        ("lfs_enabled", Some(true)),
        (
            "only_allow_merge_if_all_discussions_are_resolved",
            Some(false),
        ),
        ("only_allow_merge_if_pipeline_succeeds", Some(false)),
        ("packages_enabled", Some(true)),
        ("printing_merge_request_link_enabled", Some(true)),
        ("public_jobs", Some(true)),
        ("remove_source_branch_after_merge", Some(true)),
        ("request_access_enabled", Some(true)),
        ("requirements_enabled", Some(false)),
        ("resolve_outdated_diff_discussions", Some(false)),
        ("security_and_compliance_enabled", Some(false)),
        ("service_desk_enabled", Some(true)),
        ("shared_runners_enabled", Some(true)),
        ("snippets_enabled", Some(true)),
        ("warn_about_potentially_unwanted_characters", Some(true)),
    ] {
        o.insert(flag.into(), json!(on));
    }
}

/// `opened`, `closed` or (for merge requests) `merged`.
pub fn gl_state(repo: &RepoData, p: usize) -> &'static str {
    let is = &repo.issues[p];
    match (&is.pull, is.state) {
        (_, State::Open) => "opened",
        (Some(pr), State::Closed) if pr.merged_at.is_some() => "merged",
        _ => "closed",
    }
}

/// An issue (plain issues only).
pub fn issue_json(f: &Forge, web: &str, repo: &RepoData, p: usize) -> Value {
    let rs_iid = f.repos[f.by_project[&repo.project_id]].gl_iid[p];
    let rs = &f.repos[f.by_project[&repo.project_id]];
    let is = &repo.issues[p];
    let users = &f.world.users;
    let fname = repo.full_name();
    let api = format!("{web}/api/v4/projects/{}", repo.project_id);
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
        "_links": {"self": format!("{api}/issues/{rs_iid}"), "notes": format!("{api}/issues/{rs_iid}/notes"), "award_emoji": format!("{api}/issues/{rs_iid}/award_emoji"), "project": api, "closed_as_duplicate_of": null},
        "blocking_issues_count": 0,
        "has_tasks": false,
        "imported": false,
        "imported_from": "none",
        "moved_to_id": null,
    })
}

/// A merge request (pull requests only).
pub fn mr_json(f: &Forge, web: &str, repo: &RepoData, p: usize) -> Value {
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
        "allow_collaboration": false,
        "allow_maintainer_to_push": false,
        "approvals_before_merge": null,
        "prepared_at": iso_millis(is.created_at),
        "squash_on_merge": false,
    })
}

/// The fields only one merge request (`/merge_requests/{iid}`, `/changes`)
/// carries: the pipeline, diff refs, the change count and the caller's view.
pub fn mr_detail(repo: &RepoData, p: usize) -> Value {
    let is = &repo.issues[p];
    let pr = is.pull.as_ref().expect("pull");
    let head = &repo.commits[pr.first_commit + pr.commit_count - 1].sha;
    let base = repo.commits[pr.first_commit]
        .parent
        .clone()
        .unwrap_or_else(|| head.clone());
    let files = crate::truth::pull_files(repo, pr.first_commit, pr.commit_count).len();
    json!({
        "subscribed": false,
        "changes_count": files.to_string(),
        "diff_refs": {"base_sha": base, "head_sha": head, "start_sha": base},
        "first_contribution": false,
        "first_deployed_to_production_at": null,
        "head_pipeline": null,
        "pipeline": null,
        "imported": false,
        "imported_from": "none",
        "latest_build_started_at": null,
        "latest_build_finished_at": null,
        "merge_after": null,
        "merge_error": null,
        "user": {"can_merge": false},
    })
}

/// A commit.
pub fn commit_json(web: &str, repo: &RepoData, c: &Commit) -> Value {
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
/// events, so the two overlap: the k-th label event of a repository (in the order of its event
/// list) takes the id of the repository's k-th event. Events are only ever appended, so an id
/// never changes from one day to the next; it is unique per label event and equal to the id of
/// some `/events` entry of the same project. Returns the id of every label event by its index.
pub fn label_event_ids(repo: &RepoData) -> std::collections::HashMap<usize, u64> {
    repo.events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.label.is_some())
        .zip(&repo.events)
        .map(|((i, _), k)| (i, k.id))
        .collect()
}
