//! Access to the APIs: authentication (`Authorization` or GitLab's
//! `PRIVATE-TOKEN`), per-token budgets with 403/429 when exhausted, rate
//! headers in each forge's dialect, and `ETag`/`If-None-Match` → 304 (which
//! refunds the request, as GitHub does). Git over HTTP of a private
//! repository takes a key as HTTP Basic credentials (the key is the password),
//! and answers anything else with a 401 challenge, as both forges do.

use axum::body::Bytes;

use crate::forge::Forge;
use crate::http::{Caller, Reply, Req};
use crate::ratelimit::Snapshot;
use crate::rng::body_hash;
use crate::scenario::WebDialect;
use crate::time::now;

/// Which forge a gate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// GitHub REST v3.
    GitHub,
    /// GitLab v4.
    GitLab,
}

/// An admitted API request: whose budget it used.
#[derive(Debug, Clone)]
pub struct Gate {
    /// Who asked.
    pub caller: Caller,
    resource: &'static str,
    snap: Snapshot,
    platform: Platform,
}

fn token_of(req: &Req, platform: Platform) -> Option<String> {
    if platform == Platform::GitLab
        && let Some(t) = req.header("private-token")
    {
        return Some(t.trim().to_string());
    }
    let auth = req.header("authorization")?.trim();
    let (scheme, rest) = auth.split_once(' ')?;
    match scheme.to_ascii_lowercase().as_str() {
        "token" | "bearer" => Some(rest.trim().to_string()),
        _ => Some(auth.to_string()),
    }
}

/// The key that picks the day a request sees: GitLab's `PRIVATE-TOKEN`, the token of
/// `Authorization` (`token`, `Bearer`, or the password of `Basic` as git sends it).
pub fn day_key(req: &Req) -> Option<String> {
    if let Some(t) = req.header("private-token") {
        return Some(t.trim().to_string());
    }
    basic_password(req).or_else(|| token_of(req, Platform::GitHub))
}

/// Authenticates without charging; `Err` is the 401 to send.
pub fn caller(f: &Forge, req: &Req, platform: Platform) -> Result<Caller, Reply> {
    let (key, limit) = match token_of(req, platform) {
        None if f.rate.anonymous_limit == 0 => {
            return Err(unauthorized(platform, "Requires authentication"));
        }
        None => ("anonymous".to_string(), f.rate.anonymous_limit),
        Some(t) => match accepted(f, &t) {
            Some(limit) => (t, limit),
            None => return Err(unauthorized(platform, "Bad credentials")),
        },
    };
    Ok(Caller { key, limit })
}

/// The limit of `token` when the forge accepts it.
fn accepted(f: &Forge, token: &str) -> Option<u64> {
    let tokens = f.tokens.read().unwrap_or_else(|e| e.into_inner());
    match tokens.get(token) {
        Some(limit) => Some(limit.unwrap_or(f.rate.limit)),
        None if f.accept_any_token => Some(f.rate.limit),
        None => None,
    }
}

/// Admits a git request for a private repository whose web pages speak `dialect`: it must carry
/// an accepted key as the password of HTTP Basic credentials (any non-empty user name, as
/// GitHub's `x-access-token` and GitLab's `oauth2`); anything else is the 401 challenge that
/// makes git ask for credentials.
pub fn git_access(f: &Forge, req: &Req, dialect: WebDialect) -> Result<(), Reply> {
    let realm = match dialect {
        WebDialect::GitHub => "GitHub",
        WebDialect::GitLab => "GitLab",
    };
    match basic_password(req) {
        Some(token) if accepted(f, &token).is_some() => Ok(()),
        given => Err(Reply::text(
            401,
            match given {
                Some(_) => "Invalid username or token.\n",
                None => "Authentication required.\n",
            },
        )
        .with("www-authenticate", format!("Basic realm=\"{realm}\""))),
    }
}

/// The password of `Authorization: Basic base64(user:password)` when the user is not empty.
fn basic_password(req: &Req) -> Option<String> {
    let (scheme, encoded) = req.header("authorization")?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    (!user.is_empty() && !password.is_empty()).then(|| password.to_string())
}

