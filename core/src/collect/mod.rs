//! Collection of one repository: prelim check, fetch into staging, process into rows, facade.
//!
//! Architecture invariant: raw forge pages are staged (`aveloxis_ops.staging`, JSONB) before
//! anything is derived from them. Processing reads every unprocessed page of a repository in one
//! transaction and marks them processed in the same transaction, so a crash between fetch and
//! write loses nothing: the next run (or the daemon's startup drain) processes what is staged.

pub mod github;
pub mod gitlab;
pub mod specs;
pub mod upsert;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, Row};

use crate::config::Config;
use crate::forge::client::{ClientOptions, ForgeClient, WebStatus};
use crate::forge::keys::KeyPool;
use crate::forge::{Platform, RepoRef, Target, parse_target};

/// One staged page.
#[derive(Clone, Debug)]
pub struct Staged {
    pub staging_id: i64,
    pub entity: String,
    /// Context of the page (e.g. the PR number of `/pulls/{n}/reviews`).
    pub ctx: Value,
    /// The forge's JSON body.
    pub payload: Value,
}

/// Writes raw pages to `aveloxis_ops.staging` (each page commits on its own).
pub struct Stager<'a> {
    conn: &'a mut PgConnection,
    repo_id: i64,
    platform_id: i16,
    pub pages: u64,
}

impl<'a> Stager<'a> {
    pub fn new(conn: &'a mut PgConnection, repo_id: i64, platform: Platform) -> Stager<'a> {
        Stager {
            conn,
            repo_id,
            platform_id: platform.id(),
            pages: 0,
        }
    }

    pub async fn put(&mut self, entity: &str, ctx: Value, payload: Value) -> Result<()> {
        sqlx::query(
            "INSERT INTO aveloxis_ops.staging (repo_id, platform_id, entity_type, payload)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(self.repo_id)
        .bind(self.platform_id)
        .bind(entity)
        .bind(json!({"ctx": ctx, "items": payload}))
        .execute(&mut *self.conn)
        .await
        .with_context(|| format!("staging a {entity} page"))?;
        self.pages += 1;
        Ok(())
    }
}

/// Rows written per table (and children whose parent was missing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub contributors: u64,
    pub tables: BTreeMap<String, u64>,
    pub orphans: BTreeMap<String, u64>,
    pub staged_pages: u64,
    pub commits: u64,
}

impl Counts {
    pub fn add(&mut self, key: &str, w: upsert::Written) {
        *self.tables.entry(key.to_owned()).or_default() += w.rows;
        if w.orphans > 0 {
            *self.orphans.entry(key.to_owned()).or_default() += w.orphans;
        }
    }
    pub fn get(&self, key: &str) -> u64 {
        self.tables.get(key).copied().unwrap_or(0)
    }
}

/// What happened to a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Collected(Counts),
    /// 404/410 on the web URL: marked gone (reversible), dequeued, data kept.
    Sidelined {
        status: u16,
    },
    /// 301 to a URL another repository already has: marked duplicate, dequeued.
    Duplicate {
        of_repo_id: i64,
    },
}

/// Holds one forge client per platform.
pub struct Collector {
    pub cfg: Config,
    github: Option<Arc<ForgeClient>>,
    gitlab: Option<Arc<ForgeClient>>,
}

impl Collector {
    /// Load the key pools (`--augur-keys` also reads Augur's keys, read-only).
    pub async fn new(
        conn: &mut PgConnection,
        cfg: Config,
        augur_keys: bool,
        opts: ClientOptions,
    ) -> Result<Self> {
        let mut clients = BTreeMap::new();
        for p in [Platform::GitHub, Platform::GitLab] {
            let pool = KeyPool::load(conn, p, augur_keys).await?;
            let client = ForgeClient::new(p, pool, opts.clone())?;
            clients.insert(p.name(), Arc::new(client));
        }
        Ok(Collector {
            cfg,
            github: clients.remove("github"),
            gitlab: clients.remove("gitlab"),
        })
    }

    pub fn client(&self, p: Platform) -> Result<&Arc<ForgeClient>> {
        let c = match p {
            Platform::GitHub => &self.github,
            Platform::GitLab => &self.gitlab,
        };
        c.as_ref()
            .with_context(|| format!("no {} client", p.name()))
    }

    fn api(&self, p: Platform) -> &str {
        match p {
            Platform::GitHub => &self.cfg.github.api_url,
            Platform::GitLab => &self.cfg.gitlab.api_url,
        }
    }

