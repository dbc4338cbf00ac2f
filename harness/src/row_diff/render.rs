//! The markdown of a row-level report.

use std::fmt::Write as _;

use super::{ContentCategory, Key, Report, SCHEMA, TableDiff};
use crate::report::{Verdict, md_code, md_escape, verdict_line};

fn show(v: &Option<String>) -> String {
    match v {
        Some(s) => md_code(s),
        None => "NULL".into(),
    }
}

fn show_key(k: &Key) -> String {
    let vals: Vec<String> = k.iter().map(show).collect();
    format!("({})", vals.join(", "))
}

/// The per-table sections (used on their own inside the data-test report).
pub fn markdown_body(r: &Report, heading: &str) -> String {
    let mut s = String::new();
    let failing: Vec<&TableDiff> = r
        .tables
        .iter()
        .filter(|t| t.verdict != Verdict::Pass)
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(
            s,
            "| table | verdict | key | released | new | missing | content | extra |\n\
             |---|---|---|---:|---:|---:|---:|---:|"
        );
        for t in &failing {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                md_escape(&format!("{SCHEMA}.{}", t.table)),
                t.verdict.as_str(),
                md_escape(&t.key_columns.join(", ")),
                t.released_rows,
                t.new_rows,
                t.fail_missing.rows,
                t.fail_content.rows,
                t.flag_extra.rows
            );
        }
    }
    for t in failing {
        table_section(&mut s, t, heading);
    }
    if !r.skipped.is_empty() {
        let _ = writeln!(s, "\n{heading} Skipped ({})\n", r.skipped.len());
        for k in &r.skipped {
            let _ = writeln!(
                s,
                "- {}: {}",
                md_escape(&format!("{SCHEMA}.{}", k.table)),
                md_escape(&k.reason)
            );
        }
    }
    s
}

/// One table that did not pass: its categories with their examples, and its notes.
fn table_section(s: &mut String, t: &TableDiff, heading: &str) {
    let _ = writeln!(
        s,
        "\n{heading} {} — {}\n",
        md_escape(&format!("{SCHEMA}.{}", t.table)),
        t.verdict.as_str()
    );
    let key = md_escape(&format!("({})", t.key_columns.join(", ")));
    if t.fail_missing.rows > 0 {
        let _ = writeln!(
            s,
            "- **FAIL missing**: {} row(s) on released absent on new; key {key}",
            t.fail_missing.rows,
        );
        for k in &t.fail_missing.examples {
            let _ = writeln!(s, "  - {}", show_key(k));
        }
    }
    if t.fail_content.rows > 0 {
        content_section(s, &t.fail_content, &key);
    }
    if t.flag_extra.rows > 0 {
        let _ = writeln!(
            s,
            "- **FLAG extra**: {} row(s) only on new; key {key}",
            t.flag_extra.rows,
        );
        for k in &t.flag_extra.examples {
            let _ = writeln!(s, "  - {}", show_key(k));
        }
    }
    for n in &t.notes {
        let _ = writeln!(s, "- note: {}", md_escape(n));
    }
}

fn content_section(s: &mut String, c: &ContentCategory, key: &str) {
    let cols: Vec<String> = c
        .columns
        .iter()
        .map(|c| format!("{} ({} row(s))", md_escape(&c.column), c.rows))
        .collect();
    let _ = writeln!(
        s,
        "- **FAIL content**: {} row(s) with the same key and different values in column(s) {}; \
         key {key}",
        c.rows,
        cols.join(", "),
    );
    for e in &c.examples {
        let d: Vec<String> = e
            .differences
            .iter()
            .map(|d| {
                format!(
                    "{}: {} → {}",
                    md_escape(&d.column),
                    show(&d.released),
                    show(&d.new)
                )
            })
            .collect();
        let _ = writeln!(s, "  - {}: {}", show_key(&e.key), d.join("; "));
    }
}

pub fn markdown(r: &Report) -> String {
    let mut s = String::from("# aveloxis shadow-diff\n\n");
    let _ = writeln!(s, "- Released: `{}`", r.released);
    let _ = writeln!(s, "- New: `{}`", r.new);
    let _ = writeln!(
        s,
        "- Scope: {}",
        match &r.repo {
            Some(g) => format!("repository `{g}`"),
            None => "every repository".into(),
        }
    );
    let _ = writeln!(s, "- Generated: {}", r.generated_at);
    let _ = writeln!(s, "\n{}\n\n## Summary\n", verdict_line(r.verdict()));
    let m = &r.summary;
    let _ = writeln!(
        s,
        "- tables compared: {} (FAIL {}, FLAG {}, PASS {}); skipped: {}\n\
         - FAIL missing rows: {}; FAIL content rows: {}; FLAG extra rows: {}\n\
         - {} rows read in {:.2}s",
        m.total_tables,
        m.tables_with_fails,
        m.tables_with_flags,
        m.total_tables - m.tables_with_fails - m.tables_with_flags,
        m.tables_skipped,
        m.fail_missing_rows,
        m.fail_content_rows,
        m.flag_extra_rows,
        r.rows_read,
        r.seconds
    );
    s.push('\n');
    s.push_str(&markdown_body(r, "##"));
    let pass: Vec<String> = r
        .tables
        .iter()
        .filter(|t| t.verdict == Verdict::Pass)
        .map(|t| md_escape(&t.table))
        .collect();
    let _ = writeln!(s, "\n## PASS ({})\n", pass.len());
    if pass.is_empty() {
        s.push_str("_none_\n");
    } else {
        let _ = writeln!(s, "{}", pass.join(", "));
    }
    s
}
