//! Fault injection from a YAML manifest.

use std::time::Instant;

use aveloxis_mock_forge::{MockForge, Scenario};

use crate::support::get;

const MANIFEST: &str = r#"
generate: { preset: tiny, seed: 3 }
faults:
  seed: 11
  rules:
    - route: "/repos/*/*/issues"
      method: GET
      nth: [2]
      fault: { kind: status, status: 502 }
    - route: "/repos/*/*/issues"
      nth: [3]
      fault: { kind: secondary_rate_limit, retry_after_secs: 7 }
    - route: "/repos/*/*/issues"
      nth: [4]
      fault: { kind: rate_limit, status: 429, reset_in_secs: 30 }
    - route: "/repos/*/*/issues"
      nth: [5]
      fault: { kind: truncate }
    - route: "/repos/*/*/issues"
      nth: [6]
      fault: { kind: malformed }
    - route: "/repos/*/*/issues"
      nth: [7]
      fault: { kind: reset }
    - route: "/repos/*/*/issues"
      nth: [8]
      fault: { kind: slow, delay_ms: 300 }
    - route: "/repos/*/*/pulls"
      probability: 0.3
      fault: { kind: status, status: 503, retry_after_secs: 1 }
"#;

fn start() -> MockForge {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("scenario.yaml");
    std::fs::write(&p, MANIFEST).unwrap();
    MockForge::start(Scenario::load(&p).unwrap()).unwrap()
}

#[test]
fn nth_request_faults_fire_exactly_once_each() {
    let f = start();
    let url = format!(
        "{}/repos/mock-org/tiny/issues?state=all",
        f.github_api_url()
    );
    let t = Some("mock-token-0");
    assert_eq!(get(&url, t).status, 200);
    assert_eq!(get(&url, t).status, 502);
    let r = get(&url, t);
    assert_eq!((r.status, r.header("retry-after")), (403, Some("7")));
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("secondary rate limit")
    );
    let r = get(&url, t);
    assert_eq!(
        (r.status, r.header("x-ratelimit-remaining")),
        (429, Some("0"))
    );
    let r = get(&url, t);
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_slice::<serde_json::Value>(&r.body).is_err(),
        "truncated body must not parse"
    );
    let r = get(&url, t);
    assert!(
        serde_json::from_slice::<serde_json::Value>(&r.body).is_err(),
        "malformed body must not parse"
    );
    let r = get(&url, t);
    assert!(r.incomplete, "connection must drop mid-body");
    let started = Instant::now();
    assert_eq!(get(&url, t).status, 200);
    assert!(started.elapsed().as_millis() >= 300);
    assert_eq!(get(&url, t).status, 200, "no rule fires on the 9th request");
}

#[test]
fn probabilistic_faults_are_deterministic_under_the_seed() {
    let pattern = || {
        let f = start();
        let url = format!("{}/repos/mock-org/tiny/pulls", f.github_api_url());
        (0..40)
            .map(|_| get(&url, Some("mock-token-0")).status)
            .collect::<Vec<_>>()
    };
    let a = pattern();
    assert_eq!(a, pattern());
    let failed = a.iter().filter(|s| **s == 503).count();
    assert!((3..=25).contains(&failed), "{failed} of 40 failed");
    assert!(a.iter().all(|s| *s == 200 || *s == 503));
}

#[test]
fn status_faults_carry_the_forges_words_and_204_has_no_body() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("scenario.yaml");
    std::fs::write(
        &p,
        r#"
generate: { preset: tiny, seed: 3 }
faults:
  rules:
    - route: "/repos/*/*/contributors"
      nth: [1]
      fault: { kind: status, status: 204 }
    - route: "/repos/*/*/contributors"
      nth: [2]
      fault: { kind: status, status: 409, message: "Git Repository is empty." }
"#,
    )
    .unwrap();
    let f = MockForge::start(Scenario::load(&p).unwrap()).unwrap();
    let url = format!("{}/repos/mock-org/tiny/contributors", f.github_api_url());
    let r = get(&url, Some("mock-token-0"));
    assert_eq!((r.status, r.body.len()), (204, 0));
    let r = get(&url, Some("mock-token-0"));
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["message"], "Git Repository is empty.");
    assert_eq!(get(&url, Some("mock-token-0")).status, 200);
}
