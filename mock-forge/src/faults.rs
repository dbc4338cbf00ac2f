//! Fault injection: per-route rules from the scenario manifest.
//!
//! A rule fires either on exact request numbers (`nth: [2, 5]` counts the
//! requests that match the rule, from 1), on every k-th request
//! (`every: 3`), or with a probability. Probabilities are drawn from a hash
//! of (seed, rule index, request number), so a given request sequence fails
//! the same way on every run.
//!
//! ```yaml
//! faults:
//!   seed: 7
//!   rules:
//!     - route: "/repos/*/*/issues"
//!       method: GET
//!       nth: [2]
//!       fault: { kind: status, status: 502 }
//!     - route: "/repos/*/*/contributors"
//!       fault: { kind: status, status: 403, message: "too large to list" }
//!     - route: "/repos/**"
//!       probability: 0.05
//!       fault: { kind: secondary_rate_limit, retry_after_secs: 1 }
//!     - route: "/repos/*/*/issues"
//!       every: 1
//!       fault: { kind: poison, item: 2, field: created_at, value: "not a date" }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::rng::mix;

/// The `faults:` section of a manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed for probabilistic rules.
    #[serde(default)]
    pub seed: u64,
    /// Rules, checked in order; the first that fires wins.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

/// One rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Path pattern without the `/api/v3` prefix (GitLab paths keep
    /// `/api/v4`). `*` matches one segment, `**` any rest (also empty).
    pub route: String,
    /// Method (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Fire on these request numbers (1-based, counting matching requests).
    #[serde(default)]
    pub nth: Vec<u64>,
    /// Fire on every k-th matching request.
    #[serde(default)]
    pub every: Option<u64>,
    /// Fire with this probability.
    #[serde(default)]
    pub probability: Option<f64>,
    /// Fire at most this many times.
    #[serde(default)]
    pub max: Option<u64>,
    /// What happens.
    pub fault: Fault,
}

/// What a firing rule does to the response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with this status (500/502/503/504, or 410, 409, 403, ...) and a
    /// JSON error body `{"message": ...}`; 204 and 304 have no body.
    Status {
        /// HTTP status.
        status: u16,
        /// Optional `Retry-After` seconds.
        #[serde(default)]
        retry_after_secs: Option<u64>,
        /// The body's `message` (a forge's words, e.g. "Git Repository is
        /// empty."); a generic one when absent.
        #[serde(default)]
        message: Option<String>,
    },
    /// Primary rate limit: 403 (or 429) with `X-RateLimit-Remaining: 0` and
    /// a reset `reset_in_secs` from now (negative: a reset already past, as a
    /// skewed clock or a stale proxy answers).
    RateLimit {
        /// 403 (GitHub's usual) or 429.
        #[serde(default = "default_403")]
        status: u16,
        /// Seconds until reset.
        #[serde(default = "default_60")]
        reset_in_secs: i64,
    },
    /// Secondary rate limit: 403 with `Retry-After`.
    SecondaryRateLimit {
        /// Seconds.
        #[serde(default = "default_60_u")]
        retry_after_secs: u64,
        /// `Retry-After` as an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`)
        /// instead of seconds.
        #[serde(default)]
        http_date: bool,
    },
    /// The normal answer, its `Link` header pointing at another host (the
    /// same path and query on `host`): a client must not follow it with its
    /// credentials.
    ForeignLink {
        /// `scheme://host[:port]` the links are moved to.
        host: String,
    },
    /// Delay the normal response.
    Slow {
        /// Milliseconds.
        delay_ms: u64,
    },
    /// Normal status and headers, body cut in half (invalid JSON).
    Truncate,
    /// Normal status, body replaced by malformed JSON.
    Malformed,
    /// Start the response, then drop the connection mid-body.
    Reset,
    /// Normal status, but one field of one item of the JSON body replaced: a value of the
    /// wrong type or out of range (a `created_at` that is not a date, a string where a number
    /// goes), which a collector must set aside rather than fail on. The body loses its ETag.
    Poison {
        /// Index (from 0) of the item in a list body; an object body is the item itself.
        #[serde(default)]
        item: usize,
        /// The field, as `/`-separated keys (`created_at`, `user/id`); created if absent.
        field: String,
        /// The value put there.
        value: serde_json::Value,
    },
}

impl Fault {
    /// `body` (JSON text) with this poison applied; `None` when the fault is not a poison or
    /// the body is not JSON with such an item.
    pub fn poisoned(&self, body: &[u8]) -> Option<Vec<u8>> {
        let Fault::Poison { item, field, value } = self else {
            return None;
        };
        let mut doc: serde_json::Value = serde_json::from_slice(body).ok()?;
        let mut target = if doc.is_array() {
            doc.get_mut(*item)?
        } else {
            &mut doc
        };
        let mut keys = field.split('/').peekable();
        while let Some(k) = keys.next() {
            let obj = target.as_object_mut()?;
            if keys.peek().is_none() {
                obj.insert(k.to_owned(), value.clone());
                break;
            }
            target = obj
                .entry(k.to_owned())
                .or_insert_with(|| serde_json::json!({}));
        }
        serde_json::to_vec(&doc).ok()
    }
}

