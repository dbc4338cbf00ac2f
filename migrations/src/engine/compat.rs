//! The CollectOSS-named compatibility schema (`data`), built when the operator asks for it
//! (`database.collectoss_schema`; [`super::Options::collectoss_schema`]).
//!
//! CollectOSS renamed Augur's `augur_data` to `data` (its alembic revision 43) and its clients
//! run with `search_path = public, data, operations, spdx`. For them the schema `data` holds one
//! plain view per name a consumer of `search_path = aveloxis_augur_data, aveloxis_data`
//! resolves (every table, view and materialized view of the two schemas, the first schema
//! winning), `SELECT *` of that object: so CollectOSS's own search path, unchanged, sees
//! exactly what Augur's clients see through ours, with Augur's result shapes.
//!
//! The schema is ours only when it carries [`MARKER`] as its comment and holds nothing but
//! views. Any other `data` schema (a real CollectOSS database's) is never written: asking for
//! the option then fails the run before anything is applied, naming the schema. Turning the
//! option off drops the schema we made, and only that one.

use sqlx::{Connection, PgConnection, Row};

use crate::sql::{quote_ident, quote_literal};

/// The CollectOSS name of Augur's data schema.
pub const COMPAT_SCHEMA: &str = "data";

/// The comment that marks the compatibility schema as built by aveloxis.
pub const MARKER: &str = "aveloxis: CollectOSS-named views of aveloxis_augur_data and \
                          aveloxis_data, rebuilt by aveloxis migrate (database.collectoss_schema)";

/// The schemas whose names the compatibility schema mirrors, in a consumer's search order.
const SOURCES: &[&str] = &["aveloxis_augur_data", "aveloxis_data"];

/// What the database holds under [`COMPAT_SCHEMA`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presence {
    Absent,
    /// Built by aveloxis: marked, views only.
    Ours,
    /// Someone else's (a CollectOSS database, an analyst's): why it is not ours.
    Foreign(String),
}

/// Whether [`COMPAT_SCHEMA`] exists and whose it is.
pub async fn presence(conn: &mut PgConnection) -> Result<Presence, sqlx::Error> {
    let row = sqlx::query(
        "SELECT obj_description(n.oid, 'pg_namespace'),
                (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind <> 'v'),
                (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid)
              + (SELECT count(*) FROM pg_type t WHERE t.typnamespace = n.oid AND t.typrelid = 0
                   AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0))
           FROM pg_namespace n WHERE n.nspname = $1",
    )
    .bind(COMPAT_SCHEMA)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(Presence::Absent);
    };
    let comment: Option<String> = row.get(0);
    let (relations, others): (i64, i64) = (row.get(1), row.get(2));
    Ok(if comment.as_deref() != Some(MARKER) {
        Presence::Foreign("it does not carry aveloxis's marker comment".into())
    } else if relations + others > 0 {
        Presence::Foreign(format!(
            "it holds {} object(s) that are not views",
            relations + others
        ))
    } else {
        Presence::Ours
    })
}

/// The error of a run asked to build the schema over one that is not ours.
pub(super) fn refusal(why: &str) -> String {
    format!(
        "schema {COMPAT_SCHEMA:?} exists and was not created by aveloxis ({why}); it may be a \
         CollectOSS database's own schema, which aveloxis never writes. Nothing was changed. \
         Turn database.collectoss_schema off, or point consumers at aveloxis_augur_data, \
         aveloxis_data instead"
    )
}

/// Views outside the compatibility schema that read one of its views: they would block the
/// drop, and are named rather than dropped.
async fn foreign_readers(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT format('%I.%I (on %I.%I)', dn.nspname, dc.relname, sn.nspname, sc.relname)
           FROM pg_depend d
           JOIN pg_rewrite r ON r.oid = d.objid
           JOIN pg_class dc ON dc.oid = r.ev_class
           JOIN pg_namespace dn ON dn.oid = dc.relnamespace
           JOIN pg_class sc ON sc.oid = d.refobjid
           JOIN pg_namespace sn ON sn.oid = sc.relnamespace
          WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
            AND sn.nspname = $1 AND dn.nspname <> $1
          ORDER BY 1",
    )
    .bind(COMPAT_SCHEMA)
    .fetch_all(&mut *conn)
    .await
}

