//! Batched, set-based upserts: one round trip per batch of rows.
//!
//! Rows are JSON objects; a batch is bound as one `jsonb` array and expanded server-side with
//! `jsonb_to_recordset`. Conflicts on the table's natural key update the row, and a NULL never
//! overwrites a value (`COALESCE(EXCLUDED.c, t.c)`). Child rows name their parent by natural key
//! (e.g. `platform_issue_id`); the statement joins to find the parent's surrogate id, so parents
//! must be written first — and a child whose parent is missing is counted, not silently lost.

use serde_json::Value;
use sqlx::PgConnection;

pub use super::specs::{Entity, Spec};

/// Rows per statement.
pub const BATCH: usize = 1000;

/// Result of an upsert: rows written and input rows whose parent was missing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub rows: u64,
    pub orphans: u64,
}

/// Why an upsert failed. A database failure keeps the `sqlx::Error` as its source.
#[derive(Debug, thiserror::Error)]
pub enum UpsertError {
    /// A mapper emitted a column its spec does not read (a misspelt or unmapped column would
    /// otherwise be written as NULL without a word).
    #[error(
        "a row for {table} carries column {column:?}, which is not an input column of its spec"
    )]
    UnknownColumn { table: &'static str, column: String },
    /// A mapper emitted something other than a JSON object.
    #[error("a row for {table} is not a JSON object: {row}")]
    NotAnObject { table: &'static str, row: String },
    /// The upsert statement failed.
    #[error("upsert into {table}")]
    Database {
        table: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// Counting the rows whose parent is missing failed.
    #[error("orphan check for {table}")]
    OrphanCheck {
        table: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

/// Check that every row is an object whose keys are all input columns of `entity`'s spec.
pub fn check_rows(entity: Entity, rows: &[Value]) -> Result<(), UpsertError> {
    let spec = entity.spec();
    for row in rows {
        let Some(obj) = row.as_object() else {
            let mut text = row.to_string();
            text.truncate(200);
            return Err(UpsertError::NotAnObject {
                table: spec.table,
                row: text,
            });
        };
        if let Some(column) = obj.keys().find(|k| !spec.input_columns().any(|c| c == *k)) {
            return Err(UpsertError::UnknownColumn {
                table: spec.table,
                column: column.clone(),
            });
        }
    }
    Ok(())
}

/// Upsert `rows` of `entity`, in batches. Every row is checked first ([`check_rows`]): nothing
/// is written when one carries a column the spec does not read.
pub async fn upsert(
    conn: &mut PgConnection,
    entity: Entity,
    rows: &[Value],
) -> Result<Written, UpsertError> {
    check_rows(entity, rows)?;
    let spec = entity.spec();
    let table = spec.table;
    let sql = spec.sql();
    let orphan_sql = spec.orphan_sql();
    let mut w = Written::default();
    for chunk in rows.chunks(BATCH) {
        let arr = Value::Array(chunk.to_vec());
        w.rows += sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&arr)
            .execute(&mut *conn)
            .await
            .map_err(|source| UpsertError::Database { table, source })?
            .rows_affected();
        if let Some(orphan_sql) = &orphan_sql {
            let missing: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(orphan_sql.clone()))
                .bind(&arr)
                .fetch_one(&mut *conn)
                .await
                .map_err(|source| UpsertError::OrphanCheck { table, source })?;
            w.orphans += missing as u64;
        }
    }
    if w.orphans > 0 {
        tracing::warn!(
            table,
            orphans = w.orphans,
            "rows whose parent is not collected were not written"
        );
    }
    Ok(w)
}

/// `v` with its `data_source` set (every collected row names the API it came from).
pub fn with_source(mut v: Value, source: &str) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("data_source".into(), Value::String(source.into()));
    }
    v
}

/// Contributors, then their platform identities; the number of contributor rows written.
pub async fn write_people(
    conn: &mut PgConnection,
    contributors: &[Value],
    identities: &[Value],
) -> Result<u64, UpsertError> {
    let w = upsert(conn, Entity::Contributors, contributors).await?;
    upsert(conn, Entity::Identities, identities).await?;
    Ok(w.rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_with_a_column_its_spec_lacks_is_refused_by_name() {
        let ok =
            json!({"repo_id": 1, "platform_issue_id": 2, "label_text": "bug", "data_source": "x"});
        check_rows(Entity::IssueLabels, std::slice::from_ref(&ok)).unwrap();
        let typo = json!({"repo_id": 1, "platform_issue_id": 2, "lable_text": "bug"});
        let e = check_rows(Entity::IssueLabels, &[ok, typo]).unwrap_err();
        assert!(
            matches!(&e, UpsertError::UnknownColumn { table: "aveloxis_data.issue_labels", column } if column == "lable_text"),
            "{e}"
        );
        assert!(e.to_string().contains("\"lable_text\""), "{e}");
        let e = check_rows(Entity::IssueLabels, &[json!([1, 2])]).unwrap_err();
        assert!(matches!(e, UpsertError::NotAnObject { .. }), "{e}");
    }

    #[test]
    fn entities_are_complete_distinct_and_written_parents_first() {
        let mut keys: Vec<&str> = Entity::ALL.iter().map(|e| e.key()).collect();
        let mut tables: Vec<&str> = Entity::ALL.iter().map(|e| e.table()).collect();
        keys.sort_unstable();
        keys.dedup();
        tables.sort_unstable();
        tables.dedup();
        assert_eq!(keys.len(), Entity::ALL.len());
        assert_eq!(tables.len(), Entity::ALL.len());
        for e in Entity::ALL {
            assert_eq!(Entity::from_key(e.key()), Some(*e));
            // Every table a spec joins to or requires is written before it.
            let spec = e.spec();
            let needs = spec
                .required
                .iter()
                .map(|(from, _)| *from)
                .chain(std::iter::once(spec.joins));
            for text in needs {
                for parent in Entity::ALL.iter().filter(|p| p != &e) {
                    if text.contains(&format!("{} ", parent.table())) {
                        assert!(parent < e, "{e} is written before its parent {parent}");
                    }
                }
            }
        }
    }
}
