//! Listings streamed into staging: every page is staged the moment it arrives, so a run holds
//! one page of a listing at a time, and a failure keeps every page read before it.
//!
//! A *resumable* listing also keeps its cursor in `aveloxis_ops.listing_cursors`, written by
//! the statement that stages the page (so a staged page and the cursor past it are never
//! apart). A run that finds a cursor for the listing it is about to read — same repository,
//! same first URL, window included — continues at the cursor instead of asking the first pages
//! again; the cursor goes when the listing ends. Only listings where a page once staged stays
//! valid are resumable: those sorted by update time ascending (an item updated since moves to
//! the end, which the continuation reads) and, with a head pass by the caller, those sorted
//! newest first ([`Streamed::resumed_since`]).

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::optional::Optional;
use super::staging::Stager;
use crate::forge::client::{Cursor, ForgeClient};

/// One listing to stream.
pub(crate) struct Listing<'a> {
    /// What its pages are (`aveloxis_ops.staging.entity_type`).
    pub entity: &'a str,
    /// The context staged with each page (e.g. the pull request number).
    pub ctx: Value,
    /// Its first page.
    pub url: String,
    /// The known "nothing here" answers of an optional endpoint.
    pub optional: Option<&'a Optional>,
    /// Continue where an earlier run left it.
    pub resumable: bool,
}

impl<'a> Listing<'a> {
    /// A listing read from its first page every time.
    pub fn new(entity: &'a str, url: String) -> Listing<'a> {
        Listing {
            entity,
            ctx: Value::Null,
            url,
            optional: None,
            resumable: false,
        }
    }

    pub fn optional(mut self, o: &'a Optional) -> Self {
        self.optional = Some(o);
        self
    }

    pub fn resumable(mut self) -> Self {
        self.resumable = true;
        self
    }

    pub fn ctx(mut self, ctx: Value) -> Self {
        self.ctx = ctx;
        self
    }
}

/// What streaming a listing did.
#[derive(Debug, Default)]
pub(crate) struct Streamed {
    pub pages: u64,
    /// When the listing continued a cursor: when that cursor's listing started. Items updated
    /// since then may sit before the cursor in a newest-first listing; the caller reads the
    /// head again down to this time.
    pub resumed_since: Option<DateTime<Utc>>,
}

impl Stager<'_> {
    /// Stage every page of `l` as it arrives; `keep_going` sees each page and may end the
    /// listing after it.
    pub(crate) async fn stream(
        &mut self,
        client: &ForgeClient,
        l: Listing<'_>,
        mut keep_going: impl FnMut(&Value) -> bool,
    ) -> Result<Streamed> {
        let mut out = Streamed::default();
        let mut cursor = Cursor::new(&l.url);
        if l.resumable
            && let Some((next, started)) = self.cursor_of(&l.url).await?
        {
            tracing::info!(
                repo_id = self.repo_id,
                entity = l.entity,
                "continuing a listing an earlier run left half-way"
            );
            cursor = Cursor::resume(&l.url, &next);
            out.resumed_since = Some(started);
        }
        loop {
            let page = match client.next_page(&mut cursor).await {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) => match l.optional {
                    Some(o) => {
                        o.noted(e, &mut self.notes)?;
                        break;
                    }
                    None => return Err(e.into()),
                },
            };
            if !keep_going(&page.body) {
                cursor.stop();
            }
            let at = l
                .resumable
                .then(|| (l.url.as_str(), cursor.next_on_origin()));
            self.put_at(l.entity, l.ctx.clone(), page.body, at).await?;
            out.pages += 1;
        }
        Ok(out)
    }

    async fn cursor_of(&mut self, listing: &str) -> Result<Option<(String, DateTime<Utc>)>> {
        let row: Option<(String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT next_url, started_at FROM aveloxis_ops.listing_cursors
              WHERE repo_id = $1 AND listing = $2",
        )
        .bind(self.repo_id)
        .bind(listing)
        .fetch_optional(&mut *self.conn)
        .await?;
        Ok(row)
    }

    /// Stage one page; for a resumable listing (`at`: its first URL and the next page), move
    /// its cursor in the same statement — past this page, or away when the listing ended.
    pub(super) async fn put_at(
        &mut self,
        entity: &str,
        ctx: Value,
        payload: Value,
        at: Option<(&str, Option<&str>)>,
    ) -> Result<()> {
        macro_rules! staged_then {
            ($rest:literal) => {
                concat!(
                    "WITH s AS (INSERT INTO aveloxis_ops.staging (repo_id, platform_id, entity_type, payload)
                                 VALUES ($1, $2, $3, $4) RETURNING 1) ",
                    $rest
                )
            };
        }
        let sql = match at {
            None => staged_then!("SELECT count(*) FROM s"),
            Some((_, Some(_))) => staged_then!(
                "INSERT INTO aveloxis_ops.listing_cursors (repo_id, listing, next_url, pages)
                 SELECT $1, $5, $6, 1 FROM s
                 ON CONFLICT (repo_id, listing) DO UPDATE
                    SET next_url = EXCLUDED.next_url, pages = listing_cursors.pages + 1, updated_at = now()"
            ),
            Some((_, None)) => staged_then!(
                "DELETE FROM aveloxis_ops.listing_cursors
                  WHERE repo_id = $1 AND listing = $5 AND EXISTS (SELECT 1 FROM s)"
            ),
        };
        let mut q = sqlx::query(sql)
            .bind(self.repo_id)
            .bind(self.platform_id)
            .bind(entity)
            .bind(json!({"ctx": ctx, "items": payload}));
        if let Some((listing, next)) = at {
            q = q.bind(listing);
            if let Some(n) = next {
                q = q.bind(n);
            }
        }
        q.execute(&mut *self.conn)
            .await
            .with_context(|| format!("staging a {entity} page"))?;
        self.pages += 1;
        Ok(())
    }
}

