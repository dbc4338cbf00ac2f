//! `aveloxis_ops.quarantine` — **the only writer**: items the collector could not write as it
//! received them, each kept with the item itself and the reason.
//!
//! An item is *held* when it was not written (a value that is not of its column's type, an item
//! without the field that identifies it, a listing page that is not a list) and *normalised*
//! when it was written with a repaired value (a commit date whose time-zone offset no clock has,
//! stored in UTC). One row per distinct item (repository, entity, target table, the md5 of the
//! item's text): meeting it again on a later run counts it (`times_seen`, `last_seen_at`), so a
//! bad item the forge keeps serving does not grow the table.
//!
//! Rows are written in the transaction that writes the rest of the data, so either both or
//! neither are committed.

use anyhow::Result;
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::postgres::PgRow;

/// Longest reason kept (reasons quote the offending value, which may be long).
const MAX_REASON: usize = 1000;

/// What happened to a quarantined item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Not written.
    Held,
    /// Written with a repaired value.
    Normalised,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Held => "held",
            Action::Normalised => "normalised",
        }
    }
}

/// One item for the quarantine.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub repo_id: i64,
    /// The staged page the item came from, when it came from one.
    pub staging_id: Option<i64>,
    /// The staged entity (`issues`, `pulls`, …), or `commit`.
    pub entity: &'a str,
    /// The table the refused row was for (`""` when the whole item or page is held).
    pub target: &'a str,
    /// The item as received.
    pub item: &'a Value,
    pub reason: String,
    pub action: Action,
}

/// `s` cut to at most `max` bytes at a character boundary, marked when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Record `e` (or count it again when the same item is already there).
pub async fn record(conn: &mut PgConnection, e: &Entry<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.quarantine
             (repo_id, staging_id, entity_type, target, item, reason, action, fingerprint)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, md5($5::jsonb::text))
         ON CONFLICT (repo_id, entity_type, target, fingerprint) DO UPDATE SET
             staging_id = EXCLUDED.staging_id, reason = EXCLUDED.reason, action = EXCLUDED.action,
             times_seen = aveloxis_ops.quarantine.times_seen + 1, last_seen_at = now()",
    )
    .bind(e.repo_id)
    .bind(e.staging_id)
    .bind(e.entity)
    .bind(e.target)
    .bind(e.item)
    .bind(truncate(&e.reason, MAX_REASON))
    .bind(e.action.as_str())
    .execute(conn)
    .await?;
    tracing::warn!(
        repo_id = e.repo_id,
        entity = e.entity,
        target = e.target,
        action = e.action.as_str(),
        reason = %truncate(&e.reason, 200),
        "item quarantined"
    );
    Ok(())
}

/// One quarantined item as listed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Listed {
    pub quarantine_id: i64,
    pub repo_id: i64,
    pub staging_id: Option<i64>,
    pub entity_type: String,
    pub target: String,
    pub item: Value,
    pub reason: String,
    pub action: String,
    pub times_seen: i32,
    pub first_seen_at: String,
    pub last_seen_at: String,
}

impl<'r> sqlx::FromRow<'r, PgRow> for Listed {
    fn from_row(r: &'r PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(Listed {
            quarantine_id: r.try_get("quarantine_id")?,
            repo_id: r.try_get("repo_id")?,
            staging_id: r.try_get("staging_id")?,
            entity_type: r.try_get("entity_type")?,
            target: r.try_get("target")?,
            item: r.try_get("item")?,
            reason: r.try_get("reason")?,
            action: r.try_get("action")?,
            times_seen: r.try_get("times_seen")?,
            first_seen_at: r.try_get("first_seen_at")?,
            last_seen_at: r.try_get("last_seen_at")?,
        })
    }
}

/// The quarantined items of `repo_id` (every repository with `None`), most recently seen first.
pub async fn list(
    conn: &mut PgConnection,
    repo_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Listed>> {
    Ok(sqlx::query_as(
        "SELECT quarantine_id, repo_id, staging_id, entity_type, target, item, reason, action,
                times_seen, first_seen_at::text AS first_seen_at, last_seen_at::text AS last_seen_at
           FROM aveloxis_ops.quarantine
          WHERE $1::bigint IS NULL OR repo_id = $1
          ORDER BY last_seen_at DESC, quarantine_id DESC
          LIMIT $2 OFFSET $3",
    )
    .bind(repo_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?)
}

/// How many items are quarantined for `repo_id` (all repositories with `None`).
pub async fn count(conn: &mut PgConnection, repo_id: Option<i64>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM aveloxis_ops.quarantine WHERE $1::bigint IS NULL OR repo_id = $1",
    )
    .bind(repo_id)
    .fetch_one(conn)
    .await?)
}
