//! Collection of one repository: prelim check, fetch into staging, process into rows, git.
//!
//! Architecture invariant — nothing is lost between fetch and write: raw forge pages are staged
//! (`aveloxis_ops.staging`, JSONB) before anything is derived from them. Processing reads every
//! unprocessed page of a repository, oldest first, in one transaction, and in that transaction
//! writes their rows, quarantines what cannot be written (`crate::quarantine`: a bad value holds
//! its item, not the run — see `mapped`) and marks every page processed. So a page leaves the
//! unprocessed set only with its rows written or its items quarantined; a crash or a failure
//! keeps it for the next run (or the daemon's startup drain). A run processes the pages earlier
//! runs left before it fetches anything, so a repository whose processing keeps failing does not
//! stage a new set of pages on every retry; pages are never expired unprocessed. Of two pages
//! carrying one item, the later staged wins. Processed pages are purged after a week.
//!
//! `staging` owns the staging table, `prelim` the check before a run, `github/` and `gitlab/`
//! what to fetch (`fetch`) and how staged pages become rows (`map`), `mapped` the rows with
//! their origins and what the mappers refused, `optional` the endpoints a repository may not
//! have (zero items and a note, never a failed run), `specs`/`upsert` how rows are written,
//! `derived` the columns computed from other collected rows (GitHub closers from events),
//! `lookup` the commit e-mails resolved through one of their commits on the forge and `enrich`
//! the contributor profiles, both after the core phases and within a key reserve.
//! Repository, queue and quarantine rows change only through `crate::repos`, `crate::queue` and
//! `crate::quarantine`.

mod derived;
pub mod enrich;
pub mod github;
pub mod gitlab;
mod listing;
pub mod lookup;
mod mapped;
pub mod optional;
mod prelim;
pub mod specs;
mod staging;
pub mod upsert;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use sqlx::postgres::PgRow;
use sqlx::{Connection, PgConnection};

pub(crate) use self::listing::Listing;
pub(crate) use self::listing::purge_stale_cursors;
pub use self::mapped::{Mapped, Origin, items};
pub(crate) use self::mapped::{write_entity, write_object, write_rows};
pub use self::staging::{Budget, Staged, Stager};
pub(crate) use self::staging::{purge_processed_staging, unclaimed_staged_repos};
use crate::config::Config;
use crate::forge::client::{ClientOptions, ForgeClient};
use crate::forge::keys::KeyPool;
use crate::forge::{Platform, RepoRef};
use crate::git_commits::{DEFAULT_GIT_TIMEOUT, GitAuth, sync_repo_with};
use crate::queue;

/// Rows written per table (and children whose parent was missing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub contributors: u64,
    pub tables: BTreeMap<String, u64>,
    pub orphans: BTreeMap<String, u64>,
    pub staged_pages: u64,
    pub commits: u64,
    /// Optional endpoints that had nothing for this repository (also in `endpoint_notes`).
    pub notes: Vec<optional::Note>,
    /// Items (or pages) quarantined, by staged entity.
    pub quarantined: BTreeMap<String, u64>,
    /// Contributor profiles fetched after the core phases (see `enrich`).
    pub enriched: enrich::Enriched,
    /// Unresolved commit e-mails looked up through their commits (see `lookup`).
    pub looked_up: lookup::LookedUp,
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
    /// One more item of `entity` quarantined.
    pub fn quarantine(&mut self, entity: &str) {
        *self.quarantined.entry(entity.to_owned()).or_default() += 1;
    }
    /// Add the counts of another processing of the same run.
    pub fn merge(&mut self, other: Counts) {
        self.contributors += other.contributors;
        self.staged_pages += other.staged_pages;
        self.commits += other.commits;
        for (into, from) in [
            (&mut self.tables, other.tables),
            (&mut self.orphans, other.orphans),
            (&mut self.quarantined, other.quarantined),
        ] {
            for (k, n) in from {
                *into.entry(k).or_default() += n;
            }
        }
    }
}

