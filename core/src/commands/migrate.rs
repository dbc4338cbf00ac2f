//! `aveloxis migrate`: apply pending schema steps (fail closed), then record the operator
//! settings the database-side scheduler reads.

use anyhow::{Context, Result};
use aveloxis_migrations::{MigrateError, Options, Plan};
use sqlx::PgConnection;

use crate::TOOL_VERSION;
use crate::cli::MigrateArgs;
use crate::config::{self, Config};

fn options(cfg: &Config, args: &MigrateArgs) -> Options {
    Options {
        skip_views: args.skip_views,
        no_wait: args.no_wait,
        dry_run: args.dry_run,
        lock_timeout: cfg.lock_timeout(),
        target: args.target,
        tool_version: TOOL_VERSION.to_owned(),
        settings: step_settings(cfg),
        collectoss_schema: cfg.database.collectoss_schema,
        ..Options::default()
    }
}

pub(super) async fn run(cfg: &Config, plan: &Plan, args: &MigrateArgs) -> Result<()> {
    let mut conn = config::connect(&cfg.database, "aveloxis-migrate").await?;
    let opts = options(cfg, args);
    let outcome = aveloxis_migrations::run(&mut conn, plan, &opts)
        .await
        .map_err(describe_failure)?;
    if args.dry_run {
        print!("{}", outcome.plan_text);
        println!("dry run: nothing was changed");
    } else {
        store_settings(&mut conn, cfg).await?;
        for label in &outcome.applied {
            println!("applied {label}");
        }
        println!("migrate complete: {outcome}");
    }
    Ok(())
}

fn describe_failure(e: MigrateError) -> anyhow::Error {
    match e {
        MigrateError::Failed(_) => {
            anyhow::anyhow!("{e}\nfix the cause and run `aveloxis migrate` again")
        }
        other => anyhow::Error::new(other),
    }
}

/// The operator's settings the steps read (`current_setting('aveloxis.…', true)`): the same for
/// `migrate` and for the migration `serve` runs before it starts.
pub(super) fn step_settings(cfg: &Config) -> Vec<(String, String)> {
    vec![(
        "aveloxis.default_repo_group".to_owned(),
        cfg.collection.default_repo_group.clone(),
    )]
}

/// Record the operator settings the database-side scheduler reads (`aveloxis_ops.config`).
pub(super) async fn store_settings(conn: &mut PgConnection, cfg: &Config) -> Result<()> {
    sqlx::query(
        "INSERT INTO aveloxis_ops.config (section_name, setting_name, value, type)
         VALUES ('collection', 'matview_rebuild_day', $1, 'str')
         ON CONFLICT (section_name, setting_name) DO UPDATE
         SET value = EXCLUDED.value, updated_at = now()
         WHERE config.value IS DISTINCT FROM EXCLUDED.value",
    )
    .bind(cfg.collection.matview_rebuild_day.as_str())
    .execute(&mut *conn)
    .await
    .context("storing collection.matview_rebuild_day in aveloxis_ops.config")?;
    Ok(())
}
