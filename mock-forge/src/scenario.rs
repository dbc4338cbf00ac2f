//! Scenarios: what a mock forge serves and how it misbehaves.
//!
//! A [`Scenario`] combines a synthetic [`World`], recorded cassettes,
//! accepted tokens, rate limits and fault rules. It is built in code
//! ([`Scenario::generate`], [`Scenario::from_cassettes`]) or loaded from disk
//! ([`Scenario::load`]):
//!
//! - a YAML manifest (`*.yaml`/`*.yml`, see [`Manifest`]);
//! - a directory: its `scenario.yaml` if present, otherwise every `*.json`
//!   below it as a cassette;
//! - a JSON file: a world dump (`world.json` from `generate`) or a cassette
//!   (ours or an `@octokit/fixtures` normalized fixture).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::cassette::{self, Interaction};
use crate::faults::FaultConfig;
use crate::generate::{self, Preset};
use crate::model::World;
use crate::ratelimit::RateLimitConfig;
use crate::truth::{DayChanges, GroundTruth, HistoryTruth};

/// A token the forge accepts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    /// The secret.
    pub token: String,
    /// Per-window limit for this token (defaults to the scenario's).
    #[serde(default)]
    pub limit: Option<u64>,
}

/// How a forge's web pages refuse a stranger asking for a private repository.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WebDialect {
    /// GitHub: 404, as if the repository did not exist.
    GitHub,
    /// GitLab: 302 to `/users/sign_in`.
    GitLab,
}

/// A private repository: served to API requests with a token; anonymous API requests get 404,
/// its web pages answer what the forge named by `web` shows a stranger, and `git clone` needs a
/// token as the password of HTTP Basic credentials (401 with a `Basic` challenge otherwise).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrivateRepo {
    /// `owner/name` of a served repository.
    pub repo: String,
    /// Whose web pages to imitate.
    pub web: WebDialect,
}

/// Everything a running mock forge needs.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// Synthetic repositories (may be empty for pure replay).
    pub world: World,
    /// Accepted tokens. Any other token gets 401.
    pub tokens: Vec<TokenSpec>,
    /// Accept every token (no 401s); accounting is still per token.
    pub accept_any_token: bool,
    /// Rate limits.
    pub rate_limit: RateLimitConfig,
    /// Fault injection.
    pub faults: FaultConfig,
    /// Recorded interactions to replay (checked before the synthetic API).
    pub cassettes: Vec<Interaction>,
    /// Private repositories.
    pub private: Vec<PrivateRepo>,
    /// The days after day 0 ([`Self::world`]): `later_days[k - 1]` is day k. Empty for a
    /// world that never moves.
    pub later_days: Vec<World>,
    /// What each later day changed: `day_changes[k - 1]` is day k.
    pub day_changes: Vec<DayChanges>,
}

/// Default tokens of generated scenarios.
pub const DEFAULT_TOKENS: [&str; 3] = ["mock-token-0", "mock-token-1", "mock-token-2"];

/// The YAML manifest.
///
/// ```yaml
/// generate: { preset: tiny, seed: 1 }   # or: world: world.json
/// tokens:
///   - { token: mock-token-0 }
///   - { token: tiny-budget, limit: 3 }
/// accept_any_token: false
/// rate_limit: { limit: 5000, window_secs: 3600, exhausted_status: 403 }
/// faults: { seed: 7, rules: [ ... ] }     # see the faults module
/// cassettes: [ cassettes/ ]               # files or directories
/// private: [ { repo: mock-org/tiny, web: gitlab } ]
/// timeline: { days: 3, seed: 1 }          # days 1..=3 after the world
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Manifest {
    /// Generate a world.
    pub generate: Option<GenerateSpec>,
    /// Or load one (path relative to the manifest).
    pub world: Option<PathBuf>,
    /// Accepted tokens; when absent with a generated world, [`DEFAULT_TOKENS`].
    pub tokens: Option<Vec<TokenSpec>>,
    /// Accept every token.
    pub accept_any_token: bool,
    /// Rate limits.
    pub rate_limit: Option<RateLimitConfig>,
    /// Faults.
    pub faults: Option<FaultConfig>,
    /// Cassette files or directories (relative to the manifest).
    pub cassettes: Vec<PathBuf>,
    /// Private repositories.
    pub private: Vec<PrivateRepo>,
    /// Days after the world (of `generate:` or `world:`), drawn from a seed.
    pub timeline: Option<TimelineSpec>,
}

/// `timeline:` section: `days` days after the world, drawn from `seed`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimelineSpec {
    /// Days after day 0.
    pub days: usize,
    /// Seed of the days.
    pub seed: u64,
}

