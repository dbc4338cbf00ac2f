//! `migrate --dry-run`: what a run would do, in a read-only transaction.

use std::collections::BTreeMap;

use sqlx::{Connection, PgConnection};

use super::{MigrateError, Options, Outcome, read_ledger};
use crate::plan::Plan;

/// Read-only planning: what `run` would do. Never creates anything (the transaction is
/// read-only, so even a bug here cannot write).
pub(super) async fn dry_run(
    conn: &mut PgConnection,
    plan: &Plan,
    opts: &Options,
) -> Result<Outcome, MigrateError> {
    let mut tx = conn.begin().await?;
    sqlx::raw_sql("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await?;
    let has_ledger: bool =
        sqlx::query_scalar("SELECT to_regclass('aveloxis_ops.schema_migrations') IS NOT NULL")
            .fetch_one(&mut *tx)
            .await?;
    let ledger = if has_ledger {
        read_ledger(&mut tx).await?
    } else {
        BTreeMap::new()
    };
    let mut out = Outcome {
        fresh: ledger.is_empty() && opts.target.is_none(),
        schema_version: plan.schema_version(),
        ..Outcome::default()
    };
    let mut text = String::new();
    if out.fresh {
        text.push_str(&format!(
            "fresh database: would apply schema.sql ({} bytes) in one transaction and record \
             steps {}..{} as covered by it\n\n-- schema.sql\n{}\n",
            plan.schema_sql.len(),
            plan.steps.first().map_or(0, |s| s.version),
            plan.schema_version(),
            plan.schema_sql.trim_end()
        ));
    } else {
        let target = opts.target.unwrap_or(u32::MAX);
        for step in plan.steps.iter().filter(|s| s.version <= target) {
            match ledger.get(&step.version) {
                Some(row) if row.checksum != step.checksum => text.push_str(&format!(
                    "EDITED  {} — applied with a different checksum; migrate will fail\n",
                    step.label
                )),
                Some(_) => {}
                None => {
                    out.applied.push(step.label.clone());
                    text.push_str(&format!(
                        "PENDING {} ({:?})\n{}\n\n",
                        step.label,
                        step.mode,
                        step.sql.trim_end()
                    ));
                }
            }
        }
        if out.applied.is_empty() {
            text.push_str("no pending steps\n");
        }
    }
    if !opts.skip_views {
        text.push_str("views: rebuilt if views.sql changed or a view is missing\n");
    }
    out.plan_text = text;
    tx.rollback().await?;
    Ok(out)
}
