//! The GitLab render cache of a repository: every issue and merge request
//! rendered once, on first use.

use super::render::{issue_json, mr_json};
use crate::forge::{Forge, GlCache};

/// The cache of repository `ri`.
pub fn cache<'f>(f: &'f Forge, web: &str, ri: usize) -> &'f GlCache {
    f.repos[ri].gl.get_or_init(|| {
        let repo = &f.world.repos[ri];
        GlCache {
            issues: (0..repo.issues.len())
                .map(|p| {
                    if repo.issues[p].pull.is_none() {
                        issue_json(f, web, repo, p).to_string()
                    } else {
                        String::new()
                    }
                })
                .collect(),
            mrs: (0..repo.issues.len())
                .map(|p| {
                    if repo.issues[p].pull.is_some() {
                        mr_json(f, web, repo, p).to_string()
                    } else {
                        String::new()
                    }
                })
                .collect(),
        }
    })
}
