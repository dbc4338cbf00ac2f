//! `aveloxis collect URL...`: collect repositories now, in this process (no queue claim).

use anyhow::{Result, bail};
use sqlx::PgConnection;

use crate::cli::CollectArgs;
use crate::collect::{Collector, Counts, Outcome};
use crate::config::Config;
use crate::forge::client::ClientOptions;
use crate::forge::{Target, parse_target, redact_userinfo};

async fn repo_for(conn: &mut PgConnection, cfg: &Config, url: &str) -> Result<i64> {
    match parse_target(url, cfg)? {
        Target::Repo(r) => crate::repos::upsert_repo(conn, cfg, &r, None).await,
        Target::Owner { .. } => bail!("{}: name a repository, not an owner", redact_userinfo(url)),
    }
}

fn print_collected(url: &str, repo_id: i64, secs: f64, c: &Counts) {
    println!(
        "collected {} (repo {repo_id}) in {secs:.1}s: {} issues, {} pull requests, {} messages, {} events, {} releases, {} contributors, {} commits",
        redact_userinfo(url),
        c.get("issues"),
        c.get("pulls"),
        c.get("messages"),
        c.get("issue_events") + c.get("pr_events"),
        c.get("releases"),
        c.contributors,
        c.commits
    );
    for (table, n) in &c.orphans {
        println!("  warning: {n} {table} rows skipped: their parent is not in the database");
    }
    for (entity, n) in &c.quarantined {
        println!("  warning: {n} {entity} items quarantined (aveloxis_ops.quarantine says why)");
    }
}

pub(super) async fn run(conn: &mut PgConnection, cfg: &Config, args: &CollectArgs) -> Result<()> {
    let collector =
        Collector::new(conn, cfg.clone(), args.augur_keys, ClientOptions::default()).await?;
    let mut failures = Vec::new();
    for url in &args.urls {
        let repo_id = repo_for(conn, cfg, url).await?;
        let started = std::time::Instant::now();
        match collector.collect(conn, repo_id, args.full).await {
            Ok(Outcome::Collected(c)) => {
                print_collected(url, repo_id, started.elapsed().as_secs_f64(), &c)
            }
            Ok(Outcome::Sidelined { status }) => {
                println!(
                    "{}: gone ({status}); marked gone, kept its data, removed from the queue",
                    redact_userinfo(url)
                )
            }
            Ok(Outcome::Duplicate { of_repo_id }) => println!(
                "{}: redirects to repository {of_repo_id}, already tracked; marked duplicate",
                redact_userinfo(url)
            ),
            Err(e) => {
                let msg = format!("{}: {e:#}", redact_userinfo(url));
                crate::queue::record_error(conn, repo_id, &msg).await?;
                failures.push(msg);
            }
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} repositor{} failed:\n  {}",
            failures.len(),
            if failures.len() == 1 { "y" } else { "ies" },
            failures.join("\n  ")
        );
    }
    Ok(())
}
