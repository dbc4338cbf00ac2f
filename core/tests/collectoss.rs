//! CollectOSS: its schema names (`data`, `operations`, after its rename of Augur's
//! `augur_data`/`augur_operations`) on both sides of aveloxis.
//!
//! * `database.collectoss_schema` builds `data`, views of what our consumers' search path
//!   resolves, and never writes a `data` schema aveloxis did not create (refused by name).
//! * `add-key --from-augur`, `collect --augur-keys` and `add-repo --from-augur` read a
//!   CollectOSS database's `operations.worker_oauth` and `data.repo`.

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};
use sqlx::PgConnection;

use crate::support::*;

fn collectoss_on(db: &TestDb) {
    db.configure(serde_json::json!({"database": {"collectoss_schema": true}}));
}

/// `schema.name` of every relation of schema `data`, with its relkind and its comment.
async fn data_schema(conn: &mut PgConnection) -> (Option<String>, Vec<String>) {
    let comment: Option<String> = sqlx::query_scalar(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = 'data'",
    )
    .fetch_optional(&mut *conn)
    .await
    .unwrap()
    .flatten();
    let rels: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname || ':' || c.relkind::text FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'data' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    (comment, rels)
}

#[tokio::test]
async fn the_data_schema_is_built_on_request_and_dropped_when_turned_off() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    db.run(&["migrate"]);
    assert_eq!(data_schema(&mut conn).await.1.len(), 0, "off by default");
    collectoss_on(&db);
    db.run(&["migrate"]);
    let (comment, rels) = data_schema(&mut conn).await;
    assert!(comment.unwrap().starts_with("aveloxis:"));
    for want in [
        "repo:v",
        "explorer_pr_response:v",
        "repo_labor:v",
        "issues:v",
    ] {
        assert!(rels.contains(&want.to_string()), "{want} in {rels:?}");
    }
    assert!(rels.iter().all(|r| r.ends_with(":v")), "{rels:?}");
    // data.repo is Augur's repo (aveloxis_augur_data first), not our aveloxis_data.repos.
    let from: String = sqlx::query_scalar(
        "SELECT string_agg(DISTINCT n.nspname || '.' || c.relname, ',') FROM pg_depend d
           JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class c ON c.oid = d.refobjid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE r.ev_class = 'data.repo'::regclass AND c.oid <> 'data.repo'::regclass",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(from, "aveloxis_augur_data.repo");

    // A views.sql change rebuilds the views under ours (CASCADE) and builds ours again.
    sqlx::query("UPDATE aveloxis_ops.schema_meta SET views_checksum = 'changed'")
        .execute(&mut conn)
        .await
        .unwrap();
    let out = db.run(&["migrate"]);
    assert!(stdout(&out).contains("views rebuilt"), "{}", stdout(&out));
    assert_eq!(data_schema(&mut conn).await.1, rels);

    db.configure(serde_json::json!({"database": {"collectoss_schema": false}}));
    db.run(&["migrate"]);
    assert_eq!(data_schema(&mut conn).await, (None, vec![]));
}

#[tokio::test]
async fn a_step_altering_a_column_the_data_views_read_is_applied() {
    let db = migrated_db().await;
    collectoss_on(&db);
    db.run(&["migrate"]);
    let dir = migrations_copy(
        db.dir.path(),
        &[(
            "0999_retype.sql",
            "ALTER TABLE aveloxis_data.unresolved_commit_emails ALTER COLUMN looked_up_at TYPE timestamp(3) with time zone;",
        )],
    );
    let out = db
        .aveloxis()
        .arg("--migrations-dir")
        .arg(&dir)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let mut conn = db.connect().await;
    let rels = data_schema(&mut conn).await.1;
    assert!(rels.contains(&"unresolved_commit_emails:v".to_string()));
}