    /// Collect one repository (`full`: ignore the incremental window).
    pub async fn collect(
        &self,
        conn: &mut PgConnection,
        repo_id: i64,
        full: bool,
    ) -> Result<Outcome> {
        let row = sqlx::query(
            "SELECT r.repo_git, r.platform_id, coalesce(q.last_collected, s.core_data_last_collected),
                coalesce(q.force_full_collect, false)
               FROM aveloxis_data.repos r
               LEFT JOIN aveloxis_ops.collection_queue q ON q.repo_id = r.repo_id
               LEFT JOIN aveloxis_ops.collection_status s ON s.repo_id = r.repo_id
              WHERE r.repo_id = $1",
        )
        .bind(repo_id)
        .fetch_optional(&mut *conn)
        .await?
        .with_context(|| format!("repository {repo_id} does not exist"))?;
        let url: String = row.get(0);
        let platform = Platform::from_id(row.get(1)).with_context(|| {
            format!(
                "repository {repo_id}: platform {} is not collectable",
                row.get::<i16, _>(1)
            )
        })?;
        let last: Option<DateTime<Utc>> = row.get(2);
        let force_full: bool = row.get(3);
        let client = self.client(platform)?;

        // Prelim: is the repository still where we think it is?
        let mut repo = match parse_target(&url, &self.cfg)? {
            Target::Repo(r) => r,
            Target::Owner { .. } => bail!("repository {repo_id}: {url} is not a repository URL"),
        };
        match client.check_web(&url).await? {
            WebStatus::Ok => {}
            WebStatus::NotFound => return sideline(conn, repo_id, 404).await,
            WebStatus::Gone => return sideline(conn, repo_id, 410).await,
            WebStatus::Moved(to) => {
                let Target::Repo(new) = parse_target(&to, &self.cfg)? else {
                    bail!("{url} moved to {to}, which is not a repository URL");
                };
                let new_url = new.web_url(&self.cfg);
                if let Some(other) = find_repo(conn, &new_url).await?
                    && other != repo_id
                {
                    mark_duplicate(conn, repo_id, other, &url).await?;
                    return Ok(Outcome::Duplicate { of_repo_id: other });
                }
                rename(conn, repo_id, &url, &new, &new_url).await?;
                tracing::info!(from = %url, to = %new_url, "repository renamed");
                repo = new;
            }
        }

        let since = if full || force_full || self.cfg.collection.force_full_collection {
            None
        } else {
            last.map(|t| t - ChronoDuration::days(self.cfg.collection.days_until_recollect as i64))
        };
        let mut stager = Stager::new(&mut *conn, repo_id, platform);
        match platform {
            Platform::GitHub => {
                github::fetch(
                    client,
                    self.api(platform),
                    &repo.owner,
                    &repo.name,
                    since,
                    &mut stager,
                )
                .await?
            }
            Platform::GitLab => {
                gitlab::fetch(
                    client,
                    self.api(platform),
                    &repo.owner,
                    &repo.name,
                    since,
                    &mut stager,
                )
                .await?
            }
        }
        let pages = stager.pages;
        let mut counts = process_staged(conn, repo_id).await?;
        counts.staged_pages = pages;

        let clone_url = format!("{}.git", repo.web_url(&self.cfg));
        let bare =
            crate::facade::sync_repo(&self.cfg.collection.repo_clone_dir, repo_id, &clone_url)
                .await?;
        let f = crate::facade::collect_commits(conn, repo_id, &bare).await?;
        counts.commits = f.commits;
        crate::aggregates::refresh_repo(conn, repo_id).await?;
        record_success(conn, repo_id, &counts).await?;
        Ok(Outcome::Collected(counts))
    }
}

/// Write mapped rows (keyed as in [`specs::Entity::key`]) in dependency order. A key without a
/// write rule is an error: rows are never dropped silently.
pub(crate) async fn write_rows(
    conn: &mut PgConnection,
    mut rows: std::collections::HashMap<&'static str, Vec<Value>>,
    counts: &mut Counts,
) -> Result<()> {
    for &entity in specs::all() {
        let batch = rows.remove(entity.key()).unwrap_or_default();
        if !batch.is_empty() {
            counts.add(entity.key(), upsert::upsert(conn, entity, &batch).await?);
        }
    }
    if let Some(key) = rows.keys().next() {
        bail!("mapped rows of kind {key:?} have no write rule");
    }
    Ok(())
}

