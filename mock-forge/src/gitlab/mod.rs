//! GitLab v4, rendered from the same synthetic world.
//!
//! Issues and pull requests become issues and merge requests with their own
//! `iid` sequences (GitLab numbers them apart). Conversation comments,
//! review comments (`DiffNote`) and non-empty review bodies become notes;
//! note ids are made unique per kind, as GitLab's are. Pagination uses
//! `X-Page`/`X-Next-Page`/`X-Total`/`X-Total-Pages` and `Link`.
//!
//! The handlers read the forge state and answer; authentication, charging,
//! `ETag`s and rate headers are the server's. Layout: `render` makes the
//! JSON shapes, `cache` keeps pre-rendered issues and merge requests,
//! `paging` holds the list conventions, and one module per resource answers
//! (`users` with groups, `projects`, `issues`, `notes`, `merge_requests`,
//! `repository`).

mod cache;
mod issues;
mod merge_requests;
mod notes;
mod paging;
mod projects;
mod render;
mod repository;
mod users;

use serde_json::json;

use crate::forge::{Forge, GlCache, Lookup, RepoServe};
use crate::http::{Caller, Reply, Req, percent_decode};
use crate::model::RepoData;
use crate::time::parse;
use render::{bad_request, not_found};

/// Offsets that keep GitLab note ids unique across the three message kinds.
pub const NOTE_OFFSET_REVIEW_COMMENT: u64 = 1 << 40;
/// See [`NOTE_OFFSET_REVIEW_COMMENT`].
pub const NOTE_OFFSET_REVIEW: u64 = 2 << 40;

/// A GitLab endpoint we serve.
pub enum Endpoint<'a> {
    /// `/users` (with `username`).
    Users,
    /// `/users/{id}`.
    User(&'a str),
    /// `/groups/{group}/projects`.
    GroupProjects(&'a str),
    /// `/projects/{id or path}/...`: the id and the segments after it.
    Project(&'a str, Vec<&'a str>),
}

/// Whether we serve the project sub-route `rest`.
fn known_project_route(rest: &[&str]) -> bool {
    matches!(
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
    )
}

/// The endpoint a GitLab API request asks for (a shape check, before the
/// budget is charged); `None` for writes and endpoints we do not serve.
pub fn route(req: &Req) -> Option<Endpoint<'_>> {
    if !req.is_read() {
        return None;
    }
    Some(match req.segments().as_slice() {
        ["users"] => Endpoint::Users,
        ["users", id] => Endpoint::User(id),
        ["groups", group, "projects"] => Endpoint::GroupProjects(group),
        ["projects", id, rest @ ..] if known_project_route(rest) => {
            Endpoint::Project(id, rest.to_vec())
        }
        _ => return None,
    })
}

/// Answers `endpoint` (already authenticated and charged by the server).
pub fn answer(f: &Forge, req: &Req, endpoint: Endpoint<'_>, caller: &Caller) -> Reply {
    let web = f.base.clone();
    match endpoint {
        Endpoint::Users => users::list(f, &web, req),
        Endpoint::User(id) => users::one(f, &web, id),
        Endpoint::GroupProjects(group) => users::group_projects(f, &web, req, group),
        Endpoint::Project(id, rest) => match resolve(f, req, caller, id, &rest) {
            Ok(ri) => project_route(f, &web, req, ri, &rest),
            Err(r) => r,
        },
    }
}

/// The position of the project `id` (a number or a URL-encoded path) names;
/// `Err` is the 301, 404 or 410 to send instead (a private project is a 404
/// to anonymous callers).
fn resolve(f: &Forge, req: &Req, caller: &Caller, id: &str, rest: &[&str]) -> Result<usize, Reply> {
    let id = percent_decode(id);
    if let Ok(n) = id.parse::<u64>() {
        return f
            .by_project
            .get(&n)
            .copied()
            .filter(|&i| caller.key != "anonymous" || f.private_web(i).is_none())
            .ok_or_else(|| not_found("Project"));
    }
    match f.lookup_for(&id, &caller.key) {
        Lookup::Repo(i) => Ok(i),
        Lookup::Moved(i) => {
            let mut loc = format!("{}/api/v4/projects/{}", f.base, f.world.repos[i].project_id);
            for s in rest {
                loc.push('/');
                loc.push_str(s);
            }
            if !req.raw_query.is_empty() {
                loc.push('?');
                loc.push_str(&req.raw_query);
            }
            Err(
                Reply::json(301, &json!({"message": "301 Moved Permanently"}))
                    .with("location", loc),
            )
        }
        Lookup::Gone => Err(Reply::json(410, &json!({"message": "410 Gone"}))),
        Lookup::Missing => Err(not_found("Project")),
    }
}

