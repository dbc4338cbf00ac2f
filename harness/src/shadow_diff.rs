//! Row-level comparison of two databases: `harness shadow-diff`.
//!
//! `data-test` says *which* tables lost data; shadow-diff says *which rows*. Every base table of
//! `aveloxis_data` (self-discovered on both sides) is compared row by row, keyed by values that
//! mean the same thing in both databases:
//!
//! - **The key** of a table is its natural-key unique index in the live catalog: a unique,
//!   valid, non-partial index on plain columns none of which is the table's own serial id
//!   (the primary key is preferred, then constraint-backed indexes, then the narrowest).
//! - **Local serial ids are translated through their parents.** A key column that references a
//!   serial column of another table (by foreign key, or — for references without a
//!   constraint — by carrying the name of exactly one table's serial id) is replaced by that
//!   parent's own key, recursively: `issue_id` → (`repo_git`, `platform_issue_id`),
//!   `pr_review_id` → (`repo_git`, `platform_pr_id`, `platform_review_id`), `repo_id` →
//!   `repo_git`. Columns that are not serial (`platform_id`, the deterministic `cntrb_id`) stay.
//! - Tables without such a key are skipped and listed as skipped.
//! - **Content** is compared over the comparable columns of `diff.rs` ([`diff::discover`],
//!   [`diff::hashed_columns`]: no surrogate ids or references to them, no insert-time values,
//!   no collection metadata), minus the key columns.
//!
//! Each side is read with one query per table that returns the translated key and a 64-bit
//! content hash per row (`hashtextextended(ROW(…)::text, 0)`, values in the session-stable
//! text form of [`diff::prepare_session`]); both sides run concurrently and are merged in a hash
//! map. Only when rows share a key but not a hash is a second query made, fetching the text of
//! the comparable columns of just those rows (selected by their hashes) to name the columns and
//! show the values.
//!
//! Verdicts per table: **FAIL missing** (keys on released absent on new), **FAIL content** (same
//! key, different values), **FLAG extra** (keys only on new). Exit 1 on any FAIL.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::hash::Hash;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use aveloxis_pg::quote_ident;
use serde::Serialize;
use sqlx::{Connection, PgConnection, Row};

use crate::data_test::md_escape;
use crate::diff::{self, Catalog, Verdict};
use crate::schema_check::redact;

/// The schema shadow-diff compares.
pub const SCHEMA: &str = "aveloxis_data";
const REPOS: &str = "repos";
const REPO_KEY: &str = "repo_git";
/// Longest value shown in an example.
const EXAMPLE_CHARS: usize = 160;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The database collected by the released version (libpq-style URL).
    #[arg(long, value_name = "DSN")]
    pub released_dsn: String,
    /// The database collected by the new version.
    #[arg(long, value_name = "DSN")]
    pub new_dsn: String,
    /// Only this repository, by its id in the released database (matched on new by repo_git).
    #[arg(long, value_name = "N", conflicts_with = "repo")]
    pub repo_id: Option<i64>,
    /// Only this repository, by its URL (`repos.repo_git`).
    #[arg(long, value_name = "URL")]
    pub repo: Option<String>,
    /// Print the report as JSON instead of markdown.
    #[arg(long)]
    pub json: bool,
    /// Example rows shown per category.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub examples: usize,
    /// Only these tables of aveloxis_data (repeatable; default: all).
    #[arg(long = "table", value_name = "NAME")]
    pub tables: Vec<String>,
}

/// Which rows are compared.
#[derive(Clone, Debug)]
pub enum Scope {
    All,
    /// A repository by its id on the released side.
    RepoId(i64),
    /// A repository by its `repo_git`.
    Repo(String),
}

