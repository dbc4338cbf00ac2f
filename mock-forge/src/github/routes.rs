//! The endpoints we serve, parsed from path segments; what each costs.

use crate::http::Charge;

/// Repository sub-routes we serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub<'a> {
    Info,
    Issues,
    Issue(u64),
    IssueComments(u64),
    IssueLabels(u64),
    IssueEvents(u64),
    IssueTimeline(u64),
    AllEvents,
    AllComments,
    Pulls,
    Pull(u64),
    PullCommits(u64),
    PullFiles(u64),
    PullReviews(u64),
    PullReviewers(u64),
    PullComments(u64),
    AllReviewComments,
    Labels,
    Releases,
    Contributors,
    Clones,
    Commit(&'a str),
    /// `/commits/{sha}/statuses`, `/commits/{sha}/comments`, `/statuses/{sha}`.
    CommitNone(&'a str),
    /// `/commits/{sha}/status`.
    CombinedStatus(&'a str),
    Languages,
    Topics,
    Branches,
    /// `/milestones`, `/comments` (commit comments): the world has none.
    Empty,
    IssueReactions(u64),
    Commits,
    Assignees,
}

pub fn parse_sub<'a>(rest: &[&'a str]) -> Option<Sub<'a>> {
    let num = |s: &str| s.parse::<u64>().ok();
    Some(match rest {
        [] => Sub::Info,
        ["issues"] => Sub::Issues,
        ["issues", "events"] => Sub::AllEvents,
        ["issues", "comments"] => Sub::AllComments,
        ["issues", n] => Sub::Issue(num(n)?),
        ["issues", n, "comments"] => Sub::IssueComments(num(n)?),
        ["issues", n, "labels"] => Sub::IssueLabels(num(n)?),
        ["issues", n, "events"] => Sub::IssueEvents(num(n)?),
        ["issues", n, "timeline"] => Sub::IssueTimeline(num(n)?),
        ["pulls"] => Sub::Pulls,
        ["pulls", "comments"] => Sub::AllReviewComments,
        ["pulls", n] => Sub::Pull(num(n)?),
        ["pulls", n, "commits"] => Sub::PullCommits(num(n)?),
        ["pulls", n, "files"] => Sub::PullFiles(num(n)?),
        ["pulls", n, "reviews"] => Sub::PullReviews(num(n)?),
        ["pulls", n, "requested_reviewers"] => Sub::PullReviewers(num(n)?),
        ["pulls", n, "comments"] => Sub::PullComments(num(n)?),
        ["labels"] => Sub::Labels,
        ["releases"] => Sub::Releases,
        ["contributors"] => Sub::Contributors,
        ["traffic", "clones"] => Sub::Clones,
        ["commits"] => Sub::Commits,
        ["commits", sha] => Sub::Commit(sha),
        ["commits", sha, "statuses" | "comments"] | ["statuses", sha] => Sub::CommitNone(sha),
        ["commits", sha, "status"] => Sub::CombinedStatus(sha),
        ["languages"] => Sub::Languages,
        ["topics"] => Sub::Topics,
        ["branches"] => Sub::Branches,
        ["milestones"] | ["comments"] => Sub::Empty,
        ["issues", n, "reactions"] => Sub::IssueReactions(num(n)?),
        ["assignees"] => Sub::Assignees,
        _ => return None,
    })
}

/// How a repository is named in the path.
pub enum Target<'a> {
    /// `/repos/{owner}/{name}`.
    Name(&'a str, &'a str),
    /// `/repositories/{id}`.
    Id(u64),
}

/// A GitHub endpoint we serve.
pub enum Route<'a> {
    /// `/rate_limit`.
    RateLimit,
    /// `/users/{login}`.
    User(&'a str),
    /// `/users/{login}/events`.
    UserEvents(&'a str),
    /// `/users/{login}/orgs`.
    UserOrgs(&'a str),
    /// `/orgs/{org}`.
    Org(&'a str),
    /// `/orgs/{org}/members`.
    OrgMembers(&'a str),
    /// `/orgs/{org}/repos` and `/users/{login}/repos`.
    OrgRepos(&'a str),
    /// `/search/users`.
    SearchUsers,
    /// A repository endpoint: the target, the segments after it, the route.
    Repo(Target<'a>, Vec<&'a str>, Sub<'a>),
}

impl Route<'_> {
    /// `/rate_limit` is free; searches use the `search` budget, the rest `core`.
    pub fn charge(&self) -> Charge {
        match self {
            Route::RateLimit => Charge::Free,
            Route::SearchUsers => Charge::Budget("search"),
            _ => Charge::Budget("core"),
        }
    }
}

/// The route of an API path's segments; `None` for endpoints we do not serve.
pub fn parse_route<'a>(segs: &[&'a str]) -> Option<Route<'a>> {
    Some(match segs {
        ["rate_limit"] => Route::RateLimit,
        ["users", login] => Route::User(login),
        ["users", login, "events"] => Route::UserEvents(login),
        ["users", login, "orgs"] => Route::UserOrgs(login),
        ["orgs", org] => Route::Org(org),
        ["orgs", org, "members"] => Route::OrgMembers(org),
        ["orgs", org, "repos"] | ["users", org, "repos"] => Route::OrgRepos(org),
        ["search", "users"] => Route::SearchUsers,
        ["repos", owner, name, rest @ ..] => {
            Route::Repo(Target::Name(owner, name), rest.to_vec(), parse_sub(rest)?)
        }
        ["repositories", id, rest @ ..] => Route::Repo(
            Target::Id(id.parse().ok()?),
            rest.to_vec(),
            parse_sub(rest)?,
        ),
        _ => return None,
    })
}
