//! What `report.md` shows of a run, so that it reads as a reviewer reads and fits a PR comment
//! (GitHub refuses comments and step summaries over 65,536 characters): the root cause first,
//! one line per table with its findings folded (a table empty on one side says so once, not
//! once per column that went dark), and every section held to a budget — a section that would
//! exceed it ends with how much was left out and a pointer to `report.json`, which keeps every
//! finding.

use std::fmt::Write as _;

use crate::report::{Check, Verdict, md_escape};
use crate::table_diff::TableResult;

/// Characters of each section of `report.md`; together (with the header) well under 65,536.
pub mod budget {
    pub const ROOT_CAUSE: usize = 6_000;
    pub const CHECKS: usize = 4_000;
    pub const FAIL: usize = 16_000;
    pub const FLAG: usize = 5_000;
    pub const PASS: usize = 9_000;
    pub const ROW_LEVEL: usize = 10_000;
    pub const NOTES: usize = 2_000;
    /// The whole report, a last guard (the sections above add up to less).
    pub const TOTAL: usize = 60_000;
}

/// Findings shown per table; the rest are counted.
const FINDINGS_PER_TABLE: usize = 4;
/// Characters of one finding (a drift finding can name a hundred columns).
const FINDING_CHARS: usize = 300;
/// Lines of a failed step's output shown in the root cause.
const OUTPUT_LINES: usize = 12;

/// `text` cut at a line boundary to at most `max` characters; a cut ends with a line saying
/// how many lines of `what` were left out.
pub fn cap(text: &str, max: usize, what: &str) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut lines = text.lines();
    let mut kept = 0;
    for line in lines.by_ref() {
        if out.len() + line.len() + 1 > max.saturating_sub(200) {
            kept += 1;
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    let left = lines.count() + kept;
    let _ = writeln!(
        out,
        "\n_… and {left} more line(s) of {what}: full detail in `report.json`._"
    );
    out
}

/// `s` cut to `max` characters, with `…` when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

/// One table's findings as one line: an empty side said once, otherwise FAIL findings first,
/// at most [`FINDINGS_PER_TABLE`] of them and the count of the rest.
pub fn findings_line(t: &TableResult) -> String {
    match (t.released_rows, t.new_rows) {
        (Some(r), Some(0)) if r > 0 => return format!("empty on new ({r} row(s) on released)"),
        (Some(0), Some(n)) if n > 0 => return format!("empty on released ({n} row(s) on new)"),
        _ => {}
    }
    let mut shown: Vec<_> = t
        .findings
        .iter()
        .filter(|f| f.verdict != Verdict::Pass)
        .collect();
    shown.sort_by_key(|f| std::cmp::Reverse(f.verdict));
    let more = shown.len().saturating_sub(FINDINGS_PER_TABLE);
    let mut parts: Vec<String> = shown
        .iter()
        .take(FINDINGS_PER_TABLE)
        .map(|f| clip(&f.message, FINDING_CHARS))
        .collect();
    if more > 0 {
        parts.push(format!("and {more} more finding(s)"));
    }
    parts.join("; ")
}

/// The failed checks, first in the report: which side or step broke, with the last lines of
/// its output. Empty when no check failed.
pub fn root_cause(checks: &[Check]) -> String {
    let failed: Vec<&Check> = checks
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .collect();
    if failed.is_empty() {
        return String::new();
    }
    let mut s = String::from("\n## Root cause\n\n");
    let mut side_failed = false;
    for c in &failed {
        let text = c.details.join("\n");
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("");
        let _ = writeln!(
            s,
            "- **{}**: {}",
            md_escape(&c.name),
            md_escape(&clip(first, 400))
        );
        let rest: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
        if !rest.is_empty() {
            side_failed |= c.name.ends_with("collector completes");
            let tail = &rest[rest.len().saturating_sub(OUTPUT_LINES)..];
            s.push_str("\n  ```text\n");
            for l in tail {
                let _ = writeln!(s, "  {}", clip(&l.replace("```", "'''"), 300));
            }
            s.push_str("  ```\n");
        }
    }
    if side_failed {
        s.push_str(
            "\nThe table findings below follow from it: what the failed step would have \
             written is missing or short on that side.\n",
        );
    }
    cap(&s, budget::ROOT_CAUSE, "the root cause")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table_diff::Finding;

    fn t(released: i64, new: i64, findings: usize) -> TableResult {
        TableResult {
            schema: "aveloxis_data".into(),
            table: "t".into(),
            kind: "table".into(),
            released_rows: Some(released),
            new_rows: Some(new),
            verdict: Verdict::Fail,
            findings: (0..findings)
                .map(|i| Finding {
                    verdict: Verdict::Fail,
                    message: format!("column c{i} went dark"),
                })
                .collect(),
            compared_columns: Vec::new(),
        }
    }

    #[test]
    fn an_empty_side_is_said_once_and_findings_are_capped() {
        assert_eq!(
            findings_line(&t(9, 0, 30)),
            "empty on new (9 row(s) on released)"
        );
        let line = findings_line(&t(9, 9, 30));
        assert!(line.ends_with("and 26 more finding(s)"), "{line}");
        assert_eq!(line.matches("went dark").count(), 4);
    }

    #[test]
    fn a_capped_section_says_what_was_left_out() {
        let text: String = (0..1000).map(|i| format!("| row {i} |\n")).collect();
        let c = cap(&text, 2_000, "FAIL tables");
        assert!(c.len() <= 2_000, "{}", c.len());
        assert!(c.contains("more line(s) of FAIL tables"), "{c}");
        assert_eq!(cap("short\n", 2_000, "x"), "short\n");
    }
}
