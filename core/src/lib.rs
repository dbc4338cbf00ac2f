//! Aveloxis: collects GitHub and GitLab data into PostgreSQL.
//!
//! The `aveloxis` binary is glue (`main.rs`); everything it does lives here so tests can call it.
//! See ARCHITECTURE.md for the codemap.

pub use aveloxis_config as config;

pub mod aggregates;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod contributor_id;
pub(crate) mod daemon;
pub mod db;
pub mod forge;
pub mod git_commits;
pub mod job;
pub(crate) mod monitor;
pub mod quarantine;
pub mod queue;
pub mod repos;

/// The tool version stamped into `schema_meta` and `tool_version` columns.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
