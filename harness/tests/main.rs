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

/// The number the next migration step in `migrations/steps` of `root` takes.
fn next_step(root: &Path) -> u32 {
    std::fs::read_dir(root.join("migrations/steps"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.get(..4)?.parse::<u32>().ok())
        .max()
        .unwrap()
        + 1
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

// ---------------------------------------------------------------------------------------------
// data-test

use std::sync::OnceLock;

use sqlx::Connection;

/// The `aveloxis` collector next to the harness binary (built first when missing), copied into
/// a private directory so a concurrent rebuild cannot swap it between the two sides of a run.
fn aveloxis_bin() -> &'static Path {
    static BIN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = BIN.get_or_init(|| {
        let target_bin = Path::new(env!("CARGO_BIN_EXE_harness"))
            .parent()
            .unwrap()
            .join("aveloxis");
        if !target_bin.exists() {
            let st = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args(["build", "-p", "aveloxis-core", "--bin", "aveloxis"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .unwrap();
            assert!(st.success(), "building aveloxis");
        }
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("aveloxis");
        std::fs::copy(&target_bin, &copy).unwrap();
        (dir, copy)
    });
    path
}

/// A wrapper around the real collector that runs `sql` (with psql, on the side's database)
/// after every `collect` — a planted regression in the "new" binary.
fn wrapper(dir: &Path, sql: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("aveloxis-patched");
    let script = format!(
        "#!/bin/sh\n\"{real}\" \"$@\" || exit $?\ncase \" $* \" in *\" collect \"*)\n  psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || exit 3\n{sql}\nSQL\n;;\nesac\n",
        real = aveloxis_bin().display()
    );
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn data_test(cwd: &Path, work: &Path, new_bin: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "data-test",
        "--released-tag",
        "HEAD",
        "--repo",
        "https://github.com/augurlabs/tiny",
        "--released-bin",
        aveloxis_bin().to_str().unwrap(),
        "--new-bin",
        new_bin.to_str().unwrap(),
        "--work-dir",
        work.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(&args)
        .current_dir(cwd)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

fn report_json(work: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(work.join("report.json")).unwrap()).unwrap()
}

fn table<'a>(r: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            format!(
                "{}.{}",
                t["schema"].as_str().unwrap(),
                t["table"].as_str().unwrap()
            ) == name
        })
        .unwrap_or_else(|| panic!("{name} not in the report"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn databases(c: &aveloxis_pg::Cluster) -> Vec<String> {
    let mut conn = sqlx::PgConnection::connect(&c.url("postgres"))
        .await
        .unwrap();
    sqlx::query_scalar("SELECT datname::text FROM pg_database ORDER BY 1")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

#[test]
fn data_test_same_binary_on_both_sides_passes_on_repeated_runs() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let summary = work.path().join("step-summary.md");
    for round in 0..2 {
        let out = Command::new(env!("CARGO_BIN_EXE_harness"))
            .args([
                "data-test",
                "--released-tag",
                "HEAD",
                "--repo",
                "https://github.com/augurlabs/tiny",
                "--released-bin",
                aveloxis_bin().to_str().unwrap(),
                "--new-bin",
                aveloxis_bin().to_str().unwrap(),
                "--work-dir",
                work.path().to_str().unwrap(),
            ])
            .env("GITHUB_STEP_SUMMARY", &summary)
            .current_dir(here)
            .output()
            .unwrap();
        let t = text(&out);
        assert_eq!(out.status.code(), Some(0), "round {round}: {t}");
        assert!(t.contains("[released] ") && t.contains("[new] "), "{t}");
        let r = report_json(work.path());
        let tables = r["tables"].as_array().unwrap();
        assert!(
            tables.len() > 50,
            "self-discovered tables: {}",
            tables.len()
        );
        for tb in tables {
            assert_eq!(tb["verdict"], "PASS", "round {round}: {tb}");
        }
        let issues = table(&r, "aveloxis_data.issues");
        assert!(issues["released_rows"].as_i64().unwrap() > 0);
        assert!(
            issues["compared_columns"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "issue_title")
        );
        let md = std::fs::read_to_string(work.path().join("report.md")).unwrap();
        assert!(
            md.contains("**Verdict: PASS**") && md.contains("## Summary"),
            "{md}"
        );
        assert!(md.contains("unchanged prefix | PASS"), "{md}");
        let junit = std::fs::read_to_string(work.path().join("junit.xml")).unwrap();
        assert!(
            junit.contains("failures=\"0\"") && !junit.contains("<failure"),
            "{junit}"
        );
        assert!(junit.contains("name=\"issues\""), "{junit}");
    }
    let s = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(s.matches("# aveloxis data-test report").count(), 2, "{s}");
}

#[test]
fn data_test_catches_planted_regressions_by_table_and_column() {
    // The "working tree" is a repository whose released step 0003 was edited after the tag.
    let repo = released_repo();
    let step = repo
        .path()
        .join("migrations/steps/0003_backfill_repo_owner_name.sql");
    let mut s = std::fs::read_to_string(&step).unwrap();
    s.push_str("-- tweaked after release\n");
    std::fs::write(&step, s).unwrap();
    let bin_dir = tempfile::tempdir().unwrap();
    let patched = wrapper(
        bin_dir.path(),
        "DELETE FROM aveloxis_data.issue_labels WHERE ctid IN \
           (SELECT ctid FROM aveloxis_data.issue_labels LIMIT 2);\n\
         UPDATE aveloxis_data.releases SET release_name = NULL;\n\
         UPDATE aveloxis_data.pull_requests SET pr_title = pr_title || ' (edited)';",
    );
    let work = tempfile::tempdir().unwrap();
    // HEAD is the tag v1; the edit is uncommitted, as in a maintainer's working tree.
    let out = data_test(repo.path(), work.path(), &patched, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let r = report_json(work.path());

    let labels = table(&r, "aveloxis_data.issue_labels");
    assert_eq!(labels["verdict"], "FAIL", "{labels}");
    assert_eq!(
        labels["released_rows"].as_i64().unwrap() - labels["new_rows"].as_i64().unwrap(),
        2
    );
    assert!(labels.to_string().contains("row loss"), "{labels}");

    let releases = table(&r, "aveloxis_data.releases");
    assert_eq!(releases["verdict"], "FAIL", "{releases}");
    assert!(
        releases
            .to_string()
            .contains("column release_name went dark"),
        "{releases}"
    );
    assert_eq!(releases["released_rows"], releases["new_rows"]);

    let prs = table(&r, "aveloxis_data.pull_requests");
    assert_eq!(prs["verdict"], "FAIL", "{prs}");
    assert_eq!(prs["released_rows"], prs["new_rows"]);
    assert!(
        prs.to_string()
            .contains("content drift in column(s) pr_title (same row count"),
        "{prs}"
    );
    // Untouched tables still pass.
    assert_eq!(table(&r, "aveloxis_data.issues")["verdict"], "PASS");

    let md = std::fs::read_to_string(work.path().join("report.md")).unwrap();
    assert!(md.contains("**Verdict: FAIL**"), "{md}");
    assert!(md.contains("| aveloxis\\_data.issue\\_labels |"), "{md}");
    assert!(
        md.contains(
            "released step 0003 backfill repos.repo\\_owner/repo\\_name from repo\\_git was edited"
        ),
        "{md}"
    );
    // The FAIL tables are followed up row by row.
    assert!(md.contains("## Row-level examples (shadow-diff)"), "{md}");
    assert!(
        md.contains("pr\\_title (") && md.contains(" (edited)`"),
        "{md}"
    );
    let rl = &r["row_level"];
    let rl_table = |name: &str| {
        rl["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == name)
            .unwrap_or_else(|| panic!("{name} not in row_level: {rl}"))
            .clone()
    };
    assert_eq!(rl_table("issue_labels")["fail_missing"]["rows"], 2, "{rl}");
    assert_eq!(
        rl_table("pull_requests")["fail_content"]["columns"][0]["column"],
        "pr_title"
    );
    assert_eq!(
        rl_table("releases")["fail_content"]["columns"][0]["column"],
        "release_name"
    );
    assert!(
        rl["tables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["table"] != "issues"),
        "only FAIL tables are followed up: {rl}"
    );
    let junit = std::fs::read_to_string(work.path().join("junit.xml")).unwrap();
    assert!(junit.contains("name=\"pull_requests\"><failure"), "{junit}");
    // The terminal summary names the failing tables too.
    assert!(t.contains("FAIL aveloxis_data.releases"), "{t}");
}

#[test]
fn data_test_missing_revision_and_failed_builds_are_exit_2() {
    let repo = released_repo();
    let work = tempfile::tempdir().unwrap();
    let out = harness(
        &[
            "data-test",
            "--released-tag",
            "v9.9.9",
            "--repo",
            "https://github.com/augurlabs/augur",
            "--work-dir",
            work.path().to_str().unwrap(),
        ],
        repo.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("revision \"v9.9.9\" not found"),
        "{}",
        text(&out)
    );

    // v1 exists but holds no crate: the build fails, the run is exit 2, the worktree is gone.
    let target = tempfile::tempdir().unwrap();
    let out = harness(
        &[
            "data-test",
            "--released-tag",
            "v1",
            "--repo",
            "https://github.com/augurlabs/augur",
            "--work-dir",
            work.path().to_str().unwrap(),
            "--target-dir",
            target.path().to_str().unwrap(),
        ],
        repo.path(),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("building the released binary"), "{t}");
    let wt = Command::new("git")
        .args(["worktree", "list"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&wt.stdout).lines().count(),
        1,
        "{}",
        String::from_utf8_lossy(&wt.stdout)
    );
    let left: Vec<_> = std::fs::read_dir(target.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("harness-released-src"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn data_test_keeps_dbs_on_a_server_diffs_again_and_never_drops_what_it_did_not_create() {
    let rt = runtime();
    let cluster = aveloxis_pg::Cluster::start().unwrap();
    let server = format!("postgres://postgres@127.0.0.1:{}", cluster.port());
    let work = tempfile::tempdir().unwrap();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));

    // A kept run on the server, then --diff-only against the recorded databases.
    let out = data_test(
        here,
        work.path(),
        aveloxis_bin(),
        &[
            "--provisioner",
            "server",
            "--server-url",
            &server,
            "--keep-dbs",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.path().join("state.json")).unwrap())
            .unwrap();
    let kept = [
        state["released_db"].as_str().unwrap().to_string(),
        state["new_db"].as_str().unwrap().to_string(),
    ];
    let dbs = rt.block_on(databases(&cluster));
    assert!(kept.iter().all(|k| dbs.contains(k)), "{dbs:?}");
    let diff_only = || {
        harness(
            &[
                "data-test",
                "--diff-only",
                "--server-url",
                &server,
                "--work-dir",
                work.path().to_str().unwrap(),
            ],
            here,
        )
    };
    let out = diff_only();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // --diff-only without --keep-dbs drops the (marked) scratch databases.
    let dbs = rt.block_on(databases(&cluster));
    assert!(kept.iter().all(|k| !dbs.contains(k)), "{dbs:?}");

    // An operator's primary database and a database that merely looks like ours (prefix, no
    // marker) named in state.json: compared, then left alone.
    rt.block_on(async {
        let mut admin = sqlx::PgConnection::connect(&cluster.url("postgres"))
            .await
            .unwrap();
        for db in ["aveloxis", "aveloxis_harness_dt_0_new"] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                .execute(&mut admin)
                .await
                .unwrap();
            let mut c = sqlx::PgConnection::connect(&cluster.url(db)).await.unwrap();
            sqlx::raw_sql(
                "CREATE SCHEMA aveloxis_data; CREATE TABLE aveloxis_data.precious (v text); \
                 INSERT INTO aveloxis_data.precious VALUES ('keep me')",
            )
            .execute(&mut c)
            .await
            .unwrap();
        }
    });
    let mut st = state;
    st["released_db"] = "aveloxis".into();
    st["new_db"] = "aveloxis_harness_dt_0_new".into();
    std::fs::write(work.path().join("state.json"), st.to_string()).unwrap();
    let out = diff_only();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("refusing to drop aveloxis:"), "{t}");
    assert!(
        t.contains("refusing to drop aveloxis_harness_dt_0_new"),
        "{t}"
    );
    let dbs = rt.block_on(databases(&cluster));
    assert!(dbs.contains(&"aveloxis".to_string()), "{dbs:?}");
    assert!(
        dbs.contains(&"aveloxis_harness_dt_0_new".to_string()),
        "{dbs:?}"
    );

    // Once it carries the marker, the prefixed one is ours to drop; the primary still is not.
    rt.block_on(async {
        let mut admin = sqlx::PgConnection::connect(&cluster.url("postgres"))
            .await
            .unwrap();
        sqlx::raw_sql(
            "COMMENT ON DATABASE aveloxis_harness_dt_0_new IS 'aveloxis-harness scratch'; \
             COMMENT ON DATABASE aveloxis IS 'aveloxis-harness scratch'",
        )
        .execute(&mut admin)
        .await
        .unwrap();
    });
    let out = diff_only();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dbs = rt.block_on(databases(&cluster));
    assert!(dbs.contains(&"aveloxis".to_string()), "{dbs:?}");
    assert!(
        !dbs.contains(&"aveloxis_harness_dt_0_new".to_string()),
        "{dbs:?}"
    );
}

/// Every workflow and the composite action pass the workflow linter (action-validator, which
/// checks them against their published JSON schemas; installed by `ci/setup.sh`), and the linter
/// is live: a workflow with a misspelt key and an action step without `shell` are rejected.
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

// ---------------------------------------------------------------------------------------------
// shadow-diff

/// A wrapper around the real collector that runs `sql` (with psql, on the side's database)
/// before `add-repo` — the side's serial ids then start elsewhere than on the other side.
fn wrapper_before_add_repo(dir: &Path, sql: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("aveloxis-shifted");
    let script = format!(
        "#!/bin/sh\ncase \" $* \" in *\" add-repo \"*)\n  psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || exit 3\n{sql}\nSQL\n;;\nesac\nexec \"{real}\" \"$@\"\n",
        real = aveloxis_bin().display()
    );
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// Collect the tiny world into two kept databases on `cluster` (the new side through
/// `new_bin`); returns their URLs.
fn kept_pair(cluster: &aveloxis_pg::Cluster, new_bin: &Path, work: &Path) -> (String, String) {
    let server = format!("postgres://postgres@127.0.0.1:{}", cluster.port());
    let out = data_test(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        work,
        new_bin,
        &[
            "--provisioner",
            "server",
            "--server-url",
            &server,
            "--keep-dbs",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("state.json")).unwrap()).unwrap();
    (
        format!("{server}/{}", state["released_db"].as_str().unwrap()),
        format!("{server}/{}", state["new_db"].as_str().unwrap()),
    )
}

fn shadow_diff(released: &str, new: &str, extra: &[&str]) -> Output {
    let mut args = vec!["shadow-diff", "--released-dsn", released, "--new-dsn", new];
    args.extend_from_slice(extra);
    harness(&args, Path::new(env!("CARGO_MANIFEST_DIR")))
}

fn shadow_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("shadow-diff --json: {e}: {}", text(out)))
}

fn shadow_table<'a>(r: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("{name} not in the shadow-diff report: {r}"))
}

async fn query_one(url: &str, sql: &str) -> Vec<Option<String>> {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    use sqlx::Row;
    let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut c)
        .await
        .unwrap();
    (0..row.len()).map(|i| row.get(i)).collect()
}

#[test]
fn shadow_diff_compares_rows_by_platform_keys_and_names_missing_changed_and_extra_rows() {
    let rt = runtime();
    let cluster = aveloxis_pg::Cluster::start().unwrap();
    let work = tempfile::tempdir().unwrap();
    let bin_dir = tempfile::tempdir().unwrap();
    // On the new side a dummy repository comes first and the serial ids of issues, pull
    // requests, reviews and messages start far away: no local id agrees between the sides.
    let shifted = wrapper_before_add_repo(
        bin_dir.path(),
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_name, repo_owner) \
           VALUES (1, 'https://github.com/harness/dummy', 'dummy', 'harness') \
           ON CONFLICT DO NOTHING;\n\
         SELECT setval(pg_get_serial_sequence('aveloxis_data.issues', 'issue_id'), 5000);\n\
         SELECT setval(pg_get_serial_sequence('aveloxis_data.pull_requests', 'pull_request_id'), 6000);\n\
         SELECT setval(pg_get_serial_sequence('aveloxis_data.pull_request_reviews', 'pr_review_id'), 7000);\n\
         SELECT setval(pg_get_serial_sequence('aveloxis_data.messages', 'msg_id'), 8000);",
    );
    let (rel, new) = kept_pair(&cluster, &shifted, work.path());

    let repo_q = "SELECT repo_git, repo_id::text FROM aveloxis_data.repos \
                  WHERE repo_git LIKE '%/mock-org/tiny'";
    let (r_repo, n_repo) =
        rt.block_on(async { (query_one(&rel, repo_q).await, query_one(&new, repo_q).await) });
    let repo_git = r_repo[0].clone().unwrap();
    let released_repo_id = r_repo[1].clone().unwrap();
    assert_eq!(n_repo[0].as_deref(), Some(repo_git.as_str()));
    assert_ne!(
        r_repo[1], n_repo[1],
        "repo ids should differ between the sides"
    );

    // Same collector on both sides: no FAIL; the dummy repository is the one extra row.
    let out = shadow_diff(&rel, &new, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = shadow_json(&out);
    for t in r["tables"].as_array().unwrap() {
        assert_ne!(t["verdict"], "FAIL", "{t}");
    }
    assert!(r["tables"].as_array().unwrap().len() > 40, "{r}");
    let repos = shadow_table(&r, "repos");
    assert_eq!(repos["verdict"], "FLAG", "{repos}");
    assert_eq!(repos["key_columns"], serde_json::json!(["repo_git"]));
    assert_eq!(
        repos["flag_extra"]["examples"],
        serde_json::json!([["https://github.com/harness/dummy"]])
    );
    let issues = shadow_table(&r, "issues");
    assert_eq!(issues["verdict"], "PASS", "{issues}");
    assert!(issues["released_rows"].as_u64().unwrap() > 0);
    assert_eq!(
        issues["key_columns"],
        serde_json::json!(["repo_git", "platform_issue_id"])
    );
    assert_eq!(
        shadow_table(&r, "issue_labels")["key_columns"],
        serde_json::json!(["repo_git", "platform_issue_id", "label_text"])
    );
    assert_eq!(
        shadow_table(&r, "pull_request_review_message_ref")["key_columns"],
        serde_json::json!([
            "repo_git",
            "platform_pr_id",
            "platform_review_id",
            "platform_id",
            "platform_msg_id",
            "msg_kind"
        ])
    );
    // Tables without a stable key are named, not silently dropped.
    assert!(
        r["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["table"] == "utility_log"),
        "{r}"
    );

    // Restricted to the repository (by URL, or by its id on the released side): all PASS.
    for scope in [
        ["--repo", repo_git.as_str()],
        ["--repo-id", released_repo_id.as_str()],
    ] {
        let out = shadow_diff(&rel, &new, &[scope[0], scope[1], "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let r = shadow_json(&out);
        assert_eq!(r["repo"], repo_git.as_str());
        for t in r["tables"].as_array().unwrap() {
            assert_eq!(t["verdict"], "PASS", "{scope:?}: {t}");
        }
    }

    // Plant regressions on the new side.
    let shared = "SELECT platform_id::text, platform_msg_id::text, min(msg_kind), max(msg_kind) \
                  FROM aveloxis_data.messages GROUP BY 1, 2 \
                  HAVING count(DISTINCT msg_kind) >= 2 ORDER BY 2 LIMIT 1";
    let msg = rt.block_on(query_one(&rel, shared));
    let (pid, mid) = (msg[0].clone().unwrap(), msg[1].clone().unwrap());
    let (k1, k2) = (msg[2].clone().unwrap(), msg[3].clone().unwrap());
    let issue = rt.block_on(query_one(
        &rel,
        "SELECT platform_issue_id::text, issue_title FROM aveloxis_data.issues \
         ORDER BY platform_issue_id LIMIT 1",
    ));
    let (issue_pid, title) = (issue[0].clone().unwrap(), issue[1].clone().unwrap());
    rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(&new).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "BEGIN;
             CREATE TEMP TABLE gone AS SELECT msg_id FROM aveloxis_data.messages
              WHERE platform_id = {pid} AND platform_msg_id = {mid} AND msg_kind IN ('{k1}', '{k2}');
             DELETE FROM aveloxis_data.issue_message_ref WHERE msg_id IN (SELECT msg_id FROM gone);
             DELETE FROM aveloxis_data.pull_request_message_ref WHERE msg_id IN (SELECT msg_id FROM gone);
             DELETE FROM aveloxis_data.pull_request_review_message_ref WHERE msg_id IN (SELECT msg_id FROM gone);
             DELETE FROM aveloxis_data.review_comments WHERE msg_id IN (SELECT msg_id FROM gone);
             DELETE FROM aveloxis_data.commit_comment_ref WHERE msg_id IN (SELECT msg_id FROM gone);
             DELETE FROM aveloxis_data.messages WHERE msg_id IN (SELECT msg_id FROM gone);
             UPDATE aveloxis_data.issues SET issue_title = issue_title || ' (edited)'
              WHERE platform_issue_id = {issue_pid};
             INSERT INTO aveloxis_data.releases (repo_id, release_id, release_name)
              SELECT repo_id, 'harness-extra', 'extra' FROM aveloxis_data.repos
               WHERE repo_git LIKE '%/mock-org/tiny';
             COMMIT;"
        )))
        .execute(&mut c)
        .await
        .unwrap();
    });

    let out = shadow_diff(&rel, &new, &["--json", "--examples", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let r = shadow_json(&out);
    let messages = shadow_table(&r, "messages");
    assert_eq!(messages["verdict"], "FAIL", "{messages}");
    assert_eq!(
        messages["key_columns"],
        serde_json::json!(["platform_id", "platform_msg_id", "msg_kind"])
    );
    assert_eq!(messages["fail_missing"]["rows"], 2, "{messages}");
    assert_eq!(
        messages["fail_missing"]["examples"],
        serde_json::json!([[pid, mid, k1], [pid, mid, k2]]),
        "{messages}"
    );
    assert_eq!(messages["fail_content"]["rows"], 0, "{messages}");
    assert_eq!(messages["flag_extra"]["rows"], 0, "{messages}");

    let issues = shadow_table(&r, "issues");
    assert_eq!(issues["verdict"], "FAIL", "{issues}");
    assert_eq!(issues["fail_missing"]["rows"], 0);
    assert_eq!(issues["fail_content"]["rows"], 1, "{issues}");
    assert_eq!(
        issues["fail_content"]["columns"],
        serde_json::json!([{"column": "issue_title", "rows": 1}])
    );
    let ex = &issues["fail_content"]["examples"][0];
    assert_eq!(ex["key"], serde_json::json!([repo_git, issue_pid]));
    assert_eq!(
        ex["differences"],
        serde_json::json!([{"column": "issue_title", "released": title,
                            "new": format!("{title} (edited)")}])
    );

    let releases = shadow_table(&r, "releases");
    assert_eq!(releases["verdict"], "FLAG", "{releases}");
    assert_eq!(releases["flag_extra"]["rows"], 1);
    assert_eq!(
        releases["flag_extra"]["examples"],
        serde_json::json!([[repo_git, "harness-extra"]])
    );
    assert!(r["summary"]["tables_with_fails"].as_u64().unwrap() >= 2);

    // The markdown report, restricted to the repository by its released id.
    let out = shadow_diff(&rel, &new, &["--repo-id", &released_repo_id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let md = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(md.contains("**Verdict: FAIL**"), "{md}");
    assert!(
        md.contains(
            "**FAIL missing**: 2 row(s) on released absent on new; key (platform\\_id, \
             platform\\_msg\\_id, msg\\_kind)"
        ),
        "{md}"
    );
    assert!(md.contains(&format!("(`{pid}`, `{mid}`, `{k1}`)")), "{md}");
    assert!(md.contains("column(s) issue\\_title (1 row(s))"), "{md}");
    assert!(
        md.contains(&format!("issue\\_title: `{title}` → `{title} (edited)`")),
        "{md}"
    );
    assert!(md.contains("**FLAG extra**: 1 row(s) only on new"), "{md}");
}

#[test]
fn shadow_diff_that_cannot_connect_is_exit_2() {
    let out = shadow_diff(
        "postgres://nobody@127.0.0.1:1/none",
        "postgres://nobody@127.0.0.1:1/none",
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("shadow-diff could not run"),
        "{}",
        text(&out)
    );
}

#[cfg(not(feature = "testcontainers"))]
#[test]
fn testcontainers_provisioner_needs_the_feature() {
    let work = tempfile::tempdir().unwrap();
    let out = data_test(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        work.path(),
        aveloxis_bin(),
        &["--provisioner", "testcontainers"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("built without the testcontainers feature"),
        "{}",
        text(&out)
    );
}

#[cfg(feature = "testcontainers")]
#[test]
fn data_test_on_a_testcontainers_postgres() {
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .map(|h| h.trim_start_matches("unix://").to_string())
        .unwrap_or_else(|| "/var/run/docker.sock".into());
    if !Path::new(&socket).exists() {
        println!("skipping: no Docker socket at {socket} (testcontainers needs a Docker engine)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let out = data_test(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        work.path(),
        aveloxis_bin(),
        &["--provisioner", "testcontainers"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.path().join("state.json")).unwrap())
            .unwrap();
    assert_eq!(state["provisioner"], "testcontainers");
}

// ---------------------------------------------------------------------------------------------
// Planted regressions: each one a patched worktree of this project, built by the harness as the
// "new" side against HEAD as the released side.

/// The cargo target directory this test was built in: the harness builds share it, so the
/// collectors of the patched worktree compile incrementally.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_harness"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf()
}

/// A detached `git worktree` of this project at HEAD that takes one planted regression at a
/// time. The path stays the same from patch to patch, so every build after the first is
/// incremental; the worktree is removed on drop.
struct Patched {
    project: PathBuf,
    path: PathBuf,
}

impl Patched {
    fn new() -> Patched {
        let project = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf();
        let path = target_dir().join("harness-planted-src");
        Patched::remove(&project, &path);
        git(
            &project,
            &[
                "worktree",
                "add",
                "-q",
                "--detach",
                path.to_str().unwrap(),
                "HEAD",
            ],
        );
        Patched { project, path }
    }

    fn remove(project: &Path, path: &Path) {
        let _ = Command::new("git")
            .arg("-C")
            .arg(project)
            .args(["worktree", "remove", "--force"])
            .arg(path)
            .output();
        let _ = std::fs::remove_dir_all(path);
        let _ = Command::new("git")
            .arg("-C")
            .arg(project)
            .args(["worktree", "prune"])
            .output();
    }

    /// Back to HEAD exactly: edits undone, new files gone.
    fn reset(&self) {
        git(&self.path, &["checkout", "-q", "-f", "HEAD", "--", "."]);
        git(&self.path, &["clean", "-q", "-f", "-d"]);
    }

    /// Replace the single occurrence of `old` in `file` (the patch must still apply).
    fn edit(&self, file: &str, old: &str, new: &str) {
        let p = self.path.join(file);
        let s = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            s.matches(old).count(),
            1,
            "{file}: the planted patch no longer applies: {old}"
        );
        std::fs::write(&p, s.replacen(old, new, 1)).unwrap();
    }

    /// A new migration step, mirrored at the end of `schema.sql` as the project's rules ask.
    fn step(&self, label: &str, sql: &str) {
        let steps = self.path.join("migrations/steps");
        let next = next_step(&self.path);
        std::fs::write(
            steps.join(format!("{next:04}_planted.sql")),
            format!("-- label: {label}\n{sql}\n"),
        )
        .unwrap();
        let schema = self.path.join("migrations/schema.sql");
        let mut s = std::fs::read_to_string(&schema).unwrap();
        s.push_str(&format!("\n-- {label}\n{sql}\n"));
        std::fs::write(&schema, s).unwrap();
    }

    /// `harness data-test` from inside the patched worktree (so it is the working tree that
    /// gets built), with `released` as the released side once it has been built.
    fn data_test(&self, released: Option<&Path>) -> (tempfile::TempDir, Output, serde_json::Value) {
        let work = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_harness"));
        cmd.args([
            "data-test",
            "--released-tag",
            "HEAD",
            "--repo",
            "https://github.com/augurlabs/tiny",
            "--work-dir",
            work.path().to_str().unwrap(),
            "--target-dir",
            target_dir().to_str().unwrap(),
        ]);
        if let Some(b) = released {
            cmd.arg("--released-bin").arg(b);
        }
        let out = cmd
            .current_dir(&self.path)
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .unwrap();
        let report = if work.path().join("report.json").exists() {
            report_json(work.path())
        } else {
            serde_json::Value::Null
        };
        (work, out, report)
    }
}

impl Drop for Patched {
    fn drop(&mut self) {
        Patched::remove(&self.project, &self.path);
    }
}

/// The "new collector completes" check of a report, if it failed.
fn collector_failure(r: &serde_json::Value) -> Option<String> {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "new collector completes" && c["verdict"] == "FAIL")
        .map(|c| c["details"].to_string())
}

fn verdicts_other_than_pass(r: &serde_json::Value) -> Vec<String> {
    r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["verdict"] != "PASS")
        .map(|t| {
            format!(
                "{}.{} {}",
                t["schema"].as_str().unwrap(),
                t["table"].as_str().unwrap(),
                t["verdict"].as_str().unwrap()
            )
        })
        .collect()
}

/// Writing contributors after the rows that reference them — legal while the FKs are deferred.
const WRITE_CONTRIBUTORS_LAST: (&str, &str, &str) = (
    "core/src/collect/github.rs",
    "    counts.contributors += users.write(conn).await?;\n    if let Some(info) = &info {\n        write_repo_info(conn, repo_id, info).await?;\n    }\n    super::write_rows(conn, rows, counts).await?;\n",
    "    if let Some(info) = &info {\n        write_repo_info(conn, repo_id, info).await?;\n    }\n    super::write_rows(conn, rows, counts).await?;\n    counts.contributors += users.write(conn).await?;\n",
);

#[test]
fn data_test_catches_regressions_planted_in_patched_worktrees_of_the_project() {
    let p = Patched::new();

    // The control: HEAD against HEAD, both built by the harness from git.
    let (work, out, r) = p.data_test(None);
    assert_eq!(out.status.code(), Some(0), "control: {}", text(&out));
    assert!(verdicts_other_than_pass(&r).is_empty(), "{r}");
    let released = tempfile::tempdir().unwrap();
    let released_bin = released.path().join("aveloxis");
    std::fs::copy(work.path().join("bin/released/aveloxis"), &released_bin).unwrap();
    let released_bin = Some(released_bin.as_path());

    // Collector-breaking schema changes: the new side fails where the released one succeeded;
    // the FAIL names the table and the offending column or constraint, and the rows the failed
    // transaction would have written are missing from the named table.
    let breaking: [(&str, &str, &str, &[&str]); 3] = [
        (
            "new NOT NULL column without a default",
            "add issues.severity",
            "ALTER TABLE aveloxis_data.issues ADD COLUMN severity TEXT NOT NULL;",
            &["\\\"issues\\\"", "severity"],
        ),
        (
            "a CHECK the collected data violates",
            "only open pull requests",
            "ALTER TABLE aveloxis_data.pull_requests\n    ADD CONSTRAINT ck_pr_state_open CHECK (pr_state = 'open');",
            &["\\\"pull_requests\\\"", "ck_pr_state_open"],
        ),
        (
            "a column renamed while the collector writes the old name",
            "rename messages.msg_text to msg_body",
            "ALTER TABLE aveloxis_data.messages RENAME COLUMN msg_text TO msg_body;",
            &["msg_text"],
        ),
    ];
    let lost = [
        "aveloxis_data.issues",
        "aveloxis_data.pull_requests",
        "aveloxis_data.messages",
    ];
    for ((name, label, sql, named), lost) in breaking.into_iter().zip(lost) {
        p.reset();
        p.step(label, sql);
        let (_w, out, r) = p.data_test(released_bin);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {t}");
        let failure =
            collector_failure(&r).unwrap_or_else(|| panic!("{name}: no collector FAIL: {r}"));
        for n in named {
            assert!(failure.contains(n), "{name}: {n} not named in {failure}");
        }
        let tb = table(&r, lost);
        assert_eq!(tb["verdict"], "FAIL", "{name}: {tb}");
        assert!(tb.to_string().contains("row loss"), "{name}: {tb}");
        assert!(t.contains(&format!("FAIL {lost}")), "{name}: {t}");
        assert_eq!(table(&r, "aveloxis_ops.schema_meta")["verdict"], "PASS");
    }

    // Child-before-parent inserts pass while the FKs stay deferred …
    p.reset();
    let (file, old, new) = WRITE_CONTRIBUTORS_LAST;
    p.edit(file, old, new);
    let (_w, out, r) = p.data_test(released_bin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "reordered writes: {}",
        text(&out)
    );
    assert!(verdicts_other_than_pass(&r).is_empty(), "{r}");
    // … and a non-deferrable FK rejects them.
    p.step(
        "fk_issues_reporter with ON UPDATE CASCADE",
        "ALTER TABLE aveloxis_data.issues DROP CONSTRAINT fk_issues_reporter;\n\
         ALTER TABLE aveloxis_data.issues ADD CONSTRAINT fk_issues_reporter\n    \
         FOREIGN KEY (reporter_id) REFERENCES aveloxis_data.contributors (cntrb_id)\n    \
         ON UPDATE CASCADE ON DELETE RESTRICT;",
    );
    let (_w, out, r) = p.data_test(released_bin);
    assert_eq!(
        out.status.code(),
        Some(1),
        "non-deferrable FK: {}",
        text(&out)
    );
    let failure = collector_failure(&r).expect("the FK rejects the collector");
    assert!(
        failure.contains("fk_issues_reporter") && failure.contains("\\\"issues\\\""),
        "{failure}"
    );
    assert_eq!(table(&r, "aveloxis_data.issues")["verdict"], "FAIL");

    // A dropped column that carried data (the collector no longer writes it either).
    p.reset();
    p.edit(
        "core/src/collect/specs.rs",
        "        (\"release_description\", \"x.release_description\"),\n",
        "",
    );
    p.step(
        "drop releases.release_description",
        "ALTER TABLE aveloxis_data.releases DROP COLUMN release_description;",
    );
    let (_w, out, r) = p.data_test(released_bin);
    assert_eq!(out.status.code(), Some(1), "dropped column: {}", text(&out));
    assert_eq!(collector_failure(&r), None, "{r}");
    let releases = table(&r, "aveloxis_data.releases");
    assert_eq!(releases["verdict"], "FAIL", "{releases}");
    assert_eq!(releases["released_rows"], releases["new_rows"]);
    assert!(
        releases
            .to_string()
            .contains("column release_description dropped on new (carried"),
        "{releases}"
    );

    // Same row counts, different content. Both sides are built here: the patched file is older
    // than the released build's artifacts in the shared target dir, which must not make cargo
    // take the released collector for the new one.
    p.reset();
    p.edit(
        "core/src/collect/github.rs",
        "\"issue_state\": i[\"state\"],",
        "\"issue_state\": i[\"state\"].as_str().map(str::to_uppercase),",
    );
    let (_w, out, r) = p.data_test(None);
    assert_eq!(out.status.code(), Some(1), "content drift: {}", text(&out));
    assert_eq!(collector_failure(&r), None, "{r}");
    let issues = table(&r, "aveloxis_data.issues");
    assert_eq!(issues["verdict"], "FAIL", "{issues}");
    assert_eq!(issues["released_rows"], issues["new_rows"]);
    assert!(
        issues
            .to_string()
            .contains("content drift in column(s) issue_state (same row count"),
        "{issues}"
    );

    // Added coverage: a new column the new side fills is a FLAG, and the gate passes.
    p.reset();
    p.step(
        "add issues.severity with a default",
        "ALTER TABLE aveloxis_data.issues ADD COLUMN severity TEXT NOT NULL DEFAULT 'normal';",
    );
    let (_w, out, r) = p.data_test(released_bin);
    assert_eq!(out.status.code(), Some(0), "coverage: {}", text(&out));
    let issues = table(&r, "aveloxis_data.issues");
    assert_eq!(issues["verdict"], "FLAG", "{issues}");
    assert!(
        issues.to_string().contains(&format!(
            "column severity only on new ({} value(s))",
            issues["new_rows"]
        )),
        "{issues}"
    );
    // The only other difference is the new step in the migration ledger.
    assert_eq!(
        verdicts_other_than_pass(&r),
        [
            "aveloxis_data.issues FLAG",
            "aveloxis_ops.schema_migrations FLAG"
        ],
        "{r}"
    );
}

// ---------------------------------------------------------------------------------------------
// data-test --forge live: the operator's forge URLs and keys. There is no network here, so the
// "live" forge is a mock forge on a real socket that accepts only the operator's token.

/// An operator's setup: a primary database (migrated by the real collector, keys added with
/// `add-key -`) and an `aveloxis.json` that points at `forge`.
struct Operator {
    cluster: aveloxis_pg::Cluster,
    dir: tempfile::TempDir,
    config: PathBuf,
}

/// The operator database's password (the test cluster trusts local connections, so it is never
/// asked for; it must never be printed either).
const OPERATOR_PASSWORD: &str = "operator-db-password-5e5e";

impl Operator {
    fn new(github: (&str, &str), keys: &[(&str, &str)]) -> Operator {
        let cluster = aveloxis_pg::Cluster::start().unwrap();
        runtime().block_on(async {
            let mut admin = sqlx::PgConnection::connect(&cluster.url("postgres"))
                .await
                .unwrap();
            sqlx::raw_sql("CREATE DATABASE aveloxis")
                .execute(&mut admin)
                .await
                .unwrap();
        });
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("aveloxis.json");
        let cfg = serde_json::json!({
            "database": {"host": "127.0.0.1", "port": cluster.port(), "user": "postgres",
                         "password": OPERATOR_PASSWORD, "dbname": "aveloxis",
                         "sslmode": "disable"},
            "github": {"api_url": github.0, "web_url": github.1},
            "collection": {"workers": 2, "repo_clone_dir": dir.path().join("repos")},
            "monitor": {"addr": "127.0.0.1:0"}
        });
        std::fs::write(&config, serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
        let op = Operator {
            cluster,
            dir,
            config,
        };
        op.aveloxis(&["migrate", "--skip-views"], None);
        for (platform, token) in keys {
            op.aveloxis(
                &["add-key", "-", "--platform", platform, "--name", "ops"],
                Some(token),
            );
        }
        op
    }

    /// The operator's own `aveloxis --config aveloxis.json …`.
    fn aveloxis(&self, args: &[&str], stdin: Option<&str>) {
        use std::io::Write;
        let mut child = Command::new(aveloxis_bin())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut w = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            writeln!(w, "{s}").unwrap();
        }
        drop(w);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "aveloxis {args:?}: {}", text(&out));
    }

    /// Every row of the operator's worker_oauth, as text.
    fn keys(&self) -> Vec<String> {
        runtime().block_on(async {
            let mut c = sqlx::PgConnection::connect(&self.cluster.url("aveloxis"))
                .await
                .unwrap();
            sqlx::query_scalar("SELECT w::text FROM aveloxis_ops.worker_oauth w ORDER BY oauth_id")
                .fetch_all(&mut c)
                .await
                .unwrap()
        })
    }

    /// How the harness prints this database.
    fn shown(&self) -> String {
        format!("postgres://***@127.0.0.1:{}/aveloxis", self.cluster.port())
    }
}

fn live_data_test(config: Option<&Path>, repo: &str, work: &Path, cwd: &Path) -> Output {
    live_data_test_with(config, repo, work, cwd, aveloxis_bin(), aveloxis_bin())
}

fn live_data_test_with(
    config: Option<&Path>,
    repo: &str,
    work: &Path,
    cwd: &Path,
    released_bin: &Path,
    new_bin: &Path,
) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_harness"));
    c.args([
        "data-test",
        "--released-tag",
        "HEAD",
        "--repo",
        repo,
        "--forge",
        "live",
        "--released-bin",
        released_bin.to_str().unwrap(),
        "--new-bin",
        new_bin.to_str().unwrap(),
        "--work-dir",
        work.to_str().unwrap(),
    ]);
    c.arg("--repo-dir")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap());
    if let Some(p) = config {
        c.arg("--operator-config").arg(p);
    }
    c.current_dir(cwd)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("AVELOXIS_CONFIG")
        .output()
        .unwrap()
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                let bytes = std::fs::read(e.path()).unwrap();
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    hits.push(e.path());
                }
            }
        }
    }
    hits
}

