//! Diff throughput of `harness data-test`: whole-table verdicts (count + per-column fill +
//! content hash, both sides concurrently) over two generated databases, next to plain
//! `count(*)` over the same tables in the same run.
//!
//! `cargo run --release -p aveloxis-harness --example diff_bench -- [ROWS_PER_DB] [ROUNDS]`
//! (default 2,000,000 rows per database: 1/3 in an issues-like table, 2/3 in an events-like one).

use std::time::Instant;

use aveloxis_harness::table_diff;
use aveloxis_pg::{Cluster, Provisioner};
use sqlx::{Connection, PgConnection};

const SETUP: &str = r#"
CREATE SCHEMA aveloxis_data;
CREATE TABLE aveloxis_data.issues (
    issue_id BIGSERIAL PRIMARY KEY, repo_id BIGINT NOT NULL, issue_number INT NOT NULL,
    issue_title TEXT, issue_body TEXT, issue_state TEXT, created_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ, comment_count INT, tool_version TEXT DEFAULT '',
    data_collection_date TIMESTAMPTZ DEFAULT now());
CREATE TABLE aveloxis_data.issue_events (
    event_id BIGSERIAL PRIMARY KEY, issue_id BIGINT NOT NULL, platform_event_id BIGINT,
    action TEXT, node_id TEXT, created_at TIMESTAMPTZ,
    data_collection_date TIMESTAMPTZ DEFAULT now());
"#;

fn fill_sql(issues: i64, events: i64) -> String {
    format!(
        r#"
INSERT INTO aveloxis_data.issues (repo_id, issue_number, issue_title, issue_body, issue_state,
                                  created_at, closed_at, comment_count)
SELECT 1, g, 'Issue number ' || g, repeat('body text ', 1 + g % 20),
       CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'open' END,
       timestamptz '2020-01-01' + g * interval '1 minute',
       CASE WHEN g % 3 = 0 THEN timestamptz '2021-01-01' + g * interval '1 minute' END,
       g % 17
  FROM generate_series(1, {issues}) g;
INSERT INTO aveloxis_data.issue_events (issue_id, platform_event_id, action, node_id, created_at)
SELECT 1 + g % {issues}, g, (ARRAY['closed','labeled','assigned','mentioned'])[1 + g % 4],
       'E_' || md5(g::text), timestamptz '2020-01-01' + g * interval '1 second'
  FROM generate_series(1, {events}) g;
"#
    )
}

async fn counts(a: &mut PgConnection, b: &mut PgConnection) -> i64 {
    let q = "SELECT (SELECT count(*) FROM aveloxis_data.issues) \
             + (SELECT count(*) FROM aveloxis_data.issue_events)";
    let (x, y): (i64, i64) = tokio::try_join!(
        sqlx::query_scalar::<_, i64>(q).fetch_one(&mut *a),
        sqlx::query_scalar::<_, i64>(q).fetch_one(&mut *b)
    )
    .unwrap();
    x + y
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rows: i64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    let rounds: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let (issues, events) = (rows / 3, rows - rows / 3);
    let cluster = Cluster::start()?;
    let t = Instant::now();
    for db in ["bench_released", "bench_new"] {
        cluster.create_database(db, None).await?;
        let mut c = PgConnection::connect(&cluster.url(db)).await?;
        sqlx::raw_sql(SETUP).execute(&mut c).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(fill_sql(issues, events)))
            .execute(&mut c)
            .await?;
        sqlx::raw_sql("VACUUM ANALYZE").execute(&mut c).await?;
        c.close().await?;
    }
    println!(
        "generated 2 databases x {rows} rows ({issues} issues + {events} events) in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let mut a = PgConnection::connect(&cluster.url("bench_released")).await?;
    let mut b = PgConnection::connect(&cluster.url("bench_new")).await?;
    let total = counts(&mut a, &mut b).await; // warm the cache
    let (mut best_count, mut best_diff) = (f64::MAX, f64::MAX);
    for round in 1..=rounds {
        let t = Instant::now();
        let n = counts(&mut a, &mut b).await;
        let count_s = t.elapsed().as_secs_f64();
        assert_eq!(n, total);
        let t = Instant::now();
        let results = table_diff::diff_databases(&mut a, &mut b, &["aveloxis_data"], false).await?;
        let diff_s = t.elapsed().as_secs_f64();
        assert!(
            results
                .iter()
                .all(|r| r.verdict == table_diff::Verdict::Pass)
        );
        println!(
            "round {round}: count(*) {:.3}s ({:.2} M rows/s) | whole-table verdicts {:.3}s ({:.2} M rows/s)",
            count_s,
            total as f64 / count_s / 1e6,
            diff_s,
            total as f64 / diff_s / 1e6
        );
        best_count = best_count.min(count_s);
        best_diff = best_diff.min(diff_s);
    }
    println!(
        "best over {rounds} round(s), {total} rows (both databases): count(*) {:.2} M rows/s, \
         whole-table verdicts (count + fill + content hash) {:.2} M rows/s ({:.1}x the time of count(*))",
        total as f64 / best_count / 1e6,
        total as f64 / best_diff / 1e6,
        best_diff / best_count
    );
    Ok(())
}
