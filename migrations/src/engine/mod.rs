//! The fail-closed migration engine.
//!
//! Order of a run:
//!
//! 1. Take the migrate advisory lock (`--no-wait`: fail at once when it is held).
//! 2. Create the engine's own tables (`aveloxis_ops.schema_migrations`, `aveloxis_ops.schema_meta`).
//! 3. Compare the ledger with the plan: an applied step whose file changed, or a ledger row this
//!    binary does not know, is a failure named by its label.
//!    Any such failure ends the run before anything is written (no step, no view).
//! 4. Fresh database (empty ledger): apply `schema.sql` and record every step as covered by it,
//!    in one transaction. Existing database: apply each pending step in order, stopping at the
//!    first that fails (a later step may rely on it); the steps after it are reported as not
//!    attempted.
//! 5. Unless `--skip-views` or something failed: rebuild the views when `views.sql` changed or
//!    one of them is missing (only views the file owns are dropped; see `rebuild.rs`).
//! 6. Stamp `schema_meta` — only when nothing failed.
//!
//! Every failure that can be found without applying a step is reported in one run (all ledger
//! problems at once), and the error says exactly what this run applied. Each step is
//! retried a bounded number of times on lock timeout (55P03) and deadlock (40P01); `lock_timeout`
//! is always set so a migration never queues forever behind a long transaction while blocking
//! everyone queued behind it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

use crate::plan::{Plan, Step, StepMode};
use crate::sql::quote_ident;

/// Evaluate the async block `$body` (re-created per attempt), retrying on lock timeout or
/// deadlock with a growing pause, at most `$opts.lock_retries` extra times.
macro_rules! retry {
    ($opts:expr, $body:expr) => {
        async {
            let mut attempt = 0u32;
            loop {
                match $body.await {
                    Err(e) if retryable(&e) && attempt < $opts.lock_retries => {
                        attempt += 1;
                        tracing::warn!(error = %describe(&e), attempt, "lock timeout or deadlock; retrying");
                        tokio::time::sleep(Duration::from_millis(200 << attempt.min(5))).await;
                    }
                    other => break other,
                }
            }
        }
    };
}

/// `pg_advisory_lock` key: "AVELOXIS" in ASCII.
pub const MIGRATE_LOCK_KEY: i64 = 0x4156_454C_4F58_4953;

/// Options of one `migrate` run.
#[derive(Clone, Debug)]
pub struct Options {
    pub skip_views: bool,
    pub no_wait: bool,
    pub dry_run: bool,
    /// `lock_timeout` for every statement.
    pub lock_timeout: Duration,
    /// Extra attempts after a lock timeout or deadlock.
    pub lock_retries: u32,
    /// Stop after this step version and stamp it (builds databases "as of" an older release;
    /// used by upgrade tests and the harness). `None` = everything.
    pub target: Option<u32>,
    /// Written to `schema_meta.tool_version`.
    pub tool_version: String,
    /// Session settings the steps may read with `current_setting(name, true)` (custom names,
    /// `aveloxis.*`): the operator's configuration a backfill needs, such as the default
    /// repository group's name.
    pub settings: Vec<(String, String)>,
    /// Also build the CollectOSS-named schema `data` of views (see `compat.rs`); a `data`
    /// schema aveloxis did not create is never written, and then the run fails before anything
    /// is applied. Off: a `data` schema aveloxis created is dropped.
    pub collectoss_schema: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            skip_views: false,
            no_wait: false,
            dry_run: false,
            lock_timeout: Duration::from_secs(10),
            lock_retries: 5,
            target: None,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            settings: Vec::new(),
            collectoss_schema: false,
        }
    }
}

const BOOTSTRAP: &str = r#"
CREATE SCHEMA IF NOT EXISTS aveloxis_ops;
CREATE TABLE IF NOT EXISTS aveloxis_ops.schema_migrations (
    version      INTEGER PRIMARY KEY,
    label        TEXT NOT NULL,
    checksum     TEXT NOT NULL,
    applied_via  TEXT NOT NULL CHECK (applied_via IN ('step', 'schema.sql')),
    applied_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    duration_ms  BIGINT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS aveloxis_ops.schema_meta (
    singleton      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    schema_version INTEGER NOT NULL,
    tool_version   TEXT NOT NULL,
    views_checksum TEXT,
    views          TEXT[] NOT NULL DEFAULT '{}',
    stamped_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
"#;

fn code_of(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
        _ => None,
    }
}

fn retryable(e: &sqlx::Error) -> bool {
    matches!(code_of(e).as_deref(), Some("55P03") | Some("40P01"))
}

fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => match d.code() {
            Some(c) => format!("{} (SQLSTATE {c})", d.message()),
            None => d.message().to_owned(),
        },
        other => other.to_string(),
    }
}

