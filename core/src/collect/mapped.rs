//! Rows mapped from a repository's staged pages, each with the staged item it came from, and
//! the items a mapper refused; written by [`write_rows`] with every refusal quarantined.
//!
//! Where a bad value is caught: a mapper refuses an item only for what it must read itself —
//! an item that is not an object, a listing page that is not a list, an identity field (`id`,
//! `number`) that is not an integer. Every other value is typed by the database, the one
//! parser (so the collector accepts exactly what PostgreSQL accepts): the upsert isolates the
//! rows it refuses ([`super::upsert`]) and they are quarantined here with the item they came
//! from. Rows derived from a refused row (an issue's labels) then have no parent and are
//! counted as orphans, as any child of a missing parent is.

use std::collections::HashMap;

use anyhow::{Result, bail};
use serde_json::Value;
use sqlx::PgConnection;

use super::specs::{self, Entity};
use super::{Counts, Staged, upsert};
use crate::quarantine::{self, Action, Entry};

/// Where a mapped row came from: a staged page and, for a listing, the item's index on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub staging_id: i64,
    pub item: Option<usize>,
}

/// An item (or page) a mapper refused.
#[derive(Clone, Debug)]
struct Refusal {
    origin: Origin,
    entity: String,
    reason: String,
}

/// Every item of the pages of `entity` in `staged`, in staging order, with its origin.
pub fn items<'s>(
    staged: &'s [Staged],
    entity: &'static str,
) -> impl Iterator<Item = (Origin, &'s Staged, &'s Value)> {
    staged
        .iter()
        .filter(move |s| s.entity == entity)
        .flat_map(|s| {
            s.items().enumerate().map(move |(i, v)| {
                let origin = Origin {
                    staging_id: s.staging_id,
                    item: Some(i),
                };
                (origin, s, v)
            })
        })
}

/// The rows mapped from one repository's staged pages.
pub struct Mapped<'a> {
    repo_id: i64,
    staged: &'a [Staged],
    rows: HashMap<&'static str, Vec<Value>>,
    origins: HashMap<&'static str, Vec<Option<Origin>>>,
    refused: Vec<Refusal>,
    /// The item being mapped: rows pushed now came from it.
    at: Option<Origin>,
}

impl<'a> Mapped<'a> {
    pub fn new(repo_id: i64, staged: &'a [Staged]) -> Mapped<'a> {
        let mut m = Mapped {
            repo_id,
            staged,
            rows: HashMap::new(),
            origins: HashMap::new(),
            refused: Vec::new(),
            at: None,
        };
        m.refuse_malformed_pages();
        m
    }

    /// Rows pushed from now on come from `origin`.
    pub fn at(&mut self, origin: Origin) {
        self.at = Some(origin);
    }

    /// A row of kind `kind` (an [`Entity::key`]) from the current item.
    pub fn push(&mut self, kind: &'static str, v: Value) {
        self.rows.entry(kind).or_default().push(v);
        self.origins.entry(kind).or_default().push(self.at);
    }

    /// Refuse the current item: it is quarantined with `reason`, and nothing is mapped from it.
    pub fn refuse(&mut self, reason: String) {
        let Some(origin) = self.at else { return };
        let entity = self
            .page(origin.staging_id)
            .map_or_else(String::new, |p| p.entity.clone());
        self.refused.push(Refusal {
            origin,
            entity,
            reason,
        });
    }

    /// `v[field]` as an integer; otherwise the current item is refused, naming the field.
    pub fn integer(&mut self, v: &Value, field: &str) -> Option<i64> {
        if !v.is_object() {
            self.refuse(format!("the item is not a JSON object: {}", excerpt(v)));
            return None;
        }
        let n = v[field].as_i64();
        if n.is_none() {
            self.refuse(format!("{field}: not an integer: {}", excerpt(&v[field])));
        }
        n
    }

    fn page(&self, staging_id: i64) -> Option<&'a Staged> {
        self.staged.iter().find(|s| s.staging_id == staging_id)
    }

    /// A page staged as a listing whose body is neither a list nor empty has no items to map:
    /// it is held whole (single-object pages — the repository, the project, statistics,
    /// clones, approvals — are not listings).
    fn refuse_malformed_pages(&mut self) {
        for s in self.staged {
            if !s.payload.is_array() && !s.payload.is_null() && is_listing(&s.entity) {
                self.refused.push(Refusal {
                    origin: Origin {
                        staging_id: s.staging_id,
                        item: None,
                    },
                    entity: s.entity.clone(),
                    reason: format!(
                        "the {} page is not a JSON list: {}",
                        s.entity,
                        excerpt(&s.payload)
                    ),
                });
            }
        }
    }

    /// The item (or page) `origin` names, as staged.
    fn item(&self, origin: Origin) -> Value {
        let Some(page) = self.page(origin.staging_id) else {
            return Value::Null;
        };
        match origin.item {
            Some(i) => page.payload.get(i).cloned().unwrap_or(Value::Null),
            None => page.payload.clone(),
        }
    }
}

