//! `refresh-views` benchmark: a preset of the mock forge collected (`aveloxis collect --full`,
//! in-process, over real sockets, with several keys: one key's 5,000 requests an hour do not
//! cover the augur preset, three do not cover large) into a throwaway PostgreSQL cluster, then every materialized
//! view refreshed as `aveloxis refresh-views` does, twice (the first build, then the
//! `CONCURRENTLY` refresh of a populated view).
//!
//! Baseline from the same run: each matview's own defining query run as a plain
//! `SELECT count(*) FROM (<definition>) q` — the cost of computing the rows, without writing
//! them, building their unique index or (concurrently) diffing them against the old contents.
//! The ratio says what the refresh machinery costs over the queries themselves.
//!
//! `cargo run --release -p aveloxis-core --example refresh_views_bench -- [tiny|augur|large] [SEED] [KEYS]`
//!
//! KEYS defaults to 3 (augur: 5,627 requests) and 8 for large (about 26,600 requests).

use std::time::Instant;

use aveloxis_core::cli::Cli;
use aveloxis_migrations::{Options, Plan};
use aveloxis_mock_forge::{MockForge, Preset, Scenario, TokenSpec};
use aveloxis_pg::{Cluster, Provisioner};
use clap::Parser;
use sqlx::{Connection, PgConnection};

async fn aveloxis(config: &std::path::Path, args: &[&str]) -> anyhow::Result<()> {
    let mut argv = vec!["aveloxis", "--config", config.to_str().unwrap()];
    argv.extend_from_slice(args);
    aveloxis_core::commands::run(Cli::try_parse_from(argv)?).await
}

/// Total seconds of `SELECT count(*)` over every matview's defining query, and the rows.
async fn baseline(conn: &mut PgConnection) -> anyhow::Result<(f64, i64)> {
    let defs: Vec<(String, String)> = sqlx::query_as(
        "SELECT format('%I.%I', n.nspname, c.relname), pg_get_viewdef(c.oid)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'm' AND n.nspname = ANY($1) ORDER BY 1",
    )
    .bind(aveloxis_migrations::catalog::OUR_SCHEMAS)
    .fetch_all(&mut *conn)
    .await?;
    let started = Instant::now();
    let mut rows = 0;
    for (_, def) in &defs {
        let sql = format!("SELECT count(*) FROM ({}) q", def.trim_end_matches(';'));
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?;
        rows += n;
    }
    Ok((started.elapsed().as_secs_f64(), rows))
}

/// One `refresh-views` (the command's own body), its seconds and its three slowest views.
async fn refresh(conn: &mut PgConnection) -> anyhow::Result<(f64, Vec<String>)> {
    let mut lines = Vec::new();
    let started = Instant::now();
    aveloxis_migrations::views::refresh_materialized(conn, |l| lines.push(l.to_owned())).await?;
    let secs = started.elapsed().as_secs_f64();
    let ms = |l: &String| -> u64 {
        l.rsplit(" in ")
            .next()
            .and_then(|t| t.trim_end_matches(" ms").parse().ok())
            .unwrap_or(0)
    };
    lines.sort_by_key(|l| std::cmp::Reverse(ms(l)));
    lines.truncate(3);
    Ok((secs, lines))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let preset: Preset = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("augur")
        .parse()?;
    let seed: u64 = std::env::args().nth(2).map_or(Ok(1), |s| s.parse())?;
    let keys: usize = match std::env::args().nth(3) {
        Some(k) => k.parse()?,
        None if preset == Preset::Large => 8,
        None => 3,
    };
    let mut scenario = Scenario::generate(preset, seed);
    let tokens: Vec<String> = (0..keys).map(|i| format!("bench-token-{i}")).collect();
    scenario.tokens = tokens
        .iter()
        .map(|t| TokenSpec {
            token: t.clone(),
            limit: None,
        })
        .collect();
    let forge = MockForge::start(scenario)?;
    let cluster = Cluster::start()?;
    cluster.create_database("bench", None).await?;
    let mut conn = PgConnection::connect(&cluster.url("bench")).await?;
    aveloxis_migrations::run(&mut conn, &Plan::embedded(), &Options::default()).await?;
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("aveloxis.json");
    let cfg = serde_json::json!({
        "database": {"host": cluster.host(), "port": cluster.port(), "user": "postgres",
                     "password": cluster.password(), "dbname": "bench", "sslmode": "disable"},
        "collection": {"repo_clone_dir": dir.path().join("clones")},
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()}
    });
    std::fs::write(&config, cfg.to_string())?;
    for token in &tokens {
        aveloxis(&config, &["add-key", token]).await?;
    }
    let name = preset.name();
    let url = forge.web_url("mock-org", name);
    let started = Instant::now();
    aveloxis(&config, &["collect", &url, "--full"]).await?;
    let collect_secs = started.elapsed().as_secs_f64();
    let truth = forge.ground_truth();
    let t = truth
        .repo(&format!("mock-org/{name}"))
        .expect("main repository");
    let counts: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM aveloxis_data.issues),
                (SELECT count(*) FROM aveloxis_data.messages),
                (SELECT count(DISTINCT cmt_commit_hash) FROM aveloxis_data.commits)",
    )
    .fetch_one(&mut conn)
    .await?;
    sqlx::raw_sql("VACUUM ANALYZE").execute(&mut conn).await?;

    let (first, slow_first) = refresh(&mut conn).await?;
    let (again, slow_again) = refresh(&mut conn).await?;
    let (base, rows) = baseline(&mut conn).await?;

    println!(
        "preset {name} (seed {seed}, {keys} keys): collected in {collect_secs:.1} s, {} requests",
        forge.request_count()
    );
    println!(
        "  rows: {} issues (truth {}), {} messages (truth {}), {} commits",
        counts.0, t.issues, counts.1, t.messages, counts.2
    );
    println!("| what | seconds | × baseline |");
    println!("|---|---:|---:|");
    println!(
        "| baseline: each matview's defining query as `SELECT count(*)` ({rows} rows) | {base:.3} | 1.0 |"
    );
    println!(
        "| `refresh-views`, first (unpopulated: plain REFRESH) | {first:.3} | {:.1} |",
        first / base
    );
    println!(
        "| `refresh-views`, again (populated: CONCURRENTLY) | {again:.3} | {:.1} |",
        again / base
    );
    println!("slowest, first: {slow_first:?}");
    println!("slowest, again: {slow_again:?}");
    Ok(())
}
