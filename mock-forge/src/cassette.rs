//! Cassettes: recorded HTTP interactions, and the replay matcher.
//!
//! Two formats load:
//! - ours ([`Cassette`], written by the recorder): an object with `format`,
//!   `upstream` and `interactions`;
//! - `@octokit/fixtures`' `normalized-fixture.json`, as-is: an array of
//!   `{scope, method, path, body, status, response, reqheaders, headers}`.
//!
//! Both become a list of [`Interaction`]s. Replay matches method, path and
//! query (as a multiset, order-insensitive) and, when both sides carry JSON,
//! the request body. Interactions are consumed in recorded order, so a
//! request recorded twice with different answers (a PATCH that first returns
//! 200 and then 307) replays both; once all matches are used, the last one
//! answers again. Absolute upstream URLs in headers and bodies are rewritten
//! to the mock forge's own base URL.

use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Format tag of our cassettes.
pub const FORMAT: &str = "aveloxis-mock-forge-cassette/1";

/// Our cassette file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cassette {
    /// Always [`FORMAT`].
    pub format: String,
    /// Upstream origin the interactions were recorded from
    /// (`https://api.github.com`); rewritten on replay.
    pub upstream: String,
    /// Interactions in recorded order.
    pub interactions: Vec<Interaction>,
}

/// One request and its response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Interaction {
    /// Upstream origin, e.g. `https://api.github.com` (no trailing slash).
    #[serde(default)]
    pub origin: String,
    /// Upper-case method.
    pub method: String,
    /// Path with query, e.g. `/repos/o/r/issues?per_page=3`.
    pub path: String,
    /// Request headers worth keeping (tokens scrubbed).
    #[serde(default)]
    pub request_headers: Vec<(String, String)>,
    /// Request body (JSON when it parsed).
    #[serde(default)]
    pub request_body: Option<Value>,
    /// Response status.
    pub status: u16,
    /// Response headers (lower-case names).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Response body: JSON value, or a string for non-JSON bodies.
    #[serde(default)]
    pub body: Value,
}

#[derive(Deserialize)]
struct OctokitEntry {
    scope: String,
    method: String,
    path: String,
    #[serde(default)]
    body: Value,
    status: u16,
    #[serde(default)]
    response: Value,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    #[serde(default)]
    reqheaders: serde_json::Map<String, Value>,
}

fn origin_of_scope(scope: &str) -> String {
    let s = scope.trim_end_matches('/');
    s.strip_suffix(":443")
        .filter(|_| s.starts_with("https://"))
        .or_else(|| s.strip_suffix(":80").filter(|_| s.starts_with("http://")))
        .unwrap_or(s)
        .to_string()
}

fn value_to_header(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses either cassette format from JSON text.
pub fn parse(text: &str) -> anyhow::Result<Vec<Interaction>> {
    let v: Value = serde_json::from_str(text).context("cassette is not JSON")?;
    if v.is_array() {
        let entries: Vec<OctokitEntry> =
            serde_json::from_value(v).context("not an @octokit/fixtures normalized fixture")?;
        return Ok(entries
            .into_iter()
            .map(|e| Interaction {
                origin: origin_of_scope(&e.scope),
                method: e.method.to_ascii_uppercase(),
                path: e.path,
                request_headers: e
                    .reqheaders
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), value_to_header(v)))
                    .collect(),
                request_body: match e.body {
                    Value::String(s) if s.is_empty() => None,
                    Value::Null => None,
                    b => Some(b),
                },
                status: e.status,
                headers: e
                    .headers
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), value_to_header(v)))
                    .collect(),
                body: e.response,
            })
            .collect());
    }
    let c: Cassette = serde_json::from_value(v).context("not a mock-forge cassette")?;
    anyhow::ensure!(c.format == FORMAT, "unknown cassette format {:?}", c.format);
    let upstream = c.upstream.trim_end_matches('/').to_string();
    Ok(c.interactions
        .into_iter()
        .map(|mut i| {
            if i.origin.is_empty() {
                i.origin.clone_from(&upstream);
            }
            i
        })
        .collect())
}

