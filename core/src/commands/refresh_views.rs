//! `aveloxis refresh-views`: refresh every materialized view we own.

use anyhow::Result;
use sqlx::PgConnection;

/// CONCURRENTLY when the view is populated and has a unique index (so readers are never
/// blocked), plainly otherwise.
pub(super) async fn run(conn: &mut PgConnection) -> Result<()> {
    aveloxis_migrations::views::refresh_materialized(conn, |line| println!("{line}")).await
}
