//! Users: profiles, (empty) public events, user search, and `/rate_limit`.

use serde_json::json;

use super::Urls;
use super::paging::link_header;
use super::render::{not_found, public_user_json, user_json};
use crate::forge::Forge;
use crate::http::{Caller, PageReq, Reply, Req, json_array};
use crate::ratelimit::Snapshot;

/// `/users/{login}`.
pub fn user(f: &Forge, u: &Urls, login: &str) -> Reply {
    match f.users_by_login.get(&login.to_ascii_lowercase()) {
        Some(&i) => {
            let repos = f.world.repos.iter().filter(|r| r.owner_user == i).count();
            Reply::json(200, &public_user_json(u, &f.world.users[i], repos))
        }
        None => not_found(),
    }
}

/// `/users/{login}/events`: known users have none.
pub fn user_events(f: &Forge, login: &str) -> Reply {
    match f.users_by_login.get(&login.to_ascii_lowercase()) {
        Some(_) => Reply::raw_json(200, "[]".into()),
        None => not_found(),
    }
}

/// `/rate_limit`: the caller's budgets, without spending any.
pub fn rate_limit(f: &Forge, caller: &Caller) -> Reply {
    let key = &caller.key;
    let t = crate::time::now();
    let core = f
        .limiter
        .peek(key, "core", caller.limit, f.rate.window_secs, t);
    let search = f.limiter.peek(
        key,
        "search",
        f.rate.search_limit,
        f.rate.search_window_secs,
        t,
    );
    let j = |s: Snapshot| json!({"limit": s.limit, "remaining": s.remaining, "reset": s.reset, "used": s.used, "resource": s.resource});
    Reply::json(
        200,
        &json!({"resources": {"core": j(core), "search": j(search)}, "rate": j(core)}),
    )
    .with("x-ratelimit-limit", core.limit.to_string())
    .with("x-ratelimit-remaining", core.remaining.to_string())
    .with("x-ratelimit-reset", core.reset.to_string())
    .with("x-ratelimit-used", core.used.to_string())
    .with("x-ratelimit-resource", "core")
}

/// `/search/users`: logins and names by substring, emails exactly.
pub fn search_users(f: &Forge, u: &Urls, req: &Req) -> Reply {
    let q = req.q("q").unwrap_or("").to_ascii_lowercase();
    let terms: Vec<&str> = q.split_whitespace().filter(|t| !t.contains(':')).collect();
    let in_email = q.contains("in:email");
    let hits: Vec<String> = f
        .world
        .users
        .iter()
        .filter(|user| {
            !terms.is_empty()
                && terms.iter().all(|t| {
                    if in_email || t.contains('@') {
                        user.email
                            .as_deref()
                            .is_some_and(|e| e.eq_ignore_ascii_case(t))
                            || user.commit_email.eq_ignore_ascii_case(t)
                    } else {
                        user.login.to_ascii_lowercase().contains(t)
                            || user.name.to_ascii_lowercase().contains(t)
                    }
                })
        })
        .map(|user| {
            let mut v = user_json(u, user);
            v.as_object_mut()
                .expect("object")
                .insert("score".into(), json!(1.0));
            v.to_string()
        })
        .collect();
    let page = PageReq::from(req, 30);
    let range = page.range(hits.len());
    let body = format!(
        "{{\"total_count\":{},\"incomplete_results\":false,\"items\":{}}}",
        hits.len(),
        json_array(hits[range].iter().map(String::as_str))
    );
    let mut r = Reply::raw_json(200, body);
    if let Some(l) = link_header(u, req, "/search/users", page, hits.len()) {
        r = r.with("link", l);
    }
    r
}