/// `generate:` section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    /// Preset.
    pub preset: Preset,
    /// Seed.
    pub seed: u64,
}

fn default_tokens() -> Vec<TokenSpec> {
    DEFAULT_TOKENS
        .iter()
        .map(|t| TokenSpec {
            token: t.to_string(),
            limit: None,
        })
        .collect()
}

impl Scenario {
    /// A generated world with the default tokens ([`DEFAULT_TOKENS`]).
    pub fn generate(preset: Preset, seed: u64) -> Self {
        Self {
            world: generate::world(preset, seed),
            tokens: default_tokens(),
            ..Self::default()
        }
    }

    /// A generated world with `days` days after it (see [`generate::timeline`]), with the
    /// default tokens; `days` 0 is [`Self::generate`].
    pub fn generate_days(preset: Preset, seed: u64, days: usize) -> Self {
        Self::generate(preset, seed).with_days(days, seed)
    }

    /// Replaces the later days with `days` days after [`Self::world`], drawn from `seed`
    /// (builder style).
    pub fn with_days(mut self, days: usize, seed: u64) -> Self {
        let timeline = generate::Timeline::new(std::mem::take(&mut self.world), seed, days);
        let mut worlds = timeline.days.into_iter();
        self.world = worlds.next().expect("day 0");
        self.later_days = worlds.collect();
        self.day_changes = timeline.changes;
        self
    }

    /// How many days the world has (day 0 included).
    pub fn day_count(&self) -> usize {
        1 + self.later_days.len()
    }

    /// The world on `day`.
    pub fn world_of(&self, day: usize) -> Option<&World> {
        match day {
            0 => Some(&self.world),
            k => self.later_days.get(k - 1),
        }
    }

    /// Exact entity counts of the world on `day`.
    pub fn ground_truth_of(&self, day: usize) -> Option<GroundTruth> {
        self.world_of(day).map(GroundTruth::of)
    }

    /// The truth of every day and what each later day changed.
    pub fn history_truth(&self) -> HistoryTruth {
        let days: Vec<World> = (0..self.day_count())
            .filter_map(|d| self.world_of(d).cloned())
            .collect();
        HistoryTruth::of(&days, &self.day_changes)
    }

    /// A fleet of `count` small repositories named `fleet-00000`… (see
    /// [`generate::fleet`]), with the default tokens.
    pub fn fleet(count: usize, seed: u64) -> Self {
        Self {
            world: generate::fleet(count, seed),
            tokens: default_tokens(),
            ..Self::default()
        }
    }

    /// A pure replay scenario that accepts any token.
    pub fn from_cassettes(interactions: Vec<Interaction>) -> Self {
        Self {
            cassettes: interactions,
            accept_any_token: true,
            ..Self::default()
        }
    }

    /// Exact entity counts of the world.
    pub fn ground_truth(&self) -> GroundTruth {
        GroundTruth::of(&self.world)
    }

    /// Adds an accepted token (builder style).
    pub fn with_token(mut self, token: &str, limit: Option<u64>) -> Self {
        self.tokens.push(TokenSpec {
            token: token.to_string(),
            limit,
        });
        self
    }