/// Loads a cassette file.
pub fn load(path: &Path) -> anyhow::Result<Vec<Interaction>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("loading cassette {}", path.display()))
}

fn split_query(path_and_query: &str) -> (&str, Vec<(String, String)>) {
    let (p, q) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut params: Vec<(String, String)> = q
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (
                crate::http::percent_decode(k),
                crate::http::percent_decode(v),
            )
        })
        .collect();
    params.sort();
    (p, params)
}

/// A loaded set of interactions with per-interaction use counters.
#[derive(Debug, Default)]
pub struct Replayer {
    interactions: Vec<Interaction>,
    used: Mutex<Vec<u32>>,
}

impl Replayer {
    /// Replays `interactions`.
    pub fn new(interactions: Vec<Interaction>) -> Self {
        let n = interactions.len();
        Self {
            interactions,
            used: Mutex::new(vec![0; n]),
        }
    }

    /// True when nothing is loaded.
    pub fn is_empty(&self) -> bool {
        self.interactions.is_empty()
    }

    /// Number of interactions loaded.
    pub fn len(&self) -> usize {
        self.interactions.len()
    }

    /// Finds the interaction answering this request.
    pub fn find(&self, method: &str, path_and_query: &str, body: &[u8]) -> Option<&Interaction> {
        let (path, params) = split_query(path_and_query);
        let body_json: Option<Value> = serde_json::from_slice(body).ok();
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let mut last_used = None;
        for (i, it) in self.interactions.iter().enumerate() {
            if !it.method.eq_ignore_ascii_case(method) {
                continue;
            }
            let (ip, iparams) = split_query(&it.path);
            if ip != path || iparams != params {
                continue;
            }
            if let (Some(want), Some(got)) = (&it.request_body, &body_json)
                && want.is_object()
                && want != got
            {
                continue;
            }
            if used[i] == 0 {
                used[i] += 1;
                return Some(it);
            }
            last_used = Some(i);
        }
        let i = last_used?;
        used[i] += 1;
        Some(&self.interactions[i])
    }
}

/// Replaces every absolute `origin` URL in `s` with `base`.
pub fn rewrite(s: &str, origin: &str, base: &str) -> String {
    if origin.is_empty() {
        return s.to_string();
    }
    // Some recordings spell the default port out; replace that form first.
    let mut out = s.to_string();
    if let Some(host) = origin.strip_prefix("https://") {
        out = out.replace(&format!("https://{host}:443"), base);
    }
    out.replace(origin, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octokit_entries_parse() {
        let text = r#"[{"scope":"https://api.github.com:443","method":"get","path":"/x?b=2&a=1",
            "body":"","status":200,"response":{"ok":true},"reqheaders":{"content-length":3},
            "headers":{"Link":"<https://api.github.com/x?page=2>; rel=\"next\""}}]"#;
        let it = parse(text).unwrap();
        assert_eq!(it[0].origin, "https://api.github.com");
        assert_eq!(it[0].method, "GET");
        assert_eq!(it[0].request_body, None);
        assert_eq!(it[0].headers[0].0, "link");
        let r = Replayer::new(it);
        assert!(
            r.find("GET", "/x?a=1&b=2", b"").is_some(),
            "query order must not matter"
        );
        assert!(r.find("GET", "/x?a=1", b"").is_none());
        assert!(r.find("POST", "/x?a=1&b=2", b"").is_none());
    }

    #[test]
    fn rewrite_handles_port_spelling() {
        let s = "<https://api.github.com:443/a>, <https://api.github.com/b>";
        assert_eq!(
            rewrite(s, "https://api.github.com", "http://127.0.0.1:9"),
            "<http://127.0.0.1:9/a>, <http://127.0.0.1:9/b>"
        );
    }
}
