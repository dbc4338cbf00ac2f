//! The tracked repositories: `aveloxis_data.repos`, `aveloxis_data.repo_groups` and the URLs a
//! repository was known by (`aveloxis_data.historical_repo_urls`).
//!
//! Architecture invariant: this module is the only writer of those tables. Every INSERT,
//! UPDATE and DELETE of them in core is a function here; other modules read them, and change
//! them only by calling these functions (inside their own transaction when they need one:
//! every function takes a plain connection, so a `Transaction` is passed as `&mut *tx`).
//! A repository row is never deleted: a repository that is gone is marked
//! (`repo_gone_at`, reversible by [`clear_gone`] or adding it again), its data kept. URLs are
//! unique case-insensitively ([`find`]), so adding a repository twice finds the first row.

use anyhow::Result;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::config::{Config, Platform};
use crate::forge::RepoRef;

/// The repository with this URL (case-insensitive for forge URLs).
pub(crate) async fn find(conn: &mut PgConnection, url: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT repo_id FROM aveloxis_data.repos WHERE lower(repo_git) = lower($1)",
    )
    .bind(url)
    .fetch_optional(conn)
    .await?)
}

/// Whether a repository with this id exists.
/// The group of `repo_id`, if it has one.
pub(crate) async fn group_of(conn: &mut PgConnection, repo_id: i64) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT repo_group_id FROM aveloxis_data.repos WHERE repo_id = $1")
            .bind(repo_id)
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}

pub(crate) async fn exists(conn: &mut PgConnection, repo_id: i64) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM aveloxis_data.repos WHERE repo_id = $1)")
            .bind(repo_id)
            .fetch_one(conn)
            .await?,
    )
}