/// A resolved project request: what every project handler needs.
struct ProjectCtx<'a> {
    f: &'a Forge,
    web: &'a str,
    req: &'a Req,
    ri: usize,
    repo: &'a RepoData,
    rs: &'a RepoServe,
    /// `updated_after`.
    updated_after: Option<i64>,
    /// `created_after`.
    created_after: Option<i64>,
    /// Newest first unless `sort=asc`.
    desc: bool,
}

impl<'a> ProjectCtx<'a> {
    /// The repository's render cache.
    fn cache(&self) -> &'a GlCache {
        cache::cache(self.f, self.web, self.ri)
    }

    /// Position of the issue (or, with `mr`, merge request) numbered `iid`.
    fn by_iid(&self, iid: &str, mr: bool) -> Option<usize> {
        let n: usize = iid.parse().ok()?;
        let v = if mr {
            &self.rs.gl_mr_by_iid
        } else {
            &self.rs.gl_issue_by_iid
        };
        n.checked_sub(1).and_then(|k| v.get(k)).copied()
    }

    /// One page of pre-rendered items.
    fn page(&self, items: &[&str]) -> Reply {
        paging::paginate(self.f, self.req, items)
    }

    /// One page of values.
    fn page_owned(&self, items: Vec<serde_json::Value>) -> Reply {
        paging::paginate_owned(self.f, self.req, items)
    }
}

/// A time parameter; `Err` is GitLab's 400.
fn time_param(req: &Req, name: &str) -> Result<Option<i64>, Reply> {
    match req.q(name) {
        None | Some("") => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .ok_or_else(|| bad_request(&format!("{name} is invalid"))),
    }
}

fn project_route(f: &Forge, web: &str, req: &Req, ri: usize, rest: &[&str]) -> Reply {
    let (updated_after, created_after) = match (
        time_param(req, "updated_after"),
        time_param(req, "created_after"),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let c = ProjectCtx {
        f,
        web,
        req,
        ri,
        repo: &f.world.repos[ri],
        rs: &f.repos[ri],
        updated_after,
        created_after,
        desc: req.q("sort") != Some("asc"),
    };
    match rest {
        [] => projects::info(&c),
        ["issues"] => issues::list(&c, false),
        ["merge_requests"] => issues::list(&c, true),
        ["issues_statistics"] => issues::statistics(&c),
        ["issues", iid] => issues::one(&c, iid, false),
        ["merge_requests", iid] => issues::one(&c, iid, true),
        ["issues", iid, "notes"] => notes::list(&c, iid, false),
        ["merge_requests", iid, "notes"] => notes::list(&c, iid, true),
        ["merge_requests", iid, "discussions"] => notes::discussions(&c, iid),
        [
            kind @ ("issues" | "merge_requests"),
            iid,
            "resource_label_events",
        ] => issues::label_events(&c, iid, *kind == "merge_requests"),
        ["merge_requests", iid, "commits"] => merge_requests::commits(&c, iid),
        ["merge_requests", iid, kind @ ("diffs" | "changes")] => {
            merge_requests::diffs(&c, iid, *kind == "changes")
        }
        ["merge_requests", iid, "approvals"] => merge_requests::approvals(&c, iid),
        ["events"] => projects::events(&c),
        ["releases"] => projects::releases(&c),
        ["labels"] => projects::labels(&c),
        ["members", "all"] | ["members"] => projects::members(&c),
        ["repository", "contributors"] => repository::contributors(&c),
        ["repository", "tree"] => repository::tree(&c),
        ["repository", "commits"] => repository::commits(&c),
        ["repository", "commits", sha] => repository::commit(&c, sha),
        _ => not_found("Endpoint"),
    }
}
