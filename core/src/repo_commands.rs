//! The collection commands: `collect`, `add-repo`, `add-key`, `prioritize`, `recollect`.
//! None of them migrates; each checks the schema version first (see `commands::open_checked`).

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use sqlx::PgConnection;

use crate::cli::{AddKeyArgs, AddRepoArgs, CollectArgs};
use crate::collect::{self, Collector, Outcome};
use crate::config::Config;
use crate::forge::client::{ClientOptions, WebStatus};
use crate::forge::{Platform, RepoRef, Target, parse_target, redact_userinfo};

async fn repo_for(conn: &mut PgConnection, cfg: &Config, url: &str) -> Result<i64> {
    match parse_target(url, cfg)? {
        Target::Repo(r) => collect::upsert_repo(conn, cfg, &r, None).await,
        Target::Owner { .. } => bail!("{}: name a repository, not an owner", redact_userinfo(url)),
    }
}

pub async fn collect(conn: &mut PgConnection, cfg: &Config, args: &CollectArgs) -> Result<()> {
    let collector =
        Collector::new(conn, cfg.clone(), args.augur_keys, ClientOptions::default()).await?;
    let mut failures = Vec::new();
    for url in &args.urls {
        let repo_id = repo_for(conn, cfg, url).await?;
        let started = std::time::Instant::now();
        match collector.collect(conn, repo_id, args.full).await {
            Ok(Outcome::Collected(c)) => {
                println!(
                    "collected {} (repo {repo_id}) in {:.1}s: {} issues, {} pull requests, {} messages, {} events, {} releases, {} contributors, {} commits",
                    redact_userinfo(url),
                    started.elapsed().as_secs_f64(),
                    c.get("issues"),
                    c.get("pulls"),
                    c.get("messages"),
                    c.get("issue_events") + c.get("pr_events"),
                    c.get("releases"),
                    c.contributors,
                    c.commits
                );
                for (table, n) in &c.orphans {
                    println!(
                        "  warning: {n} {table} rows skipped: their parent is not in the database"
                    );
                }
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
                sqlx::query(
                    "UPDATE aveloxis_ops.collection_queue SET last_error = $2 WHERE repo_id = $1",
                )
                .bind(repo_id)
                .bind(&msg)
                .execute(&mut *conn)
                .await?;
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

async fn group_for(conn: &mut PgConnection, platform: Platform, owner: &str) -> Result<i64> {
    let kind = match platform {
        Platform::GitHub => "github_org",
        Platform::GitLab => "gitlab_group",
    };
    Ok(sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type, tool_version, data_source)
         VALUES ($1, $2, $3, 'aveloxis add-repo')
         ON CONFLICT (rg_type, rg_name) DO UPDATE SET rg_last_modified = now()
         RETURNING repo_group_id",
    )
    .bind(owner)
    .bind(kind)
    .bind(crate::TOOL_VERSION)
    .fetch_one(conn)
    .await?)
}

pub async fn add_repo(conn: &mut PgConnection, cfg: &Config, args: &AddRepoArgs) -> Result<()> {
    if args.urls.is_empty() && !args.from_augur {
        bail!("name at least one repository URL, or use --from-augur");
    }
    // Parse everything first: one bad URL adds nothing.
    let targets = args
        .urls
        .iter()
        .map(|u| parse_target(u, cfg))
        .collect::<Result<Vec<_>>>()?;
    let collector =
        Collector::new(conn, cfg.clone(), args.augur_keys, ClientOptions::default()).await?;
    let mut added = 0;
    for t in targets {
        match t {
            Target::Repo(r) => {
                let id = collect::upsert_repo(conn, cfg, &r, None).await?;
                collect::enqueue(conn, id, args.priority).await?;
                println!(
                    "queued {} (repo {id}, priority {})",
                    r.web_url(cfg),
                    args.priority
                );
                added += 1;
            }
            Target::Owner { platform, owner } => {
                let client = collector.client(platform)?;
                let urls = match platform {
                    Platform::GitHub => {
                        collect::github::owner_repos(client, &cfg.github.api_url, &owner).await?
                    }
                    Platform::GitLab => {
                        collect::gitlab::owner_repos(client, &cfg.gitlab.api_url, &owner).await?
                    }
                };
                let group = group_for(conn, platform, &owner).await?;
                for u in &urls {
                    let Target::Repo(r) = parse_target(u, cfg)? else {
                        continue;
                    };
                    let id = collect::upsert_repo(conn, cfg, &r, Some(group)).await?;
                    collect::enqueue(conn, id, args.priority).await?;
                    added += 1;
                }
                println!("queued {} repositories of {owner}", urls.len());
            }
        }
    }
    if args.from_augur {
        added += import_augur_repos(conn, cfg, &collector, args.priority).await?;
    }
    println!(
        "{added} repositor{} queued",
        if added == 1 { "y" } else { "ies" }
    );
    Ok(())
}

/// `add-repo --from-augur`: every URL of `augur_data.repo` (or CollectOSS's `data.repo`),
/// checked with HEAD: 200 added, 301/302 added under the canonical URL, 404/410 skipped.
async fn import_augur_repos(
    conn: &mut PgConnection,
    cfg: &Config,
    collector: &Collector,
    priority: i32,
) -> Result<usize> {
    let table =
        if sqlx::query_scalar::<_, bool>("SELECT to_regclass('augur_data.repo') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?
        {
            "augur_data.repo"
        } else if sqlx::query_scalar::<_, bool>("SELECT to_regclass('data.repo') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?
        {
            "data.repo"
        } else {
            bail!("--from-augur: this database has neither augur_data.repo nor data.repo");
        };
    let urls: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT repo_git FROM {table} WHERE repo_git IS NOT NULL ORDER BY repo_id"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let total = urls.len();
    tracing::info!(total, table, "importing repositories from Augur");
    // A bar on a terminal; hidden otherwise (the INFO lines below carry the progress then).
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} repositories checked ({eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut added = std::collections::BTreeSet::new();
    let (mut skipped, mut invalid) = (0usize, 0usize);
    for (i, raw) in urls.iter().enumerate() {
        bar.inc(1);
        let url = raw
            .trim()
            .trim_end_matches('/')
            .trim_end_matches(".git")
            .to_owned();
        let r: RepoRef = match parse_target(&url, cfg) {
            Ok(Target::Repo(r)) => r,
            _ => {
                invalid += 1;
                tracing::warn!(url = %redact_userinfo(raw), "not a repository URL of a configured forge; skipped");
                continue;
            }
        };
        let client = collector.client(r.platform)?;
        let canonical = match client.check_web(&r.web_url(cfg)).await {
            Ok(WebStatus::Ok) => Some(r),
            Ok(WebStatus::Moved(to)) => match parse_target(&to, cfg) {
                Ok(Target::Repo(n)) => Some(n),
                _ => None,
            },
            Ok(WebStatus::NotFound | WebStatus::Gone) => None,
            Err(e) => {
                tracing::warn!(url = %url, error = %e, "could not check; skipped");
                None
            }
        };
        match canonical {
            Some(r) => {
                let id = collect::upsert_repo(conn, cfg, &r, None).await?;
                collect::enqueue(conn, id, priority).await?;
                added.insert(id);
            }
            None => skipped += 1,
        }
        if (i + 1) % 100 == 0 || i + 1 == total {
            tracing::info!(
                done = i + 1,
                total,
                added = added.len(),
                skipped,
                "import progress"
            );
        }
    }
    bar.finish_and_clear();
    println!(
        "from Augur ({table}): {} added, {skipped} gone or unreachable, {invalid} not repository URLs",
        added.len()
    );
    Ok(added.len())
}

pub async fn add_key(conn: &mut PgConnection, args: &AddKeyArgs) -> Result<()> {
    if args.from_augur {
        let exists: bool =
            sqlx::query_scalar("SELECT to_regclass('augur_operations.worker_oauth') IS NOT NULL")
                .fetch_one(&mut *conn)
                .await?;
        if !exists {
            bail!("--from-augur: this database has no augur_operations.worker_oauth");
        }
        let n = sqlx::query(
            "INSERT INTO aveloxis_ops.worker_oauth (name, access_token, platform)
             SELECT coalesce(name, ''), access_token, coalesce(platform, 'github')
               FROM augur_operations.worker_oauth WHERE coalesce(access_token, '') <> ''
             ON CONFLICT (access_token, platform) DO NOTHING",
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
        println!("copied {n} key(s) from Augur (duplicates skipped)");
        return Ok(());
    }
    let platform = Platform::parse(&args.platform)?;
    let token = match args.token.as_deref() {
        Some(t) if t != "-" => t.trim().to_owned(),
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the token from stdin")?;
            line.trim().to_owned()
        }
    };
    if let Some(problem) = crate::config::token_problem(&token) {
        bail!("{problem}");
    }
    let n = sqlx::query(
        "INSERT INTO aveloxis_ops.worker_oauth (name, access_token, platform) VALUES ($1, $2, $3)
         ON CONFLICT (access_token, platform) DO NOTHING",
    )
    .bind(&args.name)
    .bind(&token)
    .bind(platform.key_name())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        println!("that {} key is already present", platform.name());
    } else {
        println!("added a {} key", platform.name());
    }
    Ok(())
}

async fn resolve(conn: &mut PgConnection, cfg: &Config, target: &str) -> Result<i64> {
    if let Ok(id) = target.parse::<i64>() {
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM aveloxis_data.repos WHERE repo_id = $1)",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        if !exists {
            bail!("no repository with id {id}");
        }
        return Ok(id);
    }
    let Target::Repo(r) = parse_target(target, cfg)? else {
        bail!("{}: name a repository", redact_userinfo(target));
    };
    collect::find_repo(conn, &r.web_url(cfg))
        .await?
        .with_context(|| {
            format!(
                "{} is not tracked (add it with `aveloxis add-repo`)",
                r.web_url(cfg)
            )
        })
}

/// Priority 0, due now, unlocked: the next worker takes it.
pub async fn prioritize_repo(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.collection_queue (repo_id, priority, status, due_at)
         VALUES ($1, 0, 'queued', now())
         ON CONFLICT (repo_id) DO UPDATE SET priority = 0, due_at = now(),
             status = CASE WHEN collection_queue.status = 'collecting' THEN 'collecting' ELSE 'queued' END,
             updated_at = now()",
    )
    .bind(repo_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn prioritize(conn: &mut PgConnection, cfg: &Config, target: &str) -> Result<()> {
    let id = resolve(conn, cfg, target).await?;
    prioritize_repo(conn, id).await?;
    println!("repository {id} is next in the queue");
    Ok(())
}

pub async fn recollect(conn: &mut PgConnection, cfg: &Config, urls: &[String]) -> Result<()> {
    for u in urls {
        let id = resolve(conn, cfg, u).await?;
        sqlx::query(
            "INSERT INTO aveloxis_ops.collection_queue (repo_id, force_full_collect) VALUES ($1, true)
             ON CONFLICT (repo_id) DO UPDATE SET force_full_collect = true, updated_at = now()",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        println!("repository {id}: next collection is full");
    }
    Ok(())
}
