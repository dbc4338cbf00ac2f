//! The scans of one side: the session settings both sides share, the first scan of every
//! relation (count, fill outside the hash, content hash) and the follow-up of relations whose
//! sides differ.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use aveloxis_pg::quote_ident;
use serde::Serialize;
use sqlx::{PgConnection, Row};

use super::catalog::{Catalog, Relation, value_sql};

/// Settings that make the text form of values identical across sessions.
/// Returns the server's `server_version_num`.
pub async fn prepare_session(conn: &mut PgConnection) -> Result<i32> {
    sqlx::raw_sql(
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; \
         SET extra_float_digits = 3; SET bytea_output = 'hex'",
    )
    .execute(&mut *conn)
    .await
    .context("preparing the comparison session")?;
    let v: String = sqlx::query_scalar("SELECT current_setting('server_version_num')")
        .fetch_one(&mut *conn)
        .await?;
    v.parse()
        .with_context(|| format!("server_version_num {v:?} is not a number"))
}

/// `hash_record_extended` (typed row hashing) exists from PostgreSQL 14 on.
pub const TYPED_HASH_MIN_VERSION: i32 = 140_000;

/// How the content hash of a row is computed; both sides always use the same one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowHash {
    /// `hash_record_extended(ROW(…))` over typed values (text for the columns not in `typed`).
    Typed,
    /// `hashtextextended(ROW(…)::text)`: the text form of the row, for servers older than 14.
    Text,
}

/// What the scans of one relation measured on one side.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Measure {
    pub rows: i64,
    /// Non-null values per column. NOT NULL columns take the row count; a nullable column of
    /// the content hash is counted only when the table is followed up (see [`super::diff_databases`]).
    pub fill: BTreeMap<String, i64>,
    /// Multiset hash over the comparable columns (decimal text; `0` for an empty table).
    pub content_hash: String,
    /// A multiset hash of each comparable column on its own, when the follow-up scan ran with
    /// equal row counts (to name the columns that drifted).
    pub column_hashes: BTreeMap<String, String>,
    /// Why a view or matview could not be read on this side (a matview never refreshed
    /// because the side failed before `refresh-views`, or a view over one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(table))
}

/// `alias.column` as compared (a contributor id translated, see [`value_sql`]) and whether
/// that expression is text already.
fn compared(rel: &Relation, c: &str) -> (String, bool) {
    match rel.columns.get(c) {
        Some(col) => (value_sql(col, "t"), col.contributor),
        None => (format!("t.{}", quote_ident(c)), false),
    }
}

/// Nullable columns of `rel`, split into those outside the content hash (counted by the first
/// scan) and those in it (counted only by a follow-up scan).
fn nullable(rel: &Relation, hashed: &[String]) -> (Vec<String>, Vec<String>) {
    rel.columns
        .values()
        .filter(|c| !c.not_null)
        .map(|c| c.name.clone())
        .partition(|c| !hashed.contains(c))
}

