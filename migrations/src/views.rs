//! The view schemas: what views exist, and refreshing the materialized views.
//!
//! `views.sql` is rebuilt by the engine ([`crate::run`]) when it changes; between rebuilds the
//! materialized views are refreshed here (`aveloxis refresh-views`, the daemon's weekly rebuild).

use anyhow::{Result, bail};
use sqlx::{PgConnection, Row};

use crate::sql::quote_ident;

/// The schemas `views.sql` builds views in.
pub const VIEW_SCHEMAS: &[&str] = &["aveloxis_data", "aveloxis_augur_data"];

/// Names of the views and materialized views in the view schemas, as `schema.name`.
pub(crate) async fn current_views(
    conn: &mut PgConnection,
) -> Result<Vec<(String, String, bool)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT n.nspname::text, c.relname::text, c.relkind = 'm'
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1)
          ORDER BY 1, 2",
    )
    .bind(VIEW_SCHEMAS)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// Refresh every materialized view of our schemas, `CONCURRENTLY` when it is populated and has
/// a valid unique index. Each one done is reported through `done` (a line for the operator);
/// a failure does not stop the others, and every failure is returned by name.
pub async fn refresh_materialized(
    conn: &mut PgConnection,
    mut done: impl FnMut(&str),
) -> Result<()> {
    let rows = sqlx::query(
        "SELECT n.nspname::text, c.relname::text, c.relispopulated,
                EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique
                          AND i.indisvalid AND i.indpred IS NULL)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'm' AND n.nspname = ANY($1)
          ORDER BY 1, 2",
    )
    .bind(crate::catalog::OUR_SCHEMAS)
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        bail!("no materialized views found; run `aveloxis migrate` without --skip-views first");
    }
    let mut failures = Vec::new();
    for r in &rows {
        let (schema, name): (String, String) = (r.get(0), r.get(1));
        let concurrently = r.get::<bool, _>(2) && r.get::<bool, _>(3);
        let sql = format!(
            "REFRESH MATERIALIZED VIEW {}{}.{}",
            if concurrently { "CONCURRENTLY " } else { "" },
            quote_ident(&schema),
            quote_ident(&name)
        );
        let started = std::time::Instant::now();
        match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
        {
            Ok(_) => done(&format!(
                "refreshed {schema}.{name}{} in {} ms",
                if concurrently { " (concurrently)" } else { "" },
                started.elapsed().as_millis()
            )),
            Err(e) => failures.push(format!("{schema}.{name}: {e}")),
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} materialized view(s) failed to refresh:\n  - {}",
            failures.len(),
            failures.join("\n  - ")
        );
    }
    Ok(())
}
