//! Words: titles, sentences and paragraphs for issue bodies, comments,
//! commit messages, labels and releases.

use crate::rng::Rng;

/// Leading verbs of titles and commit subjects.
pub(super) const VERBS: &[&str] = &[
    "Fix", "Add", "Refactor", "Update", "Remove", "Improve", "Document", "Speed up",
];
/// What titles, commit subjects and area labels are about.
pub(super) const THINGS: &[&str] = &[
    "issue collection",
    "PR review import",
    "contributor resolution",
    "rate limit handling",
    "GitLab pagination",
    "message upserts",
    "facade commits",
    "schema migration",
    "API server",
    "label sync",
    "release parsing",
    "clone stats",
    "worker pool",
    "docs build",
];
const WORDS: &[&str] = &[
    "the",
    "collector",
    "fails",
    "when",
    "pagination",
    "returns",
    "an",
    "empty",
    "page",
    "and",
    "retries",
    "forever",
    "we",
    "should",
    "handle",
    "this",
    "case",
    "gracefully",
    "see",
    "logs",
    "below",
    "after",
    "upgrade",
    "database",
    "rows",
    "are",
    "missing",
    "for",
    "some",
    "repos",
];

/// A capitalised sentence of `words` words, ending in a full stop.
pub(super) fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        let w = rng.pick(WORDS);
        if i == 0 {
            s.push_str(&w[..1].to_uppercase());
            s.push_str(&w[1..]);
        } else {
            s.push(' ');
            s.push_str(w);
        }
    }
    s.push('.');
    s
}

/// At least one sentence of 4 to 12 words per requested sentence.
pub(super) fn paragraph(rng: &mut Rng, sentences: usize) -> String {
    let n = sentences.max(1);
    (0..n)
        .map(|_| {
            let w = rng.range(4, 12) as usize;
            sentence(rng, w)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// "Verb thing", as in issue and pull request titles.
pub(super) fn title(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(VERBS), rng.pick(THINGS))
}