/// A key as text values, one per key column (`None` = NULL).
pub type Key = Vec<Option<String>>;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Category {
    pub rows: usize,
    /// Key values (in the order of `key_columns`) of up to N rows.
    pub examples: Vec<Key>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ValueDiff {
    pub column: String,
    pub released: Option<String>,
    pub new: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ContentExample {
    pub key: Key,
    pub differences: Vec<ValueDiff>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ColumnCount {
    pub column: String,
    pub rows: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ContentCategory {
    pub rows: usize,
    /// The columns that differ, with how many rows differ in each.
    pub columns: Vec<ColumnCount>,
    pub examples: Vec<ContentExample>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TableDiff {
    pub table: String,
    pub verdict: Verdict,
    /// The stable key, after translating serial ids through their parents.
    pub key_columns: Vec<String>,
    /// The unique index the key was derived from.
    pub key_index: String,
    pub compared_columns: Vec<String>,
    pub released_rows: usize,
    pub new_rows: usize,
    pub fail_missing: Category,
    pub fail_content: ContentCategory,
    pub flag_extra: Category,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub table: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub total_tables: usize,
    pub tables_with_fails: usize,
    pub tables_with_flags: usize,
    pub tables_skipped: usize,
    pub fail_missing_rows: usize,
    pub fail_content_rows: usize,
    pub flag_extra_rows: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub generated_at: String,
    pub released: String,
    pub new: String,
    /// The repository compared (`repo_git`), when restricted.
    pub repo: Option<String>,
    pub tables: Vec<TableDiff>,
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
    /// Rows read on both sides.
    pub rows_read: usize,
    pub seconds: f64,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.tables.iter().any(|t| t.verdict == Verdict::Fail)
    }
}

// ---------------------------------------------------------------------------------------------
// The key catalog

#[derive(Clone, Debug)]
struct UniqueIndex {
    name: String,
    primary: bool,
    constraint: bool,
    columns: Vec<String>,
}

/// What one side's catalog says about keys.
struct Keys {
    rels: Catalog,
    uniques: BTreeMap<String, Vec<UniqueIndex>>,
    /// (table, column) → (parent table, parent column), single-column FKs within the schema.
    fks: BTreeMap<(String, String), (String, String)>,
    /// Serial column name → the tables whose single-column unique key it is.
    serial_owners: BTreeMap<String, Vec<String>>,
}

impl Keys {
    async fn load(conn: &mut PgConnection) -> Result<Keys> {
        let rels = diff::discover(conn, &[SCHEMA], false).await?;
        let rows = sqlx::query(
            r#"
            SELECT c.relname::text, i.relname::text, x.indisprimary,
                   EXISTS (SELECT 1 FROM pg_constraint k
                            WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u')),
                   array(SELECT a.attname::text
                           FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS u(att, ord)
                           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.att
                          WHERE u.ord <= x.indnkeyatts
                          ORDER BY u.ord)
              FROM pg_index x
              JOIN pg_class c ON c.oid = x.indrelid
              JOIN pg_class i ON i.oid = x.indexrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND x.indisunique AND x.indisvalid
               AND x.indpred IS NULL AND x.indexprs IS NULL
            "#,
        )
        .bind(SCHEMA)
        .fetch_all(&mut *conn)
        .await
        .context("reading unique indexes")?;
        let mut uniques: BTreeMap<String, Vec<UniqueIndex>> = BTreeMap::new();
        for r in rows {
            uniques
                .entry(r.get::<String, _>(0))
                .or_default()
                .push(UniqueIndex {
                    name: r.get(1),
                    primary: r.get(2),
                    constraint: r.get(3),
                    columns: r.get(4),
                });
        }
        let rows = sqlx::query(
            r#"
            SELECT c.relname::text, a.attname::text, pc.relname::text, pa.attname::text
              FROM pg_constraint k
              JOIN pg_class c ON c.oid = k.conrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_class pc ON pc.oid = k.confrelid
              JOIN pg_namespace pn ON pn.oid = pc.relnamespace
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
              JOIN pg_attribute pa ON pa.attrelid = pc.oid AND pa.attnum = k.confkey[1]
             WHERE k.contype = 'f' AND n.nspname = $1 AND pn.nspname = $1
               AND cardinality(k.conkey) = 1
            "#,
        )
        .bind(SCHEMA)
        .fetch_all(&mut *conn)
        .await
        .context("reading foreign keys")?;
        let fks = rows
            .into_iter()
            .map(|r| ((r.get(0), r.get(1)), (r.get(2), r.get(3))))
            .collect();
        let mut serial_owners: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (table, idxs) in &uniques {
            for idx in idxs {
                if let [col] = idx.columns.as_slice()
                    && rels
                        .get(&(SCHEMA.to_string(), table.clone()))
                        .and_then(|r| r.columns.get(col))
                        .is_some_and(|c| c.serial)
                {
                    serial_owners
                        .entry(col.clone())
                        .or_default()
                        .push(table.clone());
                }
            }
        }
        Ok(Keys {
            rels,
            uniques,
            fks,
            serial_owners,
        })
    }

    fn is_serial(&self, table: &str, column: &str) -> bool {
        self.rels
            .get(&(SCHEMA.to_string(), table.to_string()))
            .and_then(|r| r.columns.get(column))
            .is_some_and(|c| c.serial)
    }

    fn has_column(&self, table: &str, column: &str) -> bool {
        self.rels
            .get(&(SCHEMA.to_string(), table.to_string()))
            .is_some_and(|r| r.columns.contains_key(column))
    }

    /// Whether `table.column` gets its value at insert time without being serial (e.g.
    /// `gen_random_uuid()`, or a reference to such a column).
    fn is_generated(&self, table: &str, column: &str) -> bool {
        self.rels
            .get(&(SCHEMA.to_string(), table.to_string()))
            .and_then(|r| r.columns.get(column))
            .is_some_and(|c| c.generated)
    }

    /// The parent whose serial id `table.column` holds, if any, and whether a foreign key says
    /// so (otherwise only the column's name does).
    fn serial_parent(&self, table: &str, column: &str) -> Option<(String, String, bool)> {
        if self.is_serial(table, column) {
            return None;
        }
        if let Some((pt, pc)) = self.fks.get(&(table.to_string(), column.to_string())) {
            return self
                .is_serial(pt, pc)
                .then(|| (pt.clone(), pc.clone(), true));
        }
        match self.serial_owners.get(column).map(Vec::as_slice) {
            Some([owner]) if owner != table => Some((owner.clone(), column.to_string(), false)),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Join {
    alias: String,
    table: String,
    column: String,
    from_alias: String,
    from_column: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyPart {
    /// FK columns followed to reach the value.
    via: Vec<String>,
    alias: String,
    column: String,
    /// The value is generated at insert time (see [`Keys::is_generated`]).
    generated: bool,
}

/// How to read a table's stable key.
#[derive(Clone, Debug, PartialEq, Eq)]
struct KeyPlan {
    index: String,
    parts: Vec<KeyPart>,
    joins: Vec<Join>,
}

impl KeyPlan {
    fn labels(&self) -> Vec<String> {
        let plain: Vec<&String> = self.parts.iter().map(|p| &p.column).collect();
        self.parts
            .iter()
            .map(|p| {
                if plain.iter().filter(|c| **c == &p.column).count() > 1 && !p.via.is_empty() {
                    format!("{}.{}", p.via.join("."), p.column)
                } else {
                    p.column.clone()
                }
            })
            .collect()
    }
}

const MAX_DEPTH: usize = 8;

fn plan_parts(
    keys: &Keys,
    table: &str,
    alias: &str,
    via: &[String],
    joins: &mut Vec<Join>,
    depth: usize,
) -> std::result::Result<(String, Vec<KeyPart>), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "key path through {table} is deeper than {MAX_DEPTH}"
        ));
    }
    let mut candidates: Vec<&UniqueIndex> = keys
        .uniques
        .get(table)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    candidates.retain(|i| !i.columns.iter().any(|c| keys.is_serial(table, c)));
    candidates.sort_by(|a, b| {
        (!a.primary, !a.constraint, a.columns.len(), &a.name).cmp(&(
            !b.primary,
            !b.constraint,
            b.columns.len(),
            &b.name,
        ))
    });
    if candidates.is_empty() {
        return Err(format!(
            "{table} has no unique key free of serial ids (only a surrogate key)"
        ));
    }
    let mut last_err = String::new();
    'idx: for idx in candidates {
        let mark = joins.len();
        let mut parts = Vec::new();
        for col in &idx.columns {
            if let Some((pt, pc, by_fk)) = keys.serial_parent(table, col) {
                let child = format!("p{}", joins.len() + 1);
                let before = joins.len();
                joins.push(Join {
                    alias: child.clone(),
                    table: pt.clone(),
                    column: pc,
                    from_alias: alias.to_string(),
                    from_column: col.clone(),
                });
                let mut v = via.to_vec();
                v.push(col.clone());
                match plan_parts(keys, &pt, &child, &v, joins, depth + 1) {
                    Ok((_, sub)) => {
                        parts.extend(sub);
                        continue;
                    }
                    Err(e) if by_fk => {
                        last_err = format!("{col} → {pt}: {e}");
                        joins.truncate(mark);
                        continue 'idx;
                    }
                    // Only the name suggested a parent: the column is a value of its own.
                    Err(_) => joins.truncate(before),
                }
            }
            parts.push(KeyPart {
                via: via.to_vec(),
                alias: alias.to_string(),
                column: col.clone(),
                generated: keys.is_generated(table, col),
            });
        }
        return Ok((idx.name.clone(), parts));
    }
    Err(last_err)
}

fn plan_table(keys: &Keys, table: &str) -> std::result::Result<KeyPlan, String> {
    let mut joins = Vec::new();
    let (index, parts) = plan_parts(keys, table, "t", &[], &mut joins, 0)?;
    Ok(KeyPlan {
        index,
        parts,
        joins,
    })
}

fn qualified(table: &str) -> String {
    format!("{}.{}", quote_ident(SCHEMA), quote_ident(table))
}

/// The SQL that scopes a table to one repository (`repo_git = $1`), adding the join it needs;
/// `None` when the table is not tied to a repository.
fn repo_scope(keys: &Keys, table: &str, plan: &mut KeyPlan) -> Option<String> {
    if table == REPOS {
        return Some(format!("t.{}", quote_ident(REPO_KEY)));
    }
    if keys.has_column(table, "repo_id") {
        let existing = plan
            .joins
            .iter()
            .find(|j| j.from_alias == "t" && j.from_column == "repo_id" && j.table == REPOS);
        let alias = match existing {
            Some(j) => j.alias.clone(),
            None => {
                plan.joins.push(Join {
                    alias: "scope_repo".into(),
                    table: REPOS.into(),
                    column: "repo_id".into(),
                    from_alias: "t".into(),
                    from_column: "repo_id".into(),
                });
                "scope_repo".into()
            }
        };
        return Some(format!("{alias}.{}", quote_ident(REPO_KEY)));
    }
    plan.joins
        .iter()
        .find(|j| j.table == REPOS)
        .map(|j| format!("{}.{}", j.alias, quote_ident(REPO_KEY)))
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

fn row_hash(content: &[String]) -> String {
    if content.is_empty() {
        return "0::int8".into();
    }
    let cols: Vec<String> = content
        .iter()
        .map(|c| format!("t.{}", quote_ident(c)))
        .collect();
    format!("hashtextextended(ROW({})::text, 0)", cols.join(", "))
}

/// One table's reading plan, shared by both sides.
struct TableQuery {
    table: String,
    plan: KeyPlan,
    content: Vec<String>,
    scope: Option<String>,
}

impl TableQuery {
    /// Whether unmatched rows may be paired by content (the key holds a generated value and
    /// there is content to tell rows apart).
    fn rematch(&self) -> bool {
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
            row_hash(&self.content),
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
        let vals: Vec<String> = self
            .content
            .iter()
            .map(|c| format!("t.{}::text", quote_ident(c)))
            .collect();
        format!(
            "SELECT {kh}, {}, ARRAY[{}]::text[] {}{w}{kh} = ANY(${next})",
            key_array(&self.plan),
            vals.join(", "),
            from_clause(&self.table, &self.plan),
            kh = self.key_hash(),
        )
    }
}

/// One side of a table: key hash → content hashes of the rows with that key.
type Side = HashMap<i64, Vec<i64>>;

/// Buckets of key hashes: a table is first compared per bucket (one aggregate row per
/// bucket crosses the wire); only the rows of buckets that differ are fetched.
const BUCKETS: i64 = 4096;

type Buckets = HashMap<i64, (i64, String)>;

async fn read_buckets(
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

async fn read_hashes(
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
type Details = HashMap<i64, (Key, Vec<Option<String>>)>;

async fn read_details(
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
        let kh: i64 = r.try_get(0)?;
        out.entry(kh).or_insert((r.try_get(1)?, r.try_get(2)?));
    }
    Ok(out)
}

fn clip(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|s| {
        if s.chars().count() > EXAMPLE_CHARS {
            let mut t: String = s.chars().take(EXAMPLE_CHARS).collect();
            t.push('…');
            t
        } else {
            s.clone()
        }
    })
}

/// Rows whose keys are looked up to choose examples from (the smallest key hashes: a
/// deterministic sample when a category is large).
const EXAMPLE_POOL: usize = 1000;

fn example_pool(keys: &[(&i64, usize)]) -> Vec<i64> {
    let mut v: Vec<i64> = keys.iter().map(|(k, _)| **k).collect();
    v.sort_unstable();
    v.truncate(EXAMPLE_POOL);
    v
}

/// Up to `n` example keys, in key order (NULLs first, then text order).
fn examples_of(pool: &[i64], details: &Details, n: usize) -> Vec<Key> {
    let mut keys: Vec<Key> = pool
        .iter()
        .filter_map(|kh| details.get(kh).map(|(k, _)| k.clone()))
        .collect();
    keys.sort();
    keys.truncate(n);
    keys
}

/// How the rows of two sides pair up by key.
#[derive(Debug)]
struct Matched<'a, K> {
    /// Keys with rows on released absent on new, and how many rows.
    missing: Vec<(&'a K, usize)>,
    /// Keys with rows only on new, and how many rows.
    extra: Vec<(&'a K, usize)>,
    /// Keys on both sides whose content differs.
    drifted: Vec<&'a K>,
    duplicate_keys: usize,
    /// Missing/extra row pairs with equal content (a key generated at insert time).
    rematched: usize,
}

/// Pair the rows of both sides by key. With `rematch`, rows missing on new and rows only on new
/// that carry the same content hash are taken for the same row under a different generated key.
fn match_rows<'a, K: Hash + Eq>(
    released: &'a HashMap<K, Vec<i64>>,
    new: &'a HashMap<K, Vec<i64>>,
    rematch: bool,
) -> Matched<'a, K> {
    let mut m = Matched {
        missing: Vec::new(),
        extra: Vec::new(),
        drifted: Vec::new(),
        duplicate_keys: 0,
        rematched: 0,
    };
    let mut lone_r: Vec<(&K, i64)> = Vec::new();
    let mut lone_n: Vec<(&K, i64)> = Vec::new();
    for (k, rh) in released {
        match new.get(k) {
            None => lone_r.extend(rh.iter().map(|h| (k, *h))),
            Some(nh) => {
                if rh.len() > 1 || nh.len() > 1 {
                    m.duplicate_keys += 1;
                }
                if rh.len() > nh.len() {
                    m.missing.push((k, rh.len() - nh.len()));
                } else if nh.len() > rh.len() {
                    m.extra.push((k, nh.len() - rh.len()));
                } else if rh.len() == 1 {
                    if rh[0] != nh[0] {
                        m.drifted.push(k);
                    }
                } else {
                    let (mut a, mut b) = (rh.clone(), nh.clone());
                    a.sort_unstable();
                    b.sort_unstable();
                    if a != b {
                        m.drifted.push(k);
                    }
                }
            }
        }
    }
    for (k, nh) in new {
        if !released.contains_key(k) {
            lone_n.extend(nh.iter().map(|h| (k, *h)));
        }
    }
    if rematch && !lone_r.is_empty() && !lone_n.is_empty() {
        let mut by_hash: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, (_, h)) in lone_n.iter().enumerate() {
            by_hash.entry(*h).or_default().push(i);
        }
        let mut taken = vec![false; lone_n.len()];
        lone_r.retain(|(_, h)| match by_hash.get_mut(h).and_then(Vec::pop) {
            Some(i) => {
                taken[i] = true;
                m.rematched += 1;
                false
            }
            None => true,
        });
        let mut i = 0;
        lone_n.retain(|_| {
            i += 1;
            !taken[i - 1]
        });
    }
    let group = |rows: Vec<(&'a K, i64)>, into: &mut Vec<(&'a K, usize)>| {
        let mut counts: HashMap<&'a K, usize> = HashMap::new();
        for (k, _) in rows {
            *counts.entry(k).or_default() += 1;
        }
        into.extend(counts);
    };
    group(lone_r, &mut m.missing);
    group(lone_n, &mut m.extra);
    m
}

#[allow(clippy::too_many_arguments)]
async fn compare_table(
    released: &mut PgConnection,
    new: &mut PgConnection,
    q: &TableQuery,
    repo: Option<&str>,
    labels: Vec<String>,
    examples: usize,
    rows_read: &mut usize,
) -> Result<TableDiff> {
    let (rb, nb) = tokio::try_join!(read_buckets(released, q, repo), read_buckets(new, q, repo))?;
    let rn: usize = rb.values().map(|(n, _)| *n as usize).sum();
    let nn: usize = nb.values().map(|(n, _)| *n as usize).sum();
    *rows_read += rn + nn;
    let mut differing: Vec<i64> = rb
        .iter()
        .filter(|(b, v)| nb.get(*b) != Some(*v))
        .map(|(b, _)| *b)
        .chain(nb.keys().filter(|b| !rb.contains_key(*b)).copied())
        .collect();
    differing.sort_unstable();
    let (rside, nside) = tokio::try_join!(
        read_hashes(released, q, repo, &differing),
        read_hashes(new, q, repo, &differing)
    )?;
    let m = match_rows(&rside, &nside, q.rematch());
    let mut notes = Vec::new();
    if m.duplicate_keys > 0 {
        notes.push(format!(
            "{} key(s) match more than one row (NULL in the key or an unresolved parent); \
             compared as multisets",
            m.duplicate_keys
        ));
    }
    if m.rematched > 0 {
        notes.push(format!(
            "{} row(s) whose key is generated at insert time differ only in that key; \
             matched by content",
            m.rematched
        ));
    }
    let missing_rows: usize = m.missing.iter().map(|(_, n)| n).sum();
    let extra_rows: usize = m.extra.iter().map(|(_, n)| n).sum();

    // The key values (and, for drifted rows, the comparable values) of the rows that differ.
    let missing_pool = example_pool(&m.missing);
    let extra_pool = example_pool(&m.extra);
    let drifted: Vec<i64> = m.drifted.iter().map(|k| **k).collect();
    let r_wanted: Vec<i64> = missing_pool.iter().chain(&drifted).copied().collect();
    let n_wanted: Vec<i64> = extra_pool.iter().chain(&drifted).copied().collect();
    let (rd, nd) = tokio::try_join!(
        read_details(released, q, repo, &r_wanted),
        read_details(new, q, repo, &n_wanted)
    )?;

    let mut content = ContentCategory {
        rows: drifted.len(),
        ..ContentCategory::default()
    };
    let mut per_column: BTreeMap<String, usize> = BTreeMap::new();
    let mut found: Vec<(&Key, Vec<ValueDiff>)> = Vec::new();
    for kh in &drifted {
        let (Some((key, a)), Some((_, b))) = (rd.get(kh), nd.get(kh)) else {
            continue;
        };
        let diffs: Vec<ValueDiff> = q
            .content
            .iter()
            .enumerate()
            .filter(|(i, _)| a.get(*i) != b.get(*i))
            .map(|(i, c)| ValueDiff {
                column: c.clone(),
                released: clip(&a[i]),
                new: clip(&b[i]),
            })
            .collect();
        for d in &diffs {
            *per_column.entry(d.column.clone()).or_default() += 1;
        }
        if !diffs.is_empty() {
            found.push((key, diffs));
        }
    }
    found.sort_by(|a, b| a.0.cmp(b.0));
    content.examples = found
        .into_iter()
        .take(examples)
        .map(|(k, differences)| ContentExample {
            key: k.clone(),
            differences,
        })
        .collect();
    content.columns = per_column
        .into_iter()
        .map(|(column, rows)| ColumnCount { column, rows })
        .collect();

    let verdict = if missing_rows > 0 || content.rows > 0 {
        Verdict::Fail
    } else if extra_rows > 0 {
        Verdict::Flag
    } else {
        Verdict::Pass
    };
    Ok(TableDiff {
        table: q.table.clone(),
        verdict,
        key_columns: labels,
        key_index: q.plan.index.clone(),
        compared_columns: q.content.clone(),
        released_rows: rn,
        new_rows: nn,
        fail_missing: Category {
            rows: missing_rows,
            examples: examples_of(&missing_pool, &rd, examples),
        },
        fail_content: content,
        flag_extra: Category {
            rows: extra_rows,
            examples: examples_of(&extra_pool, &nd, examples),
        },
        notes,
    })
}

async fn count_rows(conn: &mut PgConnection, table: &str) -> Result<usize> {
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {}",
        qualified(table)
    )))
    .fetch_one(&mut *conn)
    .await
    .with_context(|| format!("counting {SCHEMA}.{table}"))?;
    Ok(n as usize)
}