fn default_403() -> u16 {
    403
}
fn default_60() -> i64 {
    60
}
fn default_60_u() -> u64 {
    60
}

/// Runtime state: the rules plus per-rule counters.
#[derive(Debug, Default)]
pub struct FaultEngine {
    seed: u64,
    rules: Vec<(FaultRule, AtomicU64, AtomicU64)>,
}

impl FaultEngine {
    /// Engine for a config.
    pub fn new(cfg: &FaultConfig) -> Self {
        Self {
            seed: cfg.seed,
            rules: cfg
                .rules
                .iter()
                .map(|r| (r.clone(), AtomicU64::new(0), AtomicU64::new(0)))
                .collect(),
        }
    }

    /// The fault for this request, if any rule fires. Every matching rule
    /// counts the request, whether or not an earlier rule fired.
    pub fn check(&self, method: &str, path: &str) -> Option<Fault> {
        let mut out = None;
        for (i, (rule, seen, fired)) in self.rules.iter().enumerate() {
            if rule
                .method
                .as_deref()
                .is_some_and(|m| !m.eq_ignore_ascii_case(method))
            {
                continue;
            }
            if !route_matches(&rule.route, path) {
                continue;
            }
            let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
            if out.is_some() {
                continue;
            }
            let mut fire = rule.nth.contains(&n) || rule.every.is_some_and(|k| k > 0 && n % k == 0);
            if let Some(p) = rule.probability {
                let h = mix(mix(self.seed ^ (i as u64) << 32) ^ n);
                fire |= ((h >> 11) as f64 / (1u64 << 53) as f64) < p;
            }
            if fire && rule.max.is_some_and(|m| fired.load(Ordering::SeqCst) >= m) {
                fire = false;
            }
            if fire {
                fired.fetch_add(1, Ordering::SeqCst);
                out = Some(rule.fault.clone());
            }
        }
        out
    }
}

/// Glob match of a path against a route pattern.
pub fn route_matches(pattern: &str, path: &str) -> bool {
    let p: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let s: Vec<&str> = path.trim_matches('/').split('/').collect();
    fn go(p: &[&str], s: &[&str]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(&"**") => (0..=s.len()).any(|k| go(&p[1..], &s[k..])),
            Some(seg) => !s.is_empty() && (*seg == "*" || *seg == s[0]) && go(&p[1..], &s[1..]),
        }
    }
    go(&p, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(route_matches("/repos/*/*/issues", "/repos/a/b/issues"));
        assert!(!route_matches("/repos/*/*/issues", "/repos/a/b/issues/1"));
        assert!(route_matches("/repos/**", "/repos/a/b/issues/1"));
        assert!(route_matches("/**", "/anything"));
        assert!(!route_matches("/repos/*", "/users/x"));
    }

    #[test]
    fn nth_counts_matching_requests_only() {
        let cfg = FaultConfig {
            seed: 0,
            rules: vec![FaultRule {
                route: "/x".into(),
                method: Some("GET".into()),
                nth: vec![2],
                every: None,
                probability: None,
                max: None,
                fault: Fault::Truncate,
            }],
        };
        let e = FaultEngine::new(&cfg);
        assert_eq!(e.check("GET", "/y"), None);
        assert_eq!(e.check("GET", "/x"), None);
        assert_eq!(e.check("POST", "/x"), None);
        assert_eq!(e.check("GET", "/x"), Some(Fault::Truncate));
        assert_eq!(e.check("GET", "/x"), None);
    }

    #[test]
    fn a_poison_replaces_one_field_of_one_item() {
        let f: Fault = serde_json::from_value(serde_json::json!(
            {"kind": "poison", "item": 1, "field": "user/id", "value": "x"}
        ))
        .unwrap();
        let body = br#"[{"id": 1, "user": {"id": 7}}, {"id": 2, "user": {"id": 8}}]"#;
        let out: serde_json::Value = serde_json::from_slice(&f.poisoned(body).unwrap()).unwrap();
        assert_eq!(
            out,
            serde_json::json!([{"id": 1, "user": {"id": 7}}, {"id": 2, "user": {"id": "x"}}])
        );
        let top = Fault::Poison {
            item: 0,
            field: "created_at".into(),
            value: serde_json::json!(12),
        };
        let out = top.poisoned(br#"{"id": 1}"#).unwrap();
        assert_eq!(out, br#"{"created_at":12,"id":1}"#.to_vec());
        assert_eq!(top.poisoned(b"[]"), None, "no such item");
        assert_eq!(top.poisoned(b"not json"), None);
        assert_eq!(Fault::Truncate.poisoned(b"[]"), None);
    }

    #[test]
    fn probability_is_deterministic() {
        let cfg = FaultConfig {
            seed: 42,
            rules: vec![FaultRule {
                route: "/**".into(),
                method: None,
                nth: vec![],
                every: None,
                probability: Some(0.3),
                max: None,
                fault: Fault::Malformed,
            }],
        };
        let run = || {
            let e = FaultEngine::new(&cfg);
            (0..200)
                .map(|_| e.check("GET", "/a").is_some())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let fired = a.iter().filter(|f| **f).count();
        assert!((30..90).contains(&fired), "fired {fired} of 200");
    }
}
