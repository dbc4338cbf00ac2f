//! The engine's ledger (`aveloxis_ops.schema_migrations`): reading it and recording a step.

use std::collections::BTreeMap;

use sqlx::{PgConnection, Row};

use crate::plan::Step;

pub(super) struct LedgerRow {
    pub(super) label: String,
    pub(super) checksum: String,
}

pub(super) fn short(s: &str) -> &str {
    &s[..s.len().min(12)]
}

pub(super) async fn read_ledger(
    conn: &mut PgConnection,
) -> Result<BTreeMap<u32, LedgerRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT version, label, checksum FROM aveloxis_ops.schema_migrations")
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let v: i32 = r.get(0);
            let label: String = r.get(1);
            let label = label
                .split_once(' ')
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or(label);
            (
                v as u32,
                LedgerRow {
                    label,
                    checksum: r.get(2),
                },
            )
        })
        .collect())
}

pub(super) async fn record(
    conn: &mut PgConnection,
    step: &Step,
    via: &str,
    ms: i64,
    tool_version: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.schema_migrations
             (version, label, checksum, applied_via, duration_ms, tool_version)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(step.version as i32)
    .bind(&step.label)
    .bind(&step.checksum)
    .bind(via)
    .bind(ms)
    .bind(tool_version)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}
