//! The forge HTTP client's policies, request by request, against wiremock.

use std::time::{Duration, Instant, SystemTime};

use aveloxis_core::forge::Platform;

use crate::support::test_client;
use aveloxis_core::forge::client::{ClientOptions, ForgeClient, ForgeError};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(platform: Platform, tokens: &[&str]) -> ForgeClient {
    test_client(
        platform,
        tokens,
        ClientOptions {
            max_attempts: 4,
            base_backoff: Duration::from_millis(5),
            max_pause: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            ..ClientOptions::default()
        },
    )
}

async fn auths(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .or_else(|| r.headers.get("private-token"))
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn pagination_follows_link_with_auth_and_user_agent() {
    let s = MockServer::start().await;
    let base = s.uri();
    for (page, next, times) in [("1", Some("2"), 2), ("2", Some("3"), 1), ("3", None, 1)] {
        let mut resp = ResponseTemplate::new(200).set_body_json(json!([{"page": page}]));
        if let Some(n) = next {
            resp = resp.insert_header(
                "link",
                format!(
                    "<{base}/items?page={n}>; rel=\"next\", <{base}/items?page=3>; rel=\"last\""
                )
                .as_str(),
            );
        }
        Mock::given(method("GET"))
            .and(path("/items"))
            .and(wiremock::matchers::query_param("page", page))
            .and(header("authorization", "Bearer tok-a"))
            .respond_with(resp)
            .expect(times)
            .mount(&s)
            .await;
    }
    let c = client(Platform::GitHub, &["tok-a"]);
    let pages = c
        .get_all(&format!("{base}/items?page=1"), |_| true)
        .await
        .unwrap();
    let got: Vec<_> = pages.iter().map(|p| p.body[0]["page"].clone()).collect();
    assert_eq!(got, vec![json!("1"), json!("2"), json!("3")]);
    let reqs = s.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 3);
    assert!(
        reqs.iter()
            .all(|r| r.headers.get("accept").unwrap() == "application/vnd.github+json")
    );
    assert!(reqs.iter().all(|r| {
        r.headers
            .get("user-agent")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("aveloxis/")
    }));
    // keep_going can stop early: one more request, for page 1 only.
    let pages = c
        .get_all(&format!("{base}/items?page=1"), |_| false)
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
}

#[tokio::test]
async fn keys_rotate_round_robin_and_a_401_key_is_dropped() {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer bad"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})),
        )
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&s)
        .await;
    let c = client(Platform::GitHub, &["k1", "bad", "k3"]);
    for _ in 0..6 {
        c.get(&format!("{}/x", s.uri())).await.unwrap();
    }
    assert_eq!(
        auths(&s).await,
        [
            "Bearer k1",
            "Bearer bad",
            "Bearer k3",
            "Bearer k1",
            "Bearer k3",
            "Bearer k1",
            "Bearer k3"
        ]
    );
    assert!(c.keys().health().iter().any(|k| k.id == 2 && k.invalid));
    // Every key rejected → a clear error, not a hang.
    let only_bad = client(Platform::GitHub, &["bad"]);
    match only_bad.get(&format!("{}/x", s.uri())).await {
        Err(ForgeError::NoKeys { platform }) => assert_eq!(platform, "github"),
        other => panic!("expected NoKeys, got {other:?}"),
    }
}

#[tokio::test]
async fn server_errors_back_off_then_succeed_or_give_up_bounded() {
    let s = MockServer::start().await;
    for status in [502, 503] {
        Mock::given(path("/flaky"))
            .respond_with(ResponseTemplate::new(status))
            .up_to_n_times(1)
            .mount(&s)
            .await;
    }
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(&s)
        .await;
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&s)
        .await;
    Mock::given(path("/garbled"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"truncated\": [1, 2"))
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(path("/garbled"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([1, 2])))
        .mount(&s)
        .await;
    let c = client(Platform::GitHub, &["k"]);
    assert_eq!(
        c.get(&format!("{}/flaky", s.uri())).await.unwrap().body,
        json!({"ok": true})
    );
    assert_eq!(
        c.get(&format!("{}/garbled", s.uri())).await.unwrap().body,
        json!([1, 2])
    );
    match c.get(&format!("{}/down", s.uri())).await {
        Err(ForgeError::Exhausted { attempts, last, .. }) => {
            assert_eq!(attempts, 4);
            assert!(last.contains("500"), "{last}");
        }
        other => panic!("expected Exhausted, got {other:?}"),
    }
    let paths: Vec<String> = s
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths.iter().filter(|p| *p == "/flaky").count(), 3);
    assert_eq!(paths.iter().filter(|p| *p == "/garbled").count(), 2);
    assert_eq!(paths.iter().filter(|p| *p == "/down").count(), 4);
}

