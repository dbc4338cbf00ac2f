//! GitHub's list conventions: `page`/`per_page` with a `Link` header, the
//! `since`, `direction` and `state` filters.

use serde_json::json;

use super::Urls;
use crate::http::{PageReq, Reply, Req, build_query, json_array};
use crate::model::State;
use crate::time::parse;

/// GitHub's `Link` header for a page of `total` items.
pub fn link_header(u: &Urls, req: &Req, path: &str, page: PageReq, total: usize) -> Option<String> {
    let last = page.pages(total);
    if total == 0 || (last == 1 && page.page == 1) {
        return None;
    }
    let others: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| k != "page")
        .cloned()
        .collect();
    let url = |p: usize| {
        let mut q = others.clone();
        q.push(("page".into(), p.to_string()));
        format!("<{}{}?{}>", u.api, path, build_query(&q))
    };
    let mut parts = Vec::new();
    if page.page > 1 {
        parts.push(format!("{}; rel=\"prev\"", url((page.page - 1).min(last))));
    }
    if page.page < last {
        parts.push(format!("{}; rel=\"next\"", url(page.page + 1)));
        parts.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page.page > 1 {
        parts.push(format!("{}; rel=\"first\"", url(1)));
    }
    Some(parts.join(", "))
}

/// One page of pre-rendered `items`, with its `Link` header.
pub fn paginate(
    u: &Urls,
    req: &Req,
    link_path: &str,
    items: &[&str],
    default_per_page: usize,
) -> Reply {
    let page = PageReq::from(req, default_per_page);
    let range = page.range(items.len());
    let mut r = Reply::raw_json(200, json_array(items[range].iter().copied()));
    if let Some(l) = link_header(u, req, link_path, page, items.len()) {
        r = r.with("link", l);
    }
    r
}

/// [`paginate`] over owned items.
pub fn paginate_owned(u: &Urls, req: &Req, link_path: &str, items: &[String]) -> Reply {
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    paginate(u, req, link_path, &refs, 30)
}

/// The `since` filter; `Err` is GitHub's 422 for an unparsable time.
pub fn since(req: &Req) -> Result<Option<i64>, Reply> {
    match req.q("since") {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| {
            Reply::json(422, &json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "field": "since", "code": "invalid"}], "documentation_url": "https://docs.github.com/rest", "status": "422"}))
        }),
    }
}

/// Whether to sort descending: `direction=asc` or `desc`, else `default_desc`.
pub fn desc(req: &Req, default_desc: bool) -> bool {
    match req.q("direction") {
        Some("asc") => false,
        Some("desc") => true,
        _ => default_desc,
    }
}

/// The `state` filter: `None` means all.
pub fn state_filter(req: &Req) -> Option<State> {
    match req.q("state").unwrap_or("open") {
        "all" => None,
        "closed" => Some(State::Closed),
        _ => Some(State::Open),
    }
}
