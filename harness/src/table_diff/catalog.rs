//! The catalog of one side: every relation of the compared schemas with its columns, and the
//! rule that decides which columns take part in the content comparison (see
//! [`super`]).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

pub const METADATA_COLUMNS: &[&str] = &[
    "tool_source",
    "tool_version",
    "data_source",
    "data_collection_date",
];

/// Columns that say when something was collected or derived, not what (a profile's fetch time,
/// an e-mail's lookup time): never equal between two collections.
pub const COLLECTION_TIMES: &[&str] = &["cntrb_last_enriched_at", "looked_up_at"];

/// The migration engine's own tables (rule 7).
pub const BOOKKEEPING_TABLES: &[&str] = &["schema_migrations", "schema_meta"];

pub const VOLATILE_DEFAULTS: &[&str] = &[
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
    /// A contributor id (`contributors.cntrb_id` or a reference to it): compared through
    /// [`value_sql`], which keeps deterministic GithubUUIDs and translates random ones.
    #[serde(skip)]
    pub contributor: bool,
}

/// The contributor table whose ids [`value_sql`] translates.
pub const CONTRIBUTORS: &str = "aveloxis_data.contributors.cntrb_id";

/// A deterministic contributor id (`core/src/contributor_id.rs`): byte 0 the platform (1
/// GitHub, 2 GitLab), bytes 1–4 the forge user id and the rest zero, or bytes 1–8 and the
/// marker 0x01 in byte 15 for ids of 2^32 and above.
const GITHUB_UUID: &str = "'^0[12][0-9a-f]{6}-[0-9a-f]{2}00-0000-0000-000000000000$'";
const GITHUB_UUID_WIDE: &str =
    "'^0[12][0-9a-f]{6}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{2}00-000000000001$'";

/// The value of `alias.column` as the comparison sees it. A contributor id is deterministic
/// when the forge user is known (a GithubUUID: compared as it is); the commit facade gives a
/// contributor known only by an e-mail address a random id (`Uuid::new_v4`), which is
/// translated to that contributor's e-mail — the key the facade creates it by — so two
/// collections compare equal and a re-pointed reference still shows.
pub fn value_sql(col: &Column, alias: &str) -> String {
    let v = format!("{alias}.{}", aveloxis_pg::quote_ident(&col.name));
    if !col.contributor {
        return v;
    }
    format!(
        "(CASE WHEN {v} IS NULL THEN NULL \
               WHEN {v}::text ~ {GITHUB_UUID} OR {v}::text ~ {GITHUB_UUID_WIDE} THEN {v}::text \
               ELSE 'e-mail:' || coalesce((SELECT k.cntrb_email FROM aveloxis_data.contributors k \
                                            WHERE k.cntrb_id = {v}), '(no contributor)') END)"
    )
}

/// One relation (base table, materialized view or view) on one side.
#[derive(Clone, Debug, Serialize)]
pub struct Relation {
    pub schema: String,
    pub name: String,
    /// `table`, `matview` or `view`.
    pub kind: String,
    pub columns: BTreeMap<String, Column>,
}

impl Relation {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

pub type Catalog = BTreeMap<(String, String), Relation>;

/// One column of the catalog query, before the rule is applied.
struct Raw {
    schema: String,
    table: String,
    kind: String,
    name: String,
    data_type: String,
    default: String,
    identity: bool,
    /// `schema.table.column` of every column a foreign key of this column references.
    references: Vec<String>,
    not_null: bool,
    /// For a view or matview: `schema.table.column` of every column of the same name its query
    /// reads (the catalog records which columns a view reads, not which output each feeds; the
    /// views keep the names of the columns they pass through).
    sources: Vec<String>,
}

impl Raw {
    fn from_row(r: &PgRow) -> sqlx::Result<Raw> {
        Ok(Raw {
            schema: r.try_get("schema")?,
            table: r.try_get("table_name")?,
            kind: r.try_get("kind")?,
            name: r.try_get("name")?,
            data_type: r.try_get("data_type")?,
            default: r.try_get("default_expr")?,
            identity: r.try_get("identity")?,
            references: r.try_get("refs")?,
            not_null: r.try_get("not_null")?,
            sources: r.try_get("sources")?,
        })
    }

