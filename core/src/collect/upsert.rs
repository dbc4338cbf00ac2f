//! Batched, set-based upserts: one round trip per batch of rows.
//!
//! Rows are JSON objects; a batch is bound as one `jsonb` array and expanded server-side
//! (`jsonb_array_elements … WITH ORDINALITY`, `jsonb_to_record`). Conflicts on the table's
//! natural key update the row, and a NULL never overwrites a value (`COALESCE(EXCLUDED.c, t.c)`);
//! of two rows with one key in a batch, the later wins. Child rows name their parent by natural
//! key (e.g. `platform_issue_id`); the statement joins to find the parent's surrogate id, so
//! parents must be written first — and a child whose parent is missing is counted, not silently
//! lost.
//!
//! A bad value fails its row, not the run. Each batch runs in a savepoint; when the database
//! refuses it for a value (SQLSTATE class 22, a value not of its type — a date that is not a
//! date, a string or an out-of-range number where an integer goes — or 54000, a value too big
//! to index), the batch is split in halves and retried until the refused rows stand alone.
//! Those are returned as [`Refused`] (with the column read alone that the database refuses,
//! when one is) for the caller to quarantine; every other row is written. A row missing a field
//! its natural key reads is refused before it is sent. Everything else — a constraint, an
//! unknown column, a lost connection — fails the upsert, and so does an upsert of more than one
//! row that writes nothing because every row is refused: that is a broken write (a column whose
//! type no longer fits what the mappers send, a mapper that lost a field), not bad items.

use serde_json::Value;
use sqlx::{Connection, PgConnection};

pub use super::specs::{Entity, Spec};

/// Rows per statement.
pub const BATCH: usize = 1000;

/// A row the database refused, by its index in the input, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub index: usize,
    pub reason: String,
}

