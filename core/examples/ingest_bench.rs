//! P2 ingest benchmark: rows/s of staged pages → tables (`collect::process_staged`) next to
//! `COPY` of exactly the same rows into the same tables, in the same run.
//!
//! `cargo run --release -p aveloxis-core --example ingest_bench [PRESET] [ROUNDS]`
//! (default `augur`, 3 rounds; medians printed)
//!
//! A generated repository of the preset is collected (`collect --full`, in process) from an
//! in-process mock forge with a rate limit no run exhausts, into a migrated database of a
//! throwaway cluster. Then, per round: every table processing writes is dumped (`COPY … TO
//! STDOUT`) and emptied, the repository's staged pages are marked unprocessed, and
//! `process_staged` is timed (default chunk budget); the rows it wrote are counted and must
//! equal the rows dumped, table by table. The tables are emptied again and the dump is
//! `COPY`ed back in one transaction, timed (server-side `COPY … FROM 'file'`: a client
//! `COPY FROM STDIN` per table adds ~40 ms of TCP delayed-ACK wait per statement here). Repository, group, contributor and git-derived
//! rows (commits, labor) are kept: processing updates contributors it finds again, which its
//! time includes and its row count does not.

use std::time::Instant;

use aveloxis_core::collect::{Budget, process_staged};
use aveloxis_core::queue::Fence;
use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};
use aveloxis_pg::{Cluster, Provisioner};
use clap::Parser as _;
use futures_util::TryStreamExt as _;
use sqlx::{Connection, PgConnection};

/// Every table `process_staged` writes for a GitHub repository, parents first (contributors
/// and `repo_info` excepted, see the module's text).
const TABLES: &[&str] = &[
    "releases",
    "repo_clones",
    "issues",
    "issue_labels",
    "issue_assignees",
    "pull_requests",
    "pull_request_labels",
    "pull_request_assignees",
    "pull_request_reviewers",
    "pull_request_meta",
    "pull_request_reviews",
    "pull_request_commits",
    "pull_request_files",
    "issue_events",
    "pull_request_events",
    "messages",
    "issue_message_ref",
    "pull_request_message_ref",
    "pull_request_review_message_ref",
    "review_comments",
];

/// Tables that reference those above and that collection leaves empty: emptied with them
/// (`TRUNCATE` refuses a referenced table alone), checked empty.
const REFERRERS: &[&str] = &[
    "commit_comment_ref",
    "pull_request_repo",
    "pull_request_teams",
    "pull_request_analysis",
    "message_analysis",
    "message_sentiment",
    "discourse_insights",
];

/// Run one `aveloxis` command in process.
async fn aveloxis(config: &std::path::Path, args: &[&str]) -> anyhow::Result<()> {
    let mut argv = vec!["aveloxis", "--config", config.to_str().unwrap()];
    argv.extend_from_slice(args);
    aveloxis_core::commands::run(aveloxis_core::cli::Cli::try_parse_from(argv)?).await
}

async fn counts(conn: &mut PgConnection) -> anyhow::Result<Vec<i64>> {
    let mut v = Vec::new();
    for t in TABLES {
        let q = format!("SELECT count(*) FROM aveloxis_data.{t}");
        v.push(
            sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                .fetch_one(&mut *conn)
                .await?,
        );
    }
    Ok(v)
}

async fn truncate(conn: &mut PgConnection) -> anyhow::Result<()> {
    for t in REFERRERS {
        let q = format!("SELECT count(*) FROM aveloxis_data.{t}");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
            .fetch_one(&mut *conn)
            .await?;
        anyhow::ensure!(n == 0, "{t} has {n} rows; the benchmark would lose them");
    }
    let list: Vec<String> = TABLES
        .iter()
        .chain(REFERRERS)
        .map(|t| format!("aveloxis_data.{t}"))
        .collect();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("TRUNCATE {}", list.join(", "))))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn dump(conn: &mut PgConnection) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for t in TABLES {
        let s = conn
            .copy_out_raw(&format!("COPY aveloxis_data.{t} TO STDOUT"))
            .await?;
        let chunks: Vec<_> = s.try_collect().await?;
        out.push(chunks.concat());
    }
    Ok(out)
}

/// Write the dump where the server can read it (one file per table, world-readable).
fn write_dump(dir: &std::path::Path, data: &[Vec<u8>]) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    for (t, bytes) in TABLES.iter().zip(data) {
        let f = dir.join(format!("{t}.copy"));
        std::fs::write(&f, bytes)?;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644))?;
    }
    Ok(())
}

