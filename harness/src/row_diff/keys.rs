//! Stable keys: which unique index keys a table, and how local serial ids in it are replaced
//! by their parents' keys (see [`super`]).

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use aveloxis_pg::quote_ident;
use sqlx::{PgConnection, Row};

use super::{REPO_KEY, REPOS, SCHEMA};
use crate::table_diff::{self, Catalog};

#[derive(Clone, Debug)]
struct UniqueIndex {
    name: String,
    primary: bool,
    constraint: bool,
    columns: Vec<String>,
}

/// What one side's catalog says about keys.
pub(super) struct Keys {
    pub(super) rels: Catalog,
    uniques: BTreeMap<String, Vec<UniqueIndex>>,
    /// (table, column) → (parent table, parent column), single-column FKs within the schema.
    fks: BTreeMap<(String, String), (String, String)>,
    /// Serial column name → the tables whose single-column unique key it is.
    serial_owners: BTreeMap<String, Vec<String>>,
}

impl Keys {
    pub(super) async fn load(conn: &mut PgConnection) -> Result<Keys> {
        let rels = table_diff::discover(conn, &[SCHEMA], false).await?;
        let uniques = unique_indexes(conn).await?;
        let fks = foreign_keys(conn).await?;
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

    pub(super) fn has_column(&self, table: &str, column: &str) -> bool {
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
pub(super) struct Join {
    pub(super) alias: String,
    pub(super) table: String,
    pub(super) column: String,
    pub(super) from_alias: String,
    pub(super) from_column: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct KeyPart {
    /// FK columns followed to reach the value.
    pub(super) via: Vec<String>,
    pub(super) alias: String,
    pub(super) column: String,
    /// The value is generated at insert time (see [`Keys::is_generated`]).
    pub(super) generated: bool,
}

/// How to read a table's stable key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct KeyPlan {
    pub(super) index: String,
    pub(super) parts: Vec<KeyPart>,
    pub(super) joins: Vec<Join>,
}

impl KeyPlan {
    pub(super) fn labels(&self) -> Vec<String> {
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

pub(super) fn plan_table(keys: &Keys, table: &str) -> std::result::Result<KeyPlan, String> {
    let mut joins = Vec::new();
    let (index, parts) = plan_parts(keys, table, "t", &[], &mut joins, 0)?;
    Ok(KeyPlan {
        index,
        parts,
        joins,
    })
}

/// The unique indexes of every table (unique, valid, non-partial, plain columns).
async fn unique_indexes(conn: &mut PgConnection) -> Result<BTreeMap<String, Vec<UniqueIndex>>> {
    let rows = sqlx::query(UNIQUE_INDEXES_SQL)
        .bind(SCHEMA)
        .fetch_all(&mut *conn)
        .await
        .context("reading unique indexes")?;
    let mut uniques: BTreeMap<String, Vec<UniqueIndex>> = BTreeMap::new();
    for r in rows {
        uniques
            .entry(r.try_get("table_name")?)
            .or_default()
            .push(UniqueIndex {
                name: r.try_get("index_name")?,
                primary: r.try_get("is_primary")?,
                constraint: r.try_get("is_constraint")?,
                columns: r.try_get("columns")?,
            });
    }
    Ok(uniques)
}

type ForeignKeys = BTreeMap<(String, String), (String, String)>;

/// The single-column foreign keys within the schema.
async fn foreign_keys(conn: &mut PgConnection) -> Result<ForeignKeys> {
    let rows = sqlx::query(FOREIGN_KEYS_SQL)
        .bind(SCHEMA)
        .fetch_all(&mut *conn)
        .await
        .context("reading foreign keys")?;
    let mut fks = ForeignKeys::new();
    for r in rows {
        fks.insert(
            (r.try_get("table_name")?, r.try_get("column_name")?),
            (r.try_get("parent_table")?, r.try_get("parent_column")?),
        );
    }
    Ok(fks)
}

const UNIQUE_INDEXES_SQL: &str = r#"
        SELECT c.relname::text AS table_name, i.relname::text AS index_name,
               x.indisprimary AS is_primary,
               EXISTS (SELECT 1 FROM pg_constraint k
                        WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u'))
                 AS is_constraint,
               array(SELECT a.attname::text
                       FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS u(att, ord)
                       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = u.att
                      WHERE u.ord <= x.indnkeyatts
                      ORDER BY u.ord) AS columns
          FROM pg_index x
          JOIN pg_class c ON c.oid = x.indrelid
          JOIN pg_class i ON i.oid = x.indexrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND x.indisunique AND x.indisvalid
           AND x.indpred IS NULL AND x.indexprs IS NULL
        "#;

const FOREIGN_KEYS_SQL: &str = r#"
        SELECT c.relname::text AS table_name, a.attname::text AS column_name,
               pc.relname::text AS parent_table, pa.attname::text AS parent_column
          FROM pg_constraint k
          JOIN pg_class c ON c.oid = k.conrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_class pc ON pc.oid = k.confrelid
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
          JOIN pg_attribute pa ON pa.attrelid = pc.oid AND pa.attnum = k.confkey[1]
         WHERE k.contype = 'f' AND n.nspname = $1 AND pn.nspname = $1
           AND cardinality(k.conkey) = 1
        "#;

/// The SQL that scopes a table to one repository (`repo_git = $1`), adding the join it needs;
/// `None` when the table is not tied to a repository.
pub(super) fn repo_scope(keys: &Keys, table: &str, plan: &mut KeyPlan) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
