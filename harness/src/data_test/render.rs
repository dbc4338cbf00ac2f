//! The render stage: `report.md`, `report.json`, `junit.xml` (and `$GITHUB_STEP_SUMMARY`),
//! the short summary that ends a run, and the phase timings they show.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use super::digest::{self, budget, clip};
use crate::report::{Check, Verdict, md_escape, verdict_line, xml_escape};
use crate::row_diff;
use crate::table_diff::{Finding, TableResult};

use super::pair::{self, Pair};
use super::sides::SideRun;

/// Examples per category in the row-level section of the report.
pub const ROW_LEVEL_EXAMPLES: usize = 5;

#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    pub name: String,
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub released_tag: String,
    pub released_commit: String,
    pub released_db: String,
    pub new_db: String,
    pub repos: Vec<String>,
    pub forge: String,
    pub schemas: Vec<String>,
    pub generated: String,
    pub checks: Vec<Check>,
    pub tables: Vec<TableResult>,
    pub phases: Vec<Phase>,
    pub notes: Vec<String>,
    /// shadow-diff over the aveloxis_data tables that FAILed: which rows, which values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_level: Option<row_diff::Report>,
    /// The upgraded side against the new one (absent with `--no-upgraded`, or when the upgrade
    /// failed before there was anything to compare: the checks say why).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgraded: Option<Pair>,
    /// `--days`: the day of the timeline asked for (the steps say which day was served).
    pub days: usize,
    /// Every side's steps, timed.
    pub sides: Vec<SideRun>,
}

impl Report {
    pub fn count(&self, v: Verdict) -> usize {
        self.tables.iter().filter(|t| t.verdict == v).count()
            + self.checks.iter().filter(|c| c.verdict == v).count()
            + self.upgraded.as_ref().map_or(0, |p| p.count(v))
    }
    pub fn failed(&self) -> bool {
        self.count(Verdict::Fail) > 0
    }
    /// The worst verdict of every table and check.
    pub fn verdict(&self) -> Verdict {
        Verdict::worst(
            self.tables
                .iter()
                .map(|t| t.verdict)
                .chain(self.checks.iter().map(|c| c.verdict))
                .chain(
                    self.upgraded
                        .iter()
                        .flat_map(|p| p.tables.iter().map(|t| t.verdict)),
                ),
        )
    }
}

fn rows(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_else(|| "—".into())
}

pub fn markdown(r: &Report) -> String {
    let mut s = String::from("# aveloxis data-test report\n\n");
    header(&mut s, r);
    // The root cause before anything it caused.
    s.push_str(&digest::root_cause(&r.checks));
    summary(&mut s, r);
    if !r.checks.is_empty() {
        let mut c = String::from("\n## Checks\n\n| check | verdict | details |\n|---|---|---|\n");
        for ch in &r.checks {
            let details = ch.details.join("; ");
            let _ = writeln!(
                c,
                "| {} | {} | {} |",
                md_escape(&ch.name),
                ch.verdict.as_str(),
                md_escape(&clip(&details, 500))
            );
        }
        s.push_str(&digest::cap(&c, budget::CHECKS, "checks"));
    }
    for (v, max) in [(Verdict::Fail, budget::FAIL), (Verdict::Flag, budget::FLAG)] {
        s.push_str(&digest::cap(&tables_section(r, v), max, "this table"));
    }
    if let Some(p) = &r.upgraded {
        let mut section = String::new();
        pair::markdown(&mut section, p);
        s.push_str(&digest::cap(
            &section,
            budget::FAIL,
            "the upgraded→new pair",
        ));
    }
    s.push_str(&digest::cap(&pass_section(r), budget::PASS, "PASS tables"));
    if !r.phases.is_empty() {
        s.push_str("\n## Phases\n\n| phase | seconds |\n|---|---:|\n");
        for p in &r.phases {
            let _ = writeln!(s, "| {} | {:.1} |", md_escape(&p.name), p.seconds);
        }
    }
    pair::sides_markdown(&mut s, &r.sides);
    if let Some(sd) = &r.row_level {
        let mut rl = String::new();
        let _ = writeln!(
            rl,
            "\n## Row-level examples (shadow-diff)\n\n\
             The FAIL tables of {} compared row by row, keyed by platform-stable keys \
             (up to {} examples per category).\n",
            row_diff::SCHEMA,
            ROW_LEVEL_EXAMPLES
        );
        rl.push_str(&row_diff::markdown_body(sd, "###"));
        s.push_str(&digest::cap(&rl, budget::ROW_LEVEL, "row-level examples"));
    }
    if !r.notes.is_empty() {
        let mut n = String::from("\n## Notes\n\n");
        for note in &r.notes {
            let _ = writeln!(n, "- {}", md_escape(&clip(note, 500)));
        }
        s.push_str(&digest::cap(&n, budget::NOTES, "notes"));
    }
    digest::cap(&s, budget::TOTAL, "the report")
}

