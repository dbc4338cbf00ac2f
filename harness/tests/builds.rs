//! Progress output and the shared target dir's build lock.

use std::path::Path;
use std::process::Command;

use super::support::*;

/// On a terminal every phase gets a bar (the collect phase counts its 8 steps), drawn below the
/// streamed `[released]`/`[new]` lines; anywhere else output stays plain lines (the other tests).
#[test]
fn data_test_draws_a_progress_bar_per_phase_on_a_terminal() {
    let work = tempfile::tempdir().unwrap();
    let quote = |p: &Path| format!("'{}'", p.display());
    let cmd = format!(
        "{} data-test --released-tag HEAD --repo https://github.com/augurlabs/tiny \
         --released-bin {bin} --new-bin {bin} --work-dir {}",
        quote(Path::new(env!("CARGO_BIN_EXE_harness"))),
        quote(work.path()),
        bin = quote(aveloxis_bin()),
    );
    // `script` runs the harness on a pseudo-terminal.
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CI")
        .env_remove("NO_PROGRESS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    // A finished spinner reads "<phase, right-aligned> <spinner> done in …".
    let finished = |phase: &str| {
        t.match_indices(&format!("{phase:>9} ")).any(|(i, m)| {
            t[i + m.len()..]
                .trim_start_matches(|c: char| c == ' ' || !c.is_ascii())
                .starts_with("done in")
        })
    };
    for phase in ["resolve", "provision", "forge", "diff", "report"] {
        assert!(finished(phase), "no finished bar for {phase}: {t}");
    }
    // The collect bar ends at its total ("] N/N done in"), whatever the sides' step count.
    let finished_collect = t.match_indices("] ").any(|(i, m)| {
        let rest = &t[i + m.len()..];
        let Some((count, after)) = rest.split_once(' ') else {
            return false;
        };
        let done = count
            .split_once('/')
            .is_some_and(|(a, b)| a == b && !a.is_empty());
        done && after.starts_with("done in")
    });
    assert!(
        finished_collect,
        "the collect bar did not finish its steps: {t}"
    );
    assert!(t.contains("[released] ") && t.contains("[new] "), "{t}");
    assert!(t.contains("verdict: PASS"), "{t}");
}

/// Two runs building into one target dir take turns: while another run holds the build lock,
/// the harness says it is waiting and builds nothing; once the lock is free it goes on.
#[test]
fn builds_in_one_target_dir_wait_for_each_other() {
    use std::io::BufRead;
    let repo = released_repo();
    let work = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    let lock_dir = target.path().join("harness");
    std::fs::create_dir_all(&lock_dir).unwrap();
    let held = std::fs::File::create(lock_dir.join(".harness-lock")).unwrap();
    held.lock().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args([
            "data-test",
            "--released-tag",
            "v1",
            "--repo",
            "https://github.com/augurlabs/tiny",
            "--work-dir",
            work.path().to_str().unwrap(),
            "--target-dir",
            target.path().to_str().unwrap(),
        ])
        .current_dir(repo.path())
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("waiting for another harness build") {
            break;
        }
    }
    assert!(
        seen.last()
            .is_some_and(|l| l.contains("waiting for another harness build")),
        "{seen:?}"
    );
    // Nothing was built while the lock was held.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!lock_dir.join(".harness-source").exists());
    drop(held);
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    // v1 holds no crate: once it has the lock the build runs, and fails (exit 2).
    assert_eq!(status.code(), Some(2), "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("building the released binary")),
        "{rest:?}"
    );
}