/// What happened to a repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Collected(Counts),
    /// 404/410 from the API: marked gone (reversible), dequeued, data kept.
    Sidelined {
        status: u16,
    },
    /// Renamed to a URL another repository already has: marked duplicate, dequeued.
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
    /// The collector of a one-shot command (`collect`, `add-repo`): no ETag cache
    /// ([`ClientOptions::one_shot`]).
    pub async fn one_shot(conn: &mut PgConnection, cfg: &Config, augur_keys: bool) -> Result<Self> {
        Self::new(conn, cfg.clone(), augur_keys, ClientOptions::one_shot()).await
    }

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

    /// What one processing transaction holds at most.
    pub fn budget(&self) -> staging::Budget {
        budget(&self.cfg)
    }

    fn api(&self, p: Platform) -> &str {
        match p {
            Platform::GitHub => &self.cfg.github.api_url,
            Platform::GitLab => &self.cfg.gitlab.api_url,
        }
    }

    /// Collect one repository (`full`: ignore the incremental window) under the claim of
    /// `worker`: every processing transaction checks that the claim is still held.
    pub async fn collect(
        &self,
        conn: &mut PgConnection,
        repo_id: i64,
        full: bool,
        worker: &str,
    ) -> Result<Outcome> {
        let started = Utc::now();
        let row = RepoToCollect::load(conn, repo_id).await?;
        let platform = Platform::from_id(row.platform_id).with_context(|| {
            format!(
                "repository {repo_id}: platform {} is not collectable",
                row.platform_id
            )
        })?;
        let client = self.client(platform)?;
        let repo = match prelim::check(conn, &self.cfg, client, repo_id, &row.url).await? {
            prelim::Prelim::Collect(repo) => repo,
            prelim::Prelim::Stop(outcome) => return Ok(outcome),
        };
        let full = full || row.force_full || self.cfg.collection.force_full_collection;
        let since = if full {
            None
        } else {
            row.last
                .map(|t| t - ChronoDuration::days(self.cfg.collection.days_until_recollect as i64))
        };
        // What an earlier run staged and could not process goes first: a repository whose
        // processing fails stages no new pages until its old ones are written.
        let fence = queue::Fence::Claim(worker.to_owned());
        let mut counts = process_staged(conn, repo_id, fence.clone(), self.budget()).await?;
        let run = Run {
            platform,
            repo_id,
            repo: &repo,
            since,
            refetch_before: full.then_some(started),
            started,
            fence: &fence,
        };
        let (pages, notes) = self.fetch(conn, &run, &mut counts).await?;
        optional::record(conn, repo_id, &notes).await?;
        counts.staged_pages = pages;
        counts.notes = notes;

        let bare = self.sync_clone(platform, repo_id, &repo).await?;
        let f = crate::git_commits::collect_commits(conn, repo_id, &bare).await?;
        counts.commits = f.commits;
        // Derived from the clone, not collected: a failure is retried next run, never fatal.
        let labor = crate::git_commits::scan_labor(conn, repo_id, &bare).await;
        not_fatal(repo_id, "labor scan", labor);
        crate::aggregates::refresh_repo(conn, repo_id).await?;
        record_success(conn, repo_id, &counts, &fence, started).await?;
        // After the core phases are recorded: lookups and profiles never fail a collection.
        if platform == Platform::GitHub {
            let r = (repo_id, repo.owner.as_str(), repo.name.as_str());
            let looked = lookup::run(conn, &self.cfg, client, r).await;
            counts.looked_up = not_fatal(repo_id, "commit author lookup", looked);
        }
        let enriched = enrich::run(conn, &self.cfg, client, self.api(platform)).await;
        counts.enriched = not_fatal(repo_id, "contributor enrichment", enriched);
        Ok(Outcome::Collected(counts))
    }

    /// The bare clone of `repo`, cloned or fetched with a key of its platform when the pool has
    /// one (a private repository needs it; a public one is cloned with it too, and anonymously
    /// when there is none). See [`GitAuth`] for how the key reaches git.
    async fn sync_clone(
        &self,
        platform: Platform,
        repo_id: i64,
        repo: &RepoRef,
    ) -> Result<std::path::PathBuf> {
        let url = format!("{}.git", repo.web_url(&self.cfg));
        let auth = GitAuth::lend(self.client(platform)?.keys(), platform, &url)?;
        if let Some(a) = &auth {
            tracing::debug!(
                repo_id,
                key_id = a.key_id(),
                origin = a.origin(),
                "git with a key"
            );
        }
        let root = &self.cfg.collection.repo_clone_dir;
        sync_repo_with(root, repo_id, &url, auth.as_ref(), DEFAULT_GIT_TIMEOUT).await
    }

    /// Stage every page of the repository changed since the run's window and process them;
    /// GitHub's per-pull-request listings once the pull requests are written, for those that
    /// moved (see [`listing::pulls_to_fetch`]). Returns the pages staged and the notes of
    /// optional endpoints that had nothing.
    async fn fetch(
        &self,
        conn: &mut PgConnection,
        run: &Run<'_>,
        counts: &mut Counts,
    ) -> Result<(u64, Vec<optional::Note>)> {
        let client = self.client(run.platform)?;
        let api = self.api(run.platform);
        let (owner, name, since) = (&run.repo.owner, &run.repo.name, run.since);
        let mut stager = Stager::new(&mut *conn, run.repo_id, run.platform);
        match run.platform {
            Platform::GitHub => github::fetch(client, api, owner, name, since, &mut stager).await?,
            Platform::GitLab => gitlab::fetch(client, api, owner, name, since, &mut stager).await?,
        }
        let (mut pages, notes) = (stager.pages, std::mem::take(&mut stager.notes));
        counts.merge(process_staged(conn, run.repo_id, run.fence.clone(), self.budget()).await?);
        if run.platform == Platform::GitHub {
            let work = listing::pulls_to_fetch(conn, run.repo_id, run.refetch_before).await?;
            let recount = derived::comment_count_mismatches(conn, run.repo_id, run.started).await?;
            let mut stager = Stager::new(&mut *conn, run.repo_id, run.platform);
            github::fetch_pr_children(client, api, owner, name, &work, &mut stager).await?;
            github::fetch_item_comments(client, api, owner, name, &recount, &mut stager).await?;
            pages += stager.pages;
            counts
                .merge(process_staged(conn, run.repo_id, run.fence.clone(), self.budget()).await?);
        }
        Ok((pages, notes))
    }
}

