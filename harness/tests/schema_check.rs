//! `harness schema-check`: fresh vs upgraded installs, conventions, lint, its scratch databases.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Connection;

use super::support::*;

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
    let n = next_step(repo.path());
    std::fs::write(
        repo.path()
            .join(format!("migrations/steps/{n:04}_repos_stars.sql")),
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
    let n = next_step(repo.path());
    std::fs::write(
        repo.path()
            .join(format!("migrations/steps/{n:04}_issues_idx.sql")),
        "-- label: index issue titles\nCREATE INDEX IF NOT EXISTS idx_issue_title ON aveloxis_data.issues (issue_title);\n",
    )
    .unwrap();
    std::fs::write(
        repo.path()
            .join(format!("migrations/steps/{:04}_fk.sql", n + 1)),
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
        t.contains(&format!("{n:04} index issue titles [plain-create-index]")),
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

/// The scratch databases of `cluster` whose names start with `prefix`.
fn scratch_names(cluster: &aveloxis_pg::Cluster, prefix: &str) -> Vec<String> {
    runtime()
        .block_on(databases(cluster))
        .into_iter()
        .filter(|d| d.starts_with(prefix))
        .collect()
}

/// schema-check drops only what it created and marked: a database that merely carries the
/// scratch prefix — here one created under the very name of a scratch database schema-check
/// already dropped, while the check is still running — is left alone by its final clean-up.
#[test]
fn schema_check_leaves_a_prefix_only_unmarked_database_alone() {
    let cluster = aveloxis_pg::Cluster::start().unwrap();
    let server = server_url(&cluster);
    let mut child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["schema-check", "--migrations-dir"])
        .arg(repo_migrations())
        .args(["--server-url", &server])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let prefix = format!("aveloxis_harness_sc_{}_", child.id());
    // In history mode database 1 is the fresh install (kept to the end) and database 2 the one
    // as of the first step, dropped as soon as that step was compared.
    let second = format!("{prefix}2");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = false;
    loop {
        assert!(
            Instant::now() < deadline,
            "schema-check never dropped {second}"
        );
        let names = scratch_names(&cluster, &prefix);
        seen |= names.contains(&second);
        if seen && !names.contains(&second) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "schema-check ended before the test saw {second} come and go"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    runtime().block_on(async {
        let mut c = sqlx::PgConnection::connect(&cluster.url("postgres"))
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {second}")))
            .execute(&mut c)
            .await
            .unwrap();
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "schema-check ended before the unmarked database was created"
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        scratch_names(&cluster, &prefix),
        vec![second.clone()],
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains(&format!("refusing to drop {second}")),
        "{}",
        text(&out)
    );
}
