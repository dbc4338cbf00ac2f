//! The migration engine against the live catalog.

use std::process::Stdio;
use std::time::{Duration, Instant};

use aveloxis_migrations::{MigrateError, Options, Plan};
use sqlx::{Connection, Row};

use crate::support::*;

/// `aveloxis --migrations-dir DIR migrate` on `db`.
fn migrate_with(db: &TestDb, dir: &std::path::Path) -> std::process::Output {
    db.aveloxis()
        .arg("--migrations-dir")
        .arg(dir)
        .arg("migrate")
        .output()
        .unwrap()
}

async fn ledger_versions(conn: &mut sqlx::PgConnection) -> Vec<i32> {
    sqlx::query_scalar("SELECT version FROM aveloxis_ops.schema_migrations ORDER BY version")
        .fetch_all(conn)
        .await
        .unwrap()
}

async fn stamped(conn: &mut sqlx::PgConnection) -> Option<i32> {
    sqlx::query_scalar("SELECT schema_version FROM aveloxis_ops.schema_meta")
        .fetch_optional(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn fresh_migrate_builds_the_schema_and_reruns_change_nothing() {
    let db = empty_db().await;
    let out = db.aveloxis().arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut conn = db.connect().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables
          WHERE table_schema IN ('aveloxis_data','aveloxis_ops') ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for t in [
        "aveloxis_data.platforms",
        "aveloxis_data.repos",
        "aveloxis_ops.schema_migrations",
        "aveloxis_ops.schema_meta",
    ] {
        assert!(
            tables.contains(&t.to_string()),
            "{t} missing from {tables:?}"
        );
    }
    let plan = Plan::embedded();
    let all: Vec<i32> = plan.steps.iter().map(|s| s.version as i32).collect();
    assert_eq!(ledger_versions(&mut conn).await, all);
    assert_eq!(stamped(&mut conn).await, Some(plan.schema_version() as i32));
    let first = snapshot(&mut conn).await;
    let meta_before: (String, Vec<String>) =
        sqlx::query_as("SELECT stamped_at::text, views FROM aveloxis_ops.schema_meta")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(!meta_before.1.is_empty(), "views were recorded");
    for run in 2..=3 {
        let out = db.aveloxis().arg("migrate").output().unwrap();
        assert!(out.status.success(), "run {run}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("no pending steps"),
            "{}",
            stdout(&out)
        );
        assert_same_catalog(&first, &snapshot(&mut conn).await, &format!("run {run}"));
        assert_eq!(ledger_versions(&mut conn).await, all);
    }
}

#[tokio::test]
async fn a_failing_step_stops_the_steps_after_it_and_each_run_says_what_it_applied() {
    let db = migrated_db().await;
    let bad = [
        (
            "0101_typo_column.sql",
            "-- label: set descriptions\nUPDATE aveloxis_data.repos SET descriptoin = '' WHERE false;\n",
        ),
        (
            "0102_missing_table.sql",
            "-- label: widen repo_labels\nALTER TABLE aveloxis_data.no_such_table ADD COLUMN IF NOT EXISTS x TEXT;\n",
        ),
        (
            "0103_good.sql",
            "-- label: add repos.homepage\nALTER TABLE aveloxis_data.repos ADD COLUMN IF NOT EXISTS homepage TEXT;\n",
        ),
    ];
    let dir = migrations_copy(db.dir.path(), &bad);
    let before = stamped(&mut db.connect().await).await;
    assert!(before.is_some_and(|v| v < 101), "{before:?}");
    let out = migrate_with(&db, &dir);
    assert!(
        !out.status.success(),
        "a failing migrate must exit non-zero"
    );
    let err = stderr(&out);
    assert!(err.contains("1 error(s)"), "{err}");
    assert!(
        err.contains("0101 set descriptions") && err.contains("descriptoin"),
        "{err}"
    );
    // The steps after the failure may depend on it: they are not attempted, and said so.
    assert!(
        err.contains(
            "not attempted (a failure came first): 0102 widen repo_labels, 0103 add repos.homepage"
        ),
        "{err}"
    );
    assert!(err.contains("no step was applied by this run"), "{err}");
    let mut conn = db.connect().await;
    let versions = ledger_versions(&mut conn).await;
    assert!(
        !versions.contains(&101) && !versions.contains(&102) && !versions.contains(&103),
        "{versions:?}"
    );
    let homepage: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns
          WHERE table_schema = 'aveloxis_data' AND table_name = 'repos' AND column_name = 'homepage')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(!homepage, "the step after the failure did not run");
    assert_eq!(
        stamped(&mut conn).await,
        before,
        "a failed run does not stamp"
    );

    // serve refuses to start while migrate fails.
    let out = db
        .aveloxis()
        .arg("--migrations-dir")
        .arg(&dir)
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("refusing to start"),
        "{}",
        stderr(&out)
    );

    // Fix the first step (never applied, so editing it is allowed): it is applied, and the run
    // stops at the next failure, saying exactly what it applied.
    std::fs::write(
        dir.join("steps/0101_typo_column.sql"),
        "-- label: set descriptions\nUPDATE aveloxis_data.repos SET repo_description = '' WHERE repo_description IS NULL AND false;\n",
    )
    .unwrap();
    let out = migrate_with(&db, &dir);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("1 error(s)")
            && err.contains("0102 widen repo_labels")
            && err.contains("no_such_table"),
        "{err}"
    );
    assert!(
        err.contains("applied and recorded by this run before the failure: 0101 set descriptions"),
        "{err}"
    );
    assert!(
        err.contains("not attempted (a failure came first): 0103 add repos.homepage"),
        "{err}"
    );
    let versions = ledger_versions(&mut conn).await;
    assert!(
        versions.contains(&101) && !versions.contains(&102) && !versions.contains(&103),
        "{versions:?}"
    );
    assert_eq!(
        stamped(&mut conn).await,
        before,
        "a failed run does not stamp"
    );

    // Fix the second one and re-run: everything completes.
    std::fs::write(
        dir.join("steps/0102_missing_table.sql"),
        "-- label: widen repo_labels\nALTER TABLE aveloxis_data.repos ADD COLUMN IF NOT EXISTS x TEXT;\n",
    )
    .unwrap();
    let out = migrate_with(&db, &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let versions = ledger_versions(&mut conn).await;
    assert!(versions.ends_with(&[101, 102, 103]), "{versions:?}");
    assert_eq!(stamped(&mut conn).await, Some(103));

    // Editing an applied step is reported by name.
    std::fs::write(
        dir.join("steps/0103_good.sql"),
        "-- label: add repos.homepage\nALTER TABLE aveloxis_data.repos ADD COLUMN IF NOT EXISTS homepage VARCHAR;\n",
    )
    .unwrap();
    let out = migrate_with(&db, &dir);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("0103 add repos.homepage") && err.contains("edited after it was applied"),
        "{err}"
    );
}

