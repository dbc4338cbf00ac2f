//! Repositories: the repository itself, an owner's repositories, labels,
//! releases, contributors, assignees and clone traffic.

use serde_json::json;

use super::paging::paginate_owned;
use super::render::repo::{release_json, repo_json};
use super::render::{label_json, not_found, user_json};
use super::{RepoCtx, Urls};
use crate::forge::Forge;
use crate::http::{Reply, Req};
use crate::time::iso;

/// `/repos/{owner}/{name}`: the `full-repository`.
/// An authenticated caller also sees its `permissions` (a reader's: pull
/// only), as GitHub shows them to any signed-in user.
pub fn info(c: &RepoCtx<'_>) -> Reply {
    let mut v = repo_json(c.f, c.u, c.repo, true);
    if c.authenticated {
        super::render::extend(
            &mut v,
            json!({"permissions": {"admin": false, "maintain": false, "push": false, "triage": false, "pull": true}}),
        );
    }
    Reply::json(200, &v)
}

/// `/orgs/{org}/repos` (and `/users/{login}/repos`).
pub fn org_repos(f: &Forge, u: &Urls, req: &Req, org: &str) -> Reply {
    let items: Vec<String> = f
        .world
        .repos
        .iter()
        .filter(|r| r.owner.eq_ignore_ascii_case(org))
        .map(|r| repo_json(f, u, r, false).to_string())
        .collect();
    if items.is_empty() && !f.users_by_login.contains_key(&org.to_ascii_lowercase()) {
        not_found()
    } else {
        paginate_owned(u, req, &req.path, &items)
    }
}

/// `/labels`.
pub fn labels(c: &RepoCtx<'_>) -> Reply {
    let items: Vec<String> = c
        .repo
        .labels
        .iter()
        .map(|l| label_json(c.u, c.repo, l).to_string())
        .collect();
    c.page_owned(&items)
}

/// `/releases`, newest first.
pub fn releases(c: &RepoCtx<'_>) -> Reply {
    let items: Vec<String> = (0..c.repo.releases.len())
        .rev()
        .map(|i| release_json(c.f, c.u, c.repo, i).to_string())
        .collect();
    c.page_owned(&items)
}

/// `/contributors`: users with commits, most first.
pub fn contributors(c: &RepoCtx<'_>) -> Reply {
    let users = &c.f.world.users;
    let items: Vec<String> =
        c.rs.contributors
            .iter()
            .map(|&(x, n)| {
                let mut v = user_json(c.u, &users[x]);
                v.as_object_mut()
                    .expect("object")
                    .insert("contributions".into(), json!(n));
                v.to_string()
            })
            .collect();
    c.page_owned(&items)
}

/// `/assignees`: everyone assigned to some issue or pull request.
pub fn assignees(c: &RepoCtx<'_>) -> Reply {
    let mut set: Vec<usize> = c
        .repo
        .issues
        .iter()
        .flat_map(|i| i.assignees.iter().copied())
        .collect();
    set.sort_unstable();
    set.dedup();
    let items: Vec<String> = set
        .iter()
        .map(|&x| user_json(c.u, &c.f.world.users[x]).to_string())
        .collect();
    c.page_owned(&items)
}

/// `/traffic/clones`: the last 14 days.
pub fn clones(c: &RepoCtx<'_>) -> Reply {
    let clones = &c.repo.clones;
    let count: u64 = clones.iter().map(|c| c.count).sum();
    let uniques: u64 = clones.iter().map(|c| c.uniques).sum();
    Reply::json(
        200,
        &json!({
            "count": count,
            "uniques": uniques,
            "clones": clones.iter().map(|c| json!({"timestamp": iso(c.timestamp), "count": c.count, "uniques": c.uniques})).collect::<Vec<_>>(),
        }),
    )
}
