//! A third-party GitHub client (PyGithub) against the mock forge.
//!
//! PyGithub is installed by the test script (`pip install PyGithub`), not
//! vendored. When it is missing the test fails if `MOCK_FORGE_REQUIRE_PYGITHUB`
//! is set (CI sets it after installing) and otherwise says loudly that it
//! could not run.

use std::process::Command;

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};

fn pygithub_available() -> bool {
    Command::new("python3")
        .args(["-c", "import github"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn pygithub_paginates_sees_rate_limits_and_304() {
    if !pygithub_available() {
        assert!(
            std::env::var_os("MOCK_FORGE_REQUIRE_PYGITHUB").is_none(),
            "PyGithub is required (pip install PyGithub) but not importable"
        );
        eprintln!("NOT RUN: PyGithub is not installed (pip install PyGithub)");
        return;
    }
    let s = Scenario::generate(Preset::Tiny, 77).with_token("pygithub-small", Some(3));
    let f = MockForge::start(s).unwrap();
    let t = f.ground_truth().repo("mock-org/tiny").unwrap().clone();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/third_party/pygithub_check.py");
    let out = Command::new("python3")
        .arg(script)
        .args([
            f.github_enterprise_api_url().as_str(),
            DEFAULT_TOKENS[0],
            "pygithub-small",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["full_name"], "mock-org/tiny");
    assert_eq!(
        v["issues_iterated"].as_u64().unwrap() as usize,
        t.issues_listing
    );
    assert_eq!(
        v["issues_total_count"].as_u64().unwrap() as usize,
        t.issues_listing
    );
    assert_eq!(
        v["pulls_iterated"].as_u64().unwrap() as usize,
        t.pull_requests
    );
    assert_eq!(v["etag_status"], 304);
    assert_eq!(v["rate_limited"], true);
    assert_eq!(v["rate_status"], 403);
    assert!(
        v["rate_reset"].as_str().unwrap().parse::<i64>().unwrap()
            > aveloxis_mock_forge::time::now()
    );
    assert!(
        f.unmatched_requests().is_empty(),
        "{:?}",
        f.unmatched_requests()
    );
}
