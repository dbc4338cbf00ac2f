//! A normalised, order-independent snapshot of our schemas in the live catalog.
//!
//! Used to prove that migrate is idempotent, that `--dry-run` changes nothing, that a fresh
//! install equals an upgraded one, and (by the harness) to compare two databases. Column
//! *positions* are deliberately left out: `ADD COLUMN` appends, so an upgraded table may order
//! its columns differently from a fresh `CREATE TABLE` while being the same table.

use sqlx::PgConnection;

/// The schemas the product owns.
pub const OUR_SCHEMAS: &[&str] = &["aveloxis_data", "aveloxis_ops", "aveloxis_augur_data"];

/// One line per catalog object, sorted. Two databases have the same schema iff equal.
pub async fn snapshot(
    conn: &mut PgConnection,
    schemas: &[&str],
) -> Result<Vec<String>, sqlx::Error> {
    let schemas: Vec<String> = schemas.iter().map(|s| s.to_string()).collect();
    let mut lines: Vec<String> = sqlx::query_scalar(
        r#"
        SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname = ANY($1)
        UNION ALL
        SELECT format('relation %s.%s kind=%s persistence=%s', n.nspname, c.relname, c.relkind, c.relpersistence)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1) AND c.relkind IN ('r','p','v','m','S','f')
        UNION ALL
        SELECT format('column %s.%s.%s %s notnull=%s default=%s identity=%s generated=%s',
                      n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                      a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated)
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE n.nspname = ANY($1) AND c.relkind IN ('r','p','v','m','f')
           AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT format('constraint %s.%s %s: %s deferrable=%s deferred=%s validated=%s',
                      n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid),
                      k.condeferrable, k.condeferred, k.convalidated)
          FROM pg_constraint k
          JOIN pg_class c ON c.oid = k.conrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1)
        UNION ALL
        SELECT format('index %s valid=%s', pg_get_indexdef(i.indexrelid), i.indisvalid)
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1)
        UNION ALL
        SELECT format('view %s.%s: %s', n.nspname, c.relname, pg_get_viewdef(c.oid))
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1) AND c.relkind IN ('v','m')
        UNION ALL
        SELECT format('function %s.%s(%s) returns %s: %s', n.nspname, p.proname,
                      pg_get_function_identity_arguments(p.oid),
                      pg_get_function_result(p.oid), md5(p.prosrc))
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = ANY($1)
        UNION ALL
        SELECT format('trigger %s.%s %s: %s', n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid))
          FROM pg_trigger t
          JOIN pg_class c ON c.oid = t.tgrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY($1) AND NOT t.tgisinternal
        UNION ALL
        SELECT format('type %s.%s kind=%s', n.nspname, t.typname, t.typtype)
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = ANY($1) AND t.typtype IN ('e','d','c')
           AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
        "#,
    )
    .bind(&schemas)
    .fetch_all(&mut *conn)
    .await?;
    lines.sort();
    Ok(lines)
}

/// Lines only in `a` and only in `b`.
pub fn diff(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let only_a = a
        .iter()
        .filter(|l| b.binary_search(l).is_err())
        .cloned()
        .collect();
    let only_b = b
        .iter()
        .filter(|l| a.binary_search(l).is_err())
        .cloned()
        .collect();
    (only_a, only_b)
}

/// A schema-convention violation found in the live catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Name of the check (e.g. `fk_child_columns_not_indexed`).
    pub check: String,
    /// The offending object, as the check's row rendered to JSON.
    pub offender: String,
}

const CONVENTIONS_SQL: &str = include_str!("conventions.sql");

/// The named checks of `conventions.sql`: `(name, query)`; each query returns offenders.
pub fn convention_checks() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in CONVENTIONS_SQL.lines() {
        let marker = line
            .strip_prefix("-- check:")
            .map(|n| (true, n))
            .or_else(|| line.strip_prefix("-- counts:").map(|n| (false, n)));
        if let Some((is_check, name)) = marker {
            out.extend(current.take());
            current = is_check.then(|| (name.trim().to_owned(), String::new()));
        } else if let Some((_, sql)) = current.as_mut() {
            sql.push_str(line);
            sql.push('\n');
        }
    }
    out.extend(current);
    for (_, sql) in &mut out {
        *sql = sql.trim().trim_end_matches(';').to_owned();
    }
    out
}

/// Run every convention check (every FK deferrable, every FK child indexed, contributor FK
/// actions, valid indexes, metadata columns, kinded message key, refreshable matviews, …).
pub async fn conventions(conn: &mut PgConnection) -> Result<Vec<Violation>, sqlx::Error> {
    let mut found = Vec::new();
    for (check, sql) in convention_checks() {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT row_to_json(q)::text FROM ({sql}\n) q"
        )))
        .fetch_all(&mut *conn)
        .await?;
        found.extend(rows.into_iter().map(|offender| Violation {
            check: check.clone(),
            offender,
        }));
    }
    Ok(found)
}

/// Number of objects of `relkind` (`r` table, `m` matview, `v` view) in `schema`.
pub async fn count_relations(
    conn: &mut PgConnection,
    schema: &str,
    relkind: char,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind::text = $2 AND NOT c.relispartition",
    )
    .bind(schema)
    .bind(relkind.to_string())
    .fetch_one(conn)
    .await
}
