//! `harness data-test` with given binaries: verdicts, exit codes, kept databases.

use std::path::Path;
use std::process::Command;

use sqlx::Connection;

use super::support::*;

#[test]
fn data_test_same_binary_on_both_sides_passes_ten_runs_in_a_row() {
    // An identical revision is never a FAIL nor a FLAG of the released→new pair, run after
    // run (the gate's own flakiness is what this measures: each round is a new forge, new
    // scratch databases, the moving world's day 1 on the upgraded side).
    const ROUNDS: usize = 10;
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let summary = work.path().join("step-summary.md");
    for round in 0..ROUNDS {
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
        // The upgraded side (released binary on day 0, the same binary migrating in place and
        // collecting incrementally) matches the fresh collection; only histories grow.
        let pair = r["upgraded"]["tables"].as_array().unwrap();
        assert!(pair.len() > 50, "{}", r["upgraded"]);
        for tb in pair {
            assert_ne!(tb["verdict"], "FAIL", "round {round}: {tb}");
        }
        for c in r["checks"].as_array().unwrap() {
            assert_eq!(c["verdict"], "PASS", "{c}");
        }
        assert_eq!(r["checks"].as_array().unwrap().len(), 5, "{}", r["checks"]);
        let md = std::fs::read_to_string(work.path().join("report.md")).unwrap();
        assert!(
            md.contains("**Verdict: PASS**") && md.contains("## Summary"),
            "{md}"
        );
        assert!(md.contains("## upgraded→new"), "{md}");
        assert!(md.contains("unchanged prefix | PASS"), "{md}");
        let junit = std::fs::read_to_string(work.path().join("junit.xml")).unwrap();
        assert!(
            junit.contains("failures=\"0\"") && !junit.contains("<failure"),
            "{junit}"
        );
        assert!(junit.contains("name=\"issues\""), "{junit}");
    }
    let s = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        s.matches("# aveloxis data-test report").count(),
        ROUNDS,
        "{s}"
    );
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
    let server = server_url(&cluster);
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
        state["upgraded_db"].as_str().unwrap().to_string(),
        state["rollback_db"].as_str().unwrap().to_string(),
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
    let r = report_json(work.path());
    assert!(
        r["upgraded"]["tables"].as_array().unwrap().len() > 50,
        "{r}"
    );
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
    // A state.json of a two-side run (no upgraded database recorded).
    let mut st = state;
    st["released_db"] = "aveloxis".into();
    st["new_db"] = "aveloxis_harness_dt_0_new".into();
    let o = st.as_object_mut().unwrap();
    o.remove("upgraded_db");
    o.remove("rollback_db");
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

#[test]
fn data_test_collects_every_repository_on_its_own_platform() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let bin = aveloxis_bin().to_str().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args([
            "data-test",
            "--released-tag",
            "HEAD",
            "--preset",
            "tiny",
            "--repo",
            "https://github.com/augurlabs/tiny",
            "--repo",
            "https://gitlab.com/some-group/other",
            "--repo",
            "https://github.com/someone/third",
            "--released-bin",
            bin,
            "--new-bin",
            bin,
            "--work-dir",
            work.path().to_str().unwrap(),
        ])
        .current_dir(here)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let r = report_json(work.path());
    // Three repositories, each collected on its own (they used to collapse into one).
    let repos = table(&r, "aveloxis_data.repos");
    assert_eq!(repos["released_rows"], 3, "{repos}");
    assert_eq!(repos["verdict"], "PASS");
    // The GitLab one through the mock's GitLab v4 API.
    let log = std::fs::read_to_string(work.path().join("new.log")).unwrap();
    assert!(log.contains("localhost"), "{log}");
    let forge = r["forge"].as_str().unwrap();
    assert!(
        forge.contains(
            "GitHub: https://github.com/augurlabs/tiny -> mock-org/tiny, \
             https://github.com/someone/third -> mock-org/third; \
             GitLab: https://gitlab.com/some-group/other -> mock-org/other"
        ),
        "{forge}"
    );
    let md = std::fs::read_to_string(work.path().join("report.md")).unwrap();
    assert!(md.contains("GitLab: https://gitlab.com/some"), "{md}");
    for tb in r["tables"].as_array().unwrap() {
        assert_eq!(tb["verdict"], "PASS", "{tb}");
    }
}

#[test]
fn data_test_compares_contributor_ids_deterministic_and_random() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin_dir = tempfile::tempdir().unwrap();
    // Issues re-pointed to one account; commits of e-mail-only contributors (random ids) to
    // another e-mail-only contributor.
    let patched = wrapper(
        bin_dir.path(),
        "UPDATE aveloxis_data.issues SET reporter_id = \
           (SELECT cntrb_id FROM aveloxis_data.contributors WHERE gh_user_id IS NOT NULL \
             ORDER BY gh_user_id LIMIT 1);\n\
         UPDATE aveloxis_data.commits SET cmt_ght_author_id = \
           (SELECT cntrb_id FROM aveloxis_data.contributors WHERE gh_user_id IS NULL \
             ORDER BY cntrb_email LIMIT 1) \
          WHERE cmt_ght_author_id IN \
           (SELECT cntrb_id FROM aveloxis_data.contributors WHERE gh_user_id IS NULL);",
    );
    let work = tempfile::tempdir().unwrap();
    let out = data_test(repo, work.path(), &patched, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let r = report_json(work.path());
    for (name, column) in [
        ("aveloxis_data.issues", "reporter_id"),
        ("aveloxis_data.commits", "cmt_ght_author_id"),
        ("aveloxis_augur_data.issues", "reporter_id"),
    ] {
        let tb = table(&r, name);
        assert_eq!(tb["verdict"], "FAIL", "{name}: {tb}");
        assert!(
            tb.to_string()
                .contains(&format!("content drift in column(s) {column}")),
            "{name}: {tb}"
        );
    }
    assert_eq!(table(&r, "aveloxis_data.contributors")["verdict"], "PASS");
}

#[test]
fn data_test_names_the_failed_step_first_and_reads_on_when_its_views_were_never_refreshed() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin_dir = tempfile::tempdir().unwrap();
    // The new side's `collect` fails (after writing), so its matviews are never refreshed.
    let patched = wrapper(bin_dir.path(), "SELECT 1 / 0;");
    let work = tempfile::tempdir().unwrap();
    let out = data_test(repo, work.path(), &patched, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let r = report_json(work.path());
    let mv = table(&r, "aveloxis_data.augur_new_contributors_ext");
    assert_eq!(mv["verdict"], "FAIL", "{mv}");
    assert!(mv.to_string().contains("unreadable on new"), "{mv}");
    let view = table(&r, "aveloxis_augur_data.augur_new_contributors");
    assert_eq!(view["verdict"], "FAIL", "{view}");
    let md = std::fs::read_to_string(work.path().join("report.md")).unwrap();
    let root = md.find("## Root cause").expect("a root cause section");
    assert!(root < md.find("## Summary").unwrap(), "{md}");
    let cause = &md[root..md.find("## Summary").unwrap()];
    assert!(
        cause.contains("new collector completes") && cause.contains("collect"),
        "{cause}"
    );
    assert!(cause.contains("division by zero"), "{cause}");
}
