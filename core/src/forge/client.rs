//! The one HTTP choke point to GitHub and GitLab.
//!
//! Every request goes through [`ForgeClient::get`], which owns: key choice (round-robin over
//! the pool, skipping keys near their floor), header-driven rate limits (sleep until the
//! earliest reset when every key is exhausted), 401 → key invalidated (logged by id, never by
//! token), 403/429 with `Retry-After` or reset → wait and retry, 5xx / broken bodies →
//! exponential backoff with jitter up to a bound, ETag conditional requests (a 304 is served from
//! the bounded cache of [`super::etag`], with the page's next link, so a listing goes on past an
//! unchanged page), redirects followed by hand (auth is never sent to another host), and a
//! User-Agent. Collectors above it see either JSON or a typed error; every status they may want
//! to tell apart (404, 410, 403 with the forge's message, 204, any other status with its message)
//! stays visible in [`ForgeError`].

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

use super::Platform;
pub use super::body::{parse_json, retry_after_secs};
use super::keys::{Acquire, KeyPool};
use crate::config::Secret;

/// Tunables; tests shorten the waits.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Attempts per request for retryable failures (5xx, broken bodies, resets).
    pub max_attempts: u32,
    /// First backoff pause; doubles per attempt, with jitter.
    pub base_backoff: Duration,
    /// Upper bound of any single pause (backoff, Retry-After, rate-limit reset).
    pub max_pause: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// At most this many URLs in the ETag cache (least recently used evicted first).
    pub etag_cache_entries: usize,
    /// At most about this many bytes of response bodies in the ETag cache.
    pub etag_cache_bytes: usize,
}

impl ClientOptions {
    /// The options of a long-lived client (`serve`): an ETag cache of `etag_cache_mib` MiB.
    pub fn long_lived(etag_cache_mib: u32) -> Self {
        ClientOptions {
            etag_cache_bytes: (etag_cache_mib as usize) << 20,
            ..ClientOptions::default()
        }
    }

    /// The options of a one-shot command (`collect`, `add-repo`): no ETag cache (one process
    /// never asks for the same listing twice; the cache would only hold memory).
    pub fn one_shot() -> Self {
        ClientOptions {
            etag_cache_bytes: 0,
            ..ClientOptions::default()
        }
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_attempts: 6,
            base_backoff: Duration::from_millis(500),
            max_pause: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(60),
            etag_cache_entries: 4096,
            etag_cache_bytes: 64 << 20,
        }
    }
}

/// Why a request did not produce JSON.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    #[error("{url}: not found (404)")]
    NotFound { url: String },
    #[error("{url}: gone (410): {message}")]
    Gone { url: String, message: String },
    #[error("{url}: no content (204)")]
    NoContent { url: String },
    #[error("{url}: forbidden ({status}): {message}")]
    Forbidden {
        url: String,
        status: u16,
        message: String,
    },
    #[error("no valid {platform} API key left (add one with `aveloxis add-key`)")]
    NoKeys { platform: &'static str },
    #[error("{url}: gave up after {attempts} attempts: {last}")]
    Exhausted {
        url: String,
        attempts: u32,
        last: String,
    },
    #[error("{url}: unexpected status {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("every {platform} API key is down to its reserve of {reserve} requests")]
    Reserved {
        platform: &'static str,
        reserve: i64,
    },
    #[error("{url}: too many redirects")]
    Redirects { url: String },
    #[error(
        "{url}: the next page of this listing is on another host ({host}); refusing to follow it \
         (a listing stays on the host it started on, and its key never goes elsewhere)"
    )]
    ForeignNext { url: String, host: String },
}

/// A successful response.
#[derive(Clone, Debug)]
pub struct Page {
    /// The URL that finally answered (after redirects).
    pub url: String,
    pub body: Value,
    /// The next page, from `Link: rel="next"` or GitLab's `X-Next-Page`.
    pub next: Option<String>,
    /// Served from the ETag cache after a 304.
    pub not_modified: bool,
}

pub struct ForgeClient {
    http: reqwest::Client,
    platform: Platform,
    keys: KeyPool,
    opts: ClientOptions,
    etags: EtagCache,
}

/// What a request is for: a listing's page trusts a cached 304 to end the listing only when
/// [`Cached::ends_listing_reliably`] says so; a single resource always may.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Single,
    ListingPage,
}

use super::etag::{Cached, EtagCache};
pub use super::links::Cursor;
pub use super::links::next_link;
use super::links::{host_of, with_page};

fn install_crypto() {
    // reqwest is built without a bundled crypto provider; ring is shared with sqlx's TLS.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn jitter(d: Duration) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // 50%–100% of d.
    d.mul_f64(0.5 + (nanos % 1000) as f64 / 2000.0)
}

