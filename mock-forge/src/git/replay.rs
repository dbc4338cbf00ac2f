//! The deterministic edit rule of generated history, shared by the generator
//! (which draws the changes) and the bare-repository builder (which replays
//! them): where a [`FileChange`] lands in its file and what the added lines
//! say depend only on the commit index and the path.

use super::objects::WorkTree;
use crate::model::{FileChange, RepoData};
use crate::rng::{fnv1a, mix};

/// The deterministic text of line `k` added to `path` by commit `commit`.
fn line_text(commit: usize, path: &str, k: u64) -> String {
    let h = mix((commit as u64) << 20 ^ k) % 10_000;
    if path.ends_with(".md") {
        format!("Paragraph {commit}.{k}: notes about feature {h}.")
    } else if path.ends_with(".sql") {
        format!("ALTER TABLE t{h} ADD COLUMN c{commit}_{k} int;")
    } else {
        format!("    value_{commit}_{k} = compute({h})")
    }
}

/// Applies one stored [`FileChange`] of commit `commit` to `tree`; returns
/// (first changed line, removed lines, added lines). The position and the
/// text are functions of the commit index and path only, so replaying the
/// stored changes rebuilds byte-identical content.
pub fn apply_change(
    tree: &mut WorkTree,
    commit: usize,
    change: &FileChange,
) -> (usize, Vec<String>, Vec<String>) {
    let mut lines = tree.lines(&change.path).to_vec();
    let del = (change.deletions as usize).min(lines.len());
    let room = lines.len() - del;
    let pos = if room == 0 {
        0
    } else {
        (mix(commit as u64 ^ fnv1a(change.path.as_bytes())) % (room as u64 + 1)) as usize
    };
    let removed: Vec<String> = lines.drain(pos..pos + del).collect();
    let added: Vec<String> = (0..change.additions)
        .map(|k| line_text(commit, &change.path, k))
        .collect();
    for (i, l) in added.iter().enumerate() {
        lines.insert(pos + i, l.clone());
    }
    tree.set(&change.path, lines);
    (pos, removed, added)
}

/// Replays stored changes commit by commit (used to rebuild git content).
pub struct HistoryReplay<'a> {
    repo: &'a RepoData,
}

impl<'a> HistoryReplay<'a> {
    /// Replays `repo`'s commits.
    pub fn new(repo: &'a RepoData) -> Self {
        Self { repo }
    }

    /// Applies commit `i`'s changes to `tree`; returns the changed paths.
    pub fn apply(&mut self, i: usize, tree: &mut WorkTree) -> Vec<String> {
        let c = &self.repo.commits[i];
        for ch in &c.changes {
            apply_change(tree, i, ch);
        }
        c.changes.iter().map(|ch| ch.path.clone()).collect()
    }
}
