//! Replay of recorded cassettes (`@octokit/fixtures` as-is).

use aveloxis_mock_forge::cassette::{self, rewrite};
use aveloxis_mock_forge::{MockForge, Scenario};
use serde_json::Value;

use crate::support::request;

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/octokit")
        .join(format!("{name}.json"))
}

/// Sends every recorded request in order and checks status, body and the
/// (rewritten) Link and Location headers.
fn replay_exactly(name: &str) {
    let interactions = cassette::load(&fixture(name)).unwrap();
    let f = MockForge::start(Scenario::from_cassettes(interactions.clone())).unwrap();
    let base = f.base_url();
    for it in &interactions {
        let body = it.request_body.as_ref().map(|b| b.to_string());
        let r = request(
            &it.method,
            &format!("{base}{}", it.path),
            &[(
                "Authorization",
                "token 0000000000000000000000000000000000000001",
            )],
            body.as_deref().map(str::as_bytes),
        );
        assert_eq!(r.status, it.status, "{name}: {} {}", it.method, it.path);
        let want_text = match &it.body {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        let want_text = rewrite(&want_text, &it.origin, &base);
        if want_text.is_empty() {
            assert!(r.body.is_empty());
        } else {
            let want: Value = serde_json::from_str(&want_text).unwrap();
            assert_eq!(r.json(), want, "{name}: body of {} {}", it.method, it.path);
        }
        for h in ["link", "location"] {
            let recorded = it
                .headers
                .iter()
                .find(|(k, _)| k == h)
                .map(|(_, v)| rewrite(v, &it.origin, &base));
            assert_eq!(
                r.header(h).map(str::to_string),
                recorded,
                "{name}: {h} of {}",
                it.path
            );
            if let Some(v) = r.header(h) {
                assert!(!v.contains("api.github.com"), "{h} not rewritten: {v}");
            }
        }
    }
    assert!(f.unmatched_requests().is_empty());
}

#[test]
fn octokit_paginate_issues() {
    replay_exactly("paginate-issues");
}

#[test]
fn octokit_get_repository() {
    replay_exactly("get-repository");
}

#[test]
fn octokit_rename_repository() {
    replay_exactly("rename-repository");
}

#[test]
fn octokit_errors() {
    replay_exactly("errors");
}

#[test]
fn octokit_labels() {
    replay_exactly("labels");
}

#[test]
fn paginating_a_replayed_listing_follows_rewritten_links() {
    let f = MockForge::start(Scenario::load(&fixture("paginate-issues")).unwrap()).unwrap();
    let all = crate::support::github_all(
        &format!(
            "{}/repos/octokit-fixture-org/paginate-issues/issues?per_page=3",
            f.base_url()
        ),
        "x",
    );
    assert_eq!(all.len(), 13);
}

#[test]
fn unmatched_requests_are_loud() {
    let f = MockForge::start(Scenario::load(&fixture("get-repository")).unwrap()).unwrap();
    let r = request(
        "GET",
        &format!(
            "{}/repos/octokit-fixture-org/hello-world/issues?page=9",
            f.base_url()
        ),
        &[],
        None,
    );
    assert_eq!(r.status, 501);
    assert_eq!(r.json()["mock_forge_unmatched"], true);
    assert!(
        r.text()
            .contains("GET /repos/octokit-fixture-org/hello-world/issues?page=9")
    );
    assert_eq!(
        f.unmatched_requests(),
        vec!["GET /repos/octokit-fixture-org/hello-world/issues?page=9".to_string()]
    );
    // A body that differs from the recorded one does not match either.
    let f = MockForge::start(Scenario::load(&fixture("errors")).unwrap()).unwrap();
    let r = request(
        "POST",
        &format!("{}/repos/octokit-fixture-org/errors/labels", f.base_url()),
        &[],
        Some(b"{\"name\":\"other\"}"),
    );
    assert_eq!(r.status, 501);
}
