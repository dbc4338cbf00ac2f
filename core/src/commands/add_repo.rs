//! `aveloxis add-repo`: queue repositories by URL, every repository of an owner (organisation,
//! group) by its URL, or every repository of an Augur database with `--from-augur`.

use anyhow::{Result, bail};
use aveloxis_migrations::compat;
use sqlx::PgConnection;

use crate::cli::AddRepoArgs;
use crate::collect::{self, Collector};
use crate::config::Config;
use crate::forge::client::ForgeError;
use crate::forge::locate::{Location, locate};
use crate::forge::{Platform, RepoRef, Target, parse_target, redact_userinfo};
use crate::repos::Group;
use crate::{queue, repos};

pub(super) async fn run(conn: &mut PgConnection, cfg: &Config, args: &AddRepoArgs) -> Result<()> {
    if args.urls.is_empty() && !args.from_augur {
        bail!("name at least one repository URL, or use --from-augur");
    }
    // Parse everything first: one bad URL adds nothing.
    let targets = args
        .urls
        .iter()
        .map(|u| parse_target(u, cfg))
        .collect::<Result<Vec<_>>>()?;
    let collector = Collector::one_shot(conn, cfg, args.augur_keys).await?;
    // The operator's group, when named, holds everything this command adds.
    let named = match &args.group {
        Some(name) => Some(repos::upsert_group(conn, Group::Named(name.trim())).await?),
        None => None,
    };
    let mut added = 0;
    for t in targets {
        match t {
            Target::Repo(r) => {
                let id = repos::upsert_repo(conn, cfg, &r, named).await?;
                queue::enqueue(conn, id, args.priority).await?;
                println!(
                    "queued {} (repo {id}, priority {})",
                    r.web_url(cfg),
                    args.priority
                );
                added += 1;
            }
            Target::Owner { platform, owner } => {
                let to = (platform, owner.as_str(), named);
                added += add_owner(conn, cfg, &collector, to, args.priority).await?;
            }
        }
    }
    if args.from_augur {
        added += import_augur_repos(conn, cfg, &collector, named, args.priority).await?;
    }
    println!(
        "{added} repositor{} queued",
        if added == 1 { "y" } else { "ies" }
    );
    Ok(())
}

/// Every repository of an owner, in the owner's repository group (or the operator's).
async fn add_owner(
    conn: &mut PgConnection,
    cfg: &Config,
    collector: &Collector,
    (platform, owner, named): (Platform, &str, Option<i64>),
    priority: i32,
) -> Result<usize> {
    let client = collector.client(platform)?;
    let urls = match platform {
        Platform::GitHub => {
            collect::github::owner_repos(client, &cfg.github.api_url, owner).await?
        }
        Platform::GitLab => {
            collect::gitlab::owner_repos(client, &cfg.gitlab.api_url, owner).await?
        }
    };
    let group = match named {
        Some(g) => g,
        None => repos::upsert_group(conn, Group::Owner(platform, owner)).await?,
    };
    let mut added = 0;
    for u in &urls {
        let Target::Repo(r) = parse_target(u, cfg)? else {
            continue;
        };
        let id = repos::upsert_repo(conn, cfg, &r, Some(group)).await?;
        queue::enqueue(conn, id, priority).await?;
        added += 1;
    }
    println!("queued {} repositories of {owner}", urls.len());
    Ok(added)
}

/// The schema of Augur's repository table (`augur_data.repo`) or CollectOSS's (`data.repo`,
/// after its schema rename), found by probing. A `data` schema aveloxis built itself (the
/// CollectOSS-named views of our own data, `database.collectoss_schema`) is not an import source.
async fn augur_schema(conn: &mut PgConnection) -> Result<&'static str> {
    for schema in ["augur_data", compat::COMPAT_SCHEMA] {
        let found: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(format!("{schema}.repo"))
            .fetch_one(&mut *conn)
            .await?;
        let ours = found
            && schema == compat::COMPAT_SCHEMA
            && compat::presence(conn).await? == compat::Presence::Ours;
        if found && !ours {
            return Ok(schema);
        }
    }
    bail!(
        "--from-augur: this database has neither augur_data.repo (Augur) nor data.repo \
         (CollectOSS; a data schema aveloxis built does not count)"
    );
}

/// Where a repository lives now (asked of the API with a key): itself, its new name, or
/// nowhere. Without a usable key nothing can be checked, and the import stops.
async fn canonical(
    collector: &Collector,
    cfg: &Config,
    r: RepoRef,
    url: &str,
) -> Result<Option<RepoRef>> {
    let client = collector.client(r.platform)?;
    Ok(match locate(client, cfg, &r).await {
        Ok(Location::Here) => Some(r),
        Ok(Location::Moved(n)) => Some(n),
        Ok(Location::NotFound | Location::Gone) => None,
        Err(e) if matches!(e.downcast_ref(), Some(ForgeError::NoKeys { .. })) => return Err(e),
        Err(e) => {
            tracing::warn!(url = %url, error = %e, "could not check; skipped");
            None
        }
    })
}

fn progress_bar(total: usize) -> indicatif::ProgressBar {
    // A bar on a terminal; hidden otherwise (the INFO lines carry the progress then).
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} repositories checked ({eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// `add-repo --from-augur`: every URL of `augur_data.repo` (or CollectOSS's `data.repo`),
/// checked through the API: found added (under its current name when renamed) in its Augur
/// group's namesake (unless the operator named one), 404/410 skipped.
async fn import_augur_repos(
    conn: &mut PgConnection,
    cfg: &Config,
    collector: &Collector,
    named: Option<i64>,
    priority: i32,
) -> Result<usize> {
    let schema = augur_schema(conn).await?;
    let table = format!("{schema}.repo");
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.repo_git, nullif(btrim(g.rg_name), '')
           FROM {schema}.repo r LEFT JOIN {schema}.repo_groups g USING (repo_group_id)
          WHERE r.repo_git IS NOT NULL ORDER BY r.repo_id"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let total = rows.len();
    tracing::info!(total, table = %table, "importing repositories from Augur");
    let bar = progress_bar(total);
    let mut added = std::collections::BTreeSet::new();
    let (mut skipped, mut invalid) = (0usize, 0usize);
    for (i, (raw, augur_group)) in rows.iter().enumerate() {
        bar.inc(1);
        let url = raw
            .trim()
            .trim_end_matches('/')
            .trim_end_matches(".git")
            .to_owned();
        let Ok(Target::Repo(r)) = parse_target(&url, cfg) else {
            invalid += 1;
            tracing::warn!(url = %redact_userinfo(raw), "not a repository URL of a configured forge; skipped");
            continue;
        };
        match canonical(collector, cfg, r, &url).await? {
            Some(r) => {
                let group = match (named, augur_group) {
                    (Some(g), _) => Some(g),
                    (None, Some(name)) => {
                        Some(repos::upsert_group(conn, Group::Named(name)).await?)
                    }
                    (None, None) => None,
                };
                let id = repos::upsert_repo(conn, cfg, &r, group).await?;
                queue::enqueue(conn, id, priority).await?;
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
