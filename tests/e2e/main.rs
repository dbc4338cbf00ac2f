//! End-to-end scenarios across crates, in one test binary.

use aveloxis_pg::{Cluster, Provisioner};
use clap::Parser;
use sqlx::{Connection, PgConnection};

/// The README's main job, in process: migrate a fresh database with the `aveloxis` command
/// layer, refresh the views, then run the release gate against the same server.
#[tokio::test]
async fn migrate_then_gate_on_an_ephemeral_cluster() {
    let cluster = Cluster::start().unwrap();
    cluster.create_database("aveloxis", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("aveloxis.json");
    std::fs::write(
        &cfg,
        format!(
            r#"{{"database": {{"host": "127.0.0.1", "port": {}, "password": "{}", "dbname": "aveloxis", "sslmode": "disable"}}}}"#,
            cluster.port(),
            cluster.password()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    for args in [
        vec!["aveloxis", "-c", cfg, "migrate"],
        vec!["aveloxis", "-c", cfg, "refresh-views"],
        vec!["aveloxis", "-c", cfg, "migrate", "--dry-run"],
    ] {
        let cli = aveloxis_core::cli::Cli::try_parse_from(&args).unwrap();
        aveloxis_core::commands::run(cli)
            .await
            .unwrap_or_else(|e| panic!("{args:?}: {e:#}"));
    }
    let mut conn = PgConnection::connect(&cluster.url("aveloxis"))
        .await
        .unwrap();
    let populated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_matviews WHERE schemaname = 'aveloxis_data' AND ispopulated",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(populated, 23);

    let args = aveloxis_harness::cli::SchemaCheckArgs {
        revision: aveloxis_harness::cli::RevisionArgs {
            released_tag: None,
            repo_dir: None,
        },
        migrations_dir: Some(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations"),
        ),
        server: aveloxis_harness::cli::ServerArgs {
            server_url: Some(format!(
                "postgres://postgres:{}@127.0.0.1:{}",
                cluster.password(),
                cluster.port()
            )),
        },
        report: None,
    };
    let report = aveloxis_harness::schema_check::check_report(&args)
        .await
        .unwrap();
    assert!(!report.failed(), "{}", report.markdown());
    // The gate cleaned up after itself and left the operator's database alone.
    let dbs: Vec<String> = sqlx::query_scalar("SELECT datname::text FROM pg_database ORDER BY 1")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(dbs.contains(&"aveloxis".to_string()));
    assert!(
        !dbs.iter().any(|d| d.starts_with("aveloxis_harness_")),
        "scratch databases left: {dbs:?}"
    );
}

/// The whole-table verdicts give the same answers with both row hashes (typed values on
/// PostgreSQL 14+, the text form of the row on older servers): equal tables pass without a
/// follow-up scan, and a changed value, a lost row and a column gone dark are each found and
/// named by the follow-up.
#[tokio::test]
async fn diff_verdicts_agree_for_typed_and_text_row_hashes() {
    use aveloxis_harness::table_diff::{self as diff, RowHash, Verdict};
    let cluster = Cluster::start().unwrap();
    let setup = "CREATE SCHEMA aveloxis_data;
        CREATE TABLE aveloxis_data.items (
            item_id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, score NUMERIC(8,2),
            tags TEXT[], payload JSONB, seen_at TIMESTAMPTZ, open BOOLEAN, note TEXT,
            data_collection_date TIMESTAMPTZ DEFAULT now());
        INSERT INTO aveloxis_data.items (name, score, tags, payload, seen_at, open, note)
        SELECT 'item ' || g, g / 7.0, ARRAY['a' || g % 3],
               CASE WHEN g % 50 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('n', g) END,
               timestamptz '2024-01-01' + g * interval '1 hour', g % 2 = 0,
               CASE WHEN g % 4 <> 0 THEN 'note ' || g END
          FROM generate_series(1, 500) g;";
    let mut conns = Vec::new();
    for db in ["released", "new"] {
        cluster.create_database(db, None).await.unwrap();
        let mut c = PgConnection::connect(&cluster.url(db)).await.unwrap();
        sqlx::raw_sql(setup).execute(&mut c).await.unwrap();
        diff::prepare_session(&mut c).await.unwrap();
        conns.push(c);
    }
    let (mut released, mut new) = (conns.remove(0), conns.remove(0));
    let changes = [
        ("", Verdict::Pass, ""),
        (
            "UPDATE aveloxis_data.items SET score = score + 1 WHERE item_id = 17",
            Verdict::Fail,
            "content drift in column(s) score (same row count",
        ),
        (
            "DELETE FROM aveloxis_data.items WHERE item_id = 17",
            Verdict::Fail,
            "row loss",
        ),
        (
            "UPDATE aveloxis_data.items SET note = NULL",
            Verdict::Fail,
            "column note went dark",
        ),
        // Values swapped between rows keep every column's multiset: still drift.
        (
            "UPDATE aveloxis_data.items SET name = CASE item_id WHEN 1 THEN 'item 2' ELSE 'item 1' END
              WHERE item_id IN (1, 2)",
            Verdict::Fail,
            "content drift",
        ),
        // An empty jsonb that became NULL.
        (
            "UPDATE aveloxis_data.items SET payload = NULL WHERE payload = '{}'",
            Verdict::Fail,
            "column payload fill dropped: 500 -> 490",
        ),
        // A column that may now hold NULLs but holds the same values.
        (
            "ALTER TABLE aveloxis_data.items ALTER COLUMN name DROP NOT NULL",
            Verdict::Pass,
            "",
        ),
        // Collection metadata is not content: new dates pass, lost dates are a fill finding.
        (
            "UPDATE aveloxis_data.items SET data_collection_date = now() - interval '1 day'",
            Verdict::Pass,
            "",
        ),
        (
            "UPDATE aveloxis_data.items SET data_collection_date = NULL WHERE item_id <= 10",
            Verdict::Fail,
            "column data_collection_date fill dropped: 500 -> 490",
        ),
    ];
    for (sql, verdict, finding) in changes {
        // Each change lives in a transaction of the new side and is rolled back afterwards.
        let mut tx = new.begin().await.unwrap();
        if !sql.is_empty() {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        for mode in [RowHash::Typed, RowHash::Text] {
            let r =
                diff::diff_databases_with(&mut released, &mut tx, &["aveloxis_data"], false, mode)
                    .await
                    .unwrap();
            let items = r.iter().find(|t| t.table == "items").unwrap();
            assert_eq!(items.verdict, verdict, "{sql:?} ({mode:?}): {items:?}");
            if finding.is_empty() {
                assert!(items.findings.is_empty(), "{mode:?}: {items:?}");
            } else {
                assert!(
                    items.findings.iter().any(|f| f.message.contains(finding)),
                    "{sql} ({mode:?}): {items:?}"
                );
                if sql.contains("data_collection_date") {
                    assert!(
                        !items
                            .findings
                            .iter()
                            .any(|f| f.message.starts_with("content drift")),
                        "{sql} ({mode:?}): {items:?}"
                    );
                }
            }
        }
        tx.rollback().await.unwrap();
    }
}