#[tokio::test]
async fn rate_limits_switch_keys_and_wait_for_the_reset() {
    let s = MockServer::start().await;
    let reset = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2;
    Mock::given(header("authorization", "Bearer a"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .set_body_json(json!({"message": "API rate limit exceeded"})),
        )
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(header("authorization", "Bearer b"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str()),
        )
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-remaining", "4999")
                .set_body_json(json!({})),
        )
        .mount(&s)
        .await;
    let c = client(Platform::GitHub, &["a", "b"]);
    let t = Instant::now();
    c.get(&format!("{}/limited", s.uri())).await.unwrap();
    // a → 403 exhausted, b → 429 exhausted, then the client sleeps until the reset.
    assert_eq!(auths(&s).await[..2], ["Bearer a", "Bearer b"]);
    assert_eq!(auths(&s).await.len(), 3);
    assert!(
        t.elapsed() >= Duration::from_millis(500),
        "did not wait for the reset"
    );

    // Secondary limit: Retry-After is honoured on the same request.
    let s2 = MockServer::start().await;
    Mock::given(path("/burst"))
        .respond_with(ResponseTemplate::new(403).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&s2)
        .await;
    Mock::given(path("/burst"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": 1})))
        .mount(&s2)
        .await;
    let t = Instant::now();
    assert_eq!(
        c.get(&format!("{}/burst", s2.uri())).await.unwrap().body,
        json!({"ok": 1})
    );
    assert!(t.elapsed() >= Duration::from_secs(1));
    // A plain 403 (no limit headers) is a permission error, not retried.
    Mock::given(path("/private"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"message": "Must have push access"})),
        )
        .mount(&s2)
        .await;
    assert!(matches!(
        c.get(&format!("{}/private", s2.uri())).await,
        Err(ForgeError::Forbidden { status: 403, .. })
    ));
}

#[tokio::test]
async fn etags_are_sent_and_304_is_served_from_cache() {
    let s = MockServer::start().await;
    Mock::given(path("/repo"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .mount(&s)
        .await;
    Mock::given(path("/repo"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .set_body_json(json!({"name": "r"})),
        )
        .mount(&s)
        .await;
    let c = client(Platform::GitHub, &["k"]);
    let first = c.get(&format!("{}/repo", s.uri())).await.unwrap();
    let second = c.get(&format!("{}/repo", s.uri())).await.unwrap();
    assert!(!first.not_modified && second.not_modified);
    assert_eq!(second.body, json!({"name": "r"}));
    let reqs = s.received_requests().await.unwrap();
    assert!(reqs[0].headers.get("if-none-match").is_none());
    assert_eq!(reqs[1].headers.get("if-none-match").unwrap(), "\"v1\"");
}

#[tokio::test]
async fn redirects_are_followed_by_hand_and_never_leak_the_token_elsewhere() {
    let s = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(path("/old"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/new"))
        .mount(&s)
        .await;
    Mock::given(path("/new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"moved": true})))
        .mount(&s)
        .await;
    Mock::given(path("/away"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/elsewhere", other.uri()).as_str()),
        )
        .mount(&s)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&other)
        .await;
    let c = client(Platform::GitHub, &["secret-token"]);
    let p = c.get(&format!("{}/old", s.uri())).await.unwrap();
    assert!(p.url.ends_with("/new"));
    assert_eq!(
        auths(&s).await,
        ["Bearer secret-token", "Bearer secret-token"]
    );
    c.get(&format!("{}/away", s.uri())).await.unwrap();
    assert_eq!(auths(&other).await, [""], "the token went to another host");
}

#[tokio::test]
async fn gitlab_uses_private_token_and_x_next_page() {
    let s = MockServer::start().await;
    Mock::given(path("/api/v4/projects/1/issues"))
        .and(wiremock::matchers::query_param("page", "1"))
        .and(header("private-token", "glpat"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-next-page", "2")
                .set_body_json(json!([1])),
        )
        .mount(&s)
        .await;
    Mock::given(path("/api/v4/projects/1/issues"))
        .and(wiremock::matchers::query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-next-page", "")
                .set_body_json(json!([2])),
        )
        .mount(&s)
        .await;
    let c = client(Platform::GitLab, &["glpat"]);
    let pages = c
        .get_all(
            &format!("{}/api/v4/projects/1/issues?per_page=100&page=1", s.uri()),
            |_| true,
        )
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].body, json!([2]));
    assert!(pages[1].url.contains("per_page=100"));
}

#[tokio::test]
async fn a_listing_never_follows_or_credentials_a_next_link_to_another_host() {
    let s = MockServer::start().await;
    let other = MockServer::start().await;
    // Page 1 names the next page on another host, as a hostile or broken proxy could.
    Mock::given(path("/items"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"page": 1}]))
                .insert_header(
                    "link",
                    format!("<{}/items?page=2>; rel=\"next\"", other.uri()).as_str(),
                ),
        )
        .mount(&s)
        .await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&other)
        .await;
    // GitLab: the first page is redirected to another host; the next page is built from there.
    Mock::given(path("/away"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/list", other.uri()).as_str()),
        )
        .mount(&s)
        .await;
    Mock::given(path("/list"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"page": 1}]))
                .insert_header("x-next-page", "2"),
        )
        .mount(&other)
        .await;
    let c = client(Platform::GitHub, &["secret-token"]);
    let e = c
        .get_all(&format!("{}/items", s.uri()), |_| true)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ForgeError::ForeignNext { .. }) && e.to_string().contains("another host"),
        "{e}"
    );
    let gl = client(Platform::GitLab, &["glpat-secret"]);
    let e = gl
        .get_all(&format!("{}/away", s.uri()), |_| true)
        .await
        .unwrap_err();
    assert!(matches!(e, ForgeError::ForeignNext { .. }), "{e}");
    // The other host saw the redirected first page only, and never a credential.
    let seen = auths(&other).await;
    assert_eq!(seen, [""], "requests to the other host: {seen:?}");
}

