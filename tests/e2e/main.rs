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
            r#"{{"database": {{"host": "127.0.0.1", "port": {}, "dbname": "aveloxis", "sslmode": "disable"}}}}"#,
            cluster.port()
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
    assert_eq!(populated, 19);

    let args = aveloxis_harness::schema_check::Args {
        released_tag: None,
        migrations_dir: Some(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations"),
        ),
        repo_dir: None,
        server_url: Some(format!("postgres://postgres@127.0.0.1:{}", cluster.port())),
        report: None,
    };
    let report = aveloxis_harness::schema_check::run(&args).await.unwrap();
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
