//! What the phases of one repository share: the repository's random stream
//! with its user pool and knobs ([`RepoGen`]), and the world-wide id
//! counters ([`Ids`]) that keep ids unique across repositories.

use super::preset::Params;
use super::users::{FIRST_PERSON, skewed};
use crate::model::User;
use crate::rng::{Rng, mix};

/// Id counters of a world; each generated entity advances its counter by a
/// random step, starting from a seed-dependent offset.
pub(super) struct Ids {
    pub issue: u64,
    pub pull: u64,
    pub message: u64,
    pub event: u64,
    pub label: u64,
    pub release: u64,
    pub repo: u64,
}

impl Ids {
    /// The starting points for `seed`.
    pub fn new(seed: u64) -> Self {
        let off = mix(seed) % 1000;
        Self {
            issue: 200_000_000 + off * 1000,
            pull: 90_000_000 + off * 1000,
            message: 400_000_000 + off * 10_000,
            event: 1_000_000_000 + off * 10_000,
            label: 7_000_000 + off * 100,
            release: 3_000_000 + off * 100,
            repo: 30_000_000 + off * 10,
        }
    }
}

/// One repository being generated: every phase draws from `rng` in turn, so
/// the phases must run in a fixed order.
pub(super) struct RepoGen<'a> {
    /// The repository's stream (derived from the seed and the stream label).
    pub rng: Rng,
    /// The world's user pool.
    pub users: &'a [User],
    /// The repository's knobs.
    pub p: &'a Params,
    /// The people who take part: user indexes `people.0..people.1`.
    pub people: (usize, usize),
}

impl<'a> RepoGen<'a> {
    /// Starts the stream `stream` of `seed`.
    pub fn new(seed: u64, stream: &str, users: &'a [User], p: &'a Params) -> Self {
        Self {
            rng: Rng::derive(seed, stream),
            users,
            p,
            people: (FIRST_PERSON, (FIRST_PERSON + p.users).min(users.len())),
        }
    }

    /// A participant, skewed towards the most active.
    pub fn person(&mut self) -> usize {
        skewed(&mut self.rng, self.people.0, self.people.1)
    }

    /// One of the first five participants (who close, merge and release).
    pub fn maintainer(&mut self) -> usize {
        let (lo, hi) = self.people;
        skewed(&mut self.rng, lo, (lo + 5).min(hi))
    }

    /// `count` distinct participants other than `avoid`.
    pub fn participants(&mut self, count: usize, avoid: Option<usize>) -> Vec<usize> {
        let (lo, hi) = self.people;
        super::users::distinct(&mut self.rng, count, lo, hi, avoid)
    }
}