#[test]
fn link_targets_with_commas_stay_whole() {
    use aveloxis_core::forge::client::next_link;
    let link = "<https://api.github.com/repos/o/r/issues?labels=a,b&page=2>; rel=\"next\", \
                <https://api.github.com/repos/o/r/issues?labels=a,b&page=9>; rel=\"last\"";
    assert_eq!(
        next_link(link).as_deref(),
        Some("https://api.github.com/repos/o/r/issues?labels=a,b&page=2")
    );
    assert_eq!(
        next_link("<https://x/a?page=1>; rel=\"prev\", <https://x/a?page=3>; rel=\"next\"")
            .as_deref(),
        Some("https://x/a?page=3")
    );
    assert_eq!(next_link("<https://x/a?page=9>; rel=\"last\""), None);
}

#[tokio::test]
async fn a_rate_limit_whose_reset_is_past_parks_the_key_instead_of_retrying_at_once() {
    let s = MockServer::start().await;
    let past = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 300;
    Mock::given(path("/skewed"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", past.to_string().as_str())
                .set_body_json(json!({"message": "API rate limit exceeded"})),
        )
        .mount(&s)
        .await;
    let c = test_client(
        Platform::GitHub,
        &["tok"],
        ClientOptions {
            max_attempts: 3,
            base_backoff: Duration::from_millis(5),
            max_pause: Duration::from_millis(200),
            timeout: Duration::from_secs(10),
            ..ClientOptions::default()
        },
    );
    // The old client re-used the key at once (its "reset" had passed) and sent thousands of
    // requests a second. Now the key is parked for the fallback minute and the refusal counts
    // as an attempt: within three seconds, one request and a quiet wait.
    let r = tokio::time::timeout(
        Duration::from_secs(3),
        c.get(&format!("{}/skewed", s.uri())),
    )
    .await;
    assert!(r.is_err(), "still waiting for the parked key: {r:?}");
    let n = s.received_requests().await.unwrap().len();
    assert_eq!(
        n, 1,
        "{n} requests in 3 s: a refusal with a past reset is not retried at once"
    );
}

#[tokio::test]
async fn a_401_from_another_host_the_key_never_reached_keeps_the_key() {
    let s = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(path("/away"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/login", other.uri()).as_str()),
        )
        .mount(&s)
        .await;
    Mock::given(path("/login"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&other)
        .await;
    Mock::given(path("/fine"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .mount(&s)
        .await;
    let c = client(Platform::GitHub, &["only-key"]);
    let e = c.get(&format!("{}/away", s.uri())).await.unwrap_err();
    assert!(matches!(e, ForgeError::Status { status: 401, .. }), "{e}");
    // The only key is still usable.
    let p = c.get(&format!("{}/fine", s.uri())).await.unwrap();
    assert_eq!(p.body["ok"], true);
}
