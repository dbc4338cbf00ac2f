//! Private repositories are cloned with a key of their platform: a real forge (and the mock)
//! refuses an anonymous clone. The key goes to git through its environment, for the forge's
//! origin only: never into argv, the remote URL, the clone's config, a log line or an error, and
//! never along a redirect to another host.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aveloxis_core::config::Secret;
use aveloxis_core::forge::Platform;
use aveloxis_core::forge::keys::KeyPool;
use aveloxis_core::git_commits::{GitAuth, sync_repo, sync_repo_with};
use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario, WebDialect};

use crate::support::*;

/// `base64("x-access-token:mock-token-0")` and `base64("oauth2:mock-token-1")`: the keys as
/// they travel in an `Authorization: Basic` header.
const GH_BASIC: &str = "eC1hY2Nlc3MtdG9rZW46bW9jay10b2tlbi0w";
const GL_BASIC: &str = "b2F1dGgyOm1vY2stdG9rZW4tMQ==";

/// `git ARGS` in the bare repository `dir`, isolated from the user's configuration.
fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Every file below `dir`, read whole.
fn files_below(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(files_below(&p));
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Nothing in the clone at `bare` holds any of `secrets`, and its remote is `url` as given.
fn assert_clone_keeps_no_key(bare: &Path, url: &str, secrets: &[&str]) {
    let listed = git_in(bare, &["config", "--list"]);
    assert_eq!(git_in(bare, &["config", "remote.origin.url"]), url);
    for (file, bytes) in files_below(bare) {
        for s in secrets {
            assert!(!contains(&bytes, s), "{s} in {file}");
        }
    }
    for s in secrets {
        assert!(!listed.contains(s), "{s} in the config:\n{listed}");
    }
    assert!(!listed.contains("extraheader"), "{listed}");
}

/// A `git` on a directory of its own that records its argv and the names of the configuration
/// entries in its environment in `log`, then runs the real git: put it first on `PATH`.
fn recording_git(dir: &Path, log: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let out = Command::new("sh")
        .args(["-c", "command -v git"])
        .output()
        .unwrap();
    let real = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(real.starts_with('/'), "git on PATH: {real:?}");
    std::fs::create_dir_all(dir).unwrap();
    let script = format!(
        "#!/bin/sh\nprintf 'argv %s\\nkeys %s %s\\n' \"$*\" \"$GIT_CONFIG_KEY_0\" \"$GIT_CONFIG_KEY_1\" >> '{}'\n\
         exec '{real}' \"$@\"\n",
        log.display()
    );
    let path = dir.join("git");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn private_repositories_of_both_platforms_are_collected_with_their_commits() {
    let gh = MockForge::start(
        Scenario::generate(Preset::Tiny, 4).with_private("mock-org/tiny", WebDialect::GitHub),
    )
    .unwrap();
    let gl = MockForge::start(
        Scenario::generate(Preset::Tiny, 3).with_private("mock-org/tiny", WebDialect::GitLab),
    )
    .unwrap();
    let db = migrated_db().await;
    db.configure(serde_json::json!({
        "github": {"api_url": gh.github_api_url(), "web_url": gh.base_url()},
        "gitlab": {"api_url": gl.gitlab_api_url(), "web_url": gl.base_url()}
    }));
    db.run(&["add-key", DEFAULT_TOKENS[0]]);
    db.run(&["add-key", "--platform", "gitlab", DEFAULT_TOKENS[1]]);
    let (gh_url, gl_url) = (
        gh.web_url("mock-org", "tiny"),
        gl.web_url("mock-org", "tiny"),
    );
    db.run(&["add-repo", &gh_url, &gl_url]);
    let secrets = [DEFAULT_TOKENS[0], DEFAULT_TOKENS[1], GH_BASIC, GL_BASIC];
    let (bin, git_log) = (db.dir.path().join("bin"), db.dir.path().join("git.log"));
    recording_git(&bin, &git_log);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut conn = db.connect().await;
    // Twice: a clone, then a fetch into it.
    for run in 0..2 {
        let out = db
            .aveloxis()
            .env("AVELOXIS_LOG", "debug")
            .env("PATH", &path)
            .env_remove("GIT_CONFIG_COUNT")
            .args(["collect", &gh_url, &gl_url])
            .output()
            .unwrap();
        let (text, log) = (stdout(&out), stderr(&out));
        assert!(out.status.success(), "run {run}:\n{text}\n{log}");
        assert!(
            log.contains("git with a key"),
            "run {run}: the debug log is seen\n{log}"
        );
        for s in secrets {
            assert!(
                !text.contains(s) && !log.contains(s),
                "{s} in the output:\n{text}\n{log}"
            );
        }
        for (f, url) in [(&gh, &gh_url), (&gl, &gl_url)] {
            let (repo_id, commits): (i64, i64) = sqlx::query_as(
                "SELECT r.repo_id, count(DISTINCT c.cmt_commit_hash)
                   FROM aveloxis_data.repos r JOIN aveloxis_data.commits c USING (repo_id)
                  WHERE r.repo_git = $1 GROUP BY r.repo_id",
            )
            .bind(url)
            .fetch_one(&mut conn)
            .await
            .unwrap();
            let truth = f.ground_truth().repo("mock-org/tiny").unwrap().commits;
            assert_eq!(commits as usize, truth, "run {run}: {url}");
            let bare = db.dir.path().join("clones").join(format!("{repo_id}.git"));
            assert_clone_keeps_no_key(&bare, &format!("{url}.git"), &secrets);
        }
    }
    // git got the key through its environment, for each forge's origin, and never in argv.
    let git_log = std::fs::read_to_string(&git_log).unwrap();
    for s in secrets {
        assert!(!git_log.contains(s), "{s} reached git's argv:\n{git_log}");
    }
    for f in [&gh, &gl] {
        let keys = format!(
            "keys http.{}/.extraHeader http.followRedirects",
            f.base_url()
        );
        let runs = git_log.lines().filter(|l| *l == keys).count();
        assert_eq!(runs, 2, "a clone and a fetch with the key:\n{git_log}");
    }
    assert!(gh.unmatched_requests().is_empty() && gl.unmatched_requests().is_empty());
}

#[tokio::test]
async fn a_public_repository_clones_without_a_key_and_a_private_one_only_with_one() {
    let f = MockForge::start(
        Scenario::generate(Preset::Tiny, 6).with_private("mock-org/tiny", WebDialect::GitHub),
    )
    .unwrap();
    let truth = f.ground_truth();
    let tmp = tempfile::tempdir().unwrap();
    let clones = tmp.path();
    let public = f.git_clone_url("mock-org", "sidecar");
    let private = f.git_clone_url("mock-org", "tiny");
    let count = |bare: &Path| -> usize {
        git_in(bare, &["rev-list", "--count", "--all"])
            .parse()
            .unwrap()
    };

    // No valid key in the pool: nothing to lend, and a public repository clones anonymously.
    let empty = KeyPool::new(Platform::GitHub, Vec::new(), 10);
    assert!(
        GitAuth::lend(&empty, Platform::GitHub, &public)
            .unwrap()
            .is_none()
    );
    let bare = sync_repo(clones, 1, &public).await.unwrap();
    assert_eq!(
        count(&bare),
        truth.repo("mock-org/sidecar").unwrap().commits
    );

    // The private one: refused anonymously, refused with a key the forge does not know (which
    // appears in no error), cloned and fetched with a valid key.
    let e = sync_repo(clones, 2, &private).await.unwrap_err();
    assert!(!clones.join("2.git").exists(), "{e:#}");
    let bad = GitAuth::new(Platform::GitHub, &private, 9, &Secret::new("ghp_notakey")).unwrap();
    let e = sync_repo_with(clones, 2, &private, Some(&bad), Duration::from_secs(60))
        .await
        .unwrap_err();
    let text = format!("{e:#} {e:?} {bad:?}");
    assert!(
        !text.contains("ghp_notakey") && !text.contains("eC1hY2Nlc3MtdG9rZW46Z2hwX25vdGFrZXk"),
        "{text}"
    );
    let key = GitAuth::new(
        Platform::GitHub,
        &private,
        1,
        &Secret::new(DEFAULT_TOKENS[0]),
    )
    .unwrap();
    for _ in 0..2 {
        let bare = sync_repo_with(clones, 2, &private, Some(&key), Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(count(&bare), truth.repo("mock-org/tiny").unwrap().commits);
        assert_clone_keeps_no_key(&bare, &private, &[DEFAULT_TOKENS[0], GH_BASIC]);
    }
}

/// A listener that records the head of every request and answers it with `answer(head)`.
fn recorder(
    host: &str,
    answer: impl Fn(&str) -> String + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind(format!("{host}:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut head = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            while let Ok(n) = reader.read_line(&mut head) {
                if n == 0 || head.ends_with("\r\n\r\n") {
                    break;
                }
            }
            let _ = stream.write_all(answer(&head).as_bytes());
            log.lock().unwrap().push(head);
        }
    });
    (format!("http://{addr}"), seen)
}

/// The forge redirects the clone to another host, which serves a (dumb-HTTP) ref listing: a git
/// that followed would go on asking that host for objects, with whatever headers it was given.
#[tokio::test]
async fn a_redirect_to_another_host_does_not_carry_the_key() {
    let (elsewhere, foreign) = recorder("127.0.0.2", |head| {
        let body = if head.contains("/info/refs") {
            format!("{}\trefs/heads/main\n", "1".repeat(40))
        } else {
            String::new()
        };
        let status = if body.is_empty() {
            "404 Not Found"
        } else {
            "200 OK"
        };
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
    });
    let target = format!("{elsewhere}/x/y.git/info/refs?service=git-upload-pack");
    let (forge, asked) = recorder("127.0.0.1", move |_| {
        format!(
            "HTTP/1.1 301 Moved Permanently\r\nLocation: {target}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        )
    });
    let url = format!("{forge}/o/r.git");
    let token = Secret::new(DEFAULT_TOKENS[0]);
    let key = GitAuth::new(Platform::GitHub, &url, 1, &token).unwrap();
    assert_eq!(key.origin(), format!("{forge}/"));
    let tmp = tempfile::tempdir().unwrap();
    let e = sync_repo_with(tmp.path(), 1, &url, Some(&key), Duration::from_secs(60))
        .await
        .unwrap_err();
    let text = format!("{e:#}");
    assert!(
        !text.contains(DEFAULT_TOKENS[0]) && !text.contains(GH_BASIC),
        "{text}"
    );
    let asked = asked.lock().unwrap().clone();
    let header = format!("authorization: basic {}", GH_BASIC.to_ascii_lowercase());
    assert!(
        asked
            .iter()
            .any(|h| h.to_ascii_lowercase().contains(&header)),
        "the forge got the key: {asked:?}"
    );
    let foreign = foreign.lock().unwrap().clone();
    assert!(
        foreign
            .iter()
            .all(|h| !h.to_ascii_lowercase().contains("authorization")),
        "the key went to another host: {foreign:?}"
    );
}
