//! The HTTP server: one fallback handler that classifies each request
//! (GitHub API, GitLab API, web page, git), applies faults, replays
//! cassettes, answers from the synthetic world, and accounts rate limits and
//! conditional requests.
//!
//! The server runs on its own thread with its own Tokio runtime, so a test
//! may embed it from synchronous code, from `#[tokio::test]` (whose
//! current-thread runtime would otherwise stall while the test blocks on
//! `git clone`), or from any other runtime.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use crate::cassette::{Replayer, rewrite};
use crate::faults::{Fault, FaultEngine};
use crate::http::{Layout, Reply, Req, parse_query};
use crate::index::RepoServe;
use crate::model::World;
use crate::ratelimit::{RateLimiter, Snapshot};
use crate::rng::body_hash;
use crate::scenario::Scenario;
use crate::time::now;
use crate::truth::GroundTruth;
use crate::{git, github, gitlab};

/// Shared state of a running forge.
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
    /// Lower-cased login → user index.
    pub users_by_login: HashMap<String, usize>,
    /// Accepted tokens → per-token limit override.
    pub tokens: RwLock<HashMap<String, Option<u64>>>,
    /// Accept any token.
    pub accept_any_token: bool,
    /// Limits.
    pub rate: crate::ratelimit::RateLimitConfig,
    /// Accounting.
    pub limiter: RateLimiter,
    /// Faults.
    pub faults: FaultEngine,
    /// Cassettes.
    pub replayer: Replayer,
    /// Requests nothing answered (`METHOD path?query`).
    pub unmatched: Mutex<Vec<String>>,
    /// Requests served.
    pub requests: AtomicU64,
    /// Where bare repositories are built on first clone.
    pub git_root: PathBuf,
    /// Bare repository per repo (built once).
    pub git_dirs: Vec<tokio::sync::OnceCell<Result<PathBuf, String>>>,
    _git_tmp: tempfile::TempDir,
}

/// Which forge a gate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// GitHub REST v3.
    GitHub,
    /// GitLab v4.
    GitLab,
}

/// An admitted API request: whose budget it used.
#[derive(Debug, Clone)]
pub struct Gate {
    key: String,
    resource: &'static str,
    snap: Snapshot,
    platform: Platform,
}