/// `COPY` the dump back, server side from the files (no client round trips: the physical
/// limit), every table in one transaction; returns the rows copied.
async fn copy_in(conn: &mut PgConnection, dir: &std::path::Path) -> anyhow::Result<u64> {
    let mut tx = conn.begin().await?;
    let mut rows = 0;
    for t in TABLES {
        let f = dir.join(format!("{t}.copy"));
        let q = format!("COPY aveloxis_data.{t} FROM '{}'", f.display());
        rows += sqlx::query(sqlx::AssertSqlSafe(q))
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    Ok(rows)
}

async fn collect_preset(
    cluster: &Cluster,
    forge: &MockForge,
    preset: &str,
    dir: &std::path::Path,
) -> anyhow::Result<std::path::PathBuf> {
    cluster.create_database("bench", None).await?;
    let cfg = dir.join("aveloxis.json");
    let json = serde_json::json!({
        "database": {"host": "127.0.0.1", "port": cluster.port(), "user": "postgres",
                     "password": cluster.password(), "dbname": "bench", "sslmode": "disable"},
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        "collection": {"repo_clone_dir": dir.join("clones"), "enrich_per_run": 0,
                       "resolve_per_run": 0}
    });
    std::fs::write(&cfg, json.to_string())?;
    aveloxis(&cfg, &["migrate", "--skip-views"]).await?;
    for t in DEFAULT_TOKENS {
        aveloxis(&cfg, &["add-key", t]).await?;
    }
    let url = forge.web_url("mock-org", preset);
    aveloxis(&cfg, &["add-repo", &url]).await?;
    let t = Instant::now();
    aveloxis(&cfg, &["collect", &url, "--full"]).await?;
    eprintln!("collected in {:.1} s", t.elapsed().as_secs_f64());
    Ok(cfg)
}

/// Seconds to read every staged page of the repository and parse it into JSON values: the
/// part of `process_staged` before any row is mapped or written.
async fn read_pages(conn: &mut PgConnection, repo_id: i64) -> anyhow::Result<f64> {
    let t = Instant::now();
    let pages: Vec<sqlx::types::Json<serde_json::Value>> =
        sqlx::query_scalar("SELECT payload FROM aveloxis_ops.staging WHERE repo_id = $1")
            .bind(repo_id)
            .fetch_all(&mut *conn)
            .await?;
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(!pages.is_empty(), "no staged pages");
    Ok(secs)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One round: (seconds of `process_staged`, seconds of `COPY`, rows).
async fn round(
    conn: &mut PgConnection,
    repo_id: i64,
    dir: &std::path::Path,
) -> anyhow::Result<(f64, f64, i64)> {
    let want = counts(conn).await?;
    write_dump(dir, &dump(conn).await?)?;
    truncate(conn).await?;
    sqlx::query("UPDATE aveloxis_ops.staging SET processed = false WHERE repo_id = $1")
        .bind(repo_id)
        .execute(&mut *conn)
        .await?;
    sqlx::raw_sql("VACUUM ANALYZE").execute(&mut *conn).await?;
    let t = Instant::now();
    process_staged(conn, repo_id, Fence::Unclaimed, Budget::default()).await?;
    let ingest = t.elapsed().as_secs_f64();
    let got = counts(conn).await?;
    for ((t, w), g) in TABLES.iter().zip(&want).zip(&got) {
        anyhow::ensure!(w == g, "{t}: processing wrote {g} rows, the dump has {w}");
    }
    truncate(conn).await?;
    sqlx::raw_sql("VACUUM ANALYZE").execute(&mut *conn).await?;
    let t = Instant::now();
    let copied = copy_in(conn, dir).await?;
    let copy = t.elapsed().as_secs_f64();
    let total: i64 = want.iter().sum();
    anyhow::ensure!(copied as i64 == total, "COPY {copied} rows, want {total}");
    anyhow::ensure!(counts(conn).await? == want, "COPY left other counts");
    Ok((ingest, copy, total))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let preset: String = std::env::args().nth(1).unwrap_or_else(|| "augur".into());
    let rounds: usize = std::env::args().nth(2).map_or(Ok(3), |s| s.parse())?;
    let mut scenario = Scenario::generate(preset.parse::<Preset>()?, 1);
    scenario.rate_limit.limit = 100_000_000;
    let forge = MockForge::start(scenario)?;
    let cluster = Cluster::start()?;
    let tmp = tempfile::tempdir()?;
    collect_preset(&cluster, &forge, &preset, tmp.path()).await?;
    let mut conn = PgConnection::connect(&cluster.url("bench")).await?;
    let repo_id: i64 = sqlx::query_scalar("SELECT repo_id FROM aveloxis_data.repos")
        .fetch_one(&mut conn)
        .await?;
    let truth = forge
        .ground_truth()
        .repo(&format!("mock-org/{preset}"))
        .unwrap()
        .clone();
    let have = counts(&mut conn).await?;
    let (issues, pulls) = (have[2] as usize, have[5] as usize);
    anyhow::ensure!(
        (issues, pulls) == (truth.issues, truth.pull_requests),
        "collected {issues} issues and {pulls} PRs, the world has {} and {}",
        truth.issues,
        truth.pull_requests
    );
    let pages: i64 =
        sqlx::query_scalar("SELECT count(*) FROM aveloxis_ops.staging WHERE repo_id = $1")
            .bind(repo_id)
            .fetch_one(&mut conn)
            .await?;
    let (mut ing, mut cp, mut rows) = (Vec::new(), Vec::new(), 0);
    for _ in 0..rounds {
        let (i, c, n) = round(&mut conn, repo_id, &tmp.path().join("dump")).await?;
        println!("round: process_staged {i:.3} s, COPY {c:.3} s, {n} rows");
        (rows, ing, cp) = (n, [ing, vec![i]].concat(), [cp, vec![c]].concat());
    }
    let (i, c) = (median(ing), median(cp));
    let read = read_pages(&mut conn, repo_id).await?;
    println!(
        "preset {preset}: {rows} rows in {} tables from {pages} staged pages; median of {rounds}",
        TABLES.len()
    );
    println!(
        "  COPY of the same rows (baseline): {c:.3} s, {:.0} rows/s",
        rows as f64 / c
    );
    println!("  process_staged: {i:.3} s, {:.0} rows/s", rows as f64 / i);
    println!("  ratio: {:.2}x COPY (goal >= 0.3x)", c / i);
    println!(
        "  of which at least: reading and parsing the staged pages {read:.3} s ({:.0} % of process_staged)",
        100.0 * read / i
    );
    Ok(())
}