#[test]
fn data_test_live_forge_uses_the_operators_keys_runs_the_sides_in_turn_and_never_shows_them() {
    use aveloxis_mock_forge::{MockForge, Preset, Scenario, TokenSpec};
    // The forge accepts only the operator's token: the mock tokens get 401, so a collection with
    // rows proves the copied key was used.
    let token = "ghp_operator_live_token_9c1d";
    let other = "glpat_operator_gitlab_token_77";
    let mut scenario = Scenario::generate(Preset::Tiny, 1);
    scenario.tokens = vec![TokenSpec {
        token: token.into(),
        limit: None,
    }];
    let forge = MockForge::start(scenario).unwrap();
    let op = Operator::new(
        (&forge.github_api_url(), &forge.base_url()),
        &[("github", token), ("gitlab", other)],
    );
    let before = op.keys();
    assert_eq!(before.len(), 2, "{before:?}");

    let work = tempfile::tempdir().unwrap();
    let repo = forge.web_url("mock-org", "tiny");
    let out = live_data_test(Some(&op.config), &repo, work.path(), work.path());
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");

    // Every table PASSes and the collection has rows.
    let r = report_json(work.path());
    let tables = r["tables"].as_array().unwrap();
    assert!(tables.len() > 50, "{}", tables.len());
    for tb in tables {
        assert_eq!(tb["verdict"], "PASS", "{tb}");
    }
    assert!(
        table(&r, "aveloxis_data.issues")["released_rows"]
            .as_i64()
            .unwrap()
            > 0
    );
    assert_eq!(
        table(&r, "aveloxis_ops.worker_oauth")["released_rows"].as_i64(),
        Some(1),
        "only the key of the requested platform is copied"
    );
    assert_eq!(
        r["forge"].as_str().unwrap(),
        format!("live ({})", forge.github_api_url())
    );
    assert_eq!(r["repos"][0].as_str().unwrap(), repo);
    assert!(forge.request_count() > 0);
    assert!(forge.unmatched_requests().is_empty());

    // In turn: every line of the released side comes before the first line of the new side.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let last_released = lines.iter().rposition(|l| l.starts_with("[released] "));
    let first_new = lines.iter().position(|l| l.starts_with("[new] "));
    let (Some(last_released), Some(first_new)) = (last_released, first_new) else {
        panic!("both sides print: {stderr}");
    };
    assert!(
        last_released < first_new,
        "[released] line {last_released} after the first [new] line {first_new}:\n{stderr}"
    );
    let copied = format!(
        "copied 1 key(s) from aveloxis_ops.worker_oauth of {}",
        op.shown()
    );
    let copied_at = |side: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(&format!("harness: [{side}] {copied}")))
            .unwrap_or_else(|| panic!("{side} copies the key: {stderr}"))
    };
    assert!(copied_at("released") < last_released && last_released < copied_at("new"));

    // No secret anywhere: not in the output, not in any file the run left behind.
    for secret in [token, other, OPERATOR_PASSWORD] {
        assert!(!t.contains(secret), "{secret} printed: {t}");
        let hits = files_containing(work.path(), secret);
        assert!(hits.is_empty(), "{secret} in {hits:?}");
    }
    // The operator database was only read.
    assert_eq!(op.keys(), before);
}