async fn index_validity(conn: &mut sqlx::PgConnection, name: &str) -> Option<bool> {
    sqlx::query_scalar(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relname = $1",
    )
    .bind(name)
    .fetch_optional(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_invalid_leftover_index_is_dropped_and_rebuilt_valid() {
    // As of step 3 the unique index of step 4 does not exist yet.
    let db = db_at_step(3).await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git) VALUES
             (1, 'https://github.com/o/r'), (1, 'https://github.com/O/R'), (1, 'https://github.com/o/other')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    // A real failed CONCURRENTLY build (duplicates) leaves an INVALID index behind.
    let err = sqlx::raw_sql(
        "CREATE UNIQUE INDEX CONCURRENTLY uq_repos_repo_git_ci ON aveloxis_data.repos (lower(repo_git)) WHERE platform_id IN (1, 2)",
    )
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("could not create unique index"),
        "{err}"
    );
    assert_eq!(
        index_validity(&mut conn, "uq_repos_repo_git_ci").await,
        Some(false)
    );

    // While the duplicates remain, migrate fails on that step and leaves no broken index.
    let opts = Options::default();
    let e = aveloxis_migrations::run(&mut conn, &Plan::embedded(), &opts)
        .await
        .unwrap_err();
    match &e {
        MigrateError::Failed(f) => {
            assert_eq!(f.len(), 1, "{e}");
            assert!(f[0].label.starts_with("0004"), "{e}");
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(
        index_validity(&mut conn, "uq_repos_repo_git_ci").await,
        None
    );

    // Recreate the leftover, dedupe, and migrate: dropped and rebuilt valid.
    let _ = sqlx::raw_sql(
        "CREATE UNIQUE INDEX CONCURRENTLY uq_repos_repo_git_ci ON aveloxis_data.repos (lower(repo_git)) WHERE platform_id IN (1, 2)",
    )
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert_eq!(
        index_validity(&mut conn, "uq_repos_repo_git_ci").await,
        Some(false)
    );
    sqlx::raw_sql("DELETE FROM aveloxis_data.repos WHERE repo_git = 'https://github.com/O/R'")
        .execute(&mut conn)
        .await
        .unwrap();
    aveloxis_migrations::run(&mut conn, &Plan::embedded(), &opts)
        .await
        .unwrap();
    assert_eq!(
        index_validity(&mut conn, "uq_repos_repo_git_ci").await,
        Some(true)
    );
    let fresh = migrated_db().await;
    let mut fconn = fresh.connect().await;
    assert_same_catalog(
        &snapshot(&mut fconn).await,
        &snapshot(&mut conn).await,
        "rebuilt vs fresh",
    );
}

#[tokio::test]
async fn concurrent_migrates_serialise_and_no_wait_fails_clearly() {
    let db = empty_db().await;
    let cfg = db.config_path();
    let spawn = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_aveloxis"))
            .arg("--config")
            .arg(&cfg)
            .arg("migrate")
            .args(extra)
            .env("AVELOXIS_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn(&[]);
    let b = spawn(&[]);
    // Drain both at once: a child blocked on a full pipe would hold the migration lock.
    let b = std::thread::spawn(move || b.wait_with_output().unwrap());
    let a = a.wait_with_output().unwrap();
    let b = b.join().unwrap();
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(b.status.success(), "{}", stderr(&b));
    let outputs = format!("{}{}", stdout(&a), stdout(&b));
    assert_eq!(outputs.matches("fresh install").count(), 1, "{outputs}");
    let mut conn = db.connect().await;
    let reference = migrated_db().await;
    let mut rconn = reference.connect().await;
    assert_same_catalog(
        &snapshot(&mut rconn).await,
        &snapshot(&mut conn).await,
        "two at once vs one",
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM aveloxis_ops.schema_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n as usize, Plan::embedded().steps.len());

    // Hold the lock as another migrate would.
    let mut holder = db.connect().await;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(aveloxis_migrations::MIGRATE_LOCK_KEY)
        .execute(&mut holder)
        .await
        .unwrap();
    let out = spawn(&["--no-wait"]).wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("holds the migration lock"),
        "{}",
        stderr(&out)
    );
    // Without --no-wait it waits for the holder, then completes.
    let mut waiting = std::process::Command::new(env!("CARGO_BIN_EXE_aveloxis"))
        .arg("--config")
        .arg(&cfg)
        .arg("migrate")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "migrate should be waiting for the lock"
    );
    holder.close().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = waiting.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "migrate did not finish after the lock was released"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
}

#[tokio::test]
async fn sigkill_mid_run_then_rerun_converges() {
    let reference = migrated_db().await;
    let db = migrated_db().await;
    // A long lock_timeout: the index build below must wait on the writer, not time out and
    // retry, so the moment of the kill is the only thing that decides what is left behind.
    db.configure(serde_json::json!({"database": {"lock_timeout_ms": 120000}}));
    let extra = [
        (
            "0201_slow_table.sql",
            "-- label: add a table slowly\nCREATE TABLE IF NOT EXISTS aveloxis_data.slow_t (id INT PRIMARY KEY, repo_id BIGINT);\nSELECT pg_sleep(30);\n",
        ),
        (
            "0202_slow_t_repo_idx.sql",
            "-- label: index slow_t.repo_id\n-- mode: concurrent-index aveloxis_data.slow_t_repo_id_idx\nCREATE INDEX CONCURRENTLY IF NOT EXISTS slow_t_repo_id_idx ON aveloxis_data.slow_t (repo_id);\n",
        ),
    ];
    let dir = migrations_copy(db.dir.path(), &extra);
    let run = |db: &TestDb| {
        db.aveloxis()
            .arg("--migrations-dir")
            .arg(&dir)
            .arg("migrate")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut conn = db.connect().await;
    let wait_for = |sql: &'static str| {
        let url = db.url.clone();
        async move {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap();
                if n > 0 {
                    return;
                }
                assert!(Instant::now() < deadline, "timed out waiting for: {sql}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    // 1. Killed inside the transactional step: nothing of it survives.
    let mut child = run(&db);
    wait_for("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'aveloxis-migrate' AND query LIKE '%pg_sleep(30)%'").await;
    child.kill().unwrap();
    child.wait().unwrap();
    // The server notices the dead client; wait for its backend to go away.
    wait_for(
        "SELECT 1 - count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'aveloxis-migrate'",
    )
    .await;
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('aveloxis_data.slow_t') IS NOT NULL")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(
        !exists,
        "a killed transactional step must leave nothing behind"
    );

    // 2. Killed inside CREATE INDEX CONCURRENTLY (waiting for a writer's open transaction):
    //    the half-built INVALID index stays behind.
    std::fs::write(
        dir.join("steps/0201_slow_table.sql"),
        "-- label: add a table slowly\nCREATE TABLE IF NOT EXISTS aveloxis_data.slow_t (id INT PRIMARY KEY, repo_id BIGINT);\n",
    )
    .unwrap();
    let mut blocker = db.connect().await;
    sqlx::raw_sql("CREATE TABLE aveloxis_data.slow_t (id INT PRIMARY KEY, repo_id BIGINT)")
        .execute(&mut blocker)
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN; INSERT INTO aveloxis_data.slow_t VALUES (1, 1)")
        .execute(&mut blocker)
        .await
        .unwrap();
    let mut child = run(&db);
    wait_for("SELECT count(*) FROM pg_class WHERE relname = 'slow_t_repo_id_idx'").await;
    child.kill().unwrap();
    child.wait().unwrap();
    // The server notices the vanished client (client_connection_check_interval) and abandons
    // the build while it still waits for the writer.
    wait_for(
        "SELECT 1 - count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'aveloxis-migrate'",
    )
    .await;
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut blocker)
        .await
        .unwrap();
    let valid: Option<bool> = sqlx::query_scalar(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'aveloxis_data.slow_t_repo_id_idx'::regclass",
    )
    .fetch_optional(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        valid,
        Some(false),
        "the killed build should leave an INVALID index"
    );

    // 3. Re-run converges to the same catalog as an uninterrupted run.
    let status = run(&db).wait().unwrap();
    assert!(status.success());
    let status = run(&reference).wait().unwrap();
    assert!(status.success());
    let mut rconn = reference.connect().await;
    assert_same_catalog(
        &snapshot(&mut rconn).await,
        &snapshot(&mut conn).await,
        "killed+rerun vs uninterrupted",
    );
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    for (fresh, db) in [(true, empty_db().await), (false, db_at_step(3).await)] {
        let mut conn = db.connect().await;
        let everything = async |c: &mut sqlx::PgConnection| {
            let mut lines = aveloxis_migrations::catalog::snapshot(
                c,
                &[
                    "aveloxis_data",
                    "aveloxis_ops",
                    "aveloxis_augur_data",
                    "public",
                ],
            )
            .await
            .unwrap();
            let ledger: Vec<String> = sqlx::query_scalar(
                "SELECT string_agg(version::text, ',') FROM aveloxis_ops.schema_migrations",
            )
            .fetch_all(&mut *c)
            .await
            .unwrap_or_default();
            lines.extend(ledger);
            lines
        };
        let before = everything(&mut conn).await;
        let out = db
            .aveloxis()
            .args(["migrate", "--dry-run"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("nothing was changed"), "{text}");
        let after = everything(&mut conn).await;
        assert_eq!(before, after, "dry run changed the catalog");
        if fresh {
            assert!(text.contains("fresh database"), "{text}");
        } else {
            assert!(
                text.contains("PENDING 0004") && text.contains("PENDING 0005"),
                "{text}"
            );
            assert!(!text.contains("PENDING 0003"), "{text}");
        }
    }
}

#[tokio::test]
async fn augur_schemas_in_the_same_database_are_untouched() {
    let db = empty_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(
        "CREATE SCHEMA augur_data; CREATE SCHEMA augur_operations;
         CREATE TABLE augur_data.repo (repo_id BIGSERIAL PRIMARY KEY, repo_git TEXT NOT NULL, repo_name TEXT);
         CREATE TABLE augur_operations.worker_oauth (oauth_id BIGSERIAL PRIMARY KEY, name TEXT,
             access_token TEXT NOT NULL, platform TEXT DEFAULT 'github');
         CREATE INDEX repo_git_idx ON augur_data.repo (repo_git);
         CREATE VIEW augur_data.repo_names AS SELECT repo_name FROM augur_data.repo;
         INSERT INTO augur_data.repo (repo_git, repo_name)
              SELECT 'https://github.com/o/r' || g, 'r' || g FROM generate_series(1, 50) g;
         INSERT INTO augur_operations.worker_oauth (name, access_token) VALUES ('k', 'ghp_x');",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let state = async |c: &mut sqlx::PgConnection| {
        let mut lines =
            aveloxis_migrations::catalog::snapshot(c, &["augur_data", "augur_operations"])
                .await
                .unwrap();
        let rows = sqlx::query(
                "SELECT (SELECT count(*) FROM augur_data.repo), (SELECT md5(string_agg(r::text, ',' ORDER BY repo_id)) FROM augur_data.repo r),
                        (SELECT count(*) FROM augur_operations.worker_oauth)",
            )
            .fetch_one(&mut *c)
            .await
            .unwrap();
        lines.push(format!(
            "{} {} {}",
            rows.get::<i64, _>(0),
            rows.get::<String, _>(1),
            rows.get::<i64, _>(2)
        ));
        lines
    };
    let before = state(&mut conn).await;
    assert!(before.len() > 5, "{before:?}");
    let out = db.aveloxis().arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(before, state(&mut conn).await);
}

#[tokio::test]
async fn every_earlier_step_brought_forward_equals_a_fresh_install() {
    let fresh = migrated_db().await;
    let mut fconn = fresh.connect().await;
    let want = snapshot(&mut fconn).await;
    let plan = Plan::embedded();
    for step in &plan.steps {
        let db = db_at_step(step.version).await;
        let mut conn = db.connect().await;
        let outcome = aveloxis_migrations::run(&mut conn, &plan, &Options::default())
            .await
            .unwrap();
        assert!(!outcome.fresh);
        let pending = plan
            .steps
            .iter()
            .filter(|s| s.version > step.version)
            .count();
        assert_eq!(outcome.applied.len(), pending);
        assert_same_catalog(
            &want,
            &snapshot(&mut conn).await,
            &format!("from step {}", step.label),
        );
    }
}

#[tokio::test]
async fn the_backfill_step_fills_only_missing_values() {
    let db = db_at_step(2).await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_owner, repo_name) VALUES
             (1, 'https://github.com/chaoss/augur.git', '', ''),
             (2, 'https://gitlab.com/grp/proj', 'kept-owner', '')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    aveloxis_migrations::run(&mut conn, &Plan::embedded(), &Options::default())
        .await
        .unwrap();
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT repo_owner, repo_name FROM aveloxis_data.repos ORDER BY repo_id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        rows,
        vec![
            ("chaoss".to_string(), "augur".to_string()),
            ("kept-owner".to_string(), "proj".to_string())
        ]
    );
}

/// A database collected before events had a kind: its GitLab label events are recognised by
/// their node id, the key widens to include the kind, and an event sharing a label event's id
/// can then be stored next to it instead of overwriting it.
#[tokio::test]
async fn the_event_kind_steps_backfill_label_events_and_widen_the_key() {
    let db = db_at_step(5).await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git) VALUES (2, 'https://gitlab.com/g/p');
         INSERT INTO aveloxis_data.issues (repo_id, platform_issue_id, issue_number, platform_id)
              VALUES (1, 10, 1, 2);
         INSERT INTO aveloxis_data.issue_events (issue_id, repo_id, platform_id, platform_event_id,
                                                 node_id, action)
              VALUES (1, 1, 2, 77, 'ResourceLabelEvent/77', 'labeled'),
                     (1, 1, 2, 78, 'Event/78', 'closed');",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    for _ in 0..2 {
        aveloxis_migrations::run(&mut conn, &Plan::embedded(), &Options::default())
            .await
            .unwrap();
    }
    let kinds: Vec<(i64, String)> = sqlx::query_as(
        "SELECT platform_event_id, event_kind FROM aveloxis_data.issue_events ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        kinds,
        vec![(77, "label_event".to_string()), (78, "event".to_string())]
    );
    // The project event with the label event's id now has a place of its own.
    sqlx::raw_sql(
        "INSERT INTO aveloxis_data.issue_events (issue_id, repo_id, platform_id, platform_event_id,
                                                node_id, action)
              VALUES (1, 1, 2, 77, 'Event/77', 'reopened')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let dup = sqlx::raw_sql(
        "INSERT INTO aveloxis_data.issue_events (issue_id, repo_id, platform_id, platform_event_id,
                                                node_id, action)
              VALUES (1, 1, 2, 77, 'Event/77', 'reopened')",
    )
    .execute(&mut conn)
    .await
    .unwrap_err();
    assert!(
        dup.to_string().contains("uq_issue_events_repo_event_kind"),
        "{dup}"
    );
}

