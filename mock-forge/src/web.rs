//! Web pages: `/{login}` and `/{owner}/{repo}[/...]` answer small HTML pages
//! with the statuses a browser (or a collector's pre-flight check) would
//! see: 200, 301 to a renamed repository's new name, 404 and 410. The mock
//! has no web sessions, so a private repository's pages always answer what
//! a stranger sees: GitHub's 404, or GitLab's 302 to `/users/sign_in`.

use axum::body::Bytes;

use crate::forge::{Forge, Lookup};
use crate::http::{Reply, Req};
use crate::scenario::WebDialect;

/// Answers a web page request; `None` for anything but `GET`/`HEAD`.
pub fn page(forge: &Forge, req: &Req) -> Option<Reply> {
    if !req.is_read() {
        return None;
    }
    let segs = req.segments();
    let html = |status: u16, title: &str| Reply {
        status,
        headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
        body: Bytes::from(format!(
            "<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>\n"
        )),
    };
    match segs.as_slice() {
        [] => Some(html(200, "mock-forge")),
        [login] => Some(
            match forge.users_by_login.get(&login.to_ascii_lowercase()) {
                Some(_) => html(200, login),
                None => html(404, "Page not found"),
            },
        ),
        [owner, name, rest @ ..] => {
            let full = format!("{owner}/{name}");
            let private = match forge.lookup(&full) {
                Lookup::Repo(i) | Lookup::Moved(i) => forge.private_web(i),
                _ => None,
            };
            if let Some(dialect) = private {
                return Some(match dialect {
                    WebDialect::GitHub => html(404, "Page not found"),
                    WebDialect::GitLab => html(302, "You are being redirected")
                        .with("location", format!("{}/users/sign_in", forge.base)),
                });
            }
            Some(match forge.lookup(&full) {
                Lookup::Repo(_) => html(200, &full),
                Lookup::Moved(i) => {
                    let mut loc = format!("{}/{}", forge.base, forge.world.repos[i].full_name());
                    for s in rest {
                        loc.push('/');
                        loc.push_str(s);
                    }
                    html(301, "Moved Permanently").with("location", loc)
                }
                Lookup::Gone => html(410, "Gone"),
                Lookup::Missing => html(404, "Page not found"),
            })
        }
    }
}