    /// An identity column or one whose default calls `nextval()`.
    fn serial(&self) -> bool {
        self.identity || self.default.contains("nextval(")
    }

    /// A default evaluated anew at every insert.
    fn volatile(&self) -> bool {
        VOLATILE_DEFAULTS.iter().any(|v| self.default.contains(v))
    }

    fn qualified(&self) -> String {
        format!("{}.{}.{}", self.schema, self.table, self.name)
    }
}

const CATALOG_SQL: &str = r#"
        SELECT n.nspname::text AS schema, c.relname::text AS table_name,
               c.relkind::text AS kind, a.attname::text AS name,
               format_type(a.atttypid, a.atttypmod) AS data_type,
               coalesce(lower(pg_get_expr(d.adbin, d.adrelid)), '') AS default_expr,
               a.attidentity <> '' OR a.attgenerated <> '' AS identity,
               coalesce((
                 SELECT array_agg(format('%s.%s.%s', rn.nspname, rc.relname, ra.attname))
                   FROM pg_constraint k
                   JOIN LATERAL unnest(k.conkey, k.confkey) AS u(ck, fk) ON true
                   JOIN pg_class rc ON rc.oid = k.confrelid
                   JOIN pg_namespace rn ON rn.oid = rc.relnamespace
                   JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = u.fk
                  WHERE k.contype = 'f' AND k.conrelid = c.oid AND u.ck = a.attnum
               ), ARRAY[]::text[]) AS refs,
               a.attnotnull AS not_null,
               coalesce((
                 SELECT array_agg(format('%s.%s.%s', dn.nspname, dc.relname, da.attname))
                   FROM pg_rewrite w
                   JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
                   JOIN pg_class dc ON dc.oid = d.refobjid AND dc.oid <> c.oid
                   JOIN pg_namespace dn ON dn.oid = dc.relnamespace
                   JOIN pg_attribute da ON da.attrelid = d.refobjid AND da.attnum = d.refobjsubid
                  WHERE w.ev_class = c.oid AND c.relkind IN ('v', 'm') AND da.attname = a.attname
               ), ARRAY[]::text[]) AS sources
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
         WHERE n.nspname = ANY($1) AND c.relkind::text = ANY($2) AND NOT c.relispartition
         ORDER BY 1, 2, a.attnum
        "#;

/// The relations of `schemas` (base tables, plus materialized and plain views when asked) with
/// their columns and the content-comparison rule applied.
pub async fn discover(conn: &mut PgConnection, schemas: &[&str], views: bool) -> Result<Catalog> {
    let schemas: Vec<String> = schemas.iter().map(|s| s.to_string()).collect();
    let kinds: Vec<String> = if views {
        vec!["r".into(), "p".into(), "m".into(), "v".into()]
    } else {
        vec!["r".into(), "p".into()]
    };
    let rows = sqlx::query(CATALOG_SQL)
        .bind(&schemas)
        .bind(&kinds)
        .fetch_all(&mut *conn)
        .await
        .context("reading the catalog")?;
    let raws = rows
        .iter()
        .map(Raw::from_row)
        .collect::<sqlx::Result<Vec<_>>>()
        .context("reading the catalog")?;
    Ok(apply_rule(&raws))
}

/// Group the columns into relations, each column with its exclusion reason.
fn apply_rule(raws: &[Raw]) -> Catalog {
    let surrogate_names: BTreeSet<&str> = raws
        .iter()
        .filter(|r| r.serial())
        .map(|r| r.name.as_str())
        .collect();
    let mut generated: BTreeSet<String> = raws
        .iter()
        .filter(|r| r.serial() || r.volatile())
        .map(Raw::qualified)
        .collect();
    // A view column passing a generated column through is generated too (views over views).
    loop {
        let more: Vec<String> = raws
            .iter()
            .filter(|r| !generated.contains(&r.qualified()))
            .filter(|r| r.sources.iter().any(|s| generated.contains(s)))
            .map(Raw::qualified)
            .collect();
        if more.is_empty() {
            break;
        }
        generated.extend(more);
    }
    let mut out = Catalog::new();
    for r in raws {
        let rel = out
            .entry((r.schema.clone(), r.table.clone()))
            .or_insert_with(|| Relation {
                schema: r.schema.clone(),
                name: r.table.clone(),
                kind: match r.kind.as_str() {
                    "m" => "matview",
                    "v" => "view",
                    _ => "table",
                }
                .into(),
                columns: BTreeMap::new(),
            });
        rel.columns.insert(
            r.name.clone(),
            Column {
                name: r.name.clone(),
                data_type: r.data_type.clone(),
                excluded: exclusion(r, &generated, &surrogate_names),
                serial: r.serial(),
                generated: !r.serial()
                    && (r.volatile() || r.references.iter().any(|t| generated.contains(t))),
                not_null: r.not_null,
                contributor: contributor(r),
            },
        );
    }
    out
}

/// A contributor id: `contributors.cntrb_id` itself, a `uuid` column with a foreign key onto
/// it, or a `uuid` column with neither a foreign key nor a default of its own (a view's or a
/// matview's column, `cntrb_id` columns of derived tables without a constraint).
fn contributor(r: &Raw) -> bool {
    if r.data_type != "uuid" {
        return false;
    }
    if r.qualified() == CONTRIBUTORS {
        return true;
    }
    if r.references.is_empty() {
        r.default.is_empty()
    } else {
        r.references.iter().all(|t| t == CONTRIBUTORS)
    }
}

/// Why a column is left out of the content hash (`None` = compared): the rule of [`super`].
fn exclusion(
    r: &Raw,
    generated: &BTreeSet<String>,
    surrogate_names: &BTreeSet<&str>,
) -> Option<String> {
    let reason = if r.serial() {
        "surrogate key"
    } else if contributor(r) {
        return None;
    } else if let Some(target) = r.references.iter().find(|t| generated.contains(*t)) {
        return Some(format!("references generated key {target}"));
    } else if let Some(source) = r.sources.iter().find(|t| generated.contains(*t)) {
        return Some(format!("passes through generated column {source}"));
    } else if (r.kind == "v" || r.kind == "m") && r.name.ends_with("_id") {
        // Renamed or computed (`source_id` over a UNION of serial ids): the catalog has no
        // column lineage to prove it is not a surrogate key (the tables below compare ids).
        "view id without lineage"
    } else if surrogate_names.contains(r.name.as_str()) {
        "surrogate key reference"
    } else if r.volatile() {
        "generated at insert time"
    } else if METADATA_COLUMNS.contains(&r.name.as_str()) {
        "collection metadata"
    } else if COLLECTION_TIMES.contains(&r.name.as_str()) {
        "time of collection"
    } else if r.schema == "aveloxis_ops" && BOOKKEEPING_TABLES.contains(&r.table.as_str()) {
        "schema bookkeeping"
    } else if r.schema == "aveloxis_ops"
        && (r.data_type.starts_with("timestamp")
            || r.name.ends_with("duration_ms")
            || r.name == "locked_by"
            || r.name == "worker"
            || r.name.ends_with("_task_id")
            || r.name.starts_with("last_")
            || r.name.ends_with("_sum"))
    {
        "operational state"
    } else if ["token", "secret", "password", "consumer_key"]
        .iter()
        .any(|w| r.name.contains(w))
    {
        "credential"
    } else {
        return None;
    };
    Some(reason.to_string())
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
                            contributor: false,
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
