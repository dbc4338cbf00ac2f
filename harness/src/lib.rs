//! The release gate: tells a maintainer, with evidence, whether a schema change is safe.
//!
//! Exit codes are the contract with CI: 0 = PASS (FLAGs allowed), 1 = a FAIL was found,
//! 2 = the harness could not compare (missing revision, provisioning failure, …) — never 0
//! when nothing was compared.
//!
//! Architecture invariant: the harness never links the daemon (`aveloxis-core`; the dependency
//! graph enforces it). It reads the operator's `aveloxis.json` through `aveloxis-config` (the
//! daemon's own model), uses the migrations crate for the schema, the catalog and the lint, and
//! drives `aveloxis` binaries for everything that writes collected data or keys.

pub mod data_test;
pub mod diff;
pub mod git;
pub mod operator;
pub mod progress;
pub mod schema_check;
pub mod shadow_diff;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "harness", version, about = "Aveloxis release gate")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fresh install vs upgraded install (catalog equality), schema conventions, step lint.
    SchemaCheck(schema_check::Args),
    /// Collect the same repositories with the released and the working-tree collector into two
    /// scratch databases and compare every table (counts, fill, content).
    DataTest(data_test::Args),
    /// Row-level comparison of two databases keyed by platform-stable keys: rows missing on
    /// new, rows whose content changed (which columns), rows only on new.
    ShadowDiff(shadow_diff::Args),
}

/// Where a run writes its reports unless told otherwise.
pub fn default_work_dir() -> PathBuf {
    PathBuf::from(".aveloxis-work")
}

/// Run a command; returns the process exit code.
pub async fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::DataTest(args) => data_test::run(&args).await,
        Command::ShadowDiff(args) => shadow_diff::run(&args).await,
        Command::SchemaCheck(args) => match schema_check::run(&args).await {
            Ok(report) => {
                print!("{}", report.markdown());
                if let Some(path) = &args.report
                    && let Err(e) = std::fs::write(path, report.markdown())
                {
                    eprintln!("harness: could not write {}: {e}", path.display());
                    return 2;
                }
                if report.failed() { 1 } else { 0 }
            }
            Err(e) => {
                eprintln!("harness: schema-check could not run: {e:#}");
                2
            }
        },
    }
}