/// Names of the unique indexes on `table` (schema `aveloxis_data`).
async fn unique_indexes(conn: &mut sqlx::PgConnection, table: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT i.relname::text FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
          WHERE x.indrelid = ('aveloxis_data.' || $1)::regclass AND x.indisunique ORDER BY 1",
    )
    .bind(table)
    .fetch_all(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_concurrent_index_step_failing_on_a_lock_timeout_leaves_the_old_keys_in_place() {
    // As of step 0006: the kind-less event keys are the only natural keys of the event tables.
    let db = db_at_step(6).await;
    let mut conn = db.connect().await;
    // A long transaction elsewhere holds a lock that CREATE INDEX CONCURRENTLY must wait for.
    let mut holder = db.connect().await;
    sqlx::raw_sql("BEGIN; LOCK TABLE aveloxis_data.issue_events IN SHARE UPDATE EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let opts = Options {
        lock_timeout: Duration::from_millis(300),
        lock_retries: 0,
        skip_views: true,
        ..Options::default()
    };
    let e = aveloxis_migrations::run(&mut conn, &Plan::embedded(), &opts)
        .await
        .unwrap_err();
    let MigrateError::Failed(f) = &e else {
        panic!("unexpected {e}")
    };
    assert_eq!(f.len(), 1, "{e}");
    assert!(f[0].label.starts_with("0007"), "{e}");
    assert!(
        f.not_attempted.iter().any(|l| l.starts_with("0008"))
            && f.not_attempted.iter().any(|l| l.starts_with("0009")),
        "{e}"
    );
    let versions = ledger_versions(&mut conn).await;
    assert_eq!(versions.last(), Some(&6), "{versions:?}");
    for table in ["issue_events", "pull_request_events"] {
        let keys = unique_indexes(&mut conn, table).await;
        assert!(
            keys.contains(&format!("uq_{table}_repo_event")),
            "{table} keeps its natural key while the new one is not built: {keys:?}"
        );
    }
    // The lock goes away; the next run completes from the failed step on.
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    aveloxis_migrations::run(&mut conn, &Plan::embedded(), &opts)
        .await
        .unwrap();
    let keys = unique_indexes(&mut conn, "issue_events").await;
    assert!(
        keys.contains(&"uq_issue_events_repo_event_kind".to_string())
            && !keys.contains(&"uq_issue_events_repo_event".to_string()),
        "{keys:?}"
    );
}

async fn views_checksum(conn: &mut sqlx::PgConnection) -> Option<String> {
    sqlx::query_scalar("SELECT views_checksum FROM aveloxis_ops.schema_meta")
        .fetch_one(conn)
        .await
        .unwrap()
}

async fn relation_exists(conn: &mut sqlx::PgConnection, name: &str) -> bool {
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(name)
        .fetch_one(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_older_binary_refusing_a_newer_ledger_writes_nothing_not_even_the_views() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    // A newer aveloxis migrated this database: one more step, and views of its own.
    sqlx::raw_sql(
        "INSERT INTO aveloxis_ops.schema_migrations
                     (version, label, checksum, applied_via, duration_ms, tool_version)
              VALUES (999, 'a step of a newer release', 'x', 'step', 1, '9.9.9');
         UPDATE aveloxis_ops.schema_meta SET views_checksum = 'built-by-a-newer-release'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let e = aveloxis_migrations::run(&mut conn, &Plan::embedded(), &Options::default())
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("0999") && text.contains("newer aveloxis"),
        "{text}"
    );
    assert!(text.contains("views: left as they were"), "{text}");
    assert_eq!(
        views_checksum(&mut conn).await.as_deref(),
        Some("built-by-a-newer-release"),
        "the newer release's views were not rebuilt (downgraded)"
    );
}

#[tokio::test]
async fn the_view_rebuild_never_drops_views_it_did_not_build() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    // An analyst's view on one of ours (outside our schemas), and one of theirs inside
    // aveloxis_data that uses only a table.
    sqlx::raw_sql(
        "CREATE SCHEMA analyst;
         CREATE VIEW analyst.my_repos AS SELECT * FROM aveloxis_augur_data.repo;
         CREATE VIEW aveloxis_data.analyst_repo_ids AS SELECT repo_id FROM aveloxis_data.repos;
         UPDATE aveloxis_ops.schema_meta SET views_checksum = 'stale'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let e = aveloxis_migrations::run(&mut conn, &Plan::embedded(), &Options::default())
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("views.sql")
            && text.contains("analyst.my_repos (on aveloxis_augur_data.repo)"),
        "{text}"
    );
    assert!(relation_exists(&mut conn, "analyst.my_repos").await);
    assert_eq!(views_checksum(&mut conn).await.as_deref(), Some("stale"));

    // Without the dependent the rebuild goes through, and leaves the analyst's own view alone.
    sqlx::raw_sql("DROP VIEW analyst.my_repos")
        .execute(&mut conn)
        .await
        .unwrap();
    let out = aveloxis_migrations::run(&mut conn, &Plan::embedded(), &Options::default())
        .await
        .unwrap();
    assert!(out.views_rebuilt, "{out}");
    assert!(relation_exists(&mut conn, "aveloxis_data.analyst_repo_ids").await);
    assert!(relation_exists(&mut conn, "aveloxis_augur_data.repo").await);
    let recorded: Vec<String> =
        sqlx::query_scalar("SELECT unnest(views) FROM aveloxis_ops.schema_meta")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert!(
        !recorded.iter().any(|v| v.contains("analyst")),
        "only views.sql's views are recorded as ours: {recorded:?}"
    );
}

async fn repo_groups(conn: &mut sqlx::PgConnection) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT r.repo_git, g.rg_name, g.rg_type FROM aveloxis_data.repos r
           JOIN aveloxis_data.repo_groups g USING (repo_group_id) ORDER BY r.repo_id",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// A database from before every repository had a group: `aveloxis migrate` puts the ungrouped
/// ones in the configured default group, leaves grouped ones alone, and the column becomes
/// NOT NULL; a second run changes nothing.
#[tokio::test]
async fn ungrouped_repositories_move_to_the_configured_default_group() {
    let db = db_at_step(11).await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(
        "INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type) VALUES ('chaoss', 'github_org');
         INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_group_id) VALUES
             (1, 'https://github.com/chaoss/augur', 1),
             (1, 'https://github.com/o/alone', NULL),
             (2, 'https://gitlab.com/g/p', NULL)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    db.configure(serde_json::json!({"collection": {"default_repo_group": "Legacy Repos"}}));
    let want = vec![
        (
            "https://github.com/chaoss/augur".to_string(),
            "chaoss".to_string(),
            "github_org".to_string(),
        ),
        (
            "https://github.com/o/alone".into(),
            "Legacy Repos".into(),
            String::new(),
        ),
        (
            "https://gitlab.com/g/p".into(),
            "Legacy Repos".into(),
            String::new(),
        ),
    ];
    for _ in 0..2 {
        let out = db.run(&["migrate"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(repo_groups(&mut conn).await, want);
    }
    let nullable: String = sqlx::query_scalar(
        "SELECT is_nullable FROM information_schema.columns
          WHERE table_schema = 'aveloxis_data' AND table_name = 'repos' AND column_name = 'repo_group_id'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(nullable, "NO");
    let named: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_data.repo_groups WHERE rg_name = 'Legacy Repos'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(named, 1);
}
