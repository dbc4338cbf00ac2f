//! The diff stage: every table of both scratch databases compared, and the FAIL tables of
//! `aveloxis_data` compared again row by row while the databases still exist.

use anyhow::{Context, Result, bail};
use sqlx::{Connection, PgConnection};

use super::provision::State;
use super::render::ROW_LEVEL_EXAMPLES;
use crate::cli::ProvisionerKind;
use crate::report::Verdict;
use crate::row_diff;
use crate::table_diff::{self, TableResult};

/// What the diff found.
pub struct Compared {
    pub tables: Vec<TableResult>,
    pub row_level: Option<row_diff::Report>,
}

/// Compare the databases of `state` (`url` gives a database's URL); notes go to `notes`.
pub async fn compare(
    url: &dyn Fn(&str) -> String,
    state: &State,
    matviews: bool,
    notes: &mut Vec<String>,
) -> Result<Compared> {
    let dbs = (state.released_db.as_str(), state.new_db.as_str());
    let compared = pair(url, dbs, state, matviews, notes).await?;
    if compared.tables.is_empty() {
        bail!("no tables found in either database: nothing was compared");
    }
    Ok(compared)
}

/// Compare `dbs.1` against the baseline `dbs.0` (in the results `released_*` is the
/// baseline's, `new_*` the compared database's).
pub async fn pair(
    url: &dyn Fn(&str) -> String,
    dbs: (&str, &str),
    state: &State,
    matviews: bool,
    notes: &mut Vec<String>,
) -> Result<Compared> {
    let mut r = PgConnection::connect(&url(dbs.0))
        .await
        .with_context(|| format!("connecting to {}", dbs.0))?;
    let mut n = PgConnection::connect(&url(dbs.1))
        .await
        .with_context(|| format!("connecting to {}", dbs.1))?;
    // Views and matviews are built on every run and always compared (`matviews` is kept for
    // `--matviews`, which is now the default).
    let _ = matviews;
    let tables = table_diff::diff_databases(&mut r, &mut n, table_diff::DATA_SCHEMAS, true).await?;
    let failing: Vec<String> = tables
        .iter()
        .filter(|t| {
            t.verdict == Verdict::Fail
                && t.schema == row_diff::SCHEMA
                && t.kind == "table"
                && t.released_rows.is_some()
                && t.new_rows.is_some()
        })
        .map(|t| t.table.clone())
        .collect();
    let row_level = match failing.is_empty() {
        true => None,
        false => row_level(&mut r, &mut n, dbs, state, &failing, notes).await,
    };
    let _ = r.close().await;
    let _ = n.close().await;
    Ok(Compared { tables, row_level })
}

/// shadow-diff over the `failing` tables; with kept databases the notes give the command that
/// digs further.
async fn row_level(
    r: &mut PgConnection,
    n: &mut PgConnection,
    dbs: (&str, &str),
    state: &State,
    failing: &[String],
    notes: &mut Vec<String>,
) -> Option<row_diff::Report> {
    let scope = row_diff::Scope::All;
    let found = match row_diff::compare_databases(r, n, &scope, ROW_LEVEL_EXAMPLES, failing).await {
        Ok(mut sd) => {
            sd.released = dbs.0.to_string();
            sd.new = dbs.1.to_string();
            Some(sd)
        }
        Err(e) => {
            notes.push(format!("row-level examples unavailable: {e:#}"));
            None
        }
    };
    if state.kept && state.provisioner == ProvisionerKind::Server {
        let tables: String = failing.iter().map(|t| format!(" --table {t}")).collect();
        notes.push(format!(
            "row-level diff of the kept databases: harness shadow-diff --released-dsn \
             {server}/{} --new-dsn {server}/{}{tables}",
            dbs.0,
            dbs.1,
            server = state.server
        ));
    }
    found
}
