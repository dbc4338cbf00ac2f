//! The faults a request may meet before and after it is answered: replies
//! that replace the answer (injected statuses and rate limits), and bodies
//! cut short, malformed, reset mid-response or poisoned (one field of one
//! item replaced); and turning a [`Reply`] into the axum response sent on
//! the wire.

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use crate::faults::Fault;
use crate::http::Reply;
use crate::time::now;

/// The reply that replaces the answer, for faults that do; `None` for
/// faults that delay or damage the real answer instead.
pub fn immediate_fault(f: &Fault) -> Option<Reply> {
    let t = now();
    match f {
        Fault::Status { status: status @ (204 | 304), .. } => Some(Reply {
            status: *status,
            headers: Vec::new(),
            body: Bytes::new(),
        }),
        Fault::Status { status, retry_after_secs, message } => {
            let message = message.clone().unwrap_or_else(|| format!("mock-forge injected fault: HTTP {status}"));
            let mut r = Reply::json(*status, &serde_json::json!({"message": message}));
            if let Some(s) = retry_after_secs {
                r = r.with("retry-after", s.to_string());
            }
            Some(r)
        }
        Fault::RateLimit { status, reset_in_secs } => Some(
            Reply::json(
                *status,
                &serde_json::json!({
                    "message": "API rate limit exceeded (mock-forge injected fault).",
                    "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
                }),
            )
            .with("x-ratelimit-limit", "5000")
            .with("x-ratelimit-remaining", "0")
            .with("x-ratelimit-used", "5000")
            .with("x-ratelimit-resource", "core")
            .with("x-ratelimit-reset", (t + *reset_in_secs).to_string())
            .with("ratelimit-remaining", "0")
            .with("ratelimit-reset", (t + *reset_in_secs).to_string()),
        ),
        Fault::SecondaryRateLimit {
            retry_after_secs,
            http_date,
        } => Some(
            Reply::json(
                403,
                &serde_json::json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                }),
            )
            .with(
                "retry-after",
                if *http_date {
                    http_date_after(t, *retry_after_secs)
                } else {
                    retry_after_secs.to_string()
                },
            ),
        ),
        Fault::Slow { .. }
        | Fault::Truncate
        | Fault::Malformed
        | Fault::Reset
        | Fault::Poison { .. }
        | Fault::ForeignLink { .. } => None,
    }
}

/// A body that sends its first half and then fails, so the server aborts
/// the connection mid-response (clients see a reset or an early EOF).
struct ResetBody {
    data: Option<Bytes>,
}

impl http_body::Body for ResetBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(Some(match self.data.take() {
            Some(d) => Ok(http_body::Frame::data(d)),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "mock-forge injected connection reset",
            )),
        }))
    }
}

/// `now + secs` as an HTTP date (IMF-fixdate), rounded up to the next second.
fn http_date_after(now: i64, secs: u64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(now + secs as i64 + 1, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// `link` with the origin of every `<URL>` replaced by `host`.
fn move_links(link: &str, host: &str) -> String {
    let mut out = String::new();
    let mut rest = link;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..=open]);
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let target = &rest[open + 1..open + close];
        let path_at = target
            .find("://")
            .and_then(|s| target[s + 3..].find('/').map(|p| s + 3 + p))
            .unwrap_or(target.len());
        out.push_str(host.trim_end_matches('/'));
        out.push_str(&target[path_at..]);
        rest = &rest[open + close..];
    }
    out.push_str(rest);
    out
}

/// The response for `reply`, its body damaged as `fault` says.
pub fn into_response(mut reply: Reply, fault: Option<&Fault>) -> Response {
    if let Some(Fault::ForeignLink { host }) = fault {
        for (k, v) in reply.headers.iter_mut() {
            if k.eq_ignore_ascii_case("link") {
                *v = move_links(v, host);
            }
        }
    }
    let body = match fault {
        Some(Fault::Truncate) => {
            let n = reply.body.len() / 2;
            Body::from(reply.body.slice(..n))
        }
        Some(Fault::Malformed) => Body::from(Bytes::from_static(
            b"{\"message\": \"mock-forge malformed body\", \"items\": [1, 2,,}",
        )),
        Some(Fault::Reset) => {
            let n = reply.body.len() / 2;
            Body::new(ResetBody {
                data: Some(reply.body.slice(..n)),
            })
        }
        Some(f @ Fault::Poison { .. }) if reply.status == 200 => match f.poisoned(&reply.body) {
            Some(body) => {
                // The validator named the clean body; the poisoned one has none.
                reply
                    .headers
                    .retain(|(k, _)| !k.eq_ignore_ascii_case("etag"));
                Body::from(body)
            }
            None => Body::from(std::mem::take(&mut reply.body)),
        },
        _ => Body::from(std::mem::take(&mut reply.body)),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            h.append(k, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn foreign_links_keep_path_and_query_and_move_the_origin() {
        let l = r#"<http://127.0.0.1:5000/api/v3/repos/o/r/issues?page=2>; rel="next", <http://127.0.0.1:5000/api/v3/repos/o/r/issues?page=9>; rel="last""#;
        assert_eq!(
            super::move_links(l, "http://evil.example:9/"),
            r#"<http://evil.example:9/api/v3/repos/o/r/issues?page=2>; rel="next", <http://evil.example:9/api/v3/repos/o/r/issues?page=9>; rel="last""#
        );
    }

    #[test]
    fn retry_after_dates_are_imf_fixdates() {
        assert_eq!(
            super::http_date_after(1_445_412_479, 0),
            "Wed, 21 Oct 2015 07:28:00 GMT"
        );
    }
}
