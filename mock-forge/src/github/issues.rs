//! Issues: the issue list (pull requests included) with its filters, one
//! issue, its comments, labels, events and timeline, and the repository-wide
//! event and comment lists.

use serde_json::{Value, json};

use super::RepoCtx;
use super::paging::{desc, link_header, state_filter};
use super::render::issue::issue_json;
use super::render::{label_json, not_found};
use crate::http::{PageReq, Reply, json_array};
use crate::model::{Issue, State};

/// The filters of `/issues`.
struct Filters<'q> {
    state: Option<State>,
    labels: Vec<&'q str>,
    creator: Option<String>,
    assignee: Option<&'q str>,
}

impl Filters<'_> {
    fn keep(&self, c: &RepoCtx<'_>, is: &Issue) -> bool {
        let users = &c.f.world.users;
        self.state.is_none_or(|st| is.state == st)
            && c.since.is_none_or(|s| is.updated_at >= s)
            && self.labels.iter().all(|l| {
                is.labels
                    .iter()
                    .any(|&x| c.repo.labels[x].name.eq_ignore_ascii_case(l))
            })
            && self
                .creator
                .as_deref()
                .is_none_or(|cr| users[is.user].login.eq_ignore_ascii_case(cr))
            && match self.assignee {
                None => true,
                Some("*") => !is.assignees.is_empty(),
                Some("none") => is.assignees.is_empty(),
                Some(a) => is
                    .assignees
                    .iter()
                    .any(|&x| users[x].login.eq_ignore_ascii_case(a)),
            }
    }
}

/// `/issues`: `state`, `since`, `labels`, `creator` and `assignee`
/// filters; `sort` by created, updated or comments.
pub fn list(c: &RepoCtx<'_>) -> Reply {
    let req = c.req;
    let cache = c.cache();
    let filters = Filters {
        state: state_filter(req),
        labels: req
            .q("labels")
            .map(|l| {
                l.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        creator: req.q("creator").map(str::to_ascii_lowercase),
        assignee: req.q("assignee"),
    };
    let repo = c.repo;
    let mut idx: Vec<usize> = (0..repo.issues.len())
        .filter(|&p| filters.keep(c, &repo.issues[p]))
        .collect();
    let sort = req.q("sort").unwrap_or("created");
    let key = |p: &usize| -> (i64, u64) {
        let is = &repo.issues[*p];
        match sort {
            "updated" => (is.updated_at, is.number),
            "comments" => (c.rs.comments[*p].len() as i64, is.number),
            _ => (is.created_at, is.number),
        }
    };
    idx.sort_by_key(key);
    if desc(req, true) {
        idx.reverse();
    }
    let items: Vec<&str> = idx.iter().map(|&p| cache.issues[p].as_str()).collect();
    c.page(&items)
}

/// `/issues/{n}`.
pub fn one(c: &RepoCtx<'_>, n: u64) -> Reply {
    match c.pos(n) {
        Some(p) => Reply::json(200, &issue_json(c.f, c.u, c.rs, c.repo, p, true)),
        None => not_found(),
    }
}

/// `/issues/{n}/comments`, with `since`.
pub fn comments(c: &RepoCtx<'_>, n: u64) -> Reply {
    let Some(p) = c.pos(n) else {
        return not_found();
    };
    let cache = c.cache();
    let items: Vec<&str> = c.rs.comments[p]
        .iter()
        .filter(|&&i| {
            c.since
                .is_none_or(|s| c.repo.issue_comments[i].updated_at >= s)
        })
        .map(|&i| cache.issue_comments[i].as_str())
        .collect();
    c.page(&items)
}

/// `/issues/{n}/labels`.
pub fn labels(c: &RepoCtx<'_>, n: u64) -> Reply {
    let Some(p) = c.pos(n) else {
        return not_found();
    };
    let items: Vec<String> = c.repo.issues[p]
        .labels
        .iter()
        .map(|&l| label_json(c.u, c.repo, &c.repo.labels[l]).to_string())
        .collect();
    c.page_owned(&items)
}

/// `/issues/{n}/events`.
pub fn events(c: &RepoCtx<'_>, n: u64) -> Reply {
    let Some(p) = c.pos(n) else {
        return not_found();
    };
    let cache = c.cache();
    let items: Vec<&str> = c.rs.events[p]
        .iter()
        .map(|&i| cache.events[i].as_str())
        .collect();
    c.page(&items)
}

/// `/issues/{n}/timeline`: the issue's events and its comments (as
/// `commented` entries with the commenter as `actor`), oldest first.
pub fn timeline(c: &RepoCtx<'_>, n: u64) -> Reply {
    let Some(p) = c.pos(n) else {
        return not_found();
    };
    let (cache, repo) = (c.cache(), c.repo);
    let mut entries: Vec<(i64, u64, String)> = c.rs.events[p]
        .iter()
        .map(|&i| {
            (
                repo.events[i].created_at,
                repo.events[i].id,
                cache.events[i].clone(),
            )
        })
        .collect();
    for &i in &c.rs.comments[p] {
        let mut v: Value = serde_json::from_str(&cache.issue_comments[i]).unwrap_or(Value::Null);
        let actor = v["user"].clone();
        super::render::extend(&mut v, json!({"event": "commented", "actor": actor}));
        let cm = &repo.issue_comments[i];
        entries.push((cm.created_at, cm.id, v.to_string()));
    }
    entries.sort_by_key(|(t, id, _)| (*t, *id));
    let items: Vec<String> = entries.into_iter().map(|(_, _, s)| s).collect();
    c.page_owned(&items)
}

/// `/issues/events`: newest first, each with its issue embedded (rendered
/// per page).
pub fn all_events(c: &RepoCtx<'_>) -> Reply {
    let cache = c.cache();
    let repo = c.repo;
    let page = PageReq::from(c.req, 30);
    let total = repo.events.len();
    let rendered: Vec<String> = page
        .range(total)
        .map(|k| {
            let i = total - 1 - k;
            let ev = &cache.events[i];
            let p = c.pos(repo.events[i].number).unwrap_or(0);
            format!("{},\"issue\":{}}}", &ev[..ev.len() - 1], cache.issues[p])
        })
        .collect();
    let mut r = Reply::raw_json(200, json_array(rendered.iter().map(String::as_str)));
    if let Some(l) = link_header(c.u, c.req, &c.link_path, page, total) {
        r = r.with("link", l);
    }
    r
}

/// `/issues/comments`: `since`, `sort=updated`, `direction`.
pub fn all_comments(c: &RepoCtx<'_>) -> Reply {
    let req = c.req;
    let cache = c.cache();
    let comments = &c.repo.issue_comments;
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
        .map(|&i| cache.issue_comments[i].as_str())
        .collect();
    c.page(&items)
}
