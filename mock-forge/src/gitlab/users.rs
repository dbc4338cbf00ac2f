//! Users and groups: `/users` (optionally by `username`), `/users/{id}`, and
//! a group's projects (a group is an owner).

use serde_json::{Value, json};

use super::paging::paginate_owned;
use super::render::{not_found, project_json, user_json};
use crate::forge::Forge;
use crate::http::{Reply, Req, percent_decode};
use crate::model::{RepoData, User, UserKind};
use crate::time::iso_millis;

/// `/users`, or the one user named by `username`.
pub fn list(f: &Forge, web: &str, req: &Req) -> Reply {
    let want = req.q("username").map(str::to_ascii_lowercase);
    let items: Vec<Value> = match want {
        Some(w) => f
            .users_by_login
            .get(&w)
            .map(|&i| vec![user_json(web, &f.world.users[i])])
            .unwrap_or_default(),
        None => f.world.users.iter().map(|u| user_json(web, u)).collect(),
    };
    paginate_owned(f, req, items)
}

/// `/users/{id}`, with profile fields.
pub fn one(f: &Forge, web: &str, id: &str) -> Reply {
    match f.world.users.iter().find(|u| u.id.to_string() == id) {
        Some(u) => {
            let mut v = user_json(web, u);
            let o = v.as_object_mut().expect("object");
            o.insert("created_at".into(), json!(iso_millis(u.created_at)));
            o.insert("organization".into(), json!(u.company));
            o.insert("location".into(), json!(u.location));
            super::render::extend(&mut v, public_profile(u));
            Reply::json(200, &v)
        }
        None => not_found("User"),
    }
}

/// The rest of the public profile `/users/{id}` shows: empty social fields,
/// as most accounts have them.
fn public_profile(u: &User) -> Value {
    json!({
        "bio": "",
        "bot": u.kind == UserKind::Bot,
        "job_title": "",
        "pronouns": null,
        "work_information": u.company,
        "local_time": null,
        "website_url": "",
        "skype": "",
        "linkedin": "",
        "twitter": "",
        "discord": "",
    })
}

/// `/groups/{group}/projects`; `include_subgroups=true` also lists projects
/// of `group/...`.
pub fn group_projects(f: &Forge, web: &str, req: &Req, group: &str) -> Reply {
    let group = percent_decode(group).to_ascii_lowercase();
    let nested = req.q("include_subgroups") == Some("true");
    let mut repos: Vec<&RepoData> = f
        .world
        .repos
        .iter()
        .filter(|r| {
            let full = r.full_name().to_ascii_lowercase();
            let Some((owner, _)) = full.rsplit_once('/') else {
                return false;
            };
            owner == group || nested && owner.starts_with(&format!("{group}/"))
        })
        .collect();
    if repos.is_empty() && !f.users_by_login.contains_key(&group) {
        return not_found("Group");
    }
    repos.sort_by_key(|r| r.project_id);
    let items = repos
        .into_iter()
        .map(|r| project_json(f, web, r, false))
        .collect();
    paginate_owned(f, req, items)
}
