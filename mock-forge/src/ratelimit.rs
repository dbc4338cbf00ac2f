//! Per-token rate-limit accounting, shaped like GitHub's (and GitLab's)
//! headers: a fixed window per token and resource that resets at
//! `X-RateLimit-Reset`.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Rate-limit settings of a scenario.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests per window per token (`core` resource). GitHub: 5000.
    pub limit: u64,
    /// Window length. GitHub: 3600 s.
    pub window_secs: u64,
    /// Requests per window for `search`. GitHub: 30 per minute.
    pub search_limit: u64,
    /// Search window.
    pub search_window_secs: u64,
    /// Requests per window without a token (0 = require a token: 401).
    pub anonymous_limit: u64,
    /// Status once exhausted on GitHub: 403 (GitHub's usual) or 429.
    /// GitLab always answers 429.
    pub exhausted_status: u16,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            limit: 5000,
            window_secs: 3600,
            search_limit: 30,
            search_window_secs: 60,
            anonymous_limit: 60,
            exhausted_status: 403,
        }
    }
}

/// The numbers reported in headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Limit.
    pub limit: u64,
    /// Remaining after this request.
    pub remaining: u64,
    /// Used in this window.
    pub used: u64,
    /// Reset time (Unix seconds).
    pub reset: i64,
    /// `core` or `search`.
    pub resource: &'static str,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    limit: u64,
    used: u64,
    reset: i64,
}

/// The accounting state of a running forge.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<(String, &'static str), Bucket>>,
}

impl RateLimiter {
    /// Takes one request from `key`'s `resource` bucket. `Err` carries the
    /// (exhausted) snapshot; nothing is taken then.
    pub fn take(
        &self,
        key: &str,
        resource: &'static str,
        limit: u64,
        window: u64,
        now: i64,
    ) -> Result<Snapshot, Snapshot> {
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = b.entry((key.to_string(), resource)).or_insert(Bucket {
            limit,
            used: 0,
            reset: now + window as i64,
        });
        if now >= bucket.reset {
            *bucket = Bucket {
                limit,
                used: 0,
                reset: now + window as i64,
            };
        }
        let snap = |bk: &Bucket| Snapshot {
            limit: bk.limit,
            remaining: bk.limit.saturating_sub(bk.used),
            used: bk.used,
            reset: bk.reset,
            resource,
        };
        if bucket.used >= bucket.limit {
            return Err(snap(bucket));
        }
        bucket.used += 1;
        Ok(snap(bucket))
    }

    /// Gives one request back (a 304 costs nothing).
    pub fn refund(&self, key: &str, resource: &'static str) -> Option<Snapshot> {
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = b.get_mut(&(key.to_string(), resource))?;
        bucket.used = bucket.used.saturating_sub(1);
        Some(Snapshot {
            limit: bucket.limit,
            remaining: bucket.limit.saturating_sub(bucket.used),
            used: bucket.used,
            reset: bucket.reset,
            resource,
        })
    }

    /// Current numbers without taking anything.
    pub fn peek(
        &self,
        key: &str,
        resource: &'static str,
        limit: u64,
        window: u64,
        now: i64,
    ) -> Snapshot {
        let b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        match b.get(&(key.to_string(), resource)) {
            Some(bk) if now < bk.reset => Snapshot {
                limit: bk.limit,
                remaining: bk.limit.saturating_sub(bk.used),
                used: bk.used,
                reset: bk.reset,
                resource,
            },
            _ => Snapshot {
                limit,
                remaining: limit,
                used: 0,
                reset: now + window as i64,
                resource,
            },
        }
    }

    /// Sets a token's remaining budget (tests use this to start exhausted).
    pub fn set_remaining(
        &self,
        key: &str,
        resource: &'static str,
        limit: u64,
        remaining: u64,
        reset: i64,
    ) {
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        b.insert(
            (key.to_string(), resource),
            Bucket {
                limit,
                used: limit.saturating_sub(remaining),
                reset,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausts_and_resets() {
        let r = RateLimiter::default();
        assert_eq!(r.take("t", "core", 2, 10, 100).unwrap().remaining, 1);
        assert_eq!(r.take("t", "core", 2, 10, 100).unwrap().remaining, 0);
        let e = r.take("t", "core", 2, 10, 105).unwrap_err();
        assert_eq!((e.remaining, e.reset), (0, 110));
        assert_eq!(r.take("other", "core", 2, 10, 105).unwrap().remaining, 1);
        assert_eq!(r.take("t", "core", 2, 10, 110).unwrap().remaining, 1);
        assert_eq!(r.refund("t", "core").unwrap().remaining, 2);
    }
}
