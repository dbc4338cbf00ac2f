//! Whole-table comparison of two databases: the verdicts of `harness data-test`.
//!
//! For every base table of the compared schemas (self-discovering from the catalog; the union
//! of both sides) a first scan per side measures the row count, the fill (non-null count) of the
//! nullable columns *outside* the content hash, and an order-independent content hash over the
//! table's *comparable* columns, a multiset hash (a sum, not an XOR, so duplicate rows do not
//! cancel out) of one hash per row: `sum(hashint8(hash_record_extended(ROW(c1, c2, …), 1)))` —
//! typed values (text for types not known to hash or that differ between the sides). Two
//! details matter: `hash_record_extended` combines its fields linearly, so a plain sum of it
//! would only see the multiset of each column (values swapped between rows would pass); the
//! outer `hashint8` mixes each row's hash first (32 bits per row, summed exactly in an int8: a
//! changed row goes unseen with probability 2^-32). And a NULL field hashes as 0, as does an
//! empty `jsonb` under seed 0; seed 1 keeps `'{}'` → NULL visible.
//!
//! Only a table whose sides differ in row count or content hash is scanned again: the follow-up
//! counts the fill of the hashed columns (equal multisets of rows have equal fill, so a table
//! that matches needs no per-column counts) and, when the counts are equal, hashes each
//! comparable column on its own to name the columns that drifted. A gate run over unchanged
//! data costs one aggregate per table instead of one per column.
//!
//! # Which columns are compared (the rule)
//!
//! A column takes part in the content hash unless it is
//!
//! 1. **a surrogate key**: an identity column or one whose default calls `nextval()` — its
//!    values depend on insertion order, not on what was collected;
//! 2. **a reference to a surrogate key**: a foreign key onto such a column, or a column that
//!    shares its name with a surrogate key anywhere in the compared schemas (`repo_id`,
//!    `issue_id`, … — some references carry no FK constraint);
//! 3. **generated at insert time**: any other volatile default (`now()`, `gen_random_uuid()`,
//!    `clock_timestamp()`, `random()`, …), and columns referencing such a column;
//! 4. **collection metadata**: `tool_source`, `tool_version`, `data_source`,
//!    `data_collection_date`;
//! 5. **operational state** (schema `aveloxis_ops` only): timestamp columns, `*duration_ms`,
//!    `locked_by`, `*_task_id`;
//! 6. **a credential**: names containing `token`, `secret`, `password` or `consumer_key` (each
//!    side holds its own API key; secrets are never hashed into a report);
//! 7. **schema bookkeeping**: every column of the migration engine's own tables
//!    (`aveloxis_ops.schema_migrations`, `aveloxis_ops.schema_meta`) — a new version records
//!    new steps and a new schema version by design; their row counts are still compared (a new
//!    step is a FLAG) and edited released steps are a FAIL of the migrations-prefix check.
//!
//! Excluded columns are still measured for fill (by the first scan), so a metadata column that
//! went dark is seen. A column whose type differs between the sides is hashed through its text
//! form with `TimeZone = UTC` and `DateStyle = ISO`, so a type change that keeps the text (e.g.
//! `int` → `bigint`) is not content drift (it is reported as a type change). On servers older
//! than PostgreSQL 14 (no `hash_record_extended`) the whole row is hashed through its text form
//! ([`RowHash::Text`]); the verdicts are the same, only slower.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use aveloxis_pg::quote_ident;
use serde::Serialize;
use sqlx::{PgConnection, Row};

/// The schemas `data-test` compares.
pub const DATA_SCHEMAS: &[&str] = &["aveloxis_data", "aveloxis_ops"];

const METADATA_COLUMNS: &[&str] = &[
    "tool_source",
    "tool_version",
    "data_source",
    "data_collection_date",
];

/// The migration engine's own tables (rule 7).
const BOOKKEEPING_TABLES: &[&str] = &["schema_migrations", "schema_meta"];

const VOLATILE_DEFAULTS: &[&str] = &[
    "nextval(",
    "now()",
    "current_timestamp",
    "clock_timestamp(",
    "statement_timestamp(",
    "transaction_timestamp(",
    "localtimestamp",
    "current_date",
    "timeofday(",
    "gen_random_uuid(",
    "uuid_generate",
    "random(",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Pass,
    Flag,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Flag => "FLAG",
            Verdict::Fail => "FAIL",
        }
    }
}

