//! API cost: requests per full and per incremental collection of each preset, next to the
//! lower bound the world needs, in the same run.
//!
//! `cargo run --release -p aveloxis-core --example api_cost_bench [PRESET...]`
//! (default `tiny augur`)
//!
//! Per preset: an in-process mock forge serving the generated world (seed 1, a rate limit no
//! run exhausts), a fresh migrated database of a throwaway cluster, then `collect --full` and
//! an incremental `collect` over the unchanged world, both in process. Requests are the mock's
//! own count (`MockForge::request_count`: API, web and git requests); staged pages (one per
//! listing request that answered) are broken down by entity from `aveloxis_ops.staging`.
//! Contributor enrichment and commit-author lookups are off (`enrich_per_run`,
//! `resolve_per_run` 0): they are budgeted work after the collection, not its cost. The counts
//! of issues and pull requests are checked against the ground truth after each run.
//!
//! Lower bounds, from the ground truth, every listing at 100 per page (an empty listing still
//! costs its one request):
//! - *batched*: one listing per entity kind across the repository (what GitHub's GraphQL API
//!   could page through: pull requests with their reviews, commits and files nested);
//! - *REST floor*: GitHub's REST API has no repository-wide listing of reviews, PR commits or
//!   PR files, so each pull request costs at least three requests.

use std::collections::BTreeMap;
use std::time::Instant;

use aveloxis_mock_forge::{DEFAULT_TOKENS, MockForge, Preset, Scenario};
use aveloxis_pg::{Cluster, Provisioner};
use clap::Parser as _;
use sqlx::{Connection, PgConnection};

/// Entities staged from GitHub's per-pull-request listings.
const PER_PR: &[&str] = &["pull_reviews", "pull_commits", "pull_files"];

async fn aveloxis(config: &std::path::Path, args: &[&str]) -> anyhow::Result<()> {
    let mut argv = vec!["aveloxis", "--config", config.to_str().unwrap()];
    argv.extend_from_slice(args);
    aveloxis_core::commands::run(aveloxis_core::cli::Cli::try_parse_from(argv)?).await
}

fn pages(n: usize) -> u64 {
    n.div_ceil(100).max(1) as u64
}

/// (batched lower bound, REST floor) of one full collection.
fn lower_bounds(t: &aveloxis_mock_forge::RepoTruth) -> (u64, u64) {
    let repo_wide = 1 // the repository
        + 1 // clone traffic
        + pages(t.releases)
        + pages(t.contributors)
        + pages(t.issues_listing)
        + pages(t.pull_requests)
        + pages(t.issue_events + t.pull_request_events)
        + pages(t.issue_comments + t.pull_request_issue_comments)
        + pages(t.review_comments);
    let nested = pages(t.reviews) + pages(t.pull_request_commits) + pages(t.pull_request_files);
    (repo_wide + nested, repo_wide + 3 * t.pull_requests as u64)
}

/// Staged pages by entity with a staging id above `after`.
async fn staged_since(
    conn: &mut PgConnection,
    after: i64,
) -> anyhow::Result<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT entity_type, count(*) FROM aveloxis_ops.staging WHERE staging_id > $1 GROUP BY entity_type",
    )
    .bind(after)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

async fn max_staging_id(conn: &mut PgConnection) -> anyhow::Result<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT max(staging_id) FROM aveloxis_ops.staging")
        .fetch_one(&mut *conn)
        .await?;
    Ok(id.unwrap_or(0))
}

struct RunCost {
    requests: u64,
    staged: BTreeMap<String, i64>,
    seconds: f64,
}

async fn run_once(
    forge: &MockForge,
    conn: &mut PgConnection,
    cfg: &std::path::Path,
    args: &[&str],
    preset: &str,
) -> anyhow::Result<RunCost> {
    let (before, after) = (forge.request_count(), max_staging_id(conn).await?);
    let t = Instant::now();
    aveloxis(cfg, args).await?;
    let seconds = t.elapsed().as_secs_f64();
    let requests = forge.request_count() - before;
    let truth = forge
        .ground_truth()
        .repo(&format!("mock-org/{preset}"))
        .unwrap()
        .clone();
    let (issues, pulls): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM aveloxis_data.issues),
                (SELECT count(*) FROM aveloxis_data.pull_requests)",
    )
    .fetch_one(&mut *conn)
    .await?;
    anyhow::ensure!(
        (issues as usize, pulls as usize) == (truth.issues, truth.pull_requests),
        "{preset}: {issues} issues and {pulls} PRs collected, the world has {} and {}",
        truth.issues,
        truth.pull_requests
    );
    let staged = staged_since(conn, after).await?;
    Ok(RunCost {
        requests,
        staged,
        seconds,
    })
}

