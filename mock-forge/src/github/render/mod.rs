//! GitHub JSON shapes shared by every resource: users, labels, the license,
//! node ids, reactions, author associations. Resource shapes live in the
//! submodules; none of them reads the render caches.

pub mod commit;
pub mod issue;
pub mod pull;
pub mod repo;

use serde_json::{Value, json};

use super::Urls;
use crate::forge::RepoServe;
use crate::http::Reply;
use crate::model::{Label, RepoData, User, UserKind};
use crate::time::iso;

/// GitHub's 404.
pub fn not_found() -> Reply {
    Reply::json(
        404,
        &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

/// A GraphQL node id.
pub fn node_id(prefix: &str, id: u64) -> String {
    format!("{prefix}_kwDO{id:x}")
}

/// `simple-user`.
pub fn user_json(u: &Urls, user: &User) -> Value {
    let api = format!("{}/users/{}", u.api, user.login);
    json!({
        "login": user.login,
        "id": user.id,
        "node_id": node_id(if user.kind == UserKind::Organization { "O" } else { "U" }, user.id),
        "avatar_url": format!("{}/avatars/u/{}?v=4", u.web, user.id),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("{}/{}", u.web, user.login),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": match user.kind { UserKind::User => "User", UserKind::Bot => "Bot", UserKind::Organization => "Organization" },
        "user_view_type": "public",
        "site_admin": false,
    })
}

/// `public-user`: a user with profile fields and counts.
pub fn public_user_json(u: &Urls, user: &User, repos: usize) -> Value {
    let mut v = user_json(u, user);
    let o = v.as_object_mut().expect("object");
    o.insert("name".into(), json!(user.name));
    o.insert("company".into(), json!(user.company));
    o.insert("blog".into(), json!(""));
    o.insert("location".into(), json!(user.location));
    o.insert("email".into(), json!(user.email));
    o.insert("hireable".into(), Value::Null);
    o.insert("bio".into(), Value::Null);
    o.insert("twitter_username".into(), Value::Null);
    o.insert("public_repos".into(), json!(repos));
    o.insert("public_gists".into(), json!(0));
    o.insert("followers".into(), json!(user.id % 97));
    o.insert("following".into(), json!(user.id % 13));
    o.insert("created_at".into(), json!(iso(user.created_at)));
    o.insert(
        "updated_at".into(),
        json!(iso(user.created_at + 86_400 * 30)),
    );
    v
}

/// `label`.
pub fn label_json(u: &Urls, repo: &RepoData, l: &Label) -> Value {
    json!({
        "id": l.id,
        "node_id": node_id("LA", l.id),
        "url": format!("{}/repos/{}/labels/{}", u.api, repo.full_name(), crate::http::percent_encode(&l.name)),
        "name": l.name,
        "color": l.color,
        "default": l.default,
        "description": l.description,
    })
}

/// The `license` of every generated repository.
pub fn license_json() -> Value {
    json!({"key": "mit", "name": "MIT License", "spdx_id": "MIT", "url": "https://api.github.com/licenses/mit", "node_id": "MDc6TGljZW5zZTEz"})
}

/// `author_association`: members, contributors (with commits), others.
pub fn association(rs: &RepoServe, user: usize) -> &'static str {
    if crate::model::MEMBER_POSITIONS.contains(&user) {
        "MEMBER"
    } else if rs.contributor_set.contains(&user) {
        "CONTRIBUTOR"
    } else {
        "NONE"
    }
}

/// A `reaction-rollup` with no reactions.
pub fn reactions(url: &str) -> Value {
    json!({"url": format!("{url}/reactions"), "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0})
}

/// A body, `null` when empty.
pub fn body_or_null(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

/// Adds every field of the object `more` to the object `v`, in order.
pub fn extend(v: &mut Value, more: Value) {
    if let (Some(o), Value::Object(more)) = (v.as_object_mut(), more) {
        o.extend(more);
    }
}