/// One column as the catalog describes it on one side.
#[derive(Clone, Debug, Serialize)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    /// Why the column is left out of the content hash (`None` = compared).
    pub excluded: Option<String>,
    /// An identity column or one whose default calls `nextval()` (a local serial id).
    #[serde(skip)]
    pub serial: bool,
    /// Not serial, but given its value at insert time (a volatile default such as
    /// `gen_random_uuid()`, or a reference to such a column): not stable across databases.
    #[serde(skip)]
    pub generated: bool,
    /// `NOT NULL`: its fill is the row count, no need to count it.
    #[serde(skip)]
    pub not_null: bool,
}

/// One relation (base table or materialized view) on one side.
#[derive(Clone, Debug, Serialize)]
pub struct Relation {
    pub schema: String,
    pub name: String,
    /// `table` or `matview`.
    pub kind: String,
    pub columns: BTreeMap<String, Column>,
}

impl Relation {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

pub type Catalog = BTreeMap<(String, String), Relation>;

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

/// The relations of `schemas` (base tables, plus materialized views when asked) with their
/// columns and the content-comparison rule applied.
pub async fn discover(
    conn: &mut PgConnection,
    schemas: &[&str],
    matviews: bool,
) -> Result<Catalog> {
    let schemas: Vec<String> = schemas.iter().map(|s| s.to_string()).collect();
    let kinds: Vec<String> = if matviews {
        vec!["r".into(), "p".into(), "m".into()]
    } else {
        vec!["r".into(), "p".into()]
    };
    let rows = sqlx::query(
        r#"
        SELECT n.nspname::text, c.relname::text, c.relkind::text, a.attname::text,
               format_type(a.atttypid, a.atttypmod),
               coalesce(lower(pg_get_expr(d.adbin, d.adrelid)), ''),
               a.attidentity <> '' OR a.attgenerated <> '',
               coalesce((
                 SELECT array_agg(format('%s.%s.%s', rn.nspname, rc.relname, ra.attname))
                   FROM pg_constraint k
                   JOIN LATERAL unnest(k.conkey, k.confkey) AS u(ck, fk) ON true
                   JOIN pg_class rc ON rc.oid = k.confrelid
                   JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                   JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = u.fk
                  WHERE k.contype = 'f' AND k.conrelid = c.oid AND u.ck = a.attnum
               ), ARRAY[]::text[]),
               a.attnotnull
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
         WHERE n.nspname = ANY($1) AND c.relkind::text = ANY($2) AND NOT c.relispartition
         ORDER BY 1, 2, a.attnum
        "#,
    )
    .bind(&schemas)
    .bind(&kinds)
    .fetch_all(&mut *conn)
    .await
    .context("reading the catalog")?;

    struct Raw {
        schema: String,
        table: String,
        kind: String,
        name: String,
        data_type: String,
        default: String,
        identity: bool,
        references: Vec<String>,
        not_null: bool,
    }
    let raws: Vec<Raw> = rows
        .iter()
        .map(|r| Raw {
            schema: r.get(0),
            table: r.get(1),
            kind: r.get(2),
            name: r.get(3),
            data_type: r.get(4),
            default: r.get(5),
            identity: r.get(6),
            references: r.get(7),
            not_null: r.get(8),
        })
        .collect();

    let volatile = |d: &str| VOLATILE_DEFAULTS.iter().any(|v| d.contains(v));
    let is_serial = |r: &Raw| r.identity || r.default.contains("nextval(");
    let surrogate_names: BTreeSet<&str> = raws
        .iter()
        .filter(|r| is_serial(r))
        .map(|r| r.name.as_str())
        .collect();
    let generated: BTreeSet<String> = raws
        .iter()
        .filter(|r| is_serial(r) || volatile(&r.default))
        .map(|r| format!("{}.{}.{}", r.schema, r.table, r.name))
        .collect();

    let mut out = Catalog::new();
    for r in &raws {
        let excluded = if is_serial(r) {
            Some("surrogate key".to_string())
        } else if let Some(target) = r.references.iter().find(|t| generated.contains(*t)) {
            Some(format!("references generated key {target}"))
        } else if surrogate_names.contains(r.name.as_str()) {
            Some("surrogate key reference".to_string())
        } else if volatile(&r.default) {
            Some("generated at insert time".to_string())
        } else if METADATA_COLUMNS.contains(&r.name.as_str()) {
            Some("collection metadata".to_string())
        } else if r.schema == "aveloxis_ops" && BOOKKEEPING_TABLES.contains(&r.table.as_str()) {
            Some("schema bookkeeping".to_string())
        } else if r.schema == "aveloxis_ops"
            && (r.data_type.starts_with("timestamp")
                || r.name.ends_with("duration_ms")
                || r.name == "locked_by"
                || r.name.ends_with("_task_id"))
        {
            Some("operational state".to_string())
        } else if ["token", "secret", "password", "consumer_key"]
            .iter()
            .any(|w| r.name.contains(w))
        {
            Some("credential".to_string())
        } else {
            None
        };
        let rel = out
            .entry((r.schema.clone(), r.table.clone()))
            .or_insert_with(|| Relation {
                schema: r.schema.clone(),
                name: r.table.clone(),
                kind: if r.kind == "m" { "matview" } else { "table" }.into(),
                columns: BTreeMap::new(),
            });
        rel.columns.insert(
            r.name.clone(),
            Column {
                name: r.name.clone(),
                data_type: r.data_type.clone(),
                excluded,
                serial: is_serial(r),
                generated: !is_serial(r)
                    && (volatile(&r.default) || r.references.iter().any(|t| generated.contains(t))),
                not_null: r.not_null,
            },
        );
    }
    Ok(out)
}

/// What the scans of one relation measured on one side.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Measure {
    pub rows: i64,
    /// Non-null values per column. NOT NULL columns take the row count; a nullable column of
    /// the content hash is counted only when the table is followed up (see [`diff_databases`]).
    pub fill: BTreeMap<String, i64>,
    /// Multiset hash over the comparable columns (decimal text; `0` for an empty table).
    pub content_hash: String,
    /// A multiset hash of each comparable column on its own, when the follow-up scan ran with
    /// equal row counts (to name the columns that drifted).
    pub column_hashes: BTreeMap<String, String>,
}

fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(table))
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
    let mut sql = String::from("SELECT count(*)::int8");
    for c in &cols {
        sql.push_str(&format!(", count({})::int8", quote_ident(c)));
    }
    if hashed.is_empty() {
        sql.push_str(", '0'::text");
    } else if mode == RowHash::Text {
        let row: Vec<String> = hashed.iter().map(|c| quote_ident(c)).collect();
        sql.push_str(&format!(
            ", coalesce(sum(hashtextextended(ROW({})::text, 0)), 0)::text",
            row.join(", ")
        ));
    } else {
        // Typed values hash without being rendered to text (about 4x faster); a column whose
        // type is not known to hash, or differs between the sides, is hashed as text.
        let row: Vec<String> = hashed
            .iter()
            .map(|c| {
                if typed.contains(c) {
                    quote_ident(c)
                } else {
                    format!("{}::text", quote_ident(c))
                }
            })
            .collect();
        sql.push_str(&format!(
            ", coalesce(sum(hashint8(hash_record_extended(ROW({}), 1))), 0)::text",
            row.join(", ")
        ));
    }
    sql.push_str(&format!(" FROM {}", qualified(&rel.schema, &rel.name)));
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("measuring {}", rel.qualified()))?;
    let mut m = Measure {
        rows: row.try_get(0)?,
        ..Measure::default()
    };
    for c in rel.columns.values().filter(|c| c.not_null) {
        m.fill.insert(c.name.clone(), m.rows);
    }
    for (i, c) in cols.iter().enumerate() {
        m.fill.insert(c.clone(), row.try_get(i + 1)?);
    }
    m.content_hash = row.try_get(cols.len() + 1)?;
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
        .map(|c| format!("count({})::int8::text", quote_ident(c)))
        .collect();
    if per_column {
        parts.extend(hashed.iter().map(|c| {
            format!(
                "coalesce(sum(hashtextextended(coalesce({}::text, E'\\\\N<null>'), 0)), 0)::text",
                quote_ident(c)
            )
        }));
    }
    if parts.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT {} FROM {}",
        parts.join(", "),
        qualified(&rel.schema, &rel.name)
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("following up {}", rel.qualified()))?;
    for (i, c) in fill.iter().enumerate() {
        let n: String = row.try_get(i)?;
        m.fill.insert(c.clone(), n.parse()?);
    }
    if per_column {
        for (i, c) in hashed.iter().enumerate() {
            m.column_hashes
                .insert(c.clone(), row.try_get::<String, _>(fill.len() + i)?);
        }
    }
    Ok(())
}

