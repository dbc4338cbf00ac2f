//! The daemon's counters (exported by the monitor on `/metrics`) and the error classes they
//! count.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use crate::forge::client::ForgeError;

/// Counters exported on `/metrics`.
#[derive(Default)]
pub struct Metrics {
    pub jobs_ok: AtomicU64,
    pub jobs_failed: AtomicU64,
    pub jobs_sidelined: AtomicU64,
    /// Jobs cancelled or refused because their claim was lost.
    pub jobs_lost: AtomicU64,
    pub errors: std::sync::Mutex<BTreeMap<&'static str, u64>>,
    /// Job durations in seconds: (bucket upper bounds counts, sum, count).
    pub durations: std::sync::Mutex<(Vec<u64>, f64, u64)>,
    pub busy_workers: AtomicU64,
    /// Contributor profiles written, and accounts the forge no longer had.
    pub profiles_enriched: AtomicU64,
    pub profiles_not_found: AtomicU64,
    /// Enrichment passes stopped because every key was down to its reserve.
    pub enrich_reserve_stops: AtomicU64,
}

/// Histogram bucket bounds for job durations (seconds).
pub const DURATION_BUCKETS: &[f64] = &[0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0, 7200.0];

impl Metrics {
    pub(super) fn observe(&self, secs: f64) {
        if let Ok(mut d) = self.durations.lock() {
            if d.0.is_empty() {
                d.0 = vec![0; DURATION_BUCKETS.len()];
            }
            for (i, b) in DURATION_BUCKETS.iter().enumerate() {
                if secs <= *b {
                    d.0[i] += 1;
                }
            }
            d.1 += secs;
            d.2 += 1;
        }
    }

    pub(super) fn enriched(&self, e: &crate::collect::enrich::Enriched) {
        use std::sync::atomic::Ordering::Relaxed;
        self.profiles_enriched.fetch_add(e.profiles, Relaxed);
        self.profiles_not_found.fetch_add(e.not_found, Relaxed);
        if e.reserve_reached {
            self.enrich_reserve_stops.fetch_add(1, Relaxed);
        }
    }

    pub(super) fn error(&self, class: &'static str) {
        if let Ok(mut e) = self.errors.lock() {
            *e.entry(class).or_default() += 1;
        }
    }
}

/// The error class of a failed job (a label of `aveloxis_errors_total`).
pub(super) fn classify(e: &anyhow::Error) -> &'static str {
    if let Some(f) = e.downcast_ref::<ForgeError>() {
        return match f {
            ForgeError::NotFound { .. } | ForgeError::Gone { .. } => "forge_not_found",
            ForgeError::Forbidden { .. } => "forge_forbidden",
            ForgeError::NoKeys { .. } => "no_keys",
            ForgeError::Exhausted { .. } => "forge_unavailable",
            _ => "forge_other",
        };
    }
    if e.chain().any(|c| c.is::<sqlx::Error>()) {
        return "database";
    }
    "other"
}
