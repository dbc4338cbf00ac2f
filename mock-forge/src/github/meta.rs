//! Repository metadata crawlers read besides issues and pull requests:
//! languages, topics, branches, a commit's combined status, and the lists
//! the world holds none of (milestones, reactions, commit comments, commit
//! statuses), answered empty rather than 501.

use serde_json::json;

use super::RepoCtx;
use super::commits::{find, no_commit};
use super::render::not_found;
use super::render::repo::TOPICS;
use crate::http::Reply;

/// `/languages`: the repository's one language and its size in bytes.
pub fn languages(c: &RepoCtx<'_>) -> Reply {
    let mut langs = serde_json::Map::new();
    if !c.repo.commits.is_empty() {
        let bytes: u64 = c.repo.commits.len() as u64 * 3072;
        langs.insert(c.repo.language.clone(), json!(bytes));
    }
    Reply::json(200, &serde_json::Value::Object(langs))
}

/// `/topics`: the topics `repository.topics` lists.
pub fn topics(_c: &RepoCtx<'_>) -> Reply {
    Reply::json(200, &json!({"names": TOPICS}))
}

/// `/branches`: `main` at the newest commit (the only ref the git
/// repository has); none for an empty repository.
pub fn branches(c: &RepoCtx<'_>) -> Reply {
    let items: Vec<String> = c
        .repo
        .commits
        .last()
        .map(|h| {
            let url = format!("{}/repos/{}/commits/{}", c.u.api, c.repo.full_name(), h.sha);
            json!({"name": "main", "commit": {"sha": h.sha, "url": url}, "protected": false})
                .to_string()
        })
        .into_iter()
        .collect();
    c.page_owned(&items)
}

/// An empty page: milestones, commit comments, statuses.
pub fn none(c: &RepoCtx<'_>) -> Reply {
    c.page_owned(&[])
}

/// `/issues/{n}/reactions`: none (every reaction rollup counts 0).
pub fn issue_reactions(c: &RepoCtx<'_>, n: u64) -> Reply {
    match c.pos(n) {
        Some(_) => none(c),
        None => not_found(),
    }
}

/// `/commits/{sha}/statuses` and `/commits/{sha}/comments`: none, for a
/// known commit.
pub fn commit_none(c: &RepoCtx<'_>, sha: &str) -> Reply {
    match find(c, sha) {
        Some(_) => none(c),
        None => no_commit(sha),
    }
}

/// `/commits/{sha}/status`: the combined status of a commit without
/// statuses (`pending`, as GitHub answers).
pub fn combined_status(c: &RepoCtx<'_>, sha: &str) -> Reply {
    let Some(x) = find(c, sha) else {
        return no_commit(sha);
    };
    let api = format!("{}/repos/{}", c.u.api, c.repo.full_name());
    Reply::json(
        200,
        &json!({
            "state": "pending",
            "statuses": [],
            "sha": x.sha,
            "total_count": 0,
            "repository": super::repo_json(c.f, c.u, c.repo, false),
            "commit_url": format!("{api}/commits/{}", x.sha),
            "url": format!("{api}/commits/{}/status", x.sha),
        }),
    )
}
