//! Verdicts: two measured sides compared relation by relation, column by column.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::catalog::{Catalog, Column};
use super::scan::{Measure, Measures};
use crate::report::Verdict;

/// One finding about one relation.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub verdict: Verdict,
    pub message: String,
}

/// The verdict for one relation.
#[derive(Clone, Debug, Serialize)]
pub struct TableResult {
    pub schema: String,
    pub table: String,
    pub kind: String,
    pub released_rows: Option<i64>,
    pub new_rows: Option<i64>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Columns in the content hash.
    pub compared_columns: Vec<String>,
}

impl TableResult {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }
    pub fn delta(&self) -> i64 {
        self.new_rows.unwrap_or(0) - self.released_rows.unwrap_or(0)
    }
}

/// Compare two measured sides. Relations with equal counts and different content hashes get a
/// content-drift finding, whose columns the caller names (see [`name_drift`]).
pub fn compare(
    released: &Catalog,
    new: &Catalog,
    rm: &Measures,
    nm: &Measures,
    hashed: &BTreeMap<(String, String), Vec<String>>,
) -> Vec<TableResult> {
    let keys: BTreeSet<&(String, String)> = released.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let (r, n) = (released.get(key), new.get(key));
        let (rmeas, nmeas) = (rm.get(key), nm.get(key));
        let kind = r.or(n).map(|x| x.kind.clone()).unwrap_or_default();
        let mut f = Findings::default();
        match (r, n, rmeas, nmeas) {
            (Some(_), None, Some(rmv), _) => f.missing_on_new(&kind, rmv.rows),
            (None, Some(_), _, Some(nmv)) => f.only_on_new(&kind, nmv.rows),
            (Some(_), Some(_), Some(rmv), Some(nmv))
                if rmv.unreadable.is_some() || nmv.unreadable.is_some() =>
            {
                f.unreadable("released", &rmv.unreadable);
                f.unreadable("new", &nmv.unreadable);
            }
            (Some(rrel), Some(nrel), Some(rmv), Some(nmv)) => {
                f.rows(rmv.rows, nmv.rows);
                let cols: BTreeSet<&String> =
                    rrel.columns.keys().chain(nrel.columns.keys()).collect();
                for c in cols {
                    f.column(c, rrel.columns.get(c), nrel.columns.get(c), rmv, nmv);
                }
                let has_hash = hashed.get(key).is_some_and(|h| !h.is_empty());
                if rmv.rows == nmv.rows && has_hash && rmv.content_hash != nmv.content_hash {
                    f.push(
                        Verdict::Fail,
                        "content drift (same row count, different content)".to_string(),
                    );
                }
            }
            _ => {}
        }
        out.push(TableResult {
            schema: key.0.clone(),
            table: key.1.clone(),
            kind,
            released_rows: rmeas
                .filter(|m| r.is_some() && m.unreadable.is_none())
                .map(|m| m.rows),
            new_rows: nmeas
                .filter(|m| n.is_some() && m.unreadable.is_none())
                .map(|m| m.rows),
            verdict: Verdict::worst(f.0.iter().map(|x| x.verdict)),
            findings: f.0,
            compared_columns: hashed.get(key).cloned().unwrap_or_default(),
        });
    }
    out
}

