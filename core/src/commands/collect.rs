//! `aveloxis collect URL...`: collect repositories now, in this process, each under a queue
//! claim like a `serve` worker's (so it never runs beside a `serve` collecting the same
//! repository), with a heartbeat, ending the claim as a worker does.

use std::time::Duration;

use anyhow::{Result, bail};
use sqlx::PgConnection;

use crate::cli::CollectArgs;
use crate::collect::{Collector, Counts, Outcome};
use crate::config::{self, Config};
use crate::forge::{Target, parse_target, redact_userinfo};
use crate::job::{JobEnd, run_claimed};
use crate::queue::{self, Finish};

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
    for n in &c.notes {
        println!(
            "  note: {} answered {} ({}); collected as none",
            n.endpoint, n.status, n.reason
        );
    }
    for (entity, n) in &c.quarantined {
        println!("  warning: {n} {entity} items quarantined (aveloxis_ops.quarantine says why)");
    }
    let l = &c.looked_up;
    if l.emails > 0 || l.reserve_reached {
        println!(
            "  commit authors: {} e-mails looked up, {} linked to an account{}",
            l.emails,
            l.resolved,
            if l.reserve_reached {
                "; stopped at the API keys' reserve"
            } else {
                ""
            }
        );
    }
    let e = &c.enriched;
    if e.profiles + e.not_found > 0 || e.reserve_reached {
        println!(
            "  contributor profiles: {} fetched, {} no longer on the forge{}",
            e.profiles,
            e.not_found,
            if e.reserve_reached {
                "; stopped at the API keys' reserve"
            } else {
                ""
            }
        );
    }
}

/// Heartbeat period of a command-line collection (a `serve` scheduler recovers claims after
/// ten minutes without one).
const HEARTBEAT: Duration = Duration::from_secs(30);

pub(super) async fn run(conn: &mut PgConnection, cfg: &Config, args: &CollectArgs) -> Result<()> {
    let collector = Collector::one_shot(conn, cfg, args.augur_keys).await?;
    let worker = format!("{}:collect", crate::job::process_id());
    let mut failures = Vec::new();
    for url in &args.urls {
        let repo_id = repo_for(conn, cfg, url).await?;
        if let Err(msg) =
            collect_one(conn, cfg, &collector, &worker, url, repo_id, args.full).await?
        {
            failures.push(msg);
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

/// Claim, collect and finish one repository; `Ok(Err(message))` when it failed.
async fn collect_one(
    conn: &mut PgConnection,
    cfg: &Config,
    collector: &Collector,
    worker: &str,
    url: &str,
    repo_id: i64,
    full: bool,
) -> Result<std::result::Result<(), String>> {
    let shown = redact_userinfo(url);
    let job = match queue::claim_repo(conn, repo_id, worker).await? {
        Ok(job) => job,
        Err(holder) => {
            return Ok(Err(format!(
                "{shown}: being collected by {holder}; not collected now (try again later)"
            )));
        }
    };
    let started = std::time::Instant::now();
    let hb = Box::new(config::connect(&cfg.database, "aveloxis-collect-heartbeat").await?);
    let work = collector.collect(conn, repo_id, full || job.force_full, worker);
    let result = match run_claimed(hb, repo_id, worker, HEARTBEAT, work).await {
        JobEnd::Done(r) => r,
        JobEnd::ClaimLost => {
            queue::record_lost(conn, repo_id, worker).await?;
            return Ok(Err(format!(
                "{shown}: the claim was lost (recovered by a serve process?); cancelled"
            )));
        }
    };
    let elapsed = started.elapsed();
    let recollect = Duration::from_secs(cfg.collection.days_until_recollect as u64 * 86_400);
    let (how, outcome, err_text);
    match &result {
        Ok(Outcome::Collected(c)) => {
            print_collected(url, repo_id, elapsed.as_secs_f64(), c);
            let items = (c.get("issues") + c.get("pulls")) as i64;
            how = Finish::Success {
                recollect_after: recollect,
                items,
            };
            outcome = Ok(());
        }
        Ok(Outcome::Sidelined { status }) => {
            println!(
                "{shown}: gone ({status}); marked gone, kept its data, removed from the queue"
            );
            (how, outcome) = (Finish::Dequeued, Ok(()));
        }
        Ok(Outcome::Duplicate { of_repo_id }) => {
            println!(
                "{shown}: redirects to repository {of_repo_id}, already tracked; marked duplicate"
            );
            (how, outcome) = (Finish::Dequeued, Ok(()));
        }
        Err(e) => {
            err_text = format!("{shown}: {e:#}");
            how = Finish::Failure {
                retry_after: RETRY_AFTER,
                error: &err_text,
            };
            outcome = Err(err_text.clone());
        }
    }
    if !queue::finish(conn, repo_id, worker, how, elapsed).await? {
        return Ok(Err(format!(
            "{shown}: the claim was gone when the collection ended; recorded as lost"
        )));
    }
    if outcome.is_ok()
        && let Some(group) = crate::repos::group_of(conn, repo_id).await?
    {
        // Interactive: the group's aggregates are brought up to date now, not by a scheduler.
        crate::aggregates::refresh_group(conn, group).await?;
    }
    Ok(outcome)
}

/// When a failed repository is due again (as after a failed `serve` job).
const RETRY_AFTER: Duration = Duration::from_secs(3600);
