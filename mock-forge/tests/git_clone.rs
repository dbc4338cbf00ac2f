//! `git clone` over the mock forge's dumb HTTP.

use std::process::Command;

use aveloxis_mock_forge::{MockForge, Preset, Scenario};

fn git(args: &[&str], dir: &std::path::Path) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn clone_yields_the_generated_history() {
    let f = MockForge::start(Scenario::generate(Preset::Tiny, 5)).unwrap();
    let truth = f.ground_truth();
    let tmp = tempfile::tempdir().unwrap();
    git(
        &[
            "clone",
            "--bare",
            "--quiet",
            &f.git_clone_url("mock-org", "tiny"),
            "tiny.git",
        ],
        tmp.path(),
    );
    let repo = tmp.path().join("tiny.git");
    let count: usize = git(&["rev-list", "--count", "--all"], &repo)
        .parse()
        .unwrap();
    assert_eq!(count, truth.repo("mock-org/tiny").unwrap().commits);
    let head = git(&["rev-parse", "HEAD"], &repo);
    assert_eq!(head, f.world().repos[0].commits.last().unwrap().sha);
    // Numstat of a commit equals what the API reports for it.
    let c = &f.world().repos[0].commits[3];
    let numstat = git(&["show", "--numstat", "--format=", &c.sha], &repo);
    let adds: u64 = numstat
        .lines()
        .map(|l| l.split('\t').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(adds, c.changes.iter().map(|x| x.additions).sum::<u64>());
    // A renamed repository's old clone URL redirects.
    git(
        &[
            "clone",
            "--bare",
            "--quiet",
            &f.git_clone_url("mock-org", "sidecar-old"),
            "side.git",
        ],
        tmp.path(),
    );
    let n: usize = git(
        &["rev-list", "--count", "--all"],
        &tmp.path().join("side.git"),
    )
    .parse()
    .unwrap();
    assert_eq!(n, truth.repo("mock-org/sidecar").unwrap().commits);
    // Missing repositories fail.
    let out = Command::new("git")
        .args([
            "clone",
            "--quiet",
            &f.git_clone_url("mock-org", "deleted-repo"),
            "x",
        ])
        .current_dir(tmp.path())
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
}
