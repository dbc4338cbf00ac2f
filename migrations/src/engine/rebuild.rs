//! Rebuilding the views of `views.sql` when the file changed or one of its views is missing.

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::{Options, describe, retryable};
use crate::plan::Plan;
use crate::sql::quote_ident;
use crate::views::current_views;

/// Drop and recreate every view `views.sql` owns, in one transaction, and record the file's
/// checksum and the view names in `schema_meta`; `false` when nothing needed rebuilding.
pub(super) async fn rebuild_views_if_needed(
    conn: &mut PgConnection,
    plan: &Plan,
    opts: &Options,
) -> Result<bool, sqlx::Error> {
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
    tracing::info!("building views (views.sql changed or a view is missing)");
    let version = plan.schema_version() as i32;
    let tool = opts.tool_version.clone();
    retry!(opts, async {
        let checksum = checksum.clone();
        let tool = tool.clone();
        let mut tx = conn.begin().await?;
        // Drop what views.sql owns (views only — never a table), then recreate.
        for (schema, name, mat) in current_views(&mut tx).await? {
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
        let names: Vec<String> = current_views(&mut tx)
            .await?
            .into_iter()
            .map(|(s, n, _)| format!("{s}.{n}"))
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
