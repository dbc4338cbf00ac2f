//! The release gate: tells a maintainer, with evidence, whether a schema change is safe.
//!
//! Exit codes are the contract with CI: 0 = PASS (FLAGs allowed), 1 = a FAIL was found,
//! 2 = the harness could not compare (missing revision, provisioning failure, …) — never 0
//! when nothing was compared. [`report::exit_code`] is the only place that maps them.
//!
//! Architecture invariant: the harness never links the daemon (`aveloxis-core`; the dependency
//! graph enforces it). It reads the operator's `aveloxis.json` through `aveloxis-config` (the
//! daemon's own model), uses the migrations crate for the schema, the catalog and the lint, and
//! drives `aveloxis` binaries for everything that writes collected data or keys.
//!
//! Layers, lowest first (a module uses only modules of lower layers): `cli`, `report`,
//! `progress`, `git` → `scratch`, `operator`, `table_diff` → `row_diff` → `schema_check`,
//! `data_test` → this file (dispatch).

/// A line of harness output on stderr (above the progress bars when they are drawn).
macro_rules! say {
    ($($t:tt)*) => { crate::progress::line(&format!($($t)*)) };
}

pub mod cli;
pub mod data_test;
pub mod git;
pub mod operator;
pub mod progress;
pub mod report;
pub mod row_diff;
pub mod schema_check;
pub mod scratch;
pub mod table_diff;

use std::path::PathBuf;

pub use cli::{Cli, Command};

/// Where a run writes its reports unless told otherwise.
pub fn default_work_dir() -> PathBuf {
    PathBuf::from(".aveloxis-work")
}

/// Run a command; returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::DataTest(args) => report::exit_code("data-test", data_test::run(&args).await),
        Command::ShadowDiff(args) => report::exit_code("shadow-diff", row_diff::run(&args).await),
        Command::SchemaCheck(args) => {
            report::exit_code("schema-check", schema_check::run(&args).await)
        }
    }
}
