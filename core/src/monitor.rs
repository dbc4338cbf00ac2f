//! The monitor: dashboard, JSON API, Prometheus metrics, health, harness reports.
//!
//! Security rules: it listens on loopback unless configured otherwise; every forge-sourced
//! string reaches the page through `textContent` (the page never builds HTML from data) or
//! through [`escape`]; the one mutating endpoint is a POST that requires the per-process token
//! embedded in the page (a cross-site form cannot send the header) and, when the browser sends
//! an `Origin`, that it matches the `Host`. Tokens of the key pool are never shown.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::daemon::{DURATION_BUCKETS, Shared};
use crate::forge::Platform;

struct App {
    shared: Arc<Shared>,
    token: String,
    reports_dir: std::path::PathBuf,
}

type St = State<Arc<App>>;

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
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

pub fn router(shared: Arc<Shared>) -> Router {
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
        .route("/api/queue", get(api_queue))
        .route("/api/stats", get(api_stats))
        .route("/api/prioritize/{id}", post(api_prioritize))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/reports", get(reports))
        .route("/reports/{name}", get(report))
        .with_state(app)
}

fn err(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": msg.into()}))).into_response()
}

#[derive(Deserialize)]
struct QueueQuery {
    #[serde(default)]
    search: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    per_page: Option<i64>,
}

