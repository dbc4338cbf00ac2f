//! Pull requests: the list with its filters and sorts, one pull request,
//! its commits, files, reviews, requested reviewers and review comments,
//! and the repository-wide review comment list.

use serde_json::json;

use super::RepoCtx;
use super::paging::{desc, state_filter};
use super::render::commit::{commit_json, diff_entry};
use super::render::pull::{pull_json, review_json};
use super::render::{not_found, user_json};
use crate::generate::T_END;
use crate::http::Reply;
use crate::model::Pull;
use crate::truth::pull_files;

/// `/pulls`: `state`, `base` and `head` filters; `sort` by created,
/// updated, popularity or long-running.
pub fn list(c: &RepoCtx<'_>) -> Reply {
    let (req, repo) = (c.req, c.repo);
    let cache = c.cache();
    let state = state_filter(req);
    let base = req.q("base");
    let head = req.q("head").map(|h| h.split_once(':').map_or(h, |x| x.1));
    let mut idx: Vec<usize> = (0..repo.issues.len())
        .filter(|&p| {
            let is = &repo.issues[p];
            is.pull.as_ref().is_some_and(|pr| {
                base.is_none_or(|b| b == pr.base_ref) && head.is_none_or(|h| h == pr.head_ref)
            }) && state.is_none_or(|st| is.state == st)
        })
        .collect();
    let sort = req.q("sort").unwrap_or("created");
    idx.sort_by_key(|&p| {
        let is = &repo.issues[p];
        match sort {
            "updated" => (is.updated_at, is.number),
            "popularity" => (c.rs.comments[p].len() as i64, is.number),
            "long-running" => (is.closed_at.unwrap_or(T_END) - is.created_at, is.number),
            _ => (is.created_at, is.number),
        }
    });
    if desc(req, sort == "created") {
        idx.reverse();
    }
    let items: Vec<&str> = idx.iter().map(|&p| cache.pulls[p].as_str()).collect();
    c.page(&items)
}

/// The pull request numbered `n`, or GitHub's 404.
fn pull<'a>(c: &RepoCtx<'a>, n: u64) -> Result<(usize, &'a Pull), Reply> {
    let p = c.pr_pos(n).ok_or_else(not_found)?;
    Ok((p, c.repo.issues[p].pull.as_ref().expect("pull")))
}

/// `/pulls/{n}`.
pub fn one(c: &RepoCtx<'_>, n: u64) -> Reply {
    match pull(c, n) {
        Ok((p, _)) => Reply::json(200, &pull_json(c.f, c.u, c.rs, c.repo, p, true)),
        Err(r) => r,
    }
}

/// `/pulls/{n}/commits`.
pub fn commits(c: &RepoCtx<'_>, n: u64) -> Reply {
    let (_, pr) = match pull(c, n) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let items: Vec<String> = c.repo.commits[pr.first_commit..pr.first_commit + pr.commit_count]
        .iter()
        .map(|x| commit_json(c.f, c.u, c.repo, x, false).to_string())
        .collect();
    c.page_owned(&items)
}

/// `/pulls/{n}/files`: each path once, with its last change in the pull
/// request; `added` unless an earlier commit had the path.
pub fn files(c: &RepoCtx<'_>, n: u64) -> Reply {
    let (_, pr) = match pull(c, n) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let repo = c.repo;
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
            diff_entry(
                c.u,
                repo,
                head,
                path,
                status,
                *a,
                *d,
                &ch.blob_sha,
                &ch.patch,
            )
            .to_string()
        })
        .collect();
    c.page_owned(&items)
}

/// `/pulls/{n}/reviews`.
pub fn reviews(c: &RepoCtx<'_>, n: u64) -> Reply {
    let (p, _) = match pull(c, n) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let items: Vec<String> = c.rs.reviews[p]
        .iter()
        .map(|&i| review_json(c.f, c.u, c.rs, c.repo, i).to_string())
        .collect();
    c.page_owned(&items)
}

/// `/pulls/{n}/requested_reviewers`.
pub fn reviewers(c: &RepoCtx<'_>, n: u64) -> Reply {
    let (_, pr) = match pull(c, n) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let users = &c.f.world.users;
    Reply::json(
        200,
        &json!({"users": pr.requested_reviewers.iter().map(|&x| user_json(c.u, &users[x])).collect::<Vec<_>>(), "teams": []}),
    )
}

/// `/pulls/{n}/comments`, with `since` and `direction`.
pub fn comments(c: &RepoCtx<'_>, n: u64) -> Reply {
    let (p, _) = match pull(c, n) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let cache = c.cache();
    let mut idx: Vec<usize> = c.rs.review_comments[p]
        .iter()
        .copied()
        .filter(|&i| {
            c.since
                .is_none_or(|s| c.repo.review_comments[i].updated_at >= s)
        })
        .collect();
    if c.req.q("direction") == Some("desc") {
        idx.reverse();
    }
    let items: Vec<&str> = idx
        .iter()
        .map(|&i| cache.review_comments[i].as_str())
        .collect();
    c.page(&items)
}

/// `/pulls/comments`: `since`, `sort=updated`, `direction`.
pub fn all_comments(c: &RepoCtx<'_>) -> Reply {
    let req = c.req;
    let cache = c.cache();
    let comments = &c.repo.review_comments;
    let mut idx: Vec<usize> = (0..comments.len())
        .filter(|&i| c.since.is_none_or(|s| comments[i].updated_at >= s))
        .collect();
    if let Some(sort) = req.q("sort") {
        if sort == "updated" {
            idx.sort_by_key(|&i| (comments[i].updated_at, comments[i].id));
        }
        if desc(req, true) {
            idx.reverse();
        }
    } else if req.q("direction") == Some("desc") {
        idx.reverse();
    }
    let items: Vec<&str> = idx
        .iter()
        .map(|&i| cache.review_comments[i].as_str())
        .collect();
    c.page(&items)
}
