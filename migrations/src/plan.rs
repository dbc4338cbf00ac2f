//! What to apply: the declarative schema, the views, and the ordered upgrade steps.
//!
//! A step is one file `steps/NNNN_slug.sql`. Its leading comment lines may carry directives:
//!
//! ```sql
//! -- label: add repos.description
//! -- mode: concurrent-index aveloxis_data.repos_repo_git_lower_key
//! ```
//!
//! `mode` is `transaction` (default: the step and its ledger row commit together),
//! `no-transaction` (statements that cannot run in a transaction), or
//! `concurrent-index SCHEMA.INDEX` (one `CREATE [UNIQUE] INDEX CONCURRENTLY` statement; the
//! engine drops an INVALID leftover of that name first and verifies the result is valid).

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

include!(concat!(env!("OUT_DIR"), "/steps.rs"));

/// How a step is executed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepMode {
    Transaction,
    NoTransaction,
    ConcurrentIndex { schema: String, index: String },
}

/// One versioned upgrade step.
#[derive(Clone, Debug)]
pub struct Step {
    pub version: u32,
    /// `NNNN_slug.sql`
    pub file: String,
    pub label: String,
    pub mode: StepMode,
    pub sql: String,
    /// sha256 of the file with CRLF normalised to LF.
    pub checksum: String,
}

impl Step {
    /// Parse a step from its file name and contents.
    pub fn parse(file: &str, text: &str) -> Result<Step> {
        let stem = file
            .strip_suffix(".sql")
            .with_context(|| format!("step file {file} does not end in .sql"))?;
        let (num, slug) = stem
            .split_once('_')
            .with_context(|| format!("step file {file} is not named NNNN_slug.sql"))?;
        let version: u32 = num
            .parse()
            .with_context(|| format!("step file {file}: {num:?} is not a version number"))?;
        if version == 0 {
            bail!("step file {file}: versions start at 1");
        }
        let sql = text.replace("\r\n", "\n");
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        let mut label = slug.replace('_', " ");
        let mut mode = StepMode::Transaction;
        for line in sql.lines() {
            let Some(comment) = line.trim().strip_prefix("--") else {
                if line.trim().is_empty() {
                    continue;
                }
                break;
            };
            let comment = comment.trim();
            if let Some(l) = comment.strip_prefix("label:") {
                label = l.trim().to_owned();
            } else if let Some(m) = comment.strip_prefix("mode:") {
                mode = parse_mode(file, m.trim())?;
            }
        }
        if sql.trim().is_empty() {
            bail!("step file {file} is empty");
        }
        if let StepMode::ConcurrentIndex { .. } = &mode
            && !sql.to_ascii_uppercase().contains("CONCURRENTLY")
        {
            bail!("step file {file} is a concurrent-index step without CREATE INDEX CONCURRENTLY");
        }
        Ok(Step {
            version,
            file: file.to_owned(),
            label: format!("{version:04} {label}"),
            mode,
            sql,
            checksum,
        })
    }
}

fn parse_mode(file: &str, m: &str) -> Result<StepMode> {
    let mut words = m.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("transaction"), None, _) => Ok(StepMode::Transaction),
        (Some("no-transaction"), None, _) => Ok(StepMode::NoTransaction),
        (Some("concurrent-index"), Some(qualified), None) => {
            let (schema, index) = qualified.split_once('.').with_context(|| {
                format!("step file {file}: concurrent-index needs SCHEMA.INDEX, got {qualified}")
            })?;
            Ok(StepMode::ConcurrentIndex {
                schema: schema.to_owned(),
                index: index.to_owned(),
            })
        }
        _ => bail!(
            "step file {file}: unknown mode {m:?} (expected transaction, no-transaction or \
             concurrent-index SCHEMA.INDEX)"
        ),
    }
}

/// Everything `migrate` applies.
#[derive(Clone)]
pub struct Plan {
    /// Declarative fresh-install schema (one transaction).
    pub schema_sql: String,
    /// Materialized and compatibility views (one transaction; rebuilt when changed).
    pub views_sql: String,
    /// Upgrade steps in strictly increasing version order.
    pub steps: Vec<Step>,
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("schema_version", &self.schema_version())
            .field("steps", &self.steps.len())
            .finish()
    }
}

impl Plan {
    /// The schema compiled into this binary.
    pub fn embedded() -> Plan {
        let steps = EMBEDDED_STEPS
            .iter()
            .map(|(name, text)| Step::parse(name, text))
            .collect::<Result<Vec<_>>>()
            .and_then(check_order)
            .expect("the embedded migration steps are valid (checked by the test suite)");
        Plan {
            schema_sql: include_str!("../schema.sql").to_owned(),
            views_sql: include_str!("../views.sql").to_owned(),
            steps,
        }
    }

