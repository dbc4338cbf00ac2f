//! Organisations: `/orgs/{org}`, an organisation's public members and the
//! organisations a user belongs to (`/users/{login}/orgs`).

use serde_json::{Value, json};

use super::Urls;
use super::paging::paginate_owned;
use super::render::{node_id, not_found, user_json};
use crate::forge::Forge;
use crate::http::{Reply, Req};
use crate::model::{User, UserKind};
use crate::time::iso;

/// The position of the account `login`.
fn position(f: &Forge, login: &str) -> Option<usize> {
    f.users_by_login.get(&login.to_ascii_lowercase()).copied()
}

/// `organization-simple`.
pub fn org_simple_json(u: &Urls, org: &User) -> Value {
    let api = format!("{}/orgs/{}", u.api, org.login);
    json!({
        "login": org.login,
        "id": org.id,
        "node_id": node_id("O", org.id),
        "url": api,
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events"),
        "hooks_url": format!("{api}/hooks"),
        "issues_url": format!("{api}/issues"),
        "members_url": format!("{api}/members{{/member}}"),
        "public_members_url": format!("{api}/public_members{{/member}}"),
        "avatar_url": format!("{}/avatars/u/{}?v=4", u.web, org.id),
        "description": null,
    })
}

/// `/users/{login}/orgs`: the organisations the user is a public member of.
pub fn user_orgs(f: &Forge, u: &Urls, req: &Req, login: &str) -> Reply {
    let Some(i) = position(f, login) else {
        return not_found();
    };
    let items: Vec<String> = f
        .world
        .orgs_of(i)
        .into_iter()
        .map(|o| org_simple_json(u, &f.world.users[o]).to_string())
        .collect();
    paginate_owned(u, req, &req.path, &items)
}

/// `/orgs/{org}`: the `organization-full` a non-member sees; 404 for an
/// account that is not an organisation, as GitHub answers.
pub fn org(f: &Forge, u: &Urls, login: &str) -> Reply {
    let Some(i) = position(f, login).filter(|&i| f.world.users[i].kind == UserKind::Organization)
    else {
        return not_found();
    };
    let o = &f.world.users[i];
    let mut v = org_simple_json(u, o);
    let repos = f.world.repos.iter().filter(|r| r.owner_user == i).count();
    super::render::extend(
        &mut v,
        json!({
            "name": o.name,
            "company": o.company,
            "blog": "",
            "location": o.location,
            "email": o.email,
            "twitter_username": null,
            "is_verified": false,
            "has_organization_projects": true,
            "has_repository_projects": true,
            "public_repos": repos,
            "public_gists": 0,
            "followers": o.id % 97,
            "following": 0,
            "html_url": format!("{}/{}", u.web, o.login),
            "created_at": iso(o.created_at),
            "updated_at": iso(o.created_at + 86_400 * 30),
            "archived_at": null,
            "type": "Organization",
        }),
    );
    Reply::json(200, &v)
}

/// `/orgs/{org}/members`: public members as `simple-user`s.
pub fn members(f: &Forge, u: &Urls, req: &Req, login: &str) -> Reply {
    let Some(i) = position(f, login).filter(|&i| f.world.users[i].kind == UserKind::Organization)
    else {
        return not_found();
    };
    let items: Vec<String> = f
        .world
        .org_members(i)
        .into_iter()
        .map(|m| user_json(u, &f.world.users[m]).to_string())
        .collect();
    paginate_owned(u, req, &req.path, &items)
}