impl Forge {
    fn new(scenario: Scenario, base: String) -> anyhow::Result<Self> {
        let world = scenario.world;
        let repos: Vec<RepoServe> = world.repos.iter().map(RepoServe::new).collect();
        let lc = |s: &str| s.to_ascii_lowercase();
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
            by_id: world
                .repos
                .iter()
                .enumerate()
                .map(|(i, r)| (r.id, i))
                .collect(),
            by_project: world
                .repos
                .iter()
                .enumerate()
                .map(|(i, r)| (r.project_id, i))
                .collect(),
            redirects: world
                .redirects
                .iter()
                .map(|r| (lc(&r.from), r.to.clone()))
                .collect(),
            deleted: world.deleted.iter().map(|s| lc(s)).collect(),
            gone: world.gone.iter().map(|s| lc(s)).collect(),
            users_by_login: world
                .users
                .iter()
                .enumerate()
                .map(|(i, u)| (lc(&u.login), i))
                .collect(),
            tokens: RwLock::new(
                scenario
                    .tokens
                    .iter()
                    .map(|t| (t.token.clone(), t.limit))
                    .collect(),
            ),
            accept_any_token: scenario.accept_any_token,
            rate: scenario.rate_limit,
            limiter: RateLimiter::default(),
            faults: FaultEngine::new(&scenario.faults),
            replayer: Replayer::new(scenario.cassettes),
            unmatched: Mutex::new(Vec::new()),
            requests: AtomicU64::new(0),
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

    fn token_of(req: &Req, platform: Platform) -> Option<String> {
        if platform == Platform::GitLab
            && let Some(t) = req.header("private-token")
        {
            return Some(t.trim().to_string());
        }
        let auth = req.header("authorization")?.trim();
        let (scheme, rest) = auth.split_once(' ')?;
        match scheme.to_ascii_lowercase().as_str() {
            "token" | "bearer" => Some(rest.trim().to_string()),
            _ => Some(auth.to_string()),
        }
    }

    fn resolve_key(&self, req: &Req, platform: Platform) -> Result<(String, u64), Reply> {
        match Self::token_of(req, platform) {
            None if self.rate.anonymous_limit == 0 => {
                Err(unauthorized(platform, "Requires authentication"))
            }
            None => Ok(("anonymous".to_string(), self.rate.anonymous_limit)),
            Some(t) => {
                let tokens = self.tokens.read().unwrap_or_else(|e| e.into_inner());
                match tokens.get(&t) {
                    Some(limit) => Ok((t.clone(), limit.unwrap_or(self.rate.limit))),
                    None if self.accept_any_token => Ok((t.clone(), self.rate.limit)),
                    None => Err(unauthorized(platform, "Bad credentials")),
                }
            }
        }
    }

    /// Authenticates and charges one request; `Err` is the reply to send
    /// (401, or 403/429 when the budget is exhausted).
    pub fn gate(
        &self,
        req: &Req,
        platform: Platform,
        resource: &'static str,
    ) -> Result<Gate, Reply> {
        let (key, limit) = self.resolve_key(req, platform)?;
        let (limit, window) = if resource == "search" {
            (self.rate.search_limit, self.rate.search_window_secs)
        } else {
            (limit, self.rate.window_secs)
        };
        let t = now();
        match self.limiter.take(&key, resource, limit, window, t) {
            Ok(snap) => Ok(Gate {
                key,
                resource,
                snap,
                platform,
            }),
            Err(snap) => {
                let gate = Gate {
                    key,
                    resource,
                    snap,
                    platform,
                };
                let wait = (snap.reset - t).max(1);
                let reply = match platform {
                    Platform::GitHub => {
                        let r = Reply::json(
                            self.rate.exhausted_status,
                            &serde_json::json!({
                                "message": format!("API rate limit exceeded for {}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)", gate.key),
                                "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
                            }),
                        );
                        if self.rate.exhausted_status == 429 {
                            r.with("retry-after", wait.to_string())
                        } else {
                            r
                        }
                    }
                    Platform::GitLab => {
                        Reply::text(429, "Retry later").with("retry-after", wait.to_string())
                    }
                };
                Err(rate_headers(reply, &gate))
            }
        }
    }

    /// Checks the token without charging (for `/rate_limit`).
    pub fn peek(&self, req: &Req, platform: Platform) -> Result<(String, u64), Reply> {
        self.resolve_key(req, platform)
    }

    /// Adds ETag / 304 handling and rate headers to a gated reply.
    pub fn finish(&self, req: &Req, gate: &Gate, mut reply: Reply) -> Reply {
        let mut gate = gate.clone();
        if reply.status == 200 && req.is_read() {
            let etag = format!("W/\"{:016x}\"", body_hash(&reply.body));
            if let Some(inm) = req.header("if-none-match")
                && etag_matches(inm, &etag)
            {
                if let Some(s) = self.limiter.refund(&gate.key, gate.resource) {
                    gate.snap = s;
                }
                let mut r = Reply {
                    status: 304,
                    headers: Vec::new(),
                    body: Bytes::new(),
                };
                r.headers.push(("etag".into(), etag));
                return rate_headers(r, &gate);
            }
            reply.headers.push(("etag".into(), etag));
        }
        if gate.platform == Platform::GitHub {
            reply.headers.push((
                "x-github-media-type".into(),
                "github.v3; format=json".into(),
            ));
        }
        rate_headers(reply, &gate)
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

    /// Records and logs a request nothing answered, and returns the loud reply.
    pub fn unmatched(&self, method: &str, path_and_query: &str, why: &str) -> Reply {
        let line = format!("{method} {path_and_query}");
        tracing::error!(request = %line, "mock-forge: unmatched request ({why})");
        self.unmatched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.clone());
        Reply::json(
            501,
            &serde_json::json!({
                "message": format!("mock-forge: {why}: {line}"),
                "mock_forge_unmatched": true,
            }),
        )
    }
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

fn etag_matches(header: &str, etag: &str) -> bool {
    let strip = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    let want = strip(etag);
    header
        .split(',')
        .any(|t| t.trim() == "*" || strip(t) == want)
}

fn unauthorized(platform: Platform, message: &str) -> Reply {
    match platform {
        Platform::GitHub => Reply::json(
            401,
            &serde_json::json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": "401"}),
        ),
        Platform::GitLab => Reply::json(401, &serde_json::json!({"message": "401 Unauthorized"})),
    }
}

fn rate_headers(mut r: Reply, g: &Gate) -> Reply {
    let s = g.snap;
    match g.platform {
        Platform::GitHub => {
            r.headers
                .push(("x-ratelimit-limit".into(), s.limit.to_string()));
            r.headers
                .push(("x-ratelimit-remaining".into(), s.remaining.to_string()));
            r.headers
                .push(("x-ratelimit-reset".into(), s.reset.to_string()));
            r.headers
                .push(("x-ratelimit-used".into(), s.used.to_string()));
            r.headers
                .push(("x-ratelimit-resource".into(), s.resource.to_string()));
        }
        Platform::GitLab => {
            r.headers
                .push(("ratelimit-limit".into(), s.limit.to_string()));
            r.headers
                .push(("ratelimit-remaining".into(), s.remaining.to_string()));
            r.headers
                .push(("ratelimit-reset".into(), s.reset.to_string()));
            r.headers
                .push(("ratelimit-observed".into(), s.used.to_string()));
        }
    }
    r
}

/// GitHub API root segments (everything else at the root is web or git).
const GITHUB_ROOTS: &[&str] = &[
    "repos",
    "repositories",
    "users",
    "user",
    "orgs",
    "search",
    "rate_limit",
    "graphql",
    "meta",
    "organizations",
];

fn classify(path: &str) -> (Layout, String) {
    if let Some(rest) = path.strip_prefix("/api/v3")
        && (rest.is_empty() || rest.starts_with('/'))
    {
        let rest = if rest.is_empty() {
            "/".to_string()
        } else {
            rest.to_string()
        };
        return (Layout::GitHubEnterprise, rest);
    }
    if let Some(rest) = path.strip_prefix("/api/v4")
        && (rest.is_empty() || rest.starts_with('/'))
    {
        let rest = if rest.is_empty() {
            "/".to_string()
        } else {
            rest.to_string()
        };
        return (Layout::GitLab, rest);
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if path == "/" || GITHUB_ROOTS.contains(&first) {
        return (Layout::GitHubRoot, path.to_string());
    }
    let mut segs = path.trim_start_matches('/').splitn(3, '/');
    segs.next();
    if segs.next().is_some_and(|s| s.ends_with(".git")) {
        return (Layout::Git, path.to_string());
    }
    (Layout::Web, path.to_string())
}

async fn handle(State(forge): State<Arc<Forge>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let (layout, path) = classify(&raw_path);
    let req = Req {
        method: parts.method.as_str().to_ascii_uppercase(),
        path,
        raw_path: raw_path.clone(),
        query: parse_query(&raw_query),
        raw_query,
        headers: parts.headers,
        body,
        layout,
    };
    forge.requests.fetch_add(1, Ordering::Relaxed);
    let fault_path = if layout == Layout::GitLab {
        format!("/api/v4{}", req.path)
    } else {
        req.path.clone()
    };
    let fault = forge.faults.check(&req.method, &fault_path);
    if let Some(f) = &fault {
        tracing::info!(method = %req.method, path = %raw_path, fault = ?f, "mock-forge: injecting fault");
        if let Some(r) = immediate_fault(f) {
            return into_response(r, None);
        }
        if let Fault::Slow { delay_ms } = f {
            tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
        }
    }
    let reply = route(&forge, &req).await;
    tracing::debug!(method = %req.method, path = %raw_path, status = reply.status, "mock-forge");
    into_response(reply, fault.as_ref())
}

async fn route(forge: &Arc<Forge>, req: &Req) -> Reply {
    let pq = if req.raw_query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.raw_query)
    };
    if !forge.replayer.is_empty() {
        let raw_pq = if req.raw_query.is_empty() {
            req.raw_path.clone()
        } else {
            format!("{}?{}", req.raw_path, req.raw_query)
        };
        if let Some(it) = forge.replayer.find(&req.method, &raw_pq, &req.body) {
            let mut r = Reply {
                status: it.status,
                headers: Vec::new(),
                body: Bytes::new(),
            };
            for (k, v) in &it.headers {
                if matches!(
                    k.as_str(),
                    "content-length" | "transfer-encoding" | "connection" | "content-encoding"
                ) {
                    continue;
                }
                r.headers
                    .push((k.clone(), rewrite(v, &it.origin, &forge.base)));
            }
            let text = match &it.body {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                v => v.to_string(),
            };
            r.body = Bytes::from(rewrite(&text, &it.origin, &forge.base));
            return r;
        }
        if forge.world.repos.is_empty() {
            return forge.unmatched(&req.method, &raw_pq, "no recorded interaction");
        }
    }
    let answer = match req.layout {
        Layout::GitHubRoot | Layout::GitHubEnterprise => github::handle(forge, req),
        Layout::GitLab => gitlab::handle(forge, req),
        Layout::Web => web(forge, req),
        Layout::Git => return git_http(forge, req).await,
    };
    match answer {
        Some(r) => r,
        None => {
            let full = match req.layout {
                Layout::GitHubEnterprise => format!("/api/v3{pq}"),
                Layout::GitLab => format!("/api/v4{pq}"),
                _ => pq,
            };
            forge.unmatched(&req.method, &full, "no handler for this endpoint")
        }
    }
}

fn web(forge: &Forge, req: &Req) -> Option<Reply> {
    if !req.is_read() {
        return None;
    }
    let segs = req.segments();
    let html = |status: u16, title: &str| Reply {
        status,
        headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
        body: Bytes::from(format!(
            "<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>\n"
        )),
    };
    match segs.as_slice() {
        [] => Some(html(200, "mock-forge")),
        [login] => Some(
            match forge.users_by_login.get(&login.to_ascii_lowercase()) {
                Some(_) => html(200, login),
                None => html(404, "Page not found"),
            },
        ),
        [owner, name, rest @ ..] => {
            let full = format!("{owner}/{name}");
            Some(match forge.lookup(&full) {
                Lookup::Repo(_) => html(200, &full),
                Lookup::Moved(i) => {
                    let mut loc = format!("{}/{}", forge.base, forge.world.repos[i].full_name());
                    for s in rest {
                        loc.push('/');
                        loc.push_str(s);
                    }
                    html(301, "Moved Permanently").with("location", loc)
                }
                Lookup::Gone => html(410, "Gone"),
                Lookup::Missing => html(404, "Page not found"),
            })
        }
    }
}

async fn git_http(forge: &Arc<Forge>, req: &Req) -> Reply {
    let trimmed = req.path.trim_start_matches('/');
    let mut it = trimmed.splitn(3, '/');
    let (owner, repo_git, rest) = (
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
    );
    let name = repo_git.trim_end_matches(".git");
    if !req.is_read() {
        return Reply::text(
            403,
            "mock-forge serves git over the read-only dumb HTTP protocol\n",
        );
    }
    let i = match forge.lookup(&format!("{owner}/{name}")) {
        Lookup::Repo(i) => i,
        Lookup::Moved(i) => {
            let q = if req.raw_query.is_empty() {
                String::new()
            } else {
                format!("?{}", req.raw_query)
            };
            let loc = format!(
                "{}/{}.git/{rest}{q}",
                forge.base,
                forge.world.repos[i].full_name()
            );
            return Reply::text(301, "Moved Permanently\n").with("location", loc);
        }
        Lookup::Gone => return Reply::text(410, "Repository gone\n"),
        Lookup::Missing => return Reply::text(404, "Repository not found\n"),
    };
    let cell = &forge.git_dirs[i];
    let f2 = Arc::clone(forge);
    let dir = cell
        .get_or_init(|| async move {
            let f3 = Arc::clone(&f2);
            tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                let r = git::build_bare_repo(&f3.git_root, &f3.world.repos[i]).map_err(|e| format!("{e:#}"));
                tracing::info!(repo = %f3.world.repos[i].full_name(), ms = started.elapsed().as_millis() as u64, ok = r.is_ok(), "mock-forge: built bare repository");
                r
            })
            .await
            .unwrap_or_else(|e| Err(format!("build task failed: {e}")))
        })
        .await;
    let dir = match dir {
        Ok(d) => d.clone(),
        Err(e) => {
            tracing::error!(error = %e, "mock-forge: cannot build git repository");
            return Reply::text(
                500,
                format!("mock-forge could not build the repository: {e}\n"),
            );
        }
    };
    let Some(file) = git::safe_join(&dir, rest) else {
        return Reply::text(404, "Not found\n");
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => Reply {
            status: 200,
            headers: vec![
                ("content-type".into(), git::dumb_content_type(rest).into()),
                ("cache-control".into(), "no-cache".into()),
            ],
            body: Bytes::from(bytes),
        },
        Err(_) => Reply::text(404, "Not found\n"),
    }
}

