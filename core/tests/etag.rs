//! The forge client's ETag cache over the life of a long-lived client (as in `serve`): a 304 does
//! not end a listing, a listing's growth past an unchanged last page is seen, and the cache
//! neither keeps one-off (`since=`) URLs nor grows without bound.

use std::time::Duration;

use aveloxis_core::forge::Platform;

use crate::support::test_client;
use aveloxis_core::forge::client::{ClientOptions, ForgeClient};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn client() -> ForgeClient {
    test_client(
        Platform::GitHub,
        &["tok"],
        ClientOptions {
            max_attempts: 3,
            base_backoff: Duration::from_millis(5),
            ..ClientOptions::default()
        },
    )
}

fn items(pages: &[aveloxis_core::forge::client::Page]) -> Vec<Value> {
    pages
        .iter()
        .flat_map(|p| p.body.as_array().cloned().unwrap_or_default())
        .collect()
}

fn page(body: Value, etag: &str, next: Option<String>) -> ResponseTemplate {
    let mut r = ResponseTemplate::new(200)
        .insert_header("etag", etag)
        .set_body_json(body);
    if let Some(n) = next {
        r = r.insert_header("link", format!("<{n}>; rel=\"next\"").as_str());
    }
    r
}

#[tokio::test]
async fn an_unchanged_first_page_answered_304_still_leads_to_the_later_pages() {
    let s = MockServer::start().await;
    let url = |n: u32| format!("{}/items?per_page=2&page={n}", s.uri());
    // Page 1 never changes: a conditional request gets a bare 304, as forges send it.
    Mock::given(path("/items"))
        .and(query_param("page", "1"))
        .and(header("if-none-match", "\"p1\""))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"p1\""))
        .mount(&s)
        .await;
    Mock::given(path("/items"))
        .and(query_param("page", "1"))
        .respond_with(page(json!(["a", "b"]), "\"p1\"", Some(url(2))))
        .mount(&s)
        .await;
    // Page 2 gains an item between the two listings (a new review, note or contributor).
    Mock::given(path("/items"))
        .and(query_param("page", "2"))
        .respond_with(page(json!(["c"]), "\"p2a\"", None))
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(path("/items"))
        .and(query_param("page", "2"))
        .respond_with(page(json!(["c", "d"]), "\"p2b\"", None))
        .mount(&s)
        .await;
    let c = client();
    let first = c.get_all(&url(1), |_| true).await.unwrap();
    assert_eq!(items(&first), vec![json!("a"), json!("b"), json!("c")]);
    let second = c.get_all(&url(1), |_| true).await.unwrap();
    assert!(second[0].not_modified, "page 1 came from the cache");
    assert_eq!(
        items(&second),
        vec![json!("a"), json!("b"), json!("c"), json!("d")],
        "the later page of the second listing was fetched"
    );
}

#[tokio::test]
async fn a_full_last_page_is_asked_again_unconditionally_so_a_new_page_after_it_is_seen() {
    let s = MockServer::start().await;
    let url = |n: u32| format!("{}/full?per_page=2&page={n}", s.uri());
    // Page 1 is full and its body never changes; only its Link changes when page 2 appears, and a
    // 304 would not carry that.
    Mock::given(path("/full"))
        .and(query_param("page", "1"))
        .and(header("if-none-match", "\"f1\""))
        .respond_with(ResponseTemplate::new(304))
        .mount(&s)
        .await;
    Mock::given(path("/full"))
        .and(query_param("page", "1"))
        .respond_with(page(json!(["a", "b"]), "\"f1\"", None))
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(path("/full"))
        .and(query_param("page", "1"))
        .respond_with(page(json!(["a", "b"]), "\"f1\"", Some(url(2))))
        .mount(&s)
        .await;
    Mock::given(path("/full"))
        .and(query_param("page", "2"))
        .respond_with(page(json!(["c"]), "\"f2\"", None))
        .mount(&s)
        .await;
    let c = client();
    assert_eq!(items(&c.get_all(&url(1), |_| true).await.unwrap()).len(), 2);
    let second = c.get_all(&url(1), |_| true).await.unwrap();
    assert_eq!(
        items(&second),
        vec![json!("a"), json!("b"), json!("c")],
        "the page appended after the full last page was fetched"
    );
}

fn sent_etag(r: &Request) -> bool {
    r.headers.get("if-none-match").is_some()
}

#[tokio::test]
async fn since_urls_are_not_cached_and_the_cache_is_bounded() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(page(json!([]), "\"same\"", None))
        .mount(&s)
        .await;
    let c = client();
    // A windowed URL asked twice: never conditional (such entries only accumulate).
    let since = format!("{}/issues?per_page=100&since=2024-05-01T00:00:00Z", s.uri());
    c.get(&since).await.unwrap();
    c.get(&since).await.unwrap();
    let reqs = s.received_requests().await.unwrap();
    assert!(
        !reqs.iter().any(sent_etag),
        "a since= URL was answered from the cache"
    );
    // More distinct URLs than the default capacity: the first one is evicted by then.
    let capacity = ClientOptions::default().etag_cache_entries;
    let first = format!("{}/r/0", s.uri());
    for i in 0..=capacity {
        c.get(&format!("{}/r/{i}", s.uri())).await.unwrap();
    }
    c.get(&first).await.unwrap();
    let reqs = s.received_requests().await.unwrap();
    let last = reqs.last().unwrap();
    assert_eq!(last.url.path(), "/r/0");
    assert!(
        !sent_etag(last),
        "the least recently used entry was still cached after {capacity} newer ones"
    );
    assert!(c.cached_pages() <= capacity);
}

#[tokio::test]
async fn a_one_shot_client_keeps_no_cache_and_a_long_lived_one_keeps_what_it_is_given() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(page(json!(["a"]), "\"e\"", None))
        .mount(&s)
        .await;
    let url = format!("{}/items?per_page=100", s.uri());
    let conditional = || async {
        let got = s.received_requests().await.unwrap();
        got.iter().filter(|r| sent_etag(r)).count()
    };
    // `collect` and `add-repo` (one process never asks for a listing twice) hold no bodies;
    // `serve` holds up to `collection.etag_cache_mib`, 0 turning it off.
    for (name, opts, cached) in [
        ("one-shot", ClientOptions::one_shot(), false),
        ("serve, 1 MiB", ClientOptions::long_lived(1), true),
        ("serve, 0 MiB", ClientOptions::long_lived(0), false),
    ] {
        let before = conditional().await;
        let c = test_client(Platform::GitHub, &["tok"], opts);
        c.get_all(&url, |_| true).await.unwrap();
        c.get_all(&url, |_| true).await.unwrap();
        assert_eq!(conditional().await - before, usize::from(cached), "{name}");
        assert_eq!(c.cached_pages(), usize::from(cached), "{name}");
    }
}