/// Process every unprocessed staged page of `repo_id` in one transaction.
pub async fn process_staged(conn: &mut PgConnection, repo_id: i64) -> Result<Counts> {
    let mut tx = conn.begin().await?;
    let rows = sqlx::query(
        "SELECT staging_id, platform_id, entity_type, payload FROM aveloxis_ops.staging
          WHERE repo_id = $1 AND NOT processed ORDER BY staging_id FOR UPDATE",
    )
    .bind(repo_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut counts = Counts::default();
    if rows.is_empty() {
        tx.commit().await?;
        return Ok(counts);
    }
    let platform: i16 = rows[0].get(1);
    let staged: Vec<Staged> = rows
        .iter()
        .map(|r| {
            let mut v: Value = r.get(3);
            Staged {
                staging_id: r.get(0),
                entity: r.get(2),
                ctx: v["ctx"].take(),
                payload: v["items"].take(),
            }
        })
        .collect();
    match Platform::from_id(platform) {
        Some(Platform::GitHub) => github::process(&mut tx, repo_id, &staged, &mut counts).await?,
        Some(Platform::GitLab) => gitlab::process(&mut tx, repo_id, &staged, &mut counts).await?,
        _ => bail!("staged pages of platform {platform} cannot be processed by this version"),
    }
    let ids: Vec<i64> = staged.iter().map(|s| s.staging_id).collect();
    sqlx::query(
        "UPDATE aveloxis_ops.staging SET processed = true, processed_at = now() WHERE staging_id = ANY($1)",
    )
    .bind(&ids)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(counts)
}

async fn sideline(conn: &mut PgConnection, repo_id: i64, status: u16) -> Result<Outcome> {
    let mut tx = conn.begin().await?;
    sqlx::query(
        "UPDATE aveloxis_data.repos SET repo_gone_at = coalesce(repo_gone_at, now()), repo_gone_checked_at = now()
          WHERE repo_id = $1",
    )
    .bind(repo_id)
    .execute(&mut *tx)
    .await?;
    set_status(
        &mut tx,
        repo_id,
        if status == 410 {
            "Gone (410)"
        } else {
            "Gone (404)"
        },
    )
    .await?;
    sqlx::query("DELETE FROM aveloxis_ops.collection_queue WHERE repo_id = $1")
        .bind(repo_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::warn!(
        repo_id,
        status,
        "repository is gone; sidelined (data kept, dequeued)"
    );
    Ok(Outcome::Sidelined { status })
}

async fn set_status(conn: &mut PgConnection, repo_id: i64, status: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.collection_status (repo_id, core_status) VALUES ($1, $2)
         ON CONFLICT (repo_id) DO UPDATE SET core_status = EXCLUDED.core_status, updated_at = now()",
    )
    .bind(repo_id)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}

async fn mark_duplicate(
    conn: &mut PgConnection,
    repo_id: i64,
    of: i64,
    old_url: &str,
) -> Result<()> {
    let mut tx = conn.begin().await?;
    sqlx::query(
        "UPDATE aveloxis_data.repos SET repo_gone_at = coalesce(repo_gone_at, now()), repo_gone_checked_at = now()
          WHERE repo_id = $1",
    )
    .bind(repo_id)
    .execute(&mut *tx)
    .await?;
    record_old_url(&mut tx, of, old_url).await?;
    set_status(&mut tx, repo_id, &format!("Duplicate of repo {of}")).await?;
    sqlx::query("DELETE FROM aveloxis_ops.collection_queue WHERE repo_id = $1")
        .bind(repo_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::warn!(
        repo_id,
        of,
        "repository redirects to one already tracked; marked duplicate and dequeued"
    );
    Ok(())
}

async fn rename(
    conn: &mut PgConnection,
    repo_id: i64,
    old_url: &str,
    new: &RepoRef,
    new_url: &str,
) -> Result<()> {
    let mut tx = conn.begin().await?;
    record_old_url(&mut tx, repo_id, old_url).await?;
    sqlx::query("UPDATE aveloxis_data.repos SET repo_git = $2, repo_owner = $3, repo_name = $4 WHERE repo_id = $1")
        .bind(repo_id)
        .bind(new_url)
        .bind(&new.owner)
        .bind(&new.name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Move the current `repo_info` snapshot of `repo_id` into `repo_info_history` (before a new
/// snapshot replaces it).
pub(crate) async fn rotate_repo_info(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_data.repo_info_history
             (repo_info_id, repo_id, last_updated, issues_enabled, open_issues, pull_requests_enabled,
              wiki_enabled, pages_enabled, fork_count, default_branch, watcher_count, star_count,
              committer_count, commit_count, issues_count, issues_closed, issues_open, pr_count,
              prs_open, prs_closed, prs_merged, issue_contributors_count, license, changelog_file,
              contributing_file, license_file, code_of_conduct_file, security_issue_file,
              security_audit_file, status, keywords, archived,
              tool_source, tool_version, data_source, data_collection_date)
         SELECT repo_info_id, repo_id, last_updated, issues_enabled, open_issues, pull_requests_enabled,
              wiki_enabled, pages_enabled, fork_count, default_branch, watcher_count, star_count,
              committer_count, commit_count, issues_count, issues_closed, issues_open, pr_count,
              prs_open, prs_closed, prs_merged, issue_contributors_count, license, changelog_file,
              contributing_file, license_file, code_of_conduct_file, security_issue_file,
              security_audit_file, status, keywords, archived,
              tool_source, tool_version, data_source, data_collection_date
           FROM aveloxis_data.repo_info WHERE repo_id = $1",
    )
    .bind(repo_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Remember a URL the repository was known by.
async fn record_old_url(conn: &mut PgConnection, repo_id: i64, url: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_data.historical_repo_urls (repo_id, git_url, tool_source, tool_version, data_source)
         VALUES ($1, $2, 'aveloxis', $3, 'prelim redirect') ON CONFLICT DO NOTHING",
    )
    .bind(repo_id)
    .bind(url)
    .bind(crate::TOOL_VERSION)
    .execute(conn)
    .await?;
    Ok(())
}

/// The repository with this URL (case-insensitive for forge URLs).
pub async fn find_repo(conn: &mut PgConnection, url: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT repo_id FROM aveloxis_data.repos WHERE lower(repo_git) = lower($1)",
    )
    .bind(url)
    .fetch_optional(conn)
    .await?)
}

/// Insert (or find) a repository row; clears a gone marker when the operator adds it again.
pub async fn upsert_repo(
    conn: &mut PgConnection,
    cfg: &Config,
    r: &RepoRef,
    group: Option<i64>,
) -> Result<i64> {
    let url = r.web_url(cfg);
    if let Some(id) = find_repo(conn, &url).await? {
        sqlx::query("UPDATE aveloxis_data.repos SET repo_gone_at = NULL, repo_group_id = coalesce($2, repo_group_id) WHERE repo_id = $1")
            .bind(id)
            .bind(group)
            .execute(&mut *conn)
            .await?;
        return Ok(id);
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repos (platform_id, repo_git, repo_owner, repo_name, repo_group_id, tool_version, data_source)
         VALUES ($1, $2, $3, $4, $5, $6, 'aveloxis add-repo') RETURNING repo_id",
    )
    .bind(r.platform.id())
    .bind(&url)
    .bind(&r.owner)
    .bind(&r.name)
    .bind(group)
    .bind(crate::TOOL_VERSION)
    .fetch_one(conn)
    .await?)
}

/// Queue a repository (or change its priority); `priority` 0 is "next".
pub async fn enqueue(conn: &mut PgConnection, repo_id: i64, priority: i32) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.collection_queue (repo_id, priority, status, due_at)
         VALUES ($1, $2, 'queued', now())
         ON CONFLICT (repo_id) DO UPDATE SET priority = EXCLUDED.priority, updated_at = now()",
    )
    .bind(repo_id)
    .bind(priority)
    .execute(conn)
    .await?;
    Ok(())
}

