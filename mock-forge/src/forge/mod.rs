//! The state of a running forge, apart from any transport: the world being
//! served with its lookup tables and render caches ([`index`]), the accepted
//! tokens and rate-limit accounting, fault rules, cassettes, the requests
//! nothing answered, and the bare repositories built for `git clone`.
//!
//! Everything here is plain data and lookups. The GitHub, GitLab and web
//! handlers read it; the server (transport) sits on top and is the only
//! layer that knows about sockets, authentication, charging and faults.

pub mod days;
pub mod index;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};

use crate::cassette::Replayer;
use crate::faults::FaultEngine;
use crate::http::Layout;
use crate::model::World;
use crate::ratelimit::{RateLimitConfig, RateLimiter};
use crate::scenario::{Scenario, WebDialect};

pub use days::Days;
pub use index::{GhCache, GlCache, LayoutCache, RepoServe, layout_slot};

/// Shared state of a running forge on one day of its world. The days of one forge share
/// their tokens, accounting, faults, cassettes and the unmatched list (the `Arc`s); each day
/// has its own world, lookups, render caches and bare repositories.
pub struct Forge {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base: String,
    /// The world being served.
    pub world: World,
    /// Per-repository indexes and caches (same order as `world.repos`).
    pub repos: Vec<RepoServe>,
    /// Lower-cased `owner/name` → position in `repos`.
    pub by_name: HashMap<String, usize>,
    /// Repository id → position.
    pub by_id: HashMap<u64, usize>,
    /// GitLab project id → position.
    pub by_project: HashMap<u64, usize>,
    /// Lower-cased old name → current `owner/name`.
    pub redirects: HashMap<String, String>,
    /// Lower-cased deleted names.
    pub deleted: HashSet<String>,
    /// Lower-cased gone names.
    pub gone: HashSet<String>,
    /// Lower-cased names of private repositories → how their web pages refuse strangers.
    pub private: HashMap<String, WebDialect>,
    /// Lower-cased login → user index.
    pub users_by_login: HashMap<String, usize>,
    /// Accepted tokens → per-token limit override.
    pub tokens: Arc<RwLock<HashMap<String, Option<u64>>>>,
    /// Accept any token.
    pub accept_any_token: bool,
    /// Limits.
    pub rate: RateLimitConfig,
    /// Accounting.
    pub limiter: Arc<RateLimiter>,
    /// Faults.
    pub faults: Arc<FaultEngine>,
    /// Cassettes.
    pub replayer: Arc<Replayer>,
    /// Requests nothing answered (`METHOD path?query`).
    pub unmatched: Arc<Mutex<Vec<String>>>,
    /// Requests served.
    pub requests: Arc<AtomicU64>,
    /// Where bare repositories are built on first clone.
    pub git_root: PathBuf,
    /// Bare repository per repo (built once).
    pub git_dirs: Vec<tokio::sync::OnceCell<Result<PathBuf, String>>>,
    _git_tmp: tempfile::TempDir,
}

/// Result of resolving `owner/name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Served repository.
    Repo(usize),
    /// Renamed: the repository now lives at this position.
    Moved(usize),
    /// 410.
    Gone,
    /// 404 (deleted or never existed).
    Missing,
}

impl Forge {
    /// The state serving day 0 of `scenario` at `base` (indexes built, caches empty).
    pub fn new(mut scenario: Scenario, base: String) -> anyhow::Result<Self> {
        scenario.later_days.clear();
        let mut days = Self::timeline(scenario, base)?;
        Ok(days.remove(0))
    }

    /// The state of every day of `scenario` (day 0 first), sharing one set of tokens,
    /// accounting, faults, cassettes and one unmatched list.
    pub fn timeline(mut scenario: Scenario, base: String) -> anyhow::Result<Vec<Self>> {
        let later = std::mem::take(&mut scenario.later_days);
        let first = Self::day(std::mem::take(&mut scenario.world), &scenario, base)?;
        let mut days = vec![first];
        for world in later {
            let next = days[0].same_forge(world)?;
            days.push(next);
        }
        Ok(days)
    }

    /// Another day of this forge: `world` with this forge's shared state.
    fn same_forge(&self, world: World) -> anyhow::Result<Self> {
        let mut f = Self::day(world, &Scenario::default(), self.base.clone())?;
        f.private = self.private.clone();
        f.tokens = Arc::clone(&self.tokens);
        f.accept_any_token = self.accept_any_token;
        f.rate = self.rate.clone();
        f.limiter = Arc::clone(&self.limiter);
        f.faults = Arc::clone(&self.faults);
        f.replayer = Arc::clone(&self.replayer);
        f.unmatched = Arc::clone(&self.unmatched);
        f.requests = Arc::clone(&self.requests);
        Ok(f)
    }

