//! The SQL of one table, shared by both sides, and the reads it drives: per-bucket aggregates,
//! per-row hashes of the buckets that differ, key and values of the rows that differ.

use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::{Context, Result};
use aveloxis_pg::quote_ident;
use sqlx::{PgConnection, Row};

use super::keys::KeyPlan;
use super::{Key, SCHEMA};

pub(super) fn qualified(table: &str) -> String {
    format!("{}.{}", quote_ident(SCHEMA), quote_ident(table))
}

fn from_clause(table: &str, plan: &KeyPlan) -> String {
    let mut s = format!("FROM {} t", qualified(table));
    for j in &plan.joins {
        let _ = write!(
            s,
            " LEFT JOIN {} {} ON {}.{} = {}.{}",
            qualified(&j.table),
            j.alias,
            j.alias,
            quote_ident(&j.column),
            j.from_alias,
            quote_ident(&j.from_column)
        );
    }
    s
}

fn key_array(plan: &KeyPlan) -> String {
    let parts: Vec<String> = plan
        .parts
        .iter()
        .map(|p| format!("{}.{}::text", p.alias, quote_ident(&p.column)))
        .collect();
    format!("ARRAY[{}]::text[]", parts.join(", "))
}

fn row_hash(exprs: &[String]) -> String {
    if exprs.is_empty() {
        return "0::int8".into();
    }
    format!("hashtextextended(ROW({})::text, 0)", exprs.join(", "))
}

/// The SQL of each content column of `rel` (`t.col`, or a contributor id translated by
/// [`crate::table_diff::value_sql`]).
pub(super) fn content_exprs(rel: &crate::table_diff::Relation, content: &[String]) -> Vec<String> {
    content
        .iter()
        .map(|c| match rel.columns.get(c) {
            Some(col) => crate::table_diff::value_sql(col, "t"),
            None => format!("t.{}", quote_ident(c)),
        })
        .collect()
}

/// One table's reading plan, shared by both sides.
pub(super) struct TableQuery {
    pub(super) table: String,
    pub(super) plan: KeyPlan,
    pub(super) content: Vec<String>,
    /// The SQL of each content column, in `content`'s order (`t.col`, or a contributor id
    /// translated by [`crate::table_diff::value_sql`]).
    pub(super) exprs: Vec<String>,
    pub(super) scope: Option<String>,
}

impl TableQuery {
    /// Whether unmatched rows may be paired by content (the key holds a generated value and
    /// there is content to tell rows apart).
    pub(super) fn rematch(&self) -> bool {
        !self.content.is_empty() && self.plan.parts.iter().any(|p| p.generated)
    }

    fn where_clause(&self, first_param: usize) -> (String, usize) {
        match &self.scope {
            Some(s) => (format!(" WHERE {s} = ${first_param}"), first_param + 1),
            None => (String::new(), first_param),
        }
    }

    /// A 64-bit hash of the key (the merge runs on these; the key values are fetched only for
    /// the rows that differ).
    fn key_hash(&self) -> String {
        let parts: Vec<String> = self
            .plan
            .parts
            .iter()
            .map(|p| format!("{}.{}::text", p.alias, quote_ident(&p.column)))
            .collect();
        format!("hashtextextended(ROW({})::text, 0)", parts.join(", "))
    }

    /// Key hash and content hash per row, as a subquery (`kh`, `rh`).
    fn rows_sql(&self) -> String {
        let (w, _) = self.where_clause(1);
        format!(
            "SELECT {} AS kh, {} AS rh {}{w}",
            self.key_hash(),
            row_hash(&self.exprs),
            from_clause(&self.table, &self.plan)
        )
    }

    /// Per bucket of key hashes: the row count and a multiset hash of (key, content) — a sum
    /// (duplicates do not cancel) of the key hash mixed with the content hash.
    fn buckets_sql(&self) -> String {
        format!(
            "SELECT (kh & {mask})::int8, count(*)::int8, \
                    sum(kh # rh)::text \
               FROM ({}) s GROUP BY 1",
            self.rows_sql(),
            mask = BUCKETS - 1
        )
    }

