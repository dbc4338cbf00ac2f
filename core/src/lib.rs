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
pub mod daemon;
pub mod facade;
pub mod forge;
pub mod monitor;
pub mod queue;
pub mod repo_commands;
pub mod service;

/// The tool version stamped into `schema_meta` and `tool_version` columns.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
