//! Pagination links: the `rel="next"` target of a `Link` header, and a listing URL with its
//! `page` set (GitLab's `X-Next-Page`).

/// `rel="next"` target of a `Link` header. Targets are read between `<` and `>`, so a URL with
/// commas in it (`?labels=a,b`) stays whole.
pub fn next_link(link: &str) -> Option<String> {
    let mut rest = link;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>')?;
        let target = &after[..close];
        let params = &after[close + 1..];
        let params_end = params.find('<').unwrap_or(params.len());
        let is_next = params[..params_end].split([';', ',']).any(|p| {
            let p = p.trim();
            let Some(v) = p.strip_prefix("rel=") else {
                return false;
            };
            v.trim_matches('"').split_whitespace().any(|r| r == "next")
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &params[params_end..];
    }
    None
}

pub(crate) fn with_page(url: &str, page: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            u.query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("page", page);
            u.to_string()
        }
        Err(_) => url.to_owned(),
    }
}