fn immediate_fault(f: &Fault) -> Option<Reply> {
    let t = now();
    match f {
        Fault::Status { status, retry_after_secs } => {
            let mut r = Reply::json(*status, &serde_json::json!({"message": format!("mock-forge injected fault: HTTP {status}")}));
            if let Some(s) = retry_after_secs {
                r = r.with("retry-after", s.to_string());
            }
            Some(r)
        }
        Fault::RateLimit { status, reset_in_secs } => Some(
            Reply::json(
                *status,
                &serde_json::json!({
                    "message": "API rate limit exceeded (mock-forge injected fault).",
                    "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
                }),
            )
            .with("x-ratelimit-limit", "5000")
            .with("x-ratelimit-remaining", "0")
            .with("x-ratelimit-used", "5000")
            .with("x-ratelimit-resource", "core")
            .with("x-ratelimit-reset", (t + *reset_in_secs as i64).to_string())
            .with("ratelimit-remaining", "0")
            .with("ratelimit-reset", (t + *reset_in_secs as i64).to_string()),
        ),
        Fault::SecondaryRateLimit { retry_after_secs } => Some(
            Reply::json(
                403,
                &serde_json::json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                }),
            )
            .with("retry-after", retry_after_secs.to_string()),
        ),
        Fault::Slow { .. } | Fault::Truncate | Fault::Malformed | Fault::Reset => None,
    }
}