fn show(preset: &str, kind: &str, c: &RunCost, bound: (u64, u64)) {
    let per_pr: i64 = PER_PR
        .iter()
        .map(|e| c.staged.get(*e).copied().unwrap_or(0))
        .sum();
    let staged: i64 = c.staged.values().sum();
    let share = 100.0 * per_pr as f64 / c.requests.max(1) as f64;
    println!(
        "{preset:<6} {kind:<11} {:>8} {:>7} {:>7} ({share:>4.1} %) {:>7} {:>8} {:>9} {:>6.1}",
        c.requests,
        staged,
        per_pr,
        c.requests as i64 - staged,
        bound.0,
        bound.1,
        c.seconds
    );
    let detail: Vec<String> = c.staged.iter().map(|(e, n)| format!("{e} {n}")).collect();
    println!("{:<19}staged: {}", "", detail.join(", "));
}

async fn preset_cost(cluster: &Cluster, preset: &str) -> anyhow::Result<Row> {
    let mut scenario = Scenario::generate(preset.parse::<Preset>()?, 1);
    scenario.rate_limit.limit = 100_000_000;
    let forge = MockForge::start(scenario)?;
    let db = format!("cost_{preset}");
    cluster.create_database(&db, None).await?;
    let tmp = tempfile::tempdir()?;
    let cfg = tmp.path().join("aveloxis.json");
    let json = serde_json::json!({
        "database": {"host": "127.0.0.1", "port": cluster.port(), "user": "postgres",
                     "password": cluster.password(), "dbname": db, "sslmode": "disable"},
        "github": {"api_url": forge.github_api_url(), "web_url": forge.base_url()},
        "collection": {"repo_clone_dir": tmp.path().join("clones"), "enrich_per_run": 0,
                       "resolve_per_run": 0}
    });
    std::fs::write(&cfg, json.to_string())?;
    aveloxis(&cfg, &["migrate", "--skip-views"]).await?;
    for t in DEFAULT_TOKENS {
        aveloxis(&cfg, &["add-key", t]).await?;
    }
    let url = forge.web_url("mock-org", preset);
    aveloxis(&cfg, &["add-repo", &url]).await?;
    let mut conn = PgConnection::connect(&cluster.url(&db)).await?;
    let truth = forge
        .ground_truth()
        .repo(&format!("mock-org/{preset}"))
        .unwrap()
        .clone();
    let full = run_once(
        &forge,
        &mut conn,
        &cfg,
        &["collect", &url, "--full"],
        preset,
    )
    .await?;
    let incr = run_once(&forge, &mut conn, &cfg, &["collect", &url], preset).await?;
    let bound = lower_bounds(&truth);
    eprintln!(
        "{preset}: {} issues, {} PRs ({} reviews, {} PR commits, {} PR files)",
        truth.issues,
        truth.pull_requests,
        truth.reviews,
        truth.pull_request_commits,
        truth.pull_request_files
    );
    forge.shutdown();
    Ok((preset.to_owned(), full, incr, bound))
}

type Row = (String, RunCost, RunCost, (u64, u64));

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut presets: Vec<String> = std::env::args().skip(1).collect();
    if presets.is_empty() {
        presets = vec!["tiny".into(), "augur".into()];
    }
    let cluster = Cluster::start()?;
    let mut rows = Vec::new();
    for p in &presets {
        rows.push(preset_cost(&cluster, p).await?);
    }
    println!(
        "{:<6} {:<11} {:>8} {:>7} {:>17} {:>7} {:>8} {:>9} {:>6}",
        "preset",
        "run",
        "requests",
        "staged",
        "per-PR (share)",
        "other",
        "batched",
        "REST floor",
        "wall s"
    );
    for (p, full, incr, bound) in &rows {
        show(p, "full", full, *bound);
        // Over an unchanged world one page per repository-wide listing is the floor.
        show(p, "incremental", incr, (9, 9));
    }
    Ok(())
}
