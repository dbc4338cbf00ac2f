//! The schema-version check every command except `migrate` and `serve` runs first.

use sqlx::PgConnection;

use crate::plan::Plan;

/// Why a non-migrating command refuses to run.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("the database has not been migrated; run `aveloxis migrate`")]
    NotMigrated,
    #[error(
        "the database schema is at version {found}, this aveloxis needs {expected}; \
         run `aveloxis migrate`"
    )]
    Behind { found: u32, expected: u32 },
    #[error(
        "the database schema is at version {found}, newer than this aveloxis ({expected}); \
         upgrade the aveloxis binary"
    )]
    Ahead { found: u32, expected: u32 },
    #[error("could not read the schema version: {0}")]
    Database(#[from] sqlx::Error),
}

/// The check every command except `migrate` and `serve` runs first.
pub async fn check_schema_version(
    conn: &mut PgConnection,
    plan: &Plan,
) -> Result<u32, VersionError> {
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('aveloxis_ops.schema_meta') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        return Err(VersionError::NotMigrated);
    }
    let found: Option<i32> =
        sqlx::query_scalar("SELECT schema_version FROM aveloxis_ops.schema_meta")
            .fetch_optional(&mut *conn)
            .await?;
    let expected = plan.schema_version();
    match found {
        None => Err(VersionError::NotMigrated),
        Some(v) if (v as u32) < expected => Err(VersionError::Behind {
            found: v as u32,
            expected,
        }),
        Some(v) if (v as u32) > expected => Err(VersionError::Ahead {
            found: v as u32,
            expected,
        }),
        Some(v) => Ok(v as u32),
    }
}