/// Standard base64 (padding optional); `None` for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let body = text.trim_end_matches('=');
    if body.len() % 4 == 1 || text.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= digit(*c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// Authenticates and charges one request; `Err` is the reply to send
/// (401, or 403/429 when the budget is exhausted).
pub fn gate(
    f: &Forge,
    req: &Req,
    platform: Platform,
    resource: &'static str,
) -> Result<Gate, Reply> {
    let caller = caller(f, req, platform)?;
    let (limit, window) = if resource == "search" {
        (f.rate.search_limit, f.rate.search_window_secs)
    } else {
        (caller.limit, f.rate.window_secs)
    };
    let t = now();
    match f.limiter.take(&caller.key, resource, limit, window, t) {
        Ok(snap) => Ok(Gate {
            caller,
            resource,
            snap,
            platform,
        }),
        Err(snap) => {
            let gate = Gate {
                caller,
                resource,
                snap,
                platform,
            };
            let wait = (snap.reset - t).max(1);
            Err(rate_headers(exhausted(f, &gate, wait), &gate))
        }
    }
}

/// Who GitHub names in a rate-limit message: the client address for anonymous callers, a user id
/// for a token — never the token itself (a forge does not echo credentials).
fn who(key: &str) -> String {
    if key == "anonymous" {
        return "127.0.0.1".to_string();
    }
    // A stable id per token (FNV-1a), as a real account would have.
    let id = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("user ID {}", id % 100_000_000)
}

/// The answer to a request over budget, `wait` seconds before the reset.
fn exhausted(f: &Forge, gate: &Gate, wait: i64) -> Reply {
    match gate.platform {
        Platform::GitHub => {
            let r = Reply::json(
                f.rate.exhausted_status,
                &serde_json::json!({
                    "message": format!("API rate limit exceeded for {}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)", who(&gate.caller.key)),
                    "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
                }),
            );
            if f.rate.exhausted_status == 429 {
                r.with("retry-after", wait.to_string())
            } else {
                r
            }
        }
        Platform::GitLab => Reply::text(429, "Retry later").with("retry-after", wait.to_string()),
    }
}

/// Adds ETag / 304 handling and rate headers to a gated reply.
pub fn finish(f: &Forge, req: &Req, gate: &Gate, mut reply: Reply) -> Reply {
    let mut gate = gate.clone();
    if reply.status == 200 && req.is_read() {
        let etag = format!("W/\"{:016x}\"", body_hash(&reply.body));
        if let Some(inm) = req.header("if-none-match")
            && etag_matches(inm, &etag)
        {
            if let Some(s) = f.limiter.refund(&gate.caller.key, gate.resource) {
                gate.snap = s;
            }
            let mut r = Reply {
                status: 304,
                headers: Vec::new(),
                body: Bytes::new(),
            };
            r.headers.push(("etag".into(), etag));
            return rate_headers(r, &gate);
        }
        reply.headers.push(("etag".into(), etag));
    }
    if gate.platform == Platform::GitHub {
        reply.headers.push((
            "x-github-media-type".into(),
            "github.v3; format=json".into(),
        ));
    }
    rate_headers(reply, &gate)
}

fn etag_matches(header: &str, etag: &str) -> bool {
    let strip = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    let want = strip(etag);
    header
        .split(',')
        .any(|t| t.trim() == "*" || strip(t) == want)
}

fn unauthorized(platform: Platform, message: &str) -> Reply {
    match platform {
        Platform::GitHub => Reply::json(
            401,
            &serde_json::json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": "401"}),
        ),
        Platform::GitLab => Reply::json(401, &serde_json::json!({"message": "401 Unauthorized"})),
    }
}

fn rate_headers(mut r: Reply, g: &Gate) -> Reply {
    let s = g.snap;
    let names: &[&str] = match g.platform {
        Platform::GitHub => &[
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-ratelimit-used",
        ],
        Platform::GitLab => &[
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "ratelimit-observed",
        ],
    };
    let values = [
        s.limit.to_string(),
        s.remaining.to_string(),
        s.reset.to_string(),
        s.used.to_string(),
    ];
    for (name, value) in names.iter().zip(values) {
        r.headers.push(((*name).into(), value));
    }
    if g.platform == Platform::GitHub {
        r.headers
            .push(("x-ratelimit-resource".into(), s.resource.to_string()));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_compare_weakly() {
        assert!(etag_matches("W/\"abc\"", "W/\"abc\""));
        assert!(etag_matches("\"abc\", \"x\"", "W/\"abc\""));
        assert!(etag_matches("*", "W/\"abc\""));
        assert!(!etag_matches("\"abd\"", "W/\"abc\""));
    }

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(
            base64_decode("eC1hY2Nlc3MtdG9rZW46dA==").unwrap(),
            b"x-access-token:t"
        );
        assert_eq!(base64_decode("Zm9vYg").unwrap(), b"foob");
        assert_eq!(base64_decode("Zm9v").unwrap(), b"foo");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("Zm9v!").is_none());
        assert!(base64_decode("Z").is_none());
    }
}