/// What was compared, the verdict and the summary counts.
fn header(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "- Released: `{}` ({}) (in `{}`)",
        md_escape(&r.released_tag),
        &r.released_commit.get(..12).unwrap_or(&r.released_commit),
        r.released_db
    );
    let _ = writeln!(s, "- Local version: working tree (in `{}`)", r.new_db);
    let _ = writeln!(
        s,
        "- Test repo(s): {}",
        r.repos
            .iter()
            .take(40)
            .map(|u| md_escape(u))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(s, "- Forge: {}", md_escape(&clip(&r.forge, 4_000)));
    let _ = writeln!(s, "- Schemas: {}", r.schemas.join(", "));
    pair::header(s, r.upgraded.as_ref(), r.days, &r.sides);
    let _ = writeln!(s, "- Generated: {}", r.generated);
    let _ = writeln!(s, "\n{}", verdict_line(r.verdict()));
}

/// The summary counts.
fn summary(s: &mut String, r: &Report) {
    s.push_str("\n## Summary\n\n");
    let _ = writeln!(
        s,
        "- FAIL (released has more rows, values or content = data loss): {}",
        r.count(Verdict::Fail)
    );
    let _ = writeln!(
        s,
        "- FLAG (new has more rows = likely new coverage): {}",
        r.count(Verdict::Flag)
    );
    let _ = writeln!(
        s,
        "- PASS (equal counts, fill and content): {}",
        r.count(Verdict::Pass)
    );
}

/// The tables with verdict `v`, one line each (findings folded, see [`digest`]).
fn tables_section(r: &Report, v: Verdict) -> String {
    let mut s = String::new();
    let list: Vec<&TableResult> = r.tables.iter().filter(|t| t.verdict == v).collect();
    let _ = writeln!(s, "\n## {} ({}) — released→new\n", v.as_str(), list.len());
    if list.is_empty() {
        s.push_str("_none_\n");
        return s;
    }
    s.push_str("| table | released | new | delta | findings |\n|---|---:|---:|---:|---|\n");
    for t in list {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:+} | {} |",
            md_escape(&t.qualified()),
            rows(t.released_rows),
            rows(t.new_rows),
            t.delta(),
            md_escape(&digest::findings_line(t))
        );
    }
    s
}

/// The PASS tables, by name.
fn pass_section(r: &Report) -> String {
    let list: Vec<String> = r
        .tables
        .iter()
        .filter(|t| t.verdict == Verdict::Pass)
        .map(|t| md_escape(&t.qualified()))
        .collect();
    let mut s = format!("\n## PASS ({})\n\n", list.len());
    if list.is_empty() {
        s.push_str("_none_\n");
    } else {
        // A few names per line, so that a cut keeps whole names.
        for chunk in list.chunks(8) {
            let _ = writeln!(s, "{}  ", chunk.join(", "));
        }
    }
    s
}

