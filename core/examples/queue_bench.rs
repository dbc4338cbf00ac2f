//! Queue benchmark: claims/s and p99 claim latency with 1, 4 and 16 concurrent claimers on a
//! 100k-row queue, next to a plain `SELECT … ORDER BY priority, due_at LIMIT 1` baseline run
//! with the same concurrency in the same run (the baseline takes no lock and writes nothing).
//!
//! `cargo run --release -p aveloxis-core --example queue_bench [SECONDS_PER_RUN]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use aveloxis_migrations::{Options, Plan};
use aveloxis_pg::{Cluster, Provisioner};
use sqlx::postgres::PgPoolOptions;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secs: u64 = std::env::args().nth(1).map_or(Ok(3), |s| s.parse())?;
    let cluster = Cluster::start()?;
    cluster.create_database("bench", None).await?;
    let pool = PgPoolOptions::new()
        .max_connections(40)
        .connect(&cluster.url("bench"))
        .await?;
    {
        let mut c = pool.acquire().await?;
        aveloxis_migrations::run(
            &mut c,
            &Plan::embedded(),
            &Options {
                skip_views: true,
                ..Options::default()
            },
        )
        .await?;
        sqlx::raw_sql(
            "INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type) VALUES ('bench', '');
             INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_owner, repo_name, repo_group_id)
             SELECT 1, 'https://github.com/bench/r' || g, 'bench', 'r' || g, currval(pg_get_serial_sequence('aveloxis_data.repo_groups', 'repo_group_id'))
               FROM generate_series(1, 100000) g;
             INSERT INTO aveloxis_ops.collection_queue (repo_id, priority, due_at)
             SELECT repo_id, (repo_id % 7)::int * 10, now() - (repo_id % 1000) * interval '1 minute'
               FROM aveloxis_data.repos;
             ANALYZE aveloxis_ops.collection_queue;",
        )
        .execute(&mut *c)
        .await?;
    }
    println!("queue of 100000 rows; {secs} s per run; 2-core machine");
    println!(
        "{:>9} {:>14} {:>12} {:>16} {:>14}",
        "claimers", "claims/s", "p99 ms", "baseline sel/s", "baseline p99"
    );
    for n in [1usize, 4, 16] {
        let (claims, p99) = run(&pool, n, secs, true).await?;
        let (sels, bp99) = run(&pool, n, secs, false).await?;
        println!("{n:>9} {claims:>14.0} {p99:>12.2} {sels:>16.0} {bp99:>14.2}");
        sqlx::raw_sql(
            "UPDATE aveloxis_ops.collection_queue SET status = 'queued', locked_by = NULL, locked_at = NULL, heartbeat_at = NULL
              WHERE status = 'collecting'; TRUNCATE aveloxis_ops.worker_history;",
        )
        .execute(&pool)
        .await?;
        sqlx::raw_sql("VACUUM ANALYZE aveloxis_ops.collection_queue")
            .execute(&pool)
            .await?;
    }
    Ok(())
}

async fn run(pool: &sqlx::PgPool, n: usize, secs: u64, claim: bool) -> anyhow::Result<(f64, f64)> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let lat = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..n {
        let pool = pool.clone();
        let lat = lat.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await?;
            let me = format!("bench:w{i}");
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                if claim {
                    aveloxis_core::queue::claim(&mut conn, &me).await?;
                } else {
                    let _: Option<i64> = sqlx::query_scalar(
                        "SELECT repo_id FROM aveloxis_ops.collection_queue
                          WHERE status = 'queued' AND due_at <= now() ORDER BY priority, due_at LIMIT 1",
                    )
                    .fetch_optional(&mut *conn)
                    .await?;
                }
                mine.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            lat.lock().unwrap().extend(mine);
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let mut v = std::mem::take(&mut *lat.lock().unwrap());
    v.sort_by(f64::total_cmp);
    let p99 = v
        .get(v.len().saturating_mul(99) / 100)
        .copied()
        .unwrap_or(0.0);
    Ok((v.len() as f64 / secs as f64, p99))
}
