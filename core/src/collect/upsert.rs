//! Batched, set-based upserts: one round trip per batch of rows.
//!
//! Rows are JSON objects; a batch is bound as one `jsonb` array and expanded server-side with
//! `jsonb_to_recordset`. Conflicts on the table's natural key update the row, and a NULL never
//! overwrites a value (`COALESCE(EXCLUDED.c, t.c)`). Child rows name their parent by natural key
//! (e.g. `platform_issue_id`); the statement joins to find the parent's surrogate id, so parents
//! must be written first — and a child whose parent is missing is counted, not silently lost.

use serde_json::Value;
use sqlx::PgConnection;

/// Rows per statement.
pub const BATCH: usize = 1000;

/// How one table is upserted.
pub struct Spec {
    /// Qualified table name.
    pub table: &'static str,
    /// Columns of each input row: (name, SQL type).
    pub input: &'static [(&'static str, &'static str)],
    /// (target column, select expression over `x` and the joins).
    pub columns: &'static [(&'static str, &'static str)],
    /// Joins after `FROM jsonb_to_recordset($1) AS x(...)`, resolving parents.
    pub joins: &'static str,
    /// Natural key (must have a unique index).
    pub key: &'static [&'static str],
    /// Parents a row cannot be written without: (`table alias`, condition over `x`). Rows
    /// failing one are counted as orphans.
    pub required: &'static [(&'static str, &'static str)],
    /// Also write `tool_source`, `tool_version`, `data_source` (from the row) and
    /// `data_collection_date` (now).
    pub meta: bool,
}

/// Metadata columns every data row carries when `Spec::meta` is set.
const META_INPUT: &[(&str, &str)] = &[("data_source", "text")];

impl Spec {
    fn input_defs(&self) -> String {
        let extra = if self.meta { META_INPUT } else { &[] };
        self.input
            .iter()
            .chain(extra)
            .map(|(n, t)| format!("{n} {t}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn sql(&self) -> String {
        let mut targets: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        let mut selects: Vec<&str> = self.columns.iter().map(|(_, e)| *e).collect();
        if self.meta {
            targets.extend([
                "tool_source",
                "tool_version",
                "data_source",
                "data_collection_date",
            ]);
            selects.extend([
                "'aveloxis'::text",
                concat!("'", env!("CARGO_PKG_VERSION"), "'::text"),
                "x.data_source",
                "now()",
            ]);
        }
        let updates: Vec<String> = targets
            .iter()
            .filter(|c| !self.key.contains(c))
            .map(|c| format!("{c} = COALESCE(EXCLUDED.{c}, t.{c})"))
            .collect();
        let action = if updates.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            format!("DO UPDATE SET {}", updates.join(", "))
        };
        // DISTINCT ON the key: a page may repeat an item (GitHub pagination shifts while
        // items change); ON CONFLICT must not see the same key twice in one statement.
        format!(
            "INSERT INTO {table} AS t ({targets})
             SELECT DISTINCT ON ({key}) {selects}
               FROM jsonb_to_recordset($1) AS x({input}) {joins}
             ON CONFLICT ({key}) {action}",
            table = self.table,
            targets = targets.join(", "),
            key = self.key.join(", "),
            selects = selects
                .iter()
                .zip(&targets)
                .map(|(e, c)| format!("{e} AS {c}"))
                .collect::<Vec<_>>()
                .join(", "),
            input = self.input_defs(),
            joins = self.joins,
        )
    }
}

/// Result of an upsert: rows written and input rows whose parent was missing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub rows: u64,
    pub orphans: u64,
}

/// Upsert `rows` with `spec`, in batches.
pub async fn upsert(
    conn: &mut PgConnection,
    spec: &Spec,
    rows: &[Value],
) -> anyhow::Result<Written> {
    let sql = spec.sql();
    let mut w = Written::default();
    for chunk in rows.chunks(BATCH) {
        let arr = Value::Array(chunk.to_vec());
        let done = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&arr)
            .execute(&mut *conn)
            .await
            .map_err(|e| anyhow::anyhow!("upsert into {}: {e}", spec.table))?
            .rows_affected();
        w.rows += done;
        if !spec.required.is_empty() {
            let cond = spec
                .required
                .iter()
                .map(|(from, on)| format!("NOT EXISTS (SELECT 1 FROM {from} WHERE {on})"))
                .collect::<Vec<_>>()
                .join(" OR ");
            let missing: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM jsonb_to_recordset($1) AS x({}) WHERE {cond}",
                spec.input_defs()
            )))
            .bind(&arr)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| anyhow::anyhow!("orphan check for {}: {e}", spec.table))?;
            w.orphans += missing as u64;
        }
    }
    if w.orphans > 0 {
        tracing::warn!(
            table = spec.table,
            orphans = w.orphans,
            "rows whose parent is not collected were not written"
        );
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_coalesces_non_key_columns_and_joins_parents() {
        let spec = Spec {
            table: "aveloxis_data.issue_labels",
            input: &[
                ("repo_id", "bigint"),
                ("platform_issue_id", "bigint"),
                ("label_text", "text"),
            ],
            columns: &[
                ("issue_id", "i.issue_id"),
                ("repo_id", "x.repo_id"),
                ("label_text", "x.label_text"),
            ],
            joins: "JOIN aveloxis_data.issues i ON i.repo_id = x.repo_id AND i.platform_issue_id = x.platform_issue_id",
            key: &["issue_id", "label_text"],
            required: &[],
            meta: true,
        };
        let sql = spec.sql();
        assert!(
            sql.contains("repo_id = COALESCE(EXCLUDED.repo_id, t.repo_id)"),
            "{sql}"
        );
        assert!(!sql.contains("label_text = COALESCE"), "{sql}");
        assert!(
            sql.contains("tool_version = COALESCE(EXCLUDED.tool_version"),
            "{sql}"
        );
        assert!(sql.contains("ON CONFLICT (issue_id, label_text)"), "{sql}");
    }
}
