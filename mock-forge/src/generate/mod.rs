//! The seeded generator that builds a synthetic [`World`].
//!
//! Every random choice comes from [`Rng`](crate::rng::Rng) streams derived
//! from the seed, so the same seed yields a byte-identical world. The shapes
//! mimic what collectors meet on GitHub: pull requests share the issue
//! number space and appear in `/issues`; issue comments, review comments and
//! reviews draw their ids from overlapping ranges (GitHub reuses numbers
//! across the three kinds, which bit upstream Aveloxis); commits are real git
//! objects.
//!
//! [`WorldBuilder`] is the entry point ([`world`] and [`fleet`] are its two
//! common shapes); [`Preset`] and [`Params`] size what it builds. Below it,
//! one repository is generated phase by phase, each phase in its own private
//! module and all drawing from one random stream in a fixed order: labels,
//! `commits`, `issues`, `messages` (conversation comments, reviews, review
//! comments), `events`, then releases and clone traffic. `repo` runs the
//! phases, `context` holds what they share (the stream, the id counters),
//! and `users` and `text` supply people and words.

mod builder;
mod commits;
mod context;
mod events;
mod issues;
mod messages;
mod preset;
mod repo;
mod text;
pub mod timeline;
mod users;

/// Re-exported from [`crate::git`], where the edit rule lives.
pub use crate::git::HistoryReplay;
use crate::model::World;
pub use builder::WorldBuilder;
pub use preset::{Params, Preset};
pub use timeline::Timeline;

/// Start of generated history: 2017-01-01T00:00:00Z.
pub const T0: i64 = 1_483_228_800;
/// End of commit history: 2025-06-01T00:00:00Z.
pub const T1: i64 = 1_748_736_000;
/// Nothing generated is later than this: 2025-09-01T00:00:00Z.
pub const T_END: i64 = 1_756_684_800;

/// Owner of every generated repository.
pub const OWNER: &str = "mock-org";

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Builds the world of a preset: the main repository (named after the
/// preset), a tiny `sidecar` repository, a rename (`sidecar-old` → `sidecar`),
/// a rename onto the main repository (`<main>-legacy`, the duplicate case),
/// a deleted (`deleted-repo`, 404) and a gone (`gone-repo`, 410) repository.
pub fn world(preset: Preset, seed: u64) -> World {
    WorldBuilder::new(preset).seed(seed).build()
}

/// The world of a preset and `days` days after it (see [`timeline`]).
pub fn history(preset: Preset, seed: u64, days: usize) -> Timeline {
    Timeline::new(world(preset, seed), seed, days)
}

/// A fleet of `count` small repositories (`fleet-00000`, …), for daemon and queue tests:
/// each has a couple of issues and a PR, a few comments and events, and a short history.
pub fn fleet(count: usize, seed: u64) -> World {
    WorldBuilder::fleet(count).seed(seed).build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::{WorkTree, hex, object_id};

    #[test]
    fn tiny_world_is_deterministic() {
        let a = serde_json::to_string(&world(Preset::Tiny, 1)).unwrap();
        let b = serde_json::to_string(&world(Preset::Tiny, 1)).unwrap();
        let c = serde_json::to_string(&world(Preset::Tiny, 2)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn history_replay_reproduces_blob_shas() {
        let w = world(Preset::Tiny, 3);
        let repo = &w.repos[0];
        let mut tree = WorkTree::default();
        let mut replay = HistoryReplay::new(repo);
        for i in 0..repo.commits.len() {
            replay.apply(i, &mut tree);
            for ch in &repo.commits[i].changes {
                assert_eq!(
                    hex(&object_id("blob", &tree.content(&ch.path))),
                    ch.blob_sha
                );
            }
            assert_eq!(hex(&tree.tree_id()), repo.commits[i].tree);
        }
    }

    #[test]
    fn message_ids_collide_across_kinds() {
        let w = world(Preset::Tiny, 5);
        let r = &w.repos[0];
        let c: std::collections::HashSet<u64> = r.issue_comments.iter().map(|c| c.id).collect();
        let collide = r.reviews.iter().filter(|x| c.contains(&x.id)).count()
            + r.review_comments
                .iter()
                .filter(|x| c.contains(&x.id))
                .count();
        assert!(collide > 0, "expected overlapping ids");
    }
}