async fn drop_views(conn: &mut PgConnection) -> Result<(), String> {
    let readers = foreign_readers(conn)
        .await
        .map_err(|e| super::describe(&e))?;
    if !readers.is_empty() {
        return Err(format!(
            "views not built by aveloxis read the views of schema {COMPAT_SCHEMA:?}, which must \
             be rebuilt: {}; drop them (and re-create them after migrate) — nothing was changed",
            readers.join(", ")
        ));
    }
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind = 'v' ORDER BY 1",
    )
    .bind(COMPAT_SCHEMA)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| super::describe(&e))?;
    for name in names {
        let sql = format!(
            "DROP VIEW {}.{}",
            quote_ident(COMPAT_SCHEMA),
            quote_ident(&name)
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
            .map_err(|e| super::describe(&e))?;
    }
    Ok(())
}

/// Before pending steps: drop the views of our compatibility schema (they read every column
/// of our tables, so a step could not alter one under them); [`sync`] builds them again.
async fn drop_before_steps(conn: &mut PgConnection) -> Result<(), String> {
    if presence(conn).await.map_err(|e| super::describe(&e))? != Presence::Ours {
        return Ok(());
    }
    let mut tx = conn.begin().await.map_err(|e| super::describe(&e))?;
    drop_views(&mut tx).await?;
    tx.commit().await.map_err(|e| super::describe(&e))
}

/// Bring the compatibility schema in line with the setting, in one transaction: built afresh
/// (one view per name the consumers' search path resolves) when `enabled`, dropped when not
/// and it is ours; a foreign `data` schema is never touched (and refused when `enabled`).
async fn sync_schema(conn: &mut PgConnection, enabled: bool) -> Result<(), String> {
    let db = |e: sqlx::Error| super::describe(&e);
    let presence = presence(conn).await.map_err(db)?;
    match (&presence, enabled) {
        (Presence::Foreign(why), true) => return Err(refusal(why)),
        (Presence::Foreign(_), false) | (Presence::Absent, false) => return Ok(()),
        _ => {}
    }
    let mut tx = conn.begin().await.map_err(db)?;
    let schema = quote_ident(COMPAT_SCHEMA);
    if presence == Presence::Ours {
        drop_views(&mut tx).await?;
    }
    if !enabled {
        let sql = format!("DROP SCHEMA {schema}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        return tx.commit().await.map_err(db);
    }
    let sql = format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}; COMMENT ON SCHEMA {schema} IS {}",
        quote_literal(MARKER)
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    // Every relation the consumers' search path resolves, the first schema winning.
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (c.relname) n.nspname::text, c.relname::text
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY($1)
          ORDER BY c.relname, array_position($1, n.nspname::text)",
    )
    .bind(SOURCES)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    for (source, name) in &rows {
        let sql = format!(
            "CREATE VIEW {schema}.{n} AS SELECT * FROM {}.{n}",
            quote_ident(source),
            n = quote_ident(name)
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tracing::info!(
        schema = COMPAT_SCHEMA,
        views = rows.len(),
        "CollectOSS-named views built"
    );
    tx.commit().await.map_err(db)
}

/// The failure of a compatibility-schema action, labelled for the operator.
fn failure(error: String) -> super::Failure {
    super::Failure {
        label: format!("schema {COMPAT_SCHEMA}"),
        error,
    }
}

/// Before anything is applied: refuse a foreign `data` schema when the option is on (fail
/// closed: nothing written), and drop our views when steps are pending.
pub(super) async fn before(
    conn: &mut PgConnection,
    opts: &super::Options,
    steps_pending: bool,
) -> Result<(), super::Failure> {
    let found = presence(conn)
        .await
        .map_err(|e| failure(super::describe(&e)))?;
    if let (Presence::Foreign(why), true) = (&found, opts.collectoss_schema) {
        return Err(failure(refusal(why)));
    }
    if steps_pending && !opts.dry_run {
        drop_before_steps(conn).await.map_err(failure)?;
    }
    Ok(())
}

/// After the views: build (or drop) the compatibility schema as the setting says.
pub(super) async fn sync(conn: &mut PgConnection, enabled: bool) -> Result<(), super::Failure> {
    sync_schema(conn, enabled).await.map_err(failure)
}