/// One run's view of the repository it collects.
struct Run<'a> {
    platform: Platform,
    repo_id: i64,
    repo: &'a RepoRef,
    /// The incremental window (`None`: everything).
    since: Option<DateTime<Utc>>,
    /// A full collection: child listings fetched before this (the run's start) are fetched
    /// again.
    refetch_before: Option<DateTime<Utc>>,
    /// When the run started (what it staged since is its own).
    started: DateTime<Utc>,
    fence: &'a queue::Fence,
}

/// What a run needs to know of a repository before it starts.
struct RepoToCollect {
    url: String,
    platform_id: i16,
    last: Option<DateTime<Utc>>,
    force_full: bool,
}

impl<'r> sqlx::FromRow<'r, PgRow> for RepoToCollect {
    fn from_row(r: &'r PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(RepoToCollect {
            url: r.try_get("repo_git")?,
            platform_id: r.try_get("platform_id")?,
            last: r.try_get("last_collected")?,
            force_full: r.try_get("force_full")?,
        })
    }
}

impl RepoToCollect {
    async fn load(conn: &mut PgConnection, repo_id: i64) -> Result<RepoToCollect> {
        sqlx::query_as(
            "SELECT r.repo_git, r.platform_id,
                    coalesce(q.last_collected, s.core_data_last_collected) AS last_collected,
                    coalesce(q.force_full_collect, false) AS force_full
               FROM aveloxis_data.repos r
               LEFT JOIN aveloxis_ops.collection_queue q ON q.repo_id = r.repo_id
               LEFT JOIN aveloxis_ops.collection_status s ON s.repo_id = r.repo_id
              WHERE r.repo_id = $1",
        )
        .bind(repo_id)
        .fetch_optional(&mut *conn)
        .await?
        .with_context(|| format!("repository {repo_id} does not exist"))
    }
}

