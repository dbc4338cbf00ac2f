//! `aveloxis_ops.staging`: raw forge pages, written as fetched and processed later.
//!
//! Architecture invariant (see the parent module): a page is staged before anything is derived
//! from it, and `process_staged` (in the parent) reads a repository's unprocessed pages
//! ([`plan`] and [`load_pages`], in chunks) and marks them processed ([`mark_processed`]) in the
//! transaction that writes their rows or quarantines their items. A failed processing leaves
//! its pages unprocessed with the error noted ([`record_error`]); nothing here deletes an
//! unprocessed page.

use anyhow::Result;
use serde_json::Value;
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
    page: Staged,
}

impl<'r> sqlx::FromRow<'r, PgRow> for StagedRow {
    fn from_row(r: &'r PgRow) -> Result<Self, sqlx::Error> {
        let mut v: Value = r.try_get("payload")?;
        Ok(StagedRow {
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
    pub(super) conn: &'a mut PgConnection,
    pub(super) repo_id: i64,
    pub(super) platform_id: i16,
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

    /// Stage one page (of a listing that is read whole every time, or a single resource).
    pub async fn put(&mut self, entity: &str, ctx: Value, payload: Value) -> Result<()> {
        self.put_at(entity, ctx, payload, None).await
    }
}

/// How a repository's unprocessed pages are processed: in chunks, each its own transaction.
pub(super) struct Plan {
    /// The platform that fetched them.
    pub platform: i16,
    /// Pages every chunk reads (details the mapper needs beside any entity, e.g. GitLab's
    /// labels); marked processed with the last chunk.
    pub context: Vec<i64>,
    /// Page ids, chunk by chunk, in processing order.
    pub chunks: Vec<Vec<i64>>,
}

/// What bounds a chunk: pages, and their stored size.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub pages: usize,
    pub bytes: i64,
}

impl Default for Budget {
    /// 100 pages, and 4 MiB of them as stored (compressed; several times that once parsed).
    fn default() -> Self {
        Budget {
            pages: 100,
            bytes: 4 << 20,
        }
    }
}

/// Split the unprocessed pages of `repo_id` into chunks: entities in `order` (parents before
/// children; an entity not named goes last), each entity's pages oldest first, a chunk ending
/// when `budget` is reached (a page larger than the budget is a chunk of its own). Pages of
/// the `context` entities are read by every chunk.
pub(super) async fn plan(
    conn: &mut PgConnection,
    repo_id: i64,
    order: impl Fn(i16) -> (&'static [&'static str], &'static [&'static str]),
    budget: Budget,
) -> Result<Option<Plan>> {
    let rows: Vec<(i64, String, i16, i32)> = sqlx::query_as(
        "SELECT staging_id, entity_type, platform_id, pg_column_size(payload)
           FROM aveloxis_ops.staging WHERE repo_id = $1 AND NOT processed ORDER BY staging_id",
    )
    .bind(repo_id)
    .fetch_all(conn)
    .await?;
    let Some(platform) = rows.first().map(|r| r.2) else {
        return Ok(None);
    };
    let (entities, context_entities) = order(platform);
    let rank = |e: &str| {
        entities
            .iter()
            .position(|x| *x == e)
            .unwrap_or(entities.len())
    };
    let (context, mut pages): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|r| context_entities.contains(&r.1.as_str()));
    pages.sort_by_key(|r| (rank(&r.1), r.0));
    let mut chunks: Vec<Vec<i64>> = Vec::new();
    let (mut n, mut bytes) = (usize::MAX, 0i64);
    for (id, _, _, size) in pages {
        if n >= budget.pages.max(1) || bytes + i64::from(size) > budget.bytes && n > 0 {
            chunks.push(Vec::new());
            (n, bytes) = (0, 0);
        }
        chunks.last_mut().expect("a chunk was started").push(id);
        n += 1;
        bytes += i64::from(size);
    }
    if chunks.is_empty() {
        chunks.push(Vec::new());
    }
    let context = context.into_iter().map(|r| r.0).collect();
    Ok(Some(Plan {
        platform,
        context,
        chunks,
    }))
}

/// The pages `ids` that are still unprocessed, locked, in the order of `ids`.
pub(super) async fn load_pages(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<Staged>> {
    let rows: Vec<StagedRow> = sqlx::query_as(
        "SELECT staging_id, platform_id, entity_type, payload FROM aveloxis_ops.staging
          WHERE staging_id = ANY($1) AND NOT processed ORDER BY staging_id FOR UPDATE",
    )
    .bind(ids)
    .fetch_all(conn)
    .await?;
    let mut by_id: std::collections::HashMap<i64, Staged> = rows
        .into_iter()
        .map(|r| (r.page.staging_id, r.page))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
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