/// What one request attempt leads to.
enum Step {
    Done(Result<Page, ForgeError>),
    /// Try again; counts as an attempt (`why` is reported when attempts run out), after the
    /// exponential backoff when `backoff`.
    Retry {
        why: String,
        backoff: bool,
    },
    /// Try again with another key, without counting an attempt (401, exhausted key).
    Again,
    /// Follow a redirect (counted against the redirect limit).
    Redirect(String),
}

impl Step {
    fn retry(why: String) -> Step {
        Step::Retry { why, backoff: true }
    }
}

impl ForgeClient {
    pub fn new(platform: Platform, keys: KeyPool, opts: ClientOptions) -> anyhow::Result<Self> {
        install_crypto();
        let http = reqwest::Client::builder()
            .user_agent(concat!("aveloxis/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(opts.timeout)
            .build()?;
        Ok(ForgeClient {
            http,
            platform,
            keys,
            etags: EtagCache::new(opts.etag_cache_entries, opts.etag_cache_bytes),
            opts,
        })
    }

    pub fn platform(&self) -> Platform {
        self.platform
    }

    pub fn keys(&self) -> &KeyPool {
        &self.keys
    }

    /// URLs in the ETag cache now (bounded by [`ClientOptions::etag_cache_entries`]).
    pub fn cached_pages(&self) -> usize {
        self.etags.len()
    }

    fn pause(&self, d: Duration) -> Duration {
        d.min(self.opts.max_pause)
    }

    /// GET `url` and parse JSON, with every policy of this module applied.
    pub async fn get(&self, url: &str) -> Result<Page, ForgeError> {
        self.get_pinned(url, host_of(url), Use::Single, None).await
    }

    /// [`ForgeClient::get`] with a key that keeps more than `reserve` requests of its window;
    /// [`ForgeError::Reserved`] at once (no waiting) when no key does. For phases that must
    /// never spend the budget the core collection needs.
    pub async fn get_reserved(&self, url: &str, reserve: i64) -> Result<Page, ForgeError> {
        self.get_pinned(url, host_of(url), Use::Single, Some(reserve))
            .await
    }

    /// [`ForgeClient::get`] with credentials only for `origin_host` (a listing's first host).
    async fn get_pinned(
        &self,
        url: &str,
        origin_host: Option<String>,
        usage: Use,
        reserve: Option<i64>,
    ) -> Result<Page, ForgeError> {
        let mut attempt = 0u32;
        let mut current = url.to_owned();
        let mut redirects = 0;
        let mut last = String::new();
        loop {
            if attempt >= self.opts.max_attempts {
                return Err(ForgeError::Exhausted {
                    url: url.to_owned(),
                    attempts: attempt,
                    last,
                });
            }
            let Some((idx, token)) = self.next_key(reserve).await? else {
                continue;
            };
            // Credentials only ever go to the host we were asked to talk to.
            let token = (host_of(&current) == origin_host).then_some(&token);
            match self.attempt(&current, idx, token, usage).await {
                Step::Done(result) => return result,
                Step::Retry { why, backoff } => {
                    attempt += 1;
                    if backoff {
                        self.backoff(attempt, &why).await;
                    }
                    last = why;
                }
                Step::Again => {}
                Step::Redirect(to) => {
                    redirects += 1;
                    if redirects > 5 {
                        return Err(ForgeError::Redirects {
                            url: url.to_owned(),
                        });
                    }
                    current = to;
                }
            }
        }
    }

    /// A usable key, or `None` after waiting for the earliest reset when all are exhausted.
    async fn next_key(&self, reserve: Option<i64>) -> Result<Option<(usize, Secret)>, ForgeError> {
        let acquired = match reserve {
            Some(r) => self.keys.acquire_above(r),
            None => self.keys.acquire(),
        };
        match acquired {
            Acquire::Key(i, t) => Ok(Some((i, t))),
            Acquire::WaitUntil(_) if let Some(reserve) = reserve => Err(ForgeError::Reserved {
                platform: self.platform.name(),
                reserve,
            }),
            Acquire::WaitUntil(at) => {
                let wait = at.duration_since(SystemTime::now()).unwrap_or_default();
                tracing::warn!(
                    platform = self.platform.name(),
                    wait_s = wait.as_secs(),
                    "every API key is exhausted; waiting for the earliest reset"
                );
                tokio::time::sleep(self.pause(wait) + Duration::from_millis(50)).await;
                Ok(None)
            }
            Acquire::None => Err(ForgeError::NoKeys {
                platform: self.platform.name(),
            }),
        }
    }

    /// One request to `current` with key `idx` (its token only when `current` is on the host
    /// we were asked to talk to), and what to do next.
    async fn attempt(&self, current: &str, idx: usize, token: Option<&Secret>, usage: Use) -> Step {
        let sent_key = token.is_some();
        let mut req = self.http.get(current);
        if let Some(token) = token {
            req = match self.platform {
                Platform::GitHub => req
                    .header("Authorization", format!("Bearer {}", token.expose()))
                    .header("Accept", "application/vnd.github+json"),
                Platform::GitLab => req.header("PRIVATE-TOKEN", token.expose()),
            };
        }
        // A listing's last page is asked unconditionally unless its 304 can end the listing.
        let cached = self
            .etags
            .get(current)
            .filter(|c| usage == Use::Single || c.ends_listing_reliably(current));
        if let Some(c) = &cached
            && let Ok(v) = HeaderValue::from_str(&c.etag)
        {
            req = req.header("If-None-Match", v);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Step::retry(format!("request failed: {}", without_url(&e))),
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        self.keys.observe(idx, &headers);
        let current = current.to_owned();
        match status {
            s if s.is_redirection() && s != StatusCode::NOT_MODIFIED => {
                redirect(current, &headers, s)
            }
            StatusCode::NOT_MODIFIED => self.not_modified(cached, current, &headers),
            // No credentials were sent (a redirect to another host): the key is not at fault.
            StatusCode::UNAUTHORIZED if !sent_key => Step::Done(Err(ForgeError::Status {
                url: current,
                status: 401,
                message: forge_message(resp).await,
            })),
            StatusCode::UNAUTHORIZED => {
                tracing::error!(
                    platform = self.platform.name(),
                    key_id = self.keys.key_id(idx),
                    "API key rejected (401); it is no longer used"
                );
                self.keys.invalidate(idx);
                Step::Again
            }
            StatusCode::NOT_FOUND => Step::Done(Err(ForgeError::NotFound { url: current })),
            StatusCode::GONE => Step::Done(Err(ForgeError::Gone {
                url: current,
                message: forge_message(resp).await,
            })),
            StatusCode::NO_CONTENT => Step::Done(Err(ForgeError::NoContent { url: current })),
            StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS => {
                self.limited(resp, current, idx, status, &headers).await
            }
            s if s.is_server_error() => Step::retry(format!("server error {s}")),
            s if s.is_success() => self.success(resp, current, &headers).await,
            s => Step::Done(Err(ForgeError::Status {
                url: current,
                status: s.as_u16(),
                message: forge_message(resp).await,
            })),
        }
    }

    /// 403/429: a secondary rate limit (Retry-After), an exhausted key, or a real refusal.
    async fn limited(
        &self,
        resp: reqwest::Response,
        current: String,
        idx: usize,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Step {
        let retry_after = header(headers, "retry-after").and_then(retry_after_secs);
        let exhausted = header(headers, "x-ratelimit-remaining") == Some("0");
        if let Some(secs) = retry_after {
            tracing::warn!(
                platform = self.platform.name(),
                secs,
                "secondary rate limit; waiting"
            );
            tokio::time::sleep(self.pause(Duration::from_secs(secs))).await;
            return Step::Retry {
                why: format!("{status} with Retry-After {secs}s"),
                backoff: false,
            };
        }
        if exhausted || status == StatusCode::TOO_MANY_REQUESTS {
            // acquire() now skips or waits for this key until its reset.
            if self.keys.exhaust(idx, headers) {
                return Step::Again;
            }
            // No reset in the future: the wait is ours to choose, and it counts as an attempt,
            // so a forge (or proxy) that keeps refusing ends the request instead of a hot loop.
            return Step::Retry {
                why: format!("{status} rate limited with no reset in the future"),
                backoff: true,
            };
        }
        Step::Done(Err(ForgeError::Forbidden {
            url: current,
            status: status.as_u16(),
            message: forge_message(resp).await,
        }))
    }

    /// 304: the cached page, and where its listing goes on: as the 304 says if it says, else as
    /// the 200 that the cache holds said (forges send 304s without pagination).
    fn not_modified(&self, cached: Option<Cached>, current: String, headers: &HeaderMap) -> Step {
        let Some(c) = cached else {
            return Step::Retry {
                why: "304 without a cached body".into(),
                backoff: false,
            };
        };
        match parse_json(&c.body) {
            Ok(body) => Step::Done(Ok(Page {
                next: self.next_of(&current, headers).or(c.next),
                url: current,
                body,
                not_modified: true,
            })),
            Err(e) => Step::retry(format!("cached body unreadable: {e}")),
        }
    }

    /// 2xx: the body, sanitised and parsed (a cut or malformed body is retried), ETag cached.
    async fn success(&self, resp: reqwest::Response, current: String, headers: &HeaderMap) -> Step {
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return Step::retry(format!("body cut short: {}", without_url(&e))),
        };
        let body: Value = match parse_json(&bytes) {
            Ok(v) => v,
            Err(e) => return Step::retry(format!("malformed JSON: {e}")),
        };
        let next = self.next_of(&current, headers);
        if let Some(etag) = header(headers, "etag") {
            let cached = Cached {
                etag: etag.to_owned(),
                body: std::sync::Arc::from(&bytes[..]),
                items: body.as_array().map(Vec::len),
                next: next.clone(),
            };
            self.etags.put(&current, cached, bytes.len());
        }
        Step::Done(Ok(Page {
            next,
            url: current,
            body,
            not_modified: false,
        }))
    }

    fn next_of(&self, url: &str, headers: &HeaderMap) -> Option<String> {
        if let Some(n) = header(headers, "link").and_then(next_link) {
            return Some(n);
        }
        match header(headers, "x-next-page").map(str::trim) {
            Some(p) if !p.is_empty() => Some(with_page(url, p)),
            _ => None,
        }
    }

    async fn backoff(&self, attempt: u32, why: &str) {
        let d = self.pause(jitter(
            self.opts.base_backoff * 2u32.saturating_pow(attempt.saturating_sub(1)),
        ));
        tracing::warn!(
            platform = self.platform.name(),
            attempt,
            why,
            pause_ms = d.as_millis() as u64,
            "retrying"
        );
        tokio::time::sleep(d).await;
    }

    /// Every page of a listing, following `next` links; `keep_going` sees each page and may stop.
    /// Holds every page: only for small listings (an owner's repositories). Collection streams
    /// its listings page by page through [`Cursor`] instead.
    pub async fn get_all(
        &self,
        url: &str,
        mut keep_going: impl FnMut(&Value) -> bool,
    ) -> Result<Vec<Page>, ForgeError> {
        let mut cursor = Cursor::new(url);
        let mut pages = Vec::new();
        while let Some(page) = self.next_page(&mut cursor).await? {
            if !keep_going(&page.body) {
                cursor.stop();
            }
            pages.push(page);
        }
        Ok(pages)
    }

    /// The next page of `cursor`'s listing (`None` when it has ended). The listing is pinned to
    /// the host of its first URL: the key goes only there, and a `next` link (from `Link`, or
    /// built from a page that was redirected away) naming another host ends the listing with
    /// [`ForgeError::ForeignNext`] instead of being followed.
    pub async fn next_page(&self, cursor: &mut Cursor) -> Result<Option<Page>, ForgeError> {
        let Some(u) = cursor.next.clone() else {
            return Ok(None);
        };
        if host_of(&u) != cursor.origin {
            return Err(ForgeError::ForeignNext {
                url: cursor.first.clone(),
                host: host_of(&u).unwrap_or_else(|| "an unparsable URL".into()),
            });
        }
        let page = self
            .get_pinned(&u, cursor.origin.clone(), Use::ListingPage, None)
            .await?;
        cursor.next = page.next.clone();
        Ok(Some(page))
    }
}

/// A redirect's target, resolved against the URL that answered it.
fn redirect(current: String, headers: &HeaderMap, status: StatusCode) -> Step {
    let Some(loc) = header(headers, "location") else {
        return Step::Done(Err(ForgeError::Status {
            url: current,
            status: status.as_u16(),
            message: "redirect without a Location".into(),
        }));
    };
    Step::Redirect(match url::Url::parse(&current).and_then(|b| b.join(loc)) {
        Ok(u) => u.to_string(),
        Err(_) => loc.to_owned(),
    })
}

/// What the forge said about a refusal: the `message` of a JSON body, or the text, without
/// control characters and cut to 200 characters (forges do not echo credentials).
async fn forge_message(resp: reqwest::Response) -> String {
    let text = resp.text().await.unwrap_or_default();
    let said = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or(text);
    said.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// reqwest errors print the URL; ours already name it, and URLs never carry tokens, but keep
/// messages short and uniform.
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "<url>");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_are_parsed() {
        let l = r#"<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=9>; rel="last""#;
        assert_eq!(
            next_link(l).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
        assert_eq!(next_link(r#"<https://x/y?page=1>; rel="prev""#), None);
        assert_eq!(
            with_page(
                "https://gl/api/v4/projects/1/issues?per_page=100&page=1",
                "2"
            ),
            "https://gl/api/v4/projects/1/issues?per_page=100&page=2"
        );
    }
}
