//! The ETag cache behind conditional requests: per URL, the validator, the body and the next-page
//! link of the last 200, so a 304 gives back both the page and where its listing goes on.
//!
//! It is bounded: at most `max_entries` URLs and about `max_bytes` of response bodies (the bytes
//! received), the least recently used entry evicted first. URLs that carry a time window or a
//! cursor (`since=`, `updated_after=`, `after=`, …) are never cached: each run names a new
//! window, so such entries would only accumulate and never be asked for again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Query parameters that make a URL one-off (a window that moves every run, or a cursor).
const ONE_OFF_PARAMS: &[&str] = &[
    "since",
    "until",
    "after",
    "before",
    "updated_after",
    "updated_before",
    "created_after",
    "created_before",
];

/// What the cache holds for one URL: the body as received (parsed again on a 304), so the
/// cache's byte bound is what it holds — a parsed body takes several times its text.
#[derive(Clone, Debug)]
pub(crate) struct Cached {
    pub etag: String,
    pub body: std::sync::Arc<[u8]>,
    /// How many items the page listed (`None`: not a list).
    pub items: Option<usize>,
    /// The next page as the 200 named it (`None`: the listing ended here).
    pub next: Option<String>,
}

impl Cached {
    /// Whether a 304 for this page can be trusted to end a listing where it ended before: only
    /// when the page was not full (an item appended after a full last page changes no cached
    /// page, so the listing's growth would be invisible). Without `per_page` in the URL the
    /// page size is unknown and the answer is no.
    pub fn ends_listing_reliably(&self, url: &str) -> bool {
        if self.next.is_some() {
            return true;
        }
        let per_page = url::Url::parse(url).ok().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "per_page")
                .and_then(|(_, v)| v.parse::<usize>().ok())
        });
        match (per_page, self.items) {
            (Some(n), Some(items)) => items < n,
            _ => false,
        }
    }
}

struct Entry {
    cached: Cached,
    bytes: usize,
    tick: u64,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    /// Last use → URL, oldest first.
    lru: BTreeMap<u64, String>,
    bytes: usize,
    tick: u64,
}

pub(crate) struct EtagCache {
    inner: Mutex<Inner>,
    max_entries: usize,
    max_bytes: usize,
}

/// Whether responses for `url` may be cached at all.
pub(crate) fn cacheable(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) => !u
            .query_pairs()
            .any(|(k, _)| ONE_OFF_PARAMS.contains(&k.as_ref())),
        Err(_) => false,
    }
}

impl EtagCache {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        EtagCache {
            inner: Mutex::new(Inner::default()),
            max_entries,
            max_bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for `url`, marked as just used.
    pub fn get(&self, url: &str) -> Option<Cached> {
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        let e = g.map.get_mut(url)?;
        let old = std::mem::replace(&mut e.tick, tick);
        let cached = e.cached.clone();
        g.lru.remove(&old);
        g.lru.insert(tick, url.to_owned());
        Some(cached)
    }

    /// Remember the 200 for `url` (`bytes`: the size of its body on the wire), evicting the least
    /// recently used entries beyond the bounds. One-off URLs and bodies larger than the whole
    /// budget are not kept.
    pub fn put(&self, url: &str, cached: Cached, bytes: usize) {
        if !cacheable(url) || bytes > self.max_bytes || self.max_entries == 0 {
            return;
        }
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        if let Some(old) = g.map.remove(url) {
            g.lru.remove(&old.tick);
            g.bytes -= old.bytes;
        }
        while g.map.len() >= self.max_entries || g.bytes + bytes > self.max_bytes {
            let Some((_, victim)) = g.lru.pop_first() else {
                break;
            };
            if let Some(v) = g.map.remove(&victim) {
                g.bytes -= v.bytes;
            }
        }
        g.bytes += bytes;
        g.lru.insert(tick, url.to_owned());
        g.map.insert(
            url.to_owned(),
            Entry {
                cached,
                bytes,
                tick,
            },
        );
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Body bytes held now.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: usize) -> Cached {
        Cached {
            etag: format!("\"{n}\""),
            body: std::sync::Arc::from(&b"[]"[..]),
            items: Some(n),
            next: None,
        }
    }

    #[test]
    fn the_least_recently_used_entry_goes_first_and_both_bounds_hold() {
        let c = EtagCache::new(3, 100);
        for i in 0..3 {
            c.put(&format!("https://h/x/{i}"), page(1), 10);
        }
        assert!(c.get("https://h/x/0").is_some());
        c.put("https://h/x/3", page(1), 10);
        assert_eq!(c.len(), 3);
        assert!(
            c.get("https://h/x/1").is_none(),
            "the oldest unused entry is evicted"
        );
        assert!(c.get("https://h/x/0").is_some());
        c.put("https://h/x/big", page(1), 95);
        assert!(c.bytes() <= 100, "{}", c.bytes());
        assert!(c.get("https://h/x/big").is_some());
        c.put("https://h/x/huge", page(1), 101);
        assert!(c.get("https://h/x/huge").is_none());
    }

    #[test]
    fn one_off_urls_are_not_cached() {
        let c = EtagCache::new(10, 1000);
        c.put(
            "https://h/x?per_page=100&since=2024-01-01T00:00:00Z",
            page(1),
            1,
        );
        c.put("https://h/x?updated_after=2024-01-01", page(1), 1);
        assert_eq!(c.len(), 0);
        c.put("https://h/x?per_page=100&page=2", page(1), 1);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn only_a_short_last_page_ends_a_listing_on_a_304() {
        assert!(page(3).ends_listing_reliably("https://h/x?per_page=100"));
        assert!(!page(100).ends_listing_reliably("https://h/x?per_page=100"));
        assert!(!page(3).ends_listing_reliably("https://h/x"));
        let mut p = page(100);
        p.next = Some("https://h/x?page=2".into());
        assert!(p.ends_listing_reliably("https://h/x?per_page=100"));
    }
}