/// Insert (or find) a repository row; clears a gone marker when the operator adds it again.
/// `group` moves it to that group; without one a new repository goes to the configured default
/// group and a known one stays where it is.
pub async fn upsert_repo(
    conn: &mut PgConnection,
    cfg: &Config,
    r: &RepoRef,
    group: Option<i64>,
) -> Result<i64> {
    let url = r.web_url(cfg);
    if let Some(id) = find(conn, &url).await? {
        sqlx::query("UPDATE aveloxis_data.repos SET repo_gone_at = NULL, repo_group_id = coalesce($2, repo_group_id) WHERE repo_id = $1")
            .bind(id)
            .bind(group)
            .execute(&mut *conn)
            .await?;
        return Ok(id);
    }
    let group = match group {
        Some(g) => g,
        None => upsert_group(conn, Group::Named(&cfg.collection.default_repo_group)).await?,
    };
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

/// A repository group.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Group<'a> {
    /// A forge owner's (GitHub organisation, GitLab group): `rg_type` says which.
    Owner(Platform, &'a str),
    /// One named by the operator (`add-repo --group`, the configured default, an Augur group
    /// imported with `--from-augur`): `rg_type` empty.
    Named(&'a str),
}

/// The id of a repository group, created on first use.
pub(crate) async fn upsert_group(conn: &mut PgConnection, group: Group<'_>) -> Result<i64> {
    let (name, kind) = match group {
        Group::Owner(Platform::GitHub, owner) => (owner, "github_org"),
        Group::Owner(Platform::GitLab, owner) => (owner, "gitlab_group"),
        Group::Named(name) => (name, ""),
    };
    if name.trim().is_empty() {
        anyhow::bail!("a repository group needs a name");
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO aveloxis_data.repo_groups (rg_name, rg_type, tool_version, data_source)
         VALUES ($1, $2, $3, 'aveloxis add-repo')
         ON CONFLICT (rg_type, rg_name) DO UPDATE SET rg_last_modified = now()
         RETURNING repo_group_id",
    )
    .bind(name)
    .bind(kind)
    .bind(crate::TOOL_VERSION)
    .fetch_one(conn)
    .await?)
}

/// The repository's languages (bytes of code per language, from its default branch).
pub(crate) async fn set_languages(
    conn: &mut PgConnection,
    repo_id: i64,
    languages: &serde_json::Value,
) -> Result<()> {
    sqlx::query("UPDATE aveloxis_data.repos SET languages = $2 WHERE repo_id = $1")
        .bind(repo_id)
        .bind(languages)
        .execute(conn)
        .await?;
    Ok(())
}

/// Mark a repository gone (404/410, or a duplicate of another): data kept, reversible.
pub(crate) async fn mark_gone(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE aveloxis_data.repos SET repo_gone_at = coalesce(repo_gone_at, now()), repo_gone_checked_at = now()
          WHERE repo_id = $1",
    )
    .bind(repo_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sidelined repositories whose last check is a week old (at most 50): id, URL, platform id.
pub(crate) async fn gone_due_for_check(conn: &mut PgConnection) -> Result<Vec<(i64, String, i16)>> {
    Ok(sqlx::query_as(
        "SELECT repo_id, repo_git, platform_id FROM aveloxis_data.repos
          WHERE repo_gone_at IS NOT NULL AND coalesce(repo_gone_checked_at, 'epoch') < now() - interval '7 days'
          LIMIT 50",
    )
    .fetch_all(conn)
    .await?)
}

/// Record that a sidelined repository was looked at again.
pub(crate) async fn mark_gone_checked(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    sqlx::query("UPDATE aveloxis_data.repos SET repo_gone_checked_at = now() WHERE repo_id = $1")
        .bind(repo_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A sidelined repository answers again.
pub(crate) async fn clear_gone(conn: &mut PgConnection, repo_id: i64) -> Result<()> {
    sqlx::query("UPDATE aveloxis_data.repos SET repo_gone_at = NULL WHERE repo_id = $1")
        .bind(repo_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The repository moved: its URL, owner and name follow (the old URL is kept by the caller
/// with [`record_old_url`]).
pub(crate) async fn rename(
    conn: &mut PgConnection,
    repo_id: i64,
    new: &RepoRef,
    new_url: &str,
) -> Result<()> {
    sqlx::query("UPDATE aveloxis_data.repos SET repo_git = $2, repo_owner = $3, repo_name = $4 WHERE repo_id = $1")
        .bind(repo_id)
        .bind(new_url)
        .bind(&new.owner)
        .bind(&new.name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Remember a URL the repository was known by.
pub(crate) async fn record_old_url(conn: &mut PgConnection, repo_id: i64, url: &str) -> Result<()> {
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

/// What a forge says about a repository (its repository or project object).
pub(crate) struct ForgeFacts<'a> {
    pub description: Option<&'a str>,
    pub platform_repo_id: Option<String>,
    pub forked_from: Option<&'a str>,
    pub archived: Option<bool>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub repo_type: Option<&'a str>,
}

/// Update a repository from GitHub's repository object: the language is GitHub's, and a
/// repository that is no longer a fork loses its `forked_from`.
pub(crate) async fn update_from_github(
    conn: &mut PgConnection,
    repo_id: i64,
    f: &ForgeFacts<'_>,
    language: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE aveloxis_data.repos SET
             repo_description = $2, primary_language = $3, platform_repo_id = $4,
             forked_from = $5, repo_archived = coalesce($6, repo_archived),
             created_at = $7, updated_at = $8, repo_type = coalesce($9, repo_type),
             data_collection_date = now()
         WHERE repo_id = $1",
    )
    .bind(repo_id)
    .bind(f.description)
    .bind(language)
    .bind(f.platform_repo_id.as_deref())
    .bind(f.forked_from)
    .bind(f.archived)
    .bind(f.created_at)
    .bind(f.updated_at)
    .bind(f.repo_type)
    .execute(conn)
    .await?;
    Ok(())
}

/// Update a repository from GitLab's project object (no language; `forked_from` only when
/// GitLab names the source project).
pub(crate) async fn update_from_gitlab(
    conn: &mut PgConnection,
    repo_id: i64,
    f: &ForgeFacts<'_>,
) -> Result<()> {
    sqlx::query(
        "UPDATE aveloxis_data.repos SET
             repo_description = $2, platform_repo_id = $3,
             forked_from = coalesce($4, forked_from), repo_archived = coalesce($5, repo_archived),
             created_at = $6, updated_at = $7, repo_type = coalesce($8, repo_type),
             data_collection_date = now()
         WHERE repo_id = $1",
    )
    .bind(repo_id)
    .bind(f.description)
    .bind(f.platform_repo_id.as_deref())
    .bind(f.forked_from)
    .bind(f.archived)
    .bind(f.created_at)
    .bind(f.updated_at)
    .bind(f.repo_type)
    .execute(conn)
    .await?;
    Ok(())
}
