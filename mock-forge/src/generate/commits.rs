//! Commits: a linear history on `main` whose blob, tree and commit SHAs are
//! the ones git computes, with per-file changes and unified-diff patches.

use super::context::RepoGen;
use super::text::{THINGS, VERBS, paragraph};
use super::users::DOMAINS;
use super::{T0, T1};
use crate::git::{WorkTree, apply_change, commit_object, hex, object_id};
use crate::model::{Commit, FileChange};

/// The files of every generated repository.
pub(super) const PATHS: &[&str] = &[
    "README.md",
    "setup.py",
    "docs/index.md",
    "docs/usage.md",
    "src/collector/__init__.py",
    "src/collector/github.py",
    "src/collector/gitlab.py",
    "src/collector/tasks.py",
    "src/db/models.py",
    "src/db/schema.sql",
    "src/api/routes.py",
    "src/api/server.py",
    "src/util.py",
    "tests/test_github.py",
    "tests/test_models.py",
    "Makefile",
];

/// The history of one repository, oldest first.
pub(super) fn history(g: &mut RepoGen<'_>) -> Vec<Commit> {
    let p = g.p;
    let mut tree = WorkTree::default();
    let mut commits: Vec<Commit> = Vec::with_capacity(p.commits);
    let slot = (T1 - T0) / (p.commits as i64 + 1);
    let contractors = (p.users / 10).max(2);
    for i in 0..p.commits {
        let time = T0 + i as i64 * slot + g.rng.range(0, (slot / 2).max(1) as u64) as i64;
        let (author_user, author_name, author_email) = author(g, contractors);
        let mut changes = draw_changes(g, &tree, i);
        for ch in &mut changes {
            record_change(&mut tree, i, ch);
        }
        let message = message(g, i);
        let tree_id = hex(&tree.tree_id());
        let parent = commits.last().map(|c| c.sha.clone());
        let obj = commit_object(
            &tree_id,
            parent.as_deref(),
            &author_name,
            &author_email,
            time,
            &message,
        );
        commits.push(Commit {
            sha: hex(&object_id("commit", obj.as_bytes())),
            tree: tree_id,
            parent,
            author_user,
            author_name,
            author_email,
            time,
            message,
            changes,
        });
    }
    commits
}

/// (user, name, email) of a commit's author: mostly a participant, now and
/// then a bot, and some contractors without an account.
fn author(g: &mut RepoGen<'_>, contractors: usize) -> (Option<usize>, String, String) {
    if g.rng.chance(0.12) {
        let k = g.rng.index(contractors);
        (
            None,
            format!("Contractor {k}"),
            format!("contractor{k}@{}", DOMAINS[k % DOMAINS.len()]),
        )
    } else {
        let u = if g.rng.chance(0.03) { 1 } else { g.person() };
        (
            Some(u),
            g.users[u].name.clone(),
            g.users[u].commit_email.clone(),
        )
    }
}

/// The changes of commit `i` before they are applied: the first commit adds
/// every path, later ones modify one to three.
fn draw_changes(g: &mut RepoGen<'_>, tree: &WorkTree, i: usize) -> Vec<FileChange> {
    let change = |path: &str, status: &str, additions, deletions| FileChange {
        path: path.to_string(),
        status: status.into(),
        additions,
        deletions,
        blob_sha: String::new(),
        patch: String::new(),
    };
    let mut changes = Vec::new();
    if i == 0 {
        for path in PATHS {
            changes.push(change(path, "added", g.rng.range(6, 20), 0));
        }
        return changes;
    }
    let n = g.rng.range(1, 3) as usize;
    let mut chosen: Vec<&str> = Vec::new();
    while chosen.len() < n {
        let path = *g.rng.pick(PATHS);
        if !chosen.contains(&path) {
            chosen.push(path);
        }
    }
    chosen.sort_unstable();
    for path in chosen {
        let have = tree.lines(path).len() as u64;
        let del = if have > 60 {
            g.rng.range(4, 12)
        } else {
            g.rng.range(0, have.min(6))
        };
        changes.push(change(path, "modified", g.rng.range(1, 10), del));
    }
    changes
}

/// Applies `ch` to `tree` and records what it did: the real line counts,
/// the new blob id and the patch.
pub(super) fn record_change(tree: &mut WorkTree, i: usize, ch: &mut FileChange) {
    let (pos, removed, added) = apply_change(tree, i, ch);
    ch.additions = added.len() as u64;
    ch.deletions = removed.len() as u64;
    ch.blob_sha = hex(&object_id("blob", &tree.content(&ch.path)));
    let mut patch = format!(
        "@@ -{},{} +{},{} @@",
        pos + 1,
        removed.len(),
        pos + 1,
        added.len()
    );
    for l in &removed {
        patch.push_str("\n-");
        patch.push_str(l);
    }
    for l in &added {
        patch.push_str("\n+");
        patch.push_str(l);
    }
    ch.patch = patch;
}

/// The message of commit `i`: a subject line, sometimes a body.
fn message(g: &mut RepoGen<'_>, i: usize) -> String {
    let mut message = if i == 0 {
        "Initial commit\n".to_string()
    } else {
        format!("{} {}\n", g.rng.pick(VERBS), g.rng.pick(THINGS))
    };
    if g.rng.chance(0.4) {
        message.push('\n');
        message.push_str(&paragraph(&mut g.rng, 2));
        message.push('\n');
    }
    message
}