pub fn junit(r: &Report) -> String {
    let fails = r.count(Verdict::Fail);
    let total = r.tables.len() + r.checks.len() + r.upgraded.as_ref().map_or(0, |p| p.tables.len());
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuite name=\"aveloxis data-test\" tests=\"{total}\" failures=\"{fails}\" errors=\"0\">"
    );
    for c in &r.checks {
        let _ = write!(
            s,
            "  <testcase classname=\"checks\" name=\"{}\">",
            xml_escape(&c.name)
        );
        if c.verdict == Verdict::Fail {
            let _ = write!(
                s,
                "<failure message=\"{}\">{}</failure>",
                xml_escape(&c.details.join("; ")),
                xml_escape(&c.details.join("\n"))
            );
        }
        s.push_str("</testcase>\n");
    }
    for t in &r.tables {
        let _ = write!(
            s,
            "  <testcase classname=\"{}\" name=\"{}\">",
            xml_escape(&t.schema),
            xml_escape(&t.table)
        );
        let msg = format!(
            "released={} new={} delta={:+}: {}",
            rows(t.released_rows),
            rows(t.new_rows),
            t.delta(),
            t.findings
                .iter()
                .map(|f| format!("{} {}", f.verdict.as_str(), f.message))
                .collect::<Vec<_>>()
                .join("; ")
        );
        match t.verdict {
            Verdict::Fail => {
                let _ = write!(
                    s,
                    "<failure message=\"{}\">{}</failure>",
                    xml_escape(&findings_plain(&t.findings, Verdict::Fail)),
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
    if let Some(p) = &r.upgraded {
        pair::junit(&mut s, p);
    }
    s.push_str("</testsuite>\n");
    s
}

fn findings_plain(f: &[Finding], v: Verdict) -> String {
    f.iter()
        .filter(|x| x.verdict == v)
        .map(|x| x.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The short table printed at the end of a run.
pub fn terminal_summary(r: &Report, work_dir: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\ndata-test: FAIL {}  FLAG {}  PASS {}",
        r.count(Verdict::Fail),
        r.count(Verdict::Flag),
        r.count(Verdict::Pass)
    );
    for c in r.checks.iter().filter(|c| c.verdict != Verdict::Pass) {
        let _ = writeln!(
            s,
            "  {} {}: {}",
            c.verdict.as_str(),
            c.name,
            c.details.join("; ")
        );
    }
    let interesting: Vec<&TableResult> = r
        .tables
        .iter()
        .filter(|t| t.verdict != Verdict::Pass)
        .collect();
    if !interesting.is_empty() {
        let _ = writeln!(
            s,
            "  {:<4} {:<44} {:>9} {:>9} {:>7}  findings",
            "", "table", "released", "new", "delta"
        );
        for t in interesting {
            let _ = writeln!(
                s,
                "  {:<4} {:<44} {:>9} {:>9} {:>+7}  {}",
                t.verdict.as_str(),
                t.qualified(),
                rows(t.released_rows),
                rows(t.new_rows),
                t.delta(),
                digest::findings_line(t)
            );
        }
    }
    if let Some(p) = &r.upgraded {
        pair::terminal(&mut s, p);
    }
    let _ = writeln!(
        s,
        "report: {}\nverdict: {}",
        work_dir.join("report.md").display(),
        if r.failed() { "FAIL" } else { "PASS" }
    );
    s
}

pub fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn write_reports(work: &Path, report: &Report) -> Result<()> {
    let md = markdown(report);
    std::fs::write(work.join("report.md"), &md)?;
    std::fs::write(
        work.join("report.json"),
        serde_json::to_string_pretty(report)?,
    )?;
    std::fs::write(work.join("junit.xml"), junit(report))?;
    if let Some(p) = std::env::var_os("GITHUB_STEP_SUMMARY")
        && !p.is_empty()
    {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .with_context(|| {
                format!(
                    "opening $GITHUB_STEP_SUMMARY {}",
                    PathBuf::from(&p).display()
                )
            })?;
        writeln!(f, "{md}")?;
    }
    Ok(())
}

/// The phases of a run, each timed from the end of the one before.
pub struct Timer {
    pub phases: Vec<Phase>,
    start: Instant,
}

impl Default for Timer {
    fn default() -> Timer {
        Timer::new()
    }
}

impl Timer {
    pub fn new() -> Timer {
        Timer {
            phases: Vec::new(),
            start: Instant::now(),
        }
    }
    pub fn phase(&mut self, name: &str) {
        let now = Instant::now();
        self.phases.push(Phase {
            name: name.into(),
            seconds: (now - self.start).as_secs_f64(),
        });
        self.start = now;
        let took = self.phases.last().map(|p| p.seconds).unwrap_or(0.0);
        crate::progress::end(&format!("done in {took:.1}s"));
        say!("harness: phase {name} done in {took:.1}s");
    }
}
