//! GitLab's list conventions: `page`/`per_page` (20 by default) with
//! `X-Page`, `X-Per-Page`, `X-Total`, `X-Total-Pages`, `X-Next-Page`,
//! `X-Prev-Page` and `Link`.

use serde_json::Value;

use crate::forge::Forge;
use crate::http::{PageReq, Reply, Req, build_query, json_array};

/// One page of pre-rendered `items`, with GitLab's headers.
pub fn paginate(f: &Forge, req: &Req, items: &[&str]) -> Reply {
    let page = PageReq::from(req, 20);
    let total = items.len();
    let pages = page.pages(total);
    let range = page.range(total);
    let mut r = Reply::raw_json(200, json_array(items[range].iter().copied()));
    let others: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| k != "page")
        .cloned()
        .collect();
    let url = |p: usize| {
        let mut q = others.clone();
        q.push(("page".into(), p.to_string()));
        format!("<{}/api/v4{}?{}>", f.base, req.path, build_query(&q))
    };
    let mut links = Vec::new();
    if page.page > 1 {
        links.push(format!("{}; rel=\"prev\"", url((page.page - 1).min(pages))));
    }
    if page.page < pages {
        links.push(format!("{}; rel=\"next\"", url(page.page + 1)));
    }
    links.push(format!("{}; rel=\"first\"", url(1)));
    links.push(format!("{}; rel=\"last\"", url(pages)));
    r = r
        .with("x-page", page.page.to_string())
        .with("x-per-page", page.per_page.to_string())
        .with("x-total", total.to_string())
        .with("x-total-pages", pages.to_string())
        .with(
            "x-next-page",
            if page.page < pages {
                (page.page + 1).to_string()
            } else {
                String::new()
            },
        )
        .with(
            "x-prev-page",
            if page.page > 1 {
                (page.page - 1).min(pages).to_string()
            } else {
                String::new()
            },
        )
        .with("link", links.join(", "));
    r
}

/// [`paginate`] over owned values.
pub fn paginate_owned(f: &Forge, req: &Req, items: Vec<Value>) -> Reply {
    let s: Vec<String> = items.iter().map(Value::to_string).collect();
    let refs: Vec<&str> = s.iter().map(String::as_str).collect();
    paginate(f, req, &refs)
}
