//! The `harness` binary end to end, against real git repositories and real PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_migrations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations")
}

fn harness(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(st.status.success(), "git {args:?}: {}", text(&st));
}

/// A git repository whose only content is a copy of our migrations, committed and tagged v1.
fn released_repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy_dir(&repo_migrations(), &d.path().join("migrations"));
    git(d.path(), &["init", "-q", "-b", "main"]);
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "release"]);
    git(d.path(), &["tag", "v1"]);
    d
}

#[test]
fn schema_check_passes_on_the_real_history() {
    let out = harness(
        &[
            "schema-check",
            "--migrations-dir",
            repo_migrations().to_str().unwrap(),
        ],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("**Verdict: PASS**"), "{t}");
    assert!(t.contains("upgraded == fresh install | PASS"), "{t}");
}

#[test]
fn a_step_missing_from_schema_sql_is_a_named_divergence() {
    let repo = released_repo();
    std::fs::write(
        repo.path().join("migrations/steps/0006_repos_stars.sql"),
        "-- label: add repos.stars\nALTER TABLE aveloxis_data.repos ADD COLUMN IF NOT EXISTS stars INT NOT NULL DEFAULT 0;\n",
    )
    .unwrap();
    let report = repo.path().join("report.md");
    let out = harness(
        &[
            "schema-check",
            "--released-tag",
            "v1",
            "--report",
            report.to_str().unwrap(),
        ],
        repo.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(md.contains("**Verdict: FAIL**"), "{md}");
    assert!(md.contains("v1 upgraded == fresh install | FAIL"), "{md}");
    assert!(
        md.contains("only in upgraded install: column aveloxis_data.repos.stars"),
        "{md}"
    );

    // Declaring it in schema.sql too makes the two installs agree.
    let schema = repo.path().join("migrations/schema.sql");
    let mut s = std::fs::read_to_string(&schema).unwrap();
    s.push_str("\nALTER TABLE aveloxis_data.repos ADD COLUMN IF NOT EXISTS stars INT NOT NULL DEFAULT 0;\n");
    std::fs::write(&schema, s).unwrap();
    let out = harness(&["schema-check", "--released-tag", "v1"], repo.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn edited_released_steps_and_risky_new_steps_fail_by_name() {
    let repo = released_repo();
    let step = repo
        .path()
        .join("migrations/steps/0003_backfill_repo_owner_name.sql");
    let mut s = std::fs::read_to_string(&step).unwrap();
    s.push_str("-- tweaked after release\n");
    std::fs::write(&step, s).unwrap();
    std::fs::write(
        repo.path().join("migrations/steps/0006_issues_idx.sql"),
        "-- label: index issue titles\nCREATE INDEX IF NOT EXISTS idx_issue_title ON aveloxis_data.issues (issue_title);\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("migrations/steps/0007_fk.sql"),
        "-- label: link releases to repos again\nALTER TABLE aveloxis_data.releases ADD CONSTRAINT fk_releases_repo_again FOREIGN KEY (repo_id) REFERENCES aveloxis_data.repos (repo_id);\n",
    )
    .unwrap();
    let out = harness(&["schema-check", "--released-tag", "v1"], repo.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains(
            "released step 0003 backfill repos.repo_owner/repo_name from repo_git was edited"
        ),
        "{t}"
    );
    assert!(
        t.contains("0006 index issue titles [plain-create-index]"),
        "{t}"
    );
    assert!(
        t.contains("fk_not_deferrable_initially_deferred") && t.contains("fk_releases_repo_again"),
        "{t}"
    );
}

#[test]
fn a_missing_revision_is_exit_2_with_the_reason() {
    let repo = released_repo();
    let out = harness(&["schema-check", "--released-tag", "v9.9.9"], repo.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("revision \"v9.9.9\" not found"),
        "{}",
        text(&out)
    );
}