    /// The state serving `world` with the tokens, limits, faults and cassettes of `scenario`.
    fn day(world: World, scenario: &Scenario, base: String) -> anyhow::Result<Self> {
        let repos: Vec<RepoServe> = world.repos.iter().map(RepoServe::new).collect();
        let lc = |s: &str| s.to_ascii_lowercase();
        let positions = |key: fn(&crate::model::RepoData) -> u64| {
            world
                .repos
                .iter()
                .enumerate()
                .map(|(i, r)| (key(r), i))
                .collect::<HashMap<u64, usize>>()
        };
        let git_tmp = tempfile::Builder::new()
            .prefix("mock-forge-git-")
            .tempdir()?;
        Ok(Self {
            by_name: world
                .repos
                .iter()
                .enumerate()
                .map(|(i, r)| (lc(&r.full_name()), i))
                .collect(),
            by_id: positions(|r| r.id),
            by_project: positions(|r| r.project_id),
            redirects: world
                .redirects
                .iter()
                .map(|r| (lc(&r.from), r.to.clone()))
                .collect(),
            deleted: world.deleted.iter().map(|s| lc(s)).collect(),
            gone: world.gone.iter().map(|s| lc(s)).collect(),
            private: scenario
                .private
                .iter()
                .map(|p| (lc(&p.repo), p.web))
                .collect(),
            users_by_login: world
                .users
                .iter()
                .enumerate()
                .map(|(i, u)| (lc(&u.login), i))
                .collect(),
            tokens: Arc::new(RwLock::new(
                scenario
                    .tokens
                    .iter()
                    .map(|t| (t.token.clone(), t.limit))
                    .collect(),
            )),
            accept_any_token: scenario.accept_any_token,
            rate: scenario.rate_limit.clone(),
            limiter: Arc::default(),
            faults: Arc::new(FaultEngine::new(&scenario.faults)),
            replayer: Arc::new(Replayer::new(scenario.cassettes.clone())),
            unmatched: Arc::default(),
            requests: Arc::default(),
            git_root: git_tmp.path().to_path_buf(),
            git_dirs: world
                .repos
                .iter()
                .map(|_| tokio::sync::OnceCell::new())
                .collect(),
            _git_tmp: git_tmp,
            repos,
            world,
            base,
        })
    }

    /// API base URL for a layout.
    pub fn api_base(&self, layout: Layout) -> String {
        match layout {
            Layout::GitHubEnterprise => format!("{}/api/v3", self.base),
            Layout::GitLab => format!("{}/api/v4", self.base),
            _ => self.base.clone(),
        }
    }

    /// Looks a repository up by `owner/name` (case-insensitive).
    pub fn find_repo(&self, full: &str) -> Option<usize> {
        self.by_name.get(&full.to_ascii_lowercase()).copied()
    }

    /// What a name currently means.
    pub fn lookup(&self, full: &str) -> Lookup {
        let lc = full.to_ascii_lowercase();
        if let Some(i) = self.by_name.get(&lc) {
            return Lookup::Repo(*i);
        }
        if let Some(to) = self.redirects.get(&lc)
            && let Some(i) = self.find_repo(to)
        {
            return Lookup::Moved(i);
        }
        if self.gone.contains(&lc) {
            return Lookup::Gone;
        }
        Lookup::Missing
    }

    /// Whether the repository at `position` is private (how its web pages refuse strangers).
    pub fn private_web(&self, position: usize) -> Option<WebDialect> {
        let name = self.world.repos.get(position)?.full_name();
        self.private.get(&name.to_ascii_lowercase()).copied()
    }

    /// What `full` means to `caller` (`anonymous` for no token): a private repository is
    /// [`Lookup::Missing`] to anonymous callers, as GitHub and GitLab answer 404.
    pub fn lookup_for(&self, full: &str, caller: &str) -> Lookup {
        match self.lookup(full) {
            Lookup::Repo(i) | Lookup::Moved(i)
                if caller == "anonymous" && self.private_web(i).is_some() =>
            {
                Lookup::Missing
            }
            other => other,
        }
    }

    /// Remembers a request nothing answered (`METHOD path?query`).
    pub fn record_unmatched(&self, line: String) {
        self.unmatched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
    }
}