#[test]
fn data_test_live_forge_without_operator_keys_is_exit_2_naming_worker_oauth() {
    // Only a GitLab key: the GitHub repository has none.
    let op = Operator::new(
        ("http://127.0.0.1:9", "http://127.0.0.1:9"),
        &[("gitlab", "glpat_only_gitlab_0f0f")],
    );
    let before = op.keys();
    let work = tempfile::tempdir().unwrap();
    let out = live_data_test(
        Some(&op.config),
        "http://127.0.0.1:9/mock-org/tiny",
        work.path(),
        work.path(),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains(&format!(
            "no github keys in aveloxis_ops.worker_oauth of {}",
            op.shown()
        )),
        "{t}"
    );
    assert!(
        !t.contains(OPERATOR_PASSWORD) && !t.contains("glpat_only_gitlab_0f0f"),
        "{t}"
    );
    // Nothing was built or provisioned first.
    assert!(
        !t.contains("phase build") && !t.contains("phase provision"),
        "{t}"
    );
    assert_eq!(op.keys(), before);
    // A repository on neither of the operator's forges is named too.
    let out = live_data_test(
        Some(&op.config),
        "https://example.org/a/b",
        work.path(),
        work.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("https://example.org/a/b: host is neither the operator's GitHub"),
        "{}",
        text(&out)
    );
}