/// One finding about one relation.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub verdict: Verdict,
    pub message: String,
}

/// The verdict for one relation.
#[derive(Clone, Debug, Serialize)]
pub struct TableResult {
    pub schema: String,
    pub table: String,
    pub kind: String,
    pub released_rows: Option<i64>,
    pub new_rows: Option<i64>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Columns in the content hash.
    pub compared_columns: Vec<String>,
}

impl TableResult {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }
    pub fn delta(&self) -> i64 {
        self.new_rows.unwrap_or(0) - self.released_rows.unwrap_or(0)
    }
}

/// Columns hashed for a relation present on both sides: comparable on both, sorted by name.
pub fn hashed_columns(released: &Relation, new: &Relation) -> Vec<String> {
    released
        .columns
        .values()
        .filter(|c| c.excluded.is_none())
        .filter(|c| {
            new.columns
                .get(&c.name)
                .is_some_and(|n| n.excluded.is_none())
        })
        .map(|c| c.name.clone())
        .collect()
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
        out.insert(key.clone(), measure(conn, rel, &cols, typed, mode).await?);
    }
    Ok(out)
}

/// Types whose values PostgreSQL hashes directly (`hash_record_extended`) with the same result
/// on both sides when the type is the same (arrays of them too).
fn hashes_typed(data_type: &str) -> bool {
    let base = data_type.trim_end_matches("[]");
    [
        "bigint",
        "integer",
        "smallint",
        "text",
        "boolean",
        "date",
        "uuid",
        "jsonb",
        "bytea",
        "double precision",
        "real",
        "interval",
        "inet",
        "timestamp with time zone",
        "timestamp without time zone",
    ]
    .contains(&base)
        || base.starts_with("numeric")
        || base.starts_with("character varying")
        || base.starts_with("character(")
}

/// Of the hashed columns of a relation, those hashed as typed values: same type on both sides
/// and a type known to hash.
pub fn typed_columns(released: &Relation, new: &Relation, hashed: &[String]) -> BTreeSet<String> {
    hashed
        .iter()
        .filter(|c| match (released.columns.get(*c), new.columns.get(*c)) {
            (Some(r), Some(n)) => r.data_type == n.data_type && hashes_typed(&r.data_type),
            _ => false,
        })
        .cloned()
        .collect()
}