#[tokio::test]
async fn a_data_schema_aveloxis_did_not_create_is_never_written() {
    let db = migrated_db().await;
    let mut conn = db.connect().await;
    sqlx::raw_sql(
        "CREATE SCHEMA data;
         CREATE TABLE data.repo (repo_id BIGSERIAL PRIMARY KEY, repo_git TEXT NOT NULL);
         CREATE VIEW data.repo_names AS SELECT repo_git FROM data.repo;
         INSERT INTO data.repo (repo_git) SELECT 'https://github.com/o/r' || g FROM generate_series(1, 5) g;",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let state = async |c: &mut PgConnection| {
        let mut lines = aveloxis_migrations::catalog::snapshot(c, &["data"])
            .await
            .unwrap();
        let rows: String =
            sqlx::query_scalar("SELECT string_agg(repo_git, ',' ORDER BY repo_id) FROM data.repo")
                .fetch_one(&mut *c)
                .await
                .unwrap();
        lines.push(rows);
        lines
    };
    let before = state(&mut conn).await;
    collectoss_on(&db);
    let out = db.aveloxis().arg("migrate").output().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("schema \"data\" exists and was not created by aveloxis"),
        "{err}"
    );
    assert_eq!(before, state(&mut conn).await);
    // Marked as ours by someone, but holding a table: still not ours.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "COMMENT ON SCHEMA data IS '{}'",
        aveloxis_migrations::compat::MARKER
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    let out = db.aveloxis().arg("migrate").output().unwrap();
    assert!(stderr(&out).contains("not views"), "{}", stderr(&out));
    // Off, a foreign data schema is left alone (not dropped).
    db.configure(serde_json::json!({"database": {"collectoss_schema": false}}));
    db.run(&["migrate"]);
    sqlx::raw_sql("COMMENT ON SCHEMA data IS NULL")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(before, state(&mut conn).await);
}

#[tokio::test]
async fn keys_and_repositories_are_imported_from_a_collectoss_database() {
    let forge = MockForge::start(Scenario::generate(Preset::Tiny, 9)).unwrap();
    let db = migrated_db().await;
    let setup = |on: bool| {
        db.configure(serde_json::json!({
            "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
            "database": {"collectoss_schema": on}
        }))
    };
    let mut conn = db.connect().await;
    // Our own CollectOSS-named views are no import source.
    setup(true);
    db.run(&["migrate"]);
    let out = db
        .aveloxis()
        .args(["add-repo", "--from-augur"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("neither augur_data.repo"),
        "{}",
        stderr(&out)
    );
    setup(false);
    db.run(&["migrate"]);

    // CollectOSS after its rename: data / operations.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA data; CREATE SCHEMA operations;
         CREATE TABLE data.repo_groups (repo_group_id BIGINT PRIMARY KEY, rg_name TEXT NOT NULL);
         INSERT INTO data.repo_groups VALUES (1, 'Default Repo Group'), (25430, 'CHAOSS Projects');
         CREATE TABLE data.repo (repo_id BIGSERIAL PRIMARY KEY,
             repo_group_id BIGINT NOT NULL DEFAULT 25430 REFERENCES data.repo_groups,
             repo_git TEXT, repo_name TEXT);
         CREATE TABLE operations.worker_oauth (oauth_id BIGSERIAL PRIMARY KEY, name TEXT,
             consumer_key TEXT, consumer_secret TEXT, access_token TEXT, access_token_secret TEXT,
             repo_directory TEXT, platform TEXT DEFAULT 'github');
         INSERT INTO data.repo (repo_git) VALUES ('{}');
         INSERT INTO operations.worker_oauth (name, access_token) VALUES ('a', '{}'), ('b', '{}');",
        forge.web_url("mock-org", "tiny"),
        DEFAULT_TOKENS[0],
        DEFAULT_TOKENS[1],
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    // --augur-keys reads CollectOSS's keys (never copied).
    db.run(&[
        "collect",
        &forge.web_url("mock-org", "tiny"),
        "--augur-keys",
    ]);
    let out = db.run(&["add-key", "--from-augur"]);
    assert!(
        stdout(&out).contains("copied 2 key(s) from Augur (operations.worker_oauth"),
        "{}",
        stdout(&out)
    );
    let out = db.run(&["add-repo", "--from-augur"]);
    assert!(
        stdout(&out).contains("from Augur (data.repo): 1 added"),
        "{}",
        stdout(&out)
    );
    let group: String = sqlx::query_scalar(
        "SELECT g.rg_name FROM aveloxis_data.repos r JOIN aveloxis_data.repo_groups g USING (repo_group_id)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(group, "CHAOSS Projects");
}