/// Resolve the scope to a `repo_git` (a `--repo-id` is looked up on the released side).
async fn resolve_repo(
    released: &mut PgConnection,
    new: &mut PgConnection,
    scope: &Scope,
) -> Result<Option<String>> {
    let git = match scope {
        Scope::All => return Ok(None),
        Scope::Repo(url) => url.clone(),
        Scope::RepoId(id) => sqlx::query_scalar::<_, String>(
            "SELECT repo_git FROM aveloxis_data.repos WHERE repo_id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *released)
        .await
        .context("looking up --repo-id on the released database")?
        .with_context(|| format!("repo_id {id} does not exist in the released database"))?,
    };
    let mut found = false;
    for conn in [released, new] {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM aveloxis_data.repos WHERE repo_git = $1")
                .bind(&git)
                .fetch_one(&mut *conn)
                .await
                .context("looking up the repository")?;
        found |= n > 0;
    }
    if !found {
        bail!("repository {git} is in neither database");
    }
    Ok(Some(git))
}

/// Compare two connected databases row by row. `only` limits the tables (names in
/// aveloxis_data; empty = all).
pub async fn compare_databases(
    released: &mut PgConnection,
    new: &mut PgConnection,
    scope: &Scope,
    examples: usize,
    only: &[String],
) -> Result<Report> {
    let start = Instant::now();
    for conn in [&mut *released, &mut *new] {
        diff::prepare_session(conn).await?;
        // Room for the per-bucket aggregation without spilling to disk.
        sqlx::raw_sql("SET work_mem = '64MB'")
            .execute(&mut *conn)
            .await
            .context("preparing the comparison session")?;
    }
    let repo = resolve_repo(released, new, scope).await?;
    let (rk, nk) = tokio::try_join!(Keys::load(released), Keys::load(new))?;
    if rk.rels.is_empty() && nk.rels.is_empty() {
        bail!("no {SCHEMA} tables in either database: nothing was compared");
    }
    let names: BTreeSet<&String> = rk.rels.keys().chain(nk.rels.keys()).map(|k| &k.1).collect();
    for t in only {
        if !names.contains(t) {
            bail!("table {SCHEMA}.{t} exists in neither database");
        }
    }
    let mut tables = Vec::new();
    let mut skipped = Vec::new();
    let mut rows_read = 0usize;
    for name in names {
        if !only.is_empty() && !only.contains(name) {
            continue;
        }
        let key = (SCHEMA.to_string(), name.clone());
        let skip = |reason: String| Skipped {
            table: name.clone(),
            reason,
        };
        let (rrel, nrel) = match (rk.rels.get(&key), nk.rels.get(&key)) {
            (Some(r), Some(n)) => (r, n),
            (Some(_), None) => {
                let rows = if repo.is_none() {
                    count_rows(released, name).await?
                } else {
                    0
                };
                tables.push(one_sided(name, rows, Verdict::Fail));
                continue;
            }
            (None, Some(_)) => {
                let rows = if repo.is_none() {
                    count_rows(new, name).await?
                } else {
                    0
                };
                tables.push(one_sided(name, rows, Verdict::Flag));
                continue;
            }
            (None, None) => continue,
        };
        let (rplan, nplan) = (plan_table(&rk, name), plan_table(&nk, name));
        let mut plan = match (rplan, nplan) {
            (Ok(a), Ok(b)) if a == b => a,
            (Ok(a), Ok(b)) => {
                skipped.push(skip(format!(
                    "the stable key differs between the sides ({} vs {})",
                    a.index, b.index
                )));
                continue;
            }
            (Err(e), _) | (_, Err(e)) => {
                skipped.push(skip(format!("no stable key: {e}")));
                continue;
            }
        };
        let scope_sql = match repo {
            Some(_) => match repo_scope(&rk, name, &mut plan) {
                Some(s) => Some(s),
                None => {
                    skipped.push(skip(
                        "not tied to a repository (compared only without --repo/--repo-id)".into(),
                    ));
                    continue;
                }
            },
            None => None,
        };
        let own_key: BTreeSet<&String> = plan
            .parts
            .iter()
            .filter(|p| p.alias == "t")
            .map(|p| &p.column)
            .collect();
        let content: Vec<String> = diff::hashed_columns(rrel, nrel)
            .into_iter()
            .filter(|c| !own_key.contains(c))
            .collect();
        let labels = plan.labels();
        let q = TableQuery {
            table: name.clone(),
            plan,
            content,
            scope: scope_sql,
        };
        tables.push(
            compare_table(
                released,
                new,
                &q,
                repo.as_deref(),
                labels,
                examples,
                &mut rows_read,
            )
            .await?,
        );
    }
    if tables.is_empty() && skipped.is_empty() {
        bail!("nothing was compared");
    }
    let summary = Summary {
        total_tables: tables.len(),
        tables_with_fails: tables.iter().filter(|t| t.verdict == Verdict::Fail).count(),
        tables_with_flags: tables.iter().filter(|t| t.verdict == Verdict::Flag).count(),
        tables_skipped: skipped.len(),
        fail_missing_rows: tables.iter().map(|t| t.fail_missing.rows).sum(),
        fail_content_rows: tables.iter().map(|t| t.fail_content.rows).sum(),
        flag_extra_rows: tables.iter().map(|t| t.flag_extra.rows).sum(),
    };
    tables.sort_by(|a, b| b.verdict.cmp(&a.verdict).then(a.table.cmp(&b.table)));
    Ok(Report {
        generated_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        released: String::new(),
        new: String::new(),
        repo,
        tables,
        skipped,
        summary,
        rows_read,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn one_sided(name: &str, rows: usize, verdict: Verdict) -> TableDiff {
    let (released_rows, new_rows, note) = match verdict {
        Verdict::Fail => (rows, 0, "table missing on new"),
        _ => (0, rows, "table only on new"),
    };
    let cat = Category {
        rows,
        examples: Vec::new(),
    };
    TableDiff {
        table: name.to_string(),
        verdict: if rows == 0 { Verdict::Pass } else { verdict },
        key_columns: Vec::new(),
        key_index: String::new(),
        compared_columns: Vec::new(),
        released_rows,
        new_rows,
        fail_missing: if verdict == Verdict::Fail {
            cat.clone()
        } else {
            Category::default()
        },
        fail_content: ContentCategory::default(),
        flag_extra: if verdict == Verdict::Fail {
            Category::default()
        } else {
            cat
        },
        notes: vec![note.into()],
    }
}

// ---------------------------------------------------------------------------------------------
// Output

fn show(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("`{}`", s.replace('`', "'").replace('\n', "⏎")),
        None => "NULL".into(),
    }
}

fn show_key(k: &Key) -> String {
    let vals: Vec<String> = k.iter().map(show).collect();
    format!("({})", vals.join(", "))
}

/// The per-table sections (used on their own inside the data-test report).
pub fn markdown_body(r: &Report, heading: &str) -> String {
    let mut s = String::new();
    let failing: Vec<&TableDiff> = r
        .tables
        .iter()
        .filter(|t| t.verdict != Verdict::Pass)
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(
            s,
            "| table | verdict | key | released | new | missing | content | extra |\n\
             |---|---|---|---:|---:|---:|---:|---:|"
        );
        for t in &failing {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                md_escape(&format!("{SCHEMA}.{}", t.table)),
                t.verdict.as_str(),
                md_escape(&t.key_columns.join(", ")),
                t.released_rows,
                t.new_rows,
                t.fail_missing.rows,
                t.fail_content.rows,
                t.flag_extra.rows
            );
        }
    }
    for t in failing {
        let _ = writeln!(
            s,
            "\n{heading} {} — {}\n",
            md_escape(&format!("{SCHEMA}.{}", t.table)),
            t.verdict.as_str()
        );
        let key = format!("({})", t.key_columns.join(", "));
        if t.fail_missing.rows > 0 {
            let _ = writeln!(
                s,
                "- **FAIL missing**: {} row(s) on released absent on new; key {}",
                t.fail_missing.rows,
                md_escape(&key)
            );
            for k in &t.fail_missing.examples {
                let _ = writeln!(s, "  - {}", show_key(k));
            }
        }
        if t.fail_content.rows > 0 {
            let cols: Vec<String> = t
                .fail_content
                .columns
                .iter()
                .map(|c| format!("{} ({} row(s))", md_escape(&c.column), c.rows))
                .collect();
            let _ = writeln!(
                s,
                "- **FAIL content**: {} row(s) with the same key and different values in \
                 column(s) {}; key {}",
                t.fail_content.rows,
                cols.join(", "),
                md_escape(&key)
            );
            for e in &t.fail_content.examples {
                let d: Vec<String> = e
                    .differences
                    .iter()
                    .map(|d| {
                        format!(
                            "{}: {} → {}",
                            md_escape(&d.column),
                            show(&d.released),
                            show(&d.new)
                        )
                    })
                    .collect();
                let _ = writeln!(s, "  - {}: {}", show_key(&e.key), d.join("; "));
            }
        }
        if t.flag_extra.rows > 0 {
            let _ = writeln!(
                s,
                "- **FLAG extra**: {} row(s) only on new; key {}",
                t.flag_extra.rows,
                md_escape(&key)
            );
            for k in &t.flag_extra.examples {
                let _ = writeln!(s, "  - {}", show_key(k));
            }
        }
        for n in &t.notes {
            let _ = writeln!(s, "- note: {}", md_escape(n));
        }
    }
    if !r.skipped.is_empty() {
        let _ = writeln!(s, "\n{heading} Skipped ({})\n", r.skipped.len());
        for k in &r.skipped {
            let _ = writeln!(
                s,
                "- {}: {}",
                md_escape(&format!("{SCHEMA}.{}", k.table)),
                md_escape(&k.reason)
            );
        }
    }
    s
}

pub fn markdown(r: &Report) -> String {
    let mut s = String::from("# aveloxis shadow-diff\n\n");
    let _ = writeln!(s, "- Released: `{}`", r.released);
    let _ = writeln!(s, "- New: `{}`", r.new);
    let _ = writeln!(
        s,
        "- Scope: {}",
        match &r.repo {
            Some(g) => format!("repository `{g}`"),
            None => "every repository".into(),
        }
    );
    let _ = writeln!(s, "- Generated: {}", r.generated_at);
    let _ = writeln!(
        s,
        "\n**Verdict: {}**\n\n## Summary\n",
        if r.failed() { "FAIL" } else { "PASS" }
    );
    let m = &r.summary;
    let _ = writeln!(
        s,
        "- tables compared: {} (FAIL {}, FLAG {}, PASS {}); skipped: {}\n\
         - FAIL missing rows: {}; FAIL content rows: {}; FLAG extra rows: {}\n\
         - {} rows read in {:.2}s",
        m.total_tables,
        m.tables_with_fails,
        m.tables_with_flags,
        m.total_tables - m.tables_with_fails - m.tables_with_flags,
        m.tables_skipped,
        m.fail_missing_rows,
        m.fail_content_rows,
        m.flag_extra_rows,
        r.rows_read,
        r.seconds
    );
    s.push('\n');
    s.push_str(&markdown_body(r, "##"));
    let pass: Vec<String> = r
        .tables
        .iter()
        .filter(|t| t.verdict == Verdict::Pass)
        .map(|t| md_escape(&t.table))
        .collect();
    let _ = writeln!(s, "\n## PASS ({})\n", pass.len());
    if pass.is_empty() {
        s.push_str("_none_\n");
    } else {
        let _ = writeln!(s, "{}", pass.join(", "));
    }
    s
}

/// Run `harness shadow-diff`; returns the exit code.
pub async fn run(args: &Args) -> u8 {
    let scope = match (&args.repo_id, &args.repo) {
        (Some(id), _) => Scope::RepoId(*id),
        (None, Some(u)) => Scope::Repo(u.clone()),
        (None, None) => Scope::All,
    };
    let result = async {
        let mut r = PgConnection::connect(&args.released_dsn)
            .await
            .with_context(|| format!("connecting to {}", redact(&args.released_dsn)))?;
        let mut n = PgConnection::connect(&args.new_dsn)
            .await
            .with_context(|| format!("connecting to {}", redact(&args.new_dsn)))?;
        let mut report =
            compare_databases(&mut r, &mut n, &scope, args.examples, &args.tables).await?;
        let _ = r.close().await;
        let _ = n.close().await;
        report.released = redact(&args.released_dsn);
        report.new = redact(&args.new_dsn);
        anyhow::Ok(report)
    }
    .await;
    match result {
        Ok(report) => {
            if args.json {
                match serde_json::to_string_pretty(&report) {
                    Ok(j) => println!("{j}"),
                    Err(e) => {
                        eprintln!("harness: shadow-diff could not write JSON: {e}");
                        return 2;
                    }
                }
            } else {
                print!("{}", markdown(&report));
            }
            if report.failed() { 1 } else { 0 }
        }
        Err(e) => {
            eprintln!("harness: shadow-diff could not run: {e:#}");
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(rows: &[(&str, i64)]) -> HashMap<Key, Vec<i64>> {
        let mut s = HashMap::new();
        for (k, h) in rows {
            s.entry(vec![Some(k.to_string())])
                .or_insert_with(Vec::new)
                .push(*h);
        }
        s
    }

    #[test]
    fn rows_pair_by_key_into_missing_changed_and_extra() {
        let r = side(&[("a", 1), ("b", 2), ("c", 3)]);
        let n = side(&[("a", 1), ("b", 9), ("d", 4)]);
        let m = match_rows(&r, &n, false);
        let key = |s: &str| vec![Some(s.to_string())];
        assert_eq!(m.missing, vec![(&key("c"), 1)]);
        assert_eq!(m.extra, vec![(&key("d"), 1)]);
        assert_eq!(m.drifted, vec![&key("b")]);
        assert_eq!(m.rematched, 0);
    }

    #[test]
    fn generated_keys_are_paired_by_content() {
        // Same content under different random ids: one pair matches, the rest stays.
        let r = side(&[("id-1", 10), ("id-2", 20)]);
        let n = side(&[("id-7", 10), ("id-8", 30)]);
        let m = match_rows(&r, &n, true);
        assert_eq!(m.rematched, 1);
        assert_eq!(m.missing.len(), 1);
        assert_eq!(m.missing[0].0[0].as_deref(), Some("id-2"));
        assert_eq!(m.extra[0].0[0].as_deref(), Some("id-8"));
        let m = match_rows(&r, &n, false);
        assert_eq!((m.missing.len(), m.extra.len(), m.rematched), (2, 2, 0));
    }

    #[test]
    fn duplicate_keys_compare_as_multisets() {
        let r = side(&[("k", 1), ("k", 2)]);
        let n = side(&[("k", 2), ("k", 1)]);
        let m = match_rows(&r, &n, false);
        assert!(m.missing.is_empty() && m.extra.is_empty() && m.drifted.is_empty());
        assert_eq!(m.duplicate_keys, 1);
        let n = side(&[("k", 2)]);
        let m = match_rows(&r, &n, false);
        assert_eq!(m.missing[0].1, 1);
    }

    #[test]
    fn key_labels_stay_plain_unless_they_collide() {
        let part = |via: &[&str], column: &str| KeyPart {
            via: via.iter().map(|s| s.to_string()).collect(),
            alias: "t".into(),
            column: column.into(),
            generated: false,
        };
        let plan = KeyPlan {
            index: "uq".into(),
            parts: vec![
                part(&["cmt_id"], "cmt_commit_hash"),
                part(&["parent_id"], "cmt_commit_hash"),
                part(&[], "repo_git"),
            ],
            joins: Vec::new(),
        };
        assert_eq!(
            plan.labels(),
            vec![
                "cmt_id.cmt_commit_hash",
                "parent_id.cmt_commit_hash",
                "repo_git"
            ]
        );
    }
}
