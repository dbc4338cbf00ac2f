//! The HTTP server (transport): binds a socket, runs axum on its own thread
//! and runtime, and routes every request through one fallback handler
//! ([`route`]) that classifies it, injects faults ([`respond`]), replays
//! cassettes, authenticates, charges and answers conditional requests
//! ([`access`]) around the GitHub and GitLab handlers, serves web pages and
//! `git clone` ([`git_http`]), and answers 501 for anything unmatched.
//!
//! The server runs on its own thread with its own Tokio runtime, so a test
//! may embed it from synchronous code, from `#[tokio::test]` (whose
//! current-thread runtime would otherwise stall while the test blocks on
//! `git clone`), or from any other runtime.
//!
//! This is the top layer: it uses the handlers and the forge state
//! ([`crate::forge`]); nothing below uses it.

pub mod access;
pub mod admin;
pub mod git_http;
pub mod respond;
pub mod route;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The forge state, kept reachable at its former path.
pub use crate::forge::{Days, Forge, LayoutCache, Lookup, layout_slot};
use crate::model::World;
use crate::scenario::Scenario;
use crate::time::now;
use crate::truth::GroundTruth;
pub use access::{Gate, Platform};

/// Options for [`MockForge::start_with`].
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Address to bind; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Base URL to advertise (defaults to `http://<bound address>`).
    pub public_url: Option<String>,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
        }
    }
}

/// A running mock forge. Dropping it stops the server.
///
/// A scenario with days ([`Scenario::later_days`]) serves one day at a time to each caller:
/// the global day ([`Self::set_day`], day 0 at start), or the day pinned to the caller's key
/// ([`Self::set_day_for_token`]).
pub struct MockForge {
    days: Arc<Days>,
    /// Day 0: its base URL, tokens, accounting and unmatched list are every day's.
    forge: Arc<Forge>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for MockForge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockForge")
            .field("base_url", &self.forge.base)
            .finish()
    }
}

impl MockForge {
    /// Starts serving `scenario` on `127.0.0.1` at a free port.
    pub fn start(scenario: Scenario) -> anyhow::Result<Self> {
        Self::start_with(scenario, StartOptions::default())
    }

    /// Starts with explicit options.
    pub fn start_with(scenario: Scenario, opts: StartOptions) -> anyhow::Result<Self> {
        let std_listener = std::net::TcpListener::bind(opts.addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let base = opts
            .public_url
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        let days = Arc::new(Days::new(Forge::timeline(scenario, base)?, 0)?);
        let forge = Arc::clone(days.current());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<()>>();
        let app = axum::Router::new()
            .fallback(route::handle)
            .with_state(Arc::clone(&days));
        let thread = std::thread::Builder::new()
            .name("mock-forge".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.into()));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.into()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let app = app.into_make_service_with_connect_info::<SocketAddr>();
                    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
                        let _ = stop_rx.await;
                    });
                    if let Err(e) = server.await {
                        tracing::error!(error = %e, "mock-forge server failed");
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(1));
            })?;
        ready_rx
            .recv()
            .map_err(|_| anyhow::anyhow!("mock-forge thread exited"))??;
        Ok(Self {
            days,
            forge,
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.forge.base.clone()
    }

    /// GitHub REST root (api.github.com layout): same as [`Self::base_url`].
    pub fn github_api_url(&self) -> String {
        self.forge.base.clone()
    }

    /// GitHub Enterprise layout: `<base>/api/v3`.
    pub fn github_enterprise_api_url(&self) -> String {
        format!("{}/api/v3", self.forge.base)
    }

    /// GitLab v4 root: `<base>/api/v4`.
    pub fn gitlab_api_url(&self) -> String {
        format!("{}/api/v4", self.forge.base)
    }

    /// Web URL of a repository (`HEAD`/`GET` for the prelim check).
    pub fn web_url(&self, owner: &str, repo: &str) -> String {
        format!("{}/{owner}/{repo}", self.forge.base)
    }

    /// URL for `git clone`.
    pub fn git_clone_url(&self, owner: &str, repo: &str) -> String {
        format!("{}/{owner}/{repo}.git", self.forge.base)
    }

    /// The world of the global day.
    pub fn world(&self) -> &World {
        &self.days.current().world
    }

    /// The world of `day`, if the world has that day.
    pub fn world_of(&self, day: usize) -> Option<&World> {
        self.days.on(day).map(|f| &f.world)
    }

    /// Exact entity counts of the world of the global day.
    pub fn ground_truth(&self) -> GroundTruth {
        GroundTruth::of(self.world())
    }

    /// Exact entity counts of the world of `day`, if the world has that day.
    pub fn ground_truth_of(&self, day: usize) -> Option<GroundTruth> {
        self.world_of(day).map(GroundTruth::of)
    }

    /// How many days the world has (day 0 included; 1 for a world that never moves).
    pub fn day_count(&self) -> usize {
        self.days.count()
    }

    /// The global day: what every caller whose key is not pinned sees.
    pub fn day(&self) -> usize {
        self.days.global()
    }

    /// The day the callers presenting `token` see.
    pub fn day_of_token(&self, token: &str) -> usize {
        self.days.day_of(Some(token))
    }

    /// Moves every caller whose key is not pinned (anonymous callers and clones included)
    /// to `day`. Panics when the world has no such day.
    pub fn set_day(&self, day: usize) {
        if let Err(e) = self.days.set_global(day) {
            panic!("MockForge::set_day: {e:#}");
        }
    }

    /// Pins the callers presenting `token` (as an API key, or as the password of a git
    /// clone) to `day`, whatever the global day. Panics when the world has no such day.
    pub fn set_day_for_token(&self, token: &str, day: usize) {
        if let Err(e) = self.days.pin(token, day) {
            panic!("MockForge::set_day_for_token: {e:#}");
        }
    }

    /// Accepts another token (with an optional per-window limit).
    pub fn add_token(&self, token: &str, limit: Option<u64>) {
        self.forge
            .tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.to_string(), limit);
    }

    /// Sets a token's remaining `core` budget, resetting `reset_in_secs`
    /// from now (e.g. 0 remaining to test exhaustion).
    pub fn set_remaining(&self, token: &str, remaining: u64, reset_in_secs: u64) {
        let limit = self
            .forge
            .tokens
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .copied()
            .flatten()
            .unwrap_or(self.forge.rate.limit);
        self.forge.limiter.set_remaining(
            token,
            "core",
            limit,
            remaining,
            now() + reset_in_secs as i64,
        );
    }

    /// Requests that nothing answered (`METHOD path?query`), in order.
    pub fn unmatched_requests(&self) -> Vec<String> {
        self.forge
            .unmatched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Requests served so far.
    pub fn request_count(&self) -> u64 {
        self.forge.requests.load(Ordering::Relaxed)
    }

    /// Stops the server and waits for it to finish.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for MockForge {
    fn drop(&mut self) {
        self.stop_now();
    }
}
