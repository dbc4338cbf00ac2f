//! Notes: conversation comments, review comments (`DiffNote`, with a
//! position) and non-empty review bodies of an issue or merge request, in
//! time order; ids are offset per kind so they stay unique. Discussions
//! wrap each note alone.

use serde_json::{Value, json};

use super::render::{not_found, user_json};
use super::{NOTE_OFFSET_REVIEW, NOTE_OFFSET_REVIEW_COMMENT, ProjectCtx};
use crate::http::Reply;
use crate::time::iso_millis;

/// What every note of one issue or merge request shares.
struct Noteable<'a> {
    c: &'a ProjectCtx<'a>,
    /// `Issue` or `MergeRequest`.
    kind: &'a str,
    id: u64,
    iid: u64,
}

impl Noteable<'_> {
    fn note(
        &self,
        id: u64,
        user: usize,
        body: &str,
        created: i64,
        updated: i64,
        kind: Value,
    ) -> Value {
        json!({
            "id": id,
            "type": kind,
            "body": body,
            "attachment": null,
            "author": user_json(self.c.web, &self.c.f.world.users[user]),
            "created_at": iso_millis(created),
            "updated_at": iso_millis(updated),
            "system": false,
            "noteable_id": self.id,
            "noteable_type": self.kind,
            "project_id": self.c.repo.project_id,
            "noteable_iid": self.iid,
            "resolvable": false,
            "confidential": false,
            "internal": false,
            "imported": false,
            "imported_from": "none",
            "commands_changes": {},
        })
    }
}

/// Notes of the item at position `p` in GitLab shape: (id, created_at, json),
/// oldest first.
fn notes(c: &ProjectCtx<'_>, p: usize, kind: &str) -> Vec<(u64, i64, Value)> {
    let (repo, rs) = (c.repo, c.rs);
    let is = &repo.issues[p];
    let n = Noteable {
        c,
        kind,
        id: is.pull.as_ref().map_or(is.id, |pr| pr.id),
        iid: rs.gl_iid[p],
    };
    let mut out = Vec::new();
    for &i in &rs.comments[p] {
        let m = &repo.issue_comments[i];
        let v = n.note(
            m.id,
            m.user,
            &m.body,
            m.created_at,
            m.updated_at,
            Value::Null,
        );
        out.push((m.id, m.created_at, v));
    }
    for &i in &rs.review_comments[p] {
        let m = &repo.review_comments[i];
        let id = m.id + NOTE_OFFSET_REVIEW_COMMENT;
        let mut v = n.note(
            id,
            m.user,
            &m.body,
            m.created_at,
            m.updated_at,
            json!("DiffNote"),
        );
        let sha = &repo.commits[m.commit].sha;
        v.as_object_mut().expect("object").insert(
            "position".into(),
            json!({"base_sha": sha, "start_sha": sha, "head_sha": sha, "old_path": m.path, "new_path": m.path, "position_type": "text", "old_line": null, "new_line": m.line}),
        );
        out.push((id, m.created_at, v));
    }
    for &i in &rs.reviews[p] {
        let r = &repo.reviews[i];
        if !r.body.is_empty() {
            let id = r.id + NOTE_OFFSET_REVIEW;
            let v = n.note(
                id,
                r.user,
                &r.body,
                r.submitted_at,
                r.submitted_at,
                Value::Null,
            );
            out.push((id, r.submitted_at, v));
        }
    }
    out.sort_by_key(|n| (n.1, n.0));
    out
}

/// `/{issues,merge_requests}/{iid}/notes`: newest first unless `sort=asc`.
pub fn list(c: &ProjectCtx<'_>, iid: &str, mr: bool) -> Reply {
    let (kind, missing) = if mr {
        ("MergeRequest", "Merge Request")
    } else {
        ("Issue", "Issue")
    };
    let Some(p) = c.by_iid(iid, mr) else {
        return not_found(missing);
    };
    let mut n = notes(c, p, kind);
    if c.desc {
        n.reverse();
    }
    c.page_owned(n.into_iter().map(|x| x.2).collect())
}

/// `/merge_requests/{iid}/discussions`: one individual note each.
pub fn discussions(c: &ProjectCtx<'_>, iid: &str) -> Reply {
    let Some(p) = c.by_iid(iid, true) else {
        return not_found("Merge Request");
    };
    let items = notes(c, p, "MergeRequest")
        .into_iter()
        .map(
            |(id, _, n)| json!({"id": format!("{id:040x}"), "individual_note": true, "notes": [n]}),
        )
        .collect();
    c.page_owned(items)
}