    /// Replaces the fault rules (builder style).
    pub fn with_faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }

    /// Makes the repository `owner/name` private (builder style).
    pub fn with_private(mut self, repo: &str, web: WebDialect) -> Self {
        self.private.push(PrivateRepo {
            repo: repo.to_string(),
            web,
        });
        self
    }

    /// Loads a manifest, directory or JSON file (see the module docs).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        if path.is_dir() {
            for name in ["scenario.yaml", "scenario.yml"] {
                let m = path.join(name);
                if m.is_file() {
                    return Self::load_manifest(&m);
                }
            }
            let mut files = Vec::new();
            collect_json(path, &mut files)?;
            if files.is_empty() {
                bail!(
                    "{} has no scenario.yaml and no *.json cassettes",
                    path.display()
                );
            }
            let mut interactions = Vec::new();
            for f in files {
                interactions.extend(cassette::load(&f)?);
            }
            return Ok(Self::from_cassettes(interactions));
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Self::load_manifest(path),
            _ => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                if let Ok(world) = serde_json::from_str::<World>(&text) {
                    return Ok(Self {
                        world,
                        tokens: default_tokens(),
                        ..Self::default()
                    });
                }
                Ok(Self::from_cassettes(
                    cassette::parse(&text)
                        .with_context(|| format!("loading {}", path.display()))?,
                ))
            }
        }
    }

    /// Loads a YAML manifest.
    pub fn load_manifest(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let m: Manifest = serde_saphyr::from_str(&text)
            .with_context(|| format!("parsing manifest {}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::from_manifest(&m, dir)
    }

    /// Builds a scenario from a parsed manifest; relative paths resolve
    /// against `dir`.
    pub fn from_manifest(m: &Manifest, dir: &Path) -> anyhow::Result<Self> {
        let mut s = Self::default();
        if let Some(g) = &m.generate {
            s.world = generate::world(g.preset, g.seed);
        }
        if let Some(w) = &m.world {
            let p = dir.join(w);
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            s.world = serde_json::from_str(&text)
                .with_context(|| format!("parsing world {}", p.display()))?;
        }
        let has_world = !s.world.repos.is_empty();
        s.tokens = match &m.tokens {
            Some(t) => t.clone(),
            None if has_world => default_tokens(),
            None => Vec::new(),
        };
        s.accept_any_token = m.accept_any_token || (m.tokens.is_none() && !has_world);
        s.rate_limit = m.rate_limit.clone().unwrap_or_default();
        s.faults = m.faults.clone().unwrap_or_default();
        s.private = m.private.clone();
        if let Some(t) = &m.timeline {
            s = s.with_days(t.days, t.seed);
        }
        for c in &m.cassettes {
            let p = dir.join(c);
            if p.is_dir() {
                let mut files = Vec::new();
                collect_json(&p, &mut files)?;
                for f in files {
                    s.cassettes.extend(cassette::load(&f)?);
                }
            } else {
                s.cassettes.extend(cassette::load(&p)?);
            }
        }
        Ok(s)
    }
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_json(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    Ok(())
}

/// Writes `scenario.yaml`, `world.json` and `ground-truth.json` into `out`
/// (what `mock-forge generate` does). Same preset and seed → identical bytes.
pub fn write_generated(preset: Preset, seed: u64, out: &Path) -> anyhow::Result<GroundTruth> {
    Ok(write_generated_days(preset, seed, 0, out)?.day0)
}

/// [`write_generated`] with `days` days after day 0: `world.json` stays day 0, the manifest
/// gains `timeline: { days, seed }` (the days are drawn again when it is loaded) and
/// `ground-truth.json` becomes a [`HistoryTruth`] (day 0 at the top level as before, every
/// day in `days`, each later day's changes in `changes`). With `days` 0 every file is what
/// [`write_generated`] always wrote.
pub fn write_generated_days(
    preset: Preset,
    seed: u64,
    days: usize,
    out: &Path,
) -> anyhow::Result<HistoryTruth> {
    write_generated_copies(preset, seed, days, 1, out)
}

/// [`write_generated_days`] of a world with `copies` repositories of the preset's size
/// (`NAME`, `NAME-2`, …; see [`crate::generate::WorldBuilder::copies`]).
pub fn write_generated_copies(
    preset: Preset,
    seed: u64,
    days: usize,
    copies: usize,
    out: &Path,
) -> anyhow::Result<HistoryTruth> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let world = crate::generate::WorldBuilder::new(preset)
        .seed(seed)
        .copies(copies)
        .build();
    let scenario = Scenario {
        world,
        tokens: default_tokens(),
        ..Scenario::default()
    }
    .with_days(days, seed);
    let truth = scenario.history_truth();
    std::fs::write(out.join("world.json"), serde_json::to_vec(&scenario.world)?)?;
    let truth_json = if days == 0 {
        serde_json::to_vec_pretty(&truth.day0)?
    } else {
        serde_json::to_vec_pretty(&truth)?
    };
    std::fs::write(out.join("ground-truth.json"), truth_json)?;
    let (mut flag, timeline) = if days == 0 {
        (String::new(), String::new())
    } else {
        (
            format!(" --days {days}"),
            format!("timeline: {{ days: {days}, seed: {seed} }}\n"),
        )
    };
    if copies > 1 {
        flag.push_str(&format!(" --copies {copies}"));
    }
    let manifest = format!(
        "# Generated by `mock-forge generate --preset {p} --seed {seed}{flag}`.\n\
         # Serve with `mock-forge serve --scenario <this directory>`.\n\
         world: world.json\n\
         {timeline}\
         tokens:\n{tokens}\
         rate_limit: {{ limit: 5000, window_secs: 3600, exhausted_status: 403 }}\n",
        p = preset.name(),
        tokens = DEFAULT_TOKENS
            .iter()
            .map(|t| format!("  - {{ token: {t} }}\n"))
            .collect::<String>(),
    );
    std::fs::write(out.join("scenario.yaml"), manifest)?;
    Ok(truth)
}