    /// The rows of the given buckets.
    fn hashes_sql(&self) -> String {
        let (_, next) = self.where_clause(1);
        format!(
            "SELECT kh, rh FROM ({}) s WHERE (kh & {mask}) = ANY(${next})",
            self.rows_sql(),
            mask = BUCKETS - 1
        )
    }

    fn details_sql(&self) -> String {
        let (mut w, next) = self.where_clause(1);
        w.push_str(if w.is_empty() { " WHERE " } else { " AND " });
        let vals: Vec<String> = self.exprs.iter().map(|e| format!("{e}::text")).collect();
        format!(
            "SELECT {kh} AS kh, {} AS key, ARRAY[{}]::text[] AS vals {}{w}{kh} = ANY(${next})",
            key_array(&self.plan),
            vals.join(", "),
            from_clause(&self.table, &self.plan),
            kh = self.key_hash(),
        )
    }
}

/// One side of a table: key hash → content hashes of the rows with that key.
pub(super) type Side = HashMap<i64, Vec<i64>>;

/// Buckets of key hashes: a table is first compared per bucket (one aggregate row per
/// bucket crosses the wire); only the rows of buckets that differ are fetched.
const BUCKETS: i64 = 4096;

pub(super) type Buckets = HashMap<i64, (i64, String)>;

pub(super) async fn read_buckets(
    conn: &mut PgConnection,
    q: &TableQuery,
    repo: Option<&str>,
) -> Result<Buckets> {
    let mut query = sqlx::query_as::<_, (i64, i64, String)>(sqlx::AssertSqlSafe(q.buckets_sql()));
    if q.scope.is_some() {
        query = query.bind(repo.unwrap_or_default().to_string());
    }
    let rows = query
        .fetch_all(&mut *conn)
        .await
        .with_context(|| format!("reading {SCHEMA}.{}", q.table))?;
    Ok(rows.into_iter().map(|(b, n, h)| (b, (n, h))).collect())
}

pub(super) async fn read_hashes(
    conn: &mut PgConnection,
    q: &TableQuery,
    repo: Option<&str>,
    buckets: &[i64],
) -> Result<Side> {
    if buckets.is_empty() {
        return Ok(Side::new());
    }
    let mut query = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(q.hashes_sql()));
    if q.scope.is_some() {
        query = query.bind(repo.unwrap_or_default().to_string());
    }
    let rows = query
        .bind(buckets.to_vec())
        .fetch_all(&mut *conn)
        .await
        .with_context(|| format!("reading {SCHEMA}.{}", q.table))?;
    let mut out: Side = HashMap::with_capacity(rows.len());
    for (k, h) in rows {
        out.entry(k).or_default().push(h);
    }
    Ok(out)
}

/// The key values and comparable values of the rows whose key hash is in `wanted`.
pub(super) type Details = HashMap<i64, (Key, Vec<Option<String>>)>;

pub(super) async fn read_details(
    conn: &mut PgConnection,
    q: &TableQuery,
    repo: Option<&str>,
    wanted: &[i64],
) -> Result<Details> {
    if wanted.is_empty() {
        return Ok(Details::new());
    }
    let mut query = sqlx::query(sqlx::AssertSqlSafe(q.details_sql()));
    if q.scope.is_some() {
        query = query.bind(repo.unwrap_or_default().to_string());
    }
    let rows = query
        .bind(wanted.to_vec())
        .fetch_all(&mut *conn)
        .await
        .with_context(|| format!("reading differing rows of {SCHEMA}.{}", q.table))?;
    let mut out = Details::new();
    for r in rows {
        let kh: i64 = r.try_get("kh")?;
        out.entry(kh)
            .or_insert((r.try_get("key")?, r.try_get("vals")?));
    }
    Ok(out)
}
