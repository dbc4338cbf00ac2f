//! Provisioning benchmark: cluster start and per-database clone, next to raw `initdb` +
//! `pg_ctl start` measured in the same run.
//!
//! `cargo run --release -p aveloxis-pg --example provision_bench [ROUNDS]`

use std::time::Instant;

use aveloxis_migrations::{Options, Plan};
use aveloxis_pg::{Cluster, ClusterOptions, Provisioner};
use sqlx::{Connection, PgConnection};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args().nth(1).map_or(Ok(5), |s| s.parse())?;
    // Warm the initdb cache so the first cached start is not an outlier.
    drop(Cluster::start()?);

    let mut raw = Vec::new();
    let mut cached = Vec::new();
    let mut uncached = Vec::new();
    for _ in 0..rounds {
        raw.push(aveloxis_pg::raw_initdb_start_seconds()?);
        let t = Instant::now();
        let c = Cluster::start()?;
        cached.push(t.elapsed().as_secs_f64());
        drop(c);
        let t = Instant::now();
        let c = Cluster::start_with(&ClusterOptions {
            use_initdb_cache: false,
            ..ClusterOptions::default()
        })?;
        uncached.push(t.elapsed().as_secs_f64());
        drop(c);
    }

    let cluster = Cluster::start()?;
    cluster.create_database("tpl", None).await?;
    let mut conn = PgConnection::connect(&cluster.url("tpl")).await?;
    let plan = Plan::embedded();
    let t = Instant::now();
    aveloxis_migrations::run(&mut conn, &plan, &Options::default()).await?;
    let migrate_secs = t.elapsed().as_secs_f64();
    conn.close().await?;
    let mut clone = Vec::new();
    let mut empty = Vec::new();
    for i in 0..rounds * 4 {
        let t = Instant::now();
        cluster
            .create_database(&format!("clone_{i}"), Some("tpl"))
            .await?;
        clone.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        cluster.create_database(&format!("empty_{i}"), None).await?;
        empty.push(t.elapsed().as_secs_f64());
    }

    println!("provisioning, median of {rounds} rounds (seconds)");
    println!(
        "  raw initdb + pg_ctl start (baseline) {:>8.3}",
        median(raw)
    );
    println!(
        "  Cluster::start, initdb cache         {:>8.3}  (goal <= 1.5)",
        median(cached)
    );
    println!(
        "  Cluster::start, no cache             {:>8.3}",
        median(uncached)
    );
    println!("  migrate a fresh database (once)      {migrate_secs:>8.3}");
    println!(
        "  clone of migrated template           {:>8.3}  (goal <= 0.2)",
        median(clone)
    );
    println!(
        "  CREATE DATABASE, empty (baseline)    {:>8.3}",
        median(empty)
    );
    Ok(())
}
