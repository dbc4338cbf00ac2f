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
//!
//! The handlers read the forge state and answer; authentication, charging,
//! `ETag`s and rate headers are the server's. Layout: `routes` parses paths,
//! `render` makes the JSON shapes, `cache` keeps pre-rendered listings,
//! `paging` holds the list conventions, and one module per resource answers
//! (`users`, `orgs`, `repos`, `issues`, `pulls`, `commits`, `meta`).

mod cache;
mod commits;
mod issues;
mod meta;
mod orgs;
mod paging;
mod pulls;
mod render;
mod repos;
mod routes;
mod users;

use serde_json::json;

use crate::forge::{Forge, GhCache, Lookup, RepoServe, layout_slot};
use crate::http::{Caller, Reply, Req};
use crate::model::RepoData;
use render::not_found;
pub use render::repo::repo_json;
pub use render::user_json;
pub use routes::Route;
use routes::{Sub, Target, parse_route};

/// URL roots for rendering.
pub struct Urls {
    /// API root (`http://h:p` or `http://h:p/api/v3`).
    pub api: String,
    /// Web root.
    pub web: String,
}

/// The endpoint a GitHub API request asks for; `None` for writes and for
/// endpoints we do not serve.
pub fn route(req: &Req) -> Option<Route<'_>> {
    if !req.is_read() {
        return None;
    }
    parse_route(&req.segments())
}

/// Answers `route` (already authenticated and charged by the server).
pub fn answer(f: &Forge, req: &Req, route: Route<'_>, caller: &Caller) -> Reply {
    let u = Urls {
        api: f.api_base(req.layout),
        web: f.base.clone(),
    };
    match route {
        Route::RateLimit => users::rate_limit(f, caller),
        Route::User(login) => users::user(f, &u, login),
        Route::UserEvents(login) => users::user_events(f, login),
        Route::UserOrgs(login) => orgs::user_orgs(f, &u, req, login),
        Route::Org(org) => orgs::org(f, &u, org),
        Route::OrgMembers(org) => orgs::members(f, &u, req, org),
        Route::OrgRepos(org) => repos::org_repos(f, &u, req, org),
        Route::SearchUsers => users::search_users(f, &u, req),
        Route::Repo(target, rest, sub) => match resolve(f, &u, req, caller, target, &rest) {
            Ok(ri) => {
                let mut link_path = format!("/repositories/{}", f.world.repos[ri].id);
                for s in &rest {
                    link_path.push('/');
                    link_path.push_str(s);
                }
                let authenticated = caller.key != "anonymous";
                repo_route(f, &u, req, (ri, authenticated), sub, link_path)
            }
            Err(r) => r,
        },
    }
}

/// The position of the repository `target` names; `Err` is the 301, 404 or
/// 410 to send instead (a private repository is a 404 to anonymous callers).
fn resolve(
    f: &Forge,
    u: &Urls,
    req: &Req,
    caller: &Caller,
    target: Target<'_>,
    rest: &[&str],
) -> Result<usize, Reply> {
    match target {
        Target::Id(id) => f
            .by_id
            .get(&id)
            .copied()
            .filter(|&i| caller.key != "anonymous" || f.private_web(i).is_none())
            .ok_or_else(not_found),
        Target::Name(owner, name) => match f.lookup_for(&format!("{owner}/{name}"), &caller.key) {
            Lookup::Repo(i) => Ok(i),
            Lookup::Moved(i) => {
                let mut loc = format!("{}/repositories/{}", u.api, f.world.repos[i].id);
                for s in rest {
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
                Err(r.with("location", loc))
            }
            Lookup::Gone => Err(Reply::json(
                410,
                &json!({"message": "Repository access blocked", "block": {"reason": "unavailable", "created_at": "2025-01-01T00:00:00Z"}, "documentation_url": "https://docs.github.com/rest", "status": "410"}),
            )),
            Lookup::Missing => Err(not_found()),
        },
    }
}

/// A resolved repository request: what every repository handler needs.
struct RepoCtx<'a> {
    f: &'a Forge,
    u: &'a Urls,
    req: &'a Req,
    ri: usize,
    repo: &'a RepoData,
    rs: &'a RepoServe,
    /// The `/repositories/{id}/...` path that `Link` headers use.
    link_path: String,
    /// The `since` filter.
    since: Option<i64>,
    /// The caller sent an accepted token (GitHub then adds `permissions`).
    authenticated: bool,
}

