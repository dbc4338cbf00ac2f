//! The side pairs of a report beyond released→new (today: upgraded→new), the per-side step
//! timings and the days served — rendered as sections of their own, so the released→new
//! tables keep their shape.
//!
//! A pair is compared with the released→new verdict rules ([`crate::table_diff`]) with its
//! baseline in the released slot: for upgraded→new the baseline is the fresh new side, so rows,
//! values or fill the upgraded database lacks are a FAIL. Findings are worded with the pair's
//! own side names (`row loss: new has 3 more row(s)`, `column x went dark: … on new, none on
//! upgraded`).

use std::fmt::Write as _;

use serde::Serialize;

use super::sides::SideRun;
use crate::report::{Verdict, md_escape, xml_escape};
use crate::row_diff;
use crate::table_diff::{Finding, TableResult};

/// The upgraded→new pair's name.
pub const UPGRADED_NEW: &str = "upgraded→new";

/// One relation of a pair.
#[derive(Clone, Debug, Serialize)]
pub struct PairTable {
    pub schema: String,
    pub table: String,
    pub kind: String,
    pub baseline_rows: Option<i64>,
    pub compared_rows: Option<i64>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    pub compared_columns: Vec<String>,
}

impl PairTable {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }
    fn delta(&self) -> i64 {
        self.compared_rows.unwrap_or(0) - self.baseline_rows.unwrap_or(0)
    }
}

/// A compared pair of sides: `compared` against `baseline`.
#[derive(Clone, Debug, Serialize)]
pub struct Pair {
    /// `upgraded→new`.
    pub name: String,
    pub baseline: String,
    pub compared: String,
    pub baseline_db: String,
    pub compared_db: String,
    pub tables: Vec<PairTable>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_level: Option<row_diff::Report>,
}

impl Pair {
    /// The pair from a comparison whose released slot held `baseline`'s database.
    pub fn new(
        (baseline, compared): (&str, &str),
        (baseline_db, compared_db): (&str, &str),
        tables: Vec<TableResult>,
        row_level: Option<row_diff::Report>,
    ) -> Pair {
        let tables = tables
            .into_iter()
            .map(|t| PairTable {
                findings: t
                    .findings
                    .into_iter()
                    .map(|f| Finding {
                        verdict: f.verdict,
                        message: relabel(&f.message, baseline, compared),
                    })
                    .collect(),
                schema: t.schema,
                table: t.table,
                kind: t.kind,
                baseline_rows: t.released_rows,
                compared_rows: t.new_rows,
                verdict: t.verdict,
                compared_columns: t.compared_columns,
            })
            .collect();
        Pair {
            name: format!("{compared}→{baseline}"),
            baseline: baseline.into(),
            compared: compared.into(),
            baseline_db: baseline_db.into(),
            compared_db: compared_db.into(),
            tables,
            row_level,
        }
    }

    pub fn count(&self, v: Verdict) -> usize {
        self.tables.iter().filter(|t| t.verdict == v).count()
    }
}

/// A finding of the diff (worded for released and new) in a pair's side names: the whole
/// words `released` → `baseline`, `new` → `compared` (column and table names are single
/// words of their own, `new_x` stays).
pub fn relabel(message: &str, baseline: &str, compared: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(match word.as_str() {
            "released" => baseline,
            "new" => compared,
            w => w,
        });
        word.clear();
    };
    for ch in message.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The header lines: the pairs compared and the days served.
pub fn header(s: &mut String, pair: Option<&Pair>, days: usize, sides: &[SideRun]) {
    let pairs = match pair {
        Some(p) => format!("released→new, {}", p.name),
        None => "released→new".into(),
    };
    let _ = writeln!(s, "- Side pairs: {pairs}");
    let _ = writeln!(s, "- Days: {}", days_line(days, sides));
}

/// `--days N requested; asked → served: released 1 → 0, upgraded 0 → 0, 1 → 0, …`.
pub fn days_line(days: usize, sides: &[SideRun]) -> String {
    let mut moved = true;
    let served: Vec<String> = sides
        .iter()
        .filter_map(|r| {
            let days: Vec<String> = r
                .steps
                .iter()
                .filter(|s| !s.name.starts_with("rollback"))
                .filter_map(|s| {
                    let asked = s.day_requested?;
                    moved &= s.day_served.is_none_or(|d| d == asked);
                    Some(match s.day_served {
                        Some(d) => format!("{asked} → {d}"),
                        None => format!("{asked} → live"),
                    })
                })
                .collect();
            (!days.is_empty()).then(|| format!("{} {}", r.side, days.join(", ")))
        })
        .collect();
    let mut line = format!("--days {days}; day asked → served: {}", served.join("; "));
    if !moved {
        line.push_str(" (every side saw day 0: the world did not move)");
    }
    line
}

