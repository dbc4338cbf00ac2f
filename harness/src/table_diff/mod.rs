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
//!    `locked_by`, `*_task_id`, and what the last run counted (`last_*`, `*_sum`: a full and
//!    an incremental run count different items by design);
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

use std::collections::BTreeMap;

use anyhow::Result;
use sqlx::PgConnection;

mod catalog;
mod scan;
mod verdicts;

pub use crate::report::Verdict;
pub use catalog::{Catalog, Column, Relation, discover, hashed_columns, typed_columns, value_sql};
pub use scan::{
    Measure, Measures, RowHash, TYPED_HASH_MIN_VERSION, follow_up, measure, measure_all,
    prepare_session,
};
pub use verdicts::{Finding, TableResult, compare, is_drift, name_drift};

/// The schemas `data-test` compares: the product's tables and matviews, its operational state,
/// and the Augur-compatible views (the contract with analytics).
pub const DATA_SCHEMAS: &[&str] = &["aveloxis_data", "aveloxis_ops", "aveloxis_augur_data"];

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
        if r.unreadable.is_some() || n.unreadable.is_some() {
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
