//! The GitHub render cache of a repository: every issue, pull request,
//! comment and event rendered once per layout, on first use, so listings
//! only join pre-rendered JSON.

use super::Urls;
use super::render::issue::{event_json, issue_comment_json, issue_json};
use super::render::pull::{pull_json, review_comment_json};
use crate::forge::{Forge, GhCache};

/// The cache of repository `ri` for layout slot `slot`.
pub fn cache<'f>(f: &'f Forge, u: &Urls, ri: usize, slot: usize) -> &'f GhCache {
    f.repos[ri].gh[slot].get_or_init(|| {
        let repo = &f.world.repos[ri];
        let rs = &f.repos[ri];
        let n = repo.issues.len();
        GhCache {
            issues: (0..n)
                .map(|p| issue_json(f, u, rs, repo, p, false).to_string())
                .collect(),
            pulls: (0..n)
                .map(|p| {
                    if repo.issues[p].pull.is_some() {
                        pull_json(f, u, rs, repo, p, false).to_string()
                    } else {
                        String::new()
                    }
                })
                .collect(),
            issue_comments: (0..repo.issue_comments.len())
                .map(|i| issue_comment_json(f, u, rs, repo, i).to_string())
                .collect(),
            review_comments: (0..repo.review_comments.len())
                .map(|i| review_comment_json(f, u, rs, repo, i).to_string())
                .collect(),
            events: (0..repo.events.len())
                .map(|i| event_json(f, u, repo, i).to_string())
                .collect(),
        }
    })
}
