//! Merge request children: commits, diffs (or the merge request with its
//! `changes`), and approvals.

use serde_json::{Value, json};

use super::ProjectCtx;
use super::render::{commit_json, gl_state, not_found, user_json};
use crate::http::Reply;
use crate::model::Pull;
use crate::truth::pull_files;

/// The merge request numbered `iid`: (position, pull request), or the 404.
fn merge_request<'a>(c: &ProjectCtx<'a>, iid: &str) -> Result<(usize, &'a Pull), Reply> {
    let p = c
        .by_iid(iid, true)
        .ok_or_else(|| not_found("Merge Request"))?;
    Ok((p, c.repo.issues[p].pull.as_ref().expect("pull")))
}

/// `/merge_requests/{iid}/commits`, newest first.
pub fn commits(c: &ProjectCtx<'_>, iid: &str) -> Reply {
    let (_, pr) = match merge_request(c, iid) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let items = c.repo.commits[pr.first_commit..pr.first_commit + pr.commit_count]
        .iter()
        .rev()
        .map(|x| commit_json(c.web, c.repo, x))
        .collect();
    c.page_owned(items)
}

/// `/merge_requests/{iid}/diffs`, or with `changes` the merge request
/// carrying them.
pub fn diffs(c: &ProjectCtx<'_>, iid: &str, changes: bool) -> Reply {
    let (p, pr) = match merge_request(c, iid) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let repo = c.repo;
    let diffs: Vec<Value> = pull_files(repo, pr.first_commit, pr.commit_count)
        .iter()
        .map(|(path, _, _, ci)| {
            let ch = repo.commits[*ci].changes.iter().find(|x| &x.path == path).expect("change");
            json!({"old_path": path, "new_path": path, "a_mode": "100644", "b_mode": "100644", "diff": ch.patch, "new_file": ch.status == "added", "renamed_file": false, "deleted_file": false})
        })
        .collect();
    if !changes {
        return c.page_owned(diffs);
    }
    let mut v: Value = serde_json::from_str(&c.cache().mrs[p]).unwrap_or(Value::Null);
    super::render::extend(&mut v, super::render::mr_detail(repo, p));
    if let Some(o) = v.as_object_mut() {
        o.insert("changes".into(), json!(diffs));
    }
    Reply::json(200, &v)
}

/// `/merge_requests/{iid}/approvals`: who approved (no rules required).
pub fn approvals(c: &ProjectCtx<'_>, iid: &str) -> Reply {
    let (p, _) = match merge_request(c, iid) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (repo, users, web) = (c.repo, &c.f.world.users, c.web);
    let mut approvers: Vec<usize> = c.rs.reviews[p]
        .iter()
        .map(|&r| &repo.reviews[r])
        .filter(|r| r.state == "APPROVED")
        .map(|r| r.user)
        .collect();
    approvers.sort_unstable();
    approvers.dedup();
    let is = &repo.issues[p];
    Reply::json(
        200,
        &json!({
            "id": is.pull.as_ref().map_or(0, |x| x.id), "iid": c.rs.gl_iid[p], "project_id": repo.project_id, "title": is.title,
            "state": gl_state(repo, p), "approved": !approvers.is_empty(), "approvals_required": 0, "approvals_left": 0,
            "approved_by": approvers.iter().map(|&a| json!({"user": user_json(web, &users[a])})).collect::<Vec<_>>(),
        }),
    )
}