/// The first scan of one relation: row count, the fill of the nullable columns outside the
/// content hash, and the content hash. `hashed` are the columns of the content hash, in a fixed
/// order shared by both sides.
pub async fn measure(
    conn: &mut PgConnection,
    rel: &Relation,
    hashed: &[String],
    typed: &BTreeSet<String>,
    mode: RowHash,
) -> Result<Measure> {
    let (cols, _) = nullable(rel, hashed);
    let mut sql = String::from("SELECT count(*)::int8 AS rows");
    for (i, c) in cols.iter().enumerate() {
        sql.push_str(&format!(", count({})::int8 AS fill_{i}", quote_ident(c)));
    }
    if hashed.is_empty() {
        sql.push_str(", '0'::text AS content");
    } else if mode == RowHash::Text {
        let row: Vec<String> = hashed.iter().map(|c| compared(rel, c).0).collect();
        sql.push_str(&format!(
            ", coalesce(sum(hashtextextended(ROW({})::text, 0)), 0)::text AS content",
            row.join(", ")
        ));
    } else {
        // Typed values hash without being rendered to text (about 4x faster); a column whose
        // type is not known to hash, or differs between the sides, is hashed as text.
        let row: Vec<String> = hashed
            .iter()
            .map(|c| match compared(rel, c) {
                (v, true) => v,
                (v, false) if typed.contains(c) => v,
                (v, false) => format!("{v}::text"),
            })
            .collect();
        sql.push_str(&format!(
            ", coalesce(sum(hashint8(hash_record_extended(ROW({}), 1))), 0)::text AS content",
            row.join(", ")
        ));
    }
    sql.push_str(&format!(" FROM {} t", qualified(&rel.schema, &rel.name)));
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("measuring {}", rel.qualified()))?;
    let mut m = Measure {
        rows: row.try_get("rows")?,
        ..Measure::default()
    };
    for c in rel.columns.values().filter(|c| c.not_null) {
        m.fill.insert(c.name.clone(), m.rows);
    }
    for (i, c) in cols.iter().enumerate() {
        m.fill
            .insert(c.clone(), row.try_get(format!("fill_{i}").as_str())?);
    }
    m.content_hash = row.try_get("content")?;
    Ok(m)
}

/// The follow-up scan of a relation whose sides differ (row count or content hash): the fill of
/// the nullable columns of the content hash and, when `per_column`, a multiset hash of every
/// hashed column on its own (NULL hashed as a sentinel), merged into `m`.
///
/// Tables whose counts and content hashes agree skip it: the same multiset of rows over the
/// compared columns has the same fill in each of them.
pub async fn follow_up(
    conn: &mut PgConnection,
    rel: &Relation,
    hashed: &[String],
    per_column: bool,
    m: &mut Measure,
) -> Result<()> {
    let (_, fill) = nullable(rel, hashed);
    let mut parts: Vec<String> = fill
        .iter()
        .enumerate()
        .map(|(i, c)| format!("count({})::int8::text AS fill_{i}", quote_ident(c)))
        .collect();
    if per_column {
        parts.extend(hashed.iter().enumerate().map(|(i, c)| {
            format!(
                "coalesce(sum(hashtextextended(coalesce({}::text, E'\\\\N<null>'), 0)), 0)::text \
                 AS hash_{i}",
                compared(rel, c).0
            )
        }));
    }
    if parts.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT {} FROM {} t",
        parts.join(", "),
        qualified(&rel.schema, &rel.name)
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("following up {}", rel.qualified()))?;
    for (i, c) in fill.iter().enumerate() {
        let n: String = row.try_get(format!("fill_{i}").as_str())?;
        m.fill.insert(c.clone(), n.parse()?);
    }
    if per_column {
        for (i, c) in hashed.iter().enumerate() {
            let h: String = row.try_get(format!("hash_{i}").as_str())?;
            m.column_hashes.insert(c.clone(), h);
        }
    }
    Ok(())
}

/// The measurements of one side, keyed like its catalog.
pub type Measures = BTreeMap<(String, String), Measure>;

/// Measure every relation of `catalog` (`hashed` gives the content columns per relation).
pub async fn measure_all(
    conn: &mut PgConnection,
    catalog: &Catalog,
    hashed: &BTreeMap<(String, String), Vec<String>>,
    typed: &BTreeMap<(String, String), BTreeSet<String>>,
    mode: RowHash,
) -> Result<Measures> {
    let mut out = Measures::new();
    let none = BTreeSet::new();
    for (key, rel) in catalog {
        let cols = hashed.get(key).cloned().unwrap_or_default();
        let typed = typed.get(key).unwrap_or(&none);
        let m = match measure(conn, rel, &cols, typed, mode).await {
            Ok(m) => m,
            // A base table always reads; a view's failure is a finding about that view.
            Err(e) if rel.kind != "table" => Measure {
                unreadable: Some(format!("{e:#}")),
                ..Measure::default()
            },
            Err(e) => return Err(e),
        };
        out.insert(key.clone(), m);
    }
    Ok(out)
}
