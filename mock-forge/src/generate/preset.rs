//! Size presets and the knobs of one generated repository.

use serde::{Deserialize, Serialize};

/// Size presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// A few of everything: unit and integration tests.
    Tiny,
    /// Shaped like augurlabs/augur: thousands of issues and PRs, tens of
    /// thousands of events and comments, thousands of commits.
    Augur,
    /// Benchmarks.
    Large,
}

impl std::str::FromStr for Preset {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s {
            "tiny" => Ok(Self::Tiny),
            "augur" => Ok(Self::Augur),
            "large" => Ok(Self::Large),
            _ => anyhow::bail!("unknown preset {s:?} (expected tiny, augur or large)"),
        }
    }
}

impl Preset {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tiny => "tiny",
            Self::Augur => "augur",
            Self::Large => "large",
        }
    }

    /// Entity counts and densities for this preset.
    pub fn params(self) -> Params {
        match self {
            Self::Tiny => Params {
                users: 12,
                labels: 6,
                issues: 9,
                pulls: 7,
                commits: 30,
                comments_per_item: 2.0,
                reviews_per_pull: 1.5,
                review_comments_per_review: 1.0,
                extra_events_per_item: 1.5,
                releases: 3,
            },
            Self::Augur => Params {
                users: 350,
                labels: 30,
                issues: 1300,
                pulls: 1700,
                commits: 4200,
                comments_per_item: 4.0,
                reviews_per_pull: 1.5,
                review_comments_per_review: 1.5,
                extra_events_per_item: 5.0,
                releases: 40,
            },
            Self::Large => Params {
                users: 2000,
                labels: 60,
                issues: 8000,
                pulls: 8000,
                commits: 20000,
                comments_per_item: 5.0,
                reviews_per_pull: 2.0,
                review_comments_per_review: 2.0,
                extra_events_per_item: 6.0,
                releases: 120,
            },
        }
    }
}

/// Knobs of one generated repository.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Size of the user pool.
    pub users: usize,
    /// Repository labels.
    pub labels: usize,
    /// Plain issues.
    pub issues: usize,
    /// Pull requests.
    pub pulls: usize,
    /// Commits on `main`; should be at least `3 * pulls + 1`.
    pub commits: usize,
    /// Mean conversation comments per issue/PR.
    pub comments_per_item: f64,
    /// Mean reviews per PR.
    pub reviews_per_pull: f64,
    /// Mean review comments per review.
    pub review_comments_per_review: f64,
    /// Mean events per item beyond labeled/assigned/closed/merged.
    pub extra_events_per_item: f64,
    /// Releases.
    pub releases: usize,
}

impl Params {
    /// The knobs of one fleet repository: a couple of issues and a PR, a few
    /// comments and events, and a short history.
    pub fn fleet_repo() -> Self {
        Self {
            users: 6,
            labels: 2,
            issues: 2,
            pulls: 1,
            commits: 4,
            comments_per_item: 1.0,
            reviews_per_pull: 1.0,
            review_comments_per_review: 0.5,
            extra_events_per_item: 0.5,
            releases: 1,
        }
    }
}
