//! The CI workflows and the composite action that run the harness.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::support::*;

#[test]
fn workflows_and_action_pass_the_workflow_linter() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let linter = root.join("ci/lint/node_modules/.bin/action-validator");
    assert!(
        linter.exists(),
        "{} is missing: run `bash ci/setup.sh`",
        linter.display()
    );
    let lint = |p: &Path| Command::new(&linter).arg(p).output().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.push(root.join("action.yml"));
    assert!(files.len() >= 3, "{files:?}");
    for f in &files {
        let out = lint(f);
        assert!(out.status.success(), "{}: {}", f.display(), text(&out));
    }
    let bad = tempfile::tempdir().unwrap();
    let workflow = bad.path().join("bad.yml");
    std::fs::write(
        &workflow,
        "name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz:\n      - run: echo\n",
    )
    .unwrap();
    let out = lint(&workflow);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("stepz"), "{}", text(&out));
    let action_dir = bad.path().join("act");
    std::fs::create_dir_all(&action_dir).unwrap();
    let action = action_dir.join("action.yml");
    std::fs::write(
        &action,
        "name: bad\ndescription: no shell\nruns:\n  using: composite\n  steps:\n    - run: echo\n",
    )
    .unwrap();
    let out = lint(&action);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("shell"), "{}", text(&out));
}
