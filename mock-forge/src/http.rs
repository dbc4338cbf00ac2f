//! Small HTTP helpers shared by the GitHub, GitLab, web and git handlers:
//! the request view, the reply type, what an endpoint costs and who asks
//! (the contract between handlers and the server), query parsing and
//! percent-coding.

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::Value;

/// Which API layout a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `api.github.com` root layout: `/repos/...`.
    GitHubRoot,
    /// GitHub Enterprise: `/api/v3/repos/...`.
    GitHubEnterprise,
    /// GitLab: `/api/v4/...`.
    GitLab,
    /// Web pages: `/{owner}/{repo}`.
    Web,
    /// Git over HTTP: `/{owner}/{repo}.git/...`.
    Git,
}

/// A request as the handlers see it.
#[derive(Debug)]
pub struct Req {
    /// Upper-case method (`HEAD` is kept; handlers answer it like `GET`).
    pub method: String,
    /// Path without the `/api/v3` prefix (GitLab paths without `/api/v4`).
    pub path: String,
    /// Path exactly as received (still percent-encoded).
    pub raw_path: String,
    /// Raw query string (without `?`).
    pub raw_query: String,
    /// Decoded query parameters in request order.
    pub query: Vec<(String, String)>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
    /// Layout.
    pub layout: Layout,
}

impl Req {
    /// First value of a query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Path segments (non-empty).
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// `GET` or `HEAD`.
    pub fn is_read(&self) -> bool {
        self.method == "GET" || self.method == "HEAD"
    }
}

/// A response before it becomes an axum response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status.
    pub status: u16,
    /// Headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: u16, v: &Value) -> Self {
        Self::raw_json(status, v.to_string())
    }

    /// A reply whose body is already JSON text.
    pub fn raw_json(status: u16, body: String) -> Self {
        Self {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: Bytes::from(body),
        }
    }

    /// A plain-text reply.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: Bytes::from(body.into()),
        }
    }

    /// Adds a header.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// First value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What answering an API endpoint costs; the server authenticates and
/// charges before the handler answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Authenticated but not charged, and sent as the handler made it (no
    /// `ETag`, no rate headers added): GitHub's `/rate_limit`.
    Free,
    /// One request from this rate-limit resource's budget (`core`, `search`),
    /// with conditional requests and rate headers handled by the server.
    Budget(&'static str),
}

/// Who is asking: the budget an authenticated request draws on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token, or `anonymous`.
    pub key: String,
    /// The token's per-window `core` limit.
    pub limit: u64,
}

/// Parses a query string into decoded pairs.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` (as a space, form style).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes a query or path component.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Rebuilds a query string from pairs.
pub fn build_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Page request parsed from `per_page`/`page`.
#[derive(Debug, Clone, Copy)]
pub struct PageReq {
    /// 1-based page.
    pub page: usize,
    /// Items per page.
    pub per_page: usize,
}

impl PageReq {
    /// From a request, with a default page size and a maximum of 100.
    pub fn from(req: &Req, default: usize) -> Self {
        let per_page = req
            .q("per_page")
            .and_then(|v| v.parse::<usize>().ok())
            .map_or(default, |v| v.clamp(1, 100));
        let page = req
            .q("page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        Self { page, per_page }
    }

    /// Number of pages for `total` items (at least 1).
    pub fn pages(&self, total: usize) -> usize {
        total.div_ceil(self.per_page).max(1)
    }

    /// The index range of this page.
    pub fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = ((self.page - 1) * self.per_page).min(total);
        start..(start + self.per_page).min(total)
    }
}

/// Joins pre-rendered JSON items into a JSON array.
pub fn json_array<'a>(items: impl Iterator<Item = &'a str> + Clone) -> String {
    let len: usize = items.clone().map(|i| i.len() + 1).sum();
    let mut s = String::with_capacity(len + 2);
    s.push('[');
    for (i, it) in items.enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(it);
    }
    s.push(']');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_round_trip() {
        assert_eq!(percent_decode("a%2Fb+c%zz%"), "a/b c%zz%");
        assert_eq!(percent_encode("mock-org/x y"), "mock-org%2Fx%20y");
        assert_eq!(
            parse_query("a=1&b=x%3Ay&c"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x:y".into()),
                ("c".into(), String::new())
            ]
        );
    }
}
