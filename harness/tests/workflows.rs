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

/// The `run: |` script of the schema gate's step `id: scope` (the lines indented deeper than
/// its `run:` key).
fn scope_script(workflow: &str) -> String {
    let lines: Vec<&str> = workflow.lines().collect();
    let id = lines
        .iter()
        .position(|l| l.trim() == "id: scope")
        .expect("the scope step");
    let run = (id..lines.len())
        .find(|&i| lines[i].trim() == "run: |")
        .expect("its run script");
    let indent = |l: &str| l.len() - l.trim_start().len();
    let key = indent(lines[run]);
    lines[run + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || indent(l) > key)
        .map(|l| l.trim_start())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn schema_gate_runs_on_pull_requests_that_change_migrations_or_the_collector() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let workflow = std::fs::read_to_string(root.join(".github/workflows/schema-gate.yml")).unwrap();
    let script = scope_script(&workflow);
    for (changed, runs) in [
        ("migrations/steps/0099_x.sql", true),
        ("core/src/collect/x.rs", true),
        ("README.md", false),
    ] {
        let repo = tempfile::tempdir().unwrap();
        let d = repo.path();
        git(d, &["init", "-q", "-b", "main"]);
        std::fs::write(d.join("base.txt"), "base").unwrap();
        git(d, &["add", "."]);
        git(d, &["commit", "-q", "-m", "base"]);
        let base = Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(d)
            .output()
            .unwrap();
        let base = String::from_utf8(base.stdout).unwrap().trim().to_string();
        let file = d.join(changed);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "change").unwrap();
        git(d, &["add", "."]);
        git(d, &["commit", "-q", "-m", "change"]);
        let output = d.join("github-output");
        let out = Command::new("bash")
            .args(["-e", "-c", &script])
            .current_dir(d)
            .env("BASE_SHA", &base)
            .env("LABELLED", "false")
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", d.join("summary"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{changed}: {}", text(&out));
        let set = std::fs::read_to_string(&output).unwrap();
        assert_eq!(set.trim(), format!("run={runs}"), "{changed}");
    }
}
