//! Rebuilding the views of `views.sql` when the file changed or one of its views is missing.
//!
//! Only the views `views.sql` owns are dropped: those recorded by the last rebuild and those the
//! file creates. A view anyone else made (an analyst's view in our schemas, Augur's or a
//! dashboard's view elsewhere) is never dropped: when one depends on a view we must drop, the
//! rebuild fails naming it, before anything is written.

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::{Options, compat, describe, retryable};
use crate::plan::Plan;
use crate::sql::quote_ident;
use crate::views::current_views;
use std::collections::BTreeSet;

/// Drop and recreate every view `views.sql` owns, in one transaction, and record the file's
/// checksum and the view names in `schema_meta`; `false` when nothing needed rebuilding.
pub(super) async fn rebuild_views_if_needed(
    conn: &mut PgConnection,
    plan: &Plan,
    opts: &Options,
) -> Result<bool, RebuildError> {
    let checksum = plan.views_checksum();
    let meta: Option<(Option<String>, Vec<String>)> =
        sqlx::query_as("SELECT views_checksum, views FROM aveloxis_ops.schema_meta")
            .fetch_optional(&mut *conn)
            .await?;
    let present: Vec<String> = current_views(conn)
        .await?
        .into_iter()
        .map(|(s, n, _)| format!("{s}.{n}"))
        .collect();
    let up_to_date = match &meta {
        Some((Some(c), names)) => *c == checksum && names.iter().all(|n| present.contains(n)),
        _ => false,
    };
    if up_to_date {
        return Ok(false);
    }
    let mut owned: BTreeSet<String> = created_by(&plan.views_sql);
    if let Some((_, names)) = &meta {
        owned.extend(names.iter().cloned());
    }
    let foreign = foreign_dependents(conn, &owned).await?;
    if !foreign.is_empty() {
        return Err(RebuildError::Dependents(foreign));
    }
    tracing::info!("building views (views.sql changed or a view is missing)");
    let version = plan.schema_version() as i32;
    let tool = opts.tool_version.clone();
    retry!(opts, async {
        let checksum = checksum.clone();
        let tool = tool.clone();
        let mut tx = conn.begin().await?;
        // Drop what views.sql owns (views only — never a table), then recreate.
        for (schema, name, mat) in current_views(&mut tx).await? {
            if !owned.contains(&format!("{schema}.{name}")) {
                continue;
            }
            let kind = if mat { "MATERIALIZED VIEW" } else { "VIEW" };
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP {kind} IF EXISTS {}.{} CASCADE",
                quote_ident(&schema),
                quote_ident(&name)
            )))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(plan.views_sql.clone()))
            .execute(&mut *tx)
            .await?;
        let created = created_by(&plan.views_sql);
        let names: Vec<String> = current_views(&mut tx)
            .await?
            .into_iter()
            .map(|(s, n, _)| format!("{s}.{n}"))
            .filter(|n| created.contains(n))
            .collect();
        sqlx::query(
            "INSERT INTO aveloxis_ops.schema_meta
                     (singleton, schema_version, tool_version, views_checksum, views)
                 VALUES (TRUE, $1, $2, $3, $4)
                 ON CONFLICT (singleton) DO UPDATE
                 SET views_checksum = EXCLUDED.views_checksum, views = EXCLUDED.views",
        )
        .bind(version)
        .bind(tool)
        .bind(checksum)
        .bind(names)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })
    .await?;
    Ok(true)
}

/// Why the views could not be rebuilt.
#[derive(Debug)]
pub(super) enum RebuildError {
    Database(sqlx::Error),
    /// Views we do not own that depend on views we would drop: `dependent (on owned view)`.
    Dependents(Vec<String>),
}

impl From<sqlx::Error> for RebuildError {
    fn from(e: sqlx::Error) -> Self {
        RebuildError::Database(e)
    }
}

impl std::fmt::Display for RebuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RebuildError::Database(e) => f.write_str(&describe(e)),
            RebuildError::Dependents(d) => write!(
                f,
                "views not built by aveloxis depend on views it must rebuild, and would be \
                 dropped with them: {}; drop them (and re-create them after migrate) or move \
                 their definitions off these views — nothing was changed",
                d.join(", ")
            ),
        }
    }
}

/// `schema.name` of every view and materialized view the SQL text creates.
pub(super) fn created_by(sql: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in sql.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
        if upper.first().map(String::as_str) != Some("CREATE") {
            continue;
        }
        let Some(v) = upper.iter().position(|w| w == "VIEW") else {
            continue;
        };
        let mut i = v + 1;
        if upper.get(i).map(String::as_str) == Some("IF") {
            i += 3; // IF NOT EXISTS
        }
        if let Some(name) = words.get(i) {
            let name = name.trim_end_matches(['(', ';']).replace('"', "");
            if name.contains('.') {
                out.insert(name.to_ascii_lowercase());
            }
        }
    }
    out
}

/// Views and materialized views outside `owned` (and outside our CollectOSS-named schema)
/// whose definition uses one of `owned`.
async fn foreign_dependents(
    conn: &mut PgConnection,
    owned: &BTreeSet<String>,
) -> Result<Vec<String>, sqlx::Error> {
    // The CollectOSS-named views we built read these views; they go with them (CASCADE) and
    // are built again after the rebuild.
    let ours = compat::presence(conn).await? == compat::Presence::Ours;
    let ignore: &[&str] = if ours { &[compat::COMPAT_SCHEMA] } else { &[] };
    let owned: Vec<&String> = owned.iter().collect();
    sqlx::query_scalar(
        "SELECT DISTINCT format('%I.%I (on %I.%I)', dn.nspname, dc.relname, sn.nspname, sc.relname)
           FROM pg_depend d
           JOIN pg_rewrite r ON r.oid = d.objid
           JOIN pg_class dc ON dc.oid = r.ev_class
           JOIN pg_namespace dn ON dn.oid = dc.relnamespace
           JOIN pg_class sc ON sc.oid = d.refobjid
           JOIN pg_namespace sn ON sn.oid = sc.relnamespace
          WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
            AND dc.oid <> sc.oid
            AND (sn.nspname || '.' || sc.relname) = ANY($1)
            AND NOT (dn.nspname || '.' || dc.relname) = ANY($1)
            AND NOT dn.nspname = ANY($2)
          ORDER BY 1",
    )
    .bind(owned)
    .bind(ignore)
    .fetch_all(&mut *conn)
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_views_a_file_creates_are_found_by_name() {
        let names = super::created_by(
            "-- CREATE VIEW not.this\nCREATE MATERIALIZED VIEW IF NOT EXISTS aveloxis_data.mv_a AS\n\
             create or replace view aveloxis_augur_data.v_b AS SELECT 1;\nCREATE VIEW bare AS SELECT 1;",
        );
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(names, ["aveloxis_augur_data.v_b", "aveloxis_data.mv_a"]);
    }
}