/// Run `migrate` over `conn`.
pub async fn run(
    conn: &mut PgConnection,
    plan: &Plan,
    opts: &Options,
) -> Result<Outcome, MigrateError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET application_name = 'aveloxis-migrate'; SET lock_timeout = '{}ms'",
        opts.lock_timeout.as_millis()
    )))
    .execute(&mut *conn)
    .await?;
    for (name, value) in &opts.settings {
        sqlx::query("SELECT set_config($1, $2, false)")
            .bind(name)
            .bind(value)
            .execute(&mut *conn)
            .await?;
    }
    // If this process dies (SIGKILL, lost terminal), make the server abandon the statement
    // instead of finishing a long DDL nobody will record. PostgreSQL 14+; older servers lack the
    // setting and simply keep the old behaviour.
    let _ = sqlx::raw_sql("SET client_connection_check_interval = '1s'")
        .execute(&mut *conn)
        .await;

    if opts.dry_run {
        return dry_run(conn, plan, opts).await;
    }

    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(MIGRATE_LOCK_KEY)
        .fetch_one(&mut *conn)
        .await?;
    if !got {
        if opts.no_wait {
            return Err(MigrateError::LockHeld);
        }
        tracing::info!("another migrate is running; waiting for the migration lock");
        // The lock wait must not be cut short by lock_timeout (advisory locks honour it).
        sqlx::raw_sql("SET lock_timeout = 0")
            .execute(&mut *conn)
            .await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATE_LOCK_KEY)
            .execute(&mut *conn)
            .await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "SET lock_timeout = '{}ms'",
            opts.lock_timeout.as_millis()
        )))
        .execute(&mut *conn)
        .await?;
    }
    let result = locked_run(conn, plan, opts).await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATE_LOCK_KEY)
        .execute(&mut *conn)
        .await;
    result
}

async fn locked_run(
    conn: &mut PgConnection,
    plan: &Plan,
    opts: &Options,
) -> Result<Outcome, MigrateError> {
    let mut failures = Vec::new();
    retry!(opts, async {
        sqlx::raw_sql(BOOTSTRAP)
            .execute(&mut *conn)
            .await
            .map(|_| ())
    })
    .await?;

    let ledger = read_ledger(conn).await?;
    let target = opts.target.unwrap_or(u32::MAX);
    failures.extend(ledger_problems(plan, &ledger));
    if !failures.is_empty() {
        // Nothing is written when the ledger disagrees with this binary (an edited step, or a
        // newer binary's steps): not the pending steps, and not the views.
        return Err(MigrateError::Failed(Failed {
            failures,
            not_attempted: pending_labels(plan, &ledger, target),
            views_skipped: !opts.skip_views,
            ..Failed::default()
        }));
    }

    let mut outcome = Outcome::default();
    let mut not_attempted = Vec::new();
    let fresh = ledger.is_empty() && opts.target.is_none();
    let pending = !fresh && !pending_labels(plan, &ledger, target).is_empty();
    if let Err(error) = compat::before(conn, opts, pending).await {
        return Err(MigrateError::Failed(Failed {
            not_attempted: pending_labels(plan, &ledger, target),
            views_skipped: !opts.skip_views,
            ..Failed::of(vec![error])
        }));
    }
    if fresh {
        outcome.fresh = true;
        if let Err(e) = apply_schema(conn, plan, opts).await {
            failures.push(Failure {
                label: "schema.sql".into(),
                error: describe(&e),
            });
        }
    } else {
        not_attempted = apply_pending(
            conn,
            plan,
            opts,
            &ledger,
            target,
            &mut outcome,
            &mut failures,
        )
        .await;
    }

    if !failures.is_empty() {
        return Err(MigrateError::Failed(Failed {
            failures,
            applied: outcome.applied,
            not_attempted,
            views_skipped: !opts.skip_views && opts.target.is_none(),
        }));
    }
    views_and_stamp(conn, plan, opts, outcome).await
}