impl Stager<'_> {
    /// Record that the child listings of `parent` `number` are staged, for its update time
    /// `updated` (in its own statement, after the listings' pages).
    pub(crate) async fn children_done(
        &mut self,
        parent: &str,
        number: i64,
        updated: Option<DateTime<Utc>>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO aveloxis_ops.children_fetched (repo_id, parent, number, parent_updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (repo_id, parent, number) DO UPDATE
                SET parent_updated_at = EXCLUDED.parent_updated_at, fetched_at = now()",
        )
        .bind(self.repo_id)
        .bind(parent)
        .bind(number)
        .bind(updated)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }
}

/// The pull requests of `repo_id` whose child listings are to be fetched, with their update
/// time: those never fetched and those updated since they were. With `refetch_before` (a full
/// collection: when it started) also those fetched before it, so a full collection asks every
/// pull request's listings again.
pub(crate) async fn pulls_to_fetch(
    conn: &mut sqlx::PgConnection,
    repo_id: i64,
    refetch_before: Option<DateTime<Utc>>,
) -> Result<Vec<(i64, Option<DateTime<Utc>>)>> {
    Ok(sqlx::query_as(
        "SELECT p.pr_number, max(p.updated_at)
           FROM aveloxis_data.pull_requests p
           LEFT JOIN aveloxis_ops.children_fetched c
                  ON c.repo_id = p.repo_id AND c.parent = 'pull' AND c.number = p.pr_number
          WHERE p.repo_id = $1 AND p.pr_number IS NOT NULL
          GROUP BY p.pr_number, c.number, c.parent_updated_at, c.fetched_at
         HAVING c.number IS NULL
             OR max(p.updated_at) > c.parent_updated_at
             OR c.parent_updated_at IS NULL
             OR c.fetched_at < $2
          ORDER BY p.pr_number",
    )
    .bind(repo_id)
    .bind(refetch_before)
    .fetch_all(conn)
    .await?)
}

/// Cursors no run continued (their window moved on) after a week, like processed pages.
pub(crate) async fn purge_stale_cursors(conn: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::query(
        "DELETE FROM aveloxis_ops.listing_cursors WHERE updated_at < now() - interval '7 days'",
    )
    .execute(conn)
    .await?;
    Ok(())
}