impl<'a> RepoCtx<'a> {
    /// The repository's render cache for this request's layout.
    fn cache(&self) -> &'a GhCache {
        cache::cache(self.f, self.u, self.ri, layout_slot(self.req.layout))
    }

    /// Position of issue or pull request `n`.
    fn pos(&self, n: u64) -> Option<usize> {
        self.repo.issue_index(n)
    }

    /// Position of pull request `n` (`None` for plain issues).
    fn pr_pos(&self, n: u64) -> Option<usize> {
        self.pos(n).filter(|&p| self.repo.issues[p].pull.is_some())
    }

    /// One page of pre-rendered items (30 by default).
    fn page(&self, items: &[&str]) -> Reply {
        paging::paginate(self.u, self.req, &self.link_path, items, 30)
    }

    /// One page of owned items.
    fn page_owned(&self, items: &[String]) -> Reply {
        paging::paginate_owned(self.u, self.req, &self.link_path, items)
    }
}

/// Answers repository route `sub` of the repository at `at` (its position,
/// and whether the caller is authenticated).
fn repo_route(
    f: &Forge,
    u: &Urls,
    req: &Req,
    at: (usize, bool),
    sub: Sub<'_>,
    link_path: String,
) -> Reply {
    let (ri, authenticated) = at;
    let since = match paging::since(req) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let c = RepoCtx {
        f,
        u,
        req,
        ri,
        repo: &f.world.repos[ri],
        rs: &f.repos[ri],
        link_path,
        since,
        authenticated,
    };
    match sub {
        Sub::Info => repos::info(&c),
        Sub::Issues => issues::list(&c),
        Sub::Issue(n) => issues::one(&c, n),
        Sub::IssueComments(n) => issues::comments(&c, n),
        Sub::IssueLabels(n) => issues::labels(&c, n),
        Sub::IssueEvents(n) => issues::events(&c, n),
        Sub::IssueTimeline(n) => issues::timeline(&c, n),
        Sub::AllEvents => issues::all_events(&c),
        Sub::AllComments => issues::all_comments(&c),
        Sub::Pulls => pulls::list(&c),
        Sub::Pull(n) => pulls::one(&c, n),
        Sub::PullCommits(n) => pulls::commits(&c, n),
        Sub::PullFiles(n) => pulls::files(&c, n),
        Sub::PullReviews(n) => pulls::reviews(&c, n),
        Sub::PullReviewers(n) => pulls::reviewers(&c, n),
        Sub::PullComments(n) => pulls::comments(&c, n),
        Sub::AllReviewComments => pulls::all_comments(&c),
        Sub::Labels => repos::labels(&c),
        Sub::Releases => repos::releases(&c),
        Sub::Contributors => repos::contributors(&c),
        Sub::Assignees => repos::assignees(&c),
        Sub::Clones => repos::clones(&c),
        Sub::Commit(sha) => commits::one(&c, sha),
        Sub::Commits => commits::list(&c),
        Sub::CommitNone(sha) => meta::commit_none(&c, sha),
        Sub::CombinedStatus(sha) => meta::combined_status(&c, sha),
        Sub::Languages => meta::languages(&c),
        Sub::Topics => meta::topics(&c),
        Sub::Branches => meta::branches(&c),
        Sub::Empty => meta::none(&c),
        Sub::IssueReactions(n) => meta::issue_reactions(&c, n),
    }
}