async fn record_success(conn: &mut PgConnection, repo_id: i64, c: &Counts) -> Result<()> {
    let msgs = c.get("messages");
    let events = c.get("issue_events") + c.get("pr_events");
    sqlx::query(
        "UPDATE aveloxis_ops.collection_queue SET last_collected = now(), last_error = NULL,
                force_full_collect = false, last_issues = $2, last_prs = $3, last_messages = $4,
                last_events = $5, last_releases = $6, last_contributors = $7, last_commits = $8,
                updated_at = now()
          WHERE repo_id = $1",
    )
    .bind(repo_id)
    .bind(c.get("issues") as i64)
    .bind(c.get("pulls") as i64)
    .bind(msgs as i64)
    .bind(events as i64)
    .bind(c.get("releases") as i64)
    .bind(c.contributors as i64)
    .bind(c.commits as i64)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO aveloxis_ops.collection_status (repo_id, core_status, core_data_last_collected,
                                                     issue_pr_sum, commit_sum)
         VALUES ($1, 'Success', now(), $2, $3)
         ON CONFLICT (repo_id) DO UPDATE SET core_status = 'Success', core_data_last_collected = now(),
             issue_pr_sum = EXCLUDED.issue_pr_sum, commit_sum = EXCLUDED.commit_sum, updated_at = now()",
    )
    .bind(repo_id)
    .bind((c.get("issues") + c.get("pulls")) as i64)
    .bind(c.commits as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
