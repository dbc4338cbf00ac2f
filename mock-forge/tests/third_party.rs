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

/// False (after saying so) when PyGithub cannot run here; a failure when CI
/// requires it.
fn pygithub_runs() -> bool {
    if pygithub_available() {
        return true;
    }
    assert!(
        std::env::var_os("MOCK_FORGE_REQUIRE_PYGITHUB").is_none(),
        "PyGithub is required (pip install PyGithub) but not importable"
    );
    eprintln!("NOT RUN: PyGithub is not installed (pip install PyGithub)");
    false
}

/// Runs `tests/third_party/{script}` with `args`; its stdout as JSON.
fn run_script(script: &str, args: &[&str]) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/third_party")
        .join(script);
    let out = Command::new("python3")
        .arg(path)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn pygithub_paginates_sees_rate_limits_and_304() {
    if !pygithub_runs() {
        return;
    }
    let s = Scenario::generate(Preset::Tiny, 77).with_token("pygithub-small", Some(3));
    let f = MockForge::start(s).unwrap();
    let t = f.ground_truth().repo("mock-org/tiny").unwrap().clone();
    let v = run_script(
        "pygithub_check.py",
        &[
            f.github_enterprise_api_url().as_str(),
            DEFAULT_TOKENS[0],
            "pygithub-small",
        ],
    );
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

#[test]
fn pygithub_crawls_a_repository_to_its_ground_truth() {
    if !pygithub_runs() {
        return;
    }
    let f = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    crawl_matches_the_truth(&f);
}

#[test]
fn pygithub_crawls_the_last_day_of_a_moving_world_to_its_ground_truth() {
    if !pygithub_runs() {
        return;
    }
    let f = MockForge::start(Scenario::generate_days(Preset::Tiny, 42, 3)).unwrap();
    f.set_day(3);
    crawl_matches_the_truth(&f);
}

/// A PyGithub crawl of `mock-org/tiny` on the forge's global day sees that day's truth and
/// leaves no unmatched request.
fn crawl_matches_the_truth(f: &MockForge) {
    let truth = f.ground_truth();
    let t = truth.repo("mock-org/tiny").unwrap();
    let api = f.github_enterprise_api_url();
    let v = run_script(
        "pygithub_crawl.py",
        &[&api, DEFAULT_TOKENS[0], "mock-org/tiny"],
    );
    assert!(
        f.unmatched_requests().is_empty(),
        "{:?}",
        f.unmatched_requests()
    );
    let n = |k: &str| v[k].as_u64().unwrap() as usize;
    assert_eq!(n("issues"), t.issues_listing);
    assert_eq!(
        n("comments"),
        t.issue_comments + t.pull_request_issue_comments
    );
    assert_eq!(n("events"), t.issue_events + t.pull_request_events);
    assert_eq!(
        n("timeline"),
        t.issue_events + t.pull_request_events + t.issue_comments + t.pull_request_issue_comments
    );
    assert_eq!(n("issue_labels"), t.issue_labels + t.pull_request_labels);
    assert_eq!(n("pulls"), t.pull_requests);
    assert_eq!(n("reviews"), t.reviews);
    assert_eq!(n("pull_commits"), t.pull_request_commits);
    assert_eq!(n("pull_files"), t.pull_request_files);
    assert_eq!(n("commits"), t.commits);
    let profiles = v["profiles"].as_object().unwrap();
    assert!(profiles.len() > 3, "{profiles:?}");
    for (login, seen) in profiles {
        let p = &truth.user_profiles[login];
        assert_eq!(seen["name"].as_str(), Some(p.name.as_str()), "{login}");
        assert_eq!(seen["company"].as_str(), p.company.as_deref(), "{login}");
        assert_eq!(seen["location"].as_str(), p.location.as_deref(), "{login}");
        assert_eq!(seen["email"].as_str(), p.email.as_deref(), "{login}");
        assert_eq!(seen["type"], p.kind.as_str(), "{login}");
        assert_eq!(seen["orgs"], serde_json::json!(p.orgs), "{login}");
    }
    assert!(
        profiles
            .values()
            .any(|p| p["orgs"] == serde_json::json!(["mock-org"]))
    );
    let world = f.world();
    let repo = world.repos.iter().find(|r| r.name == "tiny").unwrap();
    for c in &repo.commits {
        let want = c.author_user.map(|u| world.users[u].login.clone());
        assert_eq!(
            v["commit_authors"][&c.sha].as_str(),
            want.as_deref(),
            "{}",
            c.sha
        );
    }
    let searches = v["searches"].as_object().unwrap();
    assert!(!searches.is_empty());
    for (email, found) in searches {
        let want: Vec<&String> = truth
            .user_profiles
            .iter()
            .filter(|(_, p)| {
                p.commit_email.eq_ignore_ascii_case(email)
                    || p.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .map(|(l, _)| l)
            .collect();
        assert_eq!(found, &serde_json::json!(want), "{email}");
    }
}

#[test]
fn pygithub_reads_repository_metadata_without_a_501() {
    if !pygithub_runs() {
        return;
    }
    let f = MockForge::start(Scenario::generate(Preset::Tiny, 42)).unwrap();
    let api = f.github_enterprise_api_url();
    let v = run_script(
        "pygithub_meta.py",
        &[&api, DEFAULT_TOKENS[0], "mock-org/tiny"],
    );
    assert!(
        f.unmatched_requests().is_empty(),
        "{:?}",
        f.unmatched_requests()
    );
    let world = f.world();
    let repo = world.repos.iter().find(|r| r.name == "tiny").unwrap();
    let head = &repo.commits.last().unwrap().sha;
    assert_eq!(v["head"], head.as_str());
    assert_eq!(v["branches"], serde_json::json!([["main", head]]));
    let langs = v["languages"].as_object().unwrap();
    assert_eq!(langs.keys().collect::<Vec<_>>(), vec![&repo.language]);
    assert_eq!(v["topics"], v["repo_topics"]);
    // The world holds no milestones, reactions, commit comments or statuses.
    for k in [
        "milestones",
        "reactions",
        "commit_comments",
        "head_comments",
        "statuses",
    ] {
        assert_eq!(v[k], 0, "{k}");
    }
    assert_eq!(v["combined_state"], "pending");
}