    /// Load a plan from a directory laid out like `migrations/` (schema.sql, views.sql, steps/).
    pub fn from_dir(dir: &Path) -> Result<Plan> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
        };
        let mut names: Vec<String> = std::fs::read_dir(dir.join("steps"))
            .with_context(|| format!("reading {}", dir.join("steps").display()))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        names.sort();
        let steps = names
            .iter()
            .map(|n| Step::parse(n, &read(&dir.join("steps").join(n))?))
            .collect::<Result<Vec<_>>>()?;
        Ok(Plan {
            schema_sql: read(&dir.join("schema.sql"))?,
            views_sql: read(&dir.join("views.sql"))?,
            steps: check_order(steps)?,
        })
    }

    /// The version a fully migrated database is stamped with: the last step's version.
    pub fn schema_version(&self) -> u32 {
        self.steps.last().map_or(0, |s| s.version)
    }

    pub fn views_checksum(&self) -> String {
        hex::encode(Sha256::digest(
            self.views_sql.replace("\r\n", "\n").as_bytes(),
        ))
    }
}

fn check_order(steps: Vec<Step>) -> Result<Vec<Step>> {
    for w in steps.windows(2) {
        if w[0].version >= w[1].version {
            bail!(
                "migration steps {} and {} have the same or decreasing versions",
                w[0].file,
                w[1].file
            );
        }
    }
    Ok(steps)
}

/// Why the released plan's steps are not an unchanged prefix of the working tree's (empty when
/// they are): a released step that was removed or edited is named.
pub fn prefix_problems(released: &Plan, working: &Plan) -> Vec<String> {
    let mut problems = Vec::new();
    for s in &released.steps {
        match working.steps.iter().find(|w| w.version == s.version) {
            None => problems.push(format!("released step {} was removed", s.label)),
            Some(w) if w.checksum != s.checksum => problems.push(format!(
                "released step {} was edited ({}); add a new step instead",
                s.label, s.file
            )),
            Some(_) => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_plan_is_valid_and_ordered() {
        let plan = Plan::embedded();
        assert!(!plan.steps.is_empty());
        assert_eq!(plan.schema_version(), plan.steps.last().unwrap().version);
    }

    #[test]
    fn every_convention_check_is_found() {
        let checks = crate::catalog::convention_checks();
        let names: Vec<&str> = checks.iter().map(|(n, _)| n.as_str()).collect();
        for want in [
            "fk_not_deferrable_initially_deferred",
            "fk_child_columns_not_indexed",
            "contributor_fk_rules",
            "invalid_indexes",
            "messages_natural_key_includes_kind",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        assert!(
            checks
                .iter()
                .all(|(_, sql)| sql.contains("SELECT") && !sql.ends_with(';'))
        );
    }

    #[test]
    fn directives_are_read_from_the_header() {
        let s = Step::parse(
            "0007_idx.sql",
            "-- label: build idx\n-- mode: concurrent-index aveloxis_data.idx_x\n\
             CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_x ON aveloxis_data.t (a);\n\
             -- mode: transaction (not a header line any more)\n",
        )
        .unwrap();
        assert_eq!(s.version, 7);
        assert_eq!(s.label, "0007 build idx");
        assert_eq!(
            s.mode,
            StepMode::ConcurrentIndex {
                schema: "aveloxis_data".into(),
                index: "idx_x".into()
            }
        );
    }

    #[test]
    fn crlf_does_not_change_the_checksum() {
        let a = Step::parse("0001_a.sql", "SELECT 1;\nSELECT 2;\n").unwrap();
        let b = Step::parse("0001_a.sql", "SELECT 1;\r\nSELECT 2;\r\n").unwrap();
        assert_eq!(a.checksum, b.checksum);
        let c = Step::parse("0001_a.sql", "SELECT 1;\nSELECT 3;\n").unwrap();
        assert_ne!(a.checksum, c.checksum);
    }

    #[test]
    fn bad_files_are_rejected_with_their_name() {
        for (name, text) in [
            ("schema_dump.sql", "SELECT 1"),
            ("0001.sql", "SELECT 1"),
            ("0002_x.sql", "-- mode: sideways\nSELECT 1"),
            (
                "0003_x.sql",
                "-- mode: concurrent-index a.b\nCREATE INDEX b ON a.t (c)",
            ),
            ("0004_x.sql", "   \n"),
        ] {
            let err = Step::parse(name, text).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
        let dup = vec![
            Step::parse("0002_a.sql", "SELECT 1").unwrap(),
            Step::parse("0002_b.sql", "SELECT 1").unwrap(),
        ];
        assert!(check_order(dup).is_err());
    }
}