#[test]
fn data_test_live_forge_without_operator_config_is_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let repo = "https://github.com/augurlabs/tiny";

    // --operator-config names a missing file.
    let missing = dir.path().join("nowhere/aveloxis.json");
    let out = live_data_test(Some(&missing), repo, &work, dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("operator config {} not found", missing.display())),
        "{}",
        text(&out)
    );
    // Without the option: ./aveloxis.json of the current directory…
    let out = live_data_test(None, repo, &work, dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("operator config aveloxis.json not found"),
        "{}",
        text(&out)
    );
    // …unless $AVELOXIS_CONFIG names one.
    let from_env = dir.path().join("from-env.json");
    let out = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args([
            "data-test",
            "--released-tag",
            "HEAD",
            "--repo",
            repo,
            "--forge",
            "live",
            "--work-dir",
            work.to_str().unwrap(),
        ])
        .env("AVELOXIS_CONFIG", &from_env)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("operator config {} not found", from_env.display())),
        "{}",
        text(&out)
    );
    // A config without a database section is named with the reason, its values never shown.
    let no_db = dir.path().join("no-db.json");
    std::fs::write(
        &no_db,
        r#"{"github": {"api_url": "https://api.github.com"}}"#,
    )
    .unwrap();
    let out = live_data_test(Some(&no_db), repo, &work, dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("operator config {} is not valid", no_db.display()))
            && text(&out).contains("no database section"),
        "{}",
        text(&out)
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"database": {"password": 424242}}"#).unwrap();
    let out = live_data_test(Some(&bad), repo, &work, dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("operator config {} is not valid", bad.display()))
            && text(&out).contains("invalid type: integer, expected a string at line 1")
            && !text(&out).contains("424242"),
        "{}",
        text(&out)
    );
}