/// A body that sends its first half and then fails, so the server aborts
/// the connection mid-response (clients see a reset or an early EOF).
struct ResetBody {
    data: Option<Bytes>,
}

impl http_body::Body for ResetBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(Some(match self.data.take() {
            Some(d) => Ok(http_body::Frame::data(d)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "mock-forge injected connection reset",
            )),
        }))
    }
}

fn into_response(mut reply: Reply, fault: Option<&Fault>) -> Response {
    let body = match fault {
        Some(Fault::Truncate) => {
            let n = reply.body.len() / 2;
            Body::from(reply.body.slice(..n))
        }
        Some(Fault::Malformed) => Body::from(Bytes::from_static(
            b"{\"message\": \"mock-forge malformed body\", \"items\": [1, 2,,}",
        )),
        Some(Fault::Reset) => {
            let n = reply.body.len() / 2;
            Body::new(ResetBody {
                data: Some(reply.body.slice(..n)),
            })
        }
        _ => Body::from(std::mem::take(&mut reply.body)),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            h.append(k, v);
        }
    }
    resp
}

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
pub struct MockForge {
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
        let forge = Arc::new(Forge::new(scenario, base)?);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<()>>();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&forge));
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

    /// The world being served.
    pub fn world(&self) -> &World {
        &self.forge.world
    }

    /// Exact entity counts of the served world.
    pub fn ground_truth(&self) -> GroundTruth {
        GroundTruth::of(&self.forge.world)
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

/// Lazily rendered caches keyed by layout.
pub type LayoutCache<T> = [OnceLock<T>; 2];

/// Index of a GitHub layout in a [`LayoutCache`].
pub fn layout_slot(l: Layout) -> usize {
    usize::from(l == Layout::GitHubEnterprise)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        assert_eq!(classify("/repos/a/b").0, Layout::GitHubRoot);
        assert_eq!(
            classify("/api/v3/repos/a/b"),
            (Layout::GitHubEnterprise, "/repos/a/b".into())
        );
        assert_eq!(
            classify("/api/v4/projects/1"),
            (Layout::GitLab, "/projects/1".into())
        );
        assert_eq!(classify("/a/b.git/info/refs").0, Layout::Git);
        assert_eq!(classify("/a/b").0, Layout::Web);
        assert_eq!(classify("/api/v3x").0, Layout::Web);
    }

    #[test]
    fn etags_compare_weakly() {
        assert!(etag_matches("W/\"abc\"", "W/\"abc\""));
        assert!(etag_matches("\"abc\", \"x\"", "W/\"abc\""));
        assert!(etag_matches("*", "W/\"abc\""));
        assert!(!etag_matches("\"abd\"", "W/\"abc\""));
    }
}
