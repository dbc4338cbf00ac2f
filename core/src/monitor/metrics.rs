//! `/metrics`: the daemon's counters, queue depth, key budgets and job durations in the
//! Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{App, St};
use crate::daemon::DURATION_BUCKETS;
use crate::daemon::Metrics;
use crate::forge::Platform;

fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub(super) async fn metrics(State(app): St) -> Response {
    let m = &app.shared.metrics;
    let mut o = String::new();
    counters(&mut o, m);
    if let Ok(mut conn) = app.shared.pool.acquire().await
        && let Ok(s) = crate::queue::stats(&mut conn).await
    {
        queue_depth(&mut o, &s);
    }
    rate_limits(&mut o, &app);
    durations(&mut o, m);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], o).into_response()
}

/// Jobs by outcome, errors by class, busy workers.
fn counters(o: &mut String, m: &Metrics) {
    let _ = writeln!(
        o,
        "# HELP aveloxis_jobs_total Collection jobs finished, by outcome."
    );
    let _ = writeln!(o, "# TYPE aveloxis_jobs_total counter");
    for (k, v) in [
        ("success", &m.jobs_ok),
        ("failed", &m.jobs_failed),
        ("sidelined", &m.jobs_sidelined),
        ("lost", &m.jobs_lost),
    ] {
        let _ = writeln!(
            o,
            "aveloxis_jobs_total{{outcome=\"{k}\"}} {}",
            v.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        o,
        "# HELP aveloxis_errors_total Collection errors by class."
    );
    let _ = writeln!(o, "# TYPE aveloxis_errors_total counter");
    if let Ok(e) = m.errors.lock() {
        for (class, n) in e.iter() {
            let _ = writeln!(o, "aveloxis_errors_total{{class=\"{}\"}} {n}", label(class));
        }
    }
    let _ = writeln!(
        o,
        "# HELP aveloxis_contributor_profiles_total Contributor profiles fetched, by outcome."
    );
    let _ = writeln!(o, "# TYPE aveloxis_contributor_profiles_total counter");
    for (k, v) in [
        ("enriched", &m.profiles_enriched),
        ("not_found", &m.profiles_not_found),
    ] {
        let _ = writeln!(
            o,
            "aveloxis_contributor_profiles_total{{outcome=\"{k}\"}} {}",
            v.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        o,
        "# HELP aveloxis_enrichment_reserve_stops_total Enrichment passes stopped at the key reserve."
    );
    let _ = writeln!(o, "# TYPE aveloxis_enrichment_reserve_stops_total counter");
    let _ = writeln!(
        o,
        "aveloxis_enrichment_reserve_stops_total {}",
        m.enrich_reserve_stops.load(Ordering::Relaxed)
    );
    let _ = writeln!(o, "# HELP aveloxis_busy_workers Workers running a job.");
    let _ = writeln!(o, "# TYPE aveloxis_busy_workers gauge");
    let _ = writeln!(
        o,
        "aveloxis_busy_workers {}",
        m.busy_workers.load(Ordering::Relaxed)
    );
}

fn queue_depth(o: &mut String, s: &crate::queue::Stats) {
    let _ = writeln!(
        o,
        "# HELP aveloxis_queue_depth Repositories in the queue, by state."
    );
    let _ = writeln!(o, "# TYPE aveloxis_queue_depth gauge");
    for (k, v) in [
        ("queued", s.queued),
        ("due", s.due),
        ("collecting", s.collecting),
        ("with_errors", s.with_errors),
    ] {
        let _ = writeln!(o, "aveloxis_queue_depth{{state=\"{k}\"}} {v}");
    }
}

/// Requests left per API key (tokens are never shown, only key ids).
fn rate_limits(o: &mut String, app: &App) {
    let _ = writeln!(
        o,
        "# HELP aveloxis_rate_limit_remaining Requests left in the current window, per API key."
    );
    let _ = writeln!(o, "# TYPE aveloxis_rate_limit_remaining gauge");
    for p in [Platform::GitHub, Platform::GitLab] {
        if let Ok(c) = app.shared.collector.client(p) {
            for k in c.keys().health() {
                if let Some(r) = k.remaining {
                    let _ = writeln!(
                        o,
                        "aveloxis_rate_limit_remaining{{platform=\"{}\",key_id=\"{}\"}} {r}",
                        p.name(),
                        k.id
                    );
                }
            }
        }
    }
}

fn durations(o: &mut String, m: &Metrics) {
    let _ = writeln!(
        o,
        "# HELP aveloxis_job_duration_seconds Duration of collection jobs."
    );
    let _ = writeln!(o, "# TYPE aveloxis_job_duration_seconds histogram");
    if let Ok(d) = m.durations.lock() {
        for (i, b) in DURATION_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                o,
                "aveloxis_job_duration_seconds_bucket{{le=\"{b}\"}} {}",
                d.0.get(i).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(
            o,
            "aveloxis_job_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            d.2
        );
        let _ = writeln!(o, "aveloxis_job_duration_seconds_sum {}", d.1);
        let _ = writeln!(o, "aveloxis_job_duration_seconds_count {}", d.2);
    }
}
