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

/// `git clone` in `dir` (quietly, never prompting, no credential helper of the user's): whether
/// it succeeded, and git's stderr.
fn try_clone(url: &str, dest: &str, dir: &std::path::Path) -> (bool, String) {
    let out = Command::new("git")
        .args([
            "-c",
            "credential.helper=",
            "clone",
            "--bare",
            "--quiet",
            url,
            dest,
        ])
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_private_repository_is_cloned_only_with_a_key() {
    use crate::support::request;
    use aveloxis_mock_forge::WebDialect;
    // `tiny` private on GitHub's terms with `sidecar` public; then `sidecar` private on GitLab's.
    let gh = MockForge::start(
        Scenario::generate(Preset::Tiny, 5).with_private("mock-org/tiny", WebDialect::GitHub),
    )
    .unwrap();
    let gl = MockForge::start(
        Scenario::generate(Preset::Tiny, 5).with_private("mock-org/sidecar", WebDialect::GitLab),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let refs =
        |f: &MockForge, name: &str| format!("{}/info/refs", f.git_clone_url("mock-org", name));
    let basic = |b64: &str| format!("Basic {b64}");

    // A stranger is challenged the way each forge does; a rename does not reveal the new name.
    for (f, name, realm) in [
        (&gh, "tiny", "GitHub"),
        (&gl, "sidecar", "GitLab"),
        (&gl, "sidecar-old", "GitLab"),
    ] {
        let r = request("GET", &refs(f, name), &[], None);
        assert_eq!(r.status, 401, "{name}");
        let want = format!("Basic realm=\"{realm}\"");
        assert_eq!(r.header("www-authenticate"), Some(want.as_str()), "{name}");
    }
    let (ok, err) = try_clone(
        &gh.git_clone_url("mock-org", "tiny"),
        "anon.git",
        tmp.path(),
    );
    assert!(!ok, "an anonymous clone of a private repository succeeded");
    assert!(!tmp.path().join("anon.git").exists(), "{err}");

    // A key the scenario does not accept, no password, a bearer token: refused.
    let wrong = basic("eC1hY2Nlc3MtdG9rZW46d3JvbmctdG9rZW4="); // x-access-token:wrong-token
    let no_password = basic("b2F1dGgyOg=="); // oauth2:
    for auth in [wrong.as_str(), no_password.as_str(), "Bearer mock-token-0"] {
        let r = request("GET", &refs(&gh, "tiny"), &[("Authorization", auth)], None);
        assert_eq!(r.status, 401, "{auth}");
    }
    // HTTP Basic with an accepted key as the password is served.
    let key0 = basic("eC1hY2Nlc3MtdG9rZW46bW9jay10b2tlbi0w"); // x-access-token:mock-token-0
    let key1 = basic("b2F1dGgyOm1vY2stdG9rZW4tMQ=="); // oauth2:mock-token-1
    let r = request("GET", &refs(&gh, "tiny"), &[("Authorization", &key0)], None);
    assert_eq!(r.status, 200);
    let r = request(
        "GET",
        &refs(&gl, "sidecar-old"),
        &[("Authorization", &key1)],
        None,
    );
    assert_eq!(r.status, 301);

    // Real git: credentials in the URL are sent after the challenge, and the clone is whole.
    let with_key = gl.git_clone_url("mock-org", "sidecar").replacen(
        "http://",
        "http://oauth2:mock-token-1@",
        1,
    );
    let (ok, err) = try_clone(&with_key, "side.git", tmp.path());
    assert!(ok, "{err}");
    let count = |dir: &str| -> usize {
        git(&["rev-list", "--count", "--all"], &tmp.path().join(dir))
            .parse()
            .unwrap()
    };
    let truth = gl.ground_truth();
    assert_eq!(
        count("side.git"),
        truth.repo("mock-org/sidecar").unwrap().commits
    );

    // A public repository stays anonymous (also by its old name).
    let (ok, err) = try_clone(
        &gh.git_clone_url("mock-org", "sidecar-old"),
        "pub.git",
        tmp.path(),
    );
    assert!(ok, "{err}");
    let truth = gh.ground_truth();
    assert_eq!(
        count("pub.git"),
        truth.repo("mock-org/sidecar").unwrap().commits
    );
}