/// After every step succeeded: rebuild the views if needed, then stamp the version.
async fn views_and_stamp(
    conn: &mut PgConnection,
    plan: &Plan,
    opts: &Options,
    mut outcome: Outcome,
) -> Result<Outcome, MigrateError> {
    if !opts.skip_views && opts.target.is_none() {
        match rebuild_views_if_needed(conn, plan, opts).await {
            Ok(rebuilt) => outcome.views_rebuilt = rebuilt,
            Err(e) => {
                return Err(MigrateError::Failed(Failed {
                    applied: outcome.applied,
                    ..Failed::of(vec![Failure {
                        label: "views.sql".into(),
                        error: e.to_string(),
                    }])
                }));
            }
        }
        if let Err(error) = compat::sync(conn, opts.collectoss_schema).await {
            return Err(MigrateError::Failed(Failed {
                applied: outcome.applied,
                ..Failed::of(vec![error])
            }));
        }
    }
    let version = opts
        .target
        .unwrap_or(plan.schema_version())
        .min(plan.schema_version());
    stamp(conn, version, opts).await.map_err(|e| {
        MigrateError::Failed(Failed {
            applied: outcome.applied.clone(),
            ..Failed::of(vec![Failure {
                label: "stamp schema_meta".into(),
                error: describe(&e),
            }])
        })
    })?;
    outcome.schema_version = version;
    Ok(outcome)
}

/// Labels of the steps up to `target` the ledger does not have.
fn pending_labels(plan: &Plan, ledger: &BTreeMap<u32, LedgerRow>, target: u32) -> Vec<String> {
    plan.steps
        .iter()
        .filter(|s| s.version <= target && !ledger.contains_key(&s.version))
        .map(|s| s.label.clone())
        .collect()
}

/// Ledger rows that disagree with the plan: a step edited after it was applied, or a step this
/// binary does not know (a newer binary migrated the database).
fn ledger_problems(plan: &Plan, ledger: &BTreeMap<u32, LedgerRow>) -> Vec<Failure> {
    let known: BTreeMap<u32, &Step> = plan.steps.iter().map(|s| (s.version, s)).collect();
    let mut failures = Vec::new();
    for (version, row) in ledger {
        match known.get(version) {
            Some(step) if step.checksum != row.checksum => failures.push(Failure {
                label: step.label.clone(),
                error: format!(
                    "step file {} was edited after it was applied (ledger checksum {}, file \
                     checksum {}); restore the released text and add a new step instead",
                    step.file,
                    short(&row.checksum),
                    short(&step.checksum)
                ),
            }),
            Some(_) => {}
            None => failures.push(Failure {
                label: format!("{version:04} {}", row.label),
                error: "the ledger records a step this binary does not have; the database was \
                        migrated by a newer aveloxis — upgrade this binary"
                    .into(),
            }),
        }
    }

    failures
}

/// A fresh database: `schema.sql` and every step recorded as covered by it, in one transaction.
async fn apply_schema(
    conn: &mut PgConnection,
    plan: &Plan,
    opts: &Options,
) -> Result<(), sqlx::Error> {
    let started = Instant::now();
    retry!(opts, async {
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(plan.schema_sql.clone()))
            .execute(&mut *tx)
            .await?;
        let ms = started.elapsed().as_millis() as i64;
        for s in &plan.steps {
            record(&mut tx, s, "schema.sql", ms, &opts.tool_version).await?;
        }
        tx.commit().await
    })
    .await
}

/// An existing database: each pending step up to `target`, in order, stopping at the first
/// failure (a later step may depend on it: applying it anyway could, for example, drop an old
/// key the failed step was to replace). Returns the labels of the steps not attempted.
async fn apply_pending(
    conn: &mut PgConnection,
    plan: &Plan,
    opts: &Options,
    ledger: &BTreeMap<u32, LedgerRow>,
    target: u32,
    outcome: &mut Outcome,
    failures: &mut Vec<Failure>,
) -> Vec<String> {
    let mut pending = plan
        .steps
        .iter()
        .filter(|s| s.version <= target && !ledger.contains_key(&s.version));
    while let Some(step) = pending.next() {
        let started = Instant::now();
        tracing::info!(step = %step.label, "applying migration step");
        match apply_step(conn, step, opts).await {
            Ok(()) => {
                tracing::info!(step = %step.label, ms = started.elapsed().as_millis() as u64, "step applied");
                outcome.applied.push(step.label.clone());
            }
            Err(e) => {
                tracing::error!(step = %step.label, error = %e, "migration step failed");
                failures.push(Failure {
                    label: step.label.clone(),
                    error: e,
                });
                return pending.map(|s| s.label.clone()).collect();
            }
        }
    }
    Vec::new()
}