/// Compare two measured sides. Relations with equal counts and different content hashes are
/// returned in `drifted` so the caller can name the columns (see [`name_drift`]).
pub fn compare(
    released: &Catalog,
    new: &Catalog,
    rm: &Measures,
    nm: &Measures,
    hashed: &BTreeMap<(String, String), Vec<String>>,
) -> Vec<TableResult> {
    let keys: BTreeSet<&(String, String)> = released.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let (r, n) = (released.get(key), new.get(key));
        let (rmeas, nmeas) = (rm.get(key), nm.get(key));
        let mut findings = Vec::new();
        let mut push = |v: Verdict, m: String| {
            findings.push(Finding {
                verdict: v,
                message: m,
            })
        };
        let kind = r.or(n).map(|x| x.kind.clone()).unwrap_or_default();
        match (r, n, rmeas, nmeas) {
            (Some(_), None, Some(rmv), _) => {
                if rmv.rows > 0 {
                    push(
                        Verdict::Fail,
                        format!("{kind} missing on new ({} rows on released)", rmv.rows),
                    );
                } else {
                    push(
                        Verdict::Flag,
                        format!("{kind} missing on new (empty on released)"),
                    );
                }
            }
            (None, Some(_), _, Some(nmv)) => {
                if nmv.rows > 0 {
                    push(
                        Verdict::Flag,
                        format!("{kind} only on new ({} rows)", nmv.rows),
                    );
                } else {
                    push(Verdict::Pass, format!("{kind} only on new (empty)"));
                }
            }
            (Some(rrel), Some(nrel), Some(rmv), Some(nmv)) => {
                if rmv.rows > nmv.rows {
                    push(
                        Verdict::Fail,
                        format!("row loss: released has {} more row(s)", rmv.rows - nmv.rows),
                    );
                } else if nmv.rows > rmv.rows {
                    push(
                        Verdict::Flag,
                        format!("new has {} more row(s)", nmv.rows - rmv.rows),
                    );
                }
                let cols: BTreeSet<&String> =
                    rrel.columns.keys().chain(nrel.columns.keys()).collect();
                for c in cols {
                    let rf = rmv.fill.get(c).copied();
                    let nf = nmv.fill.get(c).copied();
                    match (rrel.columns.get(c), nrel.columns.get(c)) {
                        (Some(_), None) => {
                            let rf = rf.unwrap_or(0);
                            if rf > 0 {
                                push(
                                    Verdict::Fail,
                                    format!("column {c} dropped on new (carried {rf} value(s))"),
                                );
                            } else {
                                push(
                                    Verdict::Flag,
                                    format!("column {c} dropped on new (was empty)"),
                                );
                            }
                        }
                        (None, Some(_)) => {
                            let nf = nf.unwrap_or(0);
                            if nf > 0 {
                                push(
                                    Verdict::Flag,
                                    format!("column {c} only on new ({nf} value(s))"),
                                );
                            } else {
                                push(Verdict::Pass, format!("column {c} only on new (empty)"));
                            }
                        }
                        (Some(rc), Some(nc)) => {
                            if rc.data_type != nc.data_type {
                                push(
                                    Verdict::Flag,
                                    format!(
                                        "column {c} type changed: {} -> {}",
                                        rc.data_type, nc.data_type
                                    ),
                                );
                            }
                            // A column both sides have is left unmeasured on a side only when
                            // the table's rows are equal (no follow-up scan): nothing to compare.
                            let (Some(rf), Some(nf)) = (rf, nf) else {
                                continue;
                            };
                            if rf > 0 && nf == 0 {
                                push(
                                    Verdict::Fail,
                                    format!(
                                        "column {c} went dark: {rf} value(s) on released, none on new"
                                    ),
                                );
                            } else if nf < rf {
                                push(
                                    Verdict::Fail,
                                    format!("column {c} fill dropped: {rf} -> {nf} value(s)"),
                                );
                            } else if nf > rf && rmv.rows == nmv.rows {
                                push(
                                    Verdict::Flag,
                                    format!("column {c} fills more: {rf} -> {nf} value(s)"),
                                );
                            }
                        }
                        (None, None) => {}
                    }
                }
                let has_hash = hashed.get(key).is_some_and(|h| !h.is_empty());
                if rmv.rows == nmv.rows && has_hash && rmv.content_hash != nmv.content_hash {
                    push(
                        Verdict::Fail,
                        "content drift (same row count, different content)".to_string(),
                    );
                }
            }
            _ => {}
        }
        let verdict = findings
            .iter()
            .map(|f| f.verdict)
            .max()
            .unwrap_or(Verdict::Pass);
        out.push(TableResult {
            schema: key.0.clone(),
            table: key.1.clone(),
            kind,
            released_rows: rmeas.filter(|_| r.is_some()).map(|m| m.rows),
            new_rows: nmeas.filter(|_| n.is_some()).map(|m| m.rows),
            verdict,
            findings,
            compared_columns: hashed.get(key).cloned().unwrap_or_default(),
        });
    }
    out
}

/// Whether a result carries a content-drift finding (and so wants its columns named).
pub fn is_drift(t: &TableResult) -> bool {
    t.findings
        .iter()
        .any(|f| f.message.starts_with("content drift"))
}

