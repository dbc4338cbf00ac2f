//! The recorder: fetches a repository's endpoints from a real forge (the
//! same endpoints the collector calls), follows pagination, and returns a
//! [`Cassette`] with every trace of the token scrubbed.
//!
//! The upstream is spoken to with a deliberately small HTTP/1.1 client
//! (`Connection: close`, chunked and length-delimited bodies). It speaks
//! plain `http://` only: tests record from a local upstream, and a real
//! forge is reached through a local TLS-terminating proxy. Keeping TLS out
//! keeps this crate's build small.

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::cassette::{Cassette, FORMAT, Interaction};
use crate::http::percent_encode;

/// What to record.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// Upstream API root: `http://host:port` (GitHub root layout),
    /// `http://host/api/v3` (Enterprise) or `http://host/api/v4` (GitLab).
    pub upstream: String,
    /// Token sent upstream; never written.
    pub token: String,
    /// `owner/name`.
    pub repo: String,
    /// Pages per listing at most.
    pub max_pages: usize,
    /// Pull requests (merge requests) whose children are recorded.
    pub max_items: usize,
}

/// Placeholder that replaces the token everywhere.
pub const REDACTED: &str = "REDACTED";

struct Upstream {
    origin: String,
    host: String,
    port: u16,
    prefix: String,
}

fn parse_upstream(url: &str) -> anyhow::Result<Upstream> {
    let url = url.trim_end_matches('/');
    let Some(rest) = url.strip_prefix("http://") else {
        if url.starts_with("https://") {
            bail!(
                "the recorder speaks plain http only; put a local TLS-terminating proxy in front of {url}"
            );
        }
        bail!("upstream must be an http:// URL, got {url}");
    };
    let (hostport, prefix) = rest
        .split_once('/')
        .map_or((rest, String::new()), |(h, p)| (h, format!("/{p}")));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().context("bad upstream port")?),
        None => (hostport.to_string(), 80),
    };
    // The token travels in clear text: only to this machine.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        bail!(
            "the recorder sends the token over plain http, so the upstream must be on this \
             machine (loopback); {host} is not — put a local TLS-terminating proxy in front of it"
        );
    }
    Ok(Upstream {
        origin: format!("http://{hostport}"),
        host,
        port,
        prefix,
    })
}