/// Stamp `schema_meta` with `version` (only when nothing failed).
async fn stamp(conn: &mut PgConnection, version: u32, opts: &Options) -> Result<(), sqlx::Error> {
    retry!(opts, async {
        let tool = opts.tool_version.clone();
        sqlx::query(
            "INSERT INTO aveloxis_ops.schema_meta (singleton, schema_version, tool_version)
                 VALUES (TRUE, $1, $2)
                 ON CONFLICT (singleton) DO UPDATE
                 SET schema_version = EXCLUDED.schema_version,
                     tool_version = EXCLUDED.tool_version,
                     stamped_at = now()",
        )
        .bind(version as i32)
        .bind(tool)
        .execute(&mut *conn)
        .await
        .map(|_| ())
    })
    .await
}

/// Apply one step; the error string is what the operator sees next to the step label.
async fn apply_step(conn: &mut PgConnection, step: &Step, opts: &Options) -> Result<(), String> {
    let started = Instant::now();
    let tool = opts.tool_version.as_str();
    match &step.mode {
        StepMode::Transaction => retry!(opts, async {
            let mut tx = conn.begin().await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(step.sql.clone()))
                .execute(&mut *tx)
                .await?;
            let ms = started.elapsed().as_millis() as i64;
            record(&mut tx, step, "step", ms, tool).await?;
            tx.commit().await
        })
        .await
        .map_err(|e| describe(&e)),
        StepMode::NoTransaction => {
            retry!(opts, async {
                sqlx::raw_sql(sqlx::AssertSqlSafe(step.sql.clone()))
                    .execute(&mut *conn)
                    .await
                    .map(|_| ())
            })
            .await
            .map_err(|e| describe(&e))?;
            let ms = started.elapsed().as_millis() as i64;
            record(conn, step, "step", ms, tool)
                .await
                .map_err(|e| describe(&e))
        }
        StepMode::ConcurrentIndex { schema, index } => {
            retry!(opts, async {
                // IF NOT EXISTS would keep a broken leftover: drop an INVALID one first.
                drop_invalid_index(conn, schema, index).await?;
                let r = sqlx::raw_sql(sqlx::AssertSqlSafe(step.sql.clone()))
                    .execute(&mut *conn)
                    .await;
                if r.is_err() {
                    // Do not leave a half-built index slowing writes until the next run.
                    let _ = drop_invalid_index(conn, schema, index).await;
                }
                r.map(|_| ())
            })
            .await
            .map_err(|e| describe(&e))?;
            let valid: Option<bool> = sqlx::query_scalar(
                "SELECT i.indisvalid AND i.indisready
                   FROM pg_index i
                   JOIN pg_class c ON c.oid = i.indexrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = $1 AND c.relname = $2",
            )
            .bind(schema)
            .bind(index)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| describe(&e))?;
            match valid {
                Some(true) => {}
                Some(false) => {
                    let _ = drop_invalid_index(conn, schema, index).await;
                    return Err(format!(
                        "index {schema}.{index} is not valid after the build"
                    ));
                }
                None => {
                    return Err(format!(
                        "index {schema}.{index} does not exist after the step (does the \
                         statement create an index of that name?)"
                    ));
                }
            }
            let ms = started.elapsed().as_millis() as i64;
            record(conn, step, "step", ms, tool)
                .await
                .map_err(|e| describe(&e))
        }
    }
}

async fn drop_invalid_index(
    conn: &mut PgConnection,
    schema: &str,
    index: &str,
) -> Result<(), sqlx::Error> {
    let invalid: Option<bool> = sqlx::query_scalar(
        "SELECT NOT i.indisvalid
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = $2",
    )
    .bind(schema)
    .bind(index)
    .fetch_optional(&mut *conn)
    .await?;
    if invalid == Some(true) {
        tracing::warn!(index = %format!("{schema}.{index}"), "dropping INVALID index left by an interrupted build");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP INDEX CONCURRENTLY IF EXISTS {}.{}",
            quote_ident(schema),
            quote_ident(index)
        )))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub mod compat;
mod dry_run;
mod ledger;
mod outcome;
mod rebuild;
mod version;

use dry_run::dry_run;
use ledger::{LedgerRow, read_ledger, record, short};
pub use outcome::{Failed, Failure, MigrateError, Outcome};
use rebuild::rebuild_views_if_needed;
pub use version::{VersionError, check_schema_version};
