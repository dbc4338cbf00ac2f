//! Pagination links: the `rel="next"` target of a `Link` header, and a listing URL with its
//! `page` set (GitLab's `X-Next-Page`); where a listing is ([`Cursor`]).

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

/// `host:port` of a URL (the default port when it names none).
pub(super) fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok().and_then(|u| {
        u.host_str()
            .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
    })
}

/// Where a listing is: its first URL (which names it, and whose host pins it) and the next
/// page to ask for. A cursor can start anywhere in its listing ([`Cursor::resume`]), which is
/// how a listing an earlier run left half-way continues without asking its first pages again.
#[derive(Clone, Debug)]
pub struct Cursor {
    pub(super) first: String,
    pub(super) origin: Option<String>,
    pub(super) next: Option<String>,
}

impl Cursor {
    /// A listing from its first page.
    pub fn new(url: &str) -> Cursor {
        Cursor {
            first: url.to_owned(),
            origin: host_of(url),
            next: Some(url.to_owned()),
        }
    }

    /// The listing named by `first`, continued at `next` (a URL of `first`'s host, or the
    /// listing ends with [`ForgeError::ForeignNext`] on the next page).
    pub fn resume(first: &str, next: &str) -> Cursor {
        Cursor {
            next: Some(next.to_owned()),
            ..Cursor::new(first)
        }
    }

    /// The first URL of the listing.
    pub fn first(&self) -> &str {
        &self.first
    }

    /// The page the listing asks for next (`None` once it has ended).
    pub fn next_url(&self) -> Option<&str> {
        self.next.as_deref()
    }

    /// The next page when it is on the listing's own host (what may be kept to continue the
    /// listing later: a next link to another host is never followed, so never resumed).
    pub fn next_on_origin(&self) -> Option<&str> {
        self.next.as_deref().filter(|n| host_of(n) == self.origin)
    }

    /// End the listing after the page just read.
    pub fn stop(&mut self) {
        self.next = None;
    }
}