/// Rewrite a drift finding to name the columns whose per-column hashes differ.
pub fn name_drift(
    t: &mut TableResult,
    released: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) {
    let cols: Vec<&String> = released
        .iter()
        .filter(|(c, h)| new.get(*c) != Some(*h))
        .map(|(c, _)| c)
        .collect();
    for f in &mut t.findings {
        if f.message.starts_with("content drift") {
            f.message = if cols.is_empty() {
                "content drift (same row count, different combinations of values across columns)"
                    .to_string()
            } else {
                format!(
                    "content drift in column(s) {} (same row count, different values)",
                    cols.iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
        }
    }
}

/// The whole comparison between two connected databases: discovery, both sides measured
/// concurrently, verdicts, drifted columns named.
pub async fn diff_databases(
    released: &mut PgConnection,
    new: &mut PgConnection,
    schemas: &[&str],
    matviews: bool,
) -> Result<Vec<TableResult>> {
    let oldest = prepare_session(released)
        .await?
        .min(prepare_session(new).await?);
    let mode = if oldest >= TYPED_HASH_MIN_VERSION {
        RowHash::Typed
    } else {
        RowHash::Text
    };
    diff_databases_with(released, new, schemas, matviews, mode).await
}

/// [`diff_databases`] with the row hash chosen by the caller (sessions already prepared).
pub async fn diff_databases_with(
    released: &mut PgConnection,
    new: &mut PgConnection,
    schemas: &[&str],
    matviews: bool,
    mode: RowHash,
) -> Result<Vec<TableResult>> {
    let (rc, nc) = tokio::try_join!(
        discover(released, schemas, matviews),
        discover(new, schemas, matviews)
    )?;
    let mut hashed = BTreeMap::new();
    let mut typed = BTreeMap::new();
    for (key, r) in &rc {
        if let Some(n) = nc.get(key) {
            let cols = hashed_columns(r, n);
            typed.insert(key.clone(), typed_columns(r, n, &cols));
            hashed.insert(key.clone(), cols);
        }
    }
    let (mut rm, mut nm) = tokio::try_join!(
        measure_all(released, &rc, &hashed, &typed, mode),
        measure_all(new, &nc, &hashed, &typed, mode)
    )?;
    // Only relations present on both sides whose counts or content differ are scanned again.
    for (key, cols) in &hashed {
        let (Some(r), Some(n)) = (rm.get_mut(key), nm.get_mut(key)) else {
            continue;
        };
        if r.rows == n.rows && r.content_hash == n.content_hash {
            continue;
        }
        let per_column = r.rows == n.rows;
        tokio::try_join!(
            follow_up(released, &rc[key], cols, per_column, r),
            follow_up(new, &nc[key], cols, per_column, n)
        )?;
    }
    let mut results = compare(&rc, &nc, &rm, &nm, &hashed);
    for t in results.iter_mut().filter(|t| is_drift(t)) {
        let key = (t.schema.clone(), t.table.clone());
        if let (Some(r), Some(n)) = (rm.get(&key), nm.get(&key)) {
            name_drift(t, &r.column_hashes, &n.column_hashes);
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(cols: &[(&str, &str)]) -> Relation {
        Relation {
            schema: "s".into(),
            name: "t".into(),
            kind: "table".into(),
            columns: cols
                .iter()
                .map(|(n, t)| {
                    (
                        n.to_string(),
                        Column {
                            name: n.to_string(),
                            data_type: t.to_string(),
                            excluded: None,
                            serial: false,
                            generated: false,
                            not_null: false,
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn typed_hashing_only_for_same_known_types() {
        let r = rel(&[
            ("a", "bigint"),
            ("b", "timestamp with time zone"),
            ("c", "point"),
            ("d", "numeric(10,2)"),
            ("e", "text[]"),
        ]);
        let n = rel(&[
            ("a", "bigint"),
            ("b", "timestamp without time zone"),
            ("c", "point"),
            ("d", "numeric(10,2)"),
            ("e", "text[]"),
        ]);
        let hashed: Vec<String> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let typed = typed_columns(&r, &n, &hashed);
        assert_eq!(typed.into_iter().collect::<Vec<_>>(), vec!["a", "d", "e"]);
    }
}
