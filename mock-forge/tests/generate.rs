//! The generator: determinism, presets and ground truth.

use aveloxis_mock_forge::scenario::write_generated;
use aveloxis_mock_forge::{Preset, Scenario};

fn read_all(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn same_seed_is_byte_identical_and_different_seed_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    write_generated(Preset::Tiny, 7, &a).unwrap();
    write_generated(Preset::Tiny, 7, &b).unwrap();
    write_generated(Preset::Tiny, 8, &c).unwrap();
    let (fa, fb, fc) = (read_all(&a), read_all(&b), read_all(&c));
    assert_eq!(
        fa.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["ground-truth.json", "scenario.yaml", "world.json"]
    );
    assert_eq!(fa, fb);
    let world = |f: &[(String, Vec<u8>)]| f.iter().find(|x| x.0 == "world.json").unwrap().1.clone();
    assert_ne!(world(&fa), world(&fc));
    // The written directory loads back into the same world.
    let loaded = Scenario::load(&a).unwrap();
    assert_eq!(loaded.world, Scenario::generate(Preset::Tiny, 7).world);
    assert_eq!(loaded.tokens.len(), 3);
}

#[test]
fn augur_preset_has_augur_scale() {
    let s = Scenario::generate(Preset::Augur, 1);
    let t = s.ground_truth();
    let r = t.repo("mock-org/augur").unwrap();
    assert!(
        r.issues_listing >= 2_000,
        "thousands of issues+PRs: {}",
        r.issues_listing
    );
    assert!(
        r.issue_events + r.pull_request_events >= 10_000,
        "tens of thousands of events"
    );
    assert!(
        r.messages >= 10_000,
        "tens of thousands of comments: {}",
        r.messages
    );
    assert!(r.commits >= 2_000);
    assert!(r.colliding_message_ids > 100);
    assert_eq!(r.issues_listing, r.issues + r.pull_requests);
    assert_eq!(r.open_issues + r.closed_issues, r.issues);
    assert!(r.merged_pull_requests <= r.closed_pull_requests);
    assert_eq!(
        t.redirects.get("mock-org/augur-legacy").map(String::as_str),
        Some("mock-org/augur")
    );
}

#[test]
fn a_fleet_has_the_requested_number_of_small_served_repositories() {
    let s = aveloxis_mock_forge::Scenario::fleet(25, 3);
    let truth = s.ground_truth();
    assert_eq!(truth.repos.len(), 25);
    let r = truth.repo("mock-org/fleet-00007").expect("fleet-00007");
    assert!(
        r.issues > 0 && r.pull_requests > 0 && r.commits > 0,
        "{r:?}"
    );
    assert_eq!(
        aveloxis_mock_forge::Scenario::fleet(25, 3).ground_truth(),
        truth,
        "a fleet is deterministic under its seed"
    );
    let forge = aveloxis_mock_forge::MockForge::start(s).unwrap();
    let url = format!("{}/repos/mock-org/fleet-00024", forge.github_api_url());
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H"])
        .arg(format!(
            "Authorization: Bearer {}",
            aveloxis_mock_forge::DEFAULT_TOKENS[0]
        ))
        .arg(&url)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
}