/// The findings about one relation, as they are found.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, verdict: Verdict, message: String) {
        self.0.push(Finding { verdict, message });
    }

    fn missing_on_new(&mut self, kind: &str, released_rows: i64) {
        if released_rows > 0 {
            self.push(
                Verdict::Fail,
                format!("{kind} missing on new ({released_rows} rows on released)"),
            );
        } else {
            self.push(
                Verdict::Flag,
                format!("{kind} missing on new (empty on released)"),
            );
        }
    }

    fn only_on_new(&mut self, kind: &str, new_rows: i64) {
        if new_rows > 0 {
            self.push(
                Verdict::Flag,
                format!("{kind} only on new ({new_rows} rows)"),
            );
        } else {
            self.push(Verdict::Pass, format!("{kind} only on new (empty)"));
        }
    }

    /// A view or matview that could not be read on `side`: nothing else about it compares.
    fn unreadable(&mut self, side: &str, error: &Option<String>) {
        if let Some(e) = error {
            let first = e.lines().next().unwrap_or("");
            self.push(Verdict::Fail, format!("unreadable on {side}: {first}"));
        }
    }

    fn rows(&mut self, released: i64, new: i64) {
        if released > new {
            self.push(
                Verdict::Fail,
                format!("row loss: released has {} more row(s)", released - new),
            );
        } else if new > released {
            self.push(
                Verdict::Flag,
                format!("new has {} more row(s)", new - released),
            );
        }
    }

    /// Column `c` as each side has it (`None`: not on that side).
    fn column(
        &mut self,
        c: &str,
        released: Option<&Column>,
        new: Option<&Column>,
        rmv: &Measure,
        nmv: &Measure,
    ) {
        let rf = rmv.fill.get(c).copied();
        let nf = nmv.fill.get(c).copied();
        match (released, new) {
            (Some(_), None) => {
                let rf = rf.unwrap_or(0);
                if rf > 0 {
                    self.push(
                        Verdict::Fail,
                        format!("column {c} dropped on new (carried {rf} value(s))"),
                    );
                } else {
                    self.push(
                        Verdict::Flag,
                        format!("column {c} dropped on new (was empty)"),
                    );
                }
            }
            (None, Some(_)) => {
                let nf = nf.unwrap_or(0);
                if nf > 0 {
                    self.push(
                        Verdict::Flag,
                        format!("column {c} only on new ({nf} value(s))"),
                    );
                } else {
                    self.push(Verdict::Pass, format!("column {c} only on new (empty)"));
                }
            }
            (Some(rc), Some(nc)) => {
                if rc.data_type != nc.data_type {
                    self.push(
                        Verdict::Flag,
                        format!(
                            "column {c} type changed: {} -> {}",
                            rc.data_type, nc.data_type
                        ),
                    );
                }
                // A column both sides have is left unmeasured on a side only when the table's
                // rows are equal (no follow-up scan): nothing to compare.
                if let (Some(rf), Some(nf)) = (rf, nf) {
                    self.fill(c, rf, nf, rmv.rows == nmv.rows);
                }
            }
            (None, None) => {}
        }
    }

    fn fill(&mut self, c: &str, rf: i64, nf: i64, same_rows: bool) {
        if rf > 0 && nf == 0 {
            self.push(
                Verdict::Fail,
                format!("column {c} went dark: {rf} value(s) on released, none on new"),
            );
        } else if nf < rf {
            self.push(
                Verdict::Fail,
                format!("column {c} fill dropped: {rf} -> {nf} value(s)"),
            );
        } else if nf > rf && same_rows {
            self.push(
                Verdict::Flag,
                format!("column {c} fills more: {rf} -> {nf} value(s)"),
            );
        }
    }
}

/// Whether a result carries a content-drift finding (and so wants its columns named).
pub fn is_drift(t: &TableResult) -> bool {
    t.findings
        .iter()
        .any(|f| f.message.starts_with("content drift"))
}

/// Rewrite a drift finding to name the columns whose per-column hashes differ.
pub fn name_drift(
    t: &mut TableResult,
    released: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) {
    let cols: Vec<&String> = released
        .iter()
        .filter(|(c, h)| new.get(*c) != Some(*h))
        .map(|(c, _)| c)
        .collect();
    for f in &mut t.findings {
        if f.message.starts_with("content drift") {
            f.message = if cols.is_empty() {
                "content drift (same row count, different combinations of values across columns)"
                    .to_string()
            } else {
                format!(
                    "content drift in column(s) {} (same row count, different values)",
                    cols.iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
        }
    }
}
