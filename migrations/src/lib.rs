//! The Aveloxis schema and the engine that applies it.
//!
//! * `schema.sql` — the declarative schema a fresh database gets, in one transaction.
//! * `steps/NNNN_slug.sql` — ordered, versioned upgrade steps for existing databases.
//! * `views.sql` — materialized and compatibility views, rebuilt when the file changes.
//!
//! Architecture invariant: `schema.sql` and the steps describe the same end state. The test
//! suite builds a database as of every step, brings it forward, and compares its catalog with a
//! fresh install ([`catalog::snapshot`]).
//!
//! Architecture invariant: the engine touches only the product's schemas (`aveloxis_data`,
//! `aveloxis_ops`, `aveloxis_augur_data`, and the CollectOSS-named `data` of views when the
//! operator asks for it and the schema is absent or its own — [`compat`]); Augur's and
//! CollectOSS's schemas in the same database are never written.

pub mod catalog;
pub mod engine;
pub mod lint;
pub mod plan;
pub mod sql;
pub mod views;

pub use engine::compat;
pub use engine::{
    MIGRATE_LOCK_KEY, MigrateError, Options, Outcome, VersionError, check_schema_version, run,
};
pub use plan::{Plan, Step, StepMode};
