//! `aveloxis_ops.staging`: raw forge pages, written as fetched and processed later.
//!
//! Architecture invariant (see the parent module): a page is staged before anything is derived
//! from it, and `process_staged` (in the parent) reads a repository's unprocessed pages
//! ([`load_unprocessed`], oldest first) and marks them processed ([`mark_processed`]) in the
//! transaction that writes their rows or quarantines their items. A failed processing leaves
//! its pages unprocessed with the error noted ([`record_error`]); nothing here deletes an
//! unprocessed page.

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::optional::Note;
use crate::forge::Platform;

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

impl Staged {
    /// The items of a listing page (nothing when the body is not an array).
    pub fn items(&self) -> impl Iterator<Item = &Value> {
        self.payload.as_array().into_iter().flatten()
    }
}

/// A staged row as read back: the page and the platform that fetched it.
struct StagedRow {
    platform_id: i16,
    page: Staged,
}

impl<'r> sqlx::FromRow<'r, PgRow> for StagedRow {
    fn from_row(r: &'r PgRow) -> Result<Self, sqlx::Error> {
        let mut v: Value = r.try_get("payload")?;
        Ok(StagedRow {
            platform_id: r.try_get("platform_id")?,
            page: Staged {
                staging_id: r.try_get("staging_id")?,
                entity: r.try_get("entity_type")?,
                ctx: v["ctx"].take(),
                payload: v["items"].take(),
            },
        })
    }
}

/// Writes raw pages to `aveloxis_ops.staging` (each page commits on its own).
pub struct Stager<'a> {
    conn: &'a mut PgConnection,
    repo_id: i64,
    platform_id: i16,
    pub pages: u64,
    /// Optional endpoints that answered "none" during this fetch.
    pub notes: Vec<Note>,
}

impl<'a> Stager<'a> {
    pub fn new(conn: &'a mut PgConnection, repo_id: i64, platform: Platform) -> Stager<'a> {
        Stager {
            conn,
            repo_id,
            platform_id: platform.id(),
            pages: 0,
            notes: Vec::new(),
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

/// Every unprocessed page of `repo_id`, locked, in staging order, with the platform that
/// fetched them (`None` when there is nothing to process).
pub(super) async fn load_unprocessed(
    conn: &mut PgConnection,
    repo_id: i64,
) -> Result<Option<(i16, Vec<Staged>)>> {
    let rows: Vec<StagedRow> = sqlx::query_as(
        "SELECT staging_id, platform_id, entity_type, payload FROM aveloxis_ops.staging
          WHERE repo_id = $1 AND NOT processed ORDER BY staging_id FOR UPDATE",
    )
    .bind(repo_id)
    .fetch_all(conn)
    .await?;
    let Some(platform) = rows.first().map(|r| r.platform_id) else {
        return Ok(None);
    };
    Ok(Some((platform, rows.into_iter().map(|r| r.page).collect())))
}

/// Mark pages processed (in the transaction that wrote their rows).
pub(super) async fn mark_processed(conn: &mut PgConnection, pages: &[Staged]) -> Result<()> {
    let ids: Vec<i64> = pages.iter().map(|s| s.staging_id).collect();
    sqlx::query(
        "UPDATE aveloxis_ops.staging SET processed = true, processed_at = now() WHERE staging_id = ANY($1)",
    )
    .bind(&ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// Note on every unprocessed page of `repo_id` why processing them failed (they stay
/// unprocessed: the next run retries them before it fetches anything new).
pub(super) async fn record_error(conn: &mut PgConnection, repo_id: i64, error: &str) -> Result<()> {
    sqlx::query("UPDATE aveloxis_ops.staging SET error = $2 WHERE repo_id = $1 AND NOT processed")
        .bind(repo_id)
        .bind(crate::quarantine::truncate(error, 2000))
        .execute(conn)
        .await?;
    Ok(())
}

/// Repositories with unprocessed pages that no worker is collecting (left by a dead run).
pub(crate) async fn unclaimed_staged_repos(conn: &mut PgConnection) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT s.repo_id FROM aveloxis_ops.staging s
          WHERE NOT s.processed
            AND NOT EXISTS (SELECT 1 FROM aveloxis_ops.collection_queue q
                             WHERE q.repo_id = s.repo_id AND q.status = 'collecting')",
    )
    .fetch_all(conn)
    .await?)
}

/// Processed pages are kept a week (for diagnosis), then deleted.
pub(crate) async fn purge_processed_staging(conn: &mut PgConnection) -> Result<()> {
    sqlx::query(
        "DELETE FROM aveloxis_ops.staging WHERE processed AND processed_at < now() - interval '7 days'",
    )
    .execute(conn)
    .await?;
    Ok(())
}
