//! Issues and merge requests: the lists (`state`, `updated_after`,
//! `created_after`, `order_by`, `sort`), one by `iid`, issue statistics, and
//! resource label events.

use serde_json::{Value, json};

use super::ProjectCtx;
use super::render::{gl_state, label_event_ids, not_found, user_json};
use crate::http::Reply;
use crate::model::State;
use crate::time::iso_millis;

/// `/issues` or (with `mr`) `/merge_requests`.
pub fn list(c: &ProjectCtx<'_>, mr: bool) -> Reply {
    let (req, repo) = (c.req, c.repo);
    let cache = c.cache();
    let state = req.q("state").unwrap_or("all");
    let mut idx: Vec<usize> = (0..repo.issues.len())
        .filter(|&p| {
            let is = &repo.issues[p];
            is.pull.is_some() == mr
                && (state == "all" || gl_state(repo, p) == state)
                && c.updated_after.is_none_or(|t| is.updated_at >= t)
                && c.created_after.is_none_or(|t| is.created_at >= t)
        })
        .collect();
    let order = req.q("order_by").unwrap_or("created_at");
    idx.sort_by_key(|&p| {
        let is = &repo.issues[p];
        (
            if order == "updated_at" {
                is.updated_at
            } else {
                is.created_at
            },
            is.number,
        )
    });
    if c.desc {
        idx.reverse();
    }
    let items: Vec<&str> = idx
        .iter()
        .map(|&p| {
            if mr {
                cache.mrs[p].as_str()
            } else {
                cache.issues[p].as_str()
            }
        })
        .collect();
    c.page(&items)
}

/// `/issues/{iid}` or (with `mr`) `/merge_requests/{iid}`, with the fields
/// only a single item carries (the caller's subscription, task status; for
/// merge requests pipelines, diff refs, the change count).
pub fn one(c: &ProjectCtx<'_>, iid: &str, mr: bool) -> Reply {
    match (c.by_iid(iid, mr), mr) {
        (Some(p), false) => {
            let mut v: Value = serde_json::from_str(&c.cache().issues[p]).unwrap_or(Value::Null);
            let one =
                json!({"subscribed": false, "task_status": "", "service_desk_reply_to": null});
            super::render::extend(&mut v, one);
            Reply::json(200, &v)
        }
        (Some(p), true) => {
            let mut v: Value = serde_json::from_str(&c.cache().mrs[p]).unwrap_or(Value::Null);
            super::render::extend(&mut v, super::render::mr_detail(c.repo, p));
            Reply::json(200, &v)
        }
        (None, false) => not_found("Issue"),
        (None, true) => not_found("Merge Request"),
    }
}

/// `/issues_statistics`: counts of plain issues.
pub fn statistics(c: &ProjectCtx<'_>) -> Reply {
    let iss: Vec<_> = c.repo.issues.iter().filter(|i| i.pull.is_none()).collect();
    let closed = iss.iter().filter(|i| i.state == State::Closed).count();
    Reply::json(
        200,
        &json!({"statistics": {"counts": {"all": iss.len(), "closed": closed, "opened": iss.len() - closed}}}),
    )
}

/// `/{issues,merge_requests}/{iid}/resource_label_events`: one `add` per `labeled` event and
/// one `remove` per `unlabeled` one.
pub fn label_events(c: &ProjectCtx<'_>, iid: &str, mr: bool) -> Reply {
    let Some(p) = c.by_iid(iid, mr) else {
        return not_found("Issue");
    };
    let (repo, users, web) = (c.repo, &c.f.world.users, c.web);
    let resource_type = if mr { "MergeRequest" } else { "Issue" };
    let ids = label_event_ids(repo);
    let items = c.rs.events[p]
        .iter()
        .filter(|&&e| repo.events[e].label.is_some())
        .map(|&i| {
            let e = &repo.events[i];
            let l = &repo.labels[e.label.unwrap_or(0)];
            let action = if e.event == "unlabeled" { "remove" } else { "add" };
            json!({"id": ids[&i], "user": user_json(web, &users[e.actor]), "created_at": iso_millis(e.created_at),
                "resource_type": resource_type, "resource_id": repo.issues[p].id,
                "label": {"id": l.id, "name": l.name, "color": format!("#{}", l.color), "description": l.description}, "action": action})
        })
        .collect();
    c.page_owned(items)
}
