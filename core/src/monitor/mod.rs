//! The monitor: dashboard, JSON API, Prometheus metrics, health, harness reports.
//!
//! Security rules: it listens on loopback unless configured otherwise; every forge-sourced
//! string reaches the page through `textContent` (the page never builds HTML from data) or
//! through [`escape`]; the one mutating endpoint is a POST that requires the per-process token
//! embedded in the page (a cross-site form cannot send the header) and, when the browser sends
//! an `Origin`, that it matches the `Host`. Tokens of the key pool are never shown.

mod api;
mod metrics;
mod reports;

use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::sync::watch;

#[cfg(test)]
use self::reports::render_markdown;
use crate::daemon::Shared;

pub(crate) struct App {
    shared: Arc<Shared>,
    token: String,
    reports_dir: std::path::PathBuf,
}

pub(crate) type St = State<Arc<App>>;

/// Escape text for HTML element content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn random_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The `Host` values the monitor answers to: its bound address, the loopback names with its port
/// when it listens on loopback (or on every address), and the operator's configured names.
fn allowed_hosts(bound: std::net::SocketAddr, configured: &[String]) -> Vec<String> {
    let port = bound.port();
    let mut hosts = vec![bound.to_string()];
    if bound.ip().is_loopback() || bound.ip().is_unspecified() {
        for name in ["localhost", "127.0.0.1", "[::1]"] {
            hosts.push(format!("{name}:{port}"));
        }
    }
    for h in configured {
        let h = h.trim().to_ascii_lowercase();
        if h.contains(':') {
            hosts.push(h);
        } else {
            hosts.push(format!("{h}:{port}"));
        }
    }
    hosts
}

/// Refuse any request whose `Host` is not one of ours: a page on another site that rebinds its
/// name to our address gets neither the dashboard (with its token) nor the API.
async fn host_guard(
    State(allowed): State<Arc<Vec<String>>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = req
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    match host {
        Some(h) if allowed.contains(&h) => next.run(req).await,
        _ => err(
            StatusCode::MISDIRECTED_REQUEST,
            "this Host is not the monitor's (add it to monitor.hosts)",
        ),
    }
}

pub(crate) fn router(shared: Arc<Shared>, allowed: Vec<String>) -> Router {
    let reports_dir = std::env::var_os("AVELOXIS_REPORTS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(".aveloxis-work"));
    let app = Arc::new(App {
        shared,
        token: random_token(),
        reports_dir,
    });
    Router::new()
        .route("/", get(page))
        .route("/api/queue", get(api::api_queue))
        .route("/api/stats", get(api::api_stats))
        .route("/api/quarantine", get(api::api_quarantine))
        .route("/api/prioritize/{id}", post(api::api_prioritize))
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(api::healthz))
        .route("/reports", get(reports::reports))
        .route("/reports/{name}", get(reports::report))
        .with_state(app)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(allowed),
            host_guard,
        ))
}

pub(crate) fn err(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": msg.into()}))).into_response()
}

/// Bind the monitor to `addr` and serve it until `stopping` turns true.
pub(crate) async fn spawn(
    addr: &str,
    hosts: &[String],
    shared: Arc<Shared>,
    mut stopping: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the monitor to {addr}"))?;
    tracing::info!(addr = %listener.local_addr()?, "monitor listening");
    let app = router(shared, allowed_hosts(listener.local_addr()?, hosts));
    Ok(tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopping.wait_for(|s| *s).await;
            })
            .await;
    }))
}

/// The dashboard page: static, with the per-process token in a meta tag.
const DASHBOARD: &str = include_str!("dashboard.html");

async fn page(State(app): St) -> Html<String> {
    Html(DASHBOARD.replace("__TOKEN__", &app.token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_report_rendering_make_forge_text_inert() {
        assert_eq!(
            escape("<script>x</script>&\"'"),
            "&lt;script&gt;x&lt;/script&gt;&amp;&quot;&#39;"
        );
        let html = render_markdown(
            "# r\n\n| t | v |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |\n",
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }
}
