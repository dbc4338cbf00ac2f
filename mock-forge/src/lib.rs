//! Mock forge: a recorded and synthetic GitHub + GitLab API for hermetic runs.
//!
//! Aveloxis collects from GitHub and GitLab. Its tests and CI have no token
//! and no network, so they talk to this crate instead: an HTTP server that
//! is faithful enough that a collector passing against it works against the
//! real forges.
//!
//! # Brief overview
//!
//! - **Synthetic worlds** ([`generate`], [`model`]): a seeded generator
//!   builds whole repositories (users, issues, PRs, labels, assignees,
//!   reviewers, reviews, review comments, issue comments, events, PR commits
//!   and files, releases, clone traffic, git history). Message ids collide
//!   across conversation comments, review comments and reviews, as on
//!   GitHub. [`GroundTruth`] gives the exact count of every entity.
//! - **Days** ([`generate::timeline`]): a world may have days after day 0 (new, edited,
//!   closed, reopened and merged items, removed labels, assignees and review requests,
//!   deleted comments, a force-push, a rename), deterministic per seed; the server serves
//!   one day to every caller ([`MockForge::set_day`]) or a day per API key
//!   ([`MockForge::set_day_for_token`]), and `POST /__mock/day` does the same from loopback.
//! - **APIs** ([`github`], [`gitlab`]): GitHub REST v3 at the root
//!   (`api.github.com` layout) and under `/api/v3` (Enterprise), GitLab v4
//!   under `/api/v4`; web pages at `/{owner}/{repo}`; `git clone` at
//!   `/{owner}/{repo}.git` (git's dumb HTTP protocol over a bare repository
//!   built with real git on first use).
//! - **State** ([`forge`]): the served world with its lookup tables and
//!   render caches, tokens, rate-limit accounting, fault rules, cassettes;
//!   plain data that the handlers ([`github`], [`gitlab`], [`web`]) read.
//! - **Behaviour** ([`server`], [`ratelimit`], [`faults`]): pagination
//!   (`Link`, `X-Next-Page`/`X-Total`), filters, 401 for unknown tokens,
//!   per-token rate limits with 403/429, `ETag`/`If-None-Match` → 304
//!   (free of charge), 301 renames, 404 deleted, 410 gone, private
//!   repositories (404 to anonymous API requests; on the web a 404 or a
//!   GitLab sign-in redirect; `git clone` only with a key as HTTP Basic
//!   credentials, else a 401 challenge), and injected
//!   faults from a YAML manifest, deterministic under a seed.
//! - **Replay and record** ([`cassette`], [`record`]): recorded interactions
//!   (ours, or `@octokit/fixtures` as-is) with URL rewriting; unmatched
//!   requests answer 501 and are logged and listed, never a silent 200.
//!
//! # Using it from tests
//!
//! ```no_run
//! use aveloxis_mock_forge::{MockForge, Preset, Scenario};
//!
//! let scenario = Scenario::generate(Preset::Tiny, 42);
//! let truth = scenario.ground_truth();
//! let forge = MockForge::start(scenario).unwrap(); // 127.0.0.1, free port
//! let api = forge.github_api_url();                // point the collector here
//! let token = aveloxis_mock_forge::DEFAULT_TOKENS[0];
//! let repo = truth.repo("mock-org/tiny").unwrap();
//! assert!(repo.issues > 0);
//! let _ = (api, token, forge.git_clone_url("mock-org", "tiny"));
//! // dropping `forge` stops the server
//! ```
//!
//! The server runs on its own thread and runtime, so it can be used from
//! synchronous tests and from any async runtime alike.
//!
//! Architecture invariant: this crate depends on no other project crate; it
//! knows HTTP, cassettes and scenarios, nothing about the collector's schema.
//! Inside it, modules form layers with no cycle: data and helpers (`model`,
//! `rng`, `time`, `http`, `truth`, `git`) at the bottom, then the generator,
//! scenarios and the forge state, then the handlers, with the server
//! (transport) on top.
#![recursion_limit = "256"]

pub mod cassette;
pub mod cli;
pub mod faults;
pub mod forge;
pub mod generate;
pub mod git;
pub mod github;
pub mod gitlab;
pub mod http;
pub mod model;
pub mod ratelimit;
pub mod record;
pub mod rng;
pub mod scenario;
pub mod server;
pub mod time;
pub mod truth;
pub mod web;

pub use cassette::{Cassette, Interaction};
pub use faults::{Fault, FaultConfig, FaultRule};
pub use generate::Preset;
pub use model::World;
pub use ratelimit::RateLimitConfig;
pub use scenario::{DEFAULT_TOKENS, Manifest, PrivateRepo, Scenario, TokenSpec, WebDialect};
pub use server::{MockForge, StartOptions};
pub use truth::{GroundTruth, RepoTruth};
