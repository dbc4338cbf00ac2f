//! `commit` and `diff-entry`.

use serde_json::{Value, json};

use super::{node_id, user_json};
use crate::forge::Forge;
use crate::github::Urls;
use crate::model::{Commit, RepoData};
use crate::time::iso;

/// `commit`; with `stats` and `files` when `with_files`.
pub fn commit_json(f: &Forge, u: &Urls, repo: &RepoData, c: &Commit, with_files: bool) -> Value {
    let fname = repo.full_name();
    let a = format!("{}/repos/{fname}/commits/{}", u.api, c.sha);
    let ident = json!({"name": c.author_name, "email": c.author_email, "date": iso(c.time)});
    let gh_user = c
        .author_user
        .map_or(Value::Null, |x| user_json(u, &f.world.users[x]));
    let mut v = json!({
        "url": a,
        "sha": c.sha,
        "node_id": node_id("C", crate::rng::fnv1a(c.sha.as_bytes())),
        "html_url": format!("{}/{fname}/commit/{}", u.web, c.sha),
        "comments_url": format!("{a}/comments"),
        "commit": {
            "url": format!("{}/repos/{fname}/git/commits/{}", u.api, c.sha),
            "author": ident,
            "committer": ident,
            "message": c.message.trim_end(),
            "tree": {"sha": c.tree, "url": format!("{}/repos/{fname}/git/trees/{}", u.api, c.tree)},
            "comment_count": 0,
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
        },
        "author": gh_user,
        "committer": gh_user,
        "parents": c.parent.iter().map(|p| json!({
            "sha": p,
            "url": format!("{}/repos/{fname}/commits/{p}", u.api),
            "html_url": format!("{}/{fname}/commit/{p}", u.web),
        })).collect::<Vec<_>>(),
    });
    if with_files {
        let adds: u64 = c.changes.iter().map(|x| x.additions).sum();
        let dels: u64 = c.changes.iter().map(|x| x.deletions).sum();
        let o = v.as_object_mut().expect("object");
        o.insert(
            "stats".into(),
            json!({"total": adds + dels, "additions": adds, "deletions": dels}),
        );
        o.insert(
            "files".into(),
            json!(
                c.changes
                    .iter()
                    .map(|ch| diff_entry(
                        u,
                        repo,
                        &c.sha,
                        &ch.path,
                        &ch.status,
                        ch.additions,
                        ch.deletions,
                        &ch.blob_sha,
                        &ch.patch
                    ))
                    .collect::<Vec<_>>()
            ),
        );
    }
    v
}

/// `diff-entry`: one file of a commit or pull request.
#[allow(clippy::too_many_arguments)]
pub fn diff_entry(
    u: &Urls,
    repo: &RepoData,
    sha: &str,
    path: &str,
    status: &str,
    adds: u64,
    dels: u64,
    blob: &str,
    patch: &str,
) -> Value {
    let fname = repo.full_name();
    json!({
        "sha": blob,
        "filename": path,
        "status": status,
        "additions": adds,
        "deletions": dels,
        "changes": adds + dels,
        "blob_url": format!("{}/{fname}/blob/{sha}/{path}", u.web),
        "raw_url": format!("{}/{fname}/raw/{sha}/{path}", u.web),
        "contents_url": format!("{}/repos/{fname}/contents/{path}?ref={sha}", u.api),
        "patch": patch,
    })
}
