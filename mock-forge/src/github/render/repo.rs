//! `repository` / `full-repository` and `release`.

use serde_json::{Value, json};

use super::{extend, license_json, node_id, user_json};
use crate::forge::Forge;
use crate::github::Urls;
use crate::model::{RepoData, State};
use crate::time::iso;

/// The topics of every generated repository.
pub const TOPICS: [&str; 2] = ["open-source", "mock"];

/// `repository` / `full-repository`.
pub fn repo_json(f: &Forge, u: &Urls, repo: &RepoData, full: bool) -> Value {
    let fname = repo.full_name();
    let private = f.private.contains_key(&fname.to_ascii_lowercase());
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
        "private": private,
        "owner": user_json(u, &f.world.users[repo.owner_user]),
        "html_url": format!("{}/{fname}", u.web),
        "description": repo.description,
        "fork": false,
    });
    extend(&mut v, repo_urls(u, &fname));
    extend(
        &mut v,
        json!({
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
            "topics": TOPICS,
            "has_issues": true,
            "has_projects": true,
            "has_wiki": true,
            "has_pages": false,
            "has_downloads": true,
            "has_discussions": false,
            "archived": false,
            "disabled": false,
            "visibility": if private { "private" } else { "public" },
            "pushed_at": iso(repo.pushed_at),
            "created_at": iso(repo.created_at),
            "updated_at": iso(repo.pushed_at),
            "allow_forking": true,
            "web_commit_signoff_required": false,
            "license": license_json(),
        }),
    );
    if full {
        let o = v.as_object_mut().expect("object");
        o.insert("network_count".into(), json!(repo.forks));
        o.insert("subscribers_count".into(), json!(repo.subscribers));
        o.insert("custom_properties".into(), json!({}));
        o.insert(
            "organization".into(),
            user_json(u, &f.world.users[repo.owner_user]),
        );
    }
    v
}

/// The URL and URL-template fields of a repository.
fn repo_urls(u: &Urls, fname: &str) -> Value {
    let a = format!("{}/repos/{fname}", u.api);
    json!({
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
    })
}

/// `release`.
pub fn release_json(f: &Forge, u: &Urls, repo: &RepoData, i: usize) -> Value {
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
