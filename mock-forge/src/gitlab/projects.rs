//! Projects: the project itself, its events (opened, closed, reopened,
//! accepted), releases, labels and members.

use serde_json::{Value, json};

use super::ProjectCtx;
use super::render::{commit_json, project_json, user_json};
use crate::http::Reply;
use crate::model::Issue;
use crate::time::iso_millis;

/// `/projects/{id}` (with `statistics=true`).
pub fn info(c: &ProjectCtx<'_>) -> Reply {
    let stats = c.req.q("statistics") == Some("true");
    Reply::json(200, &project_json(c.f, c.web, c.repo, stats))
}

/// `/events` (with `target_type`): newest first unless `sort=asc`.
pub fn events(c: &ProjectCtx<'_>) -> Reply {
    let target = c.req.q("target_type");
    let mut evs: Vec<(u64, i64, Value)> = Vec::new();
    for (p, is) in c.repo.issues.iter().enumerate() {
        let tname = if is.pull.is_some() {
            "merge_request"
        } else {
            "issue"
        };
        if target.is_some_and(|t| t != tname) {
            continue;
        }
        item_events(c, p, is, &mut evs);
    }
    evs.sort_by_key(|e| (e.1, e.0));
    if c.desc {
        evs.reverse();
    }
    c.page_owned(evs.into_iter().map(|e| e.2).collect())
}

/// The project events of the item at position `p`: its opening, then its
/// closes, reopens and merge (the close that comes with a merge is not listed).
fn item_events(c: &ProjectCtx<'_>, p: usize, is: &Issue, evs: &mut Vec<(u64, i64, Value)>) {
    let (repo, users, web) = (c.repo, &c.f.world.users, c.web);
    let ttype = if is.pull.is_some() {
        "MergeRequest"
    } else {
        "Issue"
    };
    let mk = |id: u64, action: &str, author: usize, at: i64| {
        json!({"id": id, "project_id": repo.project_id, "action_name": action, "target_id": is.pull.as_ref().map_or(is.id, |x| x.id),
            "target_iid": c.rs.gl_iid[p], "target_type": ttype, "author_id": users[author].id, "target_title": is.title,
            "created_at": iso_millis(at), "author": user_json(web, &users[author]), "author_username": users[author].login, "imported": false, "imported_from": "none"})
    };
    evs.push((
        is.id,
        is.created_at,
        mk(is.id, "opened", is.user, is.created_at),
    ));
    for &e in &c.rs.events[p] {
        let e = &repo.events[e];
        let action = match e.event.as_str() {
            // The close that comes with a merge (at the merge's time) is not an event of its
            // own; an earlier close of the same merge request (later reopened) is.
            "closed"
                if is
                    .pull
                    .as_ref()
                    .is_some_and(|x| x.merged_at == Some(e.created_at)) =>
            {
                continue;
            }
            "closed" => "closed",
            "reopened" => "reopened",
            "merged" => "accepted",
            _ => continue,
        };
        evs.push((e.id, e.created_at, mk(e.id, action, e.actor, e.created_at)));
    }
}

/// `/releases`, newest first.
pub fn releases(c: &ProjectCtx<'_>) -> Reply {
    let (repo, users, web) = (c.repo, &c.f.world.users, c.web);
    let items = repo
        .releases
        .iter()
        .rev()
        .map(|r| {
            let x = &repo.commits[r.commit];
            json!({"tag_name": r.tag_name, "description": r.body, "name": r.name, "created_at": iso_millis(r.created_at),
                "released_at": iso_millis(r.published_at), "upcoming_release": false, "author": user_json(web, &users[r.author]),
                "commit": commit_json(web, repo, x), "commit_path": format!("/{}/-/commit/{}", repo.full_name(), x.sha),
                "tag_path": format!("/{}/-/tags/{}", repo.full_name(), r.tag_name), "assets": {"count": 0, "sources": [], "links": []}, "evidences": [],
                "_links": {"self": format!("{web}/{}/-/releases/{}", repo.full_name(), r.tag_name)}})
        })
        .collect();
    c.page_owned(items)
}

/// `/labels`; the issue and merge request counts with `with_counts=true`.
pub fn labels(c: &ProjectCtx<'_>) -> Reply {
    let counts = c.req.q("with_counts") == Some("true");
    let items = c
        .repo
        .labels
        .iter()
        .map(|l| {
            let mut v = json!({"id": l.id, "name": l.name, "color": format!("#{}", l.color), "text_color": "#FFFFFF", "description": l.description, "description_html": l.description, "archived": false, "subscribed": false, "priority": null, "is_project_label": true});
            if counts {
                super::render::extend(&mut v, json!({"open_issues_count": 0, "closed_issues_count": 0, "open_merge_requests_count": 0}));
            }
            v
        })
        .collect();
    c.page_owned(items)
}

/// `/members` and `/members/all`: maintainers (level 40), then
/// contributors (30).
pub fn members(c: &ProjectCtx<'_>) -> Reply {
    let users = &c.f.world.users;
    let mut members: Vec<(usize, u32)> = (3..8.min(users.len())).map(|u| (u, 40)).collect();
    for &(u, _) in &c.rs.contributors {
        if !members.iter().any(|m| m.0 == u) {
            members.push((u, 30));
        }
    }
    let items = members
        .iter()
        .map(|&(u, level)| {
            let mut v = user_json(c.web, &users[u]);
            let o = v.as_object_mut().expect("object");
            o.insert("access_level".into(), json!(level));
            o.insert("created_at".into(), json!(iso_millis(c.repo.created_at)));
            o.insert("expires_at".into(), Value::Null);
            v
        })
        .collect();
    c.page_owned(items)
}