/// The pair's section: its non-PASS tables (PASS ones counted), then its row-level examples.
pub fn markdown(s: &mut String, p: &Pair) {
    let _ = writeln!(
        s,
        "\n## {} ({} against {}: `{}` against `{}`)\n",
        md_escape(&p.name),
        p.compared,
        p.baseline,
        p.compared_db,
        p.baseline_db
    );
    let _ = writeln!(
        s,
        "FAIL {} · FLAG {} · PASS {}\n",
        p.count(Verdict::Fail),
        p.count(Verdict::Flag),
        p.count(Verdict::Pass)
    );
    let shown: Vec<&PairTable> = p
        .tables
        .iter()
        .filter(|t| t.verdict != Verdict::Pass)
        .collect();
    if shown.is_empty() {
        s.push_str("_every table PASSes_\n");
    } else {
        let _ = writeln!(
            s,
            "| table | verdict | {} | {} | delta | findings |\n|---|---|---:|---:|---:|---|",
            p.baseline, p.compared
        );
        for t in shown {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:+} | {} |",
                md_escape(&t.qualified()),
                t.verdict.as_str(),
                rows(t.baseline_rows),
                rows(t.compared_rows),
                t.delta(),
                findings_md(&t.findings)
            );
        }
    }
    if let Some(sd) = &p.row_level {
        let _ = writeln!(s, "\n### Row-level examples ({})\n", md_escape(&p.name));
        s.push_str(&row_diff::markdown_body(sd, "####"));
    }
}

/// Every side's steps with their times, binaries and days.
pub fn sides_markdown(s: &mut String, sides: &[SideRun]) {
    if sides.is_empty() {
        return;
    }
    s.push_str("\n## Sides\n\n| side | step | binary | day (asked → served) | seconds |\n");
    s.push_str("|---|---|---|---|---:|\n");
    for r in sides {
        for st in &r.steps {
            let day = match (st.day_requested, st.day_served) {
                (Some(a), Some(d)) => format!("{a} → {d}"),
                (Some(a), None) => format!("{a} → live"),
                _ => String::new(),
            };
            let failed = if st.ok { "" } else { " (failed)" };
            let _ = writeln!(
                s,
                "| {} | {}{failed} | {} | {day} | {:.1} |",
                r.side,
                md_escape(&st.name),
                st.binary,
                st.seconds
            );
        }
        let _ = writeln!(s, "| {} | **total** | | | {:.1} |", r.side, r.seconds);
    }
}

/// The pair's test cases.
pub fn junit(s: &mut String, p: &Pair) {
    for t in &p.tables {
        let _ = write!(
            s,
            "  <testcase classname=\"{}.{}\" name=\"{}\">",
            xml_escape(&p.name),
            xml_escape(&t.schema),
            xml_escape(&t.table)
        );
        let msg = plain(&t.findings, None);
        match t.verdict {
            Verdict::Fail => {
                let _ = write!(
                    s,
                    "<failure message=\"{}\">{}</failure>",
                    xml_escape(&plain(&t.findings, Some(Verdict::Fail))),
                    xml_escape(&msg)
                );
            }
            Verdict::Flag => {
                let _ = write!(s, "<system-out>{}</system-out>", xml_escape(&msg));
            }
            Verdict::Pass => {}
        }
        s.push_str("</testcase>\n");
    }
}

/// The pair's non-PASS tables for the terminal summary.
pub fn terminal(s: &mut String, p: &Pair) {
    for t in p.tables.iter().filter(|t| t.verdict != Verdict::Pass) {
        let _ = writeln!(
            s,
            "  {:<4} {} {:<44} {:>9} {:>9} {:>+7}  {}",
            t.verdict.as_str(),
            p.name,
            t.qualified(),
            rows(t.baseline_rows),
            rows(t.compared_rows),
            t.delta(),
            t.findings
                .iter()
                .filter(|f| f.verdict != Verdict::Pass)
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
}

fn rows(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_else(|| "—".into())
}

fn findings_md(f: &[Finding]) -> String {
    f.iter()
        .filter(|x| x.verdict != Verdict::Pass)
        .map(|x| md_escape(&x.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn plain(f: &[Finding], only: Option<Verdict>) -> String {
    f.iter()
        .filter(|x| only.is_none_or(|v| x.verdict == v))
        .map(|x| format!("{} {}", x.verdict.as_str(), x.message))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_worded_with_the_pairs_side_names() {
        let r = |m: &str| relabel(m, "new", "upgraded");
        assert_eq!(
            r("row loss: released has 3 more row(s)"),
            "row loss: new has 3 more row(s)"
        );
        assert_eq!(r("new has 2 more row(s)"), "upgraded has 2 more row(s)");
        assert_eq!(
            r("column new_state went dark: 5 value(s) on released, none on new"),
            "column new_state went dark: 5 value(s) on new, none on upgraded"
        );
        assert_eq!(
            r("column release_description dropped on new (carried 4 value(s))"),
            "column release_description dropped on upgraded (carried 4 value(s))"
        );
    }
}