async fn api_queue(State(app): St, Query(q): Query<QueueQuery>) -> Response {
    let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    let pattern = format!(
        "%{}%",
        q.search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let mut conn = match app.shared.pool.acquire().await {
        Ok(c) => c,
        Err(e) => return err(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let total: i64 = match sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_ops.collection_queue q JOIN aveloxis_data.repos r USING (repo_id)
          WHERE r.repo_git ILIKE $1",
    )
    .bind(&pattern)
    .fetch_one(&mut *conn)
    .await
    {
        Ok(t) => t,
        Err(e) => return err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let rows = sqlx::query_as::<_, (i64, String, String, i32, String, Option<String>, Option<String>, Option<i64>, i64, i64, i64, i64, i64, i64)>(
        "SELECT q.repo_id, r.repo_git, q.status, q.priority, q.due_at::text, q.last_collected::text,
                q.last_error, q.last_duration_ms,
                (SELECT count(*) FROM aveloxis_data.issues i WHERE i.repo_id = q.repo_id),
                (SELECT count(*) FROM aveloxis_data.pull_requests p WHERE p.repo_id = q.repo_id),
                (SELECT count(DISTINCT cmt_commit_hash) FROM aveloxis_data.commits c WHERE c.repo_id = q.repo_id),
                q.last_issues, q.last_prs, q.last_commits
           FROM aveloxis_ops.collection_queue q JOIN aveloxis_data.repos r USING (repo_id)
          WHERE r.repo_git ILIKE $1
          ORDER BY (q.status = 'collecting') DESC, q.priority, q.due_at, q.repo_id
          LIMIT $2 OFFSET $3",
    )
    .bind(&pattern)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(&mut *conn)
    .await;
    let rows = match rows {
        Ok(r) => r,
        Err(e) => return err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let rows: Vec<_> = rows
        .into_iter()
        .map(|r| {
            json!({"repo_id": r.0, "repo": r.1, "status": r.2, "priority": r.3, "due_at": r.4,
                   "last_collected": r.5, "last_error": r.6, "last_duration_ms": r.7,
                   "gathered": {"issues": r.8, "pull_requests": r.9, "commits": r.10},
                   "last_run": {"issues": r.11, "pull_requests": r.12, "commits": r.13}})
        })
        .collect();
    axum::Json(json!({"total": total, "page": page, "per_page": per_page, "rows": rows}))
        .into_response()
}

async fn api_stats(State(app): St) -> Response {
    let mut conn = match app.shared.pool.acquire().await {
        Ok(c) => c,
        Err(e) => return err(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let stats = match crate::queue::stats(&mut conn).await {
        Ok(s) => s,
        Err(e) => return err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let m = &app.shared.metrics;
    let mut keys = Vec::new();
    for p in [Platform::GitHub, Platform::GitLab] {
        if let Ok(c) = app.shared.collector.client(p) {
            for k in c.keys().health() {
                keys.push(json!({"platform": p.name(), "key_id": k.id, "remaining": k.remaining, "invalid": k.invalid}));
            }
        }
    }
    axum::Json(json!({
        "queue": stats,
        "jobs": {"success": m.jobs_ok.load(Ordering::Relaxed), "failed": m.jobs_failed.load(Ordering::Relaxed),
                 "sidelined": m.jobs_sidelined.load(Ordering::Relaxed)},
        "workers": {"total": app.shared.workers, "busy": m.busy_workers.load(Ordering::Relaxed),
                    "paused": app.shared.paused.load(Ordering::Relaxed)},
        "keys": keys,
    }))
    .into_response()
}

/// Same-origin check for mutating requests.
fn same_origin(app: &App, h: &HeaderMap) -> Result<(), &'static str> {
    let token_ok = h
        .get("x-aveloxis-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t == app.token);
    if !token_ok {
        return Err("missing or wrong X-Aveloxis-Token");
    }
    if let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = h
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        if origin_host != host {
            return Err("cross-origin request refused");
        }
    }
    Ok(())
}

async fn api_prioritize(State(app): St, Path(id): Path<i64>, headers: HeaderMap) -> Response {
    if let Err(why) = same_origin(&app, &headers) {
        return err(StatusCode::FORBIDDEN, why);
    }
    let mut conn = match app.shared.pool.acquire().await {
        Ok(c) => c,
        Err(e) => return err(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM aveloxis_data.repos WHERE repo_id = $1)")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .unwrap_or(false);
    if !exists {
        return err(StatusCode::NOT_FOUND, format!("no repository {id}"));
    }
    match crate::repo_commands::prioritize_repo(&mut conn, id).await {
        Ok(()) => axum::Json(json!({"repo_id": id, "priority": 0})).into_response(),
        Err(e) => err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn healthz(State(app): St) -> Response {
    match sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(&app.shared.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unreachable: {e}\n"),
        )
            .into_response(),
    }
}

fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

async fn metrics(State(app): St) -> Response {
    let m = &app.shared.metrics;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# HELP aveloxis_jobs_total Collection jobs finished, by outcome."
    );
    let _ = writeln!(o, "# TYPE aveloxis_jobs_total counter");
    for (k, v) in [
        ("success", &m.jobs_ok),
        ("failed", &m.jobs_failed),
        ("sidelined", &m.jobs_sidelined),
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
    let _ = writeln!(o, "# HELP aveloxis_busy_workers Workers running a job.");
    let _ = writeln!(o, "# TYPE aveloxis_busy_workers gauge");
    let _ = writeln!(
        o,
        "aveloxis_busy_workers {}",
        m.busy_workers.load(Ordering::Relaxed)
    );
    if let Ok(mut conn) = app.shared.pool.acquire().await
        && let Ok(s) = crate::queue::stats(&mut conn).await
    {
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
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], o).into_response()
}

fn report_names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".md") && !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

async fn reports(State(app): St) -> Html<String> {
    let mut body = String::from("<h1>Harness reports</h1><ul>");
    for n in report_names(&app.reports_dir) {
        let _ = write!(
            body,
            "<li><a href=\"/reports/{0}\">{0}</a></li>",
            escape(&n)
        );
    }
    body.push_str("</ul>");
    Html(shell("Reports", &body))
}

/// Render a harness report: markdown → HTML, sanitised (forge text in reports is untrusted).
pub fn render_markdown(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut raw = String::new();
    html::push_html(
        &mut raw,
        Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH),
    );
    ammonia::clean(&raw)
}

async fn report(State(app): St, Path(name): Path<String>) -> Response {
    // Only plain file names listed in the directory: no paths, no traversal.
    if !report_names(&app.reports_dir).contains(&name) {
        return (
            StatusCode::NOT_FOUND,
            Html(shell("Not found", "<p>No such report.</p>")),
        )
            .into_response();
    }
    match std::fs::read_to_string(app.reports_dir.join(&name)) {
        Ok(md) => Html(shell(&name, &render_markdown(&md))).into_response(),
        Err(e) => err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{} — aveloxis</title>\
         <style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:2px 6px}}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

async fn page(State(app): St) -> Html<String> {
    Html(DASHBOARD.replace("__TOKEN__", &app.token))
}

const DASHBOARD: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>aveloxis</title>
<meta name="aveloxis-token" content="__TOKEN__">
<style>
body{font-family:sans-serif;margin:1.5em} table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px} th{background:#f0f0f0}
.stat{display:inline-block;margin-right:2em} .err{color:#a00}
</style></head>
<body>
<h1>aveloxis</h1>
<div id="stats"></div>
<h2>Keys</h2><table id="keys"><thead><tr><th>platform</th><th>key id</th><th>remaining</th><th>state</th></tr></thead><tbody></tbody></table>
<h2>Queue</h2>
<form id="searchform"><input id="search" placeholder="search repositories"> <button>Search</button></form>
<table id="queue"><thead><tr><th>id</th><th>repository</th><th>status</th><th>priority</th><th>due</th><th>last run</th>
<th>issues (gathered / last run)</th><th>PRs (gathered / last run)</th><th>commits (gathered / last run)</th><th>error</th><th></th></tr></thead><tbody></tbody></table>
<p><button id="prev">previous</button> <span id="pageinfo"></span> <button id="next">next</button></p>
<p><a href="/reports">harness reports</a> · <a href="/metrics">metrics</a></p>
<script>
const token = document.querySelector('meta[name="aveloxis-token"]').content;
let page = 1, search = '';
function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text == null ? '' : String(text); if (cls) td.className = cls; tr.appendChild(td); return td; }
async function loadStats() {
  const s = await (await fetch('/api/stats')).json();
  const box = document.getElementById('stats'); box.textContent = '';
  for (const [k, v] of Object.entries({queued: s.queue.queued, due: s.queue.due, collecting: s.queue.collecting,
       'with errors': s.queue.with_errors, repositories: s.queue.repos, gone: s.queue.gone,
       'jobs ok': s.jobs.success, 'jobs failed': s.jobs.failed, 'busy workers': s.workers.busy + '/' + s.workers.total})) {
    const span = document.createElement('span'); span.className = 'stat'; span.dataset.stat = k;
    span.textContent = k + ': ' + v; box.appendChild(span);
  }
  const kb = document.querySelector('#keys tbody'); kb.textContent = '';
  for (const k of s.keys) { const tr = document.createElement('tr'); cell(tr, k.platform); cell(tr, k.key_id);
    cell(tr, k.remaining); cell(tr, k.invalid ? 'invalid' : 'ok'); kb.appendChild(tr); }
}
async function loadQueue() {
  const q = await (await fetch('/api/queue?page=' + page + '&search=' + encodeURIComponent(search))).json();
  const tb = document.querySelector('#queue tbody'); tb.textContent = '';
  for (const r of q.rows) {
    const tr = document.createElement('tr'); tr.dataset.repoId = r.repo_id;
    cell(tr, r.repo_id); cell(tr, r.repo); cell(tr, r.status); cell(tr, r.priority); cell(tr, r.due_at); cell(tr, r.last_collected);
    cell(tr, r.gathered.issues + ' / ' + r.last_run.issues); cell(tr, r.gathered.pull_requests + ' / ' + r.last_run.pull_requests);
    cell(tr, r.gathered.commits + ' / ' + r.last_run.commits); cell(tr, r.last_error, 'err');
    const b = document.createElement('button'); b.textContent = 'Boost'; b.className = 'boost';
    b.onclick = async () => { const res = await fetch('/api/prioritize/' + r.repo_id, {method: 'POST', headers: {'X-Aveloxis-Token': token}});
      b.textContent = res.ok ? 'Boosted' : 'Failed'; loadQueue(); };
    tr.appendChild(document.createElement('td')).appendChild(b); tb.appendChild(tr);
  }
  document.getElementById('pageinfo').textContent = 'page ' + q.page + ' of ' + Math.max(1, Math.ceil(q.total / q.per_page)) + ' (' + q.total + ' repositories)';
  document.body.dataset.loaded = '1';
}
document.getElementById('searchform').onsubmit = e => { e.preventDefault(); search = document.getElementById('search').value; page = 1; loadQueue(); };
document.getElementById('prev').onclick = () => { if (page > 1) { page--; loadQueue(); } };
document.getElementById('next').onclick = () => { page++; loadQueue(); };
loadStats(); loadQueue(); setInterval(loadStats, 5000);
</script></body></html>"#;

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
