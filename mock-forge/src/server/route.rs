//! Routing: each request is classified by path (GitHub API at the root or
//! under `/api/v3`, GitLab under `/api/v4`, web pages, git), faults are
//! injected, recorded cassettes are replayed, API requests are
//! authenticated and charged around their handler, and whatever nothing
//! answers gets a loud 501.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;

use super::access::{self, Platform};
use super::admin;
use super::git_http::git_http;
use super::respond::{immediate_fault, into_response};
use crate::cassette::rewrite;
use crate::faults::Fault;
use crate::forge::{Days, Forge};
use crate::http::{Caller, Charge, Layout, Reply, Req, parse_query};
use crate::{github, gitlab, web};

/// GitHub API root segments (everything else at the root is web or git).
const GITHUB_ROOTS: &[&str] = &[
    "repos",
    "repositories",
    "users",
    "user",
    "orgs",
    "search",
    "rate_limit",
    "graphql",
    "meta",
    "organizations",
];

/// The layout of a path, and the path the handlers see (without the
/// `/api/v3` or `/api/v4` prefix).
pub(super) fn classify(path: &str) -> (Layout, String) {
    if let Some(rest) = path.strip_prefix("/api/v3")
        && (rest.is_empty() || rest.starts_with('/'))
    {
        let rest = if rest.is_empty() {
            "/".to_string()
        } else {
            rest.to_string()
        };
        return (Layout::GitHubEnterprise, rest);
    }
    if let Some(rest) = path.strip_prefix("/api/v4")
        && (rest.is_empty() || rest.starts_with('/'))
    {
        let rest = if rest.is_empty() {
            "/".to_string()
        } else {
            rest.to_string()
        };
        return (Layout::GitLab, rest);
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if path == "/" || GITHUB_ROOTS.contains(&first) {
        return (Layout::GitHubRoot, path.to_string());
    }
    let mut segs = path.trim_start_matches('/').splitn(3, '/');
    segs.next();
    if segs.next().is_some_and(|s| s.ends_with(".git")) {
        return (Layout::Git, path.to_string());
    }
    (Layout::Web, path.to_string())
}

/// The fallback handler: every request comes through here, and is answered from the day of
/// the world its key sees (the admin route aside).
pub(super) async fn handle(
    State(days): State<Arc<Days>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let (layout, path) = classify(&raw_path);
    let req = Req {
        method: parts.method.as_str().to_ascii_uppercase(),
        path,
        raw_path: raw_path.clone(),
        query: parse_query(&raw_query),
        raw_query,
        headers: parts.headers,
        body,
        layout,
    };
    if req.raw_path == admin::DAY_ROUTE {
        return into_response(admin::day(&days, &req, peer), None);
    }
    let forge = Arc::clone(days.forge_for(access::day_key(&req).as_deref()));
    forge.requests.fetch_add(1, Ordering::Relaxed);
    let fault_path = if layout == Layout::GitLab {
        format!("/api/v4{}", req.path)
    } else {
        req.path.clone()
    };
    let fault = forge.faults.check(&req.method, &fault_path);
    if let Some(f) = &fault {
        tracing::info!(method = %req.method, path = %raw_path, fault = ?f, "mock-forge: injecting fault");
        if let Some(r) = immediate_fault(f) {
            return into_response(r, None);
        }
        if let Fault::Slow { delay_ms } = f {
            tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
        }
    }
    let reply = route(&forge, &req).await;
    tracing::debug!(method = %req.method, path = %raw_path, status = reply.status, "mock-forge");
    into_response(reply, fault.as_ref())
}

/// Replays a recorded interaction, if one matches.
fn replay(forge: &Forge, req: &Req) -> Option<Reply> {
    let raw_pq = if req.raw_query.is_empty() {
        req.raw_path.clone()
    } else {
        format!("{}?{}", req.raw_path, req.raw_query)
    };
    let it = forge.replayer.find(&req.method, &raw_pq, &req.body)?;
    let mut r = Reply {
        status: it.status,
        headers: Vec::new(),
        body: Bytes::new(),
    };
    for (k, v) in &it.headers {
        if matches!(
            k.as_str(),
            "content-length" | "transfer-encoding" | "connection" | "content-encoding"
        ) {
            continue;
        }
        r.headers
            .push((k.clone(), rewrite(v, &it.origin, &forge.base)));
    }
    let text = match &it.body {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        v => v.to_string(),
    };
    r.body = Bytes::from(rewrite(&text, &it.origin, &forge.base));
    Some(r)
}

async fn route(forge: &Arc<Forge>, req: &Req) -> Reply {
    if !forge.replayer.is_empty() {
        if let Some(r) = replay(forge, req) {
            return r;
        }
        if forge.world.repos.is_empty() {
            let raw_pq = if req.raw_query.is_empty() {
                req.raw_path.clone()
            } else {
                format!("{}?{}", req.raw_path, req.raw_query)
            };
            return unmatched(forge, &req.method, &raw_pq, "no recorded interaction");
        }
    }
    let answer = match req.layout {
        Layout::GitHubRoot | Layout::GitHubEnterprise => github::route(req).map(|r| {
            let charge = r.charge();
            api(forge, req, Platform::GitHub, charge, |c| {
                github::answer(forge, req, r, c)
            })
        }),
        Layout::GitLab => gitlab::route(req).map(|e| {
            api(forge, req, Platform::GitLab, Charge::Budget("core"), |c| {
                gitlab::answer(forge, req, e, c)
            })
        }),
        Layout::Web => web::page(forge, req),
        Layout::Git => return git_http(forge, req).await,
    };
    answer.unwrap_or_else(|| {
        let pq = if req.raw_query.is_empty() {
            req.path.clone()
        } else {
            format!("{}?{}", req.path, req.raw_query)
        };
        let full = match req.layout {
            Layout::GitHubEnterprise => format!("/api/v3{pq}"),
            Layout::GitLab => format!("/api/v4{pq}"),
            _ => pq,
        };
        unmatched(forge, &req.method, &full, "no handler for this endpoint")
    })
}

/// Authenticates (and, unless the endpoint is free, charges) an API
/// request, then lets `answer` make the reply; a charged reply gets
/// conditional-request handling and rate headers.
fn api(
    forge: &Forge,
    req: &Req,
    platform: Platform,
    charge: Charge,
    answer: impl FnOnce(&Caller) -> Reply,
) -> Reply {
    match charge {
        Charge::Free => match access::caller(forge, req, platform) {
            Ok(c) => answer(&c),
            Err(r) => r,
        },
        Charge::Budget(resource) => match access::gate(forge, req, platform, resource) {
            Ok(gate) => {
                let reply = answer(&gate.caller);
                access::finish(forge, req, &gate, reply)
            }
            Err(r) => r,
        },
    }
}

/// Records and logs a request nothing answered, and returns the loud reply.
fn unmatched(forge: &Forge, method: &str, path_and_query: &str, why: &str) -> Reply {
    let line = format!("{method} {path_and_query}");
    tracing::error!(request = %line, "mock-forge: unmatched request ({why})");
    forge.record_unmatched(line.clone());
    Reply::json(
        501,
        &serde_json::json!({
            "message": format!("mock-forge: {why}: {line}"),
            "mock_forge_unmatched": true,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        assert_eq!(classify("/repos/a/b").0, Layout::GitHubRoot);
        assert_eq!(
            classify("/api/v3/repos/a/b"),
            (Layout::GitHubEnterprise, "/repos/a/b".into())
        );
        assert_eq!(
            classify("/api/v4/projects/1"),
            (Layout::GitLab, "/projects/1".into())
        );
        assert_eq!(classify("/a/b.git/info/refs").0, Layout::Git);
        assert_eq!(classify("/a/b").0, Layout::Web);
        assert_eq!(classify("/api/v3x").0, Layout::Web);
    }
}