/// Process every unprocessed staged page of `repo_id`, in chunks of at most `budget` (parents
/// before children, see [`staging::plan`]), each chunk in its own transaction written only
/// while `fence` holds and repeated whole after a deadlock. A chunk marks its pages processed
/// in the transaction that writes their rows, so a failure or a crash between chunks leaves
/// exactly the pages not yet written unprocessed, with the error noted, for the next run.
pub async fn process_staged(
    conn: &mut PgConnection,
    repo_id: i64,
    fence: queue::Fence,
    budget: staging::Budget,
) -> Result<Counts> {
    let result = process_chunks(conn, repo_id, &fence, budget).await;
    if let Err(e) = &result {
        // Best effort: the connection may be what failed.
        let _ = staging::record_error(conn, repo_id, &format!("{e:#}")).await;
    }
    result
}

/// The entities of a platform in processing order, and those every chunk reads.
fn processing_order(platform: i16) -> (&'static [&'static str], &'static [&'static str]) {
    match Platform::from_id(platform) {
        Some(Platform::GitHub) => (github::PROCESSING_ORDER, &[]),
        Some(Platform::GitLab) => (gitlab::PROCESSING_ORDER, gitlab::CONTEXT),
        None => (&[], &[]),
    }
}

async fn process_chunks(
    conn: &mut PgConnection,
    repo_id: i64,
    fence: &queue::Fence,
    budget: staging::Budget,
) -> Result<Counts> {
    let mut counts = Counts::default();
    let Some(plan) = staging::plan(conn, repo_id, processing_order, budget).await? else {
        return Ok(counts);
    };
    let last = plan.chunks.len() - 1;
    for (i, ids) in plan.chunks.into_iter().enumerate() {
        let chunk = Chunk {
            platform: plan.platform,
            context: plan.context.clone(),
            ids,
            last: i == last,
        };
        let c = crate::db::retry_transient(conn, "processing staged pages", |c| {
            let (fence, chunk) = (fence.clone(), chunk.clone());
            Box::pin(async move { process_chunk_tx(c, repo_id, &fence, &chunk).await })
        })
        .await?;
        counts.merge(c);
    }
    Ok(counts)
}

/// What one processing transaction holds at most: `collection.process_chunk_pages` pages, and
/// the default's bytes.
pub fn budget(cfg: &Config) -> staging::Budget {
    staging::Budget {
        pages: cfg.collection.process_chunk_pages.max(1) as usize,
        ..staging::Budget::default()
    }
}

/// One chunk of a [`staging::Plan`].
#[derive(Clone)]
struct Chunk {
    platform: i16,
    context: Vec<i64>,
    ids: Vec<i64>,
    /// The last chunk: it also marks the context pages processed, and derives what follows
    /// from the repository's rows as a whole (closers).
    last: bool,
}

