//! Writers during a migration (P5): the latency of single-row inserts into a table of N rows
//! (default 5,000,000) while the migration engine applies a `concurrent-index` step that builds
//! an index on it, next to two baselines from the same run: the same inserts with nothing else
//! running, and the same inserts while a plain `CREATE INDEX` builds the same index.
//!
//! The writer is one connection inserting one row per statement (autocommit) at a fixed rate
//! (default 200/s). Each insert's latency is measured from the moment it was due, not from the
//! moment it was sent, so an insert queued behind a blocked one counts the wait too (no
//! coordinated omission): a lock held for 10 s shows as 10 s of late inserts.
//!
//! `cargo run --release -p aveloxis-pg --example migration_writers_bench -- [ROWS] [RATE]`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use aveloxis_migrations::{Options, Plan, Step};
use aveloxis_pg::{Cluster, Provisioner};
use sqlx::{Connection, PgConnection};

const TABLE: &str = "aveloxis_data.bench_writes";
const COLUMNS: &str = "(repo_id, created_at)";

/// Inserts at `rate` per second until `stop`; when each was due and its latency in ms.
async fn writer(
    url: String,
    rate: u32,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<Vec<(Instant, f64)>> {
    let mut conn = PgConnection::connect(&url).await?;
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let start = Instant::now();
    let mut lat = Vec::new();
    for i in 0u64.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        sqlx::query(
            "INSERT INTO aveloxis_data.bench_writes (repo_id, cntrb_id, created_at, body)
             VALUES ($1, gen_random_uuid(), now(), md5(random()::text))",
        )
        .bind((i % 1000) as i64)
        .execute(&mut conn)
        .await?;
        lat.push((due, due.elapsed().as_secs_f64() * 1000.0));
    }
    Ok(lat)
}

/// Runs `work` with the writer beside it; the work's seconds and the latencies of the inserts
/// that were due while it ran (the writer starts before and stops `tail` after it).
async fn with_writer<F>(
    url: &str,
    rate: u32,
    tail: Duration,
    work: F,
) -> anyhow::Result<(f64, Vec<f64>)>
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let w = tokio::spawn(writer(url.to_owned(), rate, stop.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    work.await?;
    let ended = Instant::now();
    tokio::time::sleep(tail).await;
    stop.store(true, Ordering::Relaxed);
    let lat = w
        .await??
        .into_iter()
        .filter(|(due, _)| *due >= started && *due <= ended)
        .map(|(_, ms)| ms)
        .collect();
    Ok(((ended - started).as_secs_f64(), lat))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn row(what: &str, secs: Option<f64>, mut lat: Vec<f64>) {
    lat.sort_by(f64::total_cmp);
    println!(
        "| {what} | {} | {} | {:.2} | {:.2} | **{:.2}** | {:.1} |",
        secs.map_or("–".into(), |s| format!("{s:.1}")),
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.9),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0)
    );
}

async fn setup(conn: &mut PgConnection, rows: u64) -> anyhow::Result<f64> {
    aveloxis_migrations::run(conn, &Plan::embedded(), &Options::default()).await?;
    let started = Instant::now();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {TABLE} (id BIGSERIAL PRIMARY KEY, repo_id BIGINT NOT NULL,
             cntrb_id UUID, created_at TIMESTAMPTZ NOT NULL, body TEXT NOT NULL);
         INSERT INTO {TABLE} (repo_id, cntrb_id, created_at, body)
              SELECT g % 1000, gen_random_uuid(), now() - g * interval '1 second', md5(g::text)
                FROM generate_series(1, {rows}) g;"
    )))
    .execute(&mut *conn)
    .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM ANALYZE {TABLE}")))
        .execute(&mut *conn)
        .await?;
    Ok(started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: u64 = std::env::args()
        .nth(1)
        .map_or(Ok(5_000_000), |s| s.parse())?;
    let rate: u32 = std::env::args().nth(2).map_or(Ok(200), |s| s.parse())?;
    let cluster = Cluster::start()?;
    cluster.create_database("bench", None).await?;
    let url = cluster.url("bench");
    let mut conn = PgConnection::connect(&url).await?;
    let fill = setup(&mut conn, rows).await?;
    let tail = Duration::from_secs(1);

    // The migration: the embedded plan plus one concurrent-index step on the table.
    let mut plan = Plan::embedded();
    let version = plan.schema_version() + 1;
    plan.steps.push(Step::parse(
        &format!("{version:04}_bench_writes_repo_created.sql"),
        &format!(
            "-- mode: concurrent-index aveloxis_data.bench_writes_repo_created\n\
             CREATE INDEX CONCURRENTLY IF NOT EXISTS bench_writes_repo_created ON {TABLE} {COLUMNS};\n"
        ),
    )?);
    let mut ddl = PgConnection::connect(&url).await?;
    let (step_secs, during) = with_writer(&url, rate, tail, async {
        aveloxis_migrations::run(&mut ddl, &plan, &Options::default()).await?;
        Ok(())
    })
    .await?;
    sqlx::raw_sql("DROP INDEX aveloxis_data.bench_writes_repo_created")
        .execute(&mut conn)
        .await?;

    // Baseline: the same writer, nothing else, for as long as the step ran.
    let quiet = Duration::from_secs_f64(step_secs);
    let (_, idle) = with_writer(&url, rate, tail, async {
        tokio::time::sleep(quiet).await;
        Ok(())
    })
    .await?;

    // Baseline: a plain CREATE INDEX of the same index (SHARE lock: writers wait).
    let (plain_secs, plain) = with_writer(&url, rate, tail, async {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE INDEX bench_writes_plain ON {TABLE} {COLUMNS}"
        )))
        .execute(&mut ddl)
        .await?;
        Ok(())
    })
    .await?;

    println!("{rows} rows (filled in {fill:.1} s), one writer at {rate} single-row inserts/s");
    println!("| inserts while | index build s | inserts | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    row("nothing else runs (baseline)", None, idle);
    row(
        "the engine applies the concurrent-index step",
        Some(step_secs),
        during,
    );
    row(
        "a plain `CREATE INDEX` builds (baseline)",
        Some(plain_secs),
        plain,
    );
    Ok(())
}
