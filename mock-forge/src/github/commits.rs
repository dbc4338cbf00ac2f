//! Commits: the history (newest first, with `since`) and one commit by a
//! SHA prefix of at least seven characters.

use serde_json::json;

use super::RepoCtx;
use super::paging::link_header;
use super::render::commit::commit_json;
use crate::http::{PageReq, Reply, json_array};
use crate::model::Commit;

/// The commit a SHA prefix of at least seven characters names.
pub fn find<'a>(c: &RepoCtx<'a>, sha: &str) -> Option<&'a Commit> {
    if sha.len() < 7 {
        return None;
    }
    c.repo.commits.iter().find(|x| x.sha.starts_with(sha))
}

/// GitHub's 422 for a SHA no commit has.
pub fn no_commit(sha: &str) -> Reply {
    Reply::json(
        422,
        &json!({"message": format!("No commit found for SHA: {sha}"), "documentation_url": "https://docs.github.com/rest/commits/commits#get-a-commit", "status": "422"}),
    )
}

/// `/commits/{sha}`, with stats and files; 422 for an unknown SHA.
pub fn one(c: &RepoCtx<'_>, sha: &str) -> Reply {
    match find(c, sha) {
        Some(x) => Reply::json(200, &commit_json(c.f, c.u, c.repo, x, true)),
        None => no_commit(sha),
    }
}

/// `/commits`: newest first, with `since`; only the page is rendered.
pub fn list(c: &RepoCtx<'_>) -> Reply {
    let picked: Vec<&Commit> = c
        .repo
        .commits
        .iter()
        .rev()
        .filter(|x| c.since.is_none_or(|s| x.time >= s))
        .collect();
    let page = PageReq::from(c.req, 30);
    let items: Vec<String> = picked[page.range(picked.len())]
        .iter()
        .map(|x| commit_json(c.f, c.u, c.repo, x, false).to_string())
        .collect();
    let mut r = Reply::raw_json(200, json_array(items.iter().map(String::as_str)));
    if let Some(l) = link_header(c.u, c.req, &c.link_path, page, picked.len()) {
        r = r.with("link", l);
    }
    r
}
