//! What a run did, and when it did not complete, exactly what failed and what was applied.

use std::fmt;

/// A step (or stage) that failed.
#[derive(Clone, Debug)]
pub struct Failure {
    pub label: String,
    pub error: String,
}

/// Why a run did not complete.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "another `aveloxis migrate` holds the migration lock (--no-wait given); \
         retry when it finishes"
    )]
    LockHeld,
    #[error("{0}")]
    Failed(Failed),
    #[error("database error before any step ran: {0}")]
    Database(#[from] sqlx::Error),
}

/// A run that did not complete: what failed, and exactly what was and was not applied.
#[derive(Clone, Debug, Default)]
pub struct Failed {
    pub failures: Vec<Failure>,
    /// Steps applied and recorded by this run before the failure (they stay applied).
    pub applied: Vec<String>,
    /// Pending steps never attempted because an earlier step (or a pre-check) failed.
    pub not_attempted: Vec<String>,
    /// The views were left as they were (not rebuilt) because something failed before them.
    pub views_skipped: bool,
}

impl Failed {
    pub(super) fn of(failures: Vec<Failure>) -> Failed {
        Failed {
            failures,
            ..Failed::default()
        }
    }
}

impl std::ops::Deref for Failed {
    type Target = [Failure];
    fn deref(&self) -> &[Failure] {
        &self.failures
    }
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "schema migration had {} error(s):", self.failures.len())?;
        for x in &self.failures {
            write!(f, "\n  - {}: {}", x.label, x.error)?;
        }
        if self.applied.is_empty() {
            write!(f, "\nno step was applied by this run")?;
        } else {
            write!(
                f,
                "\napplied and recorded by this run before the failure: {}",
                self.applied.join(", ")
            )?;
        }
        if !self.not_attempted.is_empty() {
            write!(
                f,
                "\nnot attempted (a failure came first): {}",
                self.not_attempted.join(", ")
            )?;
        }
        if self.views_skipped {
            write!(f, "\nviews: left as they were (not rebuilt)")?;
        }
        write!(f, "\nthe schema version was not stamped")
    }
}

/// What a run did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The database had no ledger: `schema.sql` was (would be) applied.
    pub fresh: bool,
    /// Labels of steps applied (or pending, for a dry run), in order.
    pub applied: Vec<String>,
    pub views_rebuilt: bool,
    /// Version stamped (dry run: the version that would be stamped).
    pub schema_version: u32,
    /// Human-readable plan, filled by a dry run.
    pub plan_text: String,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.fresh {
            write!(f, "fresh install (schema.sql)")?;
        } else if self.applied.is_empty() {
            write!(f, "no pending steps")?;
        } else {
            write!(f, "{} step(s) applied", self.applied.len())?;
        }
        if self.views_rebuilt {
            write!(f, ", views rebuilt")?;
        }
        write!(f, "; schema version {}", self.schema_version)
    }
}