/// Staged entities whose pages are one object rather than a list.
fn is_listing(entity: &str) -> bool {
    !matches!(
        entity,
        "repo" | "project" | "issues_statistics" | "clones" | "mr_approvals"
    )
}

/// The start of `v`'s JSON text (for a reason).
fn excerpt(v: &Value) -> String {
    quarantine::truncate(&v.to_string(), 200)
}

/// Write mapped rows (keyed as in [`specs::Entity::key`]) in dependency order, and quarantine
/// what the mappers and the database refused. A key without a write rule is an error: rows are
/// never dropped silently.
pub(crate) async fn write_rows(
    conn: &mut PgConnection,
    mut rows: Mapped<'_>,
    counts: &mut Counts,
) -> Result<()> {
    for r in std::mem::take(&mut rows.refused) {
        let item = rows.item(r.origin);
        hold(
            conn,
            rows.repo_id,
            Some(r.origin),
            &r.entity,
            "",
            &item,
            r.reason,
        )
        .await?;
        counts.quarantine(&r.entity);
    }
    // Parents written in this batch, for the children their documents state in full.
    let mut parents: HashMap<Entity, Vec<Value>> = HashMap::new();
    for &entity in specs::all() {
        let batch = rows.rows.remove(entity.key()).unwrap_or_default();
        let origins = rows.origins.remove(entity.key()).unwrap_or_default();
        if !batch.is_empty() {
            write_entity(conn, &rows, entity, &batch, &origins, counts).await?;
        }
        if let Some(parent) = super::derived::stated_by(entity)
            && let Some(listed) = parents.get(&parent)
        {
            super::derived::drop_unstated(conn, rows.repo_id, entity, listed, &batch).await?;
        }
        if matches!(entity, Entity::Issues | Entity::PullRequests) {
            parents.insert(entity, batch);
        }
    }
    if let Some(key) = rows.rows.keys().next() {
        bail!("mapped rows of kind {key:?} have no write rule");
    }
    Ok(())
}

/// Upsert `batch` of `entity`; the rows the database refuses are quarantined with the item each
/// came from (`origins`, parallel to `batch`), or the row itself when it came from none.
pub(crate) async fn write_entity(
    conn: &mut PgConnection,
    m: &Mapped<'_>,
    entity: Entity,
    batch: &[Value],
    origins: &[Option<Origin>],
    counts: &mut Counts,
) -> Result<u64> {
    let mut w = upsert::upsert(conn, entity, batch).await?;
    for r in std::mem::take(&mut w.refused) {
        let origin = origins.get(r.index).copied().flatten();
        let (item, kind) = match origin {
            Some(o) => (
                m.item(o),
                m.page(o.staging_id)
                    .map_or(entity.key(), |p| p.entity.as_str()),
            ),
            None => (batch[r.index].clone(), entity.key()),
        };
        let kind = kind.to_owned();
        hold(
            conn,
            m.repo_id,
            origin,
            &kind,
            entity.table(),
            &item,
            r.reason,
        )
        .await?;
        counts.quarantine(&kind);
    }
    let rows = w.rows;
    counts.add(entity.key(), w);
    Ok(rows)
}

/// Quarantine `item` as held.
async fn hold(
    conn: &mut PgConnection,
    repo_id: i64,
    origin: Option<Origin>,
    entity: &str,
    target: &str,
    item: &Value,
    reason: String,
) -> Result<()> {
    quarantine::record(
        conn,
        &Entry {
            repo_id,
            staging_id: origin.map(|o| o.staging_id),
            entity,
            target,
            item,
            reason,
            action: Action::Held,
        },
    )
    .await
}

/// Write the repository's own object (`write` in a savepoint): a value the database refuses
/// holds the object in the quarantine instead of failing the run.
pub(crate) async fn write_object<F>(
    conn: &mut PgConnection,
    repo_id: i64,
    page: &Staged,
    write: F,
) -> Result<()>
where
    F: AsyncFnOnce(&mut PgConnection) -> Result<()>,
{
    use sqlx::Connection;
    let mut sp = conn.begin().await?;
    let e = match write(&mut sp).await {
        Ok(()) => return Ok(sp.commit().await?),
        Err(e) => e,
    };
    let by_value = e
        .chain()
        .find_map(|c| c.downcast_ref::<sqlx::Error>())
        .is_some_and(upsert::refused_for_a_value);
    if !by_value {
        return Err(e);
    }
    sp.rollback().await?;
    let origin = Origin {
        staging_id: page.staging_id,
        item: None,
    };
    let reason = format!("{e:#}");
    hold(
        conn,
        repo_id,
        Some(origin),
        &page.entity,
        "",
        &page.payload,
        reason,
    )
    .await
}