/// The real collector, except that `collect` fails.
fn failing_collect(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("aveloxis-failing");
    let script = format!(
        "#!/bin/sh\ncase \" $* \" in *\" collect \"*) echo 'planted collect failure' >&2; exit 1;; esac\nexec \"{}\" \"$@\"\n",
        aveloxis_bin().display()
    );
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn data_test_live_forge_failing_sides_keep_their_exit_codes() {
    use aveloxis_mock_forge::{MockForge, Preset, Scenario, TokenSpec};
    let token = "ghp_operator_live_token_4b2a";
    let mut scenario = Scenario::generate(Preset::Tiny, 1);
    scenario.tokens = vec![TokenSpec {
        token: token.into(),
        limit: None,
    }];
    let forge = MockForge::start(scenario).unwrap();
    let op = Operator::new(
        (&forge.github_api_url(), &forge.base_url()),
        &[("github", token)],
    );
    let repo = forge.web_url("mock-org", "tiny");
    let failing = failing_collect(op.dir.path());

    // A new collector that fails is the FAIL "new collector completes" (exit 1).
    let work = tempfile::tempdir().unwrap();
    let out = live_data_test_with(
        Some(&op.config),
        &repo,
        work.path(),
        work.path(),
        aveloxis_bin(),
        &failing,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let r = report_json(work.path());
    let check = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "new collector completes")
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(check["verdict"], "FAIL");
    assert!(
        check.to_string().contains("planted collect failure"),
        "{check}"
    );
    assert_eq!(
        table(&r, "aveloxis_data.issues")["verdict"],
        "FAIL",
        "the new side collected nothing"
    );

    // A released collector that fails is exit 2, and the new side never runs (it would only
    // spend the operator's budget).
    let work = tempfile::tempdir().unwrap();
    let out = live_data_test_with(
        Some(&op.config),
        &repo,
        work.path(),
        work.path(),
        &failing,
        aveloxis_bin(),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("planted collect failure"), "{t}");
    assert!(!t.lines().any(|l| l.starts_with("[new] ")), "{t}");
    assert!(!t.contains(token), "{t}");
}

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
    assert!(
        t.contains("] 8/8 done in"),
        "the collect bar did not finish its 8 steps: {t}"
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