async fn process_chunk_tx(
    conn: &mut PgConnection,
    repo_id: i64,
    fence: &queue::Fence,
    chunk: &Chunk,
) -> Result<Counts> {
    let mut tx = conn.begin().await?;
    queue::check_fence(&mut tx, repo_id, fence).await?;
    let mut counts = Counts::default();
    let context = staging::load_pages(&mut tx, &chunk.context).await?;
    let mut staged = context.clone();
    staged.extend(staging::load_pages(&mut tx, &chunk.ids).await?);
    match Platform::from_id(chunk.platform) {
        Some(Platform::GitHub) => {
            github::process(&mut tx, repo_id, &staged, &mut counts).await?;
            drop_deleted_comments(&mut tx, repo_id, &staged).await?;
            if chunk.last {
                derived::closers(&mut tx, repo_id).await?;
            }
        }
        Some(Platform::GitLab) => {
            gitlab::process(&mut tx, repo_id, &staged, &mut counts).await?;
            drop_deleted_comments(&mut tx, repo_id, &staged).await?;
            if chunk.last {
                derived::clear_open_closers(&mut tx, repo_id).await?;
            }
        }
        _ => bail!(
            "staged pages of platform {} cannot be processed by this version",
            chunk.platform
        ),
    }
    let done = if chunk.last {
        &staged[..]
    } else {
        &staged[context.len()..]
    };
    staging::mark_processed(&mut tx, done).await?;
    tx.commit().await?;
    Ok(counts)
}

/// For every complete comment listing of one item among `staged`: remove the item's comments it
/// no longer holds (after its comments are written: every listing's pages are processed before
/// the list of what it held).
async fn drop_deleted_comments(
    conn: &mut PgConnection,
    repo_id: i64,
    staged: &[Staged],
) -> Result<()> {
    for page in staged {
        use derived::Numbered;
        // The complete comment listings: GitHub's per item, GitLab's note lists.
        let (field, of) = match page.entity.as_str() {
            "item_comments" => ("number", Numbered::Either),
            "issue_notes_listed" => ("iid", Numbered::Issue),
            "mr_notes_listed" => ("iid", Numbered::Pull),
            _ => continue,
        };
        let Some(number) = page.ctx[field].as_i64() else {
            continue;
        };
        let listed: Vec<i64> = page.items().filter_map(|c| c["id"].as_i64()).collect();
        let gone = derived::drop_deleted_comments(conn, repo_id, (number, of), &listed).await?;
        if gone > 0 {
            tracing::info!(
                repo_id,
                number,
                gone,
                "comments deleted on the forge removed"
            );
        }
    }
    Ok(())
}

/// The result of a phase that must never fail the collection (derived or budgeted work, retried
/// by the next run): its value, or nothing done and a warning.
fn not_fatal<T: Default>(repo_id: i64, phase: &str, r: Result<T>) -> T {
    r.unwrap_or_else(|e| {
        tracing::warn!(repo_id, error = %format!("{e:#}"), "{phase} stopped");
        T::default()
    })
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

async fn record_success(
    conn: &mut PgConnection,
    repo_id: i64,
    c: &Counts,
    fence: &queue::Fence,
    started: DateTime<Utc>,
) -> Result<()> {
    let mut tx = conn.begin().await?;
    queue::check_fence(&mut tx, repo_id, fence).await?;
    let run = queue::LastRun {
        issues: c.get("issues") as i64,
        prs: c.get("pulls") as i64,
        messages: c.get("messages") as i64,
        events: (c.get("issue_events") + c.get("pr_events")) as i64,
        releases: c.get("releases") as i64,
        contributors: c.contributors as i64,
        commits: c.commits as i64,
    };
    queue::record_success(&mut tx, repo_id, &run, started).await?;
    sqlx::query(
        "INSERT INTO aveloxis_ops.collection_status (repo_id, core_status, core_data_last_collected,
                                                     issue_pr_sum, commit_sum)
         VALUES ($1, 'Success', $4, $2, $3)
         ON CONFLICT (repo_id) DO UPDATE SET core_status = 'Success', core_data_last_collected = $4,
             issue_pr_sum = EXCLUDED.issue_pr_sum, commit_sum = EXCLUDED.commit_sum, updated_at = now()",
    )
    .bind(repo_id)
    .bind((c.get("issues") + c.get("pulls")) as i64)
    .bind(c.commits as i64)
    .bind(started)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
