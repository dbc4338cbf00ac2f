//! The admin route of a forge whose world moves: `GET /__mock/day` tells the global day and
//! the number of days; `POST /__mock/day` with `{"day": K}` moves every caller whose key is
//! not pinned, with `{"token": "…", "day": K}` pins one key. Only loopback peers may use it
//! (anyone else gets 403), as the forge may listen on other addresses.

use std::net::SocketAddr;

use serde::Deserialize;
use serde_json::json;

use crate::forge::Days;
use crate::http::{Reply, Req};

/// The path of the admin route.
pub const DAY_ROUTE: &str = "/__mock/day";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Move {
    day: usize,
    #[serde(default)]
    token: Option<String>,
}

/// Whether `peer` may use the admin route.
pub fn admitted(peer: &SocketAddr) -> bool {
    match peer.ip() {
        std::net::IpAddr::V4(ip) => ip.is_loopback(),
        std::net::IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Answers a request to [`DAY_ROUTE`] from `peer`.
pub fn day(days: &Days, req: &Req, peer: SocketAddr) -> Reply {
    if !admitted(&peer) {
        tracing::warn!(%peer, "mock-forge: refused the admin route to a non-loopback peer");
        return Reply::json(
            403,
            &json!({"message": "the admin route answers loopback peers only"}),
        );
    }
    let state = |days: &Days| json!({"day": days.global(), "days": days.count()});
    match req.method.as_str() {
        "GET" | "HEAD" => Reply::json(200, &state(days)),
        "POST" | "PUT" => {
            let m: Move = match serde_json::from_slice(&req.body) {
                Ok(m) => m,
                Err(e) => {
                    return Reply::json(
                        400,
                        &json!({"message": format!("expected {{\"day\": K}} or {{\"token\": \"…\", \"day\": K}}: {e}")}),
                    );
                }
            };
            let moved = match &m.token {
                Some(t) => days.pin(t, m.day),
                None => days.set_global(m.day),
            };
            match moved {
                Ok(()) => {
                    tracing::info!(
                        day = m.day,
                        pinned = m.token.is_some(),
                        "mock-forge: day moved"
                    );
                    let mut v = state(days);
                    if let Some(t) = &m.token {
                        v["token_day"] = json!(days.day_of(Some(t)));
                    }
                    Reply::json(200, &v)
                }
                Err(e) => Reply::json(404, &json!({"message": format!("{e:#}")})),
            }
        }
        _ => Reply::json(405, &json!({"message": "GET or POST"})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_peers_are_admitted() {
        let p = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert!(admitted(&p("127.0.0.1:9")));
        assert!(admitted(&p("127.8.0.1:9")));
        assert!(admitted(&p("[::1]:9")));
        assert!(admitted(&p("[::ffff:127.0.0.1]:9")));
        assert!(!admitted(&p("10.0.0.2:9")));
        assert!(!admitted(&p("[::ffff:10.0.0.2]:9")));
        assert!(!admitted(&p("[2001:db8::1]:9")));
    }
}