struct Fetched {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn fetch(up: &Upstream, path: &str, token: &str, gitlab: bool) -> anyhow::Result<Fetched> {
    let mut stream = tokio::net::TcpStream::connect((up.host.as_str(), up.port))
        .await
        .with_context(|| format!("connecting to {}", up.origin))?;
    let auth = if gitlab {
        format!("PRIVATE-TOKEN: {token}")
    } else {
        format!("Authorization: token {token}")
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: aveloxis-mock-forge-recorder\r\nAccept: application/vnd.github+json\r\n{auth}\r\nConnection: close\r\n\r\n",
        up.origin.trim_start_matches("http://")
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers in upstream response")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .context("bad status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
    {
        body = dechunk(&body)?;
    }
    Ok(Fetched {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .context("bad chunk size")?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        anyhow::ensure!(b.len() >= size + 2, "truncated chunk");
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

fn scrub(s: &str, token: &str) -> String {
    if token.is_empty() {
        s.to_string()
    } else {
        s.replace(token, REDACTED)
    }
}

/// Records `opts.repo` from `opts.upstream`.
pub async fn record_repo(opts: &RecordOptions) -> anyhow::Result<Cassette> {
    let up = parse_upstream(&opts.upstream)?;
    let gitlab = up.prefix.ends_with("/api/v4");
    let mut interactions = Vec::new();
    let repo_path = if gitlab {
        format!("{}/projects/{}", up.prefix, percent_encode(&opts.repo))
    } else {
        format!("{}/repos/{}", up.prefix, opts.repo)
    };
    let mut pull_numbers: Vec<u64> = Vec::new();
    for first in listings(&repo_path, gitlab) {
        let numbers = record_listing(&up, &first, opts, gitlab, &mut interactions).await?;
        pull_numbers.extend(numbers);
    }
    for n in pull_numbers {
        for path in pull_children(&repo_path, gitlab, n) {
            record_one(&up, &path, opts, gitlab, &mut interactions).await?;
        }
    }
    Ok(Cassette {
        format: FORMAT.to_string(),
        upstream: up.origin.clone(),
        interactions,
    })
}

/// The repository-level listings the collector reads, first pages.
fn listings(repo_path: &str, gitlab: bool) -> Vec<String> {
    let suffixes: &[&str] = if gitlab {
        &[
            "?statistics=true",
            "/issues?scope=all&sort=desc&order_by=updated_at&per_page=100",
            "/merge_requests?scope=all&sort=desc&order_by=updated_at&per_page=100",
            "/issues_statistics",
            "/events?target_type=issue&sort=desc&per_page=100",
            "/events?target_type=merge_request&sort=desc&per_page=100",
            "/releases?sort=desc&order_by=released_at&per_page=100",
            "/members/all?per_page=100",
            "/repository/contributors?per_page=100",
            "/labels?per_page=100",
        ]
    } else {
        &[
            "",
            "/issues?state=all&sort=updated&direction=desc&per_page=100",
            "/pulls?state=all&sort=updated&direction=desc&per_page=100",
            "/issues/events?per_page=100",
            "/issues/comments?sort=updated&direction=desc&per_page=100",
            "/pulls/comments?sort=updated&direction=desc&per_page=100",
            "/releases?per_page=100",
            "/contributors?per_page=100",
            "/labels?per_page=100",
            "/traffic/clones",
        ]
    };
    suffixes.iter().map(|s| format!("{repo_path}{s}")).collect()
}

/// Records a listing from `first`, following `Link: rel="next"` up to
/// `max_pages`; returns the pull (merge) request numbers of its first page
/// when it lists them (at most `max_items`).
async fn record_listing(
    up: &Upstream,
    first: &str,
    opts: &RecordOptions,
    gitlab: bool,
    interactions: &mut Vec<Interaction>,
) -> anyhow::Result<Vec<u64>> {
    let mut numbers = Vec::new();
    let mut path = first.to_string();
    for _ in 0..opts.max_pages.max(1) {
        let got = record_one(up, &path, opts, gitlab, interactions).await?;
        if path == first
            && (first.contains("/pulls?") || first.contains("/merge_requests?"))
            && let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&got.body)
        {
            let key = if gitlab { "iid" } else { "number" };
            numbers.extend(
                items
                    .iter()
                    .filter_map(|i| i.get(key).and_then(Value::as_u64))
                    .take(opts.max_items),
            );
        }
        let next = got
            .headers
            .iter()
            .find(|(k, _)| k == "link")
            .and_then(|(_, v)| next_link(v));
        match next.and_then(|n| n.strip_prefix(&up.origin).map(str::to_string)) {
            Some(n) => path = n,
            None => break,
        }
    }
    Ok(numbers)
}

/// The endpoints recorded for pull (merge) request `n`.
fn pull_children(repo_path: &str, gitlab: bool, n: u64) -> Vec<String> {
    if gitlab {
        return [
            "",
            "/commits",
            "/diffs",
            "/approvals",
            "/discussions",
            "/notes?sort=asc",
        ]
        .iter()
        .map(|s| format!("{repo_path}/merge_requests/{n}{s}"))
        .collect();
    }
    let mut v: Vec<String> = [
        "",
        "/commits?per_page=100",
        "/files?per_page=100",
        "/reviews?per_page=100",
        "/requested_reviewers",
        "/comments?per_page=100",
    ]
    .iter()
    .map(|s| format!("{repo_path}/pulls/{n}{s}"))
    .collect();
    v.push(format!(
        "{repo_path}/issues/{n}/comments?sort=created&direction=asc&per_page=100"
    ));
    v
}

async fn record_one(
    up: &Upstream,
    path: &str,
    opts: &RecordOptions,
    gitlab: bool,
    out: &mut Vec<Interaction>,
) -> anyhow::Result<Fetched> {
    let got = fetch(up, path, &opts.token, gitlab).await?;
    tracing::info!(path, status = got.status, "recorded");
    let text = scrub(&String::from_utf8_lossy(&got.body), &opts.token);
    let body = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    out.push(Interaction {
        origin: up.origin.clone(),
        method: "GET".into(),
        path: path.to_string(),
        request_headers: vec![
            ("accept".into(), "application/vnd.github+json".into()),
            (
                if gitlab {
                    "private-token"
                } else {
                    "authorization"
                }
                .into(),
                if gitlab {
                    REDACTED.into()
                } else {
                    format!("token {REDACTED}")
                },
            ),
        ],
        request_body: None,
        status: got.status,
        headers: got
            .headers
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "set-cookie" | "transfer-encoding" | "connection" | "content-length" | "date"
                )
            })
            .map(|(k, v)| (k.clone(), scrub(v, &opts.token)))
            .collect(),
        body,
    });
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
    }

    #[test]
    fn finds_next() {
        let l = "<http://h/x?page=1>; rel=\"prev\", <http://h/x?page=3>; rel=\"next\"";
        assert_eq!(next_link(l).as_deref(), Some("http://h/x?page=3"));
        assert_eq!(next_link("<http://h/x>; rel=\"last\""), None);
    }

    #[test]
    fn https_is_refused_with_a_reason() {
        let e = parse_upstream("https://api.github.com")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("proxy"), "{e}");
        let u = parse_upstream("http://127.0.0.1:8080/api/v4").unwrap();
        assert_eq!(
            (u.port, u.prefix.as_str(), u.origin.as_str()),
            (8080, "/api/v4", "http://127.0.0.1:8080")
        );
    }
}
