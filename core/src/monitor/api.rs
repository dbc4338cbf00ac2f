//! The JSON API (`/api/queue` — each row with its repository's optional-endpoint notes —,
//! `/api/stats`, `/api/quarantine`, the one mutating `POST /api/prioritize/{id}`) and `/healthz`.

use std::sync::atomic::Ordering;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::{App, St, err};
use crate::forge::Platform;

/// One row of the dashboard's queue table.
struct QueueRow {
    repo_id: i64,
    repo: String,
    status: String,
    priority: i32,
    due_at: String,
    last_collected: Option<String>,
    last_error: Option<String>,
    last_duration_ms: Option<i64>,
    gathered_issues: i64,
    gathered_prs: i64,
    gathered_commits: i64,
    last_issues: i64,
    last_prs: i64,
    last_commits: i64,
}

impl<'r> sqlx::FromRow<'r, PgRow> for QueueRow {
    fn from_row(r: &'r PgRow) -> Result<Self, sqlx::Error> {
        Ok(QueueRow {
            repo_id: r.try_get("repo_id")?,
            repo: r.try_get("repo_git")?,
            status: r.try_get("status")?,
            priority: r.try_get("priority")?,
            due_at: r.try_get("due_at")?,
            last_collected: r.try_get("last_collected")?,
            last_error: r.try_get("last_error")?,
            last_duration_ms: r.try_get("last_duration_ms")?,
            gathered_issues: r.try_get("gathered_issues")?,
            gathered_prs: r.try_get("gathered_prs")?,
            gathered_commits: r.try_get("gathered_commits")?,
            last_issues: r.try_get("last_issues")?,
            last_prs: r.try_get("last_prs")?,
            last_commits: r.try_get("last_commits")?,
        })
    }
}

impl QueueRow {
    fn to_json(&self, notes: Vec<Value>) -> Value {
        json!({"repo_id": self.repo_id, "repo": self.repo, "status": self.status,
               "priority": self.priority, "due_at": self.due_at,
               "last_collected": self.last_collected, "last_error": self.last_error,
               "last_duration_ms": self.last_duration_ms,
               "gathered": {"issues": self.gathered_issues, "pull_requests": self.gathered_prs,
                            "commits": self.gathered_commits},
               "last_run": {"issues": self.last_issues, "pull_requests": self.last_prs,
                            "commits": self.last_commits},
               "notes": notes})
    }
}

/// The optional-endpoint notes of these repositories (`aveloxis_ops.endpoint_notes`), by id.
async fn notes_of(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Value>>, sqlx::Error> {
    let rows: Vec<(i64, String, i16, String, Option<String>, String)> = sqlx::query_as(
        "SELECT repo_id, endpoint, status, reason, message, noted_at::text
           FROM aveloxis_ops.endpoint_notes WHERE repo_id = ANY($1) ORDER BY repo_id, endpoint",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    let mut by_repo: std::collections::HashMap<i64, Vec<Value>> = Default::default();
    for (id, endpoint, status, reason, message, noted_at) in rows {
        by_repo
            .entry(id)
            .or_default()
            .push(json!({"endpoint": endpoint, "status": status,
            "reason": reason, "message": message, "noted_at": noted_at}));
    }
    Ok(by_repo)
}

async fn queue_rows(
    conn: &mut PgConnection,
    pattern: &str,
    per_page: i64,
    page: i64,
) -> Result<Vec<QueueRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT q.repo_id, r.repo_git, q.status, q.priority, q.due_at::text AS due_at,
                q.last_collected::text AS last_collected, q.last_error, q.last_duration_ms,
                (SELECT count(*) FROM aveloxis_data.issues i WHERE i.repo_id = q.repo_id) AS gathered_issues,
                (SELECT count(*) FROM aveloxis_data.pull_requests p WHERE p.repo_id = q.repo_id) AS gathered_prs,
                (SELECT count(DISTINCT cmt_commit_hash) FROM aveloxis_data.commits c WHERE c.repo_id = q.repo_id)
                    AS gathered_commits,
                q.last_issues, q.last_prs, q.last_commits
           FROM aveloxis_ops.collection_queue q JOIN aveloxis_data.repos r USING (repo_id)
          WHERE r.repo_git ILIKE $1
          ORDER BY (q.status = 'collecting') DESC, q.priority, q.due_at, q.repo_id
          LIMIT $2 OFFSET $3",
    )
    .bind(pattern)
    .bind(per_page)
    .bind((page - 1) * per_page)
    .fetch_all(conn)
    .await
}

#[derive(Deserialize)]
pub(super) struct QueueQuery {
    #[serde(default)]
    search: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    per_page: Option<i64>,
}

pub(super) async fn api_queue(State(app): St, Query(q): Query<QueueQuery>) -> Response {
    let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
    // Bounded so the offset arithmetic cannot overflow, whatever the query says.
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
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
    let rows = match queue_rows(&mut conn, &pattern, per_page, page).await {
        Ok(r) => r,
        Err(e) => return err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.repo_id).collect();
    let mut notes = match notes_of(&mut conn, &ids).await {
        Ok(n) => n,
        Err(e) => return err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let rows: Vec<_> = rows
        .iter()
        .map(|r| r.to_json(notes.remove(&r.repo_id).unwrap_or_default()))
        .collect();
    axum::Json(json!({"total": total, "page": page, "per_page": per_page, "rows": rows}))
        .into_response()
}

pub(super) async fn api_stats(State(app): St) -> Response {
    let mut conn = match app.shared.pool.acquire().await {
        Ok(c) => c,
        Err(e) => return err(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let stats = match crate::queue::stats(&mut conn).await {
        Ok(s) => s,
        Err(e) => return err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let m = &app.shared.metrics;
    let pending = crate::collect::enrich::pending(&mut conn, &app.shared.collector.cfg)
        .await
        .ok();
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
        "profiles": {"enriched": m.profiles_enriched.load(Ordering::Relaxed), "pending": pending},
    }))
    .into_response()
}

#[derive(Deserialize)]
pub(super) struct QuarantineQuery {
    #[serde(default)]
    repo_id: Option<i64>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    per_page: Option<i64>,
}

/// The quarantined items (of one repository with `repo_id`), most recently seen first, each
/// with its reason and the item as received.
pub(super) async fn api_quarantine(State(app): St, Query(q): Query<QuarantineQuery>) -> Response {
    let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let mut conn = match app.shared.pool.acquire().await {
        Ok(c) => c,
        Err(e) => return err(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let total = match crate::quarantine::count(&mut conn, q.repo_id).await {
        Ok(t) => t,
        Err(e) => return err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let offset = (page - 1) * per_page;
    match crate::quarantine::list(&mut conn, q.repo_id, per_page, offset).await {
        Ok(rows) => {
            axum::Json(json!({"total": total, "page": page, "per_page": per_page, "rows": rows}))
                .into_response()
        }
        Err(e) => err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
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

pub(super) async fn api_prioritize(
    State(app): St,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    if let Err(why) = same_origin(&app, &headers) {
        return err(StatusCode::FORBIDDEN, why);
    }
    let mut conn = match app.shared.pool.acquire().await {
        Ok(c) => c,
        Err(e) => return err(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let exists = crate::repos::exists(&mut conn, id).await.unwrap_or(false);
    if !exists {
        return err(StatusCode::NOT_FOUND, format!("no repository {id}"));
    }
    match crate::queue::prioritize(&mut conn, id).await {
        Ok(()) => axum::Json(json!({"repo_id": id, "priority": 0})).into_response(),
        Err(e) => err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub(super) async fn healthz(State(app): St) -> Response {
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
