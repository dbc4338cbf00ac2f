//! The repository API: contributors by email, the file tree, commits, and
//! one commit by a SHA prefix of at least seven characters.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::ProjectCtx;
use super::render::{commit_json, not_found};
use crate::http::Reply;
use crate::rng::fnv1a;

/// `/repository/contributors`: commits, additions and deletions per author
/// email.
pub fn contributors(c: &ProjectCtx<'_>) -> Reply {
    let mut by_email: BTreeMap<&str, (&str, u64, u64, u64)> = BTreeMap::new();
    for x in &c.repo.commits {
        let e =
            by_email
                .entry(x.author_email.as_str())
                .or_insert((x.author_name.as_str(), 0, 0, 0));
        e.1 += 1;
        e.2 += x.changes.iter().map(|ch| ch.additions).sum::<u64>();
        e.3 += x.changes.iter().map(|ch| ch.deletions).sum::<u64>();
    }
    let items = by_email
        .iter()
        .map(|(email, (name, n, a, d))| json!({"name": name, "email": email, "commits": n, "additions": a, "deletions": d}))
        .collect();
    c.page_owned(items)
}

/// `/repository/tree`: top-level entries, or every file with `recursive=true`.
pub fn tree(c: &ProjectCtx<'_>) -> Reply {
    let mut paths: Vec<&str> = c
        .repo
        .commits
        .iter()
        .flat_map(|x| x.changes.iter().map(|ch| ch.path.as_str()))
        .collect();
    paths.sort_unstable();
    paths.dedup();
    let recursive = c.req.q("recursive") == Some("true");
    let mut items: Vec<Value> = Vec::new();
    let mut seen_dirs: Vec<&str> = Vec::new();
    for p in paths {
        if recursive || !p.contains('/') {
            items.push(json!({"id": format!("{:040x}", fnv1a(p.as_bytes())), "name": p.rsplit('/').next(), "type": "blob", "path": p, "mode": "100644"}));
        } else if let Some((d, _)) = p.split_once('/')
            && !seen_dirs.contains(&d)
        {
            seen_dirs.push(d);
            items.push(json!({"id": format!("{:040x}", fnv1a(d.as_bytes())), "name": d, "type": "tree", "path": d, "mode": "040000"}));
        }
    }
    c.page_owned(items)
}

/// `/repository/commits`, newest first.
pub fn commits(c: &ProjectCtx<'_>) -> Reply {
    let items = c
        .repo
        .commits
        .iter()
        .rev()
        .map(|x| commit_json(c.web, c.repo, x))
        .collect();
    c.page_owned(items)
}

/// `/repository/commits/{sha}`.
pub fn commit(c: &ProjectCtx<'_>, sha: &str) -> Reply {
    match c
        .repo
        .commits
        .iter()
        .find(|x| x.sha.starts_with(sha) && sha.len() >= 7)
    {
        Some(x) => Reply::json(200, &commit_json(c.web, c.repo, x)),
        None => not_found("Commit"),
    }
}