/// Result of an upsert: rows written, input rows whose parent was missing, and rows refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub rows: u64,
    pub orphans: u64,
    pub refused: Vec<Refused>,
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
    /// Every row of a batch of several lacks a field of its natural key: a broken mapper, not
    /// bad items.
    #[error("every row for {table} is refused: {reason}")]
    EveryRowRefused { table: &'static str, reason: String },
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

/// Whether the database refused a statement for a value in it (rather than for a constraint,
/// the schema or the connection).
pub fn refused_for_a_value(e: &sqlx::Error) -> bool {
    let code = e.as_database_error().and_then(|d| d.code());
    code.is_some_and(|c| c.starts_with("22") || c == "54000")
}

/// Refused rows of one upsert whose column is looked for (each costs a statement per column).
const DIAGNOSED: usize = 20;

/// The database's words for a failure.
fn db_words(e: &sqlx::Error) -> String {
    match e.as_database_error() {
        Some(d) => d.message().to_owned(),
        None => e.to_string(),
    }
}

/// The statements of one entity's upsert.
struct Statements {
    entity: Entity,
    sql: String,
    orphan_sql: Option<String>,
}

/// Upsert `rows` of `entity`, in batches. Every row is checked first ([`check_rows`]): nothing
/// is written when one carries a column the spec does not read. Rows refused for a value are
/// returned in [`Written::refused`] (see the module docs).
pub async fn upsert(
    conn: &mut PgConnection,
    entity: Entity,
    rows: &[Value],
) -> Result<Written, UpsertError> {
    check_rows(entity, rows)?;
    let spec = entity.spec();
    let st = Statements {
        entity,
        sql: spec.sql(),
        orphan_sql: spec.orphan_sql(),
    };
    let mut w = Written::default();
    let (mut sendable, mut at) = (
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
    );
    for (i, row) in rows.iter().enumerate() {
        match spec.required_inputs().find(|c| row[*c].is_null()) {
            Some(c) => w.refused.push(Refused {
                index: i,
                reason: format!(
                    "{c}: missing (it is part of the natural key of {})",
                    spec.table
                ),
            }),
            None => {
                sendable.push(row);
                at.push(i);
            }
        }
    }
    let table = spec.table;
    if rows.len() > 1 && sendable.is_empty() {
        return Err(UpsertError::EveryRowRefused {
            table,
            reason: w.refused[0].reason.clone(),
        });
    }
    for (rows, at) in sendable.chunks(BATCH).zip(at.chunks(BATCH)) {
        write_batch(conn, &st, rows, at, &mut w).await?;
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

/// Write one batch, isolating the rows refused for a value (`at`: their input indexes).
async fn write_batch(
    conn: &mut PgConnection,
    st: &Statements,
    rows: &[&Value],
    at: &[usize],
    w: &mut Written,
) -> Result<(), UpsertError> {
    let table = st.entity.table();
    let everything = w.refused.len() + rows.len();
    let mut first_refusal: Option<sqlx::Error> = None;
    // Ranges still to write, the next on top: halves are pushed right first, so rows keep
    // their order (a later row of a key still wins over an earlier one).
    let mut todo = vec![(0, rows.len())];
    while let Some((a, b)) = todo.pop() {
        let e = match try_rows(conn, st, &rows[a..b]).await? {
            Ok((n, orphans)) => {
                w.rows += n;
                w.orphans += orphans;
                continue;
            }
            Err(e) => e,
        };
        if b - a > 1 {
            let m = a + (b - a) / 2;
            todo.push((m, b));
            todo.push((a, m));
            first_refusal.get_or_insert(e);
            continue;
        }
        let reason = if w.refused.len() < DIAGNOSED {
            diagnose(conn, st, rows[a], &e).await?
        } else {
            format!("{table}: {}", db_words(&e))
        };
        w.refused.push(Refused {
            index: at[a],
            reason,
        });
        first_refusal.get_or_insert(e);
    }
    if let Some(source) = first_refusal
        && w.rows == 0
        && w.refused.len() == everything
        && everything > 1
    {
        return Err(UpsertError::Database { table, source });
    }
    Ok(())
}

/// Rows written and orphans of `rows` in a savepoint; `Ok(Err(e))` when the database refused
/// them for a value (the savepoint rolled back), `Err` for any other failure.
async fn try_rows(
    conn: &mut PgConnection,
    st: &Statements,
    rows: &[&Value],
) -> Result<Result<(u64, u64), sqlx::Error>, UpsertError> {
    let table = st.entity.table();
    let arr = Value::Array(rows.iter().map(|r| (*r).clone()).collect());
    let db = |source| UpsertError::Database { table, source };
    let mut sp = conn.begin().await.map_err(db)?;
    let written = sqlx::query(sqlx::AssertSqlSafe(st.sql.clone()))
        .bind(&arr)
        .execute(&mut *sp)
        .await;
    let n = match written {
        Ok(done) => done.rows_affected(),
        Err(e) if refused_for_a_value(&e) => {
            sp.rollback().await.map_err(db)?;
            return Ok(Err(e));
        }
        Err(source) => return Err(db(source)),
    };
    let mut orphans = 0;
    if let Some(orphan_sql) = &st.orphan_sql {
        let missing: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(orphan_sql.clone()))
            .bind(&arr)
            .fetch_one(&mut *sp)
            .await
            .map_err(|source| UpsertError::OrphanCheck { table, source })?;
        orphans = missing as u64;
    }
    sp.commit().await.map_err(db)?;
    Ok(Ok((n, orphans)))
}

/// Why the database refused `row`: the first input column it refuses read alone (named, with
/// the database's words), else the refusal of the whole row.
async fn diagnose(
    conn: &mut PgConnection,
    st: &Statements,
    row: &Value,
    refusal: &sqlx::Error,
) -> Result<String, UpsertError> {
    let spec = st.entity.spec();
    let table = spec.table;
    let db = |source| UpsertError::Database { table, source };
    let present: Vec<&'static str> = spec
        .input_columns()
        .filter(|c| !row[*c].is_null())
        .collect();
    for column in present {
        let Some(sql) = spec.read_column_sql(column) else {
            continue;
        };
        let mut sp = conn.begin().await.map_err(db)?;
        let read = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(row)
            .execute(&mut *sp)
            .await;
        sp.rollback().await.map_err(db)?;
        match read {
            Ok(_) => {}
            Err(e) if refused_for_a_value(&e) => return Ok(format!("{column}: {}", db_words(&e))),
            Err(source) => return Err(db(source)),
        }
    }
    Ok(format!("{table}: {}", db_words(refusal)))
}

/// `v` with its `data_source` set (every collected row names the API it came from).
pub fn with_source(mut v: Value, source: &str) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("data_source".into(), Value::String(source.into()));
    }
    v
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
